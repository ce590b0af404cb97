/**
 * Shared helpers of the benchmark areas: the targets (twin, real Kafka), records, timing, and the
 * row and curve shapes that `bench/main.ts` prints and writes to `bench/results.json`.
 *
 * Every figure is measured in the same run as its reference (the raw baseline, real Kafka, plain
 * kafkajs), so ratios hold on a noisy machine even when absolute figures move between runs.
 */
import { performance } from 'node:perf_hooks';
import { Kafka as KafkaJs, logLevel } from 'kafkajs';
import { Cluster } from '../src/index.js';
import type { Kafka } from '../client/interface.js';
import { fromKafkaJs } from '../adapters/kafkajs/index.js';

/** One figure beside its reference and target. */
export interface Row {
  /** The bench area: throughput, roundtrip, rebalance, memory, scaling, adapter, wire, compaction, transactions. */
  readonly area: string;
  readonly figure: string;
  readonly value: number;
  readonly unit: string;
  /** What the figure is compared with, measured in the same run. */
  readonly reference?: string;
  readonly referenceValue?: number;
  /** The figure against its reference, oriented so that the target reads naturally (e.g. "twin is 12x faster"). */
  readonly ratio?: number;
  /** The target, in words (e.g. ">= 10x kafkajs"). */
  readonly target?: string;
  readonly met?: boolean;
  /** How far above or below the target, in words. */
  readonly margin?: string;
}

/** One point of a scaling curve. */
export interface CurvePoint {
  readonly x: number;
  readonly [column: string]: number;
}

/** What one area hands back. */
export interface AreaResult {
  readonly rows: Row[];
  readonly curves?: Record<string, CurvePoint[]>;
  readonly notes?: string[];
}

/** A real Kafka to compare with, when `KAFKA_BOOTSTRAP_SERVERS` is set. */
export interface RealKafka {
  readonly brokers: string[];
  /** A plain kafkajs client (for the adapter-overhead comparison). */
  plain(clientId: string): KafkaJs;
  /** The same, behind the shared interface. */
  shared(clientId: string): Kafka;
}

/** The options every area receives. */
export interface BenchContext {
  /** Real Kafka rows run only when this is set. */
  readonly kafka?: RealKafka;
  /** Multiplies every area's default size (env `BENCH_SCALE`). */
  readonly scale: number;
  /** Progress lines (stderr), so stdout stays the table. */
  readonly log: (line: string) => void;
}

/** The real Kafka named by `KAFKA_BOOTSTRAP_SERVERS`, or undefined. */
export function realKafkaFromEnv(env: NodeJS.ProcessEnv = process.env): RealKafka | undefined {
  const servers = env.KAFKA_BOOTSTRAP_SERVERS?.trim();
  if (!servers) return undefined;
  const brokers = servers.split(',').map((s) => s.trim());
  const plain = (clientId: string) => new KafkaJs({ clientId, brokers, logLevel: logLevel.NOTHING });
  return { brokers, plain, shared: (clientId) => fromKafkaJs(plain(clientId)) };
}

/** A twin to measure: its `Kafka`, and `drive`, which on the virtual clock moves time until a promise settles. */
export interface Twin {
  readonly cluster: Cluster;
  readonly kafka: Kafka;
  drive<T>(promise: Promise<T>): Promise<T>;
}

/** A fresh twin; `config` is broker config under Kafka's names. */
export function twin(clock: 'virtual' | 'real' = 'virtual', config: Record<string, string | number | boolean> = {}): Twin {
  const cluster = new Cluster({ clock, seed: 1, config });
  // Quiet, as the real Kafka clients here are: kafkajs logs every retried send (CONCURRENT_TRANSACTIONS after a commit).
  return { cluster, kafka: cluster.kafka({ clientId: 'bench', logLevel: logLevel.NOTHING }), drive: (p) => cluster.drive(p) };
}

/** The same shape over real Kafka: nothing to drive, time is wall time. */
export function real(kafka: Kafka): Pick<Twin, 'kafka' | 'drive'> {
  return { kafka, drive: (p) => p };
}

/** `n` kafkajs messages: keys `key-0`..`key-9999` (so the default partitioner spreads them), 100-byte values. */
export function messages(n: number): { key: Buffer; value: Buffer }[] {
  const keys = Array.from({ length: Math.min(n, 10_000) }, (_, i) => Buffer.from(`key-${i}`));
  return Array.from({ length: n }, (_, i) => ({ key: keys[i % keys.length]!, value: Buffer.alloc(100, i % 251) }));
}

/** Wall time in ms (fractional). */
export const now = (): number => performance.now();

/** Messages per second. */
export function rate(n: number, ms: number): number {
  return ms <= 0 ? Infinity : Math.round((n * 1000) / ms);
}

/** The q-quantile (0..1) of some numbers, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** The median of some numbers. */
export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** Runs the GC when node runs with --expose-gc (the bench entry does). */
export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** A unique name per call, so runs against a long-lived broker never share topics or groups. */
let serial = 0;
export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${serial++}`;
}

/** A size from the env (or the default), times the scale, at least `min`. */
export function size(envName: string, fallback: number, scale: number, min = 1): number {
  const raw = process.env[envName];
  const base = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(base) || base <= 0) throw new RangeError(`${envName} must be a positive number, got '${raw}'`);
  return Math.max(min, Math.round(base * scale));
}

/**
 * Judges `actual` against `goal`: 'min' means actual must be at least goal, 'max' at most.
 * The margin says by what factor the target is met or missed.
 */
export function judge(actual: number, goal: number, direction: 'min' | 'max'): { met: boolean; margin: string } {
  if (!Number.isFinite(actual)) return { met: direction === 'min', margin: 'not measurable' };
  const factor = direction === 'min' ? actual / goal : goal / actual;
  const met = factor >= 1;
  return { met, margin: met ? `met (${fmtFactor(factor)} margin)` : `missed by ${fmtFactor(1 / factor)}` };
}

/** A ratio as "12x" / "1.4x" / "0.31x". */
export function fmtFactor(x: number): string {
  if (!Number.isFinite(x)) return '∞';
  return `${x >= 100 ? Math.round(x).toLocaleString('en') : x >= 10 ? x.toFixed(0) : x >= 1.1 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(2)}x`;
}

/** A number for the table: integers with separators, small ones with 3 significant digits. */
export function fmtNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en');
  return Number(x.toPrecision(3)).toString();
}

/** Resolves after every listed consumer-ish thing has told `done` it is done; `arrive(i)` marks one. */
export function countdown(n: number): { promise: Promise<number>; arrive: () => void } {
  let left = n;
  let resolve!: (t: number) => void;
  const promise = new Promise<number>((r) => (resolve = r));
  if (n <= 0) resolve(now());
  return {
    promise,
    arrive: () => {
      if (--left === 0) resolve(now());
    },
  };
}

/**
 * Creates `topic` through the shared interface's admin and waits until every partition has a leader
 * that answers (polling: kafkajs's own waitForLeaders gives up too early on a busy broker).
 */
export async function createTopic(kafka: Kafka, drive: Twin['drive'], topic: string, numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await drive(admin.connect());
  try {
    await drive(admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1 }], waitForLeaders: false, timeout: 30_000 }));
    const deadline = now() + 60_000;
    for (;;) {
      // Leaders in the metadata, and every leader answering ListOffsets: a broker that has not yet
      // loaded a new partition refuses writes, and a kafkajs retry then duplicates the batch.
      const ready = await drive(admin.fetchTopicMetadata({ topics: [topic] }))
        .then((m) => m.topics[0]?.partitions.length === numPartitions && m.topics[0].partitions.every((p) => p.leader >= 0))
        .then((leaders) => leaders && drive(admin.fetchTopicOffsets(topic)).then((o) => o.length === numPartitions))
        .catch(() => false);
      if (ready) return;
      if (now() > deadline) throw new Error(`topic ${topic}: not every partition has a leader after 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await drive(admin.disconnect());
  }
}

/** Deletes topics on a real broker so repeated runs do not fill its disk; failures are ignored (the broker may be going away). */
export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics, timeout: 30_000 });
  } catch {
    // Cleanup only.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Keeps the process alive while `work` runs: the twin's real-clock timers are unref'd (a forgotten
 * cluster must not hold a process open), so a bench awaiting only them would otherwise exit early.
 */
export async function keepingAlive<T>(work: () => Promise<T>): Promise<T> {
  const handle = setInterval(() => undefined, 60_000);
  try {
    return await work();
  } finally {
    clearInterval(handle);
  }
}
