import { expect } from 'chai';
import fc from 'fast-check';
import kafkajs from 'kafkajs';
import type { PartitionAssigner } from 'kafkajs';
import { RoundRobinAssigner, roundRobinAssign } from '../../client/assignors/index.js';
import {
  decodeAssignments,
  fakeCluster,
  memberIdArb,
  memberWithMetadata,
  owners,
  shuffledPartitionsArb,
  silentLogger,
  topicArb,
  total,
} from './helpers.js';

const { PartitionAssigners, AssignerProtocol } = kafkajs;

// Compile-time check: usable wherever kafkajs expects a partition assigner.
const asKafkajs: PartitionAssigner = RoundRobinAssigner;
void asKafkajs;

/** A random group: unique member ids with random subscriptions, and topics with shuffled partition lists. */
const groupArb = fc
  .record({
    topics: fc.uniqueArray(fc.tuple(topicArb, shuffledPartitionsArb), { minLength: 0, maxLength: 6, selector: ([t]) => t }),
    // kafkajs keeps its per-member map in a plain object, so ids naming Object.prototype members
    // ('__proto__', 'constructor', ...) break it (and pollute Object.prototype). Real member ids are
    // `${clientId}-${uuid}` and never collide; ours treats such ids as ordinary (tested below).
    memberIds: fc.uniqueArray(
      memberIdArb.filter((id) => !(id in Object.prototype)),
      { minLength: 1, maxLength: 10 },
    ),
  })
  .chain(({ topics, memberIds }) =>
    fc.record({
      partitionsByTopic: fc.constant(new Map(topics)),
      members: fc.tuple(
        ...memberIds.map((memberId) =>
          fc.subarray(topics.map(([t]) => t)).map((subscribed) => ({ memberId, topics: subscribed })),
        ),
      ),
      leaderTopics: fc.shuffledSubarray(topics.map(([t]) => t)),
    }),
  );

describe('assignors: RoundRobinAssigner', () => {
  it('gives byte-for-byte what kafkajs 2.2.4 PartitionAssigners.roundRobin gives', async () => {
    await fc.assert(
      fc.asyncProperty(groupArb, async ({ partitionsByTopic, members, leaderTopics }) => {
        const cluster = fakeCluster(partitionsByTopic);
        const ours = RoundRobinAssigner({ cluster });
        const theirs = PartitionAssigners.roundRobin({ cluster, groupId: 'g', logger: silentLogger });
        const groupMembers = members.map((m) => memberWithMetadata(m.memberId, m.topics));
        const expected = await theirs.assign({ members: groupMembers, topics: leaderTopics });
        const actual = await ours.assign({ members: groupMembers, topics: leaderTopics });
        expect(actual).to.deep.equal(expected);

        const subscription = leaderTopics;
        expect(ours.protocol({ topics: subscription })).to.deep.equal(theirs.protocol({ topics: subscription }));
        expect([ours.name, ours.version]).to.deep.equal([theirs.name, theirs.version]);
      }),
      { numRuns: 200 },
    );
  });

  it('every partition gets exactly one owner and every member floor(P/M) or ceil(P/M)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(memberIdArb, { minLength: 1, maxLength: 12 }),
        fc.uniqueArray(fc.tuple(topicArb, fc.integer({ min: 0, max: 20 })), { maxLength: 5, selector: ([t]) => t }),
        (memberIds, topicSizes) => {
          const partitionsByTopic = new Map(topicSizes.map(([t, n]) => [t, [...Array(n).keys()]]));
          const topics = [...partitionsByTopic.keys()];
          const assignment = roundRobinAssign(memberIds.map((memberId) => ({ memberId, topics })), partitionsByTopic);
          const all = owners(assignment);
          const p = topicSizes.reduce((n, [, size]) => n + size, 0);
          expect(all.size).to.equal(p);
          for (const holders of all.values()) expect(holders).to.have.length(1);
          const m = memberIds.length;
          expect(Object.keys(assignment).sort()).to.deep.equal([...memberIds].sort());
          for (const memberId of memberIds) {
            expect(total(assignment[memberId])).to.be.oneOf([Math.floor(p / m), Math.ceil(p / m)]);
          }
          if (topicSizes.length === 1) {
            const idle = memberIds.filter((id) => total(assignment[id]) === 0).length;
            expect(idle).to.equal(Math.max(0, m - p));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('follows kafkajs on a hand-worked example: sorted ids, partitions dealt in metadata order', () => {
    const assignment = roundRobinAssign(
      [{ memberId: 'b' }, { memberId: 'a' }, { memberId: 'c' }],
      new Map([
        ['t1', [2, 0, 1]],
        ['t0', [0, 1]],
      ]),
    );
    expect(assignment).to.deep.equal({ a: { t1: [2], t0: [0] }, b: { t1: [0], t0: [1] }, c: { t1: [1] } });
    // Topic order follows the Map, not the object-key order of integer-like names.
    expect(Object.keys(assignment['a'] ?? {})).to.deep.equal(['t1', 't0']);
  });

  it('round-trips through AssignerProtocol with a fake cluster, leaving idle members out as kafkajs does', async () => {
    const cluster = fakeCluster(new Map([['orders', [0, 1, 2]]]));
    const assigner = RoundRobinAssigner({ cluster });
    const members = ['m3', 'm1', 'm2', 'm4'].map((id) => memberWithMetadata(id, ['orders']));
    const encoded = await assigner.assign({ members, topics: ['orders'] });
    expect(decodeAssignments(encoded)).to.deep.equal({ m1: { orders: [0] }, m2: { orders: [1] }, m3: { orders: [2] } });
    for (const { memberAssignment } of encoded) {
      expect(AssignerProtocol.MemberAssignment.decode(memberAssignment)?.version).to.equal(0);
    }
    const state = assigner.protocol({ topics: ['orders'] });
    expect(state.name).to.equal('RoundRobinAssigner');
    expect(AssignerProtocol.MemberMetadata.decode(state.metadata)?.topics).to.deep.equal(['orders']);
  });

  it('treats ids that name Object.prototype members as ordinary ids', () => {
    const assignment = roundRobinAssign(
      ['__proto__', 'constructor', 'toString'].map((memberId) => ({ memberId })),
      new Map([['t', [0, 1, 2]]]),
    );
    expect(Object.keys(assignment)).to.deep.equal(['__proto__', 'constructor', 'toString']);
    expect(assignment['__proto__']?.['t']).to.deep.equal([0]);
    expect(assignment['constructor']?.['t']).to.deep.equal([1]);
    expect(assignment['toString']?.['t']).to.deep.equal([2]);
    expect(Object.prototype).not.to.have.own.property('t');
  });

  it('returns nothing for an empty group', async () => {
    const assigner = RoundRobinAssigner({ cluster: fakeCluster(new Map([['t', [0]]])) });
    expect(await assigner.assign({ members: [], topics: ['t'] })).to.deep.equal([]);
    expect(roundRobinAssign([], { t: [0] })).to.deep.equal({});
  });
});
