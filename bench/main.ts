/**
 * `npm run bench`: runs every area (throughput, roundtrip, rebalance, memory, scaling, adapter, wire, compaction, transactions),
 * prints one table (figure, reference, ratio, target, met or missed by how much) and the scaling
 * curves as markdown, and writes bench/results.json, from which `npm run bench:readme` rebuilds
 * the README's table. Real-Kafka rows run when KAFKA_BOOTSTRAP_SERVERS is set (`npm run bench:kafka`).
 *
 * Areas to run: the command line's arguments (`node --expose-gc dist/bench/main.js wire`) or
 * BENCH_AREAS, default all. Env: BENCH_AREAS (comma list), BENCH_SCALE (multiplies every default size), and the
 * per-area sizes named in each area's options (BENCH_THROUGHPUT_N, BENCH_KAFKA_N, ...).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, type as osType, release } from 'node:os';
import { pathToFileURL } from 'node:url';
import { adapter } from './adapter.js';
import { compaction } from './compaction.js';
import { type AreaResult, type BenchContext, type CurvePoint, type Row, fmtFactor, fmtNumber, keepingAlive, realKafkaFromEnv } from './lib.js';
import { memory } from './memory.js';
import { rebalance } from './rebalance.js';
import { roundtrip } from './roundtrip.js';
import { scaling } from './scaling.js';
import { redeliveryCount, throughput } from './throughput.js';
import { transactions } from './transactions.js';
import { wire } from './wire.js';

/** What bench/results.json holds. */
export interface Results {
  readonly date: string;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly memoryGiB: number; readonly os: string; readonly node: string };
  /** Where the real-Kafka rows came from, or why there are none. */
  readonly realKafka: string;
  readonly rows: Row[];
  readonly curves: Record<string, CurvePoint[]>;
  readonly notes: string[];
  /** Wall time of the whole run, seconds. */
  readonly seconds: number;
}

/** The areas, in the order they run. */
export const AREAS: Record<string, (ctx: BenchContext) => Promise<AreaResult>> = {
  throughput,
  roundtrip,
  rebalance,
  memory,
  scaling,
  adapter,
  wire,
  compaction,
  transactions,
};

/** The message printed when no broker is configured. */
export const NO_BROKER = 'real Kafka: skipped, no broker (run npm run bench:kafka)';

/** Runs the named areas and gathers their results. */
export async function runAll(ctx: BenchContext, names: string[] = Object.keys(AREAS)): Promise<Results> {
  const unknown = names.filter((n) => !(n in AREAS));
  if (unknown.length > 0) throw new Error(`unknown bench area(s) ${unknown.join(', ')}; known: ${Object.keys(AREAS).join(', ')}`);
  const started = Date.now();
  const rows: Row[] = [];
  const curves: Record<string, CurvePoint[]> = {};
  const notes: string[] = [];
  for (const name of names) {
    const r = await keepingAlive(() => AREAS[name]!(ctx));
    rows.push(...r.rows);
    for (const [k, v] of Object.entries(r.curves ?? {})) curves[k] = v;
    notes.push(...(r.notes ?? []));
  }
  const { redelivered, duplicated } = redeliveryCount();
  if (redelivered + duplicated > 0)
    notes.push(
      `at least once: ${duplicated} messages appended twice by producer retries, ${redelivered} handed to eachBatch twice; consume rates count each offset once`,
    );
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    machine: {
      cpu: cpu[0]?.model.trim() ?? 'unknown',
      cores: cpu.length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      os: `${osType()} ${release()}`,
      node: process.version,
    },
    realKafka: ctx.kafka ? `real Kafka: ${ctx.kafka.brokers.join(',')} through kafkajs 2.2.4` : NO_BROKER,
    rows,
    curves,
    notes,
    seconds: Math.round((Date.now() - started) / 1000),
  };
}

const CURVE_HEADERS: Record<string, Record<string, string>> = {
  partitions: { x: 'partitions', produceNsPerMessage: 'produce ns/msg', consumeNsPerMessage: 'consume ns/msg' },
  members: { x: 'members (1,000 partitions)', settleMs: 'settle ms (wall)', endToEndNsPerMessage: 'produce+consume ns/msg' },
};

/** The results as markdown: the machine, the table, the curves. */
export function toMarkdown(r: Results): string {
  const out: string[] = [];
  out.push(
    `Measured ${r.date.slice(0, 10)} on ${r.machine.cpu} (${r.machine.cores} cores, ${r.machine.memoryGiB} GiB), ${r.machine.os}, Node ${r.machine.node}; ${r.realKafka}. Run took ${r.seconds} s.`,
  );
  out.push('');
  out.push('| area | figure | value | reference | ratio | target | result |');
  out.push('|---|---|---:|---|---:|---|---|');
  for (const row of r.rows) {
    const ref = row.reference === undefined ? '' : `${row.reference}${row.referenceValue === undefined ? '' : `: ${fmtNumber(row.referenceValue)}`}`;
    const ratio = row.ratio === undefined ? '' : fmtFactor(row.ratio);
    const result = row.met === undefined ? '' : row.met ? `met: ${row.margin?.replace(/^met \(|\)$/g, '')}` : `**${row.margin}**`;
    out.push(`| ${row.area} | ${row.figure} | ${fmtNumber(row.value)} ${row.unit} | ${ref} | ${ratio} | ${row.target ?? ''} | ${result} |`);
  }
  for (const [name, points] of Object.entries(r.curves)) {
    const headers = CURVE_HEADERS[name] ?? Object.fromEntries(Object.keys(points[0] ?? {}).map((k) => [k, k]));
    const cols = Object.keys(headers);
    out.push('');
    out.push(`Scaling curve, ${name}:`);
    out.push('');
    out.push(`| ${cols.map((c) => headers[c]).join(' | ')} |`);
    out.push(`|${cols.map(() => '---:').join('|')}|`);
    for (const p of points) out.push(`| ${cols.map((c) => fmtNumber(p[c] ?? NaN)).join(' | ')} |`);
  }
  out.push('');
  for (const note of r.notes) out.push(`- ${note}`);
  return out.join('\n');
}

/**
 * A run of some areas folded into the results of an earlier run: those areas' rows, curves and
 * notes (a note names its area first) replaced, the others kept, and a note saying when the
 * areas were measured, as the date and machine at the top are the earlier run's.
 */
export function mergeResults(previous: Results, partial: Results, areas: readonly string[]): Results {
  const ran = new Set(areas);
  const noteArea = (note: string) => /^([a-z]+)[ :,]/.exec(note)?.[1];
  const stale = (note: string) => ran.has(noteArea(note) ?? '') || note.startsWith(`partial run (${areas.join(', ')})`);
  return {
    ...previous,
    rows: [...previous.rows.filter((r) => !ran.has(r.area)), ...partial.rows],
    curves: { ...previous.curves, ...partial.curves },
    notes: [
      ...previous.notes.filter((n) => !stale(n)),
      ...partial.notes,
      `partial run (${areas.join(', ')}) on ${partial.date.slice(0, 10)}, ${partial.machine.cpu} (${partial.machine.cores} cores), Node ${partial.machine.node}, ${partial.seconds} s; the other rows are from the run above`,
    ],
  };
}

/** The bench entry: run, print, write bench/results.json (a run of some areas replaces only their rows). */
async function main(): Promise<void> {
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`BENCH_SCALE must be a positive number, got '${process.env.BENCH_SCALE}'`);
  const kafka = realKafkaFromEnv();
  console.log(kafka ? `real Kafka: ${kafka.brokers.join(',')}` : NO_BROKER);
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') console.log('note: run with node --expose-gc for the memory figure (npm run bench does)');
  const names = (process.argv.length > 2 ? process.argv.slice(2).join(',') : (process.env.BENCH_AREAS ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const results = await runAll(
    { kafka, scale, log: (line) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`) },
    names.length > 0 ? names : undefined,
  );
  console.log(toMarkdown(results));
  const file = new URL('../../bench/results.json', import.meta.url);
  const previous = names.length > 0 && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Results) : undefined;
  writeFileSync(file, `${JSON.stringify(previous === undefined ? results : mergeResults(previous, results, names), null, 2)}\n`);
  console.log('\nwrote bench/results.json (npm run bench:readme puts its table into README.md)');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
