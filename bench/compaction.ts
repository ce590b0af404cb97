/**
 * Compaction: the log cleaner's throughput, records cleaned per second of wall time, against the
 * raw baseline of deduplicating the same records in a JavaScript Map (latest per key), for one
 * partition at replication 1 and 3; and the heap the log holds before and after a cleaning.
 *
 * The cleaner runs on its own schedule (`log.cleaner.backoff.ms`) on the virtual clock: the
 * records are written first and replicated, then the clock is moved across the cleaner's first
 * run, and that move is what is timed. Every broker cleans its own replica, so at replication 3
 * the records cleaned count each replica's (the replicas share the batches the first one rewrote,
 * so the second and third cleanings cost less than the first).
 */
import { Cluster } from '../src/index.js';
import { type AreaResult, type BenchContext, gc, judge, now, rate, size } from './lib.js';

/** Sizes of the compaction area. */
export interface CompactionOptions {
  /** Records written to the partition (env BENCH_COMPACTION_N; default 200,000). */
  n?: number;
  /** Distinct keys, used in turn (default 1,000). */
  keys?: number;
  /** Replication factors to measure (default [1, 3]). */
  replication?: number[];
}

const VALUE = 100;
const PER_REQUEST = 100;
// The cleaner's first run: well after the writes have reached every replica.
const BACKOFF_MS = 60_000;

const key = (i: number, keys: number) => Buffer.from(`user-${i % keys}`);
const value = (i: number) => Buffer.alloc(VALUE, i % 251);

function heap(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

interface Cleaned {
  /** Records in the cleaned ranges, summed over the replicas. */
  records: number;
  recordsAfter: number;
  ms: number;
  /** Heap the cluster held before and after the cleaning, above what was in use before it was made. */
  heapBefore: number;
  heapAfter: number;
}

/** Writes `n` keyed records to one partition, lets them replicate, then times the cleaner's run. */
export async function cleanOnce(n: number, keys: number, replication: number): Promise<Cleaned> {
  const empty = heap();
  // About 25 segments: the cleaner leaves the active one alone, and merges the cleaned ones.
  const segmentBytes = Math.max(64 * 1024, Math.floor((n * (VALUE + 30)) / 25));
  const cluster = new Cluster({ clock: 'virtual', seed: 1, brokers: replication, config: { 'log.cleaner.backoff.ms': BACKOFF_MS } });
  try {
    // The cleaner's first pass comes log.cleaner.backoff.ms after the cluster's start time.
    const start = cluster.now();
    cluster.createTopic({
      topic: 'profiles',
      numPartitions: 1,
      replicationFactor: replication,
      config: { 'cleanup.policy': 'compact', 'segment.bytes': segmentBytes },
    });
    for (let i = 0; i < n; i += PER_REQUEST) {
      const records = Array.from({ length: Math.min(PER_REQUEST, n - i) }, (_, j) => ({ key: key(i + j, keys), value: value(i + j) }));
      await cluster.produce({ topic: 'profiles', partition: 0, acks: 1, records });
    }
    await cluster.advance(start + BACKOFF_MS - 1000 - cluster.now());
    const d = cluster.describePartition('profiles', 0);
    if (d.highWatermark !== n || d.replicaStates.some((r) => r.logEndOffset !== n))
      throw new Error(`the writes did not reach every replica: ${JSON.stringify(d.replicaStates.map((r) => r.logEndOffset))}`);
    const heapBefore = heap() - empty;
    const seen = cluster.events().length;
    const started = now();
    await cluster.advance(2000);
    const ms = now() - started;
    const cleanings = cluster
      .events()
      .slice(seen)
      .filter((e) => e.type === 'log-cleaned');
    if (cleanings.length !== replication) throw new Error(`expected ${replication} cleaning(s), saw ${cleanings.length}`);
    const heapAfter = heap() - empty;
    return {
      records: cleanings.reduce((sum, e) => sum + e.recordsBefore, 0),
      recordsAfter: cleanings.reduce((sum, e) => sum + e.recordsAfter, 0),
      ms,
      heapBefore,
      heapAfter,
    };
  } finally {
    cluster.close();
  }
}

/** The raw baseline: the latest record per key of the same records in a Map; the fastest of three runs, in ms. */
export function dedupeInMap(n: number, keys: number): { ms: number; kept: number } {
  const records = Array.from({ length: n }, (_, i) => ({ offset: i, key: key(i, keys), value: value(i) }));
  let best = Infinity;
  let kept = 0;
  for (let run = 0; run < 3; run++) {
    const started = now();
    const latest = new Map<string, (typeof records)[number]>();
    for (const r of records) latest.set(r.key.toString('latin1'), r);
    best = Math.min(best, now() - started);
    kept = latest.size;
  }
  return { ms: best, kept };
}

/** Runs the area. */
export async function compaction(ctx: BenchContext, options: CompactionOptions = {}): Promise<AreaResult> {
  const n = options.n ?? size('BENCH_COMPACTION_N', 200_000, ctx.scale, 1000);
  const keys = options.keys ?? 1000;
  const replication = options.replication ?? [1, 3];
  const rows: AreaResult['rows'] = [];
  const notes: string[] = [];
  let memory: Cleaned | undefined;
  for (const rf of replication) {
    ctx.log(`compaction: ${n.toLocaleString('en')} records over ${keys.toLocaleString('en')} keys, replication ${rf}`);
    const cleaned = await cleanOnce(n, keys, rf);
    memory ??= cleaned;
    // Measured right after, on the records the cleaning saw, so the two share the machine's state.
    const perReplica = cleaned.records / rf;
    const baseline = dedupeInMap(perReplica, keys);
    const cleanerRate = rate(cleaned.records, cleaned.ms);
    const mapRate = rate(perReplica, baseline.ms);
    const slower = mapRate / cleanerRate;
    rows.push({
      area: 'compaction',
      figure: `cleaner, replication ${rf}: records cleaned per second`,
      value: cleanerRate,
      unit: 'records/s',
      reference: 'raw Map dedupe of the same records',
      referenceValue: mapRate,
      ratio: slower,
      target: '<= 10x slower than the Map',
      ...judge(slower, 10, 'max'),
    });
    notes.push(
      `compaction, replication ${rf}: ${cleaned.records.toLocaleString('en')} records cleaned (${(cleaned.records / rf).toLocaleString('en')} per replica, the rest in the active segment) down to ${cleaned.recordsAfter.toLocaleString('en')} in ${cleaned.ms.toFixed(0)} ms of wall time`,
    );
  }
  if (memory !== undefined) {
    const shrink = memory.heapBefore / Math.max(1, memory.heapAfter);
    rows.push({
      area: 'compaction',
      figure: 'heap of the cluster after cleaning (replication 1)',
      value: memory.heapAfter / 2 ** 20,
      unit: 'MiB',
      reference: 'heap before cleaning, MiB',
      referenceValue: memory.heapBefore / 2 ** 20,
      ratio: shrink,
      target: '>= 5x smaller',
      ...judge(shrink, 5, 'min'),
    });
    notes.push(
      `compaction memory: heapUsed + arrayBuffers after gc() above an empty process, ${VALUE}-byte values${typeof (globalThis as { gc?: unknown }).gc === 'function' ? '' : ' (no --expose-gc: noisy)'}`,
    );
  }
  return { rows, notes };
}
