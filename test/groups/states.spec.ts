import { expect } from 'chai';
import { ClassicGroup, GroupStates, VALID_PREVIOUS_STATES, type GroupState } from '../../emulator/groups/group.js';
import { encodeAssignment } from './harness.js';
import { expectError, joinRequest, newCluster, startJoin, track, transitions } from './helpers.js';

const ALL: GroupState[] = Object.values(GroupStates);

describe('groups: state machine', () => {
  describe('ClassicGroup.transitionTo', () => {
    for (const from of ALL) {
      for (const to of ALL) {
        const legal = VALID_PREVIOUS_STATES[to].includes(from);
        it(`${from} -> ${to} is ${legal ? 'legal' : 'an invariant violation'}`, () => {
          const seen: string[] = [];
          const group = new ClassicGroup(
            'g',
            from,
            () => 42,
            (_g, f, t) => seen.push(`${f}->${t}`),
          );
          if (legal) {
            group.transitionTo(to);
            expect(group.currentState).to.equal(to);
            expect(group.stateTimestamp).to.equal(42);
            expect(seen).to.deep.equal([`${from}->${to}`]);
          } else {
            expect(() => group.transitionTo(to)).to.throw(/invariant/);
            expect(group.currentState).to.equal(from);
            expect(seen).to.deep.equal([]);
          }
        });
      }
    }

    it('has the previous-state table of Kafka 3.9 ClassicGroupState', () => {
      expect(VALID_PREVIOUS_STATES).to.deep.equal({
        Empty: ['PreparingRebalance'],
        PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
        CompletingRebalance: ['PreparingRebalance'],
        Stable: ['CompletingRebalance'],
        Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
      });
    });

    it('can rebalance only from Empty, Stable and CompletingRebalance', () => {
      const can = ALL.filter((s) => new ClassicGroup('g', s, () => 0).canRebalance());
      expect(can.sort()).to.deep.equal(['CompletingRebalance', 'Empty', 'Stable']);
    });
  });

  describe('transitions driven by requests', () => {
    it('Empty -> PreparingRebalance -> CompletingRebalance -> Stable for the first member', async () => {
      const cluster = newCluster();
      const { memberId, joined } = await startJoin(cluster, joinRequest('g'));
      await cluster.advance(0);
      const join = await joined;
      expect(join.generationId).to.equal(1);
      expect(join.leaderId).to.equal(memberId);
      expect(cluster.groups.describeGroup('g').state).to.equal('CompletingRebalance');
      await cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId, assignments: [{ memberId, memberAssignment: Buffer.from('a') }] });
      expect(cluster.groups.describeGroup('g').state).to.equal('Stable');
      expect(transitions(cluster, 'g')).to.deep.equal(['Empty->PreparingRebalance', 'PreparingRebalance->CompletingRebalance', 'CompletingRebalance->Stable']);
    });

    async function stableGroup(cluster = newCluster()) {
      const { memberId, joined } = await startJoin(cluster, joinRequest('g'));
      await cluster.advance(0);
      await joined;
      await cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId, assignments: [] });
      return { cluster, memberId };
    }

    it('Stable -> PreparingRebalance when the leader rejoins', async () => {
      const { cluster, memberId } = await stableGroup();
      const rejoin = cluster.groups.joinGroup(joinRequest('g', { memberId }));
      expect(transitions(cluster, 'g').slice(3)).to.deep.equal(['Stable->PreparingRebalance', 'PreparingRebalance->CompletingRebalance']);
      expect((await rejoin).generationId).to.equal(2);
    });

    it('Stable -> PreparingRebalance -> Empty when the last member leaves', async () => {
      const { cluster, memberId } = await stableGroup();
      cluster.groups.leaveGroup({ groupId: 'g', memberId });
      expect(transitions(cluster, 'g').slice(3)).to.deep.equal(['Stable->PreparingRebalance', 'PreparingRebalance->Empty']);
      const d = cluster.groups.describeGroup('g');
      expect(d.state).to.equal('Empty');
      expect(d.generationId).to.equal(2);
    });

    it('CompletingRebalance -> PreparingRebalance when a new member joins before the leader syncs, and parked syncs fail with REBALANCE_IN_PROGRESS', async () => {
      const cluster = newCluster();
      const a = await startJoin(cluster, joinRequest('g', { clientId: 'a' }));
      const b = await startJoin(cluster, joinRequest('g', { clientId: 'b' }));
      await cluster.advance(0);
      const [ja, jb] = [await a.joined, await b.joined];
      const follower = ja.leaderId === a.memberId ? b.memberId : a.memberId;
      const parked = track(cluster.groups.syncGroup({ groupId: 'g', generationId: jb.generationId, memberId: follower }));
      await cluster.advance(0);
      expect(parked.settled()).to.equal(false);
      const c = await startJoin(cluster, joinRequest('g', { clientId: 'c' }));
      await cluster.advance(0);
      expect(parked.settled()).to.equal(true);
      expect((parked.error() as { type: string }).type).to.equal('REBALANCE_IN_PROGRESS');
      expect(transitions(cluster, 'g')).to.include('CompletingRebalance->PreparingRebalance');
      void c;
    });

    it('Empty -> Dead when the group is deleted', async () => {
      const { cluster, memberId } = await stableGroup();
      cluster.groups.leaveGroup({ groupId: 'g', memberId });
      expect(cluster.groups.deleteGroups(['g'])[0]!.error).to.equal(null);
      expect(transitions(cluster, 'g').at(-1)).to.equal('Empty->Dead');
      expect(cluster.groups.describeGroup('g').state).to.equal('Dead');
    });

    it('Stable -> Dead on the old coordinator when the group moves', async () => {
      const cluster = newCluster({ brokers: 3 });
      const { memberId } = await stableGroup(cluster);
      const old = cluster.groups.findCoordinator('g').nodeId;
      cluster.stopBroker(old);
      expect(transitions(cluster, 'g')).to.include('Stable->Dead');
      // The new coordinator loaded the stored group: Stable, same generation and member.
      const d = cluster.groups.describeGroup('g');
      expect(d.state).to.equal('Stable');
      expect(d.members.map((m) => m.memberId)).to.deep.equal([memberId]);
    });

    it('a sync from a member in a Stable group returns its assignment again', async () => {
      const { cluster, memberId } = await stableGroup();
      const again = await cluster.groups.syncGroup({ groupId: 'g', generationId: 1, memberId });
      expect(again.memberAssignment.length).to.equal(0);
      await expectError(() => cluster.groups.syncGroup({ groupId: 'g', generationId: 0, memberId }), 'ILLEGAL_GENERATION');
    });
  });
});

describe('groups: events', () => {
  it('records a group lifecycle: joins, state changes, the generation, the assignment, commits, the leave', async () => {
    const cluster = newCluster();
    cluster.createTopic({ topic: 't' });
    const { memberId, joined } = await startJoin(cluster, joinRequest('g', { clientId: 'app' }));
    await cluster.advance(0);
    await joined;
    await cluster.groups.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId,
      assignments: [{ memberId, memberAssignment: encodeAssignment(new Map([['t', [0]]])) }],
    });
    cluster.groups.offsetCommit({ groupId: 'g', generationId: 1, memberId, topics: [{ topic: 't', partitions: [{ partition: 0, offset: 3 }] }] });
    cluster.groups.leaveGroup({ groupId: 'g', memberId, reason: 'bye' });
    const events = cluster.events().filter((e) => e.type.startsWith('group-'));
    expect(events.map((e) => e.type)).to.deep.equal([
      'group-member-joined',
      'group-state-changed',
      'group-state-changed',
      'group-join-completed',
      'group-assignment',
      'group-state-changed',
      'group-offsets-committed',
      'group-member-left',
      'group-state-changed',
      'group-state-changed',
    ]);
    const [joinedEvent, , , completed, assignment, , commit, left] = events;
    expect(joinedEvent).to.include({ groupId: 'g', generationId: 0, memberId, clientId: 'app', rejoin: false, groupInstanceId: null });
    expect(completed).to.include({ generationId: 1, leaderId: memberId, protocolType: 'consumer', protocolName: 'roundrobin' });
    expect(assignment).to.deep.include({ generationId: 1, memberId, assignments: [{ memberId, partitions: [{ topic: 't', partitions: [0] }] }] });
    expect(commit).to.deep.include({ generationId: 1, memberId, offsets: [{ topic: 't', partition: 0, offset: 3 }] });
    expect(left).to.include({ generationId: 1, memberId, reason: 'bye' });
    // Plain data: the log can be serialised as it is.
    expect(JSON.parse(JSON.stringify(events))).to.deep.equal(events);
  });
});
