/**
 * The twin's cluster: brokers, topics, partitions and their replicas, the controller's decisions
 * (leader election, ISR changes), replication, retention and the clock. One object owns all of
 * this state and every mutation goes through one of its methods, so a run is a sequence of calls
 * on one object and replays exactly from the same seed and schedule.
 *
 * Replication is modelled as a follower fetching from its leader as soon as there is something
 * to fetch and it can reach the leader. Loopback replication on a real cluster takes
 * milliseconds; the twin makes it instantaneous and lets faults (a stopped or isolated broker)
 * be the only reason a follower falls behind. See docs/fidelity.md.
 */
import { brokerUnreachable, protocolError, type KafkaJSError } from '../protocol/errors.js';
import { RealClock, VirtualClock, type Clock, type TimerId } from './clock.js';
import {
  parseBrokerConfig,
  parseTopicOverrides,
  resolveTopicConfig,
  topicConfigSource,
  TOPIC_CONFIGS,
  type BrokerConfig,
  type ConfigInput,
  type ConfigSource,
  type TopicConfig,
  type TopicConfigName,
} from './config.js';
import { GroupCoordinator, OFFSETS_TOPIC, type GroupPort } from './groups/coordinator.js';
import { EventLog, type ClusterEvent, type EventInput, type EventListener } from './events.js';
import { ReplicaLog } from './log.js';
import { Random } from './random.js';
import { ByteArena, packBatch, readRecords, sliceBatch, type FetchedRecord, type ProduceRecord, type RecordBatch, type RecordRange } from './records.js';
import { collidingTopic, placeReplicas, validateTopicName } from './topics.js';

/** Options for {@link Engine}. */
export interface ClusterOptions {
  /**
   * Number of brokers; their ids are 1..N.
   * @defaultValue 1
   */
  brokers?: number;
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
   * Start time of a virtual clock, in ms since the epoch.
   * @defaultValue 0
   */
  startTime?: number;
}

/** A request to create one topic. */
export interface CreateTopicOptions {
  topic: string;
  /**
   * Number of partitions; -1 takes the broker's `num.partitions`.
   * @defaultValue -1
   */
  numPartitions?: number;
  /**
   * Replicas per partition; -1 takes the broker's `default.replication.factor`.
   * @defaultValue -1
   */
  replicationFactor?: number;
  /** Explicit replica lists, one per partition (index = partition); replaces the two counts. */
  replicaAssignment?: readonly (readonly number[])[];
  /** Topic-level settings (`retention.ms`, `segment.bytes`, ...). */
  config?: Readonly<Record<string, ConfigInput>>;
}

/** One partition as metadata describes it. */
export interface PartitionMetadata {
  readonly partition: number;
  /** Broker id of the leader, or -1 when the partition is offline. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** Replicas on stopped brokers. */
  readonly offlineReplicas: readonly number[];
}

/** A topic as metadata describes it. */
export interface TopicMetadata {
  readonly name: string;
  readonly topicId: string;
  readonly isInternal: boolean;
  readonly partitions: readonly PartitionMetadata[];
}

/** One replica's log, for tests, the CLI and teaching. */
export interface ReplicaDescription {
  readonly broker: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly size: number;
  readonly segments: readonly { readonly baseOffset: number; readonly endOffset: number; readonly size: number }[];
}

/** A partition's full replication state. */
export interface PartitionDescription extends PartitionMetadata {
  readonly topic: string;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly replicaStates: readonly ReplicaDescription[];
}

/** A broker as the cluster sees it. */
export interface BrokerDescription {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  /** `running`, `stopped`, or `isolated` (running but cut off from clients and replication). */
  readonly status: 'running' | 'stopped' | 'isolated';
}

/** A produce request for one partition. */
export interface ProduceRequest {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly ProduceRecord[];
  /**
   * 0: fire and forget; 1: the leader has it; -1 (all): every in-sync replica has it.
   * @defaultValue -1
   */
  readonly acks?: number;
  /**
   * How long an acks=all write waits for the in-sync replicas, in cluster ms.
   * @defaultValue 30000
   */
  readonly timeout?: number;
  /** The broker the request is sent to; the current leader when omitted. */
  readonly broker?: number;
}

/** What a produce request returns. */
export interface ProduceResult {
  readonly topic: string;
  readonly partition: number;
  /** Offset of the first record written; -1 for acks=0. */
  readonly baseOffset: number;
  /** The broker's append time under LogAppendTime, else -1. */
  readonly logAppendTime: number;
  readonly logStartOffset: number;
}

/** A fetch request for one partition. */
export interface FetchRequest {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /**
   * Byte budget; at least one record batch is returned when any is available.
   * @defaultValue 1048576
   */
  readonly maxBytes?: number;
  /** Record budget (a twin convenience; Kafka has only bytes). */
  readonly maxRecords?: number;
  /** The broker the request is sent to; the current leader when omitted. */
  readonly broker?: number;
}

/** What a fetch returns: records below the high watermark. */
export interface FetchResult {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  readonly records: readonly FetchedRecord[];
}

/** Which offset to look up; see {@link Engine.listOffsets}. */
export type OffsetSpec = 'earliest' | 'latest' | 'max-timestamp' | { readonly timestamp: number };

/** One topic setting as DescribeConfigs reports it. */
export interface ConfigEntry {
  readonly name: string;
  readonly value: string;
  readonly source: ConfigSource;
  readonly isDefault: boolean;
}

interface Broker {
  readonly id: number;
  running: boolean;
  isolated: boolean;
  retentionTimer: TimerId | undefined;
}

interface Replica {
  readonly broker: number;
  log: ReplicaLog;
  /** When this follower last had everything its leader had. */
  lastCaughtUpTime: number;
  /** Set on every leader change: the follower must reconcile its log with the new leader's first. */
  mustTruncate: boolean;
}

interface PendingProduce {
  readonly requiredOffset: number;
  readonly resolve: () => void;
  readonly reject: (e: KafkaJSError) => void;
  timer: TimerId;
}

/** A delayed fetch waiting in {@link Engine.awaitData}. */
interface DataWaiter {
  readonly wake: () => void;
}

interface Partition {
  readonly topic: Topic;
  readonly index: number;
  readonly replicas: readonly number[];
  readonly replicaStates: Map<number, Replica>;
  leader: number;
  leaderEpoch: number;
  isr: number[];
  highWatermark: number;
  waiting: PendingProduce[];
  /** Where the partition's batches keep their bytes; every replica shares the leader's batches. */
  readonly arena: ByteArena;
}

interface Topic {
  readonly name: string;
  readonly id: string;
  readonly internal: boolean;
  readonly partitions: Partition[];
  overrides: Partial<Record<TopicConfigName, ConfigInput>>;
  config: TopicConfig;
  /** The topic's metadata as last built; dropped whenever a leader, ISR, partition or broker changes. */
  metadata?: TopicMetadata;
}

const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

/**
 * An in-memory Apache Kafka cluster. See the README for a tour and docs/fidelity.md for where it
 * differs from a real one.
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
  /** Consumer groups: the coordinator side of Kafka's classic group protocol, answering with error codes. */
  readonly groupCoordinator: GroupCoordinator;
  private readonly userConfig: Readonly<Record<string, unknown>>;
  private readonly brokerList: Broker[];
  private readonly topicMap = new Map<string, Topic>();
  private readonly log: EventLog;
  private readonly periodic: TimerId[] = [];
  /** Delayed fetches (Kafka's fetch purgatory): woken when a watched partition gets data. */
  private readonly dataWaiters = new Set<DataWaiter>();
  /** The same delayed fetches by watched partition, so new data on one partition wakes its waiters without visiting every other. */
  private readonly dataWaitersByPartition = new Map<Partition, Set<DataWaiter>>();
  private closed = false;

  constructor(options: ClusterOptions = {}) {
    const { brokers = 1, clock = 'real', seed = 0, config = {}, startTime = 0 } = options;
    if (!Number.isInteger(brokers) || brokers < 1 || brokers > 1000) {
      throw new RangeError(`brokers must be an integer from 1 to 1000, got ${String(brokers)}`);
    }
    if (typeof seed !== 'number' && typeof seed !== 'string') throw new TypeError(`seed must be a number or a string, got ${typeof seed}`);
    this.config = parseBrokerConfig(config);
    this.userConfig = { ...config };
    if (clock === 'virtual') this.clock = new VirtualClock(startTime);
    else if (clock === 'real') this.clock = new RealClock();
    else if (typeof clock === 'object' && clock !== null && typeof clock.now === 'function') this.clock = clock;
    else throw new TypeError(`clock must be 'virtual', 'real' or a Clock, got ${String(clock)}`);
    this.random = new Random(seed);
    this.clusterId = this.random.kafkaId();
    this.log = new EventLog(() => this.clock.now());
    this.brokerList = Array.from({ length: brokers }, (_, i) => ({ id: i + 1, running: true, isolated: false, retentionTimer: undefined }));
    for (const broker of this.brokerList) this.scheduleRetention(broker, this.config['log.initial.task.delay.ms']);
    this.schedulePeriodic(Math.max(1, Math.floor(this.config['replica.lag.time.max.ms'] / 2)), () => this.shrinkLaggingIsrs());
    if (this.config['auto.leader.rebalance.enable']) {
      this.schedulePeriodic(this.config['leader.imbalance.check.interval.seconds'] * 1000, () => this.electPreferredLeaders());
    }
    this.groupCoordinator = new GroupCoordinator(this.groupPort());
  }

  /** What the group coordinator needs from the broker; leadership reaches it through its hooks, called where it changes. */
  private groupPort(): GroupPort {
    return {
      config: this.config,
      clock: this.clock,
      uuid: () => this.random.uuid(),
      brokers: () => this.brokers(),
      partitionCount: (topic) => this.topicMap.get(topic)?.partitions.length,
      partition: (topic, index) => {
        const p = this.topicMap.get(topic)?.partitions[index];
        if (p === undefined) return undefined;
        return { leader: p.leader, highWatermark: p.highWatermark, logStartOffset: p.leader === -1 ? -1 : p.replicaStates.get(p.leader)!.log.logStartOffset };
      },
      record: (event) => this.log.record(event),
      createOffsetsTopic: (numPartitions, replicationFactor) => {
        try {
          this.createTopic({ topic: OFFSETS_TOPIC, numPartitions, replicationFactor });
          return { errorCode: 0 };
        } catch (e) {
          return { errorCode: (e as { code?: number }).code ?? -1, errorMessage: e instanceof Error ? e.message : String(e) };
        }
      },
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
    return this.log.all();
  }

  /** Calls `listener` for every new event; returns a function that unsubscribes. */
  onEvent(listener: EventListener): () => void {
    return this.log.subscribe(listener);
  }

  /** @internal Records an event; engine components outside this file use it. */
  recordEvent(event: EventInput): void {
    this.log.record(event);
  }

  /** Stops every timer; pending acks=all writes fail. The cluster must not be used afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const topic of this.topicMap.values()) {
      for (const p of topic.partitions) this.failWaiting(p, protocolError('REQUEST_TIMED_OUT', 'The cluster was closed'));
    }
    this.clock.close();
  }

  // ---------------------------------------------------------------- brokers and faults

  /** The brokers and their status. */
  brokers(): BrokerDescription[] {
    return this.brokerList.map((b) => ({ nodeId: b.id, host: 'localhost', port: 9091 + b.id, status: statusOf(b) }));
  }

  /** The active controller: in the twin, the lowest-numbered running broker; -1 when none runs. */
  controller(): number {
    return this.brokerList.find((b) => b.running)?.id ?? -1;
  }

  /**
   * Stops a broker, as a clean shutdown does on KRaft: it leaves every ISR it was in (unless it
   * was the last member), and leadership of its partitions moves to another in-sync replica.
   * With no in-sync replica left, the partition goes offline, or with
   * `unclean.leader.election.enable` an out-of-sync replica takes over. Its log is kept for
   * when it starts again. Returns false when it was already stopped.
   */
  stopBroker(id: number): boolean {
    const broker = this.broker(id);
    if (!broker.running) return false;
    broker.running = false;
    this.metadataChanged();
    if (broker.retentionTimer !== undefined) this.clock.cancel(broker.retentionTimer);
    broker.retentionTimer = undefined;
    this.log.record({ type: 'broker-stopped', broker: id });
    for (const p of this.partitionsOn(id)) {
      const wasLeader = p.leader === id;
      if (wasLeader)
        this.failWaiting(p, protocolError('NOT_LEADER_FOR_PARTITION', `Broker ${id} stopped and is no longer the leader of ${p.topic.name}-${p.index}`));
      if (p.isr.includes(id) && p.isr.length > 1)
        this.setIsr(
          p,
          p.isr.filter((b) => b !== id),
          { removed: [id], reason: 'broker-stopped' },
        );
      if (wasLeader) this.electLeader(p);
      this.updateHighWatermark(p);
    }
    return true;
  }

  /**
   * Starts a stopped broker. Its replicas reconcile with their leaders (truncating what a new
   * leader does not have), catch up, and rejoin the ISR; offline partitions it can lead come back.
   * Returns false when it was already running.
   */
  startBroker(id: number): boolean {
    const broker = this.broker(id);
    if (broker.running) return false;
    broker.running = true;
    this.metadataChanged();
    this.log.record({ type: 'broker-started', broker: id });
    this.scheduleRetention(broker, this.config['log.initial.task.delay.ms']);
    for (const p of this.partitionsOn(id)) {
      p.replicaStates.get(id)!.mustTruncate = true;
      if (p.leader === -1) this.electLeader(p);
      else this.replicate(p);
    }
    return true;
  }

  /**
   * Cuts a running broker off from clients and from replication, while it still reaches the
   * controller: requests to it fail with a connection error, its followers stop fetching and fall
   * out of the ISR once `replica.lag.time.max.ms` passes with the leader ahead of them.
   * Returns false when it was already isolated.
   */
  isolateBroker(id: number): boolean {
    const broker = this.broker(id);
    if (broker.isolated) return false;
    broker.isolated = true;
    this.log.record({ type: 'broker-isolated', broker: id });
    return true;
  }

  /** Restores an isolated broker's network; its followers catch up and rejoin the ISR. */
  healBroker(id: number): boolean {
    const broker = this.broker(id);
    if (!broker.isolated) return false;
    broker.isolated = false;
    this.log.record({ type: 'broker-healed', broker: id });
    for (const p of this.partitionsOn(id)) this.replicate(p);
    return true;
  }

  private broker(id: number): Broker {
    const broker = Number.isInteger(id) ? this.brokerList[id - 1] : undefined;
    if (broker === undefined) throw new RangeError(`unknown broker ${String(id)}: this cluster has brokers 1..${this.brokerList.length}`);
    return broker;
  }

  private partitionsOn(id: number): Partition[] {
    const out: Partition[] = [];
    for (const topic of this.topicMap.values()) for (const p of topic.partitions) if (p.replicas.includes(id)) out.push(p);
    return out;
  }

  // ---------------------------------------------------------------- topics

  /** Names of all topics, internal ones included, in creation order. */
  topicNames(): string[] {
    return [...this.topicMap.keys()];
  }

  /** True when the topic exists. */
  hasTopic(name: string): boolean {
    return this.topicMap.has(name);
  }

  /**
   * Creates a topic. Rejects, leaving the cluster unchanged: an illegal or colliding name
   * (INVALID_TOPIC_EXCEPTION), an existing one (TOPIC_ALREADY_EXISTS), a partition count below 1
   * (INVALID_PARTITIONS), a replication factor below 1 or above the running brokers
   * (INVALID_REPLICATION_FACTOR), a bad assignment (INVALID_REPLICA_ASSIGNMENT), a bad setting
   * (INVALID_CONFIG). With `validateOnly`, checks everything and creates nothing.
   */
  createTopic(options: CreateTopicOptions, { validateOnly = false }: { validateOnly?: boolean } = {}): TopicMetadata {
    const name = options.topic;
    validateTopicName(name);
    if (this.topicMap.has(name)) throw protocolError('TOPIC_ALREADY_EXISTS', `Topic '${name}' already exists.`, { topic: name });
    const collision = collidingTopic(name, this.topicMap.keys());
    if (collision !== undefined) throw protocolError('INVALID_TOPIC_EXCEPTION', `Topic '${name}' collides with existing topic: ${collision}`, { topic: name });
    const overrides = parseTopicOverridesFor(name, options.config ?? {});
    const assignment = this.assignmentFor(name, options);
    if (validateOnly) return this.metadataOf(this.buildTopic(name, assignment, overrides));
    const topic = this.buildTopic(name, assignment, overrides);
    this.topicMap.set(name, topic);
    this.log.record({ type: 'topic-created', topic: name, partitions: assignment.length, replicationFactor: assignment[0]!.length, assignment });
    if (name === OFFSETS_TOPIC) this.groupCoordinator.onOffsetsTopicCreated(assignment.length);
    for (const p of topic.partitions) this.electLeader(p);
    return this.metadataOf(topic);
  }

  private assignmentFor(name: string, options: CreateTopicOptions): number[][] {
    if (options.replicaAssignment !== undefined) {
      if ((options.numPartitions ?? -1) !== -1 || (options.replicationFactor ?? -1) !== -1) {
        throw protocolError(
          'INVALID_REQUEST',
          'Both numPartitions or replicationFactor and replicaAssignment were set. Both cannot be used at the same time.',
          { topic: name },
        );
      }
      return this.checkAssignment(name, options.replicaAssignment, 0);
    }
    const partitions = options.numPartitions ?? -1;
    const rf = options.replicationFactor ?? -1;
    if (!Number.isInteger(partitions) || (partitions < 1 && partitions !== -1)) {
      throw protocolError('INVALID_PARTITIONS', `Number of partitions was set to an invalid non-positive value (${String(partitions)}) for topic ${name}.`, {
        topic: name,
      });
    }
    if (!Number.isInteger(rf) || (rf < 1 && rf !== -1)) {
      throw protocolError('INVALID_REPLICATION_FACTOR', `Replication factor must be larger than 0, or -1 to use the default value (got ${String(rf)}).`, {
        topic: name,
      });
    }
    const count = partitions === -1 ? this.config['num.partitions'] : partitions;
    const factor = rf === -1 ? this.config['default.replication.factor'] : rf;
    return this.placeOnRegistered(count, factor, { topic: name });
  }

  /**
   * KRaft's replica placement: every registered broker counts, stopped (fenced) ones too, so the
   * replication factor may not exceed the broker count (INVALID_REPLICATION_FACTOR) and at least
   * one broker must run. Running brokers are placed first (a partition is led by one); stopped
   * brokers only fill what the running ones cannot, as the last replicas, out of the ISR.
   */
  private placeOnRegistered(count: number, factor: number, where: { topic?: string }, start = -1, startPartition = 0): number[][] {
    const running = this.brokerList.filter((b) => b.running).map((b) => b.id);
    const stopped = this.brokerList.filter((b) => !b.running).map((b) => b.id);
    if (factor > this.brokerList.length) {
      throw protocolError(
        'INVALID_REPLICATION_FACTOR',
        `Unable to replicate the partition ${factor} time(s): The target replication factor of ${factor} cannot be reached because only ${this.brokerList.length} broker(s) are registered.`,
        where,
      );
    }
    if (running.length === 0) throw protocolError('INVALID_REPLICATION_FACTOR', 'Unable to replicate the partition: All brokers are currently fenced.', where);
    const live = Math.min(factor, running.length);
    return placeReplicas(running, count, live, this.random, start, startPartition).map((replicas) => [...replicas, ...stopped.slice(0, factor - live)]);
  }

  private checkAssignment(name: string, assignment: readonly (readonly number[])[], firstPartition: number): number[][] {
    const bad = (why: string) => protocolError('INVALID_REPLICA_ASSIGNMENT', why, { topic: name });
    if (!Array.isArray(assignment) || assignment.length === 0) throw bad('The replica assignment must list at least one partition.');
    const factor = assignment[0]!.length;
    return assignment.map((replicas, i) => {
      if (!Array.isArray(replicas) || replicas.length === 0) throw bad(`Partition ${firstPartition + i} has an empty replica list.`);
      if (replicas.length !== factor) throw bad('All partitions should have the same number of replicas');
      if (new Set(replicas).size !== replicas.length)
        throw bad(`Duplicate brokers are not allowed in replica assignment: ${replicas.join(', ')} for partition id ${firstPartition + i}.`);
      for (const b of replicas) {
        if (!Number.isInteger(b) || b < 1 || b > this.brokerList.length)
          throw bad(`Replica assignment for partition ${firstPartition + i} names broker ${String(b)}, which is not registered.`);
      }
      return [...replicas];
    });
  }

  private buildTopic(name: string, assignment: readonly (readonly number[])[], overrides: Partial<Record<TopicConfigName, ConfigInput>>): Topic {
    const topic: Topic = {
      name,
      id: this.random.kafkaId(),
      internal: INTERNAL_TOPICS.has(name),
      partitions: [],
      overrides,
      config: resolveTopicConfig(this.config, overrides),
    };
    assignment.forEach((replicas, index) => topic.partitions.push(this.newPartition(topic, index, replicas)));
    return topic;
  }

  private newPartition(topic: Topic, index: number, replicas: readonly number[]): Partition {
    const now = this.clock.now();
    const replicaStates = new Map<number, Replica>();
    for (const b of replicas) replicaStates.set(b, { broker: b, log: new ReplicaLog(0, now), lastCaughtUpTime: now, mustTruncate: false });
    // Replicas on stopped brokers are not in the ISR a new partition starts with.
    const live = replicas.filter((b) => this.brokerList[b - 1]!.running);
    return {
      topic,
      index,
      replicas,
      replicaStates,
      leader: -1,
      leaderEpoch: -1,
      isr: live.length > 0 ? live : [...replicas],
      highWatermark: 0,
      waiting: [],
      arena: new ByteArena(),
    };
  }

  /**
   * Deletes a topic and all its data. UNKNOWN_TOPIC_OR_PARTITION when it does not exist;
   * TOPIC_DELETION_DISABLED when `delete.topic.enable` is false.
   */
  deleteTopic(name: string): void {
    const topic = this.topic(name);
    if (!this.config['delete.topic.enable'])
      throw protocolError('TOPIC_DELETION_DISABLED', `Topic ${name} cannot be deleted: topic deletion is disabled (delete.topic.enable=false).`);
    for (const p of topic.partitions) this.failWaiting(p, protocolError('UNKNOWN_TOPIC_OR_PARTITION', `Topic ${name} was deleted`));
    this.topicMap.delete(name);
    this.log.record({ type: 'topic-deleted', topic: name });
    this.groupCoordinator.onTopicDeleted(name);
    this.wakeWaiters(undefined);
  }

  /**
   * Grows a topic to `count` partitions. Partitions can be added but never removed: a count at
   * or below the current one is INVALID_PARTITIONS.
   */
  createPartitions(
    name: string,
    count: number,
    assignment?: readonly (readonly number[])[],
    { validateOnly = false }: { validateOnly?: boolean } = {},
  ): TopicMetadata {
    const topic = this.topic(name);
    const current = topic.partitions.length;
    if (!Number.isInteger(count) || count < 1)
      throw protocolError('INVALID_PARTITIONS', `Number of partitions must be a positive integer, got ${String(count)}.`);
    if (count < current) throw protocolError('INVALID_PARTITIONS', `Topic currently has ${current} partitions, which is higher than the requested ${count}.`);
    if (count === current) throw protocolError('INVALID_PARTITIONS', `Topic already has ${current} partitions.`);
    const factor = topic.partitions[0]!.replicas.length;
    let added: number[][];
    if (assignment !== undefined) {
      if (assignment.length !== count - current) {
        throw protocolError(
          'INVALID_REPLICA_ASSIGNMENT',
          `Increasing the number of partitions by ${count - current} but ${assignment.length} assignments provided.`,
        );
      }
      added = this.checkAssignment(name, assignment, current);
      if (added[0]!.length !== factor)
        throw protocolError(
          'INVALID_REPLICA_ASSIGNMENT',
          `Inconsistent replication factor between partitions, partition 0 has ${factor} while partitions [${current}] have replication factors [${added[0]!.length}], respectively.`,
        );
    } else {
      const running = this.brokerList.filter((b) => b.running).map((b) => b.id);
      const firstOfPartition0 = topic.partitions[0]!.replicas[0]!;
      const start = Math.max(
        0,
        running.findIndex((b) => b >= firstOfPartition0),
      );
      added = this.placeOnRegistered(count - current, factor, {}, start, current);
    }
    if (validateOnly) {
      const preview = this.metadataOf(topic);
      return {
        ...preview,
        partitions: [...preview.partitions, ...added.map((replicas, i) => this.partitionMetadata(this.newPartition(topic, current + i, replicas)))],
      };
    }
    added.forEach((replicas, i) => topic.partitions.push(this.newPartition(topic, current + i, replicas)));
    topic.metadata = undefined;
    this.log.record({ type: 'partitions-created', topic: name, from: current, to: count });
    this.wakeWaiters(undefined);
    for (let i = current; i < count; i++) this.electLeader(topic.partitions[i]!);
    return this.metadataOf(topic);
  }

  /** Describes one topic. UNKNOWN_TOPIC_OR_PARTITION when it does not exist. */
  describeTopic(name: string): TopicMetadata {
    return this.metadataOf(this.topic(name));
  }

  /**
   * Metadata for the given topics (all when omitted), as a Metadata request returns it. With
   * `allowAutoTopicCreation` and `auto.create.topics.enable`, unknown topics are created with
   * the broker defaults; otherwise an unknown topic is UNKNOWN_TOPIC_OR_PARTITION.
   */
  metadata(
    topics?: readonly string[],
    { allowAutoTopicCreation = false }: { allowAutoTopicCreation?: boolean } = {},
  ): {
    brokers: BrokerDescription[];
    controllerId: number;
    clusterId: string;
    topics: TopicMetadata[];
  } {
    // Like Kafka, a request for all topics includes internal ones such as __consumer_offsets.
    const names = topics ?? [...this.topicMap.keys()];
    const out: TopicMetadata[] = [];
    for (const name of names) {
      if (!this.topicMap.has(name) && allowAutoTopicCreation && this.config['auto.create.topics.enable']) this.createTopic({ topic: name });
      out.push(this.describeTopic(name));
    }
    return { brokers: this.brokers().filter((b) => b.status !== 'stopped'), controllerId: this.controller(), clusterId: this.clusterId, topics: out };
  }

  /** A partition's full replication state: every replica's offsets and segments. */
  describePartition(topicName: string, partition: number): PartitionDescription {
    const p = this.partition(topicName, partition);
    const leaderLog = p.leader === -1 ? undefined : p.replicaStates.get(p.leader)!.log;
    return {
      ...this.partitionMetadata(p),
      topic: topicName,
      highWatermark: p.highWatermark,
      logStartOffset: leaderLog?.logStartOffset ?? -1,
      logEndOffset: leaderLog?.logEndOffset ?? -1,
      replicaStates: p.replicas.map((b) => {
        const log = p.replicaStates.get(b)!.log;
        return {
          broker: b,
          logStartOffset: log.logStartOffset,
          logEndOffset: log.logEndOffset,
          highWatermark: b === p.leader ? p.highWatermark : log.highWatermark,
          size: log.size,
          segments: log.segments.map((s, i) => ({ baseOffset: s.baseOffset, endOffset: log.segments[i + 1]?.baseOffset ?? log.logEndOffset, size: s.size })),
        };
      }),
    };
  }

  /** A topic's settings with their sources, as DescribeConfigs reports them. */
  describeTopicConfig(name: string): ConfigEntry[] {
    const topic = this.topic(name);
    return (Object.keys(TOPIC_CONFIGS) as TopicConfigName[]).map((key) => {
      const source = topicConfigSource(key, topic.overrides, this.userConfig);
      return { name: key, value: String(topic.config[key]), source, isDefault: source === 'DEFAULT_CONFIG' };
    });
  }

  /**
   * Changes topic settings: each entry sets an override, or removes it when `null` (the value
   * falls back to the broker's). Validates everything before changing anything.
   */
  alterTopicConfig(name: string, changes: Readonly<Record<string, ConfigInput | null>>): void {
    const topic = this.topic(name);
    const sets: Record<string, ConfigInput> = {};
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) {
        if (!(key in TOPIC_CONFIGS)) throw protocolError('INVALID_CONFIG', `Unknown topic config name: ${key}`);
      } else sets[key] = value;
    }
    const parsed = parseTopicOverridesFor(name, sets);
    const overrides = { ...topic.overrides, ...parsed };
    for (const [key, value] of Object.entries(changes)) if (value === null) delete overrides[key as TopicConfigName];
    const wasUnclean = topic.config['unclean.leader.election.enable'];
    topic.overrides = overrides;
    topic.config = resolveTopicConfig(this.config, overrides);
    this.log.record({
      type: 'topic-config-changed',
      topic: name,
      config: Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, v === null ? null : String(v)])),
    });
    // Turning unclean election on lets an offline partition elect an out-of-sync replica now.
    if (!wasUnclean && topic.config['unclean.leader.election.enable']) {
      for (const p of topic.partitions) if (p.leader === -1) this.electLeader(p);
    }
  }

  /**
   * Replaces all of a topic's overrides with `config` (Kafka's non-incremental AlterConfigs):
   * settings not named fall back to the broker's. Validates everything before changing anything.
   */
  replaceTopicConfig(name: string, config: Readonly<Record<string, ConfigInput>>, { validateOnly = false }: { validateOnly?: boolean } = {}): void {
    const topic = this.topic(name);
    const parsed = parseTopicOverridesFor(name, config);
    if (validateOnly) return;
    const changes: Record<string, ConfigInput | null> = { ...parsed };
    for (const key of Object.keys(topic.overrides)) if (!(key in parsed)) changes[key] = null;
    this.alterTopicConfig(name, changes);
  }

  /** A topic's effective settings. */
  topicConfig(name: string): TopicConfig {
    return this.topic(name).config;
  }

  private topic(name: string): Topic {
    const topic = this.topicMap.get(name);
    if (topic === undefined)
      throw protocolError('UNKNOWN_TOPIC_OR_PARTITION', `This server does not host this topic-partition: topic ${String(name)} does not exist`);
    return topic;
  }

  private partition(topicName: string, index: number): Partition {
    const p = this.topic(topicName).partitions[index];
    if (p === undefined || !Number.isInteger(index)) {
      throw protocolError('UNKNOWN_TOPIC_OR_PARTITION', `This server does not host this topic-partition: ${topicName}-${String(index)}`, {
        topic: topicName,
        partition: index,
      });
    }
    return p;
  }

  /** Drops every topic's cached metadata (a broker stopped or started: offline replicas change). */
  private metadataChanged(): void {
    for (const topic of this.topicMap.values()) topic.metadata = undefined;
  }

  /**
   * A topic's metadata, built once per change rather than per request: producers ask for it on
   * every send, and building it is O(partitions). Frozen, since every caller shares it.
   */
  private metadataOf(topic: Topic): TopicMetadata {
    if (topic.metadata !== undefined && this.topicMap.get(topic.name) === topic) return topic.metadata;
    const partitions = Object.freeze(
      topic.partitions.map((p) => {
        const m = this.partitionMetadata(p);
        Object.freeze(m.replicas);
        Object.freeze(m.isr);
        Object.freeze(m.offlineReplicas);
        return Object.freeze(m);
      }),
    );
    const metadata = Object.freeze({ name: topic.name, topicId: topic.id, isInternal: topic.internal, partitions });
    // A topic being built (validateOnly) is not cached: it is not in the cluster.
    if (this.topicMap.get(topic.name) === topic) topic.metadata = metadata;
    return metadata;
  }

  private partitionMetadata(p: Partition): PartitionMetadata {
    return {
      partition: p.index,
      leader: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicas: [...p.replicas],
      isr: [...p.isr],
      offlineReplicas: p.replicas.filter((b) => !this.brokerList[b - 1]!.running),
    };
  }

  // ---------------------------------------------------------------- produce, fetch, offsets

  /**
   * Writes records to a partition's leader. acks=0 resolves at once and reports nothing;
   * acks=1 resolves once the leader has appended; acks=-1 first needs at least
   * `min.insync.replicas` in the ISR (else NOT_ENOUGH_REPLICAS, nothing written) and resolves
   * once every in-sync replica has the records (REQUEST_TIMED_OUT after `timeout`). A rejected
   * request writes nothing.
   */
  produce(request: ProduceRequest): Promise<ProduceResult> {
    const acks = request.acks ?? -1;
    if (acks !== 0) return this.produceAcked(request, acks);
    try {
      this.append(request, 0);
    } catch (e) {
      // acks=0 has no response: broker-side errors are never seen by the producer.
      if (!(e instanceof Error) || !('type' in e)) return Promise.reject(e);
    }
    return Promise.resolve({ topic: request.topic, partition: request.partition, baseOffset: -1, logAppendTime: -1, logStartOffset: -1 });
  }

  private produceAcked(request: ProduceRequest, acks: number): Promise<ProduceResult> {
    let appended: { p: Partition; batch: RecordBatch };
    try {
      appended = this.append(request, acks);
    } catch (e) {
      return Promise.reject(e);
    }
    const { p, batch } = appended;
    const result: ProduceResult = {
      topic: request.topic,
      partition: request.partition,
      baseOffset: batch.baseOffset,
      logAppendTime: batch.timestampType === 'LogAppendTime' ? batch.maxTimestamp : -1,
      logStartOffset: p.replicaStates.get(p.leader)!.log.logStartOffset,
    };
    const requiredOffset = batch.lastOffset + 1;
    if (acks === 1 || p.highWatermark >= requiredOffset) return Promise.resolve(result);
    const timeout = request.timeout ?? 30000;
    return new Promise<ProduceResult>((resolve, reject) => {
      const pending: PendingProduce = {
        requiredOffset,
        resolve: () => resolve(result),
        reject,
        timer: this.clock.schedule(timeout, () => {
          p.waiting = p.waiting.filter((w) => w !== pending);
          reject(
            protocolError(
              'REQUEST_TIMED_OUT',
              `Timed out after ${timeout} ms waiting for the in-sync replicas of ${p.topic.name}-${p.index} to reach offset ${requiredOffset}`,
            ),
          );
        }),
      };
      p.waiting.push(pending);
    });
  }

  private append(request: ProduceRequest, acks: number): { p: Partition; batch: RecordBatch } {
    if (acks !== 0 && acks !== 1 && acks !== -1) throw protocolError('INVALID_REQUIRED_ACKS', `acks must be -1, 0 or 1, got ${String(acks)}`);
    const p = this.partition(request.topic, request.partition);
    this.checkLeader(p, request.broker);
    const records = request.records;
    if (!Array.isArray(records) || records.length === 0) throw protocolError('INVALID_REQUEST', 'A produce request needs at least one record');
    const config = p.topic.config;
    // As Kafka's Partition.appendRecordsToLeader: the ISR is checked before the log validates the batch.
    if (acks === -1 && p.isr.length < this.effectiveMinIsr(p)) {
      throw protocolError(
        'NOT_ENOUGH_REPLICAS',
        `The size of the current ISR [${p.isr.join(', ')}] is insufficient to satisfy the min.isr requirement of ${this.effectiveMinIsr(p)} for partition ${p.topic.name}-${p.index}`,
      );
    }
    const now = this.clock.now();
    const logAppendTime = config['message.timestamp.type'] === 'LogAppendTime';
    const timestamps = p.arena.float64(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const key = r.key ?? null;
      const value = r.value ?? null;
      if ((key !== null && !Buffer.isBuffer(key)) || (value !== null && !Buffer.isBuffer(value))) {
        throw protocolError('INVALID_RECORD', `Record ${i} of ${p.topic.name}-${p.index}: key and value must be Buffers or null`);
      }
      let timestamp = r.timestamp;
      if (logAppendTime || timestamp === undefined || timestamp < 0) timestamp = now;
      else if (!Number.isSafeInteger(timestamp))
        throw protocolError('INVALID_TIMESTAMP', `Record ${i} has timestamp ${String(timestamp)}, which is not an integer number of ms`);
      timestamps[i] = timestamp;
    }
    const leader = p.replicaStates.get(p.leader)!;
    // The batch copies the records' bytes, as a broker's log does: what was sent is what is read.
    const meta = { baseOffset: leader.log.logEndOffset, leaderEpoch: p.leaderEpoch, timestampType: logAppendTime ? 'LogAppendTime' : 'CreateTime' } as const;
    const batch = packBatch(p.arena, records, timestamps, meta, (size) => {
      if (size > config['max.message.bytes']) {
        throw protocolError(
          'MESSAGE_TOO_LARGE',
          `The message is ${size} bytes when serialized which is larger than ${config['max.message.bytes']}, the value of the max.message.bytes configuration of topic ${p.topic.name}.`,
        );
      }
      // As Kafka's UnifiedLog.append: a batch must fit in one segment.
      if (size > config['segment.bytes']) {
        throw protocolError(
          'RECORD_LIST_TOO_LARGE',
          `Message batch size is ${size} bytes in append to partition ${p.topic.name}-${p.index} which exceeds the maximum configured segment size of ${config['segment.bytes']}.`,
        );
      }
    });
    this.appendToReplica(p, leader, batch);
    this.replicate(p);
    return { p, batch };
  }

  private appendToReplica(p: Partition, replica: Replica, batch: RecordBatch): void {
    const rolled = replica.log.append(batch, p.topic.config, this.clock.now());
    if (rolled !== undefined)
      this.log.record({ type: 'segment-rolled', topic: p.topic.name, partition: p.index, broker: replica.broker, baseOffset: batch.baseOffset });
  }

  /** Throws what a client would see when the request cannot reach the partition's leader. */
  private checkLeader(p: Partition, target: number | undefined): void {
    // Built only for an error: this runs on every produce and fetch.
    const where = () => `${p.topic.name}-${p.index}`;
    if (target !== undefined) {
      const broker = this.broker(target);
      if (!broker.running) throw brokerUnreachable(target, 'stopped');
      if (broker.isolated) throw brokerUnreachable(target, 'isolated from the network');
      if (p.leader !== target) {
        if (p.leader === -1) throw protocolError('LEADER_NOT_AVAILABLE', `There is no leader for ${where()}`);
        throw protocolError('NOT_LEADER_FOR_PARTITION', `Broker ${target} is not the leader for ${where()}; the leader is ${p.leader}`);
      }
      return;
    }
    if (p.leader === -1) throw protocolError('LEADER_NOT_AVAILABLE', `There is no leader for ${where()}: no in-sync replica is running`);
    if (this.brokerList[p.leader - 1]!.isolated) throw brokerUnreachable(p.leader, `isolated from the network (it leads ${where()})`);
  }

  /**
   * Reads records from `offset` up to the high watermark. OFFSET_OUT_OF_RANGE when `offset` is
   * below the log start offset or past the log end offset; an offset between the high watermark
   * and the log end returns no records.
   */
  fetch(request: FetchRequest): FetchResult {
    const { ranges, ...rest } = this.fetchRanges(request);
    return { ...rest, records: readRecords(ranges) };
  }

  /**
   * {@link fetch}, with the records left in the log as ranges of batches, for a client that copies
   * them out later (with `copyOut` from emulator/records.ts) straight into its own message shape;
   * the log never changes a batch, so what is copied later is what was fetched.
   */
  fetchRanges(request: FetchRequest): Omit<FetchResult, 'records'> & { readonly ranges: readonly RecordRange[] } {
    const p = this.partition(request.topic, request.partition);
    this.checkLeader(p, request.broker);
    const log = p.replicaStates.get(p.leader)!.log;
    const { offset } = request;
    if (!Number.isInteger(offset) || offset < log.logStartOffset || offset > log.logEndOffset) {
      throw protocolError(
        'OFFSET_OUT_OF_RANGE',
        `Fetch offset ${String(offset)} is out of range for partition ${p.topic.name}-${p.index}: the log holds offsets ${log.logStartOffset} to ${log.logEndOffset}`,
        { topic: p.topic.name, partition: p.index },
      );
    }
    const ranges = log.rangesOf(offset, p.highWatermark, request.maxBytes ?? 1048576, request.maxRecords);
    return {
      topic: p.topic.name,
      partition: p.index,
      highWatermark: p.highWatermark,
      lastStableOffset: p.highWatermark,
      logStartOffset: log.logStartOffset,
      ranges,
    };
  }

  /**
   * A delayed fetch, as Kafka's fetch purgatory holds one: resolves as soon as any of the given
   * partitions' high watermark passes the given offset, when the partition's leadership or the
   * topic changes, or after `maxWaitMs` of cluster time, whichever comes first. Never rejects.
   */
  awaitData(positions: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[], maxWaitMs: number): Promise<void> {
    for (const { topic, partition, offset } of positions) {
      const p = this.topicMap.get(topic)?.partitions[partition];
      if (p === undefined || p.leader === -1 || p.highWatermark > offset) return Promise.resolve();
    }
    const watched = new Set(positions.map((x) => this.topicMap.get(x.topic)!.partitions[x.partition]!));
    return new Promise<void>((resolve) => {
      const waiter: DataWaiter = {
        wake: () => {
          this.dataWaiters.delete(waiter);
          for (const p of watched) {
            const set = this.dataWaitersByPartition.get(p)!;
            set.delete(waiter);
            if (set.size === 0) this.dataWaitersByPartition.delete(p);
          }
          this.clock.cancel(timer);
          resolve();
        },
      };
      const timer = this.clock.schedule(maxWaitMs, waiter.wake);
      this.dataWaiters.add(waiter);
      for (const p of watched) {
        const set = this.dataWaitersByPartition.get(p);
        if (set === undefined) this.dataWaitersByPartition.set(p, new Set([waiter]));
        else set.add(waiter);
      }
    });
  }

  /** Wakes the delayed fetches watching `p`, or all of them when `p` is undefined (a topic or leadership change). */
  private wakeWaiters(p: Partition | undefined): void {
    if (this.dataWaiters.size === 0) return;
    const waiters = p === undefined ? this.dataWaiters : this.dataWaitersByPartition.get(p);
    if (waiters !== undefined) for (const waiter of [...waiters]) waiter.wake();
  }

  /**
   * ListOffsets: `earliest` is the log start offset, `latest` the high watermark, a timestamp
   * the first offset whose record timestamp is at or after it (-1 when none), `max-timestamp`
   * the record with the largest timestamp.
   */
  listOffsets(topicName: string, partition: number, spec: OffsetSpec, broker?: number): { offset: number; timestamp: number } {
    const p = this.partition(topicName, partition);
    this.checkLeader(p, broker);
    const log = p.replicaStates.get(p.leader)!.log;
    if (spec === 'earliest') return { offset: log.logStartOffset, timestamp: -1 };
    if (spec === 'latest') return { offset: p.highWatermark, timestamp: -1 };
    if (spec === 'max-timestamp') return log.maxTimestampOffset(p.highWatermark) ?? { offset: -1, timestamp: -1 };
    if (typeof spec !== 'object' || spec === null || !Number.isFinite(spec.timestamp)) {
      throw protocolError('INVALID_REQUEST', `Unknown offset spec ${JSON.stringify(spec)}: use 'earliest', 'latest', 'max-timestamp' or { timestamp }`);
    }
    return log.offsetForTimestamp(spec.timestamp, p.highWatermark) ?? { offset: -1, timestamp: -1 };
  }

  /**
   * DeleteRecords: moves the log start offset up to `offset` (-1: the high watermark). Offsets
   * above the high watermark are OFFSET_OUT_OF_RANGE. Segments wholly below the new log start are
   * removed at the next retention check. Returns the new log start offset (low watermark).
   */
  deleteRecords(topicName: string, partition: number, offset: number): number {
    const p = this.partition(topicName, partition);
    this.checkLeader(p, undefined);
    const target = offset === -1 ? p.highWatermark : offset;
    if (!Number.isInteger(target) || target < 0 || target > p.highWatermark) {
      throw protocolError(
        'OFFSET_OUT_OF_RANGE',
        `Cannot delete records of ${topicName}-${partition} before offset ${String(offset)}: the high watermark is ${p.highWatermark}`,
        { topic: topicName, partition },
      );
    }
    const leader = p.replicaStates.get(p.leader)!.log;
    if (leader.advanceLogStartOffset(target)) {
      this.log.record({ type: 'records-deleted', topic: topicName, partition, logStartOffset: leader.logStartOffset });
      this.replicate(p);
    }
    return leader.logStartOffset;
  }

  // ---------------------------------------------------------------- replication (controller and followers)

  /**
   * The controller's election for a partition whose leader is gone (or that has none yet): the
   * first running replica in assignment order that is in the ISR; failing that, with unclean
   * election enabled, the first running replica at all (ISR becomes just it); else no leader.
   */
  private electLeader(p: Partition): void {
    const running = (b: number) => this.brokerList[b - 1]!.running;
    const clean = p.replicas.find((b) => running(b) && p.isr.includes(b));
    if (clean !== undefined) {
      this.setLeader(p, clean, 'clean');
      return;
    }
    const unclean = p.topic.config['unclean.leader.election.enable'] ? p.replicas.find(running) : undefined;
    if (unclean !== undefined) {
      const removed = p.isr.filter((b) => b !== unclean);
      p.isr = [unclean];
      p.topic.metadata = undefined;
      if (removed.length > 0)
        this.log.record({ type: 'isr-shrunk', topic: p.topic.name, partition: p.index, isr: [unclean], removed, reason: 'unclean-election' });
      this.setLeader(p, unclean, 'unclean');
      return;
    }
    if (p.leader !== -1 || p.leaderEpoch === -1) {
      const previousLeader = p.leader;
      p.leader = -1;
      p.topic.metadata = undefined;
      this.log.record({
        type: 'leader-changed',
        topic: p.topic.name,
        partition: p.index,
        leader: -1,
        previousLeader,
        leaderEpoch: p.leaderEpoch,
        isr: [...p.isr],
        election: 'none',
      });
      if (p.topic.name === OFFSETS_TOPIC) this.groupCoordinator.onResignation(p.index);
      this.wakeWaiters(p);
    }
  }

  private setLeader(p: Partition, leader: number, election: 'clean' | 'unclean' | 'preferred'): void {
    const previousLeader = p.leader;
    if (previousLeader !== -1 && previousLeader !== leader) {
      this.failWaiting(
        p,
        protocolError('NOT_LEADER_FOR_PARTITION', `Leadership of ${p.topic.name}-${p.index} moved from broker ${previousLeader} to ${leader}`),
      );
    }
    p.leader = leader;
    p.leaderEpoch++;
    p.topic.metadata = undefined;
    const now = this.clock.now();
    const leaderReplica = p.replicaStates.get(leader)!;
    leaderReplica.log.assignEpoch(p.leaderEpoch);
    for (const replica of p.replicaStates.values()) {
      if (replica.broker === leader) continue;
      replica.mustTruncate = true;
      replica.lastCaughtUpTime = now;
    }
    this.log.record({
      type: 'leader-changed',
      topic: p.topic.name,
      partition: p.index,
      leader,
      previousLeader,
      leaderEpoch: p.leaderEpoch,
      isr: [...p.isr],
      election,
    });
    if (p.topic.name === OFFSETS_TOPIC) this.groupCoordinator.onElection(p.index, leader);
    this.wakeWaiters(p);
    // The new leader's high watermark is what its ISR holds; after an unclean election that can be
    // below the old one: the records between are lost, and the event log says so.
    const hw = Math.min(...p.isr.map((b) => p.replicaStates.get(b)!.log.logEndOffset));
    if (hw < p.highWatermark) {
      this.log.record({ type: 'high-watermark-decreased', topic: p.topic.name, partition: p.index, from: p.highWatermark, to: hw });
      p.highWatermark = hw;
      leaderReplica.log.highWatermark = hw;
    }
    this.replicate(p);
  }

  /** Followers that can reach the leader fetch everything it has, then the ISR and HW follow. */
  private replicate(p: Partition): void {
    if (p.leader === -1) return;
    const leaderBroker = this.brokerList[p.leader - 1]!;
    if (leaderBroker.running && !leaderBroker.isolated) {
      for (const b of p.replicas) {
        if (b === p.leader) continue;
        const broker = this.brokerList[b - 1]!;
        if (broker.running && !broker.isolated) this.fetchAsFollower(p, p.replicaStates.get(b)!);
      }
    }
    this.updateHighWatermark(p);
  }

  private fetchAsFollower(p: Partition, follower: Replica): void {
    const leaderLog = p.replicaStates.get(p.leader)!.log;
    const log = follower.log;
    const now = this.clock.now();
    if (follower.mustTruncate) {
      // Kafka's OffsetsForLeaderEpoch: cut the follower's log back to where it and the new
      // leader's agree. This is where an unclean election's data loss becomes visible.
      follower.mustTruncate = false;
      const answer = leaderLog.endOffsetForEpoch(log.latestEpoch);
      const target = answer.epoch === -1 ? log.highWatermark : Math.min(answer.endOffset, log.endOffsetForEpoch(answer.epoch).endOffset);
      if (target >= 0 && target < log.logEndOffset) this.truncate(p, follower, target);
    }
    if (log.logEndOffset < leaderLog.logStartOffset || log.logEndOffset > leaderLog.logEndOffset) {
      const from = log.logEndOffset;
      log.truncateFullyAndStartAt(leaderLog.logStartOffset, now);
      if (from > leaderLog.logEndOffset) {
        this.log.record({
          type: 'log-truncated',
          topic: p.topic.name,
          partition: p.index,
          broker: follower.broker,
          from,
          to: log.logEndOffset,
          records: from - log.logEndOffset,
        });
      }
    }
    for (const batch of leaderLog.batchesFrom(log.logEndOffset)) {
      const from = log.logEndOffset;
      this.appendToReplica(p, follower, sliceBatch(batch, from - batch.baseOffset));
    }
    log.advanceLogStartOffset(leaderLog.logStartOffset);
    if (log.logEndOffset === leaderLog.logEndOffset) follower.lastCaughtUpTime = now;
    log.highWatermark = Math.min(p.highWatermark, log.logEndOffset);
    // A caught-up follower rejoins the ISR once it holds everything up to the high watermark
    // and the leader's current epoch.
    if (!p.isr.includes(follower.broker) && log.logEndOffset >= p.highWatermark && log.logEndOffset >= leaderLog.latestEpochStartOffset) {
      this.setIsr(p, sortByReplicaOrder(p, [...p.isr, follower.broker]), { added: follower.broker });
    }
  }

  private truncate(p: Partition, replica: Replica, offset: number): void {
    const from = replica.log.logEndOffset;
    const records = replica.log.truncateTo(offset, this.clock.now());
    this.log.record({ type: 'log-truncated', topic: p.topic.name, partition: p.index, broker: replica.broker, from, to: replica.log.logEndOffset, records });
  }

  private setIsr(p: Partition, isr: number[], change: { removed: number[]; reason: 'lagging' | 'broker-stopped' } | { added: number }): void {
    p.isr = isr;
    p.topic.metadata = undefined;
    if ('added' in change) this.log.record({ type: 'isr-expanded', topic: p.topic.name, partition: p.index, isr: [...isr], added: change.added });
    else this.log.record({ type: 'isr-shrunk', topic: p.topic.name, partition: p.index, isr: [...isr], removed: change.removed, reason: change.reason });
  }

  /**
   * Kafka 3.9's effective min ISR (KIP-966): `min.insync.replicas`, capped at the replication
   * factor, so a topic with fewer replicas than the setting still takes acks=all writes.
   */
  private effectiveMinIsr(p: Partition): number {
    return Math.min(p.topic.config['min.insync.replicas'], p.replicas.length);
  }

  /**
   * HW = the smallest log end offset in the ISR. Never moves back here; acks=all writes complete as
   * it moves. As Kafka 3.7+ (KIP-966): it does not move while the ISR is below the effective min ISR.
   */
  private updateHighWatermark(p: Partition): void {
    if (p.leader === -1 || p.isr.length < this.effectiveMinIsr(p)) return;
    let hw = Infinity;
    for (const b of p.isr) hw = Math.min(hw, p.replicaStates.get(b)!.log.logEndOffset);
    if (hw === Infinity || hw <= p.highWatermark) return;
    p.highWatermark = hw;
    this.wakeWaiters(p);
    p.replicaStates.get(p.leader)!.log.highWatermark = hw;
    const leaderBroker = this.brokerList[p.leader - 1]!;
    if (!leaderBroker.isolated) {
      for (const b of p.isr) {
        if (b === p.leader) continue;
        const log = p.replicaStates.get(b)!.log;
        if (!this.brokerList[b - 1]!.isolated) log.highWatermark = Math.min(hw, log.logEndOffset);
      }
    }
    if (p.waiting.length === 0) return;
    const minIsr = this.effectiveMinIsr(p);
    const still: PendingProduce[] = [];
    for (const w of p.waiting) {
      if (w.requiredOffset > hw) {
        still.push(w);
        continue;
      }
      this.clock.cancel(w.timer);
      if (p.isr.length < minIsr) {
        w.reject(
          protocolError(
            'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
            `The records were written to ${p.topic.name}-${p.index} but the ISR [${p.isr.join(', ')}] shrank below min.insync.replicas=${minIsr}`,
          ),
        );
      } else w.resolve();
    }
    p.waiting = still;
  }

  private failWaiting(p: Partition, error: KafkaJSError): void {
    for (const w of p.waiting) {
      this.clock.cancel(w.timer);
      w.reject(error);
    }
    p.waiting = [];
  }

  /**
   * The leader's periodic ISR check (every `replica.lag.time.max.ms / 2`, as in Kafka): a
   * follower is out of sync when the leader has records it lacks and it has not caught up for
   * longer than `replica.lag.time.max.ms`. A follower with everything stays, fetching or not.
   */
  private shrinkLaggingIsrs(): void {
    const now = this.clock.now();
    const maxLag = this.config['replica.lag.time.max.ms'];
    for (const topic of this.topicMap.values()) {
      for (const p of topic.partitions) {
        if (p.leader === -1 || !this.brokerList[p.leader - 1]!.running) continue;
        const leaderEnd = p.replicaStates.get(p.leader)!.log.logEndOffset;
        const lagging = p.isr.filter((b) => {
          if (b === p.leader) return false;
          const r = p.replicaStates.get(b)!;
          return r.log.logEndOffset < leaderEnd && now - r.lastCaughtUpTime > maxLag;
        });
        if (lagging.length === 0) continue;
        this.setIsr(
          p,
          p.isr.filter((b) => !lagging.includes(b)),
          { removed: lagging, reason: 'lagging' },
        );
        this.updateHighWatermark(p);
      }
    }
  }

  /** `auto.leader.rebalance.enable`: leadership returns to the first replica once it is back in sync. */
  private electPreferredLeaders(): void {
    for (const topic of this.topicMap.values()) {
      for (const p of topic.partitions) {
        const preferred = p.replicas[0]!;
        if (p.leader !== preferred && p.leader !== -1 && this.brokerList[preferred - 1]!.running && p.isr.includes(preferred)) {
          this.setLeader(p, preferred, 'preferred');
        }
      }
    }
  }

  // ---------------------------------------------------------------- retention and timers

  private scheduleRetention(broker: Broker, delay: number): void {
    broker.retentionTimer = this.clock.schedule(delay, () => {
      broker.retentionTimer = undefined;
      if (!broker.running || this.closed) return;
      this.applyRetention(broker.id);
      this.scheduleRetention(broker, this.config['log.retention.check.interval.ms']);
    });
  }

  /** One broker's retention pass over every replica it hosts. */
  private applyRetention(brokerId: number): void {
    const now = this.clock.now();
    for (const topic of this.topicMap.values()) {
      for (const p of topic.partitions) {
        const replica = p.replicaStates.get(brokerId);
        if (replica === undefined) continue;
        if (p.leader === brokerId) replica.log.highWatermark = p.highWatermark;
        for (const d of replica.log.applyRetention(topic.config, now)) {
          this.log.record({
            type: 'segment-deleted',
            topic: topic.name,
            partition: p.index,
            broker: brokerId,
            baseOffset: d.baseOffset,
            endOffset: d.endOffset,
            size: d.size,
            maxTimestamp: d.maxTimestamp,
            reason: d.reason,
            logStartOffset: replica.log.logStartOffset,
          });
        }
      }
    }
  }

  private schedulePeriodic(interval: number, fn: () => void): void {
    const slot = this.periodic.length;
    const tick = () => {
      if (this.closed) return;
      fn();
      this.periodic[slot] = this.clock.schedule(interval, tick);
    };
    this.periodic.push(this.clock.schedule(interval, tick));
  }
}

function statusOf(b: Broker): BrokerDescription['status'] {
  if (!b.running) return 'stopped';
  return b.isolated ? 'isolated' : 'running';
}

function sortByReplicaOrder(p: Partition, brokers: number[]): number[] {
  return brokers.sort((a, b) => p.replicas.indexOf(a) - p.replicas.indexOf(b));
}

function parseTopicOverridesFor(topic: string, config: Readonly<Record<string, unknown>>): Partial<Record<TopicConfigName, ConfigInput>> {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw protocolError('INVALID_CONFIG', `Topic config for ${topic} must be an object of settings`, { topic });
  }
  try {
    return parseTopicOverrides(config);
  } catch (e) {
    if (e instanceof Error) throw protocolError('INVALID_CONFIG', e.message, { topic });
    throw e;
  }
}
