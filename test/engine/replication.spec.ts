import { expect } from 'chai';
import { KafkaJSConnectionError } from '../../protocol/errors.js';
import type { ClusterEvent } from '../../src/index.js';
import { protocolErrorOf, readAll, rejection, values, virtualCluster } from '../helpers.js';

/** A 3-broker cluster with one topic whose partition 0 lives on brokers 1 (leader), 2, 3. */
function threeReplicas(config: Record<string, number | boolean | string> = {}, topicConfig: Record<string, string | number | boolean> = {}) {
  const cluster = virtualCluster({ brokers: 3, config });
  cluster.createTopic({ topic: 't', replicaAssignment: [[1, 2, 3]], config: topicConfig });
  return cluster;
}

const ofType = <T extends ClusterEvent['type']>(events: readonly ClusterEvent[], type: T) =>
  events.filter((e): e is Extract<ClusterEvent, { type: T }> => e.type === type);

describe('replication', () => {
  describe('acks and the high watermark', () => {
    it('replicates to every in-sync follower; the high watermark is what the whole ISR has', async () => {
      const cluster = threeReplicas();
      await cluster.produce({ topic: 't', partition: 0, records: values(3) });
      const d = cluster.describePartition('t', 0);
      expect(d.highWatermark).to.equal(3);
      expect(d.replicaStates.map((r) => r.logEndOffset)).to.deep.equal([3, 3, 3]);
      expect(d.replicaStates.map((r) => r.highWatermark)).to.deep.equal([3, 3, 3]);
    });

    it('acks=1 returns once the leader has the records; consumers see only what is below the high watermark', async () => {
      const cluster = threeReplicas();
      cluster.isolateBroker(2);
      const result = await cluster.produce({ topic: 't', partition: 0, records: values(2), acks: 1 });
      expect(result.baseOffset).to.equal(0);
      const d = cluster.describePartition('t', 0);
      expect(d.logEndOffset).to.equal(2);
      expect(d.highWatermark).to.equal(0);
      expect(cluster.fetch({ topic: 't', partition: 0, offset: 0 }).records).to.deep.equal([]);
      expect(cluster.listOffsets('t', 0, 'latest').offset).to.equal(0);
    });

    it('acks=all waits for the whole ISR and completes when a lagging follower leaves the ISR', async () => {
      const cluster = threeReplicas();
      cluster.isolateBroker(3);
      let done = false;
      const pending = cluster.produce({ topic: 't', partition: 0, records: values(1), acks: -1, timeout: 60000 }).then((r) => {
        done = true;
        return r;
      });
      await cluster.advance(30000);
      expect(done).to.equal(false);
      // The ISR check runs every replica.lag.time.max.ms / 2; broker 3 is out after more than 30 s behind.
      await cluster.advance(15000);
      expect(done).to.equal(true);
      expect((await pending).baseOffset).to.equal(0);
      expect(cluster.describeTopic('t').partitions[0]!.isr).to.deep.equal([1, 2]);
      const shrink = ofType(cluster.events(), 'isr-shrunk').at(-1)!;
      expect(shrink).to.deep.include({ removed: [3], reason: 'lagging', time: 45000 });
    });

    it('acks=all times out with REQUEST_TIMED_OUT while the ISR cannot catch up', async () => {
      const cluster = threeReplicas();
      cluster.isolateBroker(3);
      const pending = cluster.produce({ topic: 't', partition: 0, records: values(1), timeout: 1000 });
      const caught = rejection(pending, 'REQUEST_TIMED_OUT');
      await cluster.advance(1000);
      await caught;
      // Written all the same: once the ISR shrinks the record is committed.
      await cluster.advance(60000);
      expect(readAll(cluster, 't', 0)).to.deep.equal(['v-0']);
    });

    it('acks=all with fewer in-sync replicas than min.insync.replicas fails with NOT_ENOUGH_REPLICAS and writes nothing', async () => {
      const cluster = threeReplicas({}, { 'min.insync.replicas': 2 });
      cluster.stopBroker(2);
      await cluster.produce({ topic: 't', partition: 0, records: values(1) });
      cluster.stopBroker(3);
      const e = await rejection(cluster.produce({ topic: 't', partition: 0, records: values(1) }), 'NOT_ENOUGH_REPLICAS');
      expect(e.retriable).to.equal(true);
      expect(cluster.describePartition('t', 0).logEndOffset).to.equal(1);
      // acks=1 does not need the ISR.
      await cluster.produce({ topic: 't', partition: 0, records: values(1), acks: 1 });
      expect(cluster.describePartition('t', 0).logEndOffset).to.equal(2);
    });

    it('times out an acks=all write when the ISR shrinks below min.insync.replicas while it waits: the high watermark stays (Kafka 3.7+)', async () => {
      const cluster = threeReplicas({}, { 'min.insync.replicas': 3 });
      cluster.isolateBroker(3);
      const caught = rejection(cluster.produce({ topic: 't', partition: 0, records: values(1), timeout: 120000 }), 'REQUEST_TIMED_OUT');
      await cluster.advance(46000);
      expect(cluster.describeTopic('t').partitions[0]!.isr).to.have.length(2);
      expect(cluster.listOffsets('t', 0, 'latest').offset).to.equal(0);
      await cluster.advance(80000);
      await caught;
    });

    it('acks=0 resolves at once and reports no broker-side error', async () => {
      const cluster = threeReplicas();
      expect((await cluster.produce({ topic: 't', partition: 0, records: values(1), acks: 0 })).baseOffset).to.equal(-1);
      expect((await cluster.produce({ topic: 'missing', partition: 0, records: values(1), acks: 0 })).baseOffset).to.equal(-1);
      expect(readAll(cluster, 't', 0)).to.deep.equal(['v-0']);
      cluster.isolateBroker(1);
      let error: unknown;
      await cluster.produce({ topic: 't', partition: 0, records: values(1), acks: 0 }).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(KafkaJSConnectionError);
    });
  });

  describe('reaching brokers', () => {
    it('answers NOT_LEADER_FOR_PARTITION from a follower and a connection error from a stopped or isolated broker', async () => {
      const cluster = threeReplicas();
      const e = await rejection(cluster.produce({ topic: 't', partition: 0, records: values(1), broker: 2 }), 'NOT_LEADER_FOR_PARTITION');
      expect(e.code).to.equal(6);
      protocolErrorOf(() => cluster.fetch({ topic: 't', partition: 0, offset: 0, broker: 3 }), 'NOT_LEADER_FOR_PARTITION');
      expect(cluster.fetch({ topic: 't', partition: 0, offset: 0, broker: 1 }).records).to.deep.equal([]);
      cluster.isolateBroker(1);
      expect(() => cluster.fetch({ topic: 't', partition: 0, offset: 0 })).to.throw(KafkaJSConnectionError, /isolated/);
      expect(() => cluster.fetch({ topic: 't', partition: 0, offset: 0, broker: 1 })).to.throw(KafkaJSConnectionError);
      cluster.healBroker(1);
      cluster.stopBroker(2);
      expect(() => cluster.listOffsets('t', 0, 'latest', 2)).to.throw(KafkaJSConnectionError, /stopped/);
    });

    it('reports the status of every broker and ignores repeated fault calls', () => {
      const cluster = threeReplicas();
      expect(cluster.isolateBroker(2)).to.equal(true);
      expect(cluster.isolateBroker(2)).to.equal(false);
      expect(cluster.stopBroker(3)).to.equal(true);
      expect(cluster.stopBroker(3)).to.equal(false);
      expect(cluster.brokers().map((b) => b.status)).to.deep.equal(['running', 'isolated', 'stopped']);
      expect(cluster.healBroker(2)).to.equal(true);
      expect(cluster.healBroker(2)).to.equal(false);
      expect(cluster.startBroker(3)).to.equal(true);
      expect(cluster.startBroker(3)).to.equal(false);
      expect(cluster.describeTopic('t').partitions[0]!.offlineReplicas).to.deep.equal([]);
    });
  });

  describe('the ISR', () => {
    it('drops an isolated follower after replica.lag.time.max.ms behind the leader and takes it back once healed and caught up', async () => {
      const cluster = threeReplicas({ 'replica.lag.time.max.ms': 10000 });
      cluster.isolateBroker(2);
      await cluster.produce({ topic: 't', partition: 0, records: values(1), acks: 1 });
      await cluster.advance(10000);
      expect(cluster.describeTopic('t').partitions[0]!.isr).to.deep.equal([1, 2, 3]);
      await cluster.advance(5000);
      expect(cluster.describeTopic('t').partitions[0]!.isr).to.deep.equal([1, 3]);
      cluster.healBroker(2);
      const d = cluster.describePartition('t', 0);
      expect(d.isr).to.deep.equal([1, 2, 3]);
      expect(d.replicaStates[1]!.logEndOffset).to.equal(1);
      expect(ofType(cluster.events(), 'isr-expanded').at(-1)).to.deep.include({ added: 2, isr: [1, 2, 3] });
    });

    it('keeps a follower that has everything in the ISR even when it cannot fetch, as Kafka does', async () => {
      const cluster = threeReplicas();
      cluster.isolateBroker(2);
      await cluster.advance(120000);
      expect(cluster.describeTopic('t').partitions[0]!.isr).to.deep.equal([1, 2, 3]);
    });

    it('removes a stopped broker from the ISR at once (controlled shutdown) and lets it rejoin after restart', async () => {
      const cluster = threeReplicas();
      cluster.stopBroker(3);
      expect(cluster.describeTopic('t').partitions[0]!.isr).to.deep.equal([1, 2]);
      await cluster.produce({ topic: 't', partition: 0, records: values(4) });
      cluster.startBroker(3);
      const d = cluster.describePartition('t', 0);
      expect(d.isr).to.deep.equal([1, 2, 3]);
      expect(d.replicaStates[2]!.logEndOffset).to.equal(4);
    });
  });

  describe('leader election', () => {
    it('moves leadership to another in-sync replica when the leader stops, losing no acknowledged record', async () => {
      const cluster = threeReplicas();
      await cluster.produce({ topic: 't', partition: 0, records: values(5) });
      cluster.stopBroker(1);
      const p = cluster.describeTopic('t').partitions[0]!;
      expect(p.leader).to.equal(2);
      expect(p.leaderEpoch).to.equal(1);
      expect(readAll(cluster, 't', 0)).to.deep.equal(['v-0', 'v-1', 'v-2', 'v-3', 'v-4']);
      expect(ofType(cluster.events(), 'leader-changed').at(-1)).to.deep.include({ leader: 2, previousLeader: 1, election: 'clean' });
    });

    it('fails writes waiting on a leader that stops with NOT_LEADER_FOR_PARTITION', async () => {
      const cluster = threeReplicas();
      cluster.isolateBroker(3);
      const caught = rejection(cluster.produce({ topic: 't', partition: 0, records: values(1) }), 'NOT_LEADER_FOR_PARTITION');
      cluster.stopBroker(1);
      await caught;
    });

    it('takes a partition offline when no in-sync replica runs, and back when one returns', async () => {
      const cluster = threeReplicas();
      cluster.stopBroker(2);
      cluster.stopBroker(3);
      await cluster.produce({ topic: 't', partition: 0, records: values(2) });
      cluster.stopBroker(1);
      let p = cluster.describeTopic('t').partitions[0]!;
      expect([p.leader, p.isr]).to.deep.equal([-1, [1]]);
      protocolErrorOf(() => cluster.fetch({ topic: 't', partition: 0, offset: 0 }), 'LEADER_NOT_AVAILABLE');
      await rejection(cluster.produce({ topic: 't', partition: 0, records: values(1) }), 'LEADER_NOT_AVAILABLE');
      expect(() => cluster.fetch({ topic: 't', partition: 0, offset: 0, broker: 2 })).to.throw(KafkaJSConnectionError);
      cluster.startBroker(2);
      expect(cluster.describeTopic('t').partitions[0]!.leader).to.equal(-1);
      protocolErrorOf(() => cluster.fetch({ topic: 't', partition: 0, offset: 0, broker: 2 }), 'LEADER_NOT_AVAILABLE');
      cluster.startBroker(1);
      p = cluster.describeTopic('t').partitions[0]!;
      expect(p.leader).to.equal(1);
      expect(p.isr).to.deep.equal([1, 2]);
      expect(readAll(cluster, 't', 0)).to.deep.equal(['v-0', 'v-1']);
    });

    it('with unclean election an out-of-sync replica takes over and the lost records show as a truncation', async () => {
      const cluster = threeReplicas({ 'replica.lag.time.max.ms': 1000 }, { 'unclean.leader.election.enable': true });
      await cluster.produce({ topic: 't', partition: 0, records: values(2, 'old') });
      cluster.isolateBroker(2);
      cluster.stopBroker(3);
      await cluster.produce({ topic: 't', partition: 0, records: values(3, 'acked'), acks: 1 });
      await cluster.advance(2000);
      expect(cluster.describeTopic('t').partitions[0]!.isr).to.deep.equal([1]);
      await cluster.produce({ topic: 't', partition: 0, records: values(1, 'more'), acks: -1 });
      expect(cluster.describePartition('t', 0).highWatermark).to.equal(6);
      cluster.healBroker(2);
      expect(cluster.describeTopic('t').partitions[0]!.isr).to.deep.equal([1, 2]);
      // Now cut broker 2 off again, write more, and lose the leader: only 2 can take over.
      cluster.isolateBroker(2);
      await cluster.produce({ topic: 't', partition: 0, records: values(2, 'lost'), acks: 1 });
      await cluster.advance(2000);
      expect(cluster.describeTopic('t').partitions[0]!.isr).to.deep.equal([1]);
      cluster.stopBroker(1);
      cluster.healBroker(2);
      const p = cluster.describeTopic('t').partitions[0]!;
      expect([p.leader, p.isr]).to.deep.equal([2, [2]]);
      expect(ofType(cluster.events(), 'leader-changed').at(-1)).to.deep.include({ leader: 2, election: 'unclean' });
      expect(ofType(cluster.events(), 'high-watermark-decreased').at(-1)).to.deep.include({ from: 8, to: 6 });
      // The old leader comes back as a follower and truncates the two records only it had.
      cluster.startBroker(1);
      const truncation = ofType(cluster.events(), 'log-truncated').at(-1)!;
      expect(truncation).to.deep.include({ broker: 1, from: 8, to: 6, records: 2 });
      expect(readAll(cluster, 't', 0)).to.deep.equal(['old-0', 'old-1', 'acked-0', 'acked-1', 'acked-2', 'more-0']);
      await cluster.produce({ topic: 't', partition: 0, records: values(1, 'new') });
      expect(cluster.describePartition('t', 0).replicaStates.map((r) => r.logEndOffset)).to.deep.equal([7, 7, 2]);
    });

    it('an unclean leader holding as many records from an older epoch as were committed: the high watermark goes back to where the logs diverge', async () => {
      // The schedule the model-based property found (seed -1210029601). Broker 1 appends m0 in
      // epoch 0 but cannot commit it; broker 2 takes over cleanly and commits m1 at the same
      // offset in epoch 1; then 1 comes back alone and is elected uncleanly with its own m0.
      const cluster = threeReplicas({ 'replica.lag.time.max.ms': 1000 }, { 'unclean.leader.election.enable': true, 'min.insync.replicas': 2 });
      cluster.isolateBroker(3);
      cluster.isolateBroker(2);
      const m0 = rejection(cluster.produce({ topic: 't', partition: 0, records: values(1, 'm0'), acks: -1, timeout: 5000 }), 'NOT_LEADER_FOR_PARTITION');
      cluster.stopBroker(1);
      await m0;
      cluster.healBroker(3);
      cluster.healBroker(2);
      const m1 = await cluster.produce({ topic: 't', partition: 0, records: values(1, 'm1'), acks: -1, timeout: 5000 });
      expect(m1.baseOffset).to.equal(0);
      expect(cluster.describePartition('t', 0).highWatermark).to.equal(1);
      cluster.stopBroker(3);
      cluster.stopBroker(2);
      const before = cluster.events().length;
      cluster.startBroker(1);
      const after = cluster.events().slice(before);
      expect(ofType(after, 'leader-changed')).to.have.length(1);
      expect(ofType(after, 'leader-changed')[0]).to.deep.include({ leader: 1, leaderEpoch: 2, election: 'unclean', isr: [1] });
      // Broker 1's log has as many records as were committed, so no replica truncates yet: the
      // high watermark going back to offset 0 is what reports m1's loss.
      expect(ofType(after, 'high-watermark-decreased')).to.have.length(1);
      expect(ofType(after, 'high-watermark-decreased')[0]).to.deep.include({ topic: 't', partition: 0, from: 1, to: 0 });
      expect(ofType(after, 'log-truncated')).to.deep.equal([]);
      const d = cluster.describePartition('t', 0);
      expect([d.highWatermark, d.logEndOffset]).to.deep.equal([0, 1]);
      expect(readAll(cluster, 't', 0)).to.deep.equal([]);
      // A former ISR member that comes back finds the divergence by the leader epochs and
      // truncates m1; with it back in the ISR, m0 is committed.
      cluster.startBroker(2);
      expect(ofType(cluster.events(), 'log-truncated').at(-1)).to.deep.include({ broker: 2, from: 1, to: 0, records: 1 });
      expect(cluster.describeTopic('t').partitions[0]!.isr).to.deep.equal([1, 2]);
      expect(readAll(cluster, 't', 0)).to.deep.equal(['m0-0']);
    });

    it('reports the loss of records an unclean leader replaced even when its high watermark does not go back (min.insync.replicas=1)', async () => {
      const cluster = threeReplicas({ 'replica.lag.time.max.ms': 1000 }, { 'unclean.leader.election.enable': true });
      cluster.isolateBroker(3);
      cluster.isolateBroker(2);
      await cluster.produce({ topic: 't', partition: 0, records: values(1, 'old'), acks: 1 });
      cluster.stopBroker(1);
      cluster.healBroker(3);
      cluster.healBroker(2);
      await cluster.produce({ topic: 't', partition: 0, records: values(1, 'acked'), acks: -1 });
      cluster.stopBroker(3);
      cluster.stopBroker(2);
      cluster.startBroker(1);
      // Alone in the ISR and enough for min.insync.replicas, broker 1 commits its own record at
      // once: in Kafka a reader sees the high watermark stay at 1 and a different record below it.
      expect(cluster.describePartition('t', 0).highWatermark).to.equal(1);
      expect(readAll(cluster, 't', 0)).to.deep.equal(['old-0']);
      expect(ofType(cluster.events(), 'high-watermark-decreased').at(-1)).to.deep.include({ from: 1, to: 0 });
    });

    it('an unclean leader starts from the high watermark it last knew, as in Kafka, and advances once the ISR is large enough', async () => {
      const cluster = threeReplicas({ 'replica.lag.time.max.ms': 1000 }, { 'unclean.leader.election.enable': true, 'min.insync.replicas': 2 });
      await cluster.produce({ topic: 't', partition: 0, records: values(2, 'a') });
      cluster.isolateBroker(3);
      await cluster.produce({ topic: 't', partition: 0, records: values(3, 'b'), acks: 1 });
      // Broker 2 holds the b records but was told a high watermark of 2; it is cut off before
      // broker 3 catches up and they are committed.
      cluster.isolateBroker(2);
      cluster.healBroker(3);
      await cluster.produce({ topic: 't', partition: 0, records: values(2, 'c'), acks: 1 });
      await cluster.advance(2000);
      let d = cluster.describePartition('t', 0);
      expect([d.isr, d.highWatermark, d.replicaStates.map((r) => [r.logEndOffset, r.highWatermark])]).to.deep.equal([
        [1, 3],
        7,
        [
          [7, 7],
          [5, 2],
          [7, 7],
        ],
      ]);
      cluster.stopBroker(3);
      cluster.stopBroker(1);
      cluster.healBroker(2);
      // Its log agrees with the committed one up to 5, but it starts from 2 and, alone below
      // min.insync.replicas, stays there: readers see the high watermark go back to 2.
      expect(ofType(cluster.events(), 'leader-changed').at(-1)).to.deep.include({ leader: 2, election: 'unclean' });
      expect(ofType(cluster.events(), 'high-watermark-decreased').at(-1)).to.deep.include({ from: 7, to: 2 });
      expect(readAll(cluster, 't', 0)).to.deep.equal(['a-0', 'a-1']);
      // Broker 3 comes back, truncates the c records the new leader lacks, and rejoins: the b records are committed again.
      cluster.startBroker(3);
      expect(ofType(cluster.events(), 'log-truncated').at(-1)).to.deep.include({ broker: 3, from: 7, to: 5, records: 2 });
      d = cluster.describePartition('t', 0);
      expect([d.isr, d.highWatermark]).to.deep.equal([[2, 3], 5]);
      expect(readAll(cluster, 't', 0)).to.deep.equal(['a-0', 'a-1', 'b-0', 'b-1', 'b-2']);
    });

    it('without unclean election the partition stays offline rather than lose data, until the setting is turned on', async () => {
      const cluster = threeReplicas();
      cluster.stopBroker(3);
      cluster.isolateBroker(2);
      await cluster.produce({ topic: 't', partition: 0, records: values(3), acks: 1 });
      await cluster.advance(46000);
      expect(cluster.describeTopic('t').partitions[0]!.isr).to.deep.equal([1]);
      cluster.stopBroker(1);
      expect(cluster.describeTopic('t').partitions[0]!.leader).to.equal(-1);
      cluster.alterTopicConfig('t', { 'unclean.leader.election.enable': 'true' });
      const p = cluster.describeTopic('t').partitions[0]!;
      expect([p.leader, p.isr]).to.deep.equal([2, [2]]);
      cluster.healBroker(2);
      expect(readAll(cluster, 't', 0)).to.deep.equal([]);
    });

    it('moves leadership back to the preferred replica on the leader-imbalance schedule', async () => {
      const cluster = threeReplicas({ 'leader.imbalance.check.interval.seconds': 10 });
      cluster.stopBroker(1);
      cluster.startBroker(1);
      expect(cluster.describeTopic('t').partitions[0]!.leader).to.equal(2);
      await cluster.advance(10000);
      expect(cluster.describeTopic('t').partitions[0]!.leader).to.equal(1);
      expect(ofType(cluster.events(), 'leader-changed').at(-1)).to.deep.include({ election: 'preferred', leader: 1 });
      const off = threeReplicas({ 'auto.leader.rebalance.enable': false, 'leader.imbalance.check.interval.seconds': 10 });
      off.stopBroker(1);
      off.startBroker(1);
      await off.advance(20000);
      expect(off.describeTopic('t').partitions[0]!.leader).to.equal(2);
    });

    it('a follower far behind a leader whose log start moved past it restarts its log at the leader log start', async () => {
      const cluster = threeReplicas();
      cluster.stopBroker(3);
      await cluster.produce({ topic: 't', partition: 0, records: values(5) });
      cluster.deleteRecords('t', 0, 4);
      cluster.startBroker(3);
      const r3 = cluster.describePartition('t', 0).replicaStates[2]!;
      expect([r3.logStartOffset, r3.logEndOffset]).to.deep.equal([4, 5]);
    });

    it('closing the cluster fails writes still waiting', async () => {
      const cluster = threeReplicas();
      cluster.isolateBroker(3);
      const caught = rejection(cluster.produce({ topic: 't', partition: 0, records: values(1) }), 'REQUEST_TIMED_OUT');
      cluster.close();
      await caught;
    });

    it('deleting a topic fails writes still waiting with UNKNOWN_TOPIC_OR_PARTITION', async () => {
      const cluster = threeReplicas();
      cluster.isolateBroker(3);
      const caught = rejection(cluster.produce({ topic: 't', partition: 0, records: values(1) }), 'UNKNOWN_TOPIC_OR_PARTITION');
      cluster.deleteTopic('t');
      await caught;
    });
  });
});
