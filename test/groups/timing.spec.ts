import { expect } from 'chai';
import { eventsOf, expectError, joinRequest, memberIdFor, newCluster, startJoin, track, transitions } from './helpers.js';

describe('groups: timing on the cluster clock', () => {
  describe('group.initial.rebalance.delay.ms', () => {
    it('holds the first rebalance of an Empty group for the delay', async () => {
      const cluster = newCluster({ config: { 'group.initial.rebalance.delay.ms': 3000 } });
      const { joined } = await startJoin(cluster, joinRequest('g'));
      const t = track(joined);
      await cluster.advance(2999);
      expect(t.settled()).to.equal(false);
      await cluster.advance(1);
      expect(t.settled()).to.equal(true);
      expect(cluster.now()).to.equal(3000);
    });

    it('extends by the delay for each wave of new members, within the rebalance timeout', async () => {
      const cluster = newCluster({ config: { 'group.initial.rebalance.delay.ms': 3000 } });
      const a = await startJoin(cluster, joinRequest('g', { rebalanceTimeout: 10000 }));
      const t = track(a.joined);
      await cluster.advance(2000);
      await startJoin(cluster, joinRequest('g', { rebalanceTimeout: 10000 }));
      // First check at 3000 finds a new member: wait min(3000, 10000 - 3000) more.
      await cluster.advance(3999);
      expect(t.settled()).to.equal(false);
      await cluster.advance(1);
      expect(t.settled()).to.equal(true);
      expect(t.value()!.generationId).to.equal(1);
      expect(cluster.groups.describeGroup('g').members).to.have.length(2);
    });

    it('never waits past the rebalance timeout', async () => {
      const cluster = newCluster({ config: { 'group.initial.rebalance.delay.ms': 3000 } });
      const a = await startJoin(cluster, joinRequest('g', { rebalanceTimeout: 4000 }));
      const t = track(a.joined);
      await cluster.advance(1000);
      await startJoin(cluster, joinRequest('g', { rebalanceTimeout: 4000 }));
      await cluster.advance(2500);
      await startJoin(cluster, joinRequest('g', { rebalanceTimeout: 4000 }));
      // 3000: new member, 1000 ms remain -> one more wait of 1000; at 4000 none remain.
      await cluster.advance(499);
      expect(t.settled()).to.equal(false);
      await cluster.advance(1);
      expect(t.settled()).to.equal(true);
      expect(cluster.now()).to.equal(4000);
      expect(cluster.groups.describeGroup('g').members).to.have.length(3);
    });

    it('does not delay a rebalance of a group that is not Empty', async () => {
      const cluster = newCluster({ config: { 'group.initial.rebalance.delay.ms': 3000 } });
      const { memberId, joined } = await startJoin(cluster, joinRequest('g'));
      await cluster.advance(3000);
      await joined;
      await cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId });
      const rejoin = track(cluster.groups.joinGroup(joinRequest('g', { memberId })));
      await cluster.advance(0);
      expect(rejoin.settled()).to.equal(true);
    });
  });

  describe('session timeout', () => {
    it('removes a member that stops heartbeating and rebalances the rest', async () => {
      const cluster = newCluster();
      const a = await startJoin(cluster, joinRequest('g', { clientId: 'a', sessionTimeout: 10000 }));
      const b = await startJoin(cluster, joinRequest('g', { clientId: 'b', sessionTimeout: 10000 }));
      await cluster.advance(0);
      await a.joined;
      await b.joined;
      await Promise.all([a, b].map((m) => cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId: m.memberId })));
      // a heartbeats every 3 s, b falls silent.
      for (let i = 0; i < 3; i++) {
        await cluster.advance(3000);
        cluster.groups.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId });
      }
      await cluster.advance(999);
      expect(cluster.groups.describeGroup('g').members).to.have.length(2);
      await cluster.advance(1);
      const expired = eventsOf(cluster, 'group-member-expired');
      expect(expired.map((e) => [e.memberId, e.reason, e.time])).to.deep.equal([[b.memberId, 'session-timeout', 10000]]);
      expect(cluster.groups.describeGroup('g').state).to.equal('PreparingRebalance');
      await expectError(() => cluster.groups.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId }), 'REBALANCE_IN_PROGRESS');
      await expectError(() => cluster.groups.heartbeat({ groupId: 'g', generationId: 1, memberId: b.memberId }), 'UNKNOWN_MEMBER_ID');
      const rejoin = await cluster.groups.joinGroup(joinRequest('g', { memberId: a.memberId }));
      expect(rejoin.generationId).to.equal(2);
      expect(rejoin.members.map((m) => m.memberId)).to.deep.equal([a.memberId]);
    });

    it('spares members parked in JoinGroup or SyncGroup', async () => {
      const cluster = newCluster();
      const a = await startJoin(cluster, joinRequest('g', { clientId: 'a', sessionTimeout: 6000, rebalanceTimeout: 60000 }));
      const b = await startJoin(cluster, joinRequest('g', { clientId: 'b', sessionTimeout: 6000, rebalanceTimeout: 60000 }));
      await cluster.advance(0);
      const [ja] = [await a.joined, await b.joined];
      const follower = ja.leaderId === a.memberId ? b : a;
      const leader = follower === a ? b : a;
      const parked = track(cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId: follower.memberId }));
      await cluster.advance(5999);
      expect(parked.settled()).to.equal(false);
      await cluster.advance(1);
      // The follower waits in SyncGroup (spared); the leader neither synced nor heartbeat, so
      // its session ended and the rebalance that follows fails the parked sync.
      expect(eventsOf(cluster, 'group-member-expired').map((e) => [e.memberId, e.reason])).to.deep.equal([[leader.memberId, 'session-timeout']]);
      expect(parked.settled()).to.equal(true);
      expect((parked.error() as { type: string }).type).to.equal('REBALANCE_IN_PROGRESS');
    });
  });

  describe('rebalance timeout', () => {
    it('removes members that do not rejoin before the join phase ends', async () => {
      const cluster = newCluster();
      const a = await startJoin(cluster, joinRequest('g', { clientId: 'a', sessionTimeout: 30000, rebalanceTimeout: 5000 }));
      const b = await startJoin(cluster, joinRequest('g', { clientId: 'b', sessionTimeout: 30000, rebalanceTimeout: 5000 }));
      await cluster.advance(0);
      await a.joined;
      await b.joined;
      await Promise.all([a, b].map((m) => cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId: m.memberId })));
      const c = await startJoin(cluster, joinRequest('g', { clientId: 'c', sessionTimeout: 30000, rebalanceTimeout: 5000 }));
      const aRejoin = track(cluster.groups.joinGroup(joinRequest('g', { clientId: 'a', memberId: a.memberId, sessionTimeout: 30000, rebalanceTimeout: 5000 })));
      await cluster.advance(4999);
      expect(aRejoin.settled()).to.equal(false);
      await cluster.advance(1);
      expect(aRejoin.settled()).to.equal(true);
      expect(eventsOf(cluster, 'group-member-expired').map((e) => [e.memberId, e.reason])).to.deep.equal([[b.memberId, 'rebalance-timeout']]);
      expect((await c.joined).generationId).to.equal(2);
      expect(new Set(cluster.groups.describeGroup('g').members.map((m) => m.memberId))).to.deep.equal(new Set([a.memberId, c.memberId]));
    });

    it('elects a new leader when the leader does not rejoin', async () => {
      const cluster = newCluster();
      const a = await startJoin(cluster, joinRequest('g', { clientId: 'a', rebalanceTimeout: 5000 }));
      const b = await startJoin(cluster, joinRequest('g', { clientId: 'b', rebalanceTimeout: 5000 }));
      await cluster.advance(0);
      const ja = await a.joined;
      await b.joined;
      const leader = ja.leaderId === a.memberId ? a : b;
      const other = leader === a ? b : a;
      await Promise.all([a, b].map((m) => cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId: m.memberId })));
      cluster.groups
        .joinGroup(
          joinRequest('g', { memberId: other.memberId, rebalanceTimeout: 5000, protocols: [{ name: 'roundrobin', metadata: Buffer.from('changed') }] }),
        )
        .catch(() => undefined);
      const joined = track(cluster.groups.joinGroup(joinRequest('g', { memberId: other.memberId, rebalanceTimeout: 5000 })));
      await cluster.advance(5000);
      expect(joined.value()!.leaderId).to.equal(other.memberId);
      expect(joined.value()!.members.map((m) => m.memberId)).to.deep.equal([other.memberId]);
    });
  });

  describe('sync phase', () => {
    it('removes a leader that never syncs; the waiting followers are told to rejoin', async () => {
      const cluster = newCluster();
      const a = await startJoin(cluster, joinRequest('g', { clientId: 'a', sessionTimeout: 30000, rebalanceTimeout: 5000 }));
      const b = await startJoin(cluster, joinRequest('g', { clientId: 'b', sessionTimeout: 30000, rebalanceTimeout: 5000 }));
      await cluster.advance(0);
      const ja = await a.joined;
      await b.joined;
      const leader = ja.leaderId === a.memberId ? a : b;
      const follower = leader === a ? b : a;
      const parked = track(cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId: follower.memberId }));
      await cluster.advance(4999);
      expect(parked.settled()).to.equal(false);
      await cluster.advance(1);
      expect((parked.error() as { type: string }).type).to.equal('REBALANCE_IN_PROGRESS');
      expect(eventsOf(cluster, 'group-member-expired').map((e) => [e.memberId, e.reason])).to.deep.equal([[leader.memberId, 'sync-timeout']]);
      expect(transitions(cluster, 'g').slice(-1)).to.deep.equal(['CompletingRebalance->PreparingRebalance']);
    });

    it('removes followers that never sync once the group is Stable', async () => {
      const cluster = newCluster();
      const a = await startJoin(cluster, joinRequest('g', { clientId: 'a', sessionTimeout: 30000, rebalanceTimeout: 5000 }));
      const b = await startJoin(cluster, joinRequest('g', { clientId: 'b', sessionTimeout: 30000, rebalanceTimeout: 5000 }));
      await cluster.advance(0);
      const ja = await a.joined;
      await b.joined;
      const leader = ja.leaderId === a.memberId ? a : b;
      const follower = leader === a ? b : a;
      await cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId: leader.memberId });
      expect(cluster.groups.describeGroup('g').state).to.equal('Stable');
      await cluster.advance(5000);
      expect(eventsOf(cluster, 'group-member-expired').map((e) => [e.memberId, e.reason])).to.deep.equal([[follower.memberId, 'sync-timeout']]);
      expect(cluster.groups.describeGroup('g').state).to.equal('PreparingRebalance');
    });
  });

  describe('new members', () => {
    it('a pending member (MEMBER_ID_REQUIRED) that never comes back holds the join phase until its session times out', async () => {
      const cluster = newCluster();
      const a = await startJoin(cluster, joinRequest('g', { clientId: 'a', rebalanceTimeout: 60000 }));
      await cluster.advance(0);
      await a.joined;
      await cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId });
      await memberIdFor(cluster, joinRequest('g', { clientId: 'ghost', sessionTimeout: 7000 }));
      const rejoin = track(cluster.groups.joinGroup(joinRequest('g', { memberId: a.memberId, rebalanceTimeout: 60000 })));
      await cluster.advance(6999);
      expect(rejoin.settled()).to.equal(false);
      await cluster.advance(1);
      expect(rejoin.value()!.generationId).to.equal(2);
    });

    it('a new member parked in JoinGroup for 5 minutes is dropped', async () => {
      const cluster = newCluster();
      const a = await startJoin(cluster, joinRequest('g', { clientId: 'a', sessionTimeout: 1800000, rebalanceTimeout: 1800000 }));
      await cluster.advance(0);
      await a.joined;
      await cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId });
      const b = await startJoin(cluster, joinRequest('g', { clientId: 'b', sessionTimeout: 1800000, rebalanceTimeout: 1800000 }));
      const t = track(b.joined);
      await cluster.advance(300000);
      expect((t.error() as { type: string }).type).to.equal('UNKNOWN_MEMBER_ID');
      expect(eventsOf(cluster, 'group-member-expired').map((e) => [e.memberId, e.reason])).to.deep.equal([[b.memberId, 'new-member-join-timeout']]);
    });
  });
});
