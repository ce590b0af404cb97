/**
 * Log compaction, model-based: random schedules of produce (a few keys, values and tombstones),
 * clock advances (the cleaners run every 500 ms), broker stops and starts, and direct cleaner
 * runs, over a 3-broker cluster with a compacted topic of 3 replicas. After every step:
 * - every in-sync replica's table view (last value per key below the high watermark, a tombstone
 *   deleting its key) equals the model's, which is built from every record written;
 * - every record a replica holds is the one written at its offset (offset, key, value, timestamp,
 *   headers), and offsets strictly increase;
 * - nothing at or above a replica's first uncleanable offset was removed (checked at each
 *   cleaning: the bound is at most the high watermark and the active segment's base, and no
 *   segment below it is younger than min.compaction.lag.ms), nor anything above every cleaning
 *   so far (a follower copies its leader's cleaned log, so it may miss what the leader removed);
 * - a tombstone disappears only `delete.retention.ms` after the cleaning that first kept it;
 * - a fetch from any offset starts at the first record at or after it.
 * A failure prints fast-check's seed and the shrunk schedule.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { settle } from '../../emulator/clock.js';
import { runCleaner } from '../../emulator/cleaner.js';
import { Engine } from '../../emulator/engine.js';
import type { ReplicaLog } from '../../emulator/log.js';
import type { FetchedRecord } from '../../emulator/records.js';
import type { EngineState } from '../../emulator/state.js';

const BROKERS = 3;
const KEYS = ['a', 'b', 'c', 'd', 'e'];

interface Settings {
  readonly ratio: number;
  readonly minLag: number;
  readonly deleteRetention: number;
  readonly segmentBytes: number;
}

interface Written {
  readonly key: string;
  readonly value: string | null;
  readonly header: string;
}

interface Real {
  readonly engine: Engine;
  readonly settings: Settings;
  /** Every record written, by offset. */
  readonly written: Map<number, Written>;
  /** Each record's timestamp as first read, by offset. */
  readonly timestamps: Map<number, number>;
  /** Per tombstone offset: when a cleaning (on any replica: followers copy their leader's cleaned log) first kept it. */
  readonly firstKept: Map<number, number>;
  readonly violations: string[];
  /** The highest `cleanedUpTo` of any cleaning so far: followers copy their leader's cleaned log, so no replica misses a record above it. */
  cleanedUpTo: number;
  next: number;
  /** Keys a replica still holds because it missed their expired tombstone (counted, for the report). */
  resurrected: number;
}

function stateOf(engine: Engine): EngineState {
  return (engine as unknown as { state: EngineState }).state;
}

function logOf(engine: Engine, broker: number): ReplicaLog {
  return stateOf(engine).topics.get('t')!.partitions[0]!.replicaStates.get(broker)!.log;
}

function readAll(log: ReplicaLog): FetchedRecord[] {
  return log.read(log.logStartOffset, log.logEndOffset, Infinity);
}

function newReal(seed: number, settings: Settings): Real {
  const engine = new Engine({ brokers: BROKERS, clock: 'virtual', seed, config: { 'log.cleaner.backoff.ms': 500, 'replica.lag.time.max.ms': 1000 } });
  engine.createTopic({
    topic: 't',
    replicaAssignment: [[1, 2, 3]],
    config: {
      'cleanup.policy': 'compact',
      'segment.bytes': settings.segmentBytes,
      'segment.ms': 700,
      'min.cleanable.dirty.ratio': settings.ratio,
      'min.compaction.lag.ms': settings.minLag,
      'delete.retention.ms': settings.deleteRetention,
      'min.insync.replicas': 2,
    },
  });
  const real: Real = { engine, settings, written: new Map(), timestamps: new Map(), firstKept: new Map(), violations: [], cleanedUpTo: 0, next: 0, resurrected: 0 };
  engine.onEvent((e) => {
    if (e.type !== 'log-cleaned') return;
    const log = logOf(engine, e.broker);
    const now = engine.now();
    real.cleanedUpTo = Math.max(real.cleanedUpTo, e.cleanedUpTo);
    if (e.cleanedUpTo > log.highWatermark) real.violations.push(`cleaned above the high watermark: ${JSON.stringify(e)} (HW ${log.highWatermark})`);
    if (e.cleanedUpTo > log.activeSegment.baseOffset) real.violations.push(`cleaned into the active segment: ${JSON.stringify(e)}`);
    for (const segment of log.segments) {
      if (segment.baseOffset >= e.cleanedUpTo || settings.minLag === 0) break;
      if (segment.maxTimestamp > now - settings.minLag) real.violations.push(`cleaned a segment younger than min.compaction.lag.ms: ${JSON.stringify(e)}`);
    }
    for (const r of readAll(log)) if (r.offset < e.cleanedUpTo && r.value === null && !real.firstKept.has(r.offset)) real.firstKept.set(r.offset, now);
  });
  return real;
}

type Model = Record<string, never>;

class Produce implements fc.AsyncCommand<Model, Real> {
  constructor(readonly records: readonly { key: string; tombstone: boolean }[]) {}
  check = () => true;
  async run(_m: Model, r: Real): Promise<void> {
    const records = this.records.map(({ key, tombstone }) => {
      const n = r.next++;
      return { key, value: tombstone ? null : `v${n}`, header: `h${n}` };
    });
    const result = await r.engine.produce({
      topic: 't',
      partition: 0,
      acks: -1,
      timeout: 1000,
      records: records.map((x) => ({ key: Buffer.from(x.key), value: x.value === null ? null : Buffer.from(x.value), headers: [{ key: 'n', value: Buffer.from(x.header) }] })),
    });
    if (result.baseOffset >= 0) records.forEach((x, i) => r.written.set(result.baseOffset + i, x));
    check(r);
  }
  toString = () => `produce(${this.records.map((x) => (x.tombstone ? `${x.key}=null` : x.key)).join(' ')})`;
}

class Fault implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly kind: 'stop' | 'start',
    readonly broker: number,
  ) {}
  check = () => true;
  async run(_m: Model, r: Real): Promise<void> {
    if (this.kind === 'stop') r.engine.stopBroker(this.broker);
    else r.engine.startBroker(this.broker);
    await settle();
    check(r);
  }
  toString = () => `${this.kind}(${this.broker})`;
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(_m: Model, r: Real): Promise<void> {
    await r.engine.advance(this.ms);
    check(r);
  }
  toString = () => `advance(${this.ms})`;
}

class Clean implements fc.AsyncCommand<Model, Real> {
  constructor(readonly broker: number) {}
  check = () => true;
  async run(_m: Model, r: Real): Promise<void> {
    if (r.engine.brokers().find((b) => b.nodeId === this.broker)!.status === 'running') runCleaner(stateOf(r.engine), this.broker);
    check(r);
  }
  toString = () => `clean(${this.broker})`;
}

const commands = [
  fc.array(fc.record({ key: fc.constantFrom(...KEYS), tombstone: fc.integer({ min: 0, max: 3 }).map((x) => x === 0) }), { minLength: 1, maxLength: 4 }).map((rs) => new Produce(rs)),
  fc.tuple(fc.constantFrom<'stop' | 'start'>('stop', 'start'), fc.integer({ min: 1, max: BROKERS })).map(([k, b]) => new Fault(k, b)),
  fc.integer({ min: 1, max: 3000 }).map((ms) => new Advance(ms)),
  fc.integer({ min: 1, max: BROKERS }).map((b) => new Clean(b)),
];

/** The table view of records below `upTo`: each key's last value, a tombstone removing it. */
function tableOf(records: Iterable<{ offset: number; key: string; value: string | null }>, upTo: number): Map<string, string> {
  const table = new Map<string, string>();
  for (const r of records) {
    if (r.offset >= upTo) continue;
    if (r.value === null) table.delete(r.key);
    else table.set(r.key, r.value);
  }
  return table;
}

function check(r: Real): void {
  expect(r.violations, r.violations.join('\n')).to.deep.equal([]);
  const s = stateOf(r.engine);
  const p = s.topics.get('t')!.partitions[0]!;
  const now = r.engine.now();
  const history = [...r.written.entries()].sort((a, b) => a[0] - b[0]).map(([offset, w]) => ({ offset, key: w.key, value: w.value }));
  const model = tableOf(history, p.highWatermark);
  for (const broker of [1, 2, 3]) {
    const log = logOf(r.engine, broker);
    const records = readAll(log);
    const present = new Set<number>();
    let previous = -1;
    for (const rec of records) {
      expect(rec.offset, `offsets increase on broker ${broker}`).to.be.greaterThan(previous);
      previous = rec.offset;
      present.add(rec.offset);
      const w = r.written.get(rec.offset);
      if (w === undefined || rec.offset >= p.highWatermark) continue;
      expect({ key: rec.key?.toString(), value: rec.value?.toString() ?? null, header: rec.headers[0]?.value?.toString() }, `record at ${rec.offset} on ${broker}`).to.deep.equal(w);
      const ts = r.timestamps.get(rec.offset);
      if (ts === undefined) r.timestamps.set(rec.offset, rec.timestamp);
      else expect(rec.timestamp, `timestamp at ${rec.offset} on ${broker}`).to.equal(ts);
    }
    // Nothing above the cleaned parts was removed.
    const cleanedUpTo = r.cleanedUpTo;
    for (const { offset } of history) {
      if (offset >= cleanedUpTo && offset < Math.min(log.logEndOffset, p.highWatermark)) expect(present.has(offset), `record ${offset} above the cleaned part on ${broker}`).to.equal(true);
    }
    // A tombstone goes only once its delete horizon has passed.
    for (const h of history) {
      if (h.value !== null || present.has(h.offset) || h.offset >= Math.min(log.logEndOffset, p.highWatermark)) continue;
      if (history.some((x) => x.key === h.key && x.offset > h.offset)) continue; // superseded, not expired
      const kept = r.firstKept.get(h.offset);
      expect(kept, `tombstone ${h.offset} on ${broker} removed without a cleaning having kept it`).to.not.equal(undefined);
      expect(now - kept!, `tombstone ${h.offset} on ${broker} removed before delete.retention.ms`).to.be.at.least(r.settings.deleteRetention);
    }
    // In-sync replicas agree with the model.
    if (p.isr.includes(broker)) {
      const view = tableOf(
        records.map((x) => ({ offset: x.offset, key: x.key!.toString(), value: x.value?.toString() ?? null })),
        p.highWatermark,
      );
      // As in Kafka: a replica that was away while a tombstone expired on the leader never gets it,
      // and keeps the older value it holds (delete.retention.ms bounds how long a reader, or a
      // follower, may lag and still see deletions). Only that divergence is allowed.
      for (const [key, value] of view) {
        if (model.get(key) === value) continue;
        const tombstone = history.filter((x) => x.key === key && x.offset < p.highWatermark).at(-1);
        const missed =
          model.get(key) === undefined &&
          tombstone !== undefined &&
          tombstone.value === null &&
          !present.has(tombstone.offset) &&
          r.firstKept.has(tombstone.offset) &&
          now - r.firstKept.get(tombstone.offset)! >= r.settings.deleteRetention;
        if (missed) {
          r.resurrected++;
          view.delete(key);
        }
      }
      expect(Object.fromEntries(view), `table view of in-sync replica ${broker}`).to.deep.equal(Object.fromEntries(model));
    }
  }
  if (p.leader !== -1 && r.engine.brokers().find((b) => b.nodeId === p.leader)!.status === 'running') {
    const leader = readAll(logOf(r.engine, p.leader)).filter((x) => x.offset < p.highWatermark);
    for (let o = 0; o < p.highWatermark; o += 3) {
      const got = r.engine.fetch({ topic: 't', partition: 0, offset: o, maxRecords: 1 }).records[0]?.offset;
      expect(got, `fetch from ${o}`).to.equal(leader.find((x) => x.offset >= o)?.offset);
    }
  }
}

const settingsArb = fc.record({
  ratio: fc.constantFrom(0.01, 0.5),
  minLag: fc.constantFrom(0, 1500),
  deleteRetention: fc.constantFrom(0, 2000),
  segmentBytes: fc.constantFrom(200, 1000),
});

describe('log compaction (model-based)', () => {
  it('table views equal the model; offsets increase and never change; nothing uncleanable removed; tombstones kept for delete.retention.ms; replicas converge', async function () {
    this.timeout(60_000);
    // What the runs exercised, so that the properties are not vacuous.
    const seen = { cleanings: 0, recordsRemoved: 0, tombstonesRemoved: 0, merges: 0 };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), settingsArb, fc.commands(commands, { size: '+1' }), async (seed, settings, cmds) => {
        let real: Real | undefined;
        await fc.asyncModelRun(() => {
          real = newReal(seed, settings);
          return { model: {}, real };
        }, cmds);
        for (const e of real!.engine.events()) {
          if (e.type !== 'log-cleaned') continue;
          seen.cleanings++;
          seen.recordsRemoved += e.recordsBefore - e.recordsAfter;
          seen.tombstonesRemoved += e.tombstonesRemoved;
          if (e.segmentsAfter < e.segmentsBefore) seen.merges++;
        }
      }),
      { numRuns: 120 },
    );
    expect(seen.cleanings, JSON.stringify(seen)).to.be.greaterThan(100);
    expect(seen.recordsRemoved, JSON.stringify(seen)).to.be.greaterThan(100);
    expect(seen.tombstonesRemoved, JSON.stringify(seen)).to.be.greaterThan(10);
    expect(seen.merges, JSON.stringify(seen)).to.be.greaterThan(10);
  });
});
