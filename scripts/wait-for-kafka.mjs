#!/usr/bin/env node
// Waits until the Kafka nodes started by scripts/kafka.sh answer: each node in
// --ids must accept an admin connection on its own client port, and the
// cluster metadata it returns must list every node in --ids as a broker.
//
//   node scripts/wait-for-kafka.mjs [--brokers N] [--port-base 19092] [--ids 1,2,3] [--timeout 90] [--pids 123,456]
//
// --ids defaults to 1..N. --pids: the Kafka JVMs; if one of them exits, give up at once.
// Exits 0 when all answer, 1 on timeout or a dead JVM (with the last error).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { readFileSync } from 'node:fs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const { Kafka, logLevel } = require('kafkajs');

function parseArgs(argv) {
  const opts = {
    brokers: 1,
    portBase: Number(process.env.KAFKA_TWIN_PORT_BASE ?? 19092),
    ids: null,
    timeout: 90,
    pids: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--brokers': opts.brokers = Number(value()); break;
      case '--port-base': opts.portBase = Number(value()); break;
      case '--ids': opts.ids = value().split(',').filter(Boolean).map(Number); break;
      case '--timeout': opts.timeout = Number(value()); break;
      case '--pids': opts.pids = value().split(',').filter(Boolean).map(Number); break;
      default:
        console.error(`wait-for-kafka: unknown argument ${argv[i]}`);
        process.exit(2);
    }
  }
  opts.ids ??= Array.from({ length: opts.brokers }, (_, i) => i + 1);
  if (!opts.ids.every((id) => Number.isInteger(id) && id >= 1) || !Number.isFinite(opts.portBase)) {
    console.error('wait-for-kafka: bad --ids or --port-base');
    process.exit(2);
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const address = (id) => `127.0.0.1:${opts.portBase + id - 1}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

// One node answers, and its metadata lists every wanted node.
async function probe(id) {
  const kafka = new Kafka({
    clientId: 'kafka-twin-wait',
    brokers: [address(id)],
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await withTimeout(admin.connect(), 5000, `connect ${address(id)}`);
    const cluster = await withTimeout(admin.describeCluster(), 5000, `describeCluster ${address(id)}`);
    const registered = new Set(cluster.brokers.map((b) => b.nodeId));
    const missing = opts.ids.filter((want) => !registered.has(want));
    if (missing.length > 0) {
      throw new Error(`node ${id} sees brokers [${[...registered].sort().join(',')}], missing [${missing.join(',')}]`);
    }
    return cluster;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

// A pid is dead when it is gone or a zombie (exited, not yet reaped).
function isDead(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

const started = Date.now();
const deadline = started + opts.timeout * 1000;
let lastError = null;
let attempts = 0;
for (;;) {
  attempts++;
  try {
    let cluster;
    for (const id of opts.ids) cluster = await probe(id);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    console.error(
      `wait-for-kafka: nodes [${opts.ids.join(',')}] answer (cluster ${cluster.clusterId}, ` +
      `brokers [${cluster.brokers.map((b) => b.nodeId).sort().join(',')}], controller ${cluster.controller}) after ${secs}s`,
    );
    process.exit(0);
  } catch (err) {
    lastError = err;
  }
  const dead = opts.pids.filter(isDead);
  if (dead.length > 0) {
    console.error(`wait-for-kafka: Kafka JVM pid(s) ${dead.join(',')} exited; last error: ${lastError?.message ?? lastError}`);
    process.exit(1);
  }
  if (Date.now() >= deadline) break;
  await sleep(500);
}
console.error(
  `wait-for-kafka: nodes [${opts.ids.join(',')}] did not all answer within ${opts.timeout}s ` +
  `(${attempts} attempts); last error: ${lastError?.message ?? lastError}`,
);
process.exit(1);
