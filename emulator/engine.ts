/**
 * The twin's broker side, one object: `Engine` owns the one state (emulator/state.ts) and answers
 * Kafka's requests by handing it to the module that models each (produce.ts, fetch.ts, topics.ts,
 * topic-config.ts), while controller.ts, replication.ts, purgatory.ts and retention.ts carry what
 * happens between requests. Every mutation goes through a call on this object, so a run is a
 * sequence of calls on one object and replays exactly from the same seed and schedule.
 *
 * Requests answer with Kafka's error codes, per partition where Kafka's responses have them, and
 * never throw for an expected outcome (see `Answer`); the twin's kafkajs-shaped clients turn the
 * codes into kafkajs's errors (adapters/twin/cluster.ts). Only a caller's mistake throws: a
 * broker id the cluster does not have, bad constructor options. As in Kafka, a request with
 * several errors answers each partition (or topic) with its own code, and one partition with the
 * first check that fails, in the order Kafka's broker checks.
 *
 * The parts are modules of functions over the one `EngineState` rather than classes: a leader
 * change fails delayed writes, wakes delayed fetches and replicates, and replication moves the
 * high watermark that completes delayed writes, so classes would each need the others; functions
 * given the state keep every mutation visible at its call site and cost nothing on the hot path.
 */
import { errorOf, failure, type ErrorPart } from '../protocol/errors.js';
import { DEFAULT_START_TIME, RealClock, VirtualClock, type Clock } from './clock.js';
import { isConfigFailure, parseBrokerConfig, type BrokerConfig, type ConfigInput } from './config.js';
import * as controller from './controller.js';
import type { BrokerDescription } from './controller.js';
import type { ClusterEvent, EventListener } from './events.js';
import type { Fault, FaultRequest, FiredFault, InjectFaultOptions } from './faults.js';
import * as fetching from './fetch.js';
import type { DeleteRecordsAnswer, FetchManyRequest, FetchRangesResult, FetchRequest, FetchResult, IsolationLevel, ListOffsetsAnswer, OffsetSpec } from './fetch.js';
import { GroupCoordinator } from './groups/coordinator.js';
import * as txn from './transactions/index.js';
import type {
  AddOffsetsToTxnRequest,
  AddPartitionsToTxnAnswer,
  AddPartitionsToTxnRequest,
  DescribeTransactionsAnswer,
  DescribeTransactionsRequest,
  EndTxnRequest,
  FindCoordinatorAnswer as FindTxnCoordinatorAnswer,
  FindTxnCoordinatorRequest,
  ListTransactionsAnswer,
  ListTransactionsRequest,
  TxnOffsetCommitAnswer,
  TxnOffsetCommitRequest,
} from './transactions/index.js';
import { transactionPort } from './txn-port.js';
import type { ProducerEntry } from './producers.js';
import { OFFSETS_TOPIC, type GroupPort } from './groups/port.js';
import * as producing from './produce.js';
import * as reassignments from './reassignment.js';
import type { ListReassignmentsTopic, OngoingTopicReassignment, ReassignableTopic, ReassignableTopicAnswer } from './reassignment.js';
import type { DescribeProducersAnswer, DescribeProducersRequest, InitProducerIdAnswer, ProduceManyRequest, ProduceRequest, ProduceResult, TxnMarkerRequest, TxnMarkerResult } from './produce.js';
import { awaitData, failDelayedProduces } from './purgatory.js';
import { Random } from './random.js';
import { scheduleRetention } from './retention.js';
import { scheduleCleaner } from './cleaner.js';
import { checkBrokerIds, EngineState, schedulePeriodic, type TopicMetadata } from './state.js';
import * as topicConfigs from './topic-config.js';
import type { AlterConfigAnswer, DescribeConfigAnswer, TopicConfigAnswer } from './topic-config.js';
import * as topics from './topics.js';
import type { CreateTopicOptions, DeleteTopicAnswer, MetadataAnswer, PartitionDescription } from './topics.js';

export type { Answer, PartitionMetadata, TopicMetadata } from './state.js';
export type { BrokerDescription } from './controller.js';
export type { Fault, FaultRequest, FiredFault, InjectFaultOptions } from './faults.js';
export type { CreateTopicOptions, DeleteTopicAnswer, MetadataAnswer, PartitionDescription, ReplicaDescription } from './topics.js';
export type { AlterConfigAnswer, ConfigEntry, DescribeConfigAnswer, TopicConfigAnswer } from './topic-config.js';
export type { ActiveProducer, DescribeProducersAnswer, DescribeProducersRequest, InitProducerIdAnswer, ProduceManyRequest, ProduceRequest, ProduceResult, TxnMarkerRequest, TxnMarkerResult } from './produce.js';
export type { AbortedTransaction, BatchMetadata, ProducerEntry } from './producers.js';
export type {
  AddOffsetsToTxnRequest,
  AddPartitionsToTxnAnswer,
  AddPartitionsToTxnRequest,
  DescribeTransactionsAnswer,
  DescribeTransactionsRequest,
  EndTxnRequest,
  FindTxnCoordinatorAnswer,
  FindTxnCoordinatorRequest,
  ListTransactionsAnswer,
  ListTransactionsRequest,
  TxnOffsetCommitAnswer,
  TxnOffsetCommitRequest,
};
export type { TransactionDescription, TransactionState } from './transactions/index.js';

/** InitProducerId's fields (see {@link Engine.initProducerId}). */
export interface InitProducerIdOptions {
  /** null or omitted: an idempotent producer. */
  readonly transactionalId?: string | null;
  /**
   * The transaction timeout the producer asks for (transactional ids only).
   * @defaultValue 60000 (kafkajs's `transactionTimeout` default)
   */
  readonly transactionTimeoutMs?: number;
  /** v3+: the producer's current id and epoch, when it has them (KIP-360). */
  readonly producerId?: number;
  readonly producerEpoch?: number;
  /** The broker the request is sent to; omitted: the right one. */
  readonly broker?: number;
  /** The request version: older ones get INVALID_PRODUCER_EPOCH where newer get PRODUCER_FENCED. */
  readonly version?: number;
}
export type {
  ListReassignmentsTopic,
  OngoingPartitionReassignment,
  OngoingTopicReassignment,
  ReassignablePartition,
  ReassignableTopic,
  ReassignableTopicAnswer,
} from './reassignment.js';
export type { DeleteRecordsAnswer, FetchManyRequest, FetchRangesResult, FetchRequest, FetchResult, IsolationLevel, ListOffsetsAnswer, OffsetSpec } from './fetch.js';

/** Options for {@link Engine}. */
export interface ClusterOptions {
  /**
   * Number of brokers; their ids are 1..N unless `brokerIds` names them.
   * @defaultValue 1, or the length of `brokerIds`
   */
  brokers?: number;
  /**
   * The brokers' ids (Kafka's `node.id`), as a deployment numbers them: `[0, 1, 2]`, or any
   * distinct non-negative int32s in any order. Alone it says how many brokers there are; with
   * `brokers` the two must agree. Replicas are placed over the ids in ascending order, as Kafka does.
   * @defaultValue 1..N (N = `brokers`)
   */
  brokerIds?: readonly number[];
  /**
   * `'virtual'`: time moves only through {@link Engine.advance}, so runs are deterministic.
   * `'real'`: wall time. A {@link Clock} instance may also be given.
   * @defaultValue 'real'
   */
  clock?: 'virtual' | 'real' | Clock;
  /**
   * Seed for everything random in the cluster (replica placement, ids).
   * @defaultValue 0
   */
  seed?: number | string;
  /**
   * Broker settings under Kafka's own names (`num.partitions`, `min.insync.replicas`, ...),
   * each defaulting to Kafka's default. Unknown names and ill-typed values are rejected.
   * @defaultValue {}
   */
  config?: Readonly<Record<string, ConfigInput>>;
  /**
   * Start time of a virtual clock, in ms since the epoch (the real clock ignores it). The default
   * is a fixed instant, so virtual runs stay deterministic while their timestamps read as recent
   * dates (see {@link DEFAULT_START_TIME}); pass the wall-clock time for today's dates, at the cost of that.
   * @defaultValue 1704067200000 (2024-01-01T00:00:00Z)
   */
  startTime?: number;
}

/**
 * An in-memory Apache Kafka cluster's brokers. See the README for a tour and docs/fidelity.md for
 * where it differs from a real one.
 */
export class Engine {
  /** The clock every timestamp and timer of this cluster comes from. */
  readonly clock: Clock;
  /** Broker settings in force. */
  readonly config: BrokerConfig;
  /** The cluster id (22 characters, like Kafka's), drawn from the seed. */
  readonly clusterId: string;
  /** @internal The seeded generator; components of the engine draw from it. */
  readonly random: Random;
  /** Consumer groups: the coordinator side of Kafka's classic group protocol, answering with Kafka's codes. */
  readonly groupCoordinator: GroupCoordinator;
  /** Transactions: Kafka's transaction coordinator on the leaders of `__transaction_state`, answering with Kafka's codes. */
  readonly transactionCoordinator: txn.TransactionCoordinator;
  private readonly state: EngineState;

  /** @throws RangeError or TypeError for bad options (naming the option); kafkajs's INVALID_CONFIG error for a bad broker setting. */
  constructor(options: ClusterOptions = {}) {
    const { clock = 'real', seed = 0, config = {}, startTime = DEFAULT_START_TIME } = options;
    const brokerIds = checkBrokerIds(options.brokers, options.brokerIds);
    if (typeof seed !== 'number' && typeof seed !== 'string') throw new TypeError(`seed must be a number or a string, got ${typeof seed}`);
    const parsed = parseBrokerConfig(config);
    if (isConfigFailure(parsed)) throw errorOf(parsed);
    this.config = parsed;
    if (typeof startTime !== 'number' || !Number.isFinite(startTime)) throw new RangeError(`startTime must be a finite number of ms since the epoch, got ${String(startTime)}`);
    if (clock === 'virtual') this.clock = new VirtualClock(startTime);
    else if (clock === 'real') this.clock = new RealClock();
    else if (typeof clock === 'object' && clock !== null && typeof clock.now === 'function') this.clock = clock;
    else throw new TypeError(`clock must be 'virtual', 'real' or a Clock, got ${String(clock)}`);
    this.random = new Random(seed);
    const s = new EngineState(this.clock, parsed, { ...config }, this.random, brokerIds);
    this.state = s;
    this.clusterId = s.clusterId;
    for (const broker of s.brokers) scheduleRetention(s, broker, parsed['log.initial.task.delay.ms']);
    for (const broker of s.brokers) scheduleCleaner(s, broker, Math.max(1, parsed['log.cleaner.backoff.ms']));
    schedulePeriodic(s, Math.max(1, Math.floor(parsed['replica.lag.time.max.ms'] / 2)), () => controller.shrinkLaggingIsrs(s));
    if (parsed['auto.leader.rebalance.enable']) {
      schedulePeriodic(s, parsed['leader.imbalance.check.interval.seconds'] * 1000, () => controller.electPreferredLeaders(s));
    }
    this.groupCoordinator = new GroupCoordinator(this.groupPort());
    s.coordinator = this.groupCoordinator;
    this.transactionCoordinator = new txn.TransactionCoordinator(transactionPort(s, this.groupCoordinator));
    s.txnCoordinator = this.transactionCoordinator;
    s.afterIsrExpansion = (p) => reassignments.completeIfInSync(s, p);
  }

  /** What the group coordinator needs from the broker; leadership reaches it through its hooks (`EngineState.coordinator`). */
  private groupPort(): GroupPort {
    const s = this.state;
    return {
      config: this.config,
      clock: this.clock,
      uuid: () => this.random.uuid(),
      brokers: () => this.brokers(),
      partitionCount: (topic) => s.topics.get(topic)?.partitions.length,
      partition: (topic, index) => {
        const p = s.topics.get(topic)?.partitions[index];
        if (p === undefined) return undefined;
        return { leader: p.leader, highWatermark: p.highWatermark, logStartOffset: p.leader === -1 ? -1 : p.replicaStates.get(p.leader)!.log.logStartOffset };
      },
      record: (event) => s.log.record(event),
      createOffsetsTopic: (numPartitions, replicationFactor) => this.createTopic({ topic: OFFSETS_TOPIC, numPartitions, replicationFactor }),
      hasPendingTxnOffsets: (groupId, topic, partition) => this.transactionCoordinator.hasPendingOffsets(groupId, topic, partition),
    };
  }

  // ---------------------------------------------------------------- time and events

  /** Cluster time in ms. */
  now(): number {
    return this.clock.now();
  }

  /**
   * Moves time forward by `ms`: on the virtual clock every due timer fires in order (retention,
   * ISR checks, request timeouts, ...) and the work each starts settles before the next.
   * On the real clock it waits.
   */
  advance(ms: number): Promise<void> {
    return this.clock.advance(ms);
  }

  /**
   * Awaits `promise` while letting cluster time pass as it needs to: on the virtual clock, time
   * jumps from one due timer to the next (retries, delayed joins, timeouts) until the promise
   * settles, at most `maxMs` (then a RangeError); on the real clock it simply awaits. Calls nest:
   * only the newest one under way moves time.
   * @defaultValue maxMs 3600000 (one hour of cluster time)
   */
  drive<T>(promise: Promise<T>, { maxMs = 3_600_000 }: { maxMs?: number } = {}): Promise<T> {
    return this.clock instanceof VirtualClock ? this.clock.drive(promise, maxMs) : promise;
  }

  /** Every event so far, oldest first. */
  events(): readonly ClusterEvent[] {
    return this.state.log.all();
  }

  /** Calls `listener` for every new event; returns a function that unsubscribes. */
  onEvent(listener: EventListener): () => void {
    return this.state.log.subscribe(listener);
  }

  /** Stops every timer; delayed acks=all writes are answered REQUEST_TIMED_OUT. The cluster must not be used afterwards. */
  close(): void {
    const s = this.state;
    if (s.closed) return;
    s.closed = true;
    for (const topic of s.topics.values()) {
      for (const p of topic.partitions) failDelayedProduces(s, p, failure('REQUEST_TIMED_OUT', 'The cluster was closed'));
    }
    this.clock.close();
  }

  // ---------------------------------------------------------------- brokers and faults (controller.ts)

  /** The brokers and their status. */
  brokers(): BrokerDescription[] {
    return controller.describeBrokers(this.state);
  }

  /** The active controller: in the twin, the lowest-numbered running broker; -1 when none runs. */
  controller(): number {
    return controller.activeController(this.state);
  }

  /** Stops a broker (a clean KRaft shutdown); false when it was already stopped. @throws RangeError for an unknown broker. */
  stopBroker(id: number): boolean {
    return controller.stopBroker(this.state, id);
  }

  /** Starts a stopped broker; its replicas reconcile and catch up. False when it was running. @throws RangeError for an unknown broker. */
  startBroker(id: number): boolean {
    return controller.startBroker(this.state, id);
  }

  /** Cuts a running broker off from clients and replication; false when it was already isolated. @throws RangeError for an unknown broker. */
  isolateBroker(id: number): boolean {
    return controller.isolateBroker(this.state, id);
  }

  /** Restores an isolated broker's network; false when it was not isolated. @throws RangeError for an unknown broker. */
  healBroker(id: number): boolean {
    return controller.healBroker(this.state, id);
  }

  /**
   * Makes the next `count` requests of an API that match fail with a Kafka error, or lose their
   * connection (see faults.ts); the front ends apply it. @throws RangeError naming a bad option.
   */
  injectFault(options: InjectFaultOptions): Fault {
    return this.state.faults.inject(options);
  }

  /** Delays every answer of a broker by `ms` (0: none). @throws RangeError for an unknown broker or a bad delay. */
  setLatency(brokerId: number, ms: number): void {
    this.state.faults.setLatency(brokerId, ms);
  }

  /** Removes every injected fault and latency. */
  clearFaults(): void {
    this.state.faults.clear();
  }

  /** The injected faults that have not fired their count yet, oldest first. */
  faults(): Fault[] {
    return this.state.faults.pending();
  }

  /** @internal For the front ends, at their request boundary: the fault this request fires, if any (counted down and logged). */
  takeFault(request: FaultRequest): FiredFault | undefined {
    return this.state.faults.take(request);
  }

  /** @internal For the front ends: true when no fault waits and no broker is slowed, so a request need not be described. */
  get noFaults(): boolean {
    return this.state.faults.empty;
  }

  /** @internal For the front ends: the delay of every answer of a broker, in ms. */
  latencyOf(brokerId: number): number {
    return this.state.faults.latencyOf(brokerId);
  }

  // ---------------------------------------------------------------- topics (topics.ts, topic-config.ts)

  /** Names of all topics, internal ones included, in creation order. */
  topicNames(): string[] {
    return [...this.state.topics.keys()];
  }

  /** True when the topic exists. */
  hasTopic(name: string): boolean {
    return this.state.topics.has(name);
  }

  /** CreateTopics for one topic: its metadata, or its error (nothing created). See topics.ts. */
  createTopic(options: CreateTopicOptions, { validateOnly = false }: { validateOnly?: boolean } = {}): TopicMetadata {
    return topics.createTopic(this.state, options, { validateOnly });
  }

  /** DeleteTopics for one topic. */
  deleteTopic(name: string): DeleteTopicAnswer {
    return topics.deleteTopic(this.state, name);
  }

  /** CreatePartitions: grows a topic to `count` partitions; its new metadata, or its error. */
  createPartitions(
    name: string,
    count: number,
    assignment?: readonly (readonly number[])[],
    { validateOnly = false }: { validateOnly?: boolean } = {},
  ): TopicMetadata {
    return topics.createPartitions(this.state, name, count, assignment, { validateOnly });
  }

  /** One topic's metadata, or UNKNOWN_TOPIC_OR_PARTITION. */
  describeTopic(name: string): TopicMetadata {
    return topics.describeTopic(this.state, name);
  }

  /** Metadata for the given topics (all when omitted), each with its error; may auto-create. */
  metadata(topicNames?: readonly string[], { allowAutoTopicCreation = false }: { allowAutoTopicCreation?: boolean } = {}): MetadataAnswer {
    return topics.metadata(this.state, topicNames, { allowAutoTopicCreation });
  }

  /** A partition's full replication state: every replica's offsets and segments. */
  describePartition(topicName: string, partition: number): PartitionDescription {
    return topics.describePartition(this.state, topicName, partition);
  }

  /** DescribeConfigs for one topic: its settings with their sources. */
  describeTopicConfig(name: string): DescribeConfigAnswer {
    return topicConfigs.describeTopicConfig(this.state, name);
  }

  /** IncrementalAlterConfigs for one topic: sets overrides, or removes them (`null`). */
  alterTopicConfig(name: string, changes: Readonly<Record<string, ConfigInput | null>>): AlterConfigAnswer {
    return topicConfigs.alterTopicConfig(this.state, name, changes);
  }

  /** AlterConfigs for one topic: replaces all its overrides with `config`. */
  replaceTopicConfig(name: string, config: Readonly<Record<string, ConfigInput>>, { validateOnly = false }: { validateOnly?: boolean } = {}): AlterConfigAnswer {
    return topicConfigs.replaceTopicConfig(this.state, name, config, { validateOnly });
  }

  /** A topic's effective settings. */
  topicConfig(name: string): TopicConfigAnswer {
    return topicConfigs.topicConfig(this.state, name);
  }

  // ---------------------------------------------------------------- partition reassignment (reassignment.ts)

  /**
   * AlterPartitionReassignments: moves each partition to its target replicas (null: cancels the
   * reassignment in progress). Each partition answers its own error; see reassignment.ts.
   */
  alterPartitionReassignments(topics: readonly ReassignableTopic[]): ReassignableTopicAnswer[] {
    return reassignments.alterPartitionReassignments(this.state, topics);
  }

  /** ListPartitionReassignments: the reassignments in progress, of the given topics' partitions or (null) of all. */
  listPartitionReassignments(topics: readonly ListReassignmentsTopic[] | null = null): OngoingTopicReassignment[] {
    return reassignments.listPartitionReassignments(this.state, topics);
  }

  // ---------------------------------------------------------------- produce and fetch (produce.ts, fetch.ts, purgatory.ts)

  /** Produce to one partition; resolves with its answer (never rejects but for an unknown broker id). */
  produce(request: ProduceRequest): Promise<ProduceResult> {
    return producing.produce(this.state, request);
  }

  /** Produce to many partitions with one acks and timeout; one answer per partition, in order. */
  produceMany(request: ProduceManyRequest): Promise<ProduceResult[]> {
    return producing.produceMany(this.state, request);
  }

  /** Fetch from one partition: records below the high watermark, or the error. */
  fetch(request: FetchRequest): FetchResult {
    return fetching.fetch(this.state, request);
  }

  /** {@link fetch} with the records left in the log as ranges of batches (see fetch.ts). */
  fetchRanges(request: FetchRequest): FetchRangesResult {
    return fetching.fetchRanges(this.state, request);
  }

  /** Fetch from many partitions; one answer per partition, in order, records as ranges. */
  fetchMany(request: FetchManyRequest): FetchRangesResult[] {
    return fetching.fetchMany(this.state, request);
  }

  /**
   * A delayed fetch: resolves when any position has data (below the last stable offset for
   * read_committed), its partition or topic changes, or after `maxWaitMs`. Never rejects.
   */
  awaitData(
    positions: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[],
    maxWaitMs: number,
    isolationLevel?: IsolationLevel,
  ): Promise<void> {
    return awaitData(this.state, positions, maxWaitMs, isolationLevel);
  }

  /** ListOffsets for one partition; `latest` is the last stable offset for a read_committed caller. */
  listOffsets(topicName: string, partition: number, spec: OffsetSpec, broker?: number, isolationLevel?: IsolationLevel): ListOffsetsAnswer {
    return fetching.listOffsets(this.state, topicName, partition, spec, broker, isolationLevel);
  }

  // ---------------------------------------------------------------- producers and transactions (produce.ts, producers.ts, transactions/)

  /**
   * InitProducerId. Without a transactional id (an idempotent producer) any broker answers a new
   * producer id at epoch 0; with one, the transaction coordinator answers (a new id, or the epoch
   * bumped, fencing the previous producer; see emulator/transactions/requests.ts).
   */
  initProducerId(request: InitProducerIdOptions = {}): InitProducerIdAnswer {
    const transactionalId = request.transactionalId ?? null;
    if (transactionalId === null) return producing.initIdempotentProducerId(this.state, request);
    const answer = txn.initProducerId(this.transactionCoordinator, { ...request, transactionalId, transactionTimeoutMs: request.transactionTimeoutMs ?? 60000 });
    return { ...answer, errorMessage: answer.errorMessage ?? null };
  }

  /** FindCoordinator with key type 1: the broker coordinating a transactional id (creates `__transaction_state` on first use). */
  findTransactionCoordinator(request: FindTxnCoordinatorRequest): FindTxnCoordinatorAnswer {
    return txn.findTransactionCoordinator(this.transactionCoordinator, request);
  }

  /** AddPartitionsToTxn: partitions join the producer's transaction (starting it); a code per partition. */
  addPartitionsToTxn(request: AddPartitionsToTxnRequest): AddPartitionsToTxnAnswer {
    return txn.addPartitionsToTxn(this.transactionCoordinator, request);
  }

  /** AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction, so TxnOffsetCommit may follow. */
  addOffsetsToTxn(request: AddOffsetsToTxnRequest): ErrorPart {
    return txn.addOffsetsToTxn(this.transactionCoordinator, request);
  }

  /**
   * TxnOffsetCommit, sent to the group's coordinator (`broker`): the offsets are held by the
   * transaction and committed with it. Every partition answers the same code.
   */
  txnOffsetCommit(request: TxnOffsetCommitRequest & { readonly broker?: number }): TxnOffsetCommitAnswer {
    const misrouted = this.groupCoordinator.routeTxnOffsetCommit(request.groupId, request.broker);
    if (misrouted !== undefined) {
      return { topics: request.topics.map(({ topic, partitions }) => ({ topic, partitions: partitions.map(({ partition }) => ({ partition, ...misrouted })) })) };
    }
    return txn.txnOffsetCommit(this.transactionCoordinator, request);
  }

  /** EndTxn: commits or aborts the producer's transaction; the markers follow on the cluster clock. */
  endTxn(request: EndTxnRequest): ErrorPart {
    return txn.endTxn(this.transactionCoordinator, request);
  }

  /** DescribeTransactions: the state of each transactional id, from its coordinator. */
  describeTransactions(request: DescribeTransactionsRequest): DescribeTransactionsAnswer {
    return txn.describeTransactions(this.transactionCoordinator, request);
  }

  /** ListTransactions: the transactional ids a broker (every reachable one when omitted) coordinates, filtered. */
  listTransactions(request: ListTransactionsRequest = {}): ListTransactionsAnswer {
    return txn.listTransactions(this.transactionCoordinator, request);
  }

  /**
   * The log side of WriteTxnMarkers, for the transaction coordinator: appends a commit or abort
   * marker to a partition's leader, ending the producer's transaction there.
   */
  writeTxnMarker(request: TxnMarkerRequest): Promise<TxnMarkerResult> {
    return producing.writeTxnMarker(this.state, request);
  }

  /** DescribeProducers: the producers a partition's leader knows and has not expired, by producer id (KIP-664). */
  describeProducers(request: DescribeProducersRequest): DescribeProducersAnswer {
    return producing.describeProducers(this.state, request);
  }

  /** A partition leader's whole producer state (its entries with their last batches), by producer id; [] without a leader. */
  producerStates(topicName: string, partition: number): ProducerEntry[] {
    const p = this.state.topics.get(topicName)?.partitions[partition];
    if (p === undefined || p.leader === -1) return [];
    return p.replicaStates.get(p.leader)!.log.producerState.producers().map((e) => ({ ...e, batches: [...e.batches] }));
  }

  /** DeleteRecords for one partition: moves the log start offset up to `offset` (-1: the high watermark). */
  deleteRecords(topicName: string, partition: number, offset: number): DeleteRecordsAnswer {
    return fetching.deleteRecords(this.state, topicName, partition, offset);
  }
}
