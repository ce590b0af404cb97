import { expect } from 'chai';
import { encodeAssignment, subscription } from './harness.js';
import { expectError, joinRequest, newCluster, startJoin } from './helpers.js';

describe('groups: describe and list', () => {
  it('describes members with metadata and assignment only once the group is Stable', async () => {
    const cluster = newCluster();
    cluster.createTopic({ topic: 't' });
    const { memberId, joined } = await startJoin(cluster, joinRequest('g', { clientId: 'app', clientHost: '/10.0.0.7' }));
    await cluster.advance(0);
    await joined;
    const completing = cluster.groups.describeGroup('g');
    expect(completing).to.deep.include({
      groupId: 'g',
      state: 'CompletingRebalance',
      protocolType: 'consumer',
      protocol: '',
      generationId: 1,
      leaderId: memberId,
    });
    expect(completing.members).to.deep.equal([
      { memberId, groupInstanceId: null, clientId: 'app', clientHost: '/10.0.0.7', memberMetadata: Buffer.alloc(0), memberAssignment: Buffer.alloc(0) },
    ]);
    const assignment = encodeAssignment(new Map([['t', [0]]]));
    await cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId, assignments: [{ memberId, memberAssignment: assignment }] });
    const stable = cluster.groups.describeGroup('g');
    expect(stable.protocol).to.equal('roundrobin');
    expect(stable.members[0]!.memberMetadata).to.deep.equal(subscription(['t']));
    expect(stable.members[0]!.memberAssignment).to.deep.equal(assignment);
    expect(cluster.groups.describeGroups(['g', 'none']).map((d) => d.state)).to.deep.equal(['Stable', 'Dead']);
  });

  it('lists groups, by state and by broker', async () => {
    const cluster = newCluster({ brokers: 3 });
    cluster.createTopic({ topic: 't' });
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) {
      cluster.groups.offsetCommit({ groupId: id, generationId: -1, memberId: '', topics: [{ topic: 't', partitions: [{ partition: 0, offset: 1 }] }] });
    }
    const { joined } = await startJoin(cluster, joinRequest('live'));
    await cluster.advance(0);
    await joined;
    expect(cluster.groups.listGroups().map((g) => g.groupId)).to.have.members(['a', 'b', 'c', 'd', 'e', 'f', 'live']);
    expect(cluster.groups.listGroups({ states: ['CompletingRebalance'] })).to.deep.equal([
      { groupId: 'live', protocolType: 'consumer', groupState: 'CompletingRebalance' },
    ]);
    const byBroker = [1, 2, 3].flatMap((broker) => cluster.groups.listGroups({ broker }).map((g) => [g.groupId, broker]));
    expect(byBroker).to.have.length(7);
    for (const [groupId, broker] of byBroker) expect(cluster.groups.findCoordinator(groupId as string).nodeId).to.equal(broker);
    // Groups move with their coordinator; 'live' has stored nothing yet, so it must stay where it is.
    const stop = [1, 2, 3].find((b) => b !== cluster.groups.findCoordinator('live').nodeId)!;
    cluster.stopBroker(stop);
    expect(cluster.groups.listGroups().map((g) => g.groupId)).to.have.members(['a', 'b', 'c', 'd', 'e', 'f', 'live']);
    await expectError(() => cluster.groups.listGroups({ broker: stop }), 'KafkaJSConnectionError');
  });
});
