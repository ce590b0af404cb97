/**
 * The scenario runner: plays a schedule against a processor on a fresh twin with the virtual
 * clock and records a trace of what was produced, delivered, processed, committed and assigned.
 */
import { Cluster } from '../cluster.js';
import type { ClusterEvent } from '../../emulator/events.js';
import type { Consumer, ConsumerConfig, ConsumerRunConfig, EachMessagePayload, Producer } from '../../client/interface.js';
import type { Scenario, Step, Topology } from './steps.js';

/** What a processor instance gets: its clients (every call a crash point) and an external store. */
export interface ProcessorContext {
  /** Which instance this is (0, 1, ... in order of start; a restarted instance gets a new number). */
  readonly instance: number;
  /** The instance's producer; `send` and `sendBatch` are crash points. */
  readonly producer: Pick<Producer, 'send' | 'sendBatch'>;
  /** The instance's consumer; `commitOffsets` is a crash point. */
  readonly consumer: Pick<Consumer, 'commitOffsets'>;
  /** The scenario's topology (topic names, group id). */
  readonly topology: Topology;
  /**
   * An external store (a database) shared by every instance of the run; it survives crashes.
   * Writes to it are not crash points: they happen at once.
   */
  readonly store: Map<string, unknown>;
}

/** An `eachMessage` handler, as given to kafkajs's `consumer.run`. */
export type MessageHandler = (payload: EachMessagePayload) => Promise<void>;

/** The application under test: how to start one instance of it. */
export interface Processor {
  /** A name for reports. */
  readonly name?: string;
  /**
   * Options of `consumer.run` besides the handler.
   * @defaultValue kafkajs's: auto-commit after each batch
   */
  readonly runConfig?: Pick<ConsumerRunConfig, 'autoCommit' | 'autoCommitInterval' | 'autoCommitThreshold'>;
  /**
   * Consumer settings besides the group id.
   * @defaultValue `{ sessionTimeout: 10000, heartbeatInterval: 1000, rebalanceTimeout: 10000 }`
   */
  readonly consumerConfig?: Omit<ConsumerConfig, 'groupId'>;
  /** Starts an instance: called once per instance with its context; returns its handler. */
  create(context: ProcessorContext): MessageHandler;
}

/** A record as read from a topic. */
export interface TraceRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: number;
}

/** One `eachMessage` call. `seq` orders every trace entry of a run. */
export interface Delivery {
  readonly seq: number;
  /** Cluster time in ms. */
  readonly time: number;
  readonly instance: number;
  readonly memberId: string;
  /** The generation the instance joined last (from `group-assignment` events). */
  readonly generationId: number;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  /** Set when the handler returned: the message was processed. */
  readonly completedSeq?: number;
  /** Set when the handler threw (not a crash). */
  readonly error?: string;
  /** Set when the instance crashed during this call. */
  readonly crashed?: boolean;
}

/** Offsets committed for the group (from `group-offsets-committed` events), input topic only. */
export interface CommitEntry {
  readonly seq: number;
  readonly time: number;
  readonly memberId: string;
  readonly instance: number | undefined;
  readonly generationId: number;
  readonly offsets: readonly { readonly partition: number; readonly offset: number }[];
}

/** A generation's assignment (from `group-assignment` events), input topic only. */
export interface GenerationEntry {
  readonly seq: number;
  readonly time: number;
  readonly generationId: number;
  readonly assignments: readonly { readonly memberId: string; readonly instance: number | undefined; readonly partitions: readonly number[] }[];
}

/** Something that happened to an instance or to the run. */
export interface LifecycleEntry {
  readonly seq: number;
  readonly time: number;
  readonly kind: 'started' | 'left' | 'crashed' | 'expired-and-reaped' | 'step' | 'skipped' | 'produce-failed' | 'final';
  readonly instance?: number;
  readonly detail: string;
}

/** What a run did. */
export interface Trace {
  readonly scenario: Scenario;
  /** Every record of the input topic at the end of the run (what must be processed). */
  readonly inputs: readonly TraceRecord[];
  /** Every record of the output topic at the end of the run. */
  readonly outputs: readonly TraceRecord[];
  readonly deliveries: readonly Delivery[];
  readonly commits: readonly CommitEntry[];
  readonly generations: readonly GenerationEntry[];
  readonly lifecycle: readonly LifecycleEntry[];
  /** Committed offsets of the input topic at the end, by partition. */
  readonly finalCommitted: ReadonlyMap<number, number>;
  /** The cluster's event log. */
  readonly events: readonly ClusterEvent[];
}

/** Options of {@link runScenario}. */
export interface RunScenarioOptions {
  /** The application under test. */
  processor: Processor;
  /** What to run. */
  scenario: Scenario;
  /**
   * Broker settings (Kafka's names).
   * @defaultValue `{}`
   */
  brokerConfig?: Record<string, string | number | boolean>;
  /**
   * Most cluster time the final settling may take, in ms.
   * @defaultValue 600000
   */
  settleMs?: number;
}

/** The rejection a crashed instance's pending calls get when the instance is reaped. */
export class CrashSignal extends Error {
  constructor(instance: number) {
    super(`instance ${instance} crashed`);
    this.name = 'CrashSignal';
  }
}

interface Instance {
  readonly index: number;
  readonly consumer: Consumer;
  readonly producer: Producer;
  memberId: string;
  generationId: number;
  status: 'running' | 'frozen' | 'left' | 'dead';
  armed: number | undefined;
  frozenAt: number;
  release: ((e: Error) => void) | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const CONSUMER_DEFAULTS = { sessionTimeout: 10_000, heartbeatInterval: 1_000, rebalanceTimeout: 10_000 };

/** Runs one scenario on a fresh twin (virtual clock, the scenario's cluster seed) and returns its trace. */
export async function runScenario(options: RunScenarioOptions): Promise<Trace> {
  const { processor, scenario, brokerConfig = {}, settleMs = 600_000 } = options;
  const t = scenario.topology;
  const cluster = new Cluster({ brokers: t.brokers, clock: 'virtual', seed: scenario.clusterSeed, config: brokerConfig });
  let seq = 0;
  const next = () => seq++;
  const deliveries: Mutable<Delivery>[] = [];
  const commits: CommitEntry[] = [];
  const generations: GenerationEntry[] = [];
  const lifecycle: LifecycleEntry[] = [];
  const memberInstance = new Map<string, number>();
  const memberGeneration = new Map<string, number>();
  const store = new Map<string, unknown>();
  const instances: Instance[] = [];
  const consumerConfig = { ...CONSUMER_DEFAULTS, ...processor.consumerConfig };
  const log = (kind: LifecycleEntry['kind'], detail: string, instance?: number) =>
    lifecycle.push(instance === undefined ? { seq: next(), time: cluster.now(), kind, detail } : { seq: next(), time: cluster.now(), kind, detail, instance });

  const unsubscribe = cluster.onEvent((e) => {
    if (!('groupId' in e) || e.groupId !== t.groupId) return;
    if (e.type === 'group-assignment') {
      const assignments = e.assignments.map((a) => {
        memberGeneration.set(a.memberId, e.generationId);
        const partitions = (a.partitions ?? []).filter((p) => p.topic === t.input.topic).flatMap((p) => p.partitions);
        return { memberId: a.memberId, instance: undefined as number | undefined, partitions: [...partitions].sort((x, y) => x - y) };
      });
      generations.push({ seq: next(), time: e.time, generationId: e.generationId, assignments });
    } else if (e.type === 'group-offsets-committed') {
      const offsets = e.offsets.filter((o) => o.topic === t.input.topic).map((o) => ({ partition: o.partition, offset: o.offset }));
      if (offsets.length > 0) commits.push({ seq: next(), time: e.time, memberId: e.memberId, instance: memberInstance.get(e.memberId), generationId: e.generationId, offsets });
    }
  });

  try {
    cluster.createTopic({ topic: t.input.topic, numPartitions: t.input.partitions, replicationFactor: t.input.replicationFactor });
    cluster.createTopic({ topic: t.output.topic, numPartitions: t.output.partitions, replicationFactor: t.output.replicationFactor });
    const kafka = cluster.kafka({ clientId: 'scenario', retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 } });
    const inputProducer = kafka.producer();
    await inputProducer.connect();

    /** A crash point: a promise that never settles (until reaped) when the instance dies here; otherwise undefined. */
    const crashPoint = (inst: Instance, where: string): Promise<never> | undefined => {
      if (inst.status === 'dead' || inst.status === 'frozen') return Promise.reject(new CrashSignal(inst.index));
      if (inst.armed === undefined) return undefined;
      inst.armed--;
      if (inst.armed > 0) return undefined;
      inst.armed = undefined;
      inst.status = 'frozen';
      inst.frozenAt = cluster.now();
      // The process dies here: its consumer stops fetching and heartbeating at once, and neither leaves nor commits.
      cluster.crashConsumer(inst.consumer);
      log('crashed', `instance ${inst.index} crashed at ${where}`, inst.index);
      return new Promise<never>((_, reject) => (inst.release = reject));
    };

    const start = async (): Promise<Instance> => {
      const index = instances.length;
      const consumer = kafka.consumer({ ...consumerConfig, groupId: t.groupId });
      const producer = kafka.producer();
      const inst: Instance = { index, consumer, producer, memberId: '', generationId: -1, status: 'running', armed: undefined, frozenAt: 0, release: undefined };
      instances.push(inst);
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        inst.memberId = e.payload.memberId;
        inst.generationId = memberGeneration.get(inst.memberId) ?? -1;
        memberInstance.set(inst.memberId, index);
      });
      consumer.on(consumer.events.CRASH, (e) => {
        if (e.payload.restart || inst.status !== 'running') return;
        // The client gave up (a non-retriable error): the instance is down; the end of the run restarts one if none is left.
        inst.status = 'dead';
        log('crashed', `instance ${index}'s consumer crashed: ${e.payload.error.message}`, index);
      });
      const context: ProcessorContext = {
        instance: index,
        topology: t,
        store,
        producer: {
          send: (record) => crashPoint(inst, 'producer.send') ?? producer.send(record),
          sendBatch: (batch) => crashPoint(inst, 'producer.sendBatch') ?? producer.sendBatch(batch),
        },
        consumer: { commitOffsets: (offsets) => crashPoint(inst, 'consumer.commitOffsets') ?? consumer.commitOffsets(offsets) },
      };
      const handler = processor.create(context);
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topics: [t.input.topic], fromBeginning: true });
      const eachMessage = async (payload: EachMessagePayload): Promise<void> => {
        const { topic, partition, message } = payload;
        const d: Mutable<Delivery> = {
          seq: next(),
          time: cluster.now(),
          instance: index,
          memberId: inst.memberId,
          generationId: inst.generationId,
          topic,
          partition,
          offset: Number(message.offset),
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
        };
        deliveries.push(d);
        const dead = () => inst.status === 'frozen' || inst.status === 'dead';
        try {
          const frozen = crashPoint(inst, 'the start of eachMessage');
          if (frozen !== undefined) await frozen;
          await handler(payload);
        } catch (e) {
          if (dead()) d.crashed = true;
          else d.error = e instanceof Error ? e.message : String(e);
          throw e;
        }
        if (dead()) {
          d.crashed = true;
          throw new CrashSignal(index);
        }
        d.completedSeq = next();
      };
      await consumer.run({ ...processor.runConfig, eachMessage });
      log('started', `instance ${index} started`, index);
      return inst;
    };

    const reap = async (inst: Instance): Promise<void> => {
      inst.status = 'dead';
      // Its consumer crashed at the crash point; the handler frozen there ends now.
      inst.release?.(new CrashSignal(inst.index));
      await inst.producer.disconnect();
      log('expired-and-reaped', `instance ${inst.index} (crashed at ${inst.frozenAt} ms) reaped`, inst.index);
    };
    const reapExpired = async (all: boolean): Promise<void> => {
      for (const inst of instances) {
        if (inst.status === 'frozen' && (all || cluster.now() >= inst.frozenAt + consumerConfig.sessionTimeout)) await reap(inst);
      }
    };
    const running = () => instances.filter((i) => i.status === 'running');

    for (let i = 0; i < t.instances; i++) await start();
    let partitionsAdded = false;

    const apply = async (step: Step, n: number): Promise<void> => {
      log('step', `${n}. ${step.toString()}`);
      switch (step.type) {
        case 'produce': {
          try {
            await inputProducer.send({
              topic: t.input.topic,
              acks: -1,
              messages: step.messages.map((m) => ({
                key: m.key,
                value: m.value,
                ...(m.headers ? { headers: { ...m.headers } } : {}),
                ...(m.timestamp !== undefined ? { timestamp: String(m.timestamp) } : {}),
              })),
            });
          } catch (e) {
            log('produce-failed', `step ${n}: ${e instanceof Error ? e.message : String(e)}`);
          }
          return;
        }
        case 'advance':
          await cluster.advance(step.ms);
          return;
        case 'join':
          if (running().length + instances.filter((i) => i.status === 'frozen').length >= t.maxInstances) log('skipped', `step ${n}: at the instance limit`);
          else await start();
          return;
        case 'leave': {
          const live = running();
          if (live.length === 0) return void log('skipped', `step ${n}: no running instance`);
          const inst = live[step.pick % live.length]!;
          inst.armed = undefined;
          inst.status = 'left';
          await inst.consumer.stop();
          await inst.producer.disconnect();
          log('left', `instance ${inst.index} left`, inst.index);
          return;
        }
        case 'crash': {
          const live = running();
          if (live.length === 0) return void log('skipped', `step ${n}: no running instance`);
          const inst = live[step.pick % live.length]!;
          inst.armed = step.atPoint;
          log('step', `instance ${inst.index} armed to crash at its ${step.atPoint}. crash point`, inst.index);
          return;
        }
        case 'broker': {
          const up = cluster.brokers().filter((b) => b.status !== 'stopped');
          if (step.action === 'stop') {
            if (up.length <= 1 || !up.some((b) => b.nodeId === step.broker)) return void log('skipped', `step ${n}: broker ${step.broker} is already stopped or the last one up`);
            cluster.stopBroker(step.broker);
          } else if (step.action === 'start') cluster.startBroker(step.broker);
          else if (step.action === 'isolate') {
            // The twin's consumers wait forever for an isolated group coordinator (it does not move), so it stays reachable.
            const coordinator = cluster.groups.findCoordinator(t.groupId).nodeId;
            if (coordinator === step.broker) return void log('skipped', `step ${n}: broker ${step.broker} is the group coordinator`);
            cluster.isolateBroker(step.broker);
          }
          else cluster.healBroker(step.broker);
          return;
        }
        case 'add-partitions': {
          const current = cluster.describeTopic(t.input.topic).partitions.length;
          cluster.createPartitions(t.input.topic, current + step.count);
          partitionsAdded = true;
          return;
        }
      }
    };

    for (const [i, step] of scenario.steps.entries()) {
      await apply(step, i + 1);
      await reapExpired(false);
    }

    // The end: faults healed, crashed instances expired, at least one instance running, everything consumed.
    for (const inst of instances) inst.armed = undefined;
    for (const b of cluster.brokers()) {
      cluster.healBroker(b.nodeId);
      cluster.startBroker(b.nodeId);
    }
    if (instances.some((i) => i.status === 'frozen')) await cluster.advance(consumerConfig.sessionTimeout + 1);
    await reapExpired(true);
    if (running().length === 0) {
      log('final', 'no instance left: one restarts from the committed offsets');
      await start();
    } else if (partitionsAdded) {
      // The twin's consumers do not refresh metadata, so a rebalance must pick up added partitions: restart one instance.
      const inst = running()[0]!;
      inst.status = 'left';
      await inst.consumer.stop();
      await inst.producer.disconnect();
      log('final', `instance ${inst.index} restarts to pick up added partitions`, inst.index);
      await start();
    }
    // A member that died without leaving (a crash, or a leave the coordinator lost in a failover) is only expired after
    // its session timeout, and cluster.idle() does not wait for that: let two session timeouts pass, settling after each.
    for (let round = 0; round < 2; round++) {
      await cluster.idle({ maxMs: settleMs });
      await cluster.advance(consumerConfig.sessionTimeout + 1);
    }
    await cluster.idle({ maxMs: settleMs });
    log('final', 'settled');

    const read = (topic: string): TraceRecord[] => {
      const out: TraceRecord[] = [];
      for (const { partition } of cluster.describeTopic(topic).partitions) {
        let offset = 0;
        for (;;) {
          const r = cluster.fetch({ topic, partition, offset });
          for (const rec of r.records) {
            out.push({
              topic,
              partition,
              offset: rec.offset,
              key: rec.key?.toString() ?? null,
              value: rec.value?.toString() ?? null,
              headers: Object.fromEntries(rec.headers.map((h) => [h.key, h.value?.toString() ?? ''])),
              timestamp: rec.timestamp,
            });
          }
          if (r.records.length === 0 || r.records[r.records.length - 1]!.offset + 1 >= r.highWatermark) break;
          offset = r.records[r.records.length - 1]!.offset + 1;
        }
      }
      return out;
    };
    const inputs = read(t.input.topic);
    const outputs = read(t.output.topic);
    const fetched = cluster.groups.offsetFetch({ groupId: t.groupId, topics: [{ topic: t.input.topic }] });
    const finalCommitted = new Map<number, number>();
    for (const p of fetched[0]?.partitions ?? []) if (Number(p.offset) >= 0) finalCommitted.set(p.partition, Number(p.offset));
    for (const inst of running()) {
      inst.status = 'left';
      await inst.consumer.stop();
      await inst.producer.disconnect();
    }
    await inputProducer.disconnect();
    const resolved = generations.map((g) => ({ ...g, assignments: g.assignments.map((a) => ({ ...a, instance: memberInstance.get(a.memberId) })) }));
    const resolvedCommits = commits.map((c) => ({ ...c, instance: memberInstance.get(c.memberId) }));
    return { scenario, inputs, outputs, deliveries, commits: resolvedCommits, generations: resolved, lifecycle, finalCommitted, events: cluster.events() };
  } finally {
    unsubscribe();
    cluster.close();
  }
}
