/**
 * Model-based tests: random schedules of joins, leaves, crashes, clock advances, partition
 * additions, commits, zombie commits, admin resets (and, in a three-broker cluster, coordinator
 * failures), played against simulated clients on the virtual clock. Whenever the group has come
 * to rest the assignment must be a partition of the topic among the members, balanced, and agree
 * between the coordinator and the clients; at every step the commits accepted must come from the
 * current generation and committed offsets must only move back through an admin reset.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { TwinCluster as Cluster } from '../../adapters/twin/cluster.js';
import { decodeAssignmentMap, GroupHarness, type AssignorName, type SimClient } from './harness.js';
import { newCluster } from './helpers.js';

const GROUP = 'app';
const TOPIC = 'orders';
const MAX_MEMBERS = 6;
const MAX_PARTITIONS = 8;
/** What the runs exercised; printed with GROUPS_MODEL_STATS=1 to check the schedules reach the interesting cases. */
/** Runs of the one-broker property (the three-broker one does two thirds as many); raise with GROUPS_MODEL_RUNS for a longer hunt. */
const RUNS = Number(process.env['GROUPS_MODEL_RUNS'] ?? 150);
const stats = { runs: 0, virtualMs: 0, events: 0, commands: 0, rebalances: 0, zombies: 0, zombiesAccepted: 0, stale: 0, resets: 0, moves: 0 };

/** Follows the event log: the group's generation, the last committed offsets, and any rule broken. */
class Tracker {
  generation = 0;
  readonly committed = new Map<number, number>();
  readonly violations: string[] = [];

  constructor(cluster: Cluster) {
    cluster.onEvent((e) => {
      if (!('groupId' in e) || e.groupId !== GROUP) return;
      switch (e.type) {
        case 'group-join-completed':
          this.generation = e.generationId;
          break;
        case 'group-state-changed':
          if (e.to === 'Empty') this.generation = e.generationId;
          break;
        case 'group-coordinator-moved':
          this.generation = e.generationId;
          break;
        case 'group-deleted':
          this.generation = 0;
          this.committed.clear();
          break;
        case 'group-offsets-committed':
          if (e.generationId !== this.generation)
            this.violations.push(`seq ${e.seq}: commit from generation ${e.generationId} accepted while the group is at ${this.generation}`);
          for (const o of e.offsets) {
            const last = this.committed.get(o.partition);
            if (last !== undefined && o.offset < last) this.violations.push(`seq ${e.seq}: ${o.topic}-${o.partition} went back from ${last} to ${o.offset}`);
            this.committed.set(o.partition, o.offset);
          }
          break;
        case 'group-offsets-reset':
          for (const o of e.offsets) this.committed.set(o.partition, o.offset);
          break;
        case 'group-offsets-deleted':
          for (const o of e.offsets) this.committed.delete(o.partition);
          break;
        default:
          break;
      }
    });
  }
}

interface Real {
  readonly cluster: Cluster;
  readonly harness: GroupHarness;
  readonly tracker: Tracker;
  readonly assignor: AssignorName;
}

type Model = Record<string, never>;
type Command = fc.AsyncCommand<Model, Real>;

function partitions(cluster: Cluster): number {
  return cluster.describeTopic(TOPIC).partitions.length;
}

function pick<T>(list: readonly T[], i: number): T | undefined {
  return list.length === 0 ? undefined : list[i % list.length];
}

/** The checks that must hold once the group is at rest. */
async function settleAndCheck(r: Real): Promise<void> {
  expect(await r.harness.settle(), 'the group came to rest').to.equal(true);
  expect(r.tracker.violations).to.deep.equal([]);
  const live = r.harness.live();
  const d = r.cluster.groups.describeGroup(GROUP);
  // Committed offsets are what the log says was last committed, coordinator moves or not.
  const fetched = r.cluster.groups.offsetFetch({ groupId: GROUP, topics: [{ topic: TOPIC }] })[0]!.partitions;
  for (const p of fetched) expect(p.offset, `committed offset of partition ${p.partition}`).to.equal(r.tracker.committed.get(p.partition) ?? -1);
  if (live.length === 0) {
    expect(d.state).to.be.oneOf(['Empty', 'Dead']);
    return;
  }
  expect(d.state).to.equal('Stable');
  const P = partitions(r.cluster);
  const M = live.length;
  const owners = new Map<number, string[]>();
  const counts: number[] = [];
  for (const m of d.members) {
    const assigned = decodeAssignmentMap(m.memberAssignment).get(TOPIC) ?? [];
    counts.push(assigned.length);
    for (const p of assigned) owners.set(p, [...(owners.get(p) ?? []), m.memberId]);
    // The client holds what the coordinator relayed to it.
    const client = live.find((c) => c.memberId === m.memberId)!;
    expect(client.assignment.get(TOPIC) ?? [], `assignment of ${m.memberId}`).to.deep.equal(assigned);
  }
  expect(
    [...owners.keys()].sort((a, b) => a - b),
    'every partition is owned',
  ).to.deep.equal(Array.from({ length: P }, (_, i) => i));
  for (const [p, o] of owners) expect(o, `owners of partition ${p}`).to.have.length(1);
  for (const c of counts) expect(c).to.be.within(Math.floor(P / M), Math.ceil(P / M));
  expect(counts.filter((c) => c === 0).length, 'idle members').to.equal(Math.max(0, M - P));
}

const addMember = (): Command => ({
  check: () => true,
  run: async (_m, r) => {
    if (r.harness.live().length < MAX_MEMBERS) r.harness.add();
    await r.cluster.advance(0);
  },
  toString: () => 'AddMember',
});

const leaveMember = (i: number): Command => ({
  check: () => true,
  run: async (_m, r) => {
    pick(r.harness.live(), i)?.leave();
    await r.cluster.advance(0);
  },
  toString: () => `LeaveMember(${i})`,
});

const crashMember = (i: number): Command => ({
  check: () => true,
  run: async (_m, r) => {
    pick(r.harness.live(), i)?.crash();
    await r.cluster.advance(0);
  },
  toString: () => `CrashMember(${i})`,
});

const advance = (ms: number): Command => ({
  check: () => true,
  run: async (_m, r) => {
    await r.cluster.advance(ms);
    expect(r.tracker.violations).to.deep.equal([]);
  },
  toString: () => `Advance(${ms})`,
});

const addPartitions = (k: number): Command => ({
  check: () => true,
  run: async (_m, r) => {
    const current = partitions(r.cluster);
    // New replicas need as many running brokers as the replication factor.
    const allRunning = r.cluster.brokers().every((b) => b.status === 'running');
    if (current + k <= MAX_PARTITIONS && allRunning) r.cluster.createPartitions(TOPIC, current + k);
    await r.cluster.advance(0);
  },
  toString: () => `AddPartitions(${k})`,
});

const consumeAndCommit = (i: number, records: number): Command => ({
  check: () => true,
  run: async (_m, r) => {
    const client = pick(
      r.harness.live().filter((c) => c.status === 'stable'),
      i,
    );
    client?.consume(records);
    client?.commit();
    expect(r.tracker.violations).to.deep.equal([]);
  },
  toString: () => `ConsumeAndCommit(${i}, ${records})`,
});

const staleCommit = (i: number, back: number): Command => ({
  check: () => true,
  run: async (_m, r) => {
    // A client that lags behind (or a buggy one) commits with an older generation than its own.
    const client = pick(
      r.harness.live().filter((c) => c.status === 'stable' && c.positions.size > 0),
      i,
    );
    if (client === undefined) return;
    stats.stale++;
    expect(client.commit(client.positions.keys(), client.generationId - back), 'a commit from an older generation').to.equal(false);
    expect(client.errors.at(-1)).to.be.oneOf(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS']);
  },
  toString: () => `StaleCommit(${i}, ${back})`,
});

const zombieCommit = (i: number): Command => ({
  check: () => true,
  run: async (_m, r) => {
    const zombie: SimClient | undefined = pick(
      r.harness.clients.filter((c) => c.status === 'crashed' && c.positions.size > 0),
      i,
    );
    if (zombie === undefined) return;
    let d;
    try {
      d = r.cluster.groups.describeGroup(GROUP);
    } catch {
      return;
    }
    // Kafka accepts it only from a current member of the current generation, outside CompletingRebalance.
    const valid =
      d.members.some((m) => m.memberId === zombie.memberId) &&
      d.generationId === zombie.generationId &&
      (d.state === 'Stable' || d.state === 'PreparingRebalance');
    zombie.consume(1);
    stats.zombies++;
    if (valid) stats.zombiesAccepted++;
    expect(zombie.commit(), `zombie commit (generation ${zombie.generationId}, group ${d.state} at ${d.generationId})`).to.equal(valid);
    expect(r.tracker.violations).to.deep.equal([]);
  },
  toString: () => `ZombieCommit(${i})`,
});

const adminReset = (): Command => ({
  check: () => true,
  run: async (_m, r) => {
    let d;
    try {
      d = r.cluster.groups.describeGroup(GROUP);
    } catch {
      return;
    }
    const empty = d.state === 'Empty' || d.state === 'Dead';
    let error: unknown;
    try {
      r.cluster.groups.setOffsets({
        groupId: GROUP,
        topic: TOPIC,
        partitions: Array.from({ length: partitions(r.cluster) }, (_, partition) => ({ partition, offset: 0 })),
      });
    } catch (e) {
      error = e;
    }
    if (empty) stats.resets++;
    if (empty) expect(error).to.equal(undefined);
    else expect((error as { type?: string } | undefined)?.type).to.equal('UNKNOWN_MEMBER_ID');
  },
  toString: () => 'AdminReset',
});

const settle = (): Command => ({
  check: () => true,
  run: async (_m, r) => settleAndCheck(r),
  toString: () => 'SettleAndCheck',
});

const stopCoordinator = (): Command => ({
  check: () => true,
  run: async (_m, r) => {
    const running = r.cluster.brokers().filter((b) => b.status === 'running');
    if (running.length < 2) return;
    r.cluster.stopBroker(r.cluster.groups.findCoordinator(GROUP).nodeId);
    await r.cluster.advance(0);
  },
  toString: () => 'StopCoordinator',
});

const startBrokers = (): Command => ({
  check: () => true,
  run: async (_m, r) => {
    for (const b of r.cluster.brokers()) if (b.status === 'stopped') r.cluster.startBroker(b.nodeId);
    await r.cluster.advance(0);
  },
  toString: () => 'StartBrokers',
});

const memberCommands = [
  fc.constant(null).map(addMember),
  fc.constant(null).map(addMember),
  fc.nat().map(leaveMember),
  fc.nat().map(crashMember),
  fc.integer({ min: 100, max: 8000 }).map(advance),
  fc.integer({ min: 1, max: 2 }).map(addPartitions),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 5 })).map(([i, n]) => consumeAndCommit(i, n)),
  fc.nat().map(zombieCommit),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 2 })).map(([i, back]) => staleCommit(i, back)),
  fc.constant(null).map(adminReset),
  fc.constant(null).map(settle),
];

async function play(options: { brokers: number; assignor: AssignorName; initialDelay: number; seed: number }, commands: Iterable<Command>): Promise<void> {
  const cluster = newCluster({ brokers: options.brokers, seed: options.seed, config: { 'group.initial.rebalance.delay.ms': options.initialDelay } });
  cluster.createTopic({ topic: TOPIC, numPartitions: 3, replicationFactor: options.brokers });
  const real: Real = {
    cluster,
    harness: new GroupHarness(cluster, GROUP, { topics: [TOPIC], assignors: [options.assignor] }),
    tracker: new Tracker(cluster),
    assignor: options.assignor,
  };
  stats.commands += [...commands].length;
  await fc.asyncModelRun(() => ({ model: {} as Model, real }), commands);
  await settleAndCheck(real);
  stats.runs++;
  stats.virtualMs += cluster.now();
  stats.events += cluster.events().length;
  stats.rebalances += cluster.events().filter((e) => e.type === 'group-join-completed').length;
  stats.moves += cluster.events().filter((e) => e.type === 'group-coordinator-moved').length;
  cluster.close();
}

describe('groups: model-based schedules', function () {
  this.timeout(60000);
  after(() => {
    if (process.env['GROUPS_MODEL_STATS']) console.log(stats);
  });

  it('keeps the assignment a balanced partition of the topic and commits safe (one broker)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<AssignorName>('roundrobin', 'range', 'cooperative-sticky'),
        fc.constantFrom(0, 1000, 3000),
        fc.integer({ min: 0, max: 1000 }),
        fc.commands(memberCommands, { maxCommands: 40, size: 'max' }),
        async (assignor, initialDelay, seed, commands) => play({ brokers: 1, assignor, initialDelay, seed }, commands),
      ),
      { numRuns: RUNS },
    );
  });

  it('survives coordinator failures with offsets intact (three brokers)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<AssignorName>('roundrobin', 'range', 'cooperative-sticky'),
        fc.integer({ min: 0, max: 1000 }),
        fc.commands([...memberCommands, fc.constant(null).map(stopCoordinator), fc.constant(null).map(startBrokers)], { maxCommands: 40, size: 'max' }),
        async (assignor, seed, commands) => play({ brokers: 3, assignor, initialDelay: 500, seed }, commands),
      ),
      { numRuns: Math.ceil((RUNS * 2) / 3) },
    );
  });
});
