import { expect } from 'chai';
import { GroupHarness } from './harness.js';
import { eventsOf, expectError, joinRequest, newCluster, startJoin, track } from './helpers.js';

describe('groups: coordinator failover', () => {
  it('moves the group when the coordinator broker stops; the old one answers NOT_COORDINATOR; offsets survive', async () => {
    const cluster = newCluster({ brokers: 3, config: { 'group.initial.rebalance.delay.ms': 3000 } });
    cluster.createTopic({ topic: 't', numPartitions: 4, replicationFactor: 3 });
    const harness = new GroupHarness(cluster, 'app', { topics: ['t'] });
    const [c1, c2] = [harness.add(), harness.add()];
    expect(await harness.settle()).to.equal(true);
    c1.consume(5);
    c2.consume(7);
    expect(c1.commit() && c2.commit()).to.equal(true);
    const before = cluster.groups.offsetFetch({ groupId: 'app' });
    const generation = cluster.groups.describeGroup('app').generationId;

    const old = cluster.groups.findCoordinator('app').nodeId;
    cluster.stopBroker(old);
    const moved = cluster.groups.findCoordinator('app').nodeId;
    expect(moved).to.not.equal(old);
    expect(eventsOf(cluster, 'group-coordinator-moved').map((e) => [e.groupId, e.from, e.to])).to.deep.equal([['app', old, moved]]);
    // The new coordinator loaded the group as it was stored: same generation, same members.
    const loaded = cluster.groups.describeGroup('app');
    expect(loaded.state).to.equal('Stable');
    expect(loaded.generationId).to.equal(generation);
    expect(cluster.groups.offsetFetch({ groupId: 'app' })).to.deep.equal(before);

    // While stopped the old broker cannot be reached at all; restarted, it is not the coordinator.
    await expectError(
      () => cluster.groups.heartbeat({ groupId: 'app', generationId: generation, memberId: c1.memberId, broker: old }),
      'KafkaJSConnectionError',
    );
    cluster.startBroker(old);
    await expectError(
      () => cluster.groups.heartbeat({ groupId: 'app', generationId: generation, memberId: c1.memberId, broker: old }),
      'NOT_COORDINATOR_FOR_GROUP',
    );
    await expectError(() => cluster.groups.offsetFetch({ groupId: 'app', broker: old }), 'NOT_COORDINATOR_FOR_GROUP');
    cluster.groups.heartbeat({ groupId: 'app', generationId: generation, memberId: c1.memberId, broker: moved });

    // The clients rediscover the coordinator and carry on without a rebalance.
    await cluster.advance(10000);
    expect(harness.isSettled()).to.equal(true);
    expect(cluster.groups.describeGroup('app').generationId).to.equal(generation);
    expect(c1.errors).to.include('NOT_COORDINATOR_FOR_GROUP');

    // Preferred leader election later moves the coordinator back: offsets still intact.
    await cluster.advance(300000);
    expect(cluster.groups.findCoordinator('app').nodeId).to.equal(old);
    expect(await harness.settle()).to.equal(true);
    expect(cluster.groups.offsetFetch({ groupId: 'app' })).to.deep.equal(before);
  });

  it('fails a SyncGroup parked on the old coordinator with NOT_COORDINATOR', async () => {
    const cluster = newCluster({ brokers: 3 });
    const a = await startJoin(cluster, joinRequest('g', { clientId: 'a' }));
    const b = await startJoin(cluster, joinRequest('g', { clientId: 'b' }));
    await cluster.advance(0);
    const ja = await a.joined;
    await b.joined;
    const follower = ja.leaderId === a.memberId ? b : a;
    const parked = track(cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId: follower.memberId }));
    cluster.stopBroker(cluster.groups.findCoordinator('g').nodeId);
    await cluster.advance(0);
    expect((parked.error() as { type: string }).type).to.equal('NOT_COORDINATOR_FOR_GROUP');
  });

  it('fails JoinGroups parked on the old coordinator with NOT_COORDINATOR', async () => {
    const cluster = newCluster({ brokers: 3 });
    const a = await startJoin(cluster, joinRequest('g', { clientId: 'a' }));
    const b = await startJoin(cluster, joinRequest('g', { clientId: 'b' }));
    await cluster.advance(0);
    const ja = await a.joined;
    await b.joined;
    const leader = ja.leaderId === a.memberId ? a : b;
    const follower = leader === a ? b : a;
    await cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId: leader.memberId });
    await cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId: follower.memberId });
    // A rebalance is under way: the leader rejoined and waits for the follower.
    const parkedJoin = track(cluster.groups.joinGroup(joinRequest('g', { memberId: leader.memberId })));
    const c = await startJoin(cluster, joinRequest('g', { clientId: 'c' }));
    const parkedNew = track(c.joined);
    await cluster.advance(0);
    expect(parkedJoin.settled()).to.equal(false);
    cluster.stopBroker(cluster.groups.findCoordinator('g').nodeId);
    await cluster.advance(0);
    expect((parkedJoin.error() as { type: string }).type).to.equal('NOT_COORDINATOR_FOR_GROUP');
    expect((parkedNew.error() as { type: string }).type).to.equal('NOT_COORDINATOR_FOR_GROUP');
    // The group is back to what was stored at generation 1, Stable, on the new coordinator; the
    // rebalance has to start over there.
    const d = cluster.groups.describeGroup('g');
    expect([d.state, d.generationId, d.members.length]).to.deep.equal(['Stable', 1, 2]);
  });

  it('a group that never stored anything is unknown to the new coordinator', async () => {
    const cluster = newCluster({ brokers: 3 });
    const a = await startJoin(cluster, joinRequest('g'));
    const t = track(a.joined);
    cluster.stopBroker(cluster.groups.findCoordinator('g').nodeId);
    await cluster.advance(0);
    expect((t.error() as { type: string }).type).to.equal('NOT_COORDINATOR_FOR_GROUP');
    expect(cluster.groups.describeGroup('g').state).to.equal('Dead');
    await expectError(() => cluster.groups.joinGroup(joinRequest('g', { memberId: a.memberId })), 'UNKNOWN_MEMBER_ID');
  });

  it('a group whose partition loses its leader is unavailable until it comes back', async () => {
    const cluster = newCluster({ brokers: 2, config: { 'offsets.topic.replication.factor': 1 } });
    cluster.createTopic({ topic: 't' });
    cluster.groups.offsetCommit({ groupId: 'g', generationId: -1, memberId: '', topics: [{ topic: 't', partitions: [{ partition: 0, offset: 5 }] }] });
    const coordinator = cluster.groups.findCoordinator('g').nodeId;
    cluster.stopBroker(coordinator);
    await expectError(() => cluster.groups.offsetFetch({ groupId: 'g' }), 'GROUP_COORDINATOR_NOT_AVAILABLE');
    expect(cluster.groups.listGroups()).to.deep.equal([]);
    cluster.startBroker(coordinator);
    expect(cluster.groups.offsetFetch({ groupId: 'g' })[0]!.partitions[0]!.offset).to.equal(5);
    expect(eventsOf(cluster, 'group-coordinator-moved').map((e) => [e.from, e.to])).to.deep.equal([
      [coordinator, -1],
      [-1, coordinator],
    ]);
  });
});
