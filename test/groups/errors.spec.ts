import { expect } from 'chai';
import { KafkaJSProtocolError } from '../../protocol/errors.js';
import type { TwinCluster as Cluster } from '../../adapters/twin/cluster.js';
import { encodeAssignment } from './harness.js';
import { expectError, joinRequest, memberIdFor, newCluster, protocols, startJoin } from './helpers.js';

/** One member, Stable at generation 1, owning t-0. */
async function stable(cluster: Cluster, groupId = 'g') {
  cluster.createTopic({ topic: 't', numPartitions: 2 });
  const { memberId, joined } = await startJoin(cluster, joinRequest(groupId));
  await cluster.advance(0);
  await joined;
  await cluster.groups.syncGroup({
    groupId,
    generationId: 1,
    memberId,
    assignments: [{ memberId, memberAssignment: encodeAssignment(new Map([['t', [0, 1]]])) }],
  });
  return memberId;
}

describe('groups: errors', () => {
  it('MEMBER_ID_REQUIRED is kafkajs KafkaJSMemberIdRequired carrying `${clientId}-${uuid}`', async () => {
    const cluster = newCluster();
    const e = await expectError(() => cluster.groups.joinGroup(joinRequest('g', { clientId: 'my-app' })), 'MEMBER_ID_REQUIRED');
    expect(e).to.be.instanceOf(KafkaJSProtocolError);
    expect(e.name).to.equal('KafkaJSMemberIdRequired');
    expect((e as unknown as { memberId: string }).memberId).to.match(/^my-app-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((e as unknown as { retriable: boolean }).retriable).to.equal(false);
  });

  it('member ids come from the seed', async () => {
    const ids = await Promise.all([1, 1, 2].map((seed) => memberIdFor(newCluster({ seed }), joinRequest('g'))));
    expect(ids[0]).to.equal(ids[1]);
    expect(ids[0]).to.not.equal(ids[2]);
  });

  it('without requireKnownMemberId a new member joins in one round trip', async () => {
    const cluster = newCluster();
    const joined = cluster.groups.joinGroup(joinRequest('g', { requireKnownMemberId: false }));
    await cluster.advance(0);
    expect((await joined).memberId).to.match(/^client-/);
  });

  it('INVALID_GROUP_ID for an empty group id on membership requests (offset requests allow it)', async () => {
    const cluster = newCluster();
    await expectError(() => cluster.groups.joinGroup(joinRequest('')), 'INVALID_GROUP_ID');
    await expectError(() => cluster.groups.heartbeat({ groupId: '', generationId: 1, memberId: 'm' }), 'INVALID_GROUP_ID');
    await expectError(() => cluster.groups.syncGroup({ groupId: '', generationId: 1, memberId: 'm' }), 'INVALID_GROUP_ID');
    await expectError(() => cluster.groups.leaveGroup({ groupId: '', memberId: 'm' }), 'INVALID_GROUP_ID');
    cluster.createTopic({ topic: 't' });
    cluster.groups.offsetCommit({ groupId: '', generationId: -1, memberId: '', topics: [{ topic: 't', partitions: [{ partition: 0, offset: 3 }] }] });
    expect(cluster.groups.offsetFetch({ groupId: '', topics: [{ topic: 't' }] })[0]!.partitions[0]!.offset).to.equal(3);
  });

  it('does not create __consumer_offsets for a request with an invalid group id', async () => {
    const cluster = newCluster();
    await expectError(() => cluster.groups.joinGroup(joinRequest('')), 'INVALID_GROUP_ID');
    expect(cluster.hasTopic('__consumer_offsets')).to.equal(false);
  });

  it('INVALID_SESSION_TIMEOUT outside group.min/max.session.timeout.ms', async () => {
    const cluster = newCluster({ config: { 'group.min.session.timeout.ms': 6000, 'group.max.session.timeout.ms': 30000 } });
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { sessionTimeout: 5999 })), 'INVALID_SESSION_TIMEOUT');
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { sessionTimeout: 30001 })), 'INVALID_SESSION_TIMEOUT');
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { sessionTimeout: Number.NaN })), 'INVALID_SESSION_TIMEOUT');
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { sessionTimeout: 6000 })), 'MEMBER_ID_REQUIRED');
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { sessionTimeout: 30000 })), 'MEMBER_ID_REQUIRED');
  });

  it('INCONSISTENT_GROUP_PROTOCOL: no protocol, another protocol type, or no protocol in common', async () => {
    const cluster = newCluster();
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { protocols: [] })), 'INCONSISTENT_GROUP_PROTOCOL');
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { protocolType: '' })), 'INCONSISTENT_GROUP_PROTOCOL');
    await stable(cluster);
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { protocolType: 'connect' })), 'INCONSISTENT_GROUP_PROTOCOL');
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { protocols: protocols(['t'], ['range']) })), 'INCONSISTENT_GROUP_PROTOCOL');
    // One protocol in common is enough.
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { protocols: protocols(['t'], ['range', 'roundrobin']) })), 'MEMBER_ID_REQUIRED');
  });

  it('INCONSISTENT_GROUP_PROTOCOL when SyncGroup names another protocol type or protocol', async () => {
    const cluster = newCluster();
    const memberId = await stable(cluster);
    await expectError(() => cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId, protocolType: 'connect' }), 'INCONSISTENT_GROUP_PROTOCOL');
    await expectError(() => cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId, protocolName: 'range' }), 'INCONSISTENT_GROUP_PROTOCOL');
    await cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId, protocolType: 'consumer', protocolName: 'roundrobin' });
  });

  it('GROUP_MAX_SIZE_REACHED turns away members beyond group.max.size', async () => {
    const cluster = newCluster({ config: { 'group.max.size': 2 } });
    const a = await startJoin(cluster, joinRequest('g'));
    const b = await startJoin(cluster, joinRequest('g'));
    // Even a first JoinGroup (no member id yet) is turned away once the group is full.
    await expectError(() => cluster.groups.joinGroup(joinRequest('g')), 'GROUP_MAX_SIZE_REACHED');
    await cluster.advance(0);
    const join = await a.joined;
    expect(join.generationId).to.equal(1);
    expect((await b.joined).generationId).to.equal(1);
    expect(cluster.groups.describeGroup('g').members).to.have.length(2);
  });

  it('UNKNOWN_MEMBER_ID for members the group does not know', async () => {
    const cluster = newCluster();
    await expectError(() => cluster.groups.joinGroup(joinRequest('nope', { memberId: 'ghost' })), 'UNKNOWN_MEMBER_ID');
    await expectError(() => cluster.groups.syncGroup({ groupId: 'nope', generationId: 1, memberId: 'ghost' }), 'UNKNOWN_MEMBER_ID');
    await expectError(() => cluster.groups.heartbeat({ groupId: 'nope', generationId: 1, memberId: 'ghost' }), 'UNKNOWN_MEMBER_ID');
    await expectError(() => cluster.groups.leaveGroup({ groupId: 'nope', memberId: 'ghost' }), 'UNKNOWN_MEMBER_ID');
    await stable(cluster);
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { memberId: 'ghost' })), 'UNKNOWN_MEMBER_ID');
    await expectError(() => cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId: 'ghost' }), 'UNKNOWN_MEMBER_ID');
    await expectError(() => cluster.groups.heartbeat({ groupId: 'g', generationId: 1, memberId: 'ghost' }), 'UNKNOWN_MEMBER_ID');
    await expectError(() => cluster.groups.leaveGroup({ groupId: 'g', memberId: 'ghost' }), 'UNKNOWN_MEMBER_ID');
    await expectError(
      () =>
        cluster.groups.offsetCommit({ groupId: 'g', generationId: 1, memberId: 'ghost', topics: [{ topic: 't', partitions: [{ partition: 0, offset: 1 }] }] }),
      'UNKNOWN_MEMBER_ID',
    );
    await expectError(() => cluster.groups.leaveGroup({ groupId: 'g', memberId: '', groupInstanceId: 'nobody' }), 'UNKNOWN_MEMBER_ID');
  });

  it('UNKNOWN_MEMBER_ID for a member of a group that has become Empty', async () => {
    const cluster = newCluster();
    const memberId = await stable(cluster);
    cluster.groups.leaveGroup({ groupId: 'g', memberId });
    await expectError(() => cluster.groups.heartbeat({ groupId: 'g', generationId: 1, memberId }), 'UNKNOWN_MEMBER_ID');
    await expectError(() => cluster.groups.syncGroup({ groupId: 'g', generationId: 2, memberId }), 'UNKNOWN_MEMBER_ID');
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { memberId })), 'UNKNOWN_MEMBER_ID');
  });

  it('ILLEGAL_GENERATION for requests from another generation', async () => {
    const cluster = newCluster();
    const memberId = await stable(cluster);
    await expectError(() => cluster.groups.heartbeat({ groupId: 'g', generationId: 0, memberId }), 'ILLEGAL_GENERATION');
    await expectError(() => cluster.groups.syncGroup({ groupId: 'g', generationId: 7, memberId }), 'ILLEGAL_GENERATION');
    await expectError(
      () => cluster.groups.offsetCommit({ groupId: 'g', generationId: 0, memberId, topics: [{ topic: 't', partitions: [{ partition: 0, offset: 1 }] }] }),
      'ILLEGAL_GENERATION',
    );
    // A group-managed commit to a group that does not exist.
    await expectError(
      () =>
        cluster.groups.offsetCommit({ groupId: 'other', generationId: 3, memberId: 'm', topics: [{ topic: 't', partitions: [{ partition: 0, offset: 1 }] }] }),
      'ILLEGAL_GENERATION',
    );
    expect(cluster.groups.describeGroup('other').state).to.equal('Dead');
  });

  it('REBALANCE_IN_PROGRESS: heartbeat and sync during PreparingRebalance, commit during CompletingRebalance', async () => {
    const cluster = newCluster();
    const a = await stable(cluster);
    const b = await startJoin(cluster, joinRequest('g', { clientId: 'b' }));
    expect(cluster.groups.describeGroup('g').state).to.equal('PreparingRebalance');
    await expectError(() => cluster.groups.heartbeat({ groupId: 'g', generationId: 1, memberId: a }), 'REBALANCE_IN_PROGRESS');
    await expectError(() => cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId: a }), 'REBALANCE_IN_PROGRESS');
    // The current generation may still commit while the group prepares to rebalance.
    cluster.groups.offsetCommit({ groupId: 'g', generationId: 1, memberId: a, topics: [{ topic: 't', partitions: [{ partition: 0, offset: 5 }] }] });
    const rejoin = cluster.groups.joinGroup(joinRequest('g', { memberId: a }));
    const join = await rejoin;
    await b.joined;
    expect(cluster.groups.describeGroup('g').state).to.equal('CompletingRebalance');
    await expectError(
      () =>
        cluster.groups.offsetCommit({
          groupId: 'g',
          generationId: join.generationId,
          memberId: a,
          topics: [{ topic: 't', partitions: [{ partition: 0, offset: 6 }] }],
        }),
      'REBALANCE_IN_PROGRESS',
    );
    // Heartbeats during CompletingRebalance are fine.
    cluster.groups.heartbeat({ groupId: 'g', generationId: join.generationId, memberId: a });
  });

  it('NON_EMPTY_GROUP and GROUP_ID_NOT_FOUND from deleteGroups', async () => {
    const cluster = newCluster();
    await stable(cluster);
    const [inUse, unknown] = cluster.groups.deleteGroups(['g', 'unknown']);
    expect(inUse!.error?.type).to.equal('NON_EMPTY_GROUP');
    expect(unknown!.error?.type).to.equal('GROUP_ID_NOT_FOUND');
  });

  it('GROUP_ID_NOT_FOUND, GROUP_SUBSCRIBED_TO_TOPIC and NON_EMPTY_GROUP from deleteOffsets', async () => {
    const cluster = newCluster();
    const memberId = await stable(cluster);
    cluster.createTopic({ topic: 'other' });
    cluster.groups.offsetCommit({
      groupId: 'g',
      generationId: 1,
      memberId,
      topics: [
        { topic: 't', partitions: [{ partition: 0, offset: 4 }] },
        { topic: 'other', partitions: [{ partition: 0, offset: 2 }] },
      ],
    });
    await expectError(() => cluster.groups.deleteOffsets({ groupId: 'unknown', topics: [{ topic: 't', partitions: [0] }] }), 'GROUP_ID_NOT_FOUND');
    await expectError(
      () =>
        cluster.groups.deleteOffsets({
          groupId: 'g',
          topics: [
            { topic: 't', partitions: [0] },
            { topic: 'other', partitions: [0] },
          ],
        }),
      'GROUP_SUBSCRIBED_TO_TOPIC',
    );
    // The offset of the topic the group does not subscribe to was deleted anyway.
    const fetched = cluster.groups.offsetFetch({
      groupId: 'g',
      topics: [
        { topic: 't', partitions: [0] },
        { topic: 'other', partitions: [0] },
      ],
    });
    expect(fetched.map((t) => t.partitions[0]!.offset)).to.deep.equal([4, -1]);

    const { memberId: m, joined } = await startJoin(
      cluster,
      joinRequest('connect-group', { protocolType: 'connect', protocols: [{ name: 'default', metadata: Buffer.from('x') }] }),
    );
    await cluster.advance(0);
    await joined;
    void m;
    await expectError(() => cluster.groups.deleteOffsets({ groupId: 'connect-group', topics: [{ topic: 't', partitions: [0] }] }), 'NON_EMPTY_GROUP');
  });

  it('OFFSET_METADATA_TOO_LARGE and UNKNOWN_TOPIC_OR_PARTITION fail only their partitions', async () => {
    const cluster = newCluster();
    cluster.createTopic({ topic: 't', numPartitions: 2 });
    const commit = (partitions: { partition: number; offset: number; metadata?: string }[], topic = 't') =>
      cluster.groups.offsetCommit({ groupId: 'g', generationId: -1, memberId: '', topics: [{ topic, partitions }] });
    await expectError(
      () =>
        commit([
          { partition: 0, offset: 1, metadata: 'x'.repeat(4097) },
          { partition: 1, offset: 9 },
        ]),
      'OFFSET_METADATA_TOO_LARGE',
    );
    commit([{ partition: 0, offset: 2, metadata: 'x'.repeat(4096) }]);
    await expectError(() => commit([{ partition: 5, offset: 1 }]), 'UNKNOWN_TOPIC_OR_PARTITION');
    await expectError(() => commit([{ partition: 0, offset: 1 }], 'missing'), 'UNKNOWN_TOPIC_OR_PARTITION');
    const fetched = cluster.groups.offsetFetch({ groupId: 'g', topics: [{ topic: 't' }] })[0]!.partitions;
    expect(fetched.map((p) => [p.offset, p.metadata?.length ?? null])).to.deep.equal([
      [2, 4096],
      [9, null],
    ]);
  });

  it('a standalone commit to a group with members is UNKNOWN_MEMBER_ID; setOffsets says why', async () => {
    const cluster = newCluster();
    await stable(cluster);
    await expectError(
      () => cluster.groups.offsetCommit({ groupId: 'g', generationId: -1, memberId: '', topics: [{ topic: 't', partitions: [{ partition: 0, offset: 1 }] }] }),
      'UNKNOWN_MEMBER_ID',
    );
    const e = await expectError(() => cluster.groups.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: 0 }] }), 'UNKNOWN_MEMBER_ID');
    expect(e.message).to.match(/only be set while it has no members; it is Stable with 1 member/);
    await expectError(() => cluster.groups.resetOffsets({ groupId: 'g', topic: 't', earliest: true }), 'UNKNOWN_MEMBER_ID');
  });

  it('NOT_COORDINATOR_FOR_GROUP from a broker that is not the coordinator; connection errors from unreachable ones', async () => {
    const cluster = newCluster({ brokers: 3 });
    const coordinator = cluster.groups.findCoordinator('g').nodeId;
    const other = [1, 2, 3].find((b) => b !== coordinator)!;
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { broker: other })), 'NOT_COORDINATOR_FOR_GROUP');
    await expectError(() => cluster.groups.heartbeat({ groupId: 'g', generationId: 1, memberId: 'm', broker: other }), 'NOT_COORDINATOR_FOR_GROUP');
    await expectError(() => cluster.groups.offsetFetch({ groupId: 'g', broker: other }), 'NOT_COORDINATOR_FOR_GROUP');
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { broker: coordinator })), 'MEMBER_ID_REQUIRED');
    cluster.isolateBroker(coordinator);
    await expectError(() => cluster.groups.joinGroup(joinRequest('g')), 'KafkaJSConnectionError');
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { broker: coordinator })), 'KafkaJSConnectionError');
    cluster.healBroker(coordinator);
    cluster.stopBroker(other);
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { broker: other })), 'KafkaJSConnectionError');
    expect(() => cluster.groups.heartbeat({ groupId: 'g', generationId: 1, memberId: 'm', broker: 9 })).to.throw(RangeError);
  });

  it('GROUP_COORDINATOR_NOT_AVAILABLE when the group partition has no leader', async () => {
    const cluster = newCluster({ brokers: 2, config: { 'offsets.topic.replication.factor': 1 } });
    const coordinator = cluster.groups.findCoordinator('g').nodeId;
    cluster.stopBroker(coordinator);
    await expectError(() => cluster.groups.findCoordinator('g'), 'GROUP_COORDINATOR_NOT_AVAILABLE');
    await expectError(() => cluster.groups.joinGroup(joinRequest('g')), 'GROUP_COORDINATOR_NOT_AVAILABLE');
    const alive = coordinator === 1 ? 2 : 1;
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { broker: alive })), 'NOT_COORDINATOR_FOR_GROUP');
    cluster.startBroker(coordinator);
    expect(cluster.groups.findCoordinator('g').nodeId).to.equal(coordinator);
  });

  it('GROUP_COORDINATOR_NOT_AVAILABLE when no broker runs to create __consumer_offsets', async () => {
    const cluster = newCluster();
    cluster.stopBroker(1);
    await expectError(() => cluster.groups.findCoordinator('g'), 'GROUP_COORDINATOR_NOT_AVAILABLE');
  });

  it('FENCED_INSTANCE_ID for the old instance of a static member', async () => {
    const cluster = newCluster();
    cluster.createTopic({ topic: 't' });
    const first = cluster.groups.joinGroup(joinRequest('g', { groupInstanceId: 'i-1' }));
    await cluster.advance(0);
    const old = await first;
    await cluster.groups.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: old.memberId,
      groupInstanceId: 'i-1',
      assignments: [{ memberId: old.memberId, memberAssignment: encodeAssignment(new Map([['t', [0]]])) }],
    });
    // A new instance with the same group.instance.id takes over without a rebalance.
    const replaced = await cluster.groups.joinGroup(joinRequest('g', { groupInstanceId: 'i-1' }));
    expect(replaced.memberId).to.not.equal(old.memberId);
    expect(replaced.generationId).to.equal(1);
    expect(replaced.leaderId).to.equal(old.memberId);
    expect(cluster.groups.describeGroup('g').state).to.equal('Stable');
    await expectError(() => cluster.groups.heartbeat({ groupId: 'g', generationId: 1, memberId: old.memberId, groupInstanceId: 'i-1' }), 'FENCED_INSTANCE_ID');
    await expectError(
      () =>
        cluster.groups.offsetCommit({
          groupId: 'g',
          generationId: 1,
          memberId: old.memberId,
          groupInstanceId: 'i-1',
          topics: [{ topic: 't', partitions: [{ partition: 0, offset: 1 }] }],
        }),
      'FENCED_INSTANCE_ID',
    );
    const sync = await cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId: replaced.memberId, groupInstanceId: 'i-1' });
    expect(sync.memberAssignment.length).to.be.greaterThan(0);
    cluster.groups.leaveGroup({ groupId: 'g', memberId: '', groupInstanceId: 'i-1' });
    expect(cluster.groups.describeGroup('g').state).to.equal('Empty');
  });

  it('INVALID_REQUEST for malformed input', async () => {
    const cluster = newCluster();
    cluster.createTopic({ topic: 't' });
    await expectError(
      () => cluster.groups.joinGroup(joinRequest('g', { protocols: [{ name: 'x', metadata: 'nope' as unknown as Buffer }] })),
      'INVALID_REQUEST',
    );
    await expectError(
      () =>
        cluster.groups.offsetCommit({ groupId: 'g', generationId: -1, memberId: '', topics: [{ topic: 't', partitions: [{ partition: 0, offset: 1.5 }] }] }),
      'INVALID_REQUEST',
    );
  });
});
