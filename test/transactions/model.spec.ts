/**
 * Model-based test of the transaction coordinator: random sequences of InitProducerId (the same
 * instance, a recovering one, or a new instance that turns the old one into a zombie),
 * AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn (commit or abort, from the current
 * producer or a zombie), clock advances (timeouts fire), partitions refusing markers, and
 * `__transaction_state` leaders moving or going away, for two transactional ids over a fake broker.
 *
 * A simple model follows each id's open transaction (the partitions the producer was told were
 * added) and the decisions taken (EndTxn answered, a new producer's InitProducerId aborting, a
 * timeout). Invariants: no request at a fenced epoch succeeds; an open transaction never vanishes
 * without a decision; every move of the state machine is legal; and once the cluster settles,
 * every decided transaction has exactly one marker per partition, COMMIT or ABORT as decided, in
 * the order the transactions were decided.
 *
 * fast-check's failure message carries the seed and path; replay with TXN_MODEL_SEED and
 * TXN_MODEL_PATH. Raise TXN_MODEL_RUNS for a longer hunt.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { CONSUMER_OFFSETS_TOPIC, TxnErrors, VALID_PREVIOUS_STATES, type TxnMarker } from '../../emulator/transactions/index.js';
import { partitionForGroup } from '../../protocol/hashing.js';
import { FakeBroker, OFFSETS_PARTITIONS, TestProducer } from './fake-port.js';

const IDS = ['alpha', 'beta'] as const;
const TOPICS: Readonly<Record<string, number>> = { orders: 3, audit: 2 };
const GROUPS = ['g1', 'g2'] as const;
const TIMEOUT_MS = 5_000;
const RUNS = Number(process.env['TXN_MODEL_RUNS'] ?? 200);
/** What the runs exercised; printed with TXN_MODEL_STATS=1 to check the schedules reach the interesting cases. */
const stats: Record<string, number> = {};
const count = (what: string): void => {
  stats[what] = (stats[what] ?? 0) + 1;
};

interface Decided {
  readonly partitions: ReadonlySet<string>;
  readonly commit: boolean;
  readonly why: string;
}

/** What the model knows of one transactional id. */
class IdModel {
  /** Producer instances, oldest first; the last one is the current instance. */
  readonly instances: TestProducer[] = [];
  /** Partitions of the transaction the coordinator has Ongoing (as the producer was told); undefined: none. */
  open: Set<string> | undefined;
  readonly decided: Decided[] = [];

  constructor(
    readonly broker: FakeBroker,
    readonly id: string,
  ) {}

  get current(): TestProducer | undefined {
    return this.instances.at(-1);
  }

  decide(commit: boolean, why: string): void {
    if (this.open === undefined) throw new Error(`model: ${this.id} decided (${why}) with no open transaction`);
    this.decided.push({ partitions: this.open, commit, why });
    count(`decided: ${why}`);
    this.open = undefined;
  }

  add(partitions: readonly string[]): void {
    this.open ??= new Set();
    for (const p of partitions) this.open.add(p);
  }
}

class World {
  readonly b = new FakeBroker({
    brokers: 3,
    settings: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1_000 },
  });
  readonly models = IDS.map((id) => new IdModel(this.b, id));
  /** The newest epoch the coordinator stands at, per producer id (from answers and txn-fenced events). */
  readonly currentEpoch = new Map<number, number>();
  readonly violations: string[] = [];
  private eventsSeen = 0;

  constructor() {
    for (const [topic, n] of Object.entries(TOPICS)) this.b.topics.set(topic, n);
  }

  /** Reads the events since the last look: timeouts decide, fencing moves the current epoch. */
  sync(): void {
    for (; this.eventsSeen < this.b.events.length; this.eventsSeen++) {
      const e = this.b.events[this.eventsSeen]!;
      if (e.type === 'txn-fenced') this.bump(e.newProducerId, e.producerEpoch);
      if (e.type === 'txn-timed-out') this.model(e.transactionalId).decide(false, 'timeout');
    }
    for (const t of this.b.transitions.splice(0)) {
      if (!VALID_PREVIOUS_STATES[t.to].includes(t.from)) this.violations.push(`illegal move ${t.from} -> ${t.to} of ${t.transactionalId}`);
    }
  }

  model(id: string): IdModel {
    return this.models.find((m) => m.id === id)!;
  }

  bump(producerId: number, epoch: number): void {
    this.currentEpoch.set(producerId, Math.max(epoch, this.currentEpoch.get(producerId) ?? -1));
  }

  /** A success at an epoch older than the coordinator's current one is a fenced producer let through. */
  checkNotFenced(what: string, p: TestProducer, producerId: number, epoch: number, code: number): void {
    const current = this.currentEpoch.get(producerId);
    if (current !== undefined && epoch < current) count(`${what} at a fenced epoch: ${code}`);
    if (code === TxnErrors.NONE && current !== undefined && epoch < current) {
      this.violations.push(`${what} of ${p.transactionalId} at fenced epoch ${epoch} (current ${current}) succeeded`);
    }
  }
}

type Cmd = fc.AsyncCommand<object, World>;
const tp = (topic: string, partition: number): string => `${topic}-${partition}`;

/** Picks the current instance (0) or an older one, a zombie (1). */
function pick(m: IdModel, zombie: boolean): TestProducer | undefined {
  return zombie ? m.instances.at(-2) : m.current;
}

class Init implements Cmd {
  constructor(
    readonly idx: number,
    readonly mode: 'same' | 'recover' | 'new',
  ) {}
  check = (): boolean => true;
  async run(_: object, w: World): Promise<void> {
    const m = w.models[this.idx]!;
    let p = m.current;
    if (p === undefined || this.mode === 'new') m.instances.push((p = new TestProducer(w.b, m.id, TIMEOUT_MS)));
    const before = { producerId: p.producerId, epoch: p.epoch };
    const answer = p.init({ recover: this.mode === 'recover' && before.producerId !== -1 });
    count(`init ${this.mode}: ${answer.errorCode}`);
    // A recovering producer names its epoch (KIP-360): a fenced one must not get back in.
    if (this.mode === 'recover' && before.producerId !== -1)
      w.checkNotFenced('InitProducerId (recovering)', p, before.producerId, before.epoch, answer.errorCode);
    if (answer.errorCode === TxnErrors.NONE) {
      if (m.open !== undefined) w.violations.push(`InitProducerId of ${m.id} succeeded while a transaction was open: it was dropped without a decision`);
      w.bump(answer.producerId, answer.producerEpoch);
    } else if (answer.errorCode === TxnErrors.CONCURRENT_TRANSACTIONS && m.open !== undefined) {
      m.decide(false, 'fenced by InitProducerId');
    }
    w.sync();
  }
  toString = (): string => `init(${IDS[this.idx]}, ${this.mode})`;
}

class Add implements Cmd {
  constructor(
    readonly idx: number,
    readonly zombie: boolean,
    readonly topic: string,
    readonly partitions: readonly number[],
  ) {}
  check = (): boolean => true;
  async run(_: object, w: World): Promise<void> {
    const m = w.models[this.idx]!;
    const p = pick(m, this.zombie);
    if (p === undefined || p.producerId === -1) return;
    const code = p.add(this.topic, this.partitions);
    w.checkNotFenced('AddPartitionsToTxn', p, p.producerId, p.epoch, code);
    if (code === TxnErrors.NONE) m.add(this.partitions.map((x) => tp(this.topic, x)));
    w.sync();
  }
  toString = (): string => `add(${IDS[this.idx]}${this.zombie ? ', zombie' : ''}, ${this.topic}, [${this.partitions.join(',')}])`;
}

class AddOffsets implements Cmd {
  constructor(
    readonly idx: number,
    readonly zombie: boolean,
    readonly group: string,
    readonly thenCommit: boolean,
  ) {}
  check = (): boolean => true;
  async run(_: object, w: World): Promise<void> {
    const m = w.models[this.idx]!;
    const p = pick(m, this.zombie);
    if (p === undefined || p.producerId === -1) return;
    const code = p.addOffsets(this.group);
    w.checkNotFenced('AddOffsetsToTxn', p, p.producerId, p.epoch, code);
    if (code === TxnErrors.NONE) m.add([tp(CONSUMER_OFFSETS_TOPIC, partitionForGroup(this.group, OFFSETS_PARTITIONS))]);
    if (this.thenCommit) {
      const committed = p.commitOffsets(this.group, 'orders', { 0: 10 });
      w.checkNotFenced('TxnOffsetCommit', p, p.producerId, p.epoch, committed);
    }
    w.sync();
  }
  toString = (): string => `addOffsets(${IDS[this.idx]}${this.zombie ? ', zombie' : ''}, ${this.group}${this.thenCommit ? ', commit offsets' : ''})`;
}

class End implements Cmd {
  constructor(
    readonly idx: number,
    readonly zombie: boolean,
    readonly commit: boolean,
  ) {}
  check = (): boolean => true;
  async run(_: object, w: World): Promise<void> {
    const m = w.models[this.idx]!;
    const p = pick(m, this.zombie);
    if (p === undefined || p.producerId === -1) return;
    const code = p.end(this.commit);
    count(`end: ${code}`);
    w.checkNotFenced('EndTxn', p, p.producerId, p.epoch, code);
    if (code === TxnErrors.NONE && m.open !== undefined) m.decide(this.commit, this.commit ? 'commit' : 'abort');
    w.sync();
  }
  toString = (): string => `end(${IDS[this.idx]}${this.zombie ? ', zombie' : ''}, ${this.commit ? 'commit' : 'abort'})`;
}

class Advance implements Cmd {
  constructor(readonly ms: number) {}
  check = (): boolean => true;
  async run(_: object, w: World): Promise<void> {
    await w.b.advance(this.ms);
    w.sync();
  }
  toString = (): string => `advance(${this.ms})`;
}

class Move implements Cmd {
  constructor(
    readonly idx: number,
    readonly to: number,
  ) {}
  check = (): boolean => true;
  async run(_: object, w: World): Promise<void> {
    if (!w.b.topics.has('__transaction_state')) return;
    w.b.moveLeader(partitionForGroup(IDS[this.idx]!, 5), this.to);
    w.sync();
  }
  toString = (): string => `move(${IDS[this.idx]} -> ${this.to})`;
}

class Refuse implements Cmd {
  constructor(
    readonly partition: string,
    readonly on: boolean,
  ) {}
  check = (): boolean => true;
  async run(_: object, w: World): Promise<void> {
    if (this.on) w.b.refusing.add(this.partition);
    else w.b.refusing.delete(this.partition);
  }
  toString = (): string => `${this.on ? 'refuse' : 'accept'}(${this.partition})`;
}

const idx = fc.integer({ min: 0, max: IDS.length - 1 });
const partitionsOf = (topic: string): fc.Arbitrary<number[]> =>
  fc.uniqueArray(fc.integer({ min: 0, max: TOPICS[topic]! - 1 }), { minLength: 1, maxLength: TOPICS[topic]! });
const commands: fc.Arbitrary<Cmd>[] = [
  fc.tuple(idx, fc.constantFrom<'same' | 'recover' | 'new'>('same', 'same', 'recover', 'new')).map(([i, mode]) => new Init(i, mode)),
  fc.tuple(idx, fc.boolean(), fc.constantFrom(...Object.keys(TOPICS))).chain(([i, z, topic]) => partitionsOf(topic).map((ps) => new Add(i, z, topic, ps))),
  fc.tuple(idx, fc.boolean(), fc.constantFrom(...GROUPS), fc.boolean()).map(([i, z, g, c]) => new AddOffsets(i, z, g, c)),
  fc.tuple(idx, fc.boolean(), fc.boolean()).map(([i, z, c]) => new End(i, z, c)),
  fc.constantFrom(0, 50, 100, 1_000, 3_000, 6_000).map((ms) => new Advance(ms)),
  fc.tuple(idx, fc.constantFrom(-1, 1, 2, 3)).map(([i, to]) => new Move(i, to)),
  fc.tuple(fc.constantFrom('orders-0', 'orders-1', 'audit-0'), fc.boolean()).map(([p, on]) => new Refuse(p, on)),
];

/** Brings every partition back, lets every timeout and marker retry run, then checks the markers. */
async function settle(w: World): Promise<void> {
  w.b.refusing.clear();
  for (const i of IDS.keys())
    if (w.b.topics.has('__transaction_state') && w.b.coordinator.leaderOf(partitionForGroup(IDS[i]!, 5)) === -1)
      w.b.moveLeader(partitionForGroup(IDS[i]!, 5), 1);
  w.sync();
  await w.b.advance(2 * TIMEOUT_MS + 2_000);
  w.sync();
  for (const m of w.models) {
    if (m.open !== undefined) w.violations.push(`${m.id} still has an open transaction after every timeout passed`);
    const txn = w.b.coordinator.get(m.id);
    if (txn !== undefined && txn.completionPending) w.violations.push(`${m.id} is still ${txn.state} after the cluster settled`);
    checkMarkers(w, m);
  }
}

/** Each decided transaction, in order, has one marker per partition with its decision, and nothing else. */
function checkMarkers(w: World, m: IdModel): void {
  const ids = new Set<number>();
  for (const e of w.b.events) if (e.type === 'producer-id-allocated' && e.transactionalId === m.id) ids.add(e.producerId);
  const mine: TxnMarker[] = w.b.markers.filter((x) => ids.has(x.producerId));
  stats['markers'] = (stats['markers'] ?? 0) + mine.length;
  stats['markers refused'] = (stats['markers refused'] ?? 0) + w.b.refused.filter((x) => ids.has(x.producerId)).length;
  let at = 0;
  for (const [n, d] of m.decided.entries()) {
    const slice = mine.slice(at, at + d.partitions.size);
    at += d.partitions.size;
    const got = slice.map((x) => tp(x.topic, x.partition)).sort();
    const want = [...d.partitions].sort();
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      w.violations.push(`${m.id} transaction #${n} (${d.why}): markers on [${got.join(', ')}], expected [${want.join(', ')}]`);
      return;
    }
    if (slice.some((x) => x.commit !== d.commit)) w.violations.push(`${m.id} transaction #${n} (${d.why}): a marker says ${d.commit ? 'ABORT' : 'COMMIT'}`);
  }
  if (at !== mine.length) w.violations.push(`${m.id}: ${mine.length - at} markers beyond the ${m.decided.length} decided transactions`);
}

describe('transactions: model', () => {
  after(() => {
    if (process.env['TXN_MODEL_STATS'] === '1') console.log(stats);
  });

  it('keeps markers exactly once per decided transaction, fences stale epochs, and moves states legally', async function () {
    this.timeout(300_000);
    const seed = process.env['TXN_MODEL_SEED'];
    const path = process.env['TXN_MODEL_PATH'];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 60, size: 'max' }), async (cmds) => {
        const w = new World();
        await fc.asyncModelRun(() => ({ model: {}, real: w }), cmds);
        await settle(w);
        expect(w.violations, w.violations.join('\n')).to.deep.equal([]);
      }),
      { numRuns: RUNS, ...(seed === undefined ? {} : { seed: Number(seed) }), ...(path === undefined ? {} : { path }) },
    );
  });
});
