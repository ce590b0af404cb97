import { expect } from 'chai';
import fc from 'fast-check';
import kafkajs from 'kafkajs';
import type { PartitionAssigner } from 'kafkajs';
import { RangeAssigner, rangeAssign } from '../../client/assignors/index.js';
import { decodeAssignments, fakeCluster, memberIdArb, memberWithMetadata, owners, topicArb, total } from './helpers.js';

const { AssignerProtocol } = kafkajs;

// Compile-time check: usable wherever kafkajs expects a partition assigner.
const asKafkajs: PartitionAssigner = RangeAssigner;
void asKafkajs;

describe('assignors: RangeAssigner', () => {
  it('matches the Java docs: 2 members, 2 topics x 3 partitions', () => {
    const members = [
      { memberId: 'C1', topics: ['t0', 't1'] },
      { memberId: 'C0', topics: ['t0', 't1'] },
    ];
    expect(rangeAssign(members, { t0: [0, 1, 2], t1: [0, 1, 2] })).to.deep.equal({
      C0: { t0: [0, 1], t1: [0, 1] },
      C1: { t0: [2], t1: [2] },
    });
  });

  it('matches hand-worked examples: uneven splits, idle members, partial subscriptions', () => {
    // 3 members, 7 partitions: 7 = 3*2 + 1, so the first member takes 3.
    expect(
      rangeAssign(
        ['a', 'b', 'c'].map((memberId) => ({ memberId, topics: ['t'] })),
        { t: [6, 5, 4, 3, 2, 1, 0] },
      ),
    ).to.deep.equal({ a: { t: [0, 1, 2] }, b: { t: [3, 4] }, c: { t: [5, 6] } });
    // More members than partitions: the last ones idle.
    expect(
      rangeAssign(
        ['m0', 'm1', 'm2', 'm3'].map((memberId) => ({ memberId, topics: ['t'] })),
        { t: [0, 1] },
      ),
    ).to.deep.equal({ m0: { t: [0] }, m1: { t: [1] }, m2: {}, m3: {} });
    // Only subscribers of a topic share it; an unsubscribed topic stays unassigned.
    expect(
      rangeAssign(
        [
          { memberId: 'A', topics: ['x', 'y'] },
          { memberId: 'B', topics: ['y'] },
        ],
        { x: [0, 1, 2], y: [0, 1, 2, 3], z: [0] },
      ),
    ).to.deep.equal({ A: { x: [0, 1, 2], y: [0, 1] }, B: { y: [2, 3] } });
  });

  it('with equal subscriptions: one owner per partition, floor/ceil per topic, max(0, M-P) idle for one topic', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(memberIdArb, { minLength: 1, maxLength: 12 }),
        fc.uniqueArray(fc.tuple(topicArb, fc.integer({ min: 0, max: 20 })), { maxLength: 5, selector: ([t]) => t }),
        (memberIds, topicSizes) => {
          const partitionsByTopic = new Map(topicSizes.map(([t, n]) => [t, [...Array(n).keys()]]));
          const topics = [...partitionsByTopic.keys()];
          const assignment = rangeAssign(memberIds.map((memberId) => ({ memberId, topics })), partitionsByTopic);
          const m = memberIds.length;
          const all = owners(assignment);
          expect(all.size).to.equal(topicSizes.reduce((n, [, size]) => n + size, 0));
          for (const holders of all.values()) expect(holders).to.have.length(1);
          for (const [topic, size] of topicSizes) {
            const sortedIds = [...memberIds].sort();
            let next = 0;
            for (const memberId of sortedIds) {
              const mine = assignment[memberId]?.[topic] ?? [];
              expect(mine.length).to.be.oneOf([Math.floor(size / m), Math.ceil(size / m)]);
              // Contiguous ranges, in member-id order.
              expect(mine).to.deep.equal([...Array(mine.length).keys()].map((k) => next + k));
              next += mine.length;
            }
          }
          if (topicSizes.length === 1) {
            const p = topicSizes[0]?.[1] ?? 0;
            expect(memberIds.filter((id) => total(assignment[id]) === 0)).to.have.length(Math.max(0, m - p));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('round-trips through AssignerProtocol with a fake cluster, reading each member\'s own subscription', async () => {
    const cluster = fakeCluster(
      new Map([
        ['t0', [2, 1, 0]],
        ['t1', [0, 1, 2]],
        ['only-b', [0, 1]],
      ]),
    );
    const assigner = RangeAssigner({ cluster });
    expect([assigner.name, assigner.version]).to.deep.equal(['RangeAssigner', 0]);
    const metadataA = assigner.protocol({ topics: ['t0', 't1'] });
    expect(AssignerProtocol.MemberMetadata.decode(metadataA.metadata)?.topics).to.deep.equal(['t0', 't1']);
    const members = [
      { memberId: 'C0', memberMetadata: metadataA.metadata },
      memberWithMetadata('C1', ['t0', 't1', 'only-b']),
      { memberId: 'broken', memberMetadata: Buffer.from([1]) },
    ];
    const encoded = await assigner.assign({ members, topics: ['t0', 't1'] });
    expect(decodeAssignments(encoded)).to.deep.equal({
      C0: { t0: [0, 1], t1: [0, 1] },
      C1: { 'only-b': [0, 1], t0: [2], t1: [2] },
      broken: {},
    });
  });
});
