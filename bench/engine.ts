/**
 * Engine throughput and memory, each measured beside its reference in the same run:
 * - produce then fetch N keyed 100-byte records over 12 partitions through the engine API, against
 *   a raw baseline that appends the same records to arrays and reads them back (the practical limit);
 * - heap bytes per retained record against the 100-byte payload.
 * Run: `npm run bench` (node --expose-gc). Prints a table and writes bench/results.json.
 */
import { writeFileSync } from 'node:fs';
import { Cluster } from '../src/index.js';

const N = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
const PARTITIONS = 12;
const BATCH = 1000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function makeRecords(n: number) {
  return Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`key-${i % 10_000}`), value: Buffer.alloc(100, i % 251) }));
}

async function engine(records: ReturnType<typeof makeRecords>, acks: number) {
  const cluster = new Cluster({ clock: 'virtual', config: { 'log.segment.bytes': 1 << 30 } });
  cluster.createTopic({ topic: 'bench', numPartitions: PARTITIONS });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < records.length; i += BATCH) {
    await cluster.produce({ topic: 'bench', partition: (i / BATCH) % PARTITIONS, acks, records: records.slice(i, i + BATCH) });
  }
  const t1 = process.hrtime.bigint();
  let read = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    let offset = 0;
    for (;;) {
      const { records: got } = cluster.fetch({ topic: 'bench', partition: p, offset, maxBytes: 1 << 20 });
      if (got.length === 0) break;
      read += got.length;
      offset = got[got.length - 1]!.offset + 1;
    }
  }
  const t2 = process.hrtime.bigint();
  if (read !== records.length) throw new Error(`read ${read} of ${records.length}`);
  cluster.close();
  return { produce: rate(records.length, t1 - t0), consume: rate(read, t2 - t1) };
}

function baseline(records: ReturnType<typeof makeRecords>) {
  const logs: { offset: number; key: Buffer; value: Buffer; timestamp: number }[][] = Array.from({ length: PARTITIONS }, () => []);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < records.length; i += BATCH) {
    const log = logs[(i / BATCH) % PARTITIONS]!;
    for (let j = i; j < Math.min(i + BATCH, records.length); j++) log.push({ offset: log.length, key: records[j]!.key, value: records[j]!.value, timestamp: 0 });
  }
  const t1 = process.hrtime.bigint();
  let read = 0;
  for (const log of logs) for (const r of log) read += r.offset >= 0 ? 1 : 0;
  const t2 = process.hrtime.bigint();
  if (read !== records.length) throw new Error('baseline lost records');
  return { produce: rate(records.length, t1 - t0), consume: rate(read, t2 - t1) };
}

async function memory(n: number) {
  gc();
  const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const cluster = new Cluster({ clock: 'virtual' });
  cluster.createTopic({ topic: 'mem', numPartitions: PARTITIONS });
  for (let i = 0; i < n; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, n - i) }, (_, j) => ({ value: Buffer.alloc(100, (i + j) % 251) }));
    await cluster.produce({ topic: 'mem', partition: (i / BATCH) % PARTITIONS, acks: 1, records: batch });
  }
  gc();
  const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const perRecord = (after - before) / n;
  cluster.close();
  return perRecord;
}

function rate(n: number, ns: bigint): number {
  return Math.round(n / (Number(ns) / 1e9));
}

const records = makeRecords(N);
// Warm up both paths once so the JIT has seen them before anything is timed.
await engine(records.slice(0, 50_000), 1);
baseline(records.slice(0, 50_000));
const acks1 = await engine(records, 1);
const acksAll = await engine(records, -1);
const base = baseline(records);
const bytesPerRecord = await memory(N);

const rows = [
  ['engine acks=1', acks1.produce, acks1.consume],
  ['engine acks=all', acksAll.produce, acksAll.consume],
  ['raw arrays (limit)', base.produce, base.consume],
] as const;
console.log(`${N} records of 100 bytes, ${PARTITIONS} partitions, batches of ${BATCH}, node ${process.version}`);
console.log('| path | produce msg/s | consume msg/s |');
console.log('|---|---:|---:|');
for (const [name, p, c] of rows) console.log(`| ${name} | ${p.toLocaleString('en')} | ${c.toLocaleString('en')} |`);
console.log(`engine vs raw: produce ${(base.produce / acks1.produce).toFixed(1)}x slower, consume ${(base.consume / acks1.consume).toFixed(1)}x slower`);
console.log(`heap per retained record: ${bytesPerRecord.toFixed(0)} bytes for a 100-byte value (${(bytesPerRecord / 100).toFixed(2)}x the payload)`);

writeFileSync(
  new URL('../../bench/results.json', import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, messages: N, engine: { acks1, acksAll }, baseline: base, heapBytesPerRecord: Math.round(bytesPerRecord) }, null, 2)}\n`,
);
