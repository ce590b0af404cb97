/**
 * One run of a scenario while it plays: the twin (virtual clock, the scenario's cluster seed), the
 * processor's instances with their crash points, and the trace being recorded. Schedule steps
 * (steps.ts) act on it; the runner (runner.ts) starts it, settles it and reads the trace out.
 */
import { Cluster } from '../cluster.js';
import type { ClusterEvent } from '../../emulator/events.js';
import type { Consumer, EachMessagePayload, Producer } from '../../client/interface.js';
import type { Topology } from './steps.js';
import { logLevel } from '../../adapters/twin/logger.js';
import type { CommitEntry, Delivery, GenerationEntry, LifecycleEntry, MessageHandler, Processor, ProcessorContext } from './trace.js';

/** The rejection a crashed instance's pending calls get when the instance is reaped. */
export class CrashSignal extends Error {
  constructor(instance: number) {
    super(`instance ${instance} crashed`);
    this.name = 'CrashSignal';
  }
}

/** A processor instance: its clients, its place in the group, and whether (and where) it dies. */
export interface Instance {
  readonly index: number;
  readonly consumer: Consumer;
  readonly producer: Producer;
  memberId: string;
  generationId: number;
  status: 'running' | 'frozen' | 'left' | 'dead';
  /** Crash points left before it dies, when armed. */
  armed: number | undefined;
  frozenAt: number;
  release: ((e: Error) => void) | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const CONSUMER_DEFAULTS = { sessionTimeout: 10_000, heartbeatInterval: 1_000, rebalanceTimeout: 10_000 };

/** A scenario being played, and what it has recorded so far. */
export class ScenarioRun {
  readonly cluster: Cluster;
  /** The clients' `Kafka`, made by {@link begin} once the topics exist (made in this order, the cluster's seed places the same replicas). */
  kafka!: ReturnType<Cluster['kafka']>;
  /** The producer of the schedule's produce steps. */
  inputProducer!: Producer;
  readonly consumerConfig: typeof CONSUMER_DEFAULTS & NonNullable<Processor['consumerConfig']>;
  readonly instances: Instance[] = [];
  readonly deliveries: Mutable<Delivery>[] = [];
  readonly commits: CommitEntry[] = [];
  readonly generations: GenerationEntry[] = [];
  readonly lifecycle: LifecycleEntry[] = [];
  readonly memberInstance = new Map<string, number>();
  /** Set once partitions were added: the end restarts an instance so a rebalance picks them up. */
  partitionsAdded = false;
  private seq = 0;
  private readonly memberGeneration = new Map<string, number>();
  private readonly store = new Map<string, unknown>();
  private readonly unsubscribe: () => void;

  constructor(
    readonly topology: Topology,
    readonly processor: Processor,
    clusterSeed: number,
    brokerConfig: Record<string, string | number | boolean>,
  ) {
    this.cluster = new Cluster({ brokers: topology.brokers, brokerIds: topology.brokerIds, clock: 'virtual', seed: clusterSeed, config: brokerConfig, startTime: 0 });
    this.consumerConfig = { ...CONSUMER_DEFAULTS, ...processor.consumerConfig };
    this.unsubscribe = this.cluster.onEvent((e) => {
      if (!('groupId' in e) || e.groupId !== topology.groupId) return;
      if (e.type === 'group-assignment') this.recordGeneration(e);
      else if (e.type === 'group-offsets-committed') this.recordCommit(e);
    });
  }

  /** The topics, the input producer and the instances started before the first step. */
  async begin(): Promise<void> {
    const { input, output, instances } = this.topology;
    this.cluster.createTopic({ topic: input.topic, numPartitions: input.partitions, replicationFactor: input.replicationFactor });
    this.cluster.createTopic({ topic: output.topic, numPartitions: output.partitions, replicationFactor: output.replicationFactor });
    // A scenario reports through its result and timeline; the instances' kafkajs log lines would only be noise.
    this.kafka = this.cluster.kafka({ clientId: 'scenario', retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 }, logLevel: logLevel.NOTHING });
    this.inputProducer = this.kafka.producer();
    await this.inputProducer.connect();
    for (let i = 0; i < instances; i++) await this.start();
  }

  /** The next number of the trace's order. */
  next(): number {
    return this.seq++;
  }

  log(kind: LifecycleEntry['kind'], detail: string, instance?: number): void {
    const entry = { seq: this.next(), time: this.cluster.now(), kind, detail };
    this.lifecycle.push(instance === undefined ? entry : { ...entry, instance });
  }

  running(): Instance[] {
    return this.instances.filter((i) => i.status === 'running');
  }

  /** Instances that count against the limit: running, or crashed and not yet expired. */
  alive(): number {
    return this.instances.filter((i) => i.status === 'running' || i.status === 'frozen').length;
  }

  /** Starts an instance of the processor: its clients, its handler, and its consumer running. */
  async start(): Promise<Instance> {
    const index = this.instances.length;
    const consumer = this.kafka.consumer({ ...this.consumerConfig, groupId: this.topology.groupId });
    const producer = this.kafka.producer();
    const inst: Instance = { index, consumer, producer, memberId: '', generationId: -1, status: 'running', armed: undefined, frozenAt: 0, release: undefined };
    this.instances.push(inst);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      inst.memberId = e.payload.memberId;
      inst.generationId = this.memberGeneration.get(inst.memberId) ?? -1;
      this.memberInstance.set(inst.memberId, index);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart || inst.status !== 'running') return;
      // The client gave up (a non-retriable error): the instance is down; the end of the run restarts one if none is left.
      inst.status = 'dead';
      this.log('crashed', `instance ${index}'s consumer crashed: ${e.payload.error.message}`, index);
    });
    const handler = this.processor.create(this.contextOf(inst));
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topology.input.topic], fromBeginning: true });
    await consumer.run({ ...this.processor.runConfig, eachMessage: this.eachMessage(inst, handler) });
    this.log('started', `instance ${index} started`, index);
    return inst;
  }

  /** Stops an instance cleanly: its consumer commits and leaves the group. */
  async stop(inst: Instance): Promise<void> {
    inst.armed = undefined;
    inst.status = 'left';
    await inst.consumer.stop();
    await inst.producer.disconnect();
  }

  /** Reaps crashed instances whose session has expired (or all of them). */
  async reapExpired(all: boolean): Promise<void> {
    for (const inst of this.instances) {
      if (inst.status === 'frozen' && (all || this.cluster.now() >= inst.frozenAt + this.consumerConfig.sessionTimeout)) await this.reap(inst);
    }
  }

  close(): void {
    this.unsubscribe();
    this.cluster.close();
  }

  private recordGeneration(e: Extract<ClusterEvent, { type: 'group-assignment' }>): void {
    const assignments = e.assignments.map((a) => {
      this.memberGeneration.set(a.memberId, e.generationId);
      const partitions = (a.partitions ?? []).filter((p) => p.topic === this.topology.input.topic).flatMap((p) => p.partitions);
      return { memberId: a.memberId, instance: undefined as number | undefined, partitions: [...partitions].sort((x, y) => x - y) };
    });
    this.generations.push({ seq: this.next(), time: e.time, generationId: e.generationId, assignments });
  }

  private recordCommit(e: Extract<ClusterEvent, { type: 'group-offsets-committed' }>): void {
    const offsets = e.offsets.filter((o) => o.topic === this.topology.input.topic).map((o) => ({ partition: o.partition, offset: o.offset }));
    if (offsets.length > 0)
      this.commits.push({ seq: this.next(), time: e.time, memberId: e.memberId, instance: this.memberInstance.get(e.memberId), generationId: e.generationId, offsets });
  }

  /** What an instance's handler gets: its clients, every call a crash point, and the shared store. */
  private contextOf(inst: Instance): ProcessorContext {
    const { producer, consumer } = inst;
    return {
      instance: inst.index,
      topology: this.topology,
      store: this.store,
      producer: {
        send: (record) => this.crashPoint(inst, 'producer.send') ?? producer.send(record),
        sendBatch: (batch) => this.crashPoint(inst, 'producer.sendBatch') ?? producer.sendBatch(batch),
      },
      consumer: { commitOffsets: (offsets) => this.crashPoint(inst, 'consumer.commitOffsets') ?? consumer.commitOffsets(offsets) },
    };
  }

  /** The instance's `eachMessage`: records the delivery, passes the crash point at its start, and how the handler ended. */
  private eachMessage(inst: Instance, handler: MessageHandler): MessageHandler {
    const dead = () => inst.status === 'frozen' || inst.status === 'dead';
    return async (payload: EachMessagePayload): Promise<void> => {
      const { topic, partition, message } = payload;
      const d: Mutable<Delivery> = {
        seq: this.next(),
        time: this.cluster.now(),
        instance: inst.index,
        memberId: inst.memberId,
        generationId: inst.generationId,
        topic,
        partition,
        offset: Number(message.offset),
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? null,
      };
      this.deliveries.push(d);
      try {
        const frozen = this.crashPoint(inst, 'the start of eachMessage');
        if (frozen !== undefined) await frozen;
        await handler(payload);
      } catch (e) {
        if (dead()) d.crashed = true;
        else d.error = e instanceof Error ? e.message : String(e);
        throw e;
      }
      if (dead()) {
        d.crashed = true;
        throw new CrashSignal(inst.index);
      }
      d.completedSeq = this.next();
    };
  }

  /** A crash point: a promise that never settles (until reaped) when the instance dies here; otherwise undefined. */
  private crashPoint(inst: Instance, where: string): Promise<never> | undefined {
    if (inst.status === 'dead' || inst.status === 'frozen') return Promise.reject(new CrashSignal(inst.index));
    if (inst.armed === undefined) return undefined;
    inst.armed--;
    if (inst.armed > 0) return undefined;
    inst.armed = undefined;
    inst.status = 'frozen';
    inst.frozenAt = this.cluster.now();
    // The process dies here: its consumer stops fetching and heartbeating at once, and neither leaves nor commits.
    this.cluster.crashConsumer(inst.consumer);
    this.log('crashed', `instance ${inst.index} crashed at ${where}`, inst.index);
    return new Promise<never>((_, reject) => (inst.release = reject));
  }

  private async reap(inst: Instance): Promise<void> {
    inst.status = 'dead';
    // Its consumer crashed at the crash point; the handler frozen there ends now.
    inst.release?.(new CrashSignal(inst.index));
    await inst.producer.disconnect();
    this.log('expired-and-reaped', `instance ${inst.index} (crashed at ${inst.frozenAt} ms) reaped`, inst.index);
  }
}
