import { expect } from 'chai';
import fc from 'fast-check';
import kafkajs from 'kafkajs';
import type { PartitionAssigner } from 'kafkajs';
import {
  CooperativeStickyAssigner,
  DEFAULT_GENERATION,
  cooperativeStickyAssign,
  decodeCooperativeUserData,
  encodeCooperativeUserData,
  type CooperativeAssignment,
  type CooperativeMember,
  type GroupAssignment,
  type TopicAssignment,
  type TopicPartitions,
} from '../../client/assignors/index.js';
import { fakeCluster, memberIdArb, memberWithMetadata, owners, topicArb, total } from './helpers.js';

const { AssignerProtocol } = kafkajs;

// Compile-time check: usable wherever kafkajs expects a partition assigner.
const asKafkajs: PartitionAssigner = CooperativeStickyAssigner;
void asKafkajs;

interface SimMember {
  topics: string[];
  owned: TopicPartitions[];
  generation: number;
}

type Op =
  | { kind: 'join'; count: number }
  | { kind: 'leave'; index: number }
  | { kind: 'resubscribe'; index: number; topics: string[] }
  | { kind: 'rebalance' };

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

function ownedKeys(owned: readonly TopicPartitions[]): Set<string> {
  return new Set(owned.flatMap(({ topic, partitions }) => partitions.map((p) => key(topic, p))));
}

function toOwned(share: TopicAssignment | undefined): TopicPartitions[] {
  return Object.entries(share ?? {}).map(([topic, partitions]) => ({ topic, partitions: [...partitions] }));
}

/** Every partition of a topic at least one member subscribes to. */
function assignable(group: ReadonlyMap<string, SimMember>, partitionsByTopic: ReadonlyMap<string, number[]>): Set<string> {
  const result = new Set<string>();
  for (const [topic, partitions] of partitionsByTopic) {
    if (![...group.values()].some((m) => m.topics.includes(topic))) continue;
    for (const p of partitions) result.add(key(topic, p));
  }
  return result;
}

/** The plan: what each member gets now plus what it is due in the follow-up. */
function planned(result: CooperativeAssignment): Map<string, number> {
  const counts = new Map<string, number>();
  for (const memberId of Object.keys(result.assignment)) counts.set(memberId, total(result.assignment[memberId]));
  for (const w of result.withheld) counts.set(w.assignee, (counts.get(w.assignee) ?? 0) + 1);
  return counts;
}

function spread(counts: Iterable<number>): number {
  const values = [...counts];
  return values.length === 0 ? 0 : Math.max(...values) - Math.min(...values);
}

/** Fewest owned partitions any balanced assignment must move (equal subscriptions, all claims valid). */
function minimalMoves(ownedCounts: number[], partitionCount: number): number {
  const m = ownedCounts.length;
  if (m === 0) return 0;
  const floor = Math.floor(partitionCount / m);
  const extra = partitionCount % m;
  return [...ownedCounts]
    .sort((a, b) => b - a)
    .reduce((moves, owned, i) => moves + Math.max(0, owned - (i < extra ? floor + 1 : floor)), 0);
}

/**
 * One rebalance of the simulated group: runs the assignor on the members' current ownership,
 * checks the invariants that hold for any subscriptions, and feeds the result back as ownership.
 */
function rebalance(
  group: Map<string, SimMember>,
  partitionsByTopic: ReadonlyMap<string, number[]>,
  withGenerations: boolean,
): CooperativeAssignment {
  const members: CooperativeMember[] = [...group].map(([memberId, m]) =>
    withGenerations
      ? { memberId, topics: m.topics, ownedPartitions: m.owned, generation: m.generation }
      : { memberId, topics: m.topics, ownedPartitions: m.owned },
  );
  const result = cooperativeStickyAssign(members, partitionsByTopic);
  const all = owners(result.assignment);
  const expected = assignable(group, partitionsByTopic);
  const withheld = new Set(result.withheld.map((w) => key(w.topic, w.partition)));

  expect(Object.keys(result.assignment).sort()).to.deep.equal([...group.keys()].sort());
  // No partition assigned twice, nor both assigned and withheld.
  for (const [k, holders] of all) {
    expect(holders, k).to.have.length(1);
    expect(withheld.has(k), k).to.equal(false);
  }
  expect(withheld.size).to.equal(result.withheld.length);
  // Assigned + withheld = every partition of a subscribed topic; members only get what they subscribe to.
  const covered = new Set([...all.keys(), ...withheld]);
  expect([...covered].sort()).to.deep.equal([...expected].sort());
  for (const memberId of Object.keys(result.assignment)) {
    for (const topic of Object.keys(result.assignment[memberId] as TopicAssignment)) {
      expect(group.get(memberId)?.topics).to.include(topic);
    }
  }

  const previousOwner = new Map<string, string>();
  for (const [memberId, m] of group) for (const k of ownedKeys(m.owned)) previousOwner.set(k, memberId);
  for (const [memberId, m] of group) {
    const now = ownedKeys(toOwned(result.assignment[memberId]));
    const lost = [...ownedKeys(m.owned)].filter((k) => !now.has(k));
    // Nothing is given to a member while another member still owns it.
    for (const k of now) {
      const prev = previousOwner.get(k);
      expect(prev === undefined || prev === memberId, `${k} given to ${memberId} while ${prev} owns it`).to.equal(true);
    }
    // A partition a member loses while its topic is still assigned moves elsewhere via the withheld list.
    for (const k of lost) {
      if (!expected.has(k)) continue;
      const w = result.withheld.find((x) => key(x.topic, x.partition) === k);
      expect(w, `${k} revoked from ${memberId} but not withheld`).to.not.equal(undefined);
      expect(w?.revokedFrom).to.deep.equal([memberId]);
      expect(w?.assignee).to.not.equal(memberId);
    }
    // `revoked` reports exactly what the member lost.
    const reported = ownedKeys(toOwned(result.revoked[memberId]));
    expect([...reported].sort()).to.deep.equal(lost.sort());
  }

  const generation = Math.max(DEFAULT_GENERATION, ...[...group.values()].map((m) => m.generation)) + 1;
  for (const [memberId, m] of group) {
    m.owned = toOwned(result.assignment[memberId]);
    m.generation = generation;
  }
  return result;
}

const opArb = (topics: string[]): fc.Arbitrary<Op> =>
  fc.oneof(
    fc.record({ kind: fc.constant('join' as const), count: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant('leave' as const), index: fc.nat() }),
    fc.record({ kind: fc.constant('resubscribe' as const), index: fc.nat(), topics: fc.subarray(topics) }),
    fc.constant({ kind: 'rebalance' as const }),
  );

const scenarioArb = fc
  .uniqueArray(fc.tuple(topicArb, fc.integer({ min: 0, max: 12 })), { minLength: 1, maxLength: 3, selector: ([t]) => t })
  .chain((topicSizes) => {
    const topics = topicSizes.map(([t]) => t);
    return fc.record({
      partitionsByTopic: fc.constant(new Map(topicSizes.map(([t, n]) => [t, [...Array(n).keys()]]))),
      topics: fc.constant(topics),
      ids: fc.uniqueArray(memberIdArb, { minLength: 30, maxLength: 30 }),
      initial: fc.integer({ min: 0, max: 5 }),
      ops: fc.array(opArb(topics), { minLength: 1, maxLength: 10 }),
      withGenerations: fc.boolean(),
    });
  });

function applyOp(group: Map<string, SimMember>, op: Op, nextId: () => string | undefined, subscriptionFor: (op: Op) => string[]): void {
  const ids = [...group.keys()];
  switch (op.kind) {
    case 'join':
      for (let i = 0; i < op.count; i++) {
        const id = nextId();
        if (id !== undefined) group.set(id, { topics: subscriptionFor(op), owned: [], generation: DEFAULT_GENERATION });
      }
      return;
    case 'leave':
      if (ids.length > 0) group.delete(ids[op.index % ids.length] as string);
      return;
    case 'resubscribe':
      if (ids.length > 0) (group.get(ids[op.index % ids.length] as string) as SimMember).topics = subscriptionFor(op);
      return;
    case 'rebalance':
      return;
  }
}

describe('assignors: CooperativeStickyAssigner', () => {
  it('with equal subscriptions, over joins and leaves: safe, sticky (minimal moves), balanced, and withheld partitions land in the follow-up', () => {
    fc.assert(
      fc.property(scenarioArb, ({ partitionsByTopic, topics, ids, initial, ops, withGenerations }) => {
        const pool = [...ids];
        const group = new Map<string, SimMember>();
        const nextId = (): string | undefined => pool.shift();
        const everything = (): string[] => topics;
        applyOp(group, { kind: 'join', count: initial }, nextId, everything);
        const partitionCount = [...partitionsByTopic.values()].reduce((n, ps) => n + ps.length, 0);

        for (const op of ops) {
          if (op.kind === 'resubscribe') continue;
          applyOp(group, op, nextId, everything);
          const ownedCounts = [...group.values()].map((m) => ownedKeys(m.owned).size);
          const before = new Map([...group].map(([id, m]) => [id, ownedKeys(m.owned)]));
          const result = rebalance(group, partitionsByTopic, withGenerations);

          // Balanced plan, and no more owned partitions moved than balance needs.
          expect(spread(planned(result).values())).to.be.at.most(1);
          const moved = [...before].reduce((n, [id, keys]) => n + [...keys].filter((k) => !ownedKeys(group.get(id)?.owned ?? []).has(k)).length, 0);
          expect(moved).to.equal(minimalMoves(ownedCounts, group.size === 0 ? 0 : partitionCount));

          if (result.withheld.length > 0) {
            const beforeFollowUp = new Map([...group].map(([id, m]) => [id, ownedKeys(m.owned)]));
            const followUp = rebalance(group, partitionsByTopic, withGenerations);
            expect(followUp.withheld).to.deep.equal([]);
            expect(owners(followUp.assignment).size).to.equal(partitionCount);
            expect(spread([...group.values()].map((m) => ownedKeys(m.owned).size))).to.be.at.most(1);
            // The follow-up only adds: nobody loses anything.
            for (const [id, keys] of beforeFollowUp) {
              const now = ownedKeys(group.get(id)?.owned ?? []);
              for (const k of keys) expect(now.has(k)).to.equal(true);
            }
          } else if (group.size > 0) {
            expect(owners(result.assignment).size).to.equal(partitionCount);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('with arbitrary subscriptions and resubscriptions: safe, never revokes what stays, and settles in one follow-up', () => {
    fc.assert(
      fc.property(
        scenarioArb.chain((s) =>
          fc.record({ scenario: fc.constant(s), subscriptions: fc.array(fc.subarray(s.topics), { minLength: 40, maxLength: 40 }) }),
        ),
        ({ scenario: { partitionsByTopic, ids, initial, ops, withGenerations }, subscriptions }) => {
          const pool = [...ids];
          const subs = [...subscriptions];
          const group = new Map<string, SimMember>();
          const nextId = (): string | undefined => pool.shift();
          const subscriptionFor = (op: Op): string[] => (op.kind === 'resubscribe' ? op.topics : (subs.shift() ?? []));
          applyOp(group, { kind: 'join', count: initial }, nextId, subscriptionFor);
          for (const op of ops) {
            applyOp(group, op, nextId, subscriptionFor);
            const result = rebalance(group, partitionsByTopic, withGenerations);
            if (result.withheld.length > 0) {
              const followUp = rebalance(group, partitionsByTopic, withGenerations);
              expect(followUp.withheld).to.deep.equal([]);
              expect(followUp.revoked).to.satisfy((r: GroupAssignment) => Object.values(r).every((share) => total(share) === 0));
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('plans the most even loads the subscriptions allow, then the fewest moves (brute force on small groups)', () => {
    const smallArb = fc
      .record({
        sizes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 2 }),
        memberCount: fc.integer({ min: 1, max: 3 }),
      })
      .chain(({ sizes, memberCount }) => {
        const topics = sizes.map((_, t) => `t${t}`);
        const partitions = sizes.flatMap((n, t) => [...Array(n).keys()].map((p) => ({ topic: `t${t}`, partition: p })));
        return fc.record({
          partitionsByTopic: fc.constant(Object.fromEntries(sizes.map((n, t) => [`t${t}`, [...Array(n).keys()]]))),
          partitions: fc.constant(partitions),
          subscriptions: fc.array(fc.subarray(topics), { minLength: memberCount, maxLength: memberCount }),
          // Who claims each partition: nobody, one member, or (rarely) two.
          claims: fc.array(fc.subarray([...Array(memberCount).keys()], { maxLength: Math.min(2, memberCount) }), {
            minLength: partitions.length,
            maxLength: partitions.length,
          }),
        });
      });
    fc.assert(
      fc.property(smallArb, ({ partitionsByTopic, partitions, subscriptions, claims }) => {
        const ids = subscriptions.map((_, j) => `m${j}`);
        const members: CooperativeMember[] = ids.map((memberId, j) => ({
          memberId,
          topics: subscriptions[j] as string[],
          ownedPartitions: partitions
            .filter((_, i) => claims[i]?.includes(j))
            .map(({ topic, partition }) => ({ topic, partitions: [partition] })),
        }));
        const result = cooperativeStickyAssign(members, partitionsByTopic);

        const subscribed = (j: number, topic: string): boolean => (subscriptions[j] as string[]).includes(topic);
        const assignable = partitions.map((p, i) => ({ ...p, i })).filter((p) => ids.some((_, j) => subscribed(j, p.topic)));
        const stickyOwner = (i: number): number => {
          const c = claims[i] as number[];
          return c.length === 1 && subscribed(c[0] as number, (partitions[i] as { topic: string }).topic) ? (c[0] as number) : -1;
        };
        const score = (choice: number[]): [number, number] => {
          const loads = ids.map(() => 0);
          let moved = 0;
          choice.forEach((j, k) => {
            loads[j] = (loads[j] as number) + 1;
            const o = stickyOwner((assignable[k] as { i: number }).i);
            if (o >= 0 && o !== j) moved += 1;
          });
          return [loads.reduce((a, l) => a + l * l, 0), moved];
        };
        // Every way to give each assignable partition to one of its topic's subscribers.
        let best: [number, number] = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
        const walk = (k: number, choice: number[]): void => {
          if (k === assignable.length) {
            const s = score(choice);
            if (s[0] < best[0] || (s[0] === best[0] && s[1] < best[1])) best = s;
            return;
          }
          ids.forEach((_, j) => {
            if (subscribed(j, (assignable[k] as { topic: string }).topic)) walk(k + 1, [...choice, j]);
          });
        };
        walk(0, []);

        const planOwner = (topic: string, partition: number): number => {
          const w = result.withheld.find((x) => x.topic === topic && x.partition === partition);
          if (w !== undefined) return ids.indexOf(w.assignee);
          return ids.findIndex((id) => result.assignment[id]?.[topic]?.includes(partition));
        };
        const ours = assignable.map((p) => planOwner(p.topic, p.partition));
        expect(ours.every((j) => j >= 0)).to.equal(true);
        expect(score(ours)).to.deep.equal(best);
        // Withheld exactly when someone other than the planned member claims the partition.
        assignable.forEach((p, k) => {
          const othersClaim = (claims[p.i] as number[]).some((j) => j !== ours[k]);
          const isWithheld = result.withheld.some((w) => w.topic === p.topic && w.partition === p.partition);
          expect(isWithheld, `${p.topic}:${p.partition}`).to.equal(othersClaim);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('deals a fresh group round-robin, topic by topic', () => {
    const result = cooperativeStickyAssign(
      ['c', 'a', 'b'].map((memberId) => ({ memberId, topics: ['x', 'y'] })),
      { x: [0, 1, 2, 3], y: [0, 1] },
    );
    expect(result.assignment).to.deep.equal({ a: { x: [0, 3] }, b: { x: [1], y: [0] }, c: { x: [2], y: [1] } });
  });

  it('keeps a balanced, unchanged group exactly as it is', () => {
    const members: CooperativeMember[] = [
      { memberId: 'a', topics: ['t'], ownedPartitions: [{ topic: 't', partitions: [3, 4] }], generation: 4 },
      { memberId: 'b', topics: ['t'], ownedPartitions: [{ topic: 't', partitions: [0, 2] }], generation: 4 },
      { memberId: 'c', topics: ['t'], ownedPartitions: [{ topic: 't', partitions: [1] }], generation: 4 },
    ];
    const result = cooperativeStickyAssign(members, { t: [0, 1, 2, 3, 4] });
    expect(result.assignment).to.deep.equal({ a: { t: [3, 4] }, b: { t: [0, 2] }, c: { t: [1] } });
    expect(result.withheld).to.deep.equal([]);
  });

  it('withholds what moves to a joining member, then assigns it in the follow-up', () => {
    const owned = (partitions: number[]) => [{ topic: 't', partitions }];
    const first = cooperativeStickyAssign(
      [
        { memberId: 'a', topics: ['t'], ownedPartitions: owned([0, 1, 2]), generation: 1 },
        { memberId: 'b', topics: ['t'], ownedPartitions: owned([3, 4, 5]), generation: 1 },
        { memberId: 'c', topics: ['t'] },
      ],
      { t: [0, 1, 2, 3, 4, 5] },
    );
    expect(first.withheld).to.have.length(2);
    expect(first.withheld.map((w) => w.assignee)).to.deep.equal(['c', 'c']);
    expect(total(first.assignment['a']) + total(first.assignment['b'])).to.equal(4);
    expect(first.assignment['c']).to.deep.equal({});
    const second = cooperativeStickyAssign(
      ['a', 'b', 'c'].map((memberId) => ({
        memberId,
        topics: ['t'],
        ownedPartitions: toOwned(first.assignment[memberId]),
        generation: 2,
      })),
      { t: [0, 1, 2, 3, 4, 5] },
    );
    expect(second.withheld).to.deep.equal([]);
    expect(second.assignment['c']?.['t']).to.deep.equal(first.withheld.map((w) => w.partition).sort());
  });

  it('ignores claims from members behind the newest generation', () => {
    const result = cooperativeStickyAssign(
      [
        { memberId: 'fresh', topics: ['t'], ownedPartitions: [{ topic: 't', partitions: [0] }], generation: 5 },
        { memberId: 'stale', topics: ['t'], ownedPartitions: [{ topic: 't', partitions: [0, 1] }], generation: 3 },
      ],
      { t: [0, 1] },
    );
    expect(result.withheld).to.deep.equal([]);
    expect(result.assignment['fresh']?.['t']).to.deep.equal([0]);
    expect(result.assignment['stale']?.['t']).to.deep.equal([1]);
  });

  it('withholds a partition two members claim, whoever gets it', () => {
    const result = cooperativeStickyAssign(
      [
        { memberId: 'a', topics: ['t'], ownedPartitions: [{ topic: 't', partitions: [0] }] },
        { memberId: 'b', topics: ['t'], ownedPartitions: [{ topic: 't', partitions: [0] }] },
      ],
      { t: [0, 1] },
    );
    expect(result.withheld).to.have.length(1);
    const [w] = result.withheld;
    expect(w?.partition).to.equal(0);
    expect(w?.revokedFrom).to.deep.equal(w?.assignee === 'a' ? ['b'] : ['a']);
    expect(owners(result.assignment).size).to.equal(1);
  });

  it('hands out a departed member\'s partitions at once, and revokes partitions of vanished topics or unsubscribed ones', () => {
    const result = cooperativeStickyAssign(
      [{ memberId: 'a', topics: ['t'], ownedPartitions: [{ topic: 't', partitions: [0] }, { topic: 'gone', partitions: [0] }, { topic: 'u', partitions: [0] }] }],
      { t: [0, 1], u: [0] },
    );
    expect(result.assignment).to.deep.equal({ a: { t: [0, 1] } });
    expect(result.withheld).to.deep.equal([]);
    expect(result.revoked).to.deep.equal({ a: { gone: [0], u: [0] } });
  });

  it('encodes and decodes ownership userData, and treats bad userData as owning nothing', () => {
    const data = { ownedPartitions: [{ topic: 'orders', partitions: [0, 3] }], generation: 7, instanceId: 'abc' };
    const encoded = encodeCooperativeUserData(data);
    expect(JSON.parse(encoded.toString('utf8'))).to.deep.equal(data);
    expect(decodeCooperativeUserData(encoded)).to.deep.equal(data);
    expect(decodeCooperativeUserData(encodeCooperativeUserData({ ownedPartitions: [], generation: -1 }))).to.deep.equal({
      ownedPartitions: [],
      generation: -1,
    });
    expect(decodeCooperativeUserData(Buffer.from('{"ownedPartitions":[]}'))).to.deep.equal({ ownedPartitions: [], generation: -1 });
    for (const bad of ['', 'not json', '[]', 'null', '{}', '{"ownedPartitions":[{"topic":1,"partitions":[]}]}', '{"ownedPartitions":[{"topic":"t","partitions":[-1]}]}', '{"ownedPartitions":[{"topic":"t","partitions":[0.5]}]}', '{"ownedPartitions":[],"generation":"1"}', '{"ownedPartitions":[],"instanceId":3}']) {
      expect(decodeCooperativeUserData(Buffer.from(bad)), bad).to.equal(null);
    }
    expect(decodeCooperativeUserData(null)).to.equal(null);
    expect(decodeCooperativeUserData(undefined)).to.equal(null);
  });

  it('round-trips through AssignerProtocol: ownership travels in userData, the leader remembers its own share', async () => {
    const cluster = fakeCluster(new Map([['t', [0, 1, 2, 3, 4, 5]]]));
    const leader = CooperativeStickyAssigner({ cluster });
    const follower = CooperativeStickyAssigner({ cluster });
    expect([leader.name, leader.version]).to.deep.equal(['CooperativeStickyAssigner', 0]);

    // Generation 0: two members, nothing owned yet.
    const join = () => [
      { memberId: 'L', memberMetadata: leader.protocol({ topics: ['t'] }).metadata },
      { memberId: 'F', memberMetadata: follower.protocol({ topics: ['t'] }).metadata },
    ];
    const first = await leader.assign({ members: join(), topics: ['t'] });
    const byId = (encoded: typeof first, id: string): Buffer => encoded.find((e) => e.memberId === id)?.memberAssignment as Buffer;
    const decodedL = AssignerProtocol.MemberAssignment.decode(byId(first, 'L'));
    expect(JSON.parse(decodedL?.userData.toString('utf8') ?? '')).to.deep.equal({ generation: 0 });
    // The leader learned its share from assign(); the follower from onAssignment().
    expect(leader.ownership()).to.deep.equal({ ownedPartitions: [{ topic: 't', partitions: decodedL?.assignment['t'] }], generation: 0 });
    follower.onAssignment(byId(first, 'F'));
    expect(follower.ownership().generation).to.equal(0);
    expect(total({ t: [...(follower.ownership().ownedPartitions[0]?.partitions ?? [])] })).to.equal(3);

    // Generation 1: a third member joins; what moves to it is withheld, nothing else moves.
    const metadataL = AssignerProtocol.MemberMetadata.decode(join()[0]?.memberMetadata as Buffer);
    expect(decodeCooperativeUserData(metadataL?.userData)?.ownedPartitions).to.deep.equal(leader.ownership().ownedPartitions);
    const newcomer = memberWithMetadata('N', ['t']);
    const second = await leader.assign({ members: [...join(), newcomer], topics: ['t'] });
    const shares = Object.fromEntries(second.map((e) => [e.memberId, AssignerProtocol.MemberAssignment.decode(e.memberAssignment)?.assignment ?? {}]));
    expect(total(shares['N'])).to.equal(0);
    expect(total(shares['L']) + total(shares['F'])).to.equal(4);
    follower.onAssignment(byId(second, 'F'));

    // Generation 2: the follow-up gives the newcomer its two.
    const third = await leader.assign({ members: [...join(), newcomer], topics: ['t'] });
    const final = Object.fromEntries(third.map((e) => [e.memberId, AssignerProtocol.MemberAssignment.decode(e.memberAssignment)?.assignment ?? {}]));
    expect(Object.values(final).map((s) => total(s))).to.deep.equal([2, 2, 2]);
    expect(owners(final).size).to.equal(6);
  });

  it('gives members with undecodable metadata nothing, and an empty SyncGroup answer leaves the instance owning nothing', async () => {
    const assigner = CooperativeStickyAssigner({ cluster: fakeCluster(new Map([['t', [0, 1]]])) });
    const encoded = await assigner.assign({
      members: [memberWithMetadata('ok', ['t'], Buffer.from('garbage')), { memberId: 'bad', memberMetadata: Buffer.alloc(1) }],
      topics: ['t'],
    });
    const shares = Object.fromEntries(encoded.map((e) => [e.memberId, AssignerProtocol.MemberAssignment.decode(e.memberAssignment)?.assignment]));
    expect(shares).to.deep.equal({ bad: {}, ok: { t: [0, 1] } });
    assigner.onAssignment(AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { t: [1] }, userData: Buffer.alloc(0) }));
    expect(assigner.ownership()).to.deep.equal({ ownedPartitions: [{ topic: 't', partitions: [1] }], generation: -1 });
    assigner.onAssignment(Buffer.alloc(0));
    expect(assigner.ownership().ownedPartitions).to.deep.equal([]);
  });
});
