/**
 * Topics as Kafka's requests reach them: CreateTopics (with KRaft's replica placement),
 * DeleteTopics, CreatePartitions, and Metadata (with auto-creation), plus the twin's views of a
 * topic and a partition. A topic's metadata is built once per change and cached, since producers
 * ask for it on every send. Each request answers the topic's error where Kafka's response puts
 * it, and a rejected request changes nothing.
 */
import { failure, NONE, type Failure } from '../protocol/errors.js';
import { isConfigFailure, resolveTopicConfig, type ConfigInput, type TopicConfigName } from './config.js';
import { activeController, describeBrokers, electLeader, type BrokerDescription } from './controller.js';
import { OFFSETS_TOPIC } from './groups/port.js';
import { TRANSACTION_STATE_TOPIC } from './transactions/port.js';
import { ReplicaLog } from './log.js';
import { failDelayedProduces, wakeDelayedFetches } from './purgatory.js';
import { ByteArena } from './records.js';
import {
  failed,
  isRunning,
  partitionOf,
  topicOf,
  type Answer,
  type EngineState,
  type Partition,
  type PartitionMetadata,
  type Replica,
  type Topic,
  type TopicMetadata,
} from './state.js';
import { parseTopicOverridesFor } from './topic-config.js';
import { collidingTopic, invalidTopicName, placeReplicas } from './topic-rules.js';

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

/** One replica's log, for tests, the CLI and teaching. */
export interface ReplicaDescription {
  readonly broker: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly size: number;
  readonly segments: readonly { readonly baseOffset: number; readonly endOffset: number; readonly size: number }[];
}

/** A partition's full replication state, or the error for a partition the cluster does not have. */
export interface PartitionDescription extends PartitionMetadata, Answer {
  readonly topic: string;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly replicaStates: readonly ReplicaDescription[];
}

/** Metadata's answer: the live brokers, the controller, and each topic asked for with its error. */
export interface MetadataAnswer {
  readonly brokers: BrokerDescription[];
  readonly controllerId: number;
  readonly clusterId: string;
  readonly topics: TopicMetadata[];
}

/** DeleteTopics' answer for one topic. */
export interface DeleteTopicAnswer extends Answer {
  readonly name: string;
}

const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);
/** Kafka's Uuid.ZERO_UUID: the topic id of an answer about a topic that was not created. */
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** The answer about a topic that failed: no id, no partitions, the error. */
function topicFailure(name: string, error: Failure): TopicMetadata {
  return { name, topicId: ZERO_UUID, isInternal: false, partitions: [], ...error };
}

/**
 * Creates a topic. Answers, leaving the cluster unchanged: an illegal or colliding name
 * (INVALID_TOPIC_EXCEPTION), an existing one (TOPIC_ALREADY_EXISTS), a partition count below 1
 * (INVALID_PARTITIONS), a replication factor below 1 or above the registered brokers
 * (INVALID_REPLICATION_FACTOR), a bad assignment (INVALID_REPLICA_ASSIGNMENT), a bad setting
 * (INVALID_CONFIG). With `validateOnly`, checks everything and creates nothing.
 */
export function createTopic(s: EngineState, options: CreateTopicOptions, { validateOnly = false }: { validateOnly?: boolean } = {}): TopicMetadata {
  const name = options.topic;
  const invalid = invalidTopicName(name);
  if (invalid !== undefined) return topicFailure(name, invalid);
  if (s.topics.has(name)) return topicFailure(name, failure('TOPIC_ALREADY_EXISTS', `Topic '${name}' already exists.`));
  const collision = collidingTopic(name, s.topics.keys());
  if (collision !== undefined) return topicFailure(name, failure('INVALID_TOPIC_EXCEPTION', `Topic '${name}' collides with existing topic: ${collision}`));
  const overrides = parseTopicOverridesFor(name, options.config ?? {});
  if (isConfigFailure(overrides)) return topicFailure(name, overrides);
  const assignment = assignmentFor(s, name, options);
  if (isAnswer(assignment)) return topicFailure(name, assignment);
  if (validateOnly) return metadataOf(s, buildTopic(s, name, assignment, overrides));
  const topic = buildTopic(s, name, assignment, overrides);
  s.topics.set(name, topic);
  s.log.record({ type: 'topic-created', topic: name, partitions: assignment.length, replicationFactor: assignment[0]!.length, assignment });
  if (name === OFFSETS_TOPIC) s.coordinator?.onOffsetsTopicCreated(assignment.length);
  if (name === TRANSACTION_STATE_TOPIC) s.txnCoordinator?.onTransactionStateTopicCreated(assignment.length);
  for (const p of topic.partitions) electLeader(s, p);
  return metadataOf(s, topic);
}

function isAnswer(x: number[][] | Failure): x is Failure {
  return !Array.isArray(x);
}

function assignmentFor(s: EngineState, name: string, options: CreateTopicOptions): number[][] | Failure {
  if (options.replicaAssignment !== undefined) {
    if ((options.numPartitions ?? -1) !== -1 || (options.replicationFactor ?? -1) !== -1) {
      return failure('INVALID_REQUEST', 'Both numPartitions or replicationFactor and replicaAssignment were set. Both cannot be used at the same time.');
    }
    return checkAssignment(s, options.replicaAssignment, 0);
  }
  const partitions = options.numPartitions ?? -1;
  const rf = options.replicationFactor ?? -1;
  if (!Number.isInteger(partitions) || (partitions < 1 && partitions !== -1)) {
    return failure('INVALID_PARTITIONS', `Number of partitions was set to an invalid non-positive value (${String(partitions)}) for topic ${name}.`);
  }
  if (!Number.isInteger(rf) || (rf < 1 && rf !== -1)) {
    return failure('INVALID_REPLICATION_FACTOR', `Replication factor must be larger than 0, or -1 to use the default value (got ${String(rf)}).`);
  }
  const count = partitions === -1 ? s.config['num.partitions'] : partitions;
  const factor = rf === -1 ? s.config['default.replication.factor'] : rf;
  return placeOnRegistered(s, count, factor);
}

/**
 * KRaft's replica placement: every registered broker counts, stopped (fenced) ones too, so the
 * replication factor may not exceed the broker count (INVALID_REPLICATION_FACTOR) and at least
 * one broker must run. Running brokers are placed first (a partition is led by one); stopped
 * brokers only fill what the running ones cannot, as the last replicas, out of the ISR.
 */
function placeOnRegistered(s: EngineState, count: number, factor: number, start = -1, startPartition = 0): number[][] | Failure {
  const running = s.brokers.filter((b) => b.running).map((b) => b.id);
  const stopped = s.brokers.filter((b) => !b.running).map((b) => b.id);
  if (factor > s.brokers.length) {
    return failure(
      'INVALID_REPLICATION_FACTOR',
      `Unable to replicate the partition ${factor} time(s): The target replication factor of ${factor} cannot be reached because only ${s.brokers.length} broker(s) are registered.`,
    );
  }
  if (running.length === 0) return failure('INVALID_REPLICATION_FACTOR', 'Unable to replicate the partition: All brokers are currently fenced.');
  const live = Math.min(factor, running.length);
  return placeReplicas(running, count, live, s.random, start, startPartition).map((replicas) => [...replicas, ...stopped.slice(0, factor - live)]);
}

function checkAssignment(s: EngineState, assignment: readonly (readonly number[])[], firstPartition: number): number[][] | Failure {
  const bad = (why: string) => failure('INVALID_REPLICA_ASSIGNMENT', why);
  if (!Array.isArray(assignment) || assignment.length === 0) return bad('The replica assignment must list at least one partition.');
  const factor = (assignment[0] as readonly number[] | undefined)?.length;
  const out: number[][] = [];
  for (let i = 0; i < assignment.length; i++) {
    const replicas = assignment[i]!;
    if (!Array.isArray(replicas) || replicas.length === 0) return bad(`Partition ${firstPartition + i} has an empty replica list.`);
    if (replicas.length !== factor) return bad('All partitions should have the same number of replicas');
    if (new Set(replicas).size !== replicas.length)
      return bad(`Duplicate brokers are not allowed in replica assignment: ${replicas.join(', ')} for partition id ${firstPartition + i}.`);
    for (const b of replicas) {
      if (typeof b !== 'number' || !s.brokersById.has(b))
        return bad(`Replica assignment for partition ${firstPartition + i} names broker ${String(b)}, which is not registered.`);
    }
    out.push([...replicas]);
  }
  return out;
}

function buildTopic(s: EngineState, name: string, assignment: readonly (readonly number[])[], overrides: Partial<Record<TopicConfigName, ConfigInput>>): Topic {
  const topic: Topic = {
    name,
    id: s.random.kafkaId(),
    internal: INTERNAL_TOPICS.has(name),
    partitions: [],
    overrides,
    config: resolveTopicConfig(s.config, overrides),
  };
  assignment.forEach((replicas, index) => topic.partitions.push(newPartition(s, topic, index, replicas)));
  return topic;
}

function newPartition(s: EngineState, topic: Topic, index: number, replicas: readonly number[]): Partition {
  const now = s.clock.now();
  const replicaStates = new Map<number, Replica>();
  for (const b of replicas) replicaStates.set(b, { broker: b, log: new ReplicaLog(0, now), lastCaughtUpTime: now, mustTruncate: false });
  // Replicas on stopped brokers are not in the ISR a new partition starts with.
  const live = replicas.filter((b) => isRunning(s, b));
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
export function deleteTopic(s: EngineState, name: string): DeleteTopicAnswer {
  const topic = topicOf(s, name);
  if (failed(topic)) return { name, ...topic };
  if (!s.config['delete.topic.enable'])
    return { name, ...failure('TOPIC_DELETION_DISABLED', `Topic ${name} cannot be deleted: topic deletion is disabled (delete.topic.enable=false).`) };
  for (const p of topic.partitions) failDelayedProduces(s, p, failure('UNKNOWN_TOPIC_OR_PARTITION', `Topic ${name} was deleted`));
  s.topics.delete(name);
  s.log.record({ type: 'topic-deleted', topic: name });
  s.coordinator?.onTopicDeleted(name);
  if (name === TRANSACTION_STATE_TOPIC) s.txnCoordinator?.onTransactionStateTopicDeleted();
  wakeDelayedFetches(s, undefined);
  return { name, errorCode: NONE, errorMessage: null };
}

/**
 * Grows a topic to `count` partitions. Partitions can be added but never removed: a count at
 * or below the current one is INVALID_PARTITIONS.
 */
export function createPartitions(
  s: EngineState,
  name: string,
  count: number,
  assignment?: readonly (readonly number[])[],
  { validateOnly = false }: { validateOnly?: boolean } = {},
): TopicMetadata {
  const topic = topicOf(s, name);
  if (failed(topic)) return topicFailure(name, topic);
  const current = topic.partitions.length;
  const refuse = (error: Failure) => topicFailure(name, error);
  if (!Number.isInteger(count) || count < 1) return refuse(failure('INVALID_PARTITIONS', `Number of partitions must be a positive integer, got ${String(count)}.`));
  if (count < current) return refuse(failure('INVALID_PARTITIONS', `Topic currently has ${current} partitions, which is higher than the requested ${count}.`));
  if (count === current) return refuse(failure('INVALID_PARTITIONS', `Topic already has ${current} partitions.`));
  const factor = topic.partitions[0]!.replicas.length;
  let added: number[][] | Failure;
  if (assignment !== undefined) {
    const given = (assignment as { length?: unknown } | null)?.length;
    if (given !== count - current) {
      return refuse(failure('INVALID_REPLICA_ASSIGNMENT', `Increasing the number of partitions by ${count - current} but ${String(given)} assignments provided.`));
    }
    added = checkAssignment(s, assignment, current);
    if (isAnswer(added)) return refuse(added);
    if (added[0]!.length !== factor)
      return refuse(
        failure(
          'INVALID_REPLICA_ASSIGNMENT',
          `Inconsistent replication factor between partitions, partition 0 has ${factor} while partitions [${current}] have replication factors [${added[0]!.length}], respectively.`,
        ),
      );
  } else {
    const running = s.brokers.filter((b) => b.running).map((b) => b.id);
    const firstOfPartition0 = topic.partitions[0]!.replicas[0]!;
    const start = Math.max(
      0,
      running.findIndex((b) => b >= firstOfPartition0),
    );
    added = placeOnRegistered(s, count - current, factor, start, current);
    if (isAnswer(added)) return refuse(added);
  }
  if (validateOnly) {
    const preview = metadataOf(s, topic);
    return {
      ...preview,
      partitions: [...preview.partitions, ...added.map((replicas, i) => partitionMetadata(s, newPartition(s, topic, current + i, replicas)))],
    };
  }
  added.forEach((replicas, i) => topic.partitions.push(newPartition(s, topic, current + i, replicas)));
  topic.metadata = undefined;
  s.log.record({ type: 'partitions-created', topic: name, from: current, to: count });
  wakeDelayedFetches(s, undefined);
  for (let i = current; i < count; i++) electLeader(s, topic.partitions[i]!);
  return metadataOf(s, topic);
}

/** Describes one topic; UNKNOWN_TOPIC_OR_PARTITION when it does not exist. */
export function describeTopic(s: EngineState, name: string): TopicMetadata {
  const topic = topicOf(s, name);
  return failed(topic) ? topicFailure(name, topic) : metadataOf(s, topic);
}

/**
 * Metadata for the given topics (all when omitted). With `allowAutoTopicCreation` and
 * `auto.create.topics.enable`, unknown topics are created with the broker defaults (each topic's
 * creation error, such as INVALID_TOPIC_EXCEPTION, is its answer); otherwise an unknown topic is
 * answered UNKNOWN_TOPIC_OR_PARTITION. As Kafka, every topic asked for is answered, each with its
 * own error.
 */
export function metadata(s: EngineState, topics: readonly string[] | undefined, { allowAutoTopicCreation = false }: { allowAutoTopicCreation?: boolean } = {}): MetadataAnswer {
  // Like Kafka, a request for all topics includes internal ones such as __consumer_offsets.
  const names = topics ?? [...s.topics.keys()];
  const out: TopicMetadata[] = [];
  for (const name of names) {
    if (!s.topics.has(name) && allowAutoTopicCreation && s.config['auto.create.topics.enable']) {
      const created = createTopic(s, { topic: name });
      if (created.errorCode !== NONE) {
        out.push(created);
        continue;
      }
    }
    out.push(describeTopic(s, name));
  }
  return { brokers: describeBrokers(s).filter((b) => b.status !== 'stopped'), controllerId: activeController(s), clusterId: s.clusterId, topics: out };
}

/** A partition's full replication state: every replica's offsets and segments. */
export function describePartition(s: EngineState, topicName: string, partition: number): PartitionDescription {
  const p = partitionOf(s, topicName, partition);
  if (failed(p)) {
    return {
      topic: topicName,
      partition,
      leader: -1,
      leaderEpoch: -1,
      replicas: [],
      isr: [],
      offlineReplicas: [],
      highWatermark: -1,
      logStartOffset: -1,
      logEndOffset: -1,
      replicaStates: [],
      ...p,
    };
  }
  const leaderLog = p.leader === -1 ? undefined : p.replicaStates.get(p.leader)!.log;
  return {
    ...partitionMetadata(s, p),
    topic: topicName,
    errorCode: NONE,
    errorMessage: null,
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
        segments: log.segments.map((seg, i) => ({ baseOffset: seg.baseOffset, endOffset: log.segments[i + 1]?.baseOffset ?? log.logEndOffset, size: seg.size })),
      };
    }),
  };
}

/**
 * A topic's metadata, built once per change rather than per request: producers ask for it on
 * every send, and building it is O(partitions). Frozen, since every caller shares it.
 */
function metadataOf(s: EngineState, topic: Topic): TopicMetadata {
  if (topic.metadata !== undefined && s.topics.get(topic.name) === topic) return topic.metadata;
  const partitions = Object.freeze(
    topic.partitions.map((p) => {
      const m = partitionMetadata(s, p);
      Object.freeze(m.replicas);
      Object.freeze(m.isr);
      Object.freeze(m.offlineReplicas);
      return Object.freeze(m);
    }),
  );
  const built = Object.freeze({ name: topic.name, topicId: topic.id, isInternal: topic.internal, partitions, errorCode: NONE, errorMessage: null });
  // A topic being built (validateOnly) is not cached: it is not in the cluster.
  if (s.topics.get(topic.name) === topic) topic.metadata = built;
  return built;
}

function partitionMetadata(s: EngineState, p: Partition): PartitionMetadata {
  return {
    partition: p.index,
    leader: p.leader,
    leaderEpoch: p.leaderEpoch,
    replicas: [...p.replicas],
    isr: [...p.isr],
    offlineReplicas: p.replicas.filter((b) => !isRunning(s, b)),
  };
}
