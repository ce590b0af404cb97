import { expect } from 'chai';
import { encodeAssignment } from './harness.js';
import { expectError, joinRequest, newCluster, protocols } from './helpers.js';

describe('groups: static members and offset resets', () => {
  /** A static member `i-1`, joined (generation 1) but not yet synced. */
  async function joinedStatic(cluster: ReturnType<typeof newCluster>) {
    cluster.createTopic({ topic: 't' });
    const first = cluster.groups.joinGroup(joinRequest('g', { groupInstanceId: 'i-1' }));
    await cluster.advance(0);
    return first;
  }

  it('a new instance of a static member during CompletingRebalance rebalances, so the leader does not assign the old id', async () => {
    const cluster = newCluster();
    const old = await joinedStatic(cluster);
    expect(cluster.groups.describeGroup('g').state).to.equal('CompletingRebalance');
    const replaced = await cluster.groups.joinGroup(joinRequest('g', { groupInstanceId: 'i-1' }));
    expect([replaced.generationId, replaced.leaderId]).to.deep.equal([2, replaced.memberId]);
    expect(replaced.members.map((m) => m.memberId)).to.deep.equal([replaced.memberId]);
    await expectError(() => cluster.groups.heartbeat({ groupId: 'g', generationId: 2, memberId: old.memberId, groupInstanceId: 'i-1' }), 'FENCED_INSTANCE_ID');
  });

  it('a new instance of a static member that changes the selected protocol rebalances a Stable group', async () => {
    const cluster = newCluster();
    const old = await joinedStatic(cluster);
    await cluster.groups.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: old.memberId,
      groupInstanceId: 'i-1',
      assignments: [{ memberId: old.memberId, memberAssignment: encodeAssignment(new Map([['t', [0]]])) }],
    });
    const replaced = await cluster.groups.joinGroup(joinRequest('g', { groupInstanceId: 'i-1', protocols: protocols(['t'], ['range', 'roundrobin']) }));
    expect([replaced.generationId, replaced.protocolName]).to.deep.equal([2, 'range']);
  });

  it('resetOffsets needs every partition of the topic to have a reachable leader', async () => {
    const cluster = newCluster({ brokers: 2 });
    cluster.createTopic({ topic: 't', replicaAssignment: [[2]] });
    await expectError(() => cluster.groups.resetOffsets({ groupId: 'g', topic: 'missing' }), 'UNKNOWN_TOPIC_OR_PARTITION');
    cluster.isolateBroker(2);
    const isolated = await expectError(() => cluster.groups.resetOffsets({ groupId: 'g', topic: 't' }), 'KafkaJSConnectionError');
    expect(isolated.message).to.equal('Connection error: broker 2 is isolated from the network (it leads t-0)');
    cluster.healBroker(2);
    cluster.stopBroker(2);
    const offline = await expectError(() => cluster.groups.resetOffsets({ groupId: 'g', topic: 't', earliest: true }), 'LEADER_NOT_AVAILABLE');
    expect(offline.message).to.equal('There is no leader for t-0: no in-sync replica is running');
    await expectError(() => cluster.groups.offsetFetch({ groupId: 'g', topics: [{ topic: 'missing' }] }), 'UNKNOWN_TOPIC_OR_PARTITION');
  });
});
