/**
 * The kafkajs adapter's overhead: the same workload (produce N keyed messages with sendBatch, then
 * consume them with eachBatch) on real Kafka through plain kafkajs and through `fromKafkaJs`,
 * interleaved (alternating which goes first), median of the per-pair time ratios. Needs a broker.
 */
import type { Kafka } from '../client/interface.js';
import { type AreaResult, type BenchContext, deleteTopics, judge, median, messages, real, size } from './lib.js';
import { produceConsume } from './throughput.js';

/** Sizes of the adapter-overhead area. */
export interface AdapterOptions {
  /** Messages per repeat (env BENCH_ADAPTER_N; default 30,000). */
  n?: number;
  /** Repeats of each (env BENCH_ADAPTER_REPEATS; default 15: a pair varies by ±40% on a shared machine). */
  repeats?: number;
}

/** Runs the area (no rows without a broker). */
export async function adapter(ctx: BenchContext, options: AdapterOptions = {}): Promise<AreaResult> {
  if (!ctx.kafka) return { rows: [] };
  const n = options.n ?? size('BENCH_ADAPTER_N', 30_000, ctx.scale, 1000);
  const repeats = options.repeats ?? size('BENCH_ADAPTER_REPEATS', 15, 1);
  const msgs = messages(n);
  // A plain kafkajs Kafka used as the shared interface as it is (it satisfies it by construction), beside the adapter.
  const plain: Kafka = ctx.kafka.plain('bench-adapter-plain');
  const adapted: Kafka = ctx.kafka.shared('bench-adapter');
  const ms: Record<'plain' | 'adapter', number[]> = { plain: [], adapter: [] };
  const once = async (which: 'plain' | 'adapter') => {
    const r = await produceConsume(real(which === 'plain' ? plain : adapted), msgs, 1, 12, 10_000);
    // Deleted at once (untimed): topics piling up on the broker slow later runs, which would tilt the pairs.
    await deleteTopics(adapted, [r.topic]);
    // Time per message of the whole workload: produce time plus consume time.
    ms[which].push((n * 1000) / r.produce + (n * 1000) / r.consume);
  };
  // Warm-up of both clients (connections, metadata, the JIT), dropped.
  await once('plain');
  await once('adapter');
  ms.plain.length = 0;
  ms.adapter.length = 0;
  for (let i = 0; i < repeats; i++) {
    ctx.log(`adapter: repeat ${i + 1} of ${repeats}, ${n.toLocaleString('en')} messages`);
    for (const which of i % 2 === 0 ? (['plain', 'adapter'] as const) : (['adapter', 'plain'] as const)) await once(which);
  }
  const p = median(ms.plain);
  const a = median(ms.adapter);
  // The median of the per-repeat ratios: each pair ran back to back, so drift of the broker and the
  // machine between repeats cancels out, which the ratio of the two medians would not do.
  const ratios = ms.adapter.map((x, i) => x / ms.plain[i]!);
  ctx.log(`adapter: plain ms ${ms.plain.map(Math.round).join(' ')}; adapter ms ${ms.adapter.map(Math.round).join(' ')}`);
  const overheadPct = (median(ratios) - 1) * 100;
  const spread = `pairs ${Math.round((Math.min(...ratios) - 1) * 100)}%..${Math.round((Math.max(...ratios) - 1) * 100)}%`;
  const verdict = judge(Math.max(overheadPct, 0) + 100, 105, 'max');
  return {
    rows: [
      {
        area: 'adapter',
        figure: 'fromKafkaJs workload time (median of pairs)',
        value: a,
        unit: 'ms',
        reference: 'plain kafkajs (median)',
        referenceValue: p,
        ratio: median(ratios),
        target: '<= 5% overhead',
        met: verdict.met,
        margin: verdict.met
          ? `met (${overheadPct.toFixed(1)}% overhead; ${spread})`
          : `missed by ${(overheadPct - 5).toFixed(1)} points (${overheadPct.toFixed(1)}% overhead; ${spread})`,
      },
    ],
    notes: [
      `adapter: ${n.toLocaleString('en')} keyed messages produced (acks=1) and consumed per run, ${repeats} interleaved pairs, median of the per-pair ratios`,
    ],
  };
}
