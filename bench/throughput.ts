/**
 * Throughput: produce N keyed 100-byte messages over 12 partitions with `sendBatch`, then consume
 * them with `eachBatch`, through the shared interface, with acks=1 and acks=all. Measured on the
 * twin (virtual clock), on real Kafka through kafkajs (when a broker is there), and against a raw
 * in-process baseline (appending the same messages to per-partition arrays and reading them back),
 * the practical limit of any in-process log.
 */
import type { Kafka } from '../client/interface.js';
import {
  type AreaResult,
  type BenchContext,
  type Row,
  type Twin,
  createTopic,
  deleteTopics,
  judge,
  messages,
  now,
  rate,
  real,
  size,
  twin,
  unique,
} from './lib.js';

/** Sizes of the throughput area. */
export interface ThroughputOptions {
  /** Messages on the twin and the baseline (env BENCH_THROUGHPUT_N; default 1,000,000). */
  n?: number;
  /** Messages on real Kafka (env BENCH_KAFKA_N; default 200,000: kafkajs is far slower). */
  kafkaN?: number;
  /** Messages per `sendBatch` call. */
  batch?: number;
  /** Runs on the twin and the baseline, the best counting (default 3; real Kafka runs once). */
  runs?: number;
  partitions?: number;
}

/** Produce and consume rates of one run. */
export interface Rates {
  readonly produce: number;
  readonly consume: number;
}

const PARTITIONS = 12;
/** Messages handed over more than once so far in this process (at-least-once redeliveries). */
let redeliveries = 0;

/** Messages appended twice by producer retries so far in this process. */
let duplicates = 0;

/** Messages handed over more than once, and appended more than once, so far by {@link produceConsume} (consume rates count each offset once). */
export function redeliveryCount(): { redelivered: number; duplicated: number } {
  return { redelivered: redeliveries, duplicated: duplicates };
}
const BATCH = 10_000;

/**
 * Produces `msgs` to a new topic in batches, then consumes them all with a new group; returns the
 * two rates. The consume clock starts when the group is joined, so the join is not counted.
 */
export async function produceConsume(
  target: Pick<Twin, 'kafka' | 'drive'>,
  msgs: { key: Buffer; value: Buffer }[],
  acks: number,
  partitions: number,
  batch: number,
): Promise<Rates & { topic: string }> {
  const { kafka, drive } = target;
  const topic = unique('bench-throughput');
  await createTopic(kafka, drive, topic, partitions);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await drive(producer.connect());
  const t0 = now();
  for (let i = 0; i < msgs.length; i += batch) {
    await drive(producer.sendBatch({ acks, topicMessages: [{ topic, messages: msgs.slice(i, i + batch) }] }));
  }
  const produceMs = now() - t0;
  await drive(producer.disconnect());
  // What the log holds: a kafkajs retry after a partial failure (e.g. a partition not yet known right
  // after creation) appends a batch twice, as a non-idempotent producer does.
  const admin = kafka.admin();
  await drive(admin.connect());
  const offsets = await drive(admin.fetchTopicOffsets(topic));
  await drive(admin.disconnect());
  const total = offsets.reduce((sum, o) => sum + Number(o.high), 0);
  if (total < msgs.length) throw new Error(`the log holds ${total} of ${msgs.length} messages produced`);
  duplicates += total - msgs.length;

  const consumer = kafka.consumer({ groupId: unique('bench-throughput') });
  await drive(consumer.connect());
  await drive(consumer.subscribe({ topics: [topic], fromBeginning: true }));
  let joinedAt: number | undefined;
  consumer.on(consumer.events.GROUP_JOIN, () => (joinedAt ??= now()));
  // Counted by offset, not by delivery: kafkajs on real Kafka can hand a batch over twice (at least once).
  const next = new Map<number, number>();
  let count = 0;
  let deliveries = 0;
  let done!: (t: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  const started = now();
  await drive(
    consumer.run({
      eachBatch: async ({ batch: b }) => {
        if (b.messages.length === 0) return;
        deliveries += b.messages.length;
        const first = Math.max(Number(b.firstOffset()), next.get(b.partition) ?? 0);
        const last = Number(b.lastOffset());
        if (last >= first) {
          count += last + 1 - first;
          next.set(b.partition, last + 1);
        }
        if (count >= total) done(now());
      },
    }),
  );
  const end = await drive(finished);
  await drive(consumer.disconnect());
  if (count !== total) throw new Error(`consumed ${count} of ${total} messages`);
  if (deliveries !== count) redeliveries += deliveries - count;
  return { topic, produce: rate(msgs.length, produceMs), consume: rate(total, end - (joinedAt ?? started)) };
}

/** The raw baseline: the same messages appended to per-partition arrays (by the same key hash spread) and read back. */
export function baseline(msgs: { key: Buffer; value: Buffer }[], partitions: number, batch: number): Rates {
  const logs: { offset: number; key: Buffer; value: Buffer; timestamp: number }[][] = Array.from({ length: partitions }, () => []);
  const t0 = now();
  for (let i = 0; i < msgs.length; i += batch) {
    const end = Math.min(i + batch, msgs.length);
    for (let j = i; j < end; j++) {
      const m = msgs[j]!;
      const log = logs[(m.key[m.key.length - 1]! + j) % partitions]!;
      log.push({ offset: log.length, key: m.key, value: m.value, timestamp: 0 });
    }
  }
  const t1 = now();
  let read = 0;
  for (const log of logs) for (const r of log) read += r.value.length > 0 ? 1 : 0;
  const t2 = now();
  if (read !== msgs.length) throw new Error('the baseline lost messages');
  return { produce: rate(msgs.length, t1 - t0), consume: rate(read, t2 - t1) };
}

/** Runs the area. */
export async function throughput(ctx: BenchContext, options: ThroughputOptions = {}): Promise<AreaResult> {
  const n = options.n ?? size('BENCH_THROUGHPUT_N', 1_000_000, ctx.scale, 1000);
  const kafkaN = options.kafkaN ?? size('BENCH_KAFKA_N', 200_000, ctx.scale, 1000);
  const batch = options.batch ?? BATCH;
  const runs = options.runs ?? 3;
  const partitions = options.partitions ?? PARTITIONS;
  const msgs = messages(n);

  // Warm the JIT on both paths before anything is timed.
  const warm = msgs.slice(0, Math.min(n, 50_000));
  await produceConsume(twin(), warm, 1, partitions, batch);
  baseline(warm, partitions, batch);

  const rows: Row[] = [];
  // The limit is the best of `runs`: a GC pause in one run says nothing about the limit.
  const bases = Array.from({ length: runs }, () => baseline(msgs, partitions, batch));
  const base = { produce: Math.max(...bases.map((b) => b.produce)), consume: Math.max(...bases.map((b) => b.consume)) };
  const twinRates: Record<string, Rates> = {};
  for (const [name, acks] of [
    ['acks=1', 1],
    ['acks=all', -1],
  ] as const) {
    // Best of `runs`, as for the baseline: a GC pause or a neighbour's burst is not the twin's speed.
    ctx.log(`throughput: twin ${name}, ${n.toLocaleString('en')} messages, best of ${runs}`);
    const all: Rates[] = [];
    for (let i = 0; i < runs; i++) {
      const t = twin();
      all.push(await produceConsume(t, msgs, acks, partitions, batch));
      t.cluster.close();
    }
    twinRates[name] = { produce: Math.max(...all.map((r) => r.produce)), consume: Math.max(...all.map((r) => r.consume)) };
  }
  let kafkaRates: Record<string, Rates> | undefined;
  if (ctx.kafka) {
    kafkaRates = {};
    const kafka: Kafka = ctx.kafka.shared('bench-throughput');
    const kmsgs = msgs.slice(0, kafkaN);
    const topics: string[] = [];
    for (const [name, acks] of [
      ['acks=1', 1],
      ['acks=all', -1],
    ] as const) {
      ctx.log(`throughput: real Kafka ${name}, ${kafkaN.toLocaleString('en')} messages`);
      const r = await produceConsume(real(kafka), kmsgs, acks, partitions, batch);
      topics.push(r.topic);
      kafkaRates[name] = r;
    }
    await deleteTopics(kafka, topics);
  }

  for (const [name, rates] of Object.entries(twinRates)) {
    for (const dir of ['produce', 'consume'] as const) {
      const value = rates[dir];
      const figure = `twin ${dir} ${name}`;
      rows.push({ area: 'throughput', figure, value, unit: 'msg/s', target: '>= 1,000,000 msg/s', ...judge(value, 1_000_000, 'min') });
      const ratioRaw = base[dir] / value;
      rows.push({
        area: 'throughput',
        figure,
        value,
        unit: 'msg/s',
        reference: `raw arrays ${dir}`,
        referenceValue: base[dir],
        ratio: ratioRaw,
        target: 'within 5x of raw (ratio = raw/twin)',
        ...judge(ratioRaw, 5, 'max'),
      });
      const k = kafkaRates?.[name]?.[dir];
      if (k !== undefined) {
        const ratio = value / k;
        rows.push({
          area: 'throughput',
          figure,
          value,
          unit: 'msg/s',
          reference: `kafkajs on Kafka 3.9 ${dir} ${name}`,
          referenceValue: k,
          ratio,
          target: '>= 10x kafkajs (ratio = twin/kafka)',
          ...judge(ratio, 10, 'min'),
        });
      }
    }
  }
  const notes = [
    `throughput: twin and raw ${n.toLocaleString('en')} messages, real Kafka ${kafkaN.toLocaleString('en')}; ${partitions} partitions; sendBatch of ${batch}`,
  ];
  return { rows, notes };
}
