/**
 * Round trip: one message sent with `producer.send` until it is handed to `eachMessage`, p50 and
 * p99 of wall time, on the twin (virtual clock and real clock) and on real Kafka through kafkajs.
 */
import { type AreaResult, type BenchContext, type Row, type Twin, createTopic, deleteTopics, judge, now, quantile, real, size, twin, unique } from './lib.js';

/** Sizes of the round-trip area. */
export interface RoundTripOptions {
  /** Timed round trips on the twin (env BENCH_ROUNDTRIPS; default 5,000). */
  count?: number;
  /** Timed round trips on real Kafka (env BENCH_KAFKA_ROUNDTRIPS; default 300). */
  kafkaCount?: number;
}

/** Wall times (ms) of `count` round trips, after `warmup` untimed ones (the first includes the join). */
export async function roundTrips(target: Pick<Twin, 'kafka' | 'drive'>, count: number, warmup: number): Promise<{ samples: number[]; topic: string }> {
  const { kafka, drive } = target;
  const topic = unique('bench-roundtrip');
  await createTopic(kafka, drive, topic, 1);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await drive(producer.connect());
  const consumer = kafka.consumer({ groupId: unique('bench-roundtrip') });
  await drive(consumer.connect());
  await drive(consumer.subscribe({ topics: [topic], fromBeginning: true }));
  let handed: ((t: number) => void) | undefined;
  await drive(
    consumer.run({
      eachMessage: async () => {
        handed?.(now());
        handed = undefined;
      },
    }),
  );
  const samples: number[] = [];
  const value = Buffer.alloc(100, 7);
  for (let i = 0; i < warmup + count; i++) {
    const received = new Promise<number>((resolve) => (handed = resolve));
    const t0 = now();
    await drive(producer.send({ topic, messages: [{ key: 'k', value }] }));
    const t1 = await drive(received);
    if (i >= warmup) samples.push(t1 - t0);
  }
  await drive(consumer.disconnect());
  await drive(producer.disconnect());
  return { samples, topic };
}

/** Runs the area. */
export async function roundtrip(ctx: BenchContext, options: RoundTripOptions = {}): Promise<AreaResult> {
  const count = options.count ?? size('BENCH_ROUNDTRIPS', 5000, ctx.scale, 10);
  const kafkaCount = options.kafkaCount ?? size('BENCH_KAFKA_ROUNDTRIPS', 300, ctx.scale, 10);
  const rows: Row[] = [];
  const twins: Record<string, number[]> = {};
  for (const clock of ['virtual', 'real'] as const) {
    ctx.log(`roundtrip: twin (${clock} clock), ${count} round trips`);
    // On the real clock the first join would otherwise wait out the initial rebalance delay (3 s).
    const t = twin(clock, clock === 'real' ? { 'group.initial.rebalance.delay.ms': 0 } : {});
    twins[clock] = (await roundTrips(t, count, 100)).samples;
    t.cluster.close();
  }
  let kafkaSamples: number[] | undefined;
  if (ctx.kafka) {
    ctx.log(`roundtrip: real Kafka, ${kafkaCount} round trips`);
    const kafka = ctx.kafka.shared('bench-roundtrip');
    const r = await roundTrips(real(kafka), kafkaCount, 20);
    kafkaSamples = r.samples;
    await deleteTopics(kafka, [r.topic]);
  }
  for (const [clock, samples] of Object.entries(twins)) {
    for (const [name, q] of [
      ['p50', 0.5],
      ['p99', 0.99],
    ] as const) {
      const value = quantile(samples, q);
      const figure = `twin round trip ${name} (${clock} clock)`;
      if (kafkaSamples === undefined) {
        rows.push({ area: 'roundtrip', figure, value, unit: 'ms', target: '>= 100x lower than kafkajs (needs real Kafka)' });
        continue;
      }
      const reference = quantile(kafkaSamples, q);
      const ratio = reference / value;
      rows.push({
        area: 'roundtrip',
        figure,
        value,
        unit: 'ms',
        reference: `kafkajs on Kafka 3.9 ${name}`,
        referenceValue: reference,
        ratio,
        target: '>= 100x lower (ratio = kafka/twin)',
        ...judge(ratio, 100, 'min'),
      });
    }
  }
  return { rows, notes: [`roundtrip: ${count} round trips on each twin, ${kafkaCount} on real Kafka, 100-byte value, 1 partition, acks=all`] };
}
