/**
 * Memory: heap bytes per retained message after producing N unkeyed 100-byte messages through the
 * twin's producer (virtual clock, 12 partitions), against the 100-byte payload. The figure is the
 * growth of V8 heap plus ArrayBuffer memory across the run, after full GCs (node --expose-gc), so
 * it counts everything the cluster keeps per message: value bytes, offsets, timestamps, indexes.
 */
import { type AreaResult, type BenchContext, createTopic, gc, judge, size, twin } from './lib.js';

/** Sizes of the memory area. */
export interface MemoryOptions {
  /** Messages retained (env BENCH_MEMORY_N; default 1,000,000). */
  n?: number;
}

const PAYLOAD = 100;

function heap(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Bytes of heap per retained message. */
export async function bytesPerMessage(n: number, batch = 10_000): Promise<number> {
  const before = heap();
  const t = twin('virtual', { 'log.segment.bytes': 1 << 30 });
  await createTopic(t.kafka, t.drive, 'memory', 12);
  const producer = t.kafka.producer({ allowAutoTopicCreation: false });
  await t.drive(producer.connect());
  for (let i = 0; i < n; i += batch) {
    // Built per batch and dropped, so only what the cluster keeps stays reachable.
    const messages = Array.from({ length: Math.min(batch, n - i) }, (_, j) => ({ value: Buffer.alloc(PAYLOAD, (i + j) % 251) }));
    await t.drive(producer.sendBatch({ acks: 1, topicMessages: [{ topic: 'memory', messages }] }));
  }
  await t.drive(producer.disconnect());
  const after = heap();
  // Still reachable here, so the measurement above counted it.
  const offsets = await t.drive(t.kafka.admin().fetchTopicOffsets('memory'));
  const retained = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  t.cluster.close();
  if (retained !== n) throw new Error(`the cluster retained ${retained} of ${n} messages`);
  return (after - before) / n;
}

/** Runs the area. */
export async function memory(ctx: BenchContext, options: MemoryOptions = {}): Promise<AreaResult> {
  const n = options.n ?? size('BENCH_MEMORY_N', 1_000_000, ctx.scale, 1000);
  ctx.log(`memory: ${n.toLocaleString('en')} messages`);
  const value = await bytesPerMessage(n);
  const ratio = value / PAYLOAD;
  return {
    rows: [
      {
        area: 'memory',
        figure: 'twin heap per retained message',
        value,
        unit: 'bytes',
        reference: '100-byte payload',
        referenceValue: PAYLOAD,
        ratio,
        target: '<= 2x the payload',
        ...judge(ratio, 2, 'max'),
      },
    ],
    notes: [
      `memory: ${n.toLocaleString('en')} unkeyed 100-byte messages, 12 partitions, heapUsed + arrayBuffers after gc()${typeof (globalThis as { gc?: unknown }).gc === 'function' ? '' : ' (no --expose-gc: noisy)'}`,
    ],
  };
}
