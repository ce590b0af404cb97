import { expect } from 'chai';
import type { TwinCluster as Cluster } from '../../adapters/twin/cluster.js';
import { OFFSETS_RETENTION_CHECK_INTERVAL_MS } from '../../emulator/groups/coordinator.js';
import { encodeAssignment } from './harness.js';
import { eventsOf, expectError, joinRequest, newCluster, protocols, startJoin } from './helpers.js';

const standalone = (cluster: Cluster, groupId: string, topic: string, offsets: Record<number, number>) =>
  cluster.groups.offsetCommit({
    groupId,
    generationId: -1,
    memberId: '',
    topics: [{ topic, partitions: Object.entries(offsets).map(([p, offset]) => ({ partition: Number(p), offset })) }],
  });

async function produce(cluster: Cluster, topic: string, partition: number, n: number) {
  await cluster.produce({ topic, partition, records: Array.from({ length: n }, () => ({ value: Buffer.from('v') })) });
}

describe('groups: offsets', () => {
  it('fetches -1 for partitions without a committed offset, for any group', () => {
    const cluster = newCluster();
    cluster.createTopic({ topic: 't', numPartitions: 3 });
    const fetched = cluster.groups.offsetFetch({ groupId: 'nobody', topics: [{ topic: 't' }] });
    expect(fetched).to.deep.equal([{ topic: 't', partitions: [0, 1, 2].map((partition) => ({ partition, offset: -1, metadata: null })) }]);
    expect(cluster.groups.offsetFetch({ groupId: 'nobody' })).to.deep.equal([]);
    expect(cluster.groups.describeGroup('nobody').state).to.equal('Dead');
  });

  it('a standalone commit creates an Empty group that holds the offsets', () => {
    const cluster = newCluster();
    cluster.createTopic({ topic: 't', numPartitions: 2 });
    cluster.createTopic({ topic: 'a', numPartitions: 1 });
    standalone(cluster, 'g', 't', { 1: 7, 0: 3 });
    standalone(cluster, 'g', 'a', { 0: 1 });
    const d = cluster.groups.describeGroup('g');
    expect([d.state, d.protocolType, d.members.length, d.generationId]).to.deep.equal(['Empty', '', 0, 0]);
    expect(cluster.groups.offsetFetch({ groupId: 'g' })).to.deep.equal([
      { topic: 'a', partitions: [{ partition: 0, offset: 1, metadata: null }] },
      {
        topic: 't',
        partitions: [
          { partition: 0, offset: 3, metadata: null },
          { partition: 1, offset: 7, metadata: null },
        ],
      },
    ]);
    const commits = eventsOf(cluster, 'group-offsets-committed');
    expect(commits.map((e) => [e.generationId, e.memberId, e.offsets])).to.deep.equal([
      [
        -1,
        '',
        [
          { topic: 't', partition: 0, offset: 3 },
          { topic: 't', partition: 1, offset: 7 },
        ],
      ],
      [-1, '', [{ topic: 'a', partition: 0, offset: 1 }]],
    ]);
    expect(cluster.groups.listGroups()).to.deep.equal([{ groupId: 'g', protocolType: '', groupState: 'Empty' }]);
  });

  it('a member commits with its generation; the next generation reads what it committed', async () => {
    const cluster = newCluster();
    cluster.createTopic({ topic: 't', numPartitions: 1 });
    const a = await startJoin(cluster, joinRequest('g'));
    await cluster.advance(0);
    await a.joined;
    await cluster.groups.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: a.memberId,
      assignments: [{ memberId: a.memberId, memberAssignment: encodeAssignment(new Map([['t', [0]]])) }],
    });
    cluster.groups.offsetCommit({
      groupId: 'g',
      generationId: 1,
      memberId: a.memberId,
      topics: [{ topic: 't', partitions: [{ partition: 0, offset: 42, metadata: 'm' }] }],
    });
    cluster.groups.leaveGroup({ groupId: 'g', memberId: a.memberId });
    expect(cluster.groups.offsetFetch({ groupId: 'g', topics: [{ topic: 't', partitions: [0] }] })[0]!.partitions[0]).to.deep.equal({
      partition: 0,
      offset: 42,
      metadata: 'm',
    });
    // Once the group is Empty, an admin may set the offsets; that is recorded as a reset.
    cluster.groups.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: 10 }] });
    expect(eventsOf(cluster, 'group-offsets-reset').map((e) => e.offsets)).to.deep.equal([[{ topic: 't', partition: 0, offset: 10 }]]);
    expect(cluster.groups.offsetFetch({ groupId: 'g' })[0]!.partitions[0]!.offset).to.equal(10);
  });

  it('resetOffsets moves to the log start or the high watermark', async () => {
    const cluster = newCluster();
    cluster.createTopic({ topic: 't', numPartitions: 2 });
    await produce(cluster, 't', 0, 5);
    await produce(cluster, 't', 1, 2);
    cluster.deleteRecords('t', 0, 1);
    cluster.groups.resetOffsets({ groupId: 'g', topic: 't' });
    expect(cluster.groups.offsetFetch({ groupId: 'g' })[0]!.partitions.map((p) => p.offset)).to.deep.equal([5, 2]);
    cluster.groups.resetOffsets({ groupId: 'g', topic: 't', earliest: true });
    expect(cluster.groups.offsetFetch({ groupId: 'g' })[0]!.partitions.map((p) => p.offset)).to.deep.equal([1, 0]);
  });

  it('lag: committed offset, high watermark and owner per partition', async () => {
    const cluster = newCluster();
    cluster.createTopic({ topic: 't', numPartitions: 2 });
    await produce(cluster, 't', 0, 5);
    await produce(cluster, 't', 1, 3);
    const a = await startJoin(cluster, joinRequest('g', { protocols: protocols(['t']) }));
    await cluster.advance(0);
    await a.joined;
    await cluster.groups.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: a.memberId,
      assignments: [{ memberId: a.memberId, memberAssignment: encodeAssignment(new Map([['t', [0, 1]]])) }],
    });
    cluster.groups.offsetCommit({ groupId: 'g', generationId: 1, memberId: a.memberId, topics: [{ topic: 't', partitions: [{ partition: 0, offset: 2 }] }] });
    expect(cluster.groups.lag('g')).to.deep.equal([
      { topic: 't', partition: 0, committedOffset: 2, highWatermark: 5, lag: 3, memberId: a.memberId },
      { topic: 't', partition: 1, committedOffset: -1, highWatermark: 3, lag: null, memberId: a.memberId },
    ]);
    await expectError(() => cluster.groups.lag('unknown'), 'GROUP_ID_NOT_FOUND');
  });

  it('deleteOffsets removes offsets of an Empty group', () => {
    const cluster = newCluster();
    cluster.createTopic({ topic: 't', numPartitions: 2 });
    standalone(cluster, 'g', 't', { 0: 3, 1: 4 });
    cluster.groups.deleteOffsets({ groupId: 'g', topics: [{ topic: 't', partitions: [0] }] });
    expect(cluster.groups.offsetFetch({ groupId: 'g' })).to.deep.equal([{ topic: 't', partitions: [{ partition: 1, offset: 4, metadata: null }] }]);
    expect(eventsOf(cluster, 'group-offsets-deleted').map((e) => [e.offsets, e.reason])).to.deep.equal([[[{ topic: 't', partition: 0 }], 'offset-delete']]);
  });

  it('deleting a topic removes its committed offsets', () => {
    const cluster = newCluster();
    cluster.createTopic({ topic: 't', numPartitions: 1 });
    cluster.createTopic({ topic: 'u', numPartitions: 1 });
    standalone(cluster, 'g', 't', { 0: 3 });
    standalone(cluster, 'g', 'u', { 0: 1 });
    cluster.deleteTopic('t');
    expect(cluster.groups.offsetFetch({ groupId: 'g' }).map((t) => t.topic)).to.deep.equal(['u']);
    expect(eventsOf(cluster, 'group-offsets-deleted').map((e) => e.reason)).to.deep.equal(['topic-deleted']);
  });

  it('deleteGroups removes an Empty group and its offsets', () => {
    const cluster = newCluster();
    cluster.createTopic({ topic: 't' });
    standalone(cluster, 'g', 't', { 0: 3 });
    expect(cluster.groups.deleteGroups(['g'])).to.deep.equal([{ groupId: 'g', error: null }]);
    expect(cluster.groups.offsetFetch({ groupId: 'g' })).to.deep.equal([]);
    expect(eventsOf(cluster, 'group-deleted').map((e) => e.reason)).to.deep.equal(['delete-groups']);
    expect(cluster.groups.deleteGroups(['g'])[0]!.error?.type).to.equal('GROUP_ID_NOT_FOUND');
  });

  describe('offsets.retention.ms', () => {
    it('expires the offsets of a standalone group after their commit and then removes the group', async () => {
      const cluster = newCluster({ config: { 'offsets.retention.ms': 1000000 } });
      cluster.createTopic({ topic: 't', numPartitions: 2 });
      standalone(cluster, 'g', 't', { 0: 1 });
      await cluster.advance(500000);
      standalone(cluster, 'g', 't', { 1: 1 });
      // Checks run every 10 minutes: 600000 (nothing old enough), 1200000 (partition 0), 1800000 (partition 1).
      await cluster.advance(OFFSETS_RETENTION_CHECK_INTERVAL_MS * 2 - 500000);
      expect(cluster.groups.offsetFetch({ groupId: 'g' })[0]!.partitions.map((p) => p.partition)).to.deep.equal([1]);
      await cluster.advance(OFFSETS_RETENTION_CHECK_INTERVAL_MS);
      expect(cluster.groups.offsetFetch({ groupId: 'g' })).to.deep.equal([]);
      expect(cluster.groups.describeGroup('g').state).to.equal('Dead');
      expect(eventsOf(cluster, 'group-deleted').map((e) => e.reason)).to.deep.equal(['expired']);
    });

    it('keeps the offsets of a consumer group until retention.ms after it became Empty', async () => {
      const cluster = newCluster({ config: { 'offsets.retention.ms': 700000 } });
      cluster.createTopic({ topic: 't' });
      const a = await startJoin(cluster, joinRequest('g'));
      await cluster.advance(0);
      await a.joined;
      await cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId });
      cluster.groups.offsetCommit({ groupId: 'g', generationId: 1, memberId: a.memberId, topics: [{ topic: 't', partitions: [{ partition: 0, offset: 9 }] }] });
      // The member keeps its session alive well past the retention: a Stable group subscribed to t keeps the offset.
      for (let i = 0; i < 150; i++) {
        await cluster.advance(5000);
        cluster.groups.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId });
      }
      expect(cluster.groups.offsetFetch({ groupId: 'g' })[0]!.partitions[0]!.offset).to.equal(9);
      cluster.groups.leaveGroup({ groupId: 'g', memberId: a.memberId });
      const emptiedAt = cluster.now();
      await cluster.advance(600000);
      expect(cluster.groups.offsetFetch({ groupId: 'g' })).to.have.length(1);
      await cluster.advance(600000);
      expect(cluster.now() - emptiedAt).to.be.greaterThan(700000);
      expect(cluster.groups.offsetFetch({ groupId: 'g' })).to.deep.equal([]);
    });
  });
});
