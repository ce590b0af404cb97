/**
 * The wire front end: the same unchanged kafkajs client over `cluster.wire()` (in memory), over
 * `cluster.listen()` (TCP on 127.0.0.1) and over TCP to Kafka 3.9, in one run: produce and consume
 * throughput (the throughput area's workload, acks=1) and the round trip p50/p99 (the roundtrip
 * area's). Then two figures of `kafka-twin serve` as a process: from spawn to the first answered
 * Metadata request, against a Kafka 3.9 broker's start probed the same way (a raw Metadata v1
 * request on a socket, retried every 10 ms); and the resident memory of an idle 3-broker serve
 * against the Kafka broker's JVM that `bench:kafka` runs. Kafka figures need a broker.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka as KafkaJs, logLevel } from 'kafkajs';
import type { Kafka } from '../client/interface.js';
import { Cluster } from '../src/index.js';
import { type AreaResult, type BenchContext, type Row, deleteTopics, judge, median, messages, now, quantile, real, size } from './lib.js';
import { roundTrips } from './roundtrip.js';
import { produceConsume } from './throughput.js';

/** Sizes of the wire area. */
export interface WireOptions {
  /** Messages per throughput run, the same on every transport (env BENCH_WIRE_N; default 100,000). */
  n?: number;
  /** Throughput runs per transport, interleaved, the best counting (default 2). */
  runs?: number;
  /** Timed round trips per transport (env BENCH_WIRE_ROUNDTRIPS; default 300). */
  roundTrips?: number;
  /** Spawns of `serve` for the ready figure, the median counting (env BENCH_WIRE_READY_RUNS; default 5). */
  readyRuns?: number;
  /** How long the 3-broker serve idles before its memory is read, ms (default 3,000). */
  idleMs?: number;
}

const PARTITIONS = 12;
const BATCH = 10_000;
const NA = 'n/a (run bench:kafka)';
/** The repository root (this file runs as dist/bench/wire.js). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/main.js');
const KAFKA_SH = join(ROOT, 'scripts/kafka.sh');

type Transport = 'wire()' | 'listen()';
const TRANSPORTS: readonly Transport[] = ['wire()', 'listen()'];

/** Runs `work` with a kafkajs client over a fresh single-broker real-clock twin (as the Kafka it is held against), then closes the twin. */
async function overTwin<T>(transport: Transport, work: (kafka: Kafka) => Promise<T>): Promise<T> {
  // The Kafka broker of bench:kafka has the same delay (scripts/kafka.sh), so neither waits 3 s for the first join.
  const cluster = new Cluster({ clock: 'real', seed: 1, config: { 'group.initial.rebalance.delay.ms': 0 } });
  try {
    const config = transport === 'wire()' ? cluster.wire() : { brokers: (await cluster.listen()).brokers };
    return await work(new KafkaJs({ clientId: 'bench-wire', ...config, logLevel: logLevel.NOTHING }));
  } finally {
    cluster.close();
  }
}

// ---------------------------------------------------------------- the Metadata probe

/** Metadata v1 asking for no topics: the cheapest request every Kafka since 0.10 answers with its brokers. */
function metadataRequest(correlationId: number): Buffer {
  const clientId = Buffer.from('bench-probe');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4);
  let at = body.writeInt16BE(3, 0); // api key: Metadata
  at = body.writeInt16BE(1, at); // api version
  at = body.writeInt32BE(correlationId, at);
  at = body.writeInt16BE(clientId.length, at);
  at += clientId.copy(body, at);
  body.writeInt32BE(0, at); // topics: none (v1: an empty array, not null, which means all)
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

let correlation = 0;

/** One attempt: connects, sends Metadata, and says whether a whole answer listing at least one broker came back in time. */
function metadataAnswered(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const id = ++correlation;
  return new Promise((resolve) => {
    let settled = false;
    let received = Buffer.alloc(0);
    const socket = connect({ host, port });
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once('error', () => finish(false));
    socket.once('close', () => finish(false));
    socket.once('connect', () => socket.write(metadataRequest(id)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // size, correlation id, then the brokers array's length.
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      finish(received.length >= 12 && received.readInt32BE(4) === id && received.readInt32BE(8) >= 1);
    });
  });
}

/** Probes until a Metadata request is answered; resolves with the time (performance.now) of that answer. */
async function firstMetadata(host: string, port: number, maxMs: number, failed: () => string | undefined): Promise<number> {
  const deadline = now() + maxMs;
  for (;;) {
    if (await metadataAnswered(host, port, 2000)) return now();
    const why = failed();
    if (why !== undefined) throw new Error(`${host}:${port}: ${why}`);
    if (now() > deadline) throw new Error(`${host}:${port}: no Metadata answer within ${maxMs} ms`);
    await sleep(10);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- processes

/** A port nobody listens on right now (the OS's pick, released again). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resident memory of a process in bytes, from /proc (Linux). */
export function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`/proc/${pid}/status has no VmRSS line`);
  return Number(m[1]) * 1024;
}

/** A child process with its exit as a promise and its stderr kept for errors. */
function launch(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { child: ChildProcess; exited: Promise<number | null>; state: () => string | undefined; stderr: () => string } {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let code: number | null | undefined;
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (c, signal) => {
      code = c ?? (signal === null ? null : -1);
      resolve(code);
    }),
  );
  return {
    child,
    exited,
    stderr: () => stderr,
    state: () => (code === undefined ? undefined : `${command} exited (${code}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`),
  };
}

/** Stops a child we started (by its pid) and waits for it. */
async function stop(p: { child: ChildProcess; exited: Promise<number | null> }): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  const killer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  await p.exited;
  clearTimeout(killer);
}

/** `kafka-twin serve` (1 broker) from spawn to its first answered Metadata, ms. */
async function serveReady(): Promise<number> {
  const port = await freePort();
  const t0 = now();
  const served = launch(process.execPath, [CLI, 'serve', '--port', String(port), '--quiet']);
  try {
    return (await firstMetadata('127.0.0.1', port, 30_000, served.state)) - t0;
  } finally {
    await stop(served);
  }
}

/** The resident memory of `kafka-twin serve --brokers 3` after it answered Metadata and then idled `idleMs`: the median of five reads. */
async function serveIdleRss(idleMs: number): Promise<number> {
  const port = await freePort();
  const served = launch(process.execPath, [CLI, 'serve', '--brokers', '3', '--port', String(port), '--quiet']);
  try {
    await firstMetadata('127.0.0.1', port, 30_000, served.state);
    await sleep(idleMs);
    const reads: number[] = [];
    for (let i = 0; i < 5; i++) {
      reads.push(rssOf(served.child.pid!));
      await sleep(200);
    }
    return median(reads);
  } finally {
    await stop(served);
  }
}

/** The folder scripts/kafka.sh works in (KAFKA_TWIN_DIR, as with-kafka.sh saw it). */
const kafkaDir = (): string => process.env.KAFKA_TWIN_DIR ?? join(ROOT, '.kafka');

/**
 * The pid of the Kafka broker JVM serving `address`, started by scripts/kafka.sh (with-kafka.sh):
 * broker 1's pid file, checked against its command line and its listener; or why there is none.
 */
export function kafkaBrokerPid(address: string, dir = kafkaDir()): number | string {
  const pidFile = join(dir, 'run', 'broker-1.pid');
  const properties = join(dir, 'run', 'broker-1.properties');
  if (!existsSync(pidFile) || !existsSync(properties)) return `no ${pidFile} (not started by scripts/kafka.sh?)`;
  if (!readFileSync(properties, 'utf8').includes(`PLAINTEXT://${address}`)) return `${properties} does not listen on ${address}`;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const cmdline = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
  return cmdline.includes('kafka.Kafka') ? pid : `pid ${pid} of ${pidFile} is not a running Kafka broker`;
}

/**
 * A second Kafka 3.9 broker started with scripts/kafka.sh in its own folder and ports, probed from
 * spawn the same way as serve. `fromJvm`: from the broker JVM's launch (its pid file's mtime) to
 * the first answer, leaving out the one-time storage format, which only Kafka needs; `fromScript`:
 * from spawning `kafka.sh start`, format included. Also its RSS once started and idle.
 */
async function kafkaStart(ctx: BenchContext, idleMs: number): Promise<{ fromJvm: number; fromScript: number; idleRss: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wire-kafka-'));
  symlinkSync(join(kafkaDir(), 'lib'), join(dir, 'lib'));
  // Clear of bench:kafka's broker (base, base+100) and of the usual test ports.
  const base = Number(process.env.KAFKA_TWIN_PORT_BASE ?? 19092) + 400;
  const env = { ...process.env, KAFKA_TWIN_DIR: dir, KAFKA_TWIN_PORT_BASE: String(base) };
  let script: ReturnType<typeof launch> | undefined;
  try {
    const startedAt = Date.now();
    const started = launch(KAFKA_SH, ['start'], env);
    script = started;
    const failed = () => {
      const s = started.state();
      return s !== undefined && started.child.exitCode !== 0 ? s : undefined;
    };
    await firstMetadata('127.0.0.1', base, 180_000, failed);
    const answeredAt = Date.now();
    const jvmAt = statSync(join(dir, 'run', 'broker-1.pid')).mtimeMs;
    if ((await started.exited) !== 0) throw new Error(`scripts/kafka.sh start failed: ${started.stderr()}`);
    const pid = Number(readFileSync(join(dir, 'run', 'broker-1.pid'), 'utf8').trim());
    await sleep(idleMs);
    const idleRss = rssOf(pid);
    ctx.log(
      `wire: second Kafka broker answered Metadata ${Math.round(answeredAt - jvmAt)} ms after its JVM launch, ${answeredAt - startedAt} ms after kafka.sh start`,
    );
    return { fromJvm: answeredAt - jvmAt, fromScript: answeredAt - startedAt, idleRss };
  } finally {
    // kafka.sh start cleans up after itself on SIGTERM; stop then ends whatever it left.
    if (script !== undefined) await stop(script);
    spawnSync(KAFKA_SH, ['stop'], { env, stdio: 'ignore', timeout: 60_000 });
    unlinkSync(join(dir, 'lib'));
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- the area

const MIB = 2 ** 20;

/** Runs the area. */
export async function wire(ctx: BenchContext, options: WireOptions = {}): Promise<AreaResult> {
  const n = options.n ?? size('BENCH_WIRE_N', 100_000, ctx.scale, 1000);
  const runs = options.runs ?? 2;
  const count = options.roundTrips ?? size('BENCH_WIRE_ROUNDTRIPS', 300, ctx.scale, 10);
  const readyRuns = options.readyRuns ?? size('BENCH_WIRE_READY_RUNS', 5, 1);
  const idleMs = options.idleMs ?? 3000;
  const msgs = messages(n);
  const kafka: Kafka | undefined = ctx.kafka?.plain('bench-wire');

  // Warms kafkajs's encoders and decoders and the twin (untimed), for every transport alike.
  await overTwin('wire()', (k) => produceConsume(real(k), msgs.slice(0, Math.min(n, 20_000)), 1, PARTITIONS, BATCH));

  type Rates = { produce: number; consume: number };
  const best: Record<string, Rates> = {};
  const keep = (name: string, r: Rates) => {
    const b = best[name];
    best[name] =
      b === undefined ? { produce: r.produce, consume: r.consume } : { produce: Math.max(b.produce, r.produce), consume: Math.max(b.consume, r.consume) };
  };
  const kafkaTopics: string[] = [];
  for (let i = 0; i < runs; i++) {
    // Interleaved, so a neighbour's burst on the shared machine does not land on one transport only.
    for (const t of TRANSPORTS) {
      ctx.log(`wire: throughput over ${t}, ${n.toLocaleString('en')} messages, run ${i + 1} of ${runs}`);
      keep(t, await overTwin(t, (k) => produceConsume(real(k), msgs, 1, PARTITIONS, BATCH)));
    }
    if (kafka) {
      ctx.log(`wire: throughput over TCP to Kafka 3.9, ${n.toLocaleString('en')} messages, run ${i + 1} of ${runs}`);
      const r = await produceConsume(real(kafka), msgs, 1, PARTITIONS, BATCH);
      kafkaTopics.push(r.topic);
      keep('kafka', r);
    }
  }
  const samples: Record<string, number[]> = {};
  for (const t of TRANSPORTS) {
    ctx.log(`wire: ${count} round trips over ${t}`);
    samples[t] = await overTwin(t, async (k) => (await roundTrips(real(k), count, 20)).samples);
  }
  if (kafka) {
    ctx.log(`wire: ${count} round trips over TCP to Kafka 3.9`);
    const r = await roundTrips(real(kafka), count, 20);
    samples.kafka = r.samples;
    kafkaTopics.push(r.topic);
    await deleteTopics(kafka, kafkaTopics);
  }

  ctx.log(`wire: kafka-twin serve from spawn to first Metadata, ${readyRuns} spawns`);
  const readies: number[] = [];
  for (let i = 0; i < readyRuns; i++) readies.push(await serveReady());
  const ready = median(readies);
  let kafkaReady: Awaited<ReturnType<typeof kafkaStart>> | undefined;
  let kafkaReadyMissing = NA;
  if (ctx.kafka) {
    ctx.log('wire: starting a second Kafka 3.9 broker (scripts/kafka.sh start) to time its start');
    // A second broker that cannot start (a busy port, no java) costs this one reference, not the whole run.
    kafkaReady = await kafkaStart(ctx, idleMs).catch((e: unknown) => {
      kafkaReadyMissing = `n/a (the second Kafka broker did not start: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`;
      ctx.log(`wire: ${kafkaReadyMissing}`);
      return undefined;
    });
  }

  ctx.log(`wire: idle RSS of kafka-twin serve --brokers 3 (after ${idleMs} ms idle)`);
  const rss = await serveIdleRss(idleMs);
  const kafkaPid = ctx.kafka ? kafkaBrokerPid(ctx.kafka.brokers[0]!) : NA;
  const kafkaRss = typeof kafkaPid === 'number' ? rssOf(kafkaPid) : undefined;

  const rows: Row[] = [];
  /** A twin figure beside its Kafka reference (`ratio` oriented so that bigger is better), or beside n/a. */
  const row = (
    figure: string,
    value: number,
    unit: string,
    reference: string,
    referenceValue: number | undefined,
    ratio: (v: number, r: number) => number,
    target: string | undefined,
    goal: number | undefined,
    missing = NA,
  ) => {
    if (referenceValue === undefined) {
      rows.push({ area: 'wire', figure, value, unit, reference: missing, ...(target ? { target } : {}) });
      return;
    }
    const r = ratio(value, referenceValue);
    rows.push({ area: 'wire', figure, value, unit, reference, referenceValue, ratio: r, ...(target ? { target, ...judge(r, goal!, 'min') } : {}) });
  };
  for (const t of TRANSPORTS) {
    for (const dir of ['produce', 'consume'] as const) {
      row(
        `kafkajs over ${t} ${dir}`,
        best[t]![dir],
        'msg/s',
        `kafkajs over TCP to Kafka 3.9 ${dir}`,
        best.kafka?.[dir],
        (v, r) => v / r,
        '>= 3x Kafka 3.9 (ratio = twin/kafka)',
        3,
      );
    }
  }
  for (const t of TRANSPORTS) {
    for (const [name, q] of [
      ['p50', 0.5],
      ['p99', 0.99],
    ] as const) {
      const reference = samples.kafka === undefined ? undefined : quantile(samples.kafka, q);
      const target = name === 'p50' ? '>= 10x lower (ratio = kafka/twin)' : undefined;
      row(
        `kafkajs over ${t} round trip ${name}`,
        quantile(samples[t]!, q),
        'ms',
        `kafkajs over TCP to Kafka 3.9 ${name}`,
        reference,
        (v, r) => r / v,
        target,
        10,
      );
    }
  }
  row(
    'serve: spawn to first answered Metadata',
    ready,
    'ms',
    'Kafka 3.9 broker: JVM launch to first answered Metadata',
    kafkaReady?.fromJvm,
    (v, r) => r / v,
    '>= 30x sooner (ratio = kafka/twin)',
    30,
    kafkaReadyMissing,
  );
  // The reference is bench:kafka's own broker, after this run's work on it; without its pid, n/a says why.
  row(
    'serve --brokers 3 idle RSS',
    rss / MIB,
    'MiB',
    'Kafka 3.9 broker JVM RSS (1 broker)',
    kafkaRss === undefined ? undefined : kafkaRss / MIB,
    (v, r) => r / v,
    '<= 1/10 the memory (ratio = kafka/twin)',
    10,
    typeof kafkaPid === 'string' && ctx.kafka ? `n/a (${kafkaPid})` : NA,
  );

  const notes = [
    `wire: the same kafkajs 2.2.4 client over cluster.wire(), cluster.listen() and TCP to Kafka 3.9; throughput ${n.toLocaleString('en')} keyed 100-byte messages, ${PARTITIONS} partitions, sendBatch of ${BATCH}, acks=1, best of ${runs} interleaved runs; ${count} round trips each (acks=all, 1 partition); twins are single-broker, real clock`,
    `wire: ready = spawn to the first answered Metadata v1 request (raw socket, retried every 10 ms), median of ${readyRuns} serve spawns (${readies.map((r) => Math.round(r)).join(', ')} ms)${kafkaReady ? `; Kafka: one broker started with scripts/kafka.sh in its own folder, timed from its JVM's launch (storage format left out; ${Math.round(kafkaReady.fromScript)} ms from spawning kafka.sh start), idle RSS ${Math.round(kafkaReady.idleRss / MIB)} MiB once up` : ''}`,
    `wire: serve memory = VmRSS of kafka-twin serve --brokers 3 after answering Metadata and ${idleMs} ms idle, median of 5 reads`,
  ];
  return { rows, notes };
}
