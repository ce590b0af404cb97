/**
 * The conformance runner: one set of specs, run against one target per run.
 *
 * - `twin` (the default): a fresh `Cluster` per scenario, with the broker settings that
 *   `scripts/kafka.sh` gives the real brokers, and its client `cluster.kafka()`.
 * - `kafka`: real brokers through `fromKafkaJs(new Kafka(...))`; needs `KAFKA_BOOTSTRAP_SERVERS`
 *   (set by `scripts/with-kafka.sh`). The brokers are shared by every scenario of the run, so
 *   scenarios use unique topic and group names ({@link Control.name}).
 *
 * - `kafkajs-wire`: a fresh real-clock `Cluster` per scenario (the twin's broker settings), and
 *   unchanged kafkajs talking Kafka's binary protocol to it in memory (`cluster.wire()`): the
 *   twin's brokers as a real client sees them.
 *
 * `CONFORMANCE_TARGET` picks the target. Scenarios are written against the shared interface
 * plus a small {@link Control} for what the interface lacks: waiting, letting time pass, and
 * stopping or starting a broker. On the twin (virtual clock) waiting moves cluster time from
 * one due timer to the next; on real Kafka it polls with real sleeps. Scenarios that need three
 * brokers carry `@3brokers` in their title; `npm run test:kafka` leaves them out and
 * `npm run test:kafka:3` runs only them. The twin runs all of them, each on a cluster of the
 * size it asks for.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import { fromKafkaJs } from '../../adapters/kafkajs/index.js';
import { settle as settleMicrotasks, VirtualClock } from '../../emulator/clock.js';
import { Cluster } from '../../src/index.js';
import type { Admin, Consumer, Kafka, Producer } from '../../client/interface.js';
import type { AdminConfig, ConsumerConfig, KafkaConfig, logCreator as LogCreator, logLevel as LogLevel, ProducerConfig } from 'kafkajs';
import type { InjectFaultOptions } from '../../emulator/engine.js';
import { kafkaLog, twinLog } from './raw-log.js';

const { Kafka: KafkaJs, logLevel } = kafkajs;

export type TargetName = 'twin' | 'kafka' | 'kafkajs-wire';

const TARGETS: readonly TargetName[] = ['twin', 'kafka', 'kafkajs-wire'];

/** What a scenario gets besides the shared interface. */
export interface Control {
  /** Which target this run is against (for messages only: scenarios never branch on it). */
  readonly target: TargetName;
  /** Number of brokers, ids 1..brokers. */
  readonly brokers: number;
  /** The shared interface. Every client made from it is disconnected when the scenario ends. */
  readonly kafka: Kafka;
  /**
   * Another client like {@link kafka}, logging at `logLevel` to `logCreator`: the twin client's own
   * logging on the twin, kafkajs's on the other targets. Its clients are disconnected at the end too.
   */
  loggingKafka(config: { logLevel: LogLevel; logCreator: LogCreator }): Kafka;
  /** A name no other scenario of this run (or an earlier run against the same brokers) uses. */
  name(prefix: string): string;
  /** Cluster time in ms since the epoch: the twin's clock, or wall time for real Kafka. */
  now(): number;
  /**
   * Resolves once `predicate` holds, letting cluster time pass; rejects after `timeoutMs` of it.
   * A predicate that throws counts as not holding yet (a broker's metadata can lag for a moment).
   */
  waitUntil(predicate: () => boolean | Promise<boolean>, options?: { timeoutMs?: number; message?: string }): Promise<void>;
  /** Lets whatever is under way finish: the twin until every consumer is idle, real Kafka a few seconds. */
  settle(): Promise<void>;
  /** Lets `ms` of cluster time pass. */
  sleep(ms: number): Promise<void>;
  /** Stops a broker with a controlled shutdown (real Kafka: `scripts/kafka.sh stop-broker`). */
  stopBroker(id: number): Promise<void>;
  /** Starts a broker stopped by {@link stopBroker} and waits until it is registered again. */
  startBroker(id: number): Promise<void>;
  /**
   * Whether every running broker's metadata lists `topic` with `partitions` partitions. Real
   * brokers learn of a new topic a few ms apart, and a client asking one that has not yet gets
   * UNKNOWN_TOPIC_OR_PARTITION (kafkajs's `subscribe` does not retry it); the twin's one metadata
   * knows it at once.
   */
  knownEverywhere(topic: string, partitions: number): Promise<boolean>;
  /**
   * The partition's log as its leader stores it, transaction markers included (raw-log.ts):
   * `offset:key=value`, `offset:commit`, `offset:abort`. Consumers never see markers; this does.
   */
  readLog(topic: string, partition: number): Promise<string[]>;
  /**
   * Injects a request fault into the twin's brokers (`cluster.injectFault`); undefined against
   * real Kafka, which has no such hook: scenarios that need it are twin-only and say so.
   */
  readonly injectFault?: (options: InjectFaultOptions) => void;
}

/** A control plus its cleanup, made fresh per scenario. */
interface Session extends Control {
  close(): Promise<void>;
}

/** The broker settings `scripts/kafka.sh` writes for a cluster of `brokers` brokers, in the twin's terms. */
export function scriptBrokerConfig(brokers: number): Record<string, number | boolean> {
  return {
    'auto.create.topics.enable': true,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'unclean.leader.election.enable': false,
    'delete.topic.enable': true,
    'offsets.topic.replication.factor': Math.min(3, brokers),
    'offsets.topic.num.partitions': 50,
    'group.initial.rebalance.delay.ms': 0,
    'log.retention.check.interval.ms': 1000,
    'log.initial.task.delay.ms': 0,
    'log.cleaner.backoff.ms': 1000,
  };
}

function readTarget(): TargetName {
  const raw = process.env.CONFORMANCE_TARGET ?? 'twin';
  const target = TARGETS.find((t) => t === raw);
  if (target === undefined) throw new Error(`CONFORMANCE_TARGET must be one of ${TARGETS.map((t) => `'${t}'`).join(', ')}, got '${raw}'`);
  return target;
}

export const TARGET: TargetName = readTarget();

/** Client factories that remember every client, so a scenario's clients can all be disconnected. */
class TrackingKafka implements Kafka {
  readonly producers: Producer[] = [];
  readonly consumers: Consumer[] = [];
  readonly admins: Admin[] = [];
  constructor(private readonly inner: Kafka) {}
  producer(config?: ProducerConfig): Producer {
    const p = this.inner.producer(config);
    this.producers.push(p);
    return p;
  }
  consumer(config: ConsumerConfig): Consumer {
    const c = this.inner.consumer(config);
    this.consumers.push(c);
    return c;
  }
  admin(config?: AdminConfig): Admin {
    const a = this.inner.admin(config);
    this.admins.push(a);
    return a;
  }
  async disconnectAll(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.disconnect().catch(() => undefined)));
    await Promise.all([...this.producers, ...this.admins].map((c) => c.disconnect().catch(() => undefined)));
  }
}

/** Wraps `inner` to track its clients, and remembers it in `list` for the session's close. */
function track(list: TrackingKafka[], inner: Kafka): TrackingKafka {
  const tracked = new TrackingKafka(inner);
  list.push(tracked);
  return tracked;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- the twin

let twinCounter = 0;

function twinSession(brokers: number): Session {
  const clock = process.env.CONFORMANCE_TWIN_CLOCK === 'real' ? 'real' : 'virtual';
  const cluster = new Cluster({ brokers, clock, seed: 1, startTime: Date.now(), config: scriptBrokerConfig(brokers) });
  // Quiet as the other targets' kafkajs: the twin client logs to the console at INFO by default.
  const kafka = new TrackingKafka(cluster.kafka({ clientId: 'conformance', logLevel: logLevel.NOTHING }));
  const logging: TrackingKafka[] = [];
  const virtual = cluster.clock instanceof VirtualClock ? cluster.clock : undefined;
  return {
    target: 'twin',
    brokers,
    kafka,
    loggingKafka: (config) => track(logging, cluster.kafka({ clientId: 'conformance', ...config })),
    name: (prefix) => `${prefix}-${++twinCounter}`,
    now: () => cluster.now(),
    async waitUntil(predicate, { timeoutMs = 60_000, message = 'a condition' } = {}) {
      const deadline = cluster.now() + timeoutMs;
      for (;;) {
        await settleMicrotasks();
        await settleMicrotasks();
        // As for real Kafka: a predicate that throws has simply not come true yet.
        let last: unknown;
        try {
          if (await predicate()) return;
        } catch (e) {
          last = e;
        }
        const why = `${message}${last ? ` (last error: ${String(last)})` : ''}`;
        if (virtual === undefined) {
          if (cluster.now() > deadline) throw new Error(`twin: still waiting for ${why} after ${timeoutMs} ms`);
          await realSleep(10);
          continue;
        }
        const next = virtual.nextDueTime();
        if (next === undefined || next > deadline) throw new Error(`twin: still waiting for ${why} after ${timeoutMs} ms of cluster time`);
        await virtual.advanceTo(next);
      }
    },
    settle: () => cluster.idle({ maxMs: 120_000 }),
    sleep: (ms) => cluster.advance(ms),
    async stopBroker(id) {
      cluster.stopBroker(id);
    },
    async startBroker(id) {
      cluster.startBroker(id);
    },
    knownEverywhere: async (topic, partitions) => cluster.hasTopic(topic) && cluster.describeTopic(topic).partitions.length === partitions,
    readLog: async (topic, partition) => twinLog(cluster, topic, partition),
    injectFault: (options) => void cluster.injectFault(options),
    async close() {
      // Disconnecting drives the clock (leave group, final commits); then nothing may run on.
      await cluster.drive(Promise.all([kafka, ...logging].map((k) => k.disconnectAll()))).catch(() => undefined);
      cluster.close();
    },
  };
}

// ---------------------------------------------------------------- real Kafka

const SCRIPTS = fileURLToPath(new URL('../../../scripts/kafka.sh', import.meta.url));
const run = `${Date.now().toString(36)}`;
let kafkaCounter = 0;
let shared: { kafka: Kafka; brokers: number; servers: string[] } | undefined;

async function sharedKafka(): Promise<{ kafka: Kafka; brokers: number; servers: string[] }> {
  if (shared !== undefined) return shared;
  const servers = process.env.KAFKA_BOOTSTRAP_SERVERS;
  if (!servers) throw new Error('CONFORMANCE_TARGET=kafka needs KAFKA_BOOTSTRAP_SERVERS (run through scripts/with-kafka.sh, or npm run test:kafka)');
  const kafka = fromKafkaJs(new KafkaJs({ clientId: 'conformance', brokers: servers.split(','), logLevel: logLevel.NOTHING }));
  const admin = kafka.admin();
  await admin.connect();
  const { brokers } = await admin.describeCluster();
  // A fresh cluster creates __consumer_offsets on the first group request and answers
  // NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE meanwhile, which kafkajs's admin does not retry
  // (the twin answers at once: docs/fidelity.md). Warm it up before the first scenario.
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await admin.fetchOffsets({ groupId: 'conformance-warm-up' });
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await realSleep(250);
    }
  }
  await admin.disconnect();
  const count = Number(process.env.KAFKA_TWIN_BROKERS ?? brokers.length);
  shared = { kafka, brokers: count, servers: servers.split(',') };
  return shared;
}

const execScript = promisify(execFile);

async function kafkaSession(wanted: number): Promise<Session> {
  const { kafka: inner, brokers, servers } = await sharedKafka();
  if (brokers !== wanted) {
    throw new Error(
      `this scenario needs a ${wanted}-broker cluster, the run has ${brokers}: run it with ${wanted === 3 ? 'npm run test:kafka:3' : 'npm run test:kafka'}`,
    );
  }
  const kafka = new TrackingKafka(inner);
  const logging: TrackingKafka[] = [];
  const stopped = new Set<number>();
  const script = async (...args: string[]) => {
    await execScript(SCRIPTS, args, { timeout: 180_000 });
  };
  return {
    target: 'kafka',
    brokers,
    kafka,
    loggingKafka: (config) => track(logging, fromKafkaJs(new KafkaJs({ clientId: 'conformance', brokers: servers, ...config }))),
    name: (prefix) => `${prefix}-${run}-${++kafkaCounter}`,
    now: () => Date.now(),
    waitUntil: (predicate, { timeoutMs = 60_000, message = 'a condition' } = {}) => pollUntil('kafka', predicate, timeoutMs, message, 100),
    settle: () => realSleep(2000),
    sleep: (ms) => realSleep(ms),
    async stopBroker(id) {
      await script('stop-broker', String(id));
      stopped.add(id);
    },
    async startBroker(id) {
      await script('start-broker', String(id));
      stopped.delete(id);
    },
    async knownEverywhere(topic, partitions) {
      // One client per running broker, bootstrapped from it alone: its metadata requests go to that broker.
      for (let id = 1; id <= brokers; id++) {
        if (stopped.has(id)) continue;
        const admin = new KafkaJs({ clientId: 'conformance-probe', brokers: [servers[id - 1]!], logLevel: logLevel.NOTHING }).admin();
        try {
          await admin.connect();
          const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
          if (topics[0]?.partitions.length !== partitions) return false;
        } finally {
          await admin.disconnect();
        }
      }
      return true;
    },
    readLog: (topic, partition) => kafkaLog(servers, topic, partition),
    async close() {
      await Promise.all([kafka, ...logging].map((k) => k.disconnectAll()));
      for (const id of stopped) await script('start-broker', String(id));
    },
  };
}

// ---------------------------------------------------------------- kafkajs over the twin's wire

let wireCounter = 0;

/** Polls `predicate` in wall time; what the kafka target does, shared with the wire target. */
async function pollUntil(target: TargetName, predicate: () => boolean | Promise<boolean>, timeoutMs: number, message: string, everyMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      if (await predicate()) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${target}: still waiting for ${message} after ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ''}`);
    await realSleep(everyMs);
  }
}

function wireSession(brokers: number): Session {
  const cluster = new Cluster({ brokers, clock: 'real', seed: 1, config: scriptBrokerConfig(brokers) });
  // As a user writes it: cluster.wire() spreads into kafkajs's own config type.
  const config: KafkaConfig = { clientId: 'conformance', logLevel: logLevel.NOTHING, ...cluster.wire() };
  const kafka = new TrackingKafka(fromKafkaJs(new KafkaJs(config)));
  const logging: TrackingKafka[] = [];
  return {
    target: 'kafkajs-wire',
    brokers,
    kafka,
    loggingKafka: (logs) => track(logging, fromKafkaJs(new KafkaJs({ ...config, ...logs }))),
    name: (prefix) => `${prefix}-${++wireCounter}`,
    now: () => cluster.now(),
    waitUntil: (predicate, { timeoutMs = 60_000, message = 'a condition' } = {}) => pollUntil('kafkajs-wire', predicate, timeoutMs, message, 20),
    settle: () => realSleep(2000),
    sleep: (ms) => realSleep(ms),
    async stopBroker(id) {
      cluster.stopBroker(id);
    },
    async startBroker(id) {
      cluster.startBroker(id);
    },
    knownEverywhere: async (topic, partitions) => cluster.hasTopic(topic) && cluster.describeTopic(topic).partitions.length === partitions,
    readLog: async (topic, partition) => twinLog(cluster, topic, partition),
    injectFault: (options) => void cluster.injectFault(options),
    async close() {
      await Promise.all([kafka, ...logging].map((k) => k.disconnectAll()));
      cluster.close();
    },
  };
}

// ---------------------------------------------------------------- scenarios

export interface ScenarioOptions {
  /** Brokers the scenario needs (1 or 3); 3 tags it `@3brokers`. */
  brokers?: 1 | 3;
  /** Mocha timeout in wall ms (real Kafka needs real waits). */
  timeout?: number;
}

/** Declares one scenario: a mocha `it` that gets a fresh {@link Control} on the run's target. */
export function scenario(title: string, fn: (control: Control) => Promise<void>, { brokers = 1, timeout = 90_000 }: ScenarioOptions = {}): void {
  it(brokers === 3 ? `${title} @3brokers` : title, async function () {
    this.timeout(timeout);
    const session = TARGET === 'twin' ? twinSession(brokers) : TARGET === 'kafkajs-wire' ? wireSession(brokers) : await kafkaSession(brokers);
    try {
      await fn(session);
    } finally {
      await session.close();
    }
  });
}

/** Describes a group of scenarios, naming the target in the title. */
export function conformance(title: string, body: () => void): void {
  describe(`conformance [${TARGET}]: ${title}`, body);
}
