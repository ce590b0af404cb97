import { expect } from 'chai';
import fc from 'fast-check';
import type { ClusterEvent } from '../../src/index.js';
import type { Cluster } from '../../src/index.js';
import { readAll, values, virtualCluster } from '../helpers.js';

const ofType = <T extends ClusterEvent['type']>(events: readonly ClusterEvent[], type: T) =>
  events.filter((e): e is Extract<ClusterEvent, { type: T }> => e.type === type);

/** A cluster of `brokers` brokers with topic `t`, partition 0 on `replicas` (the first leads). */
function withTopic(replicas: number[], brokers = 4, topicConfig: Record<string, string | number | boolean> = {}): Cluster {
  const cluster = virtualCluster({ brokers });
  cluster.createTopic({ topic: 't', replicaAssignment: [replicas], config: topicConfig });
  return cluster;
}

function reassign(cluster: Cluster, replicas: number[] | null, partition = 0, topic = 't') {
  return cluster.engine.alterPartitionReassignments([{ name: topic, partitions: [{ partitionIndex: partition, replicas }] }])[0]!.partitions[0]!;
}

const ok = { errorCode: 0, errorMessage: null };

/** The events from `seq` on, without their seq and time, of the reassignment's own kinds and the ISR and leader changes. */
function story(cluster: Cluster, from: number): object[] {
  const kinds = new Set(['reassignment-started', 'reassignment-completed', 'reassignment-cancelled', 'isr-expanded', 'isr-shrunk', 'leader-changed']);
  return cluster
    .events()
    .filter((e) => e.seq >= from && kinds.has(e.type))
    .map(({ seq: _seq, time: _time, ...rest }) => rest);
}

describe('partition reassignment (engine)', () => {
  it('moves a partition: the new replica catches up and joins the ISR, leadership moves to the first target, the removed replica goes', async () => {
    const cluster = withTopic([1, 2, 3]);
    await cluster.produce({ topic: 't', partition: 0, records: values(5), acks: -1 });
    const epoch = cluster.describeTopic('t').partitions[0]!.leaderEpoch;
    const from = cluster.events().length;
    expect(reassign(cluster, [2, 3, 4])).to.deep.equal({ partitionIndex: 0, ...ok });
    expect(story(cluster, from)).to.deep.equal([
      { type: 'reassignment-started', topic: 't', partition: 0, target: [2, 3, 4], replicas: [2, 3, 4, 1], adding: [4], removing: [1] },
      { type: 'isr-expanded', topic: 't', partition: 0, isr: [2, 3, 4, 1], added: 4 },
      { type: 'leader-changed', topic: 't', partition: 0, leader: 2, previousLeader: 1, leaderEpoch: epoch + 1, isr: [2, 3, 4], election: 'clean' },
      { type: 'reassignment-completed', topic: 't', partition: 0, replicas: [2, 3, 4], isr: [2, 3, 4], leader: 2, removed: [1] },
    ]);
    const p = cluster.describePartition('t', 0);
    expect([p.leader, p.replicas, p.isr, p.offlineReplicas]).to.deep.equal([2, [2, 3, 4], [2, 3, 4], []]);
    expect(p.replicaStates.map((r) => [r.broker, r.logEndOffset, r.highWatermark])).to.deep.equal([
      [2, 5, 5],
      [3, 5, 5],
      [4, 5, 5],
    ]);
    expect(cluster.engine.listPartitionReassignments()).to.deep.equal([]);
    expect(readAll(cluster, 't', 0)).to.deep.equal(['v-0', 'v-1', 'v-2', 'v-3', 'v-4']);
  });

  it('stays in progress while a target broker is stopped: metadata lists every replica, the list shows adding and removing; it completes when the broker starts', async () => {
    const cluster = withTopic([1, 2]);
    cluster.stopBroker(4);
    await cluster.produce({ topic: 't', partition: 0, records: values(3), acks: -1 });
    expect(reassign(cluster, [4, 2])).to.deep.equal({ partitionIndex: 0, ...ok });
    const during = cluster.describeTopic('t').partitions[0]!;
    expect([during.leader, during.replicas, during.isr, during.offlineReplicas]).to.deep.equal([1, [4, 2, 1], [2, 1], [4]]);
    const ongoing = [{ name: 't', partitions: [{ partitionIndex: 0, replicas: [4, 2, 1], addingReplicas: [4], removingReplicas: [1] }] }];
    expect(cluster.engine.listPartitionReassignments()).to.deep.equal(ongoing);
    expect(
      cluster.engine.listPartitionReassignments([
        { name: 't', partitionIndexes: [0, 7] },
        { name: 'nope', partitionIndexes: [0] },
      ]),
    ).to.deep.equal(ongoing);
    expect(cluster.engine.listPartitionReassignments([{ name: 't', partitionIndexes: [] }])).to.deep.equal([]);
    // Writes go on meanwhile, to the replicas in sync.
    await cluster.produce({ topic: 't', partition: 0, records: values(2, 'w'), acks: -1 });
    cluster.startBroker(4);
    const after = cluster.describePartition('t', 0);
    expect([after.leader, after.replicas, after.isr]).to.deep.equal([4, [4, 2], [4, 2]]);
    expect(after.replicaStates.map((r) => r.logEndOffset)).to.deep.equal([5, 5]);
    expect(cluster.engine.listPartitionReassignments()).to.deep.equal([]);
    expect(readAll(cluster, 't', 0)).to.deep.equal(['v-0', 'v-1', 'v-2', 'w-0', 'w-1']);
  });

  it('cancels a reassignment in progress (null replicas): the adding replicas go, the others stay; cancelling none is NO_REASSIGNMENT_IN_PROGRESS', () => {
    const cluster = withTopic([1, 2, 3]);
    cluster.stopBroker(4);
    expect(reassign(cluster, [4, 3, 2])).to.deep.equal({ partitionIndex: 0, ...ok });
    expect(cluster.describeTopic('t').partitions[0]!.replicas).to.deep.equal([4, 3, 2, 1]);
    const from = cluster.events().length;
    expect(reassign(cluster, null)).to.deep.equal({ partitionIndex: 0, ...ok });
    // Kafka keeps the order the reassignment gave the remaining replicas.
    expect(story(cluster, from)).to.deep.equal([
      { type: 'reassignment-cancelled', topic: 't', partition: 0, replicas: [3, 2, 1], isr: [3, 2, 1], leader: 1, removed: [4] },
    ]);
    const p = cluster.describePartition('t', 0);
    expect([p.leader, p.replicas, p.isr, p.offlineReplicas]).to.deep.equal([1, [3, 2, 1], [3, 2, 1], []]);
    expect(reassign(cluster, null)).to.deep.equal({
      partitionIndex: 0,
      errorCode: 85,
      errorMessage: null,
    });
    cluster.startBroker(4);
    expect(cluster.describeTopic('t').partitions[0]!.replicas).to.deep.equal([3, 2, 1]);
  });

  it('refuses a cancellation that would need an unclean election unless the topic allows one', () => {
    for (const unclean of [false, true]) {
      const cluster = withTopic([1], 3, { 'unclean.leader.election.enable': unclean });
      cluster.stopBroker(3);
      reassign(cluster, [2, 3]);
      // Broker 2 caught up; broker 3 cannot. Then the only original replica stops: 2 leads, alone in sync.
      cluster.stopBroker(1);
      expect(cluster.describeTopic('t').partitions[0]!).to.deep.include({ replicas: [2, 3, 1], isr: [2], leader: 2 });
      const answer = reassign(cluster, null);
      if (!unclean) {
        expect(answer).to.deep.equal({
          partitionIndex: 0,
          errorCode: 39,
          errorMessage: 'Unable to revert partition assignment for t:0 because it would require an unclean leader election.',
        });
        expect(cluster.engine.listPartitionReassignments()).to.have.length(1);
        continue;
      }
      // Reverted to broker 1 alone, which is stopped: offline until it starts.
      expect(answer).to.deep.equal({ partitionIndex: 0, ...ok });
      expect(cluster.describeTopic('t').partitions[0]!).to.deep.include({ replicas: [1], isr: [1], leader: -1 });
      cluster.startBroker(1);
      expect(cluster.describeTopic('t').partitions[0]!).to.deep.include({ replicas: [1], isr: [1], leader: 1 });
    }
  });

  it('answers each partition with its own error, as Kafka 3.9 words them, and changes nothing for a rejected one', () => {
    const cluster = withTopic([1, 2, 3]);
    const answers = cluster.engine.alterPartitionReassignments([
      {
        name: 't',
        partitions: [
          { partitionIndex: 0, replicas: [] },
          { partitionIndex: 0, replicas: [1, 2, 2] },
          { partitionIndex: 0, replicas: [1, 9] },
          { partitionIndex: 0, replicas: [9, 9] },
          { partitionIndex: 3, replicas: [1] },
          { partitionIndex: 0, replicas: [3, 2, 1] },
        ],
      },
      { name: 'missing', partitions: [{ partitionIndex: 0, replicas: [1] }] },
    ]);
    const bad = (errorMessage: string) => ({ errorCode: 39, errorMessage });
    expect(answers).to.deep.equal([
      {
        name: 't',
        partitions: [
          { partitionIndex: 0, ...bad('The manual partition assignment includes an empty replica list.') },
          { partitionIndex: 0, ...bad('The manual partition assignment includes the broker 2 more than once.') },
          { partitionIndex: 0, ...bad('The manual partition assignment includes broker 9, but no such broker is registered.') },
          { partitionIndex: 0, ...bad('The manual partition assignment includes broker 9, but no such broker is registered.') },
          { partitionIndex: 3, errorCode: 3, errorMessage: 'Unable to find partition t:3.' },
          { partitionIndex: 0, ...ok },
        ],
      },
      { name: 'missing', partitions: [{ partitionIndex: 0, errorCode: 3, errorMessage: 'Unable to find a topic named missing.' }] },
    ]);
    // Only the reordering was applied; the leader stays (it is still in sync), so no epoch bump either.
    expect(cluster.describeTopic('t').partitions[0]!).to.deep.include({ replicas: [3, 2, 1], isr: [3, 2, 1], leader: 1, leaderEpoch: 0 });
  });

  it('removing an in-sync replica completes at once; the leader keeps leading in a new epoch, and the high watermark follows the smaller ISR', async () => {
    const cluster = withTopic([1, 2, 3]);
    cluster.isolateBroker(3);
    // acks=all waits for broker 3, which cannot fetch.
    let acked = false;
    void cluster.produce({ topic: 't', partition: 0, records: values(1), acks: -1, timeout: 60_000 }).then(() => (acked = true));
    await cluster.advance(1);
    expect(acked).to.equal(false);
    expect(reassign(cluster, [1, 2])).to.deep.equal({ partitionIndex: 0, ...ok });
    await cluster.advance(1);
    expect(acked).to.equal(true);
    expect(cluster.describeTopic('t').partitions[0]!).to.deep.include({ replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 1 });
    expect(ofType(cluster.events(), 'reassignment-completed').at(-1)).to.deep.include({ removed: [3], leader: 1 });
  });

  it('a new target for a partition in progress is measured against every current replica', () => {
    const cluster = withTopic([1, 2]);
    cluster.stopBroker(3);
    cluster.stopBroker(4);
    reassign(cluster, [3, 2]);
    reassign(cluster, [4, 1]);
    expect(cluster.engine.listPartitionReassignments()).to.deep.equal([
      { name: 't', partitions: [{ partitionIndex: 0, replicas: [4, 1, 2, 3], addingReplicas: [4], removingReplicas: [2, 3] }] },
    ]);
    cluster.startBroker(3);
    cluster.startBroker(4);
    // Broker 1 led all along and is still a replica in sync: it keeps leading.
    expect(cluster.describeTopic('t').partitions[0]!).to.deep.include({ replicas: [4, 1], isr: [4, 1], leader: 1 });
  });

  it('a new target that adds and removes nothing keeps the lists in progress; cancelling then drops the adding replica in a new epoch (as Kafka 3.9 did on the wire)', () => {
    // The sequence was sent to three real brokers with broker 3 stopped; these are their answers.
    const cluster = withTopic([1, 2], 3);
    cluster.stopBroker(3);
    reassign(cluster, [3, 1]);
    expect(cluster.engine.listPartitionReassignments()[0]!.partitions).to.deep.equal([
      { partitionIndex: 0, replicas: [3, 1, 2], addingReplicas: [3], removingReplicas: [2] },
    ]);
    expect(cluster.describeTopic('t').partitions[0]!).to.deep.include({ leader: 1, leaderEpoch: 0, replicas: [3, 1, 2], isr: [1, 2], offlineReplicas: [3] });
    expect(reassign(cluster, [1, 2, 3])).to.deep.equal({ partitionIndex: 0, ...ok });
    expect(cluster.engine.listPartitionReassignments()[0]!.partitions).to.deep.equal([
      { partitionIndex: 0, replicas: [1, 2, 3], addingReplicas: [3], removingReplicas: [2] },
    ]);
    expect(reassign(cluster, null)).to.deep.equal({ partitionIndex: 0, ...ok });
    expect(cluster.describeTopic('t').partitions[0]!).to.deep.include({ leader: 1, leaderEpoch: 1, replicas: [1, 2], isr: [1, 2], offlineReplicas: [] });
  });

  it('property: no acknowledged message is lost across reassignments, cancellations and broker stops; the replicas converge', async () => {
    const brokerIds = [1, 2, 3, 4];
    const target = fc.uniqueArray(fc.constantFrom(...brokerIds), { minLength: 1, maxLength: 3 });
    const step = fc.oneof(
      fc.record({ kind: fc.constant('produce' as const), n: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant('reassign' as const), target }),
      fc.record({ kind: fc.constant('cancel' as const) }),
      fc.record({ kind: fc.constant('stop' as const), broker: fc.constantFrom(...brokerIds) }),
      fc.record({ kind: fc.constant('start' as const), broker: fc.constantFrom(...brokerIds) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), async (steps) => {
        const cluster = withTopic([1, 2, 3], 4, { 'min.insync.replicas': 2 });
        const acknowledged: string[] = [];
        let n = 0;
        for (const s of steps) {
          if (s.kind === 'produce') {
            const batch = Array.from({ length: s.n }, () => `m${n++}`);
            const sent = cluster.produce({ topic: 't', partition: 0, acks: -1, timeout: 1000, records: batch.map((v) => ({ value: Buffer.from(v) })) });
            const done = await cluster.drive(
              sent.then(
                () => true,
                () => false,
              ),
              { maxMs: 10_000 },
            );
            if (done) acknowledged.push(...batch);
          } else if (s.kind === 'reassign') reassign(cluster, s.target);
          else if (s.kind === 'cancel') reassign(cluster, null);
          else if (s.kind === 'stop') cluster.stopBroker(s.broker);
          else cluster.startBroker(s.broker);
        }
        for (const b of brokerIds) cluster.startBroker(b);
        await cluster.advance(60_000);
        const p = cluster.describePartition('t', 0);
        expect(cluster.engine.listPartitionReassignments(), 'every reassignment done once all brokers run').to.deep.equal([]);
        expect(p.leader).to.be.oneOf(p.replicas);
        expect([...p.isr].sort()).to.deep.equal([...p.replicas].sort());
        for (const r of p.replicaStates) expect(r.logEndOffset, `replica ${r.broker}`).to.equal(p.logEndOffset);
        const read = readAll(cluster, 't', 0);
        for (const m of acknowledged) expect(read, `acknowledged ${m}`).to.include(m);
        cluster.close();
      }),
      { numRuns: 150, seed: 20261203 },
    );
  });
});
