/**
 * One run of a scenario while it plays: the twin (virtual clock, the scenario's cluster seed), the
 * processor's instances with their crash points, and the trace being recorded. Schedule steps
 * (steps.ts) act on it; the runner (runner.ts) starts it, settles it and reads the trace out.
 */
import { Cluster } from '../cluster.js';
import type { ClusterEvent } from '../../emulator/events.js';
import type { Admin, Consumer, EachMessagePayload, Producer } from '../../client/interface.js';
import type { Topology } from './steps.js';
import { logLevel } from '../../adapters/twin/logger.js';
import type { ProducerConfig, Transaction } from 'kafkajs';
import { readTopic } from './output-log.js';
import type { CommitEntry, CommittedView, Delivery, GenerationEntry, LifecycleEntry, MessageHandler, Processor, ProcessorContext, TransactionalProducer } from './trace.js';

/** The rejection a crashed instance's pending calls get when the instance is reaped. */
export class CrashSignal extends Error {
  constructor(instance: number) {
    super(`instance ${instance} crashed`);
    this.name = 'CrashSignal';
  }
}

/** A processor instance: its clients, its place in the group, and whether (and where) it dies or pauses. */
export interface Instance {
  readonly index: number;
  /** See {@link ProcessorContext.slot}. */
  readonly slot: number;
  readonly consumer: Consumer;
  readonly producer: Producer;
  /** The producers the processor made with `createProducer`. */
  readonly producers: Producer[];
  memberId: string;
  generationId: number;
  /**
   * `frozen`: crashed, its session not yet expired; `paused`: stopped at a crash point, to wake as
   * a zombie once its session expired and a successor took its slot; `zombie`: woken, still running
   * its handler though the group presumed it dead.
   */
  status: 'running' | 'frozen' | 'paused' | 'zombie' | 'left' | 'dead';
  /** Crash points left before it dies (or pauses), when armed. */
  armed: number | undefined;
  /** What the armed crash point does: the process dies, or it pauses and wakes as a zombie. */
  armedFor: 'crash' | 'pause';
  frozenAt: number;
  release: ((e: Error) => void) | undefined;
  wake: (() => void) | undefined;
  /** The handler call in progress, for the end to wait on a zombie's. */
  busy: Promise<unknown> | undefined;
  /** Its admin client, once the processor used it. */
  admin: Admin | undefined;
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
  readonly committedViews: CommittedView[] = [];
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
    return this.instances.filter((i) => i.status === 'running' || i.status === 'frozen' || i.status === 'paused').length;
  }

  /** The lowest slot no running (or paused, not yet presumed dead) instance holds. */
  freeSlot(): number {
    const held = new Set(this.instances.filter((i) => i.status === 'running' || i.status === 'paused').map((i) => i.slot));
    let slot = 0;
    while (held.has(slot)) slot++;
    return slot;
  }

  /** Notes what a read_committed consumer of the output topic sees now. */
  observeCommitted(afterStep: number): void {
    const visible = readTopic(this.cluster.engine, this.topology.output.topic, 'read_committed').map((r) => `${r.partition}:${r.offset}`);
    this.committedViews.push({ afterStep, time: this.cluster.now(), visible });
  }

  /** Starts an instance of the processor in `slot` (the lowest free one when omitted): its clients, its handler, and its consumer running. */
  async start(slot = this.freeSlot()): Promise<Instance> {
    const index = this.instances.length;
    const consumer = this.kafka.consumer({ ...this.consumerConfig, groupId: this.topology.groupId });
    const producer = this.kafka.producer();
    const inst: Instance = {
      index,
      slot,
      consumer,
      producer,
      producers: [],
      memberId: '',
      generationId: -1,
      status: 'running',
      armed: undefined,
      armedFor: 'crash',
      frozenAt: 0,
      release: undefined,
      wake: undefined,
      busy: undefined,
      admin: undefined,
    };
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
    const created = this.processor.create(this.contextOf(inst));
    const handler = created instanceof Promise ? await created : created;
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topology.input.topic], fromBeginning: true });
    await consumer.run({ ...this.processor.runConfig, eachMessage: this.eachMessage(inst, handler) });
    this.log('started', `instance ${index} started in slot ${slot}`, index);
    return inst;
  }

  /** Stops an instance cleanly: its consumer commits and leaves the group. */
  async stop(inst: Instance): Promise<void> {
    inst.armed = undefined;
    inst.status = 'left';
    await inst.consumer.stop();
    await this.disconnect(inst);
  }

  /** Disconnects an instance's producers; one that fails (fenced, say) is as good as gone. */
  private async disconnect(inst: Instance): Promise<void> {
    for (const p of [inst.producer, ...inst.producers]) await p.disconnect().catch(() => undefined);
    await inst.admin?.disconnect().catch(() => undefined);
  }

  /**
   * Reaps crashed instances whose session has expired (or all of them); a paused one whose session
   * expired is presumed dead: a successor starts in its slot, then it wakes as a zombie.
   */
  async reapExpired(all: boolean): Promise<void> {
    for (const inst of [...this.instances]) {
      const expired = all || this.cluster.now() >= inst.frozenAt + this.consumerConfig.sessionTimeout;
      if (inst.status === 'frozen' && expired) await this.reap(inst);
      else if (inst.status === 'paused' && expired) await this.succeed(inst);
    }
  }

  private async succeed(inst: Instance): Promise<void> {
    inst.status = 'zombie';
    this.log('woke', `instance ${inst.index} (paused at ${inst.frozenAt} ms) presumed dead: a successor starts in slot ${inst.slot}`, inst.index);
    await this.start(inst.slot);
    this.log('woke', `instance ${inst.index} wakes up as a zombie and goes on`, inst.index);
    inst.wake?.();
  }

  /** Handler calls of zombies still in progress. */
  zombieWork(): Promise<unknown>[] {
    return this.instances.filter((i) => i.status === 'zombie' && i.busy !== undefined).map((i) => i.busy!);
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
      slot: inst.slot,
      topology: this.topology,
      store: this.store,
      producer: {
        send: (record) => this.gate(inst, 'producer.send', () => producer.send(record)),
        sendBatch: (batch) => this.gate(inst, 'producer.sendBatch', () => producer.sendBatch(batch)),
      },
      consumer: { commitOffsets: (offsets) => this.gate(inst, 'consumer.commitOffsets', () => consumer.commitOffsets(offsets)) },
      createProducer: (config?: ProducerConfig) => this.createProducer(inst, config),
      admin: { fetchOffsets: (options) => this.gate(inst, 'admin.fetchOffsets', async () => (await this.adminOf(inst)).fetchOffsets(options)) },
    };
  }

  private async adminOf(inst: Instance): Promise<Admin> {
    if (inst.admin === undefined) {
      inst.admin = this.kafka.admin();
      await inst.admin.connect();
    }
    return inst.admin;
  }

  private createProducer(inst: Instance, config: ProducerConfig | undefined): TransactionalProducer {
    const p = this.kafka.producer(config);
    inst.producers.push(p);
    const name = config?.transactionalId === undefined ? 'producer' : `producer ${config.transactionalId}`;
    const wrap = (t: Transaction): Transaction => ({
      send: (record) => this.gate(inst, `${name}: transaction.send`, () => t.send(record)),
      sendBatch: (batch) => this.gate(inst, `${name}: transaction.sendBatch`, () => t.sendBatch(batch)),
      sendOffsets: (offsets) => this.gate(inst, `${name}: transaction.sendOffsets`, () => t.sendOffsets(offsets)),
      commit: () => this.gate(inst, `${name}: transaction.commit`, () => t.commit()),
      abort: () => this.gate(inst, `${name}: transaction.abort`, () => t.abort()),
      isActive: () => t.isActive(),
    });
    return {
      connect: () => this.gate(inst, `${name}: connect`, () => p.connect()),
      disconnect: () => p.disconnect(),
      send: (record) => this.gate(inst, `${name}: send`, () => p.send(record)),
      sendBatch: (batch) => this.gate(inst, `${name}: sendBatch`, () => p.sendBatch(batch)),
      transaction: () => this.gate(inst, `${name}: transaction`, async () => wrap(await p.transaction())),
    };
  }

  /** A call behind a crash point: not made when the instance dies there, made late when it pauses there. */
  private gate<T>(inst: Instance, where: string, call: () => Promise<T>): Promise<T> {
    const stop = this.crashPoint(inst, where);
    return stop === undefined ? call() : stop.then(call);
  }

  /** The instance's `eachMessage`: records the delivery, passes the crash point at its start, and how the handler ended. */
  private eachMessage(inst: Instance, handler: MessageHandler): MessageHandler {
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
      const work = this.handle(inst, d, handler, payload);
      inst.busy = work;
      try {
        await work;
      } finally {
        if (inst.busy === work) inst.busy = undefined;
      }
      d.completedSeq = this.next();
    };
  }

  private async handle(inst: Instance, d: Mutable<Delivery>, handler: MessageHandler, payload: EachMessagePayload): Promise<void> {
    const dead = () => inst.status === 'frozen' || inst.status === 'dead';
    try {
      const frozen = this.crashPoint(inst, 'the start of eachMessage');
      if (frozen !== undefined) await frozen;
      await handler(payload);
    } catch (e) {
      if (dead()) d.crashed = true;
      else d.error = e instanceof Error ? e.message : String(e);
      if (inst.status === 'zombie') d.zombie = true;
      throw e;
    }
    if (dead()) {
      d.crashed = true;
      throw new CrashSignal(inst.index);
    }
    if (inst.status === 'zombie') d.zombie = true;
  }

  /**
   * A crash point: a promise that never settles (until reaped) when the instance dies here, or
   * settles when it wakes up when it pauses here; otherwise undefined.
   */
  private crashPoint(inst: Instance, where: string): Promise<void> | undefined {
    if (inst.status === 'dead' || inst.status === 'frozen') return Promise.reject(new CrashSignal(inst.index));
    if (inst.armed === undefined) return undefined;
    inst.armed--;
    if (inst.armed > 0) return undefined;
    inst.armed = undefined;
    inst.frozenAt = this.cluster.now();
    // The process dies (or stops dead in a long pause) here: its consumer stops fetching and heartbeating at once, and
    // neither leaves nor commits; the group presumes it dead once its session expires.
    this.cluster.crashConsumer(inst.consumer);
    if (inst.armedFor === 'pause') {
      inst.status = 'paused';
      this.log('paused', `instance ${inst.index} pauses at ${where}`, inst.index);
      return new Promise<void>((resolve, reject) => ((inst.wake = resolve), (inst.release = reject)));
    }
    inst.status = 'frozen';
    this.log('crashed', `instance ${inst.index} crashed at ${where}`, inst.index);
    return new Promise<void>((_, reject) => (inst.release = reject));
  }

  private async reap(inst: Instance): Promise<void> {
    inst.status = 'dead';
    // Its consumer crashed at the crash point; the handler frozen there ends now.
    inst.release?.(new CrashSignal(inst.index));
    await this.disconnect(inst);
    this.log('expired-and-reaped', `instance ${inst.index} (crashed at ${inst.frozenAt} ms) reaped`, inst.index);
  }
}
