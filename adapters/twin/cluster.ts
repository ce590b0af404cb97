/**
 * The engine's calls in kafkajs's error style: what the twin's kafkajs-shaped clients (and the
 * public `Cluster`) call. The engine answers with Kafka's error codes; this turns an answer's code
 * into the kafkajs error class a real cluster's answer would surface as (with the topic and
 * partition where kafkajs's class carries them), and nothing more: no Kafka logic lives here.
 */
import { kafkajsErrorMessages } from '../../protocol/kafkajs.js';
import { Engine, type ClusterOptions } from '../../emulator/engine.js';
import type {
  Answer,
  BrokerDescription,
  Fault,
  InjectFaultOptions,
  ProduceManyRequest,
  ConfigEntry,
  CreateTopicOptions,
  FetchRangesResult,
  FetchRequest,
  FetchResult,
  MetadataAnswer,
  OffsetSpec,
  IsolationLevel,
  PartitionDescription,
  ProduceRequest,
  ProduceResult,
  TopicMetadata,
  ListReassignmentsTopic,
  OngoingTopicReassignment,
  ReassignableTopic,
  ReassignableTopicAnswer,
  AddOffsetsToTxnRequest,
  AddPartitionsToTxnRequest,
  EndTxnRequest,
  TxnOffsetCommitRequest,
} from '../../emulator/engine.js';
import type { Clock } from '../../emulator/clock.js';
import type { BrokerConfig, ConfigInput, TopicConfig } from '../../emulator/config.js';
import type { ClusterEvent, EventListener } from '../../emulator/events.js';
import type { Random } from '../../emulator/random.js';
import { TwinFaults } from './faults.js';
import { TwinGroups } from './groups.js';
import { errorOf, NONE, orThrow, type ErrorContext, type ErrorPart, type Failure } from '../../protocol/errors.js';

/** Throws kafkajs's error for a failed answer; `where` adds what kafkajs's class carries. */
function fail(answer: Answer, where?: ErrorContext): never {
  throw errorOf(answer as Failure, where);
}

/**
 * Throws kafkajs's error for a failed answer of an API whose responses (at the versions kafkajs
 * sends) carry no error message: kafkajs's createErrorFromCode, with its own message for the
 * code, as its parsers throw. An unreachable broker stays a connection error.
 */
function failBare(answer: ErrorPart): never {
  const part = answer as Failure;
  throw errorOf('broker' in part ? part : { errorCode: part.errorCode, errorMessage: kafkajsErrorMessages.get(part.errorCode) ?? null });
}

/** InitProducerId as kafkajs sends it (see {@link TwinCluster.initProducerId}). */
export interface TwinInitProducerIdRequest {
  /** Omitted: an idempotent producer's request. */
  readonly transactionalId?: string;
  /** kafkajs's `transactionTimeout`. @defaultValue 60000 */
  readonly transactionTimeout?: number;
  /** The broker it is sent to; omitted: any broker. */
  readonly broker?: number;
  /** The request version (kafkajs 2.2.4 sends 1); omitted: the newest. */
  readonly version?: number;
}

/** The engine behind kafkajs's errors. */
export class TwinCluster {
  /** The engine answering with Kafka's codes. */
  readonly engine: Engine;
  /** The clock every timestamp and timer of this cluster comes from. */
  readonly clock: Clock;
  /** Broker settings in force. */
  readonly config: BrokerConfig;
  /** The cluster id (22 characters, like Kafka's), drawn from the seed. */
  readonly clusterId: string;
  /** @internal The seeded generator; components of the engine draw from it. */
  readonly random: Random;
  /** Consumer groups: the coordinator side of Kafka's classic group protocol, in kafkajs's error style. */
  readonly groups: TwinGroups;
  /** @internal Injected faults at this client's request boundary. */
  readonly requestFaults: TwinFaults;

  constructor(options: ClusterOptions = {}) {
    this.engine = new Engine(options);
    this.clock = this.engine.clock;
    this.config = this.engine.config;
    this.clusterId = this.engine.clusterId;
    this.random = this.engine.random;
    this.requestFaults = new TwinFaults(this.engine);
    this.groups = new TwinGroups(this.engine.groupCoordinator, this.requestFaults);
  }

  // ---------------------------------------------------------------- time and events

  /** Cluster time in ms. */
  now(): number {
    return this.engine.now();
  }

  /** Moves time forward by `ms` (see {@link Engine.advance}). */
  advance(ms: number): Promise<void> {
    return this.engine.advance(ms);
  }

  /** Awaits `promise` while letting cluster time pass as it needs to (see {@link Engine.drive}). */
  drive<T>(promise: Promise<T>, options: { maxMs?: number } = {}): Promise<T> {
    return this.engine.drive(promise, options);
  }

  /** Every event so far, oldest first. */
  events(): readonly ClusterEvent[] {
    return this.engine.events();
  }

  /** Calls `listener` for every new event; returns a function that unsubscribes. */
  onEvent(listener: EventListener): () => void {
    return this.engine.onEvent(listener);
  }

  /**
   * @internal Holds the process alive for a connected client, as its socket would: the twin's
   * clients call it on connect() and the returned function on disconnect(). Only the real clock
   * holds anything; close() drops every hold.
   */
  keepAlive(): () => void {
    return this.clock.keepAlive?.() ?? (() => undefined);
  }

  /** Stops every timer; pending acks=all writes fail. The cluster must not be used afterwards. */
  close(): void {
    this.engine.close();
  }

  // ---------------------------------------------------------------- brokers and faults

  /** The brokers and their status. */
  brokers(): BrokerDescription[] {
    return this.engine.brokers();
  }

  /** The active controller: the lowest-numbered running broker; -1 when none runs. */
  controller(): number {
    return this.engine.controller();
  }

  /** Stops a broker; false when it was already stopped. @throws RangeError for an unknown broker. */
  stopBroker(id: number): boolean {
    return this.engine.stopBroker(id);
  }

  /** Starts a stopped broker; false when it was already running. @throws RangeError for an unknown broker. */
  startBroker(id: number): boolean {
    return this.engine.startBroker(id);
  }

  /** Cuts a running broker off from clients and replication; false when it was already isolated. */
  isolateBroker(id: number): boolean {
    return this.engine.isolateBroker(id);
  }

  /** Restores an isolated broker's network; false when it was not isolated. */
  healBroker(id: number): boolean {
    return this.engine.healBroker(id);
  }

  /** Makes the next matching requests of an API fail, or lose their answer (see {@link Engine.injectFault}). */
  injectFault(options: InjectFaultOptions): Fault {
    return this.engine.injectFault(options);
  }

  /** Delays every answer of a broker by `ms` (0: none). */
  setLatency(brokerId: number, ms: number): void {
    this.engine.setLatency(brokerId, ms);
  }

  /** Removes every injected fault and latency. */
  clearFaults(): void {
    this.engine.clearFaults();
  }

  /** The injected faults still to fire, oldest first. */
  faults(): Fault[] {
    return this.engine.faults();
  }

  // ---------------------------------------------------------------- topics

  /** Names of all topics, internal ones included, in creation order. */
  topicNames(): string[] {
    return this.engine.topicNames();
  }

  /** True when the topic exists. */
  hasTopic(name: string): boolean {
    return this.engine.hasTopic(name);
  }

  /** Creates a topic; kafkajs's KafkaJSCreateTopicError (naming the topic) when it cannot. */
  createTopic(options: CreateTopicOptions, { validateOnly = false }: { validateOnly?: boolean } = {}): TopicMetadata {
    const where = typeof options.topic === 'string' ? { topic: options.topic } : {};
    return this.requestFaults.sync(
      { api: 'CreateTopics', broker: () => this.engine.controller(), topics: typeof options.topic === 'string' ? [options.topic] : [] },
      () => {
        const answer = this.engine.createTopic(options, { validateOnly });
        if (answer.errorCode !== NONE) fail(answer, where);
        return answer;
      },
      where,
    );
  }

  /** Deletes a topic and all its data. */
  deleteTopic(name: string): void {
    this.requestFaults.sync({ api: 'DeleteTopics', broker: () => this.engine.controller(), topics: [name] }, () => orThrow(this.engine.deleteTopic(name)));
  }

  /** Grows a topic to `count` partitions. */
  createPartitions(
    name: string,
    count: number,
    assignment?: readonly (readonly number[])[],
    { validateOnly = false }: { validateOnly?: boolean } = {},
  ): TopicMetadata {
    return this.requestFaults.sync({ api: 'CreatePartitions', broker: () => this.engine.controller(), topics: [name] }, () =>
      orThrow(this.engine.createPartitions(name, count, assignment, { validateOnly })),
    );
  }

  /** Describes one topic. */
  describeTopic(name: string): TopicMetadata {
    const answer = this.engine.describeTopic(name);
    if (answer.errorCode !== NONE) fail(answer);
    return answer;
  }

  /** Metadata for the given topics (all when omitted); the first topic's error, if any, is thrown. */
  metadata(topics?: readonly string[], { allowAutoTopicCreation = false }: { allowAutoTopicCreation?: boolean } = {}): MetadataAnswer {
    return this.requestFaults.sync({ api: 'Metadata', broker: () => this.engine.controller(), topics: topics ?? [] }, () => {
      const answer = this.engine.metadata(topics, { allowAutoTopicCreation });
      for (const t of answer.topics) if (t.errorCode !== NONE) fail(t, { topic: t.name });
      return answer;
    });
  }

  /** A partition's full replication state: every replica's offsets and segments. */
  describePartition(topicName: string, partition: number): PartitionDescription {
    return orThrow(this.engine.describePartition(topicName, partition));
  }

  /** A topic's settings with their sources, as DescribeConfigs reports them. */
  describeTopicConfig(name: string): ConfigEntry[] {
    return [...orThrow(this.engine.describeTopicConfig(name)).configs];
  }

  /** Changes topic settings: each entry sets an override, or removes it when `null`. */
  alterTopicConfig(name: string, changes: Readonly<Record<string, ConfigInput | null>>): void {
    orThrow(this.engine.alterTopicConfig(name, changes), { topic: name });
  }

  /** Replaces all of a topic's overrides with `config` (Kafka's non-incremental AlterConfigs). */
  replaceTopicConfig(name: string, config: Readonly<Record<string, ConfigInput>>, { validateOnly = false }: { validateOnly?: boolean } = {}): void {
    orThrow(this.engine.replaceTopicConfig(name, config, { validateOnly }), { topic: name });
  }

  /** A topic's effective settings. */
  topicConfig(name: string): TopicConfig {
    return orThrow(this.engine.topicConfig(name)).config!;
  }

  // ---------------------------------------------------------------- produce, fetch, offsets

  /** Writes records to a partition's leader; rejects with the kafkajs error of a failed answer. */
  produce(request: ProduceRequest): Promise<ProduceResult> {
    if (this.engine.noFaults) return this.engine.produce(request).then(produced);
    const { acks, timeout, broker, ...entry } = request;
    return this.produceMany({ partitions: [entry], acks, timeout, broker }).then((answers) => answers[0]!);
  }

  /** One Produce request for many partitions (to one broker); rejects with the kafkajs error of the first failed partition. */
  produceMany(request: ProduceManyRequest): Promise<ProduceResult[]> {
    const first = request.partitions[0];
    const broker = request.broker ?? (() => (first === undefined ? this.engine.controller() : this.requestFaults.leaderOf(first.topic, first.partition)));
    return this.requestFaults.async(
      { api: 'Produce', broker, partitions: request.partitions },
      () => this.engine.produceMany(request).then((answers) => answers.map(produced)),
      {},
      { silent: request.acks === 0 },
    );
  }

  /** Reads records from `offset` up to the high watermark; KafkaJSOffsetOutOfRange for an offset outside the log. Not a client's request: injected faults do not apply. */
  fetch(request: FetchRequest): FetchResult {
    const answer = this.engine.fetch(request);
    if (answer.errorCode !== NONE) fail(answer, { topic: request.topic, partition: request.partition });
    return answer;
  }

  /** {@link fetch}, with the records left in the log as ranges of batches. */
  fetchRanges(request: FetchRequest): FetchRangesResult {
    const where = { topic: request.topic, partition: request.partition };
    const broker = request.broker ?? (() => this.requestFaults.leaderOf(request.topic, request.partition));
    return this.requestFaults.sync(
      { api: 'Fetch', broker, partitions: [where] },
      () => {
        const answer = this.engine.fetchRanges(request);
        if (answer.errorCode !== NONE) fail(answer, where);
        return answer;
      },
      where,
    );
  }

  /** A delayed fetch (see {@link Engine.awaitData}). Never rejects. */
  awaitData(
    positions: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[],
    maxWaitMs: number,
    isolationLevel?: IsolationLevel,
  ): Promise<void> {
    return this.engine.awaitData(positions, maxWaitMs, isolationLevel);
  }

  /** ListOffsets for one partition; `latest` is the last stable offset for a read_committed caller. */
  listOffsets(topicName: string, partition: number, spec: OffsetSpec, broker?: number, isolationLevel?: IsolationLevel): { offset: number; timestamp: number } {
    const to = broker ?? (() => this.requestFaults.leaderOf(topicName, partition));
    return this.requestFaults.sync({ api: 'ListOffsets', broker: to, partitions: [{ topic: topicName, partition }] }, () => {
      const answer = this.engine.listOffsets(topicName, partition, spec, broker, isolationLevel);
      if (answer.errorCode !== NONE) fail(answer);
      return { offset: answer.offset, timestamp: answer.timestamp };
    });
  }

  /**
   * InitProducerId; rejects with the kafkajs error of a failed answer. Without a `transactionalId`
   * (an idempotent producer) it goes to any broker, as kafkajs asks; with one, to `broker`, the
   * transaction coordinator the caller found ({@link findTransactionCoordinator}).
   */
  initProducerId(request: TwinInitProducerIdRequest = {}): Promise<{ producerId: number; producerEpoch: number }> {
    const { transactionalId, transactionTimeout, version } = request;
    const broker = request.broker ?? this.requestFaults.anyBroker();
    return this.requestFaults.async({ api: 'InitProducerId', broker }, async () => {
      const answer = this.engine.initProducerId({
        ...(transactionalId !== undefined ? { transactionalId, transactionTimeoutMs: transactionTimeout ?? 60000 } : {}),
        ...(broker === -1 ? {} : { broker }),
        ...(version !== undefined ? { version } : {}),
      });
      if (answer.errorCode !== NONE) failBare(answer);
      return { producerId: answer.producerId, producerEpoch: answer.producerEpoch };
    });
  }

  // ---------------------------------------------------------------- transactions

  /**
   * FindCoordinator (key type 1) for a transactional id, asked of `broker` (omitted: any broker):
   * the coordinator's node. kafkajs's error is its table's, without the broker's message.
   */
  findTransactionCoordinator(transactionalId: string, to?: number): { nodeId: number; host: string; port: number } {
    const broker = to ?? this.requestFaults.anyBroker();
    return this.requestFaults.sync({ api: 'FindCoordinator', broker }, () => {
      const answer = this.engine.findTransactionCoordinator({ transactionalId, ...(broker === -1 ? {} : { broker }) });
      if (answer.errorCode !== NONE) failBare(answer);
      return { nodeId: answer.nodeId, host: answer.host, port: answer.port };
    });
  }

  /** AddPartitionsToTxn to the transaction coordinator `broker`; throws the first failed partition's error, as kafkajs's parser does. */
  addPartitionsToTxn(request: AddPartitionsToTxnRequest & { readonly broker: number }): void {
    const partitions = request.topics.flatMap(({ topic, partitions: ps }) => ps.map((partition) => ({ topic, partition })));
    this.requestFaults.sync({ api: 'AddPartitionsToTxn', broker: request.broker, partitions }, () => {
      for (const t of this.engine.addPartitionsToTxn(request).results) {
        for (const p of t.partitions) if (p.errorCode !== NONE) failBare(p);
      }
    });
  }

  /** AddOffsetsToTxn to the transaction coordinator `broker`. */
  addOffsetsToTxn(request: AddOffsetsToTxnRequest & { readonly broker: number }): void {
    this.requestFaults.sync({ api: 'AddOffsetsToTxn', broker: request.broker }, () => {
      const answer = this.engine.addOffsetsToTxn(request);
      if (answer.errorCode !== NONE) failBare(answer);
    });
  }

  /** TxnOffsetCommit to the group coordinator `broker`; throws the first failed partition's error, as kafkajs's parser does. */
  txnOffsetCommit(request: TxnOffsetCommitRequest & { readonly broker: number }): void {
    const partitions = request.topics.flatMap(({ topic, partitions: ps }) => ps.map(({ partition }) => ({ topic, partition })));
    this.requestFaults.sync({ api: 'TxnOffsetCommit', broker: request.broker, partitions }, () => {
      for (const t of this.engine.txnOffsetCommit(request).topics) {
        for (const p of t.partitions) if (p.errorCode !== NONE) failBare(p);
      }
    });
  }

  /** EndTxn to the transaction coordinator `broker`: commits (`committed`) or aborts; the markers follow on the cluster clock. */
  endTxn(request: EndTxnRequest & { readonly broker: number }): void {
    this.requestFaults.sync({ api: 'EndTxn', broker: request.broker }, () => {
      const answer = this.engine.endTxn(request);
      if (answer.errorCode !== NONE) failBare(answer);
    });
  }

  /** DeleteRecords: moves the log start offset up to `offset` (-1: the high watermark); returns the new one. */
  deleteRecords(topicName: string, partition: number, offset: number): number {
    const where = { topic: topicName, partition };
    return this.requestFaults.sync(
      { api: 'DeleteRecords', broker: () => this.requestFaults.leaderOf(topicName, partition), partitions: [where] },
      () => orThrow(this.engine.deleteRecords(topicName, partition, offset), where).lowWatermark,
      where,
    );
  }

  // ---------------------------------------------------------------- partition reassignment

  /** AlterPartitionReassignments, sent to the controller: each partition's answer, its error as data (0: accepted). */
  alterPartitionReassignments(topics: readonly ReassignableTopic[]): ReassignableTopicAnswer[] {
    const request = { api: 'AlterPartitionReassignments', broker: () => this.engine.controller(), topics: topics.map((t) => t.name) };
    return this.requestFaults.sync(request, () => this.engine.alterPartitionReassignments(topics));
  }

  /** ListPartitionReassignments, sent to the controller: the reassignments in progress (of every topic when `topics` is null). */
  listPartitionReassignments(topics: readonly ListReassignmentsTopic[] | null = null): OngoingTopicReassignment[] {
    const request = { api: 'ListPartitionReassignments', broker: () => this.engine.controller(), topics: topics?.map((t) => t.name) ?? [] };
    return this.requestFaults.sync(request, () => this.engine.listPartitionReassignments(topics));
  }

  /**
   * Moves one partition to `replicas` (the first is the preferred leader), or with `null` cancels
   * its reassignment in progress; throws kafkajs's error when Kafka would refuse it.
   */
  reassignPartition(topic: string, partition: number, replicas: readonly number[] | null): void {
    const answer = this.alterPartitionReassignments([{ name: topic, partitions: [{ partitionIndex: partition, replicas }] }])[0]!.partitions[0]!;
    if (answer.errorCode !== NONE) fail(answer, { topic, partition });
  }
}

function produced(answer: ProduceResult): ProduceResult {
  if (answer.errorCode !== NONE) fail(answer);
  return answer;
}
