#!/usr/bin/env node
/**
 * Runs kafkajs's documentation examples against the twin and counts how many run.
 *
 *   node scripts/kafkajs-doc-examples.mjs <kafkajs docs dir> [--twin <path to dist/src/index.js>] [--verbose]
 *
 * The docs dir is kafkajs's `docs/` at v2.2.4 (e.g. `git -C kafkajs archive v2.2.4 docs | tar x`).
 * Every ```javascript / ```typescript block of Producing.md, Consuming.md, Admin.md and
 * Transactions.md is a candidate. A block is runnable when it is code, not a shape: it parses as
 * the body of an async function once `import ... from 'kafkajs'` lines become `require`, it has no
 * `<Type>` placeholders and requires no package but kafkajs. Each runnable block runs in a fresh
 * twin cluster, `new Kafka(...)` replaced by `cluster.kafka(...)`, with what the docs assume in
 * scope: `kafka`, a connected `producer` (transactional, as Transactions.md configures it, for
 * that file's examples) and `admin`, a `consumer` of group 'my-group' subscribed to 'topic-name',
 * `topic` and `groupId` naming them, `messages` to send, and the topics the examples name created
 * (4 partitions each). An example runs when it neither
 * throws nor hangs (5 s of wall time). Prints one line per example and the counts.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const docsDir = args.find((a) => !a.startsWith('--'));
if (!docsDir) {
  console.error('usage: kafkajs-doc-examples.mjs <kafkajs docs dir> [--twin <dist/src/index.js>] [--verbose]');
  process.exit(2);
}
const twinAt = args.includes('--twin') ? resolve(args[args.indexOf('--twin') + 1]) : new URL('../dist/src/index.js', import.meta.url).pathname;
const verbose = args.includes('--verbose');
const require = createRequire(import.meta.url);
const kafkajs = require('kafkajs');
const { Cluster } = await import(pathToFileURL(twinAt).href);

const FILES = ['Producing.md', 'Consuming.md', 'Admin.md', 'Transactions.md'];
const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor;

function blocksOf(file) {
  const text = readFileSync(join(docsDir, file), 'utf8');
  const out = [];
  const re = /^```(javascript|js|typescript|ts)\n([\s\S]*?)^```/gm;
  for (let m = re.exec(text), i = 1; m !== null; m = re.exec(text), i++) out.push({ id: `${file}#${i}`, code: m[2] });
  return out;
}

function prepare(code) {
  const js = code
    .replace(/^import\s+\{([^}]*)\}\s+from\s+'kafkajs'.*$/gm, "const {$1} = require('kafkajs')")
    .replace(/new Kafka\(/g, 'cluster.kafka(');
  if (/<[A-Z][A-Za-z]*(\[\])?>/.test(js)) return { skip: 'a shape with <Type> placeholders' };
  const required = [...js.matchAll(/require\('([^']+)'\)/g)].map((m) => m[1]).filter((p) => p !== 'kafkajs');
  if (required.length > 0) return { skip: `requires ${required.join(', ')}` };
  try {
    new AsyncFunction('ctx', `{ ${js}\n}`);
  } catch (e) {
    return { skip: `not code (${e.message})` };
  }
  return { js };
}

async function run(js, file) {
  // The virtual clock: an example's retries and waits take no wall time.
  const cluster = new Cluster({ clock: 'virtual', config: { 'group.initial.rebalance.delay.ms': 0 } });
  const kafka = cluster.kafka({ clientId: 'my-app', brokers: ['kafka1:9092', 'kafka2:9092'] });
  const admin = kafka.admin();
  await admin.connect();
  const named = ['topic-name', 'topic-a', 'topic-b', 'topic-c', 'topic-A', 'topic-B', 'custom-topic', 'example-topic'];
  await admin.createTopics({ topics: named.map((topic) => ({ topic, numPartitions: 4 })) });
  // Transactions.md's examples use the producer its first example configures.
  const producer = kafka.producer(file === 'Transactions.md' ? { transactionalId: 'my-transactional-producer', maxInFlightRequests: 1, idempotent: true } : {});
  await producer.connect();
  const consumer = kafka.consumer({ groupId: 'my-group' });
  await consumer.connect();
  await consumer.subscribe({ topics: ['topic-name'] });
  const fn = new AsyncFunction(
    'cluster',
    'kafka',
    'producer',
    'consumer',
    'admin',
    'require',
    'console',
    // What the examples take as given: the topic and group they talk about.
    `const topic = 'topic-name'; const groupId = 'my-group'; const messages = [{ key: 'key1', value: 'hello world' }];\nconst { CompressionTypes, CompressionCodecs, ConfigResourceTypes, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes, logLevel } = require('kafkajs');\n{ ${js}\n}`,
  );
  const quiet = { log: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  let timer;
  try {
    await Promise.race([
      fn(cluster, kafka, producer, consumer, admin, (p) => (p === 'kafkajs' ? kafkajs : require(p)), verbose ? console : quiet),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('hung for 5 s')), 5000))),
    ]);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}

// The twin's virtual clock waits for work without holding the event loop open; an application's
// server or test runner holds it, this script does so itself.
const keepAlive = setInterval(() => undefined, 1000);

// An example that does not await a call that rejects fails by an unhandled rejection: it counts
// against the example it came from (kafkajs rejects the same calls the same way).
let unhandled;
process.on('unhandledRejection', (e) => void (unhandled ??= e));

let runnable = 0;
let ran = 0;
const skipped = [];
for (const file of FILES) {
  for (const { id, code } of blocksOf(file)) {
    const p = prepare(code);
    if (p.skip) {
      skipped.push(`${id}: ${p.skip}`);
      continue;
    }
    runnable++;
    if (verbose) console.log(`start ${id}`);
    unhandled = undefined;
    try {
      await run(p.js, file);
      await new Promise((r) => setImmediate(r));
      if (unhandled !== undefined) throw unhandled;
      ran++;
      console.log(`ok    ${id}`);
    } catch (e) {
      console.log(`FAIL  ${id}: ${e?.name ?? 'Error'}: ${String(e?.message ?? e).split('\n')[0]}`);
    }
  }
}
if (verbose) for (const s of skipped) console.log(`skip  ${s}`);
console.log(`${ran} of ${runnable} runnable examples ran (${runnable - ran} failed); ${skipped.length} blocks are not runnable code`);
clearInterval(keepAlive);
process.exit(0);
