/**
 * Exactly-once throughput: a transactional producer writing 100 messages per transaction (kafkajs's
 * `producer.transaction()`, `send`, `commit`), then a read_committed consumer reading them all,
 * on the twin (virtual clock) and, in the same run, kafkajs on real Kafka 3.9. The figure is the
 * twin's rate against kafkajs's on Kafka (target >= 10x for each direction).
 */
import type { Kafka } from '../client/interface.js';
import { type AreaResult, type BenchContext, type Row, type Twin, createTopic, deleteTopics, fmtNumber, judge, messages, now, rate, real, size, twin, unique } from './lib.js';

/** Sizes of the transactions area. */
export interface TransactionsOptions {
  /** Messages on the twin (env BENCH_TXN_N; default 50,000). */
  n?: number;
  /** Messages on real Kafka (env BENCH_TXN_KAFKA_N; default 10,000: a transaction costs Kafka several round trips). */
  kafkaN?: number;
  /** Messages per transaction (default 100, as the issue asks). */
  perTransaction?: number;
  /** Partitions of the topic (default 3: each transaction adds every partition it writes). */
  partitions?: number;
  /** Twin runs, the best counted (default 3). */
  runs?: number;
}

/** Produce and consume rates of one run, in msg/s. */
interface TxnRates {
  readonly topic: string;
  readonly produce: number;
  readonly consume: number;
}

/** One run: `n` messages in transactions of `perTransaction`, then read_committed until all are read. */
export async function transactionalRun(target: Pick<Twin, 'kafka' | 'drive'>, n: number, perTransaction: number, partitions: number): Promise<TxnRates> {
  const { kafka, drive } = target;
  const topic = unique('bench-txn');
  await createTopic(kafka, drive, topic, partitions);
  const msgs = messages(n);
  const producer = kafka.producer({ transactionalId: unique('bench-txn-id'), idempotent: true, maxInFlightRequests: 1 });
  await drive(producer.connect());
  const t0 = now();
  for (let i = 0; i < n; i += perTransaction) {
    const txn = await drive(producer.transaction());
    await drive(txn.send({ topic, messages: msgs.slice(i, i + perTransaction) }));
    await drive(txn.commit());
  }
  const produceMs = now() - t0;
  await drive(producer.disconnect());

  const consumer = kafka.consumer({ groupId: unique('bench-txn'), readUncommitted: false });
  await drive(consumer.connect());
  await drive(consumer.subscribe({ topics: [topic], fromBeginning: true }));
  let joinedAt: number | undefined;
  consumer.on(consumer.events.GROUP_JOIN, () => (joinedAt ??= now()));
  // Counted by offset (markers take offsets but are never delivered): a redelivered batch is not counted twice.
  const seen = new Map<number, number>();
  let count = 0;
  let done!: (t: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  const started = now();
  await drive(
    consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const offset = Number(m.offset);
          if (offset < (seen.get(batch.partition) ?? 0)) continue;
          seen.set(batch.partition, offset + 1);
          count++;
        }
        if (count >= n) done(now());
      },
    }),
  );
  const end = await drive(finished);
  await drive(consumer.disconnect());
  if (count !== n) throw new Error(`read_committed consumed ${count} of ${n} messages`);
  return { topic, produce: rate(n, produceMs), consume: rate(n, end - (joinedAt ?? started)) };
}

/** Runs the area: twin rows always, the comparison with kafkajs on Kafka 3.9 when a broker is configured. */
export async function transactions(ctx: BenchContext, options: TransactionsOptions = {}): Promise<AreaResult> {
  const n = options.n ?? size('BENCH_TXN_N', 50_000, ctx.scale, 200);
  const kafkaN = options.kafkaN ?? size('BENCH_TXN_KAFKA_N', 10_000, ctx.scale, 200);
  const perTransaction = options.perTransaction ?? 100;
  const partitions = options.partitions ?? 3;
  // Warm the JIT on both clients before anything is timed (as the throughput area does); the
  // twin's figure is the best of `runs`, as there: a GC pause is not the twin's speed.
  const runs = options.runs ?? 3;
  {
    const t = twin();
    await transactionalRun(t, Math.min(n, 50_000), perTransaction, partitions);
    t.cluster.close();
  }
  ctx.log(`transactions: twin, ${n.toLocaleString('en')} messages, ${perTransaction} per transaction, best of ${runs}`);
  const all: TxnRates[] = [];
  for (let i = 0; i < runs; i++) {
    const t = twin();
    all.push(await transactionalRun(t, n, perTransaction, partitions));
    t.cluster.close();
  }
  const mine = { produce: Math.max(...all.map((r) => r.produce)), consume: Math.max(...all.map((r) => r.consume)) };
  let theirs: TxnRates | undefined;
  if (ctx.kafka) {
    const kafka: Kafka = ctx.kafka.shared('bench-txn');
    const warm = await transactionalRun(real(kafka), Math.min(kafkaN, 1_000), perTransaction, partitions);
    ctx.log(`transactions: kafkajs on Kafka 3.9, ${kafkaN.toLocaleString('en')} messages, ${perTransaction} per transaction`);
    theirs = await transactionalRun(real(kafka), kafkaN, perTransaction, partitions);
    await deleteTopics(kafka, [warm.topic, theirs.topic]);
  }
  const rows: Row[] = [];
  for (const dir of ['produce', 'consume'] as const) {
    const figure = dir === 'produce' ? `twin transactional produce (${perTransaction} msgs/txn)` : 'twin read_committed consume';
    const value = mine[dir];
    const k = theirs?.[dir];
    if (k === undefined) {
      rows.push({ area: 'transactions', figure, value, unit: 'msg/s' });
      continue;
    }
    const ratio = value / k;
    rows.push({
      area: 'transactions',
      figure,
      value,
      unit: 'msg/s',
      reference: `kafkajs on Kafka 3.9 ${dir === 'produce' ? `transactional produce (${perTransaction} msgs/txn)` : 'read_committed consume'}`,
      referenceValue: k,
      ratio,
      target: '>= 10x kafkajs (ratio = twin/kafka)',
      ...judge(ratio, 10, 'min'),
    });
  }
  const notes = [
    `transactions: twin ${n.toLocaleString('en')} messages (best of ${runs}, after a warm-up), real Kafka ${kafkaN.toLocaleString('en')} (after a warm-up of ${Math.min(kafkaN, 1_000).toLocaleString('en')}); ${partitions} partitions; ${perTransaction} messages per transaction; twin produce ${fmtNumber(mine.produce)} msg/s, consume ${fmtNumber(mine.consume)} msg/s`,
  ];
  return { rows, notes };
}
