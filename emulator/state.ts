/**
 * The engine's state, and no request of its own: the records of brokers, topics, partitions and
 * replicas, the one object holding them with the clock, settings, seed and event log, and the
 * lookups every request starts with (the topic, the partition, and the leader check that answers
 * NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, or no answer from a broker that cannot be reached).
 *
 * Expected outcomes are data here and in every request module: a lookup answers a Failure
 * (protocol/errors.ts) rather than throwing. Only a programming error throws, such as a broker id
 * the cluster does not have.
 */
import type { MetadataPartition } from '../protocol/hashing.js';
import { failure, unreachable, type Failure, type Unreachable } from '../protocol/errors.js';
import type { Clock, TimerId } from './clock.js';
import type { BrokerConfig, ConfigInput, TopicConfig, TopicConfigName } from './config.js';
import { EventLog } from './events.js';
import { FaultTable } from './faults.js';
import type { ReplicaLog } from './log.js';
import type { Random } from './random.js';
import type { ByteArena } from './records.js';

/**
 * The error part of every engine answer, where Kafka's response puts one: the code (0: none), a
 * message naming the problem (null on success), and for NETWORK_EXCEPTION the broker that could
 * not be reached (no answer at all: the client sees a connection error).
 */
export interface Answer {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly broker?: number;
}

/**
 * One partition as metadata describes it: leader (-1 when offline, Metadata's LEADER_NOT_AVAILABLE),
 * leader epoch, replicas, ISR, and the replicas on stopped brokers. The same facts a Metadata
 * response's partition holds, whose hash orders kafkajs's partition lists (protocol/hashing.ts).
 */
export type PartitionMetadata = MetadataPartition;

/** A topic as metadata describes it, with the topic's error as Metadata and CreateTopics answer it. */
export interface TopicMetadata extends Answer {
  readonly name: string;
  readonly topicId: string;
  readonly isInternal: boolean;
  readonly partitions: readonly PartitionMetadata[];
}

export interface Broker {
  readonly id: number;
  running: boolean;
  isolated: boolean;
  retentionTimer: TimerId | undefined;
  /** The log cleaner's next run (every `log.cleaner.backoff.ms`); see emulator/cleaner.ts. */
  cleanerTimer: TimerId | undefined;
}

export interface Replica {
  readonly broker: number;
  log: ReplicaLog;
  /** When this follower last had everything its leader had. */
  lastCaughtUpTime: number;
  /** Set on every leader change: the follower must reconcile its log with the new leader's first. */
  mustTruncate: boolean;
}

/** An acks=all write in the produce purgatory, waiting for the high watermark to reach its end. */
export interface DelayedProduce {
  readonly requiredOffset: number;
  /** Answers the request: no failure when the ISR has the records. */
  readonly complete: (error: Failure | undefined) => void;
  timer: TimerId;
}

/** A delayed fetch in the fetch purgatory, see `awaitData`. */
export interface DelayedFetch {
  readonly wake: () => void;
}

/**
 * A reassignment in progress (AlterPartitionReassignments), as Kafka's partition registration
 * holds it: `replicas` is then the target replicas followed by the ones being removed.
 */
export interface ReassignmentState {
  /** Target replicas that were not replicas before, in ascending id order. */
  readonly adding: readonly number[];
  /** Replicas that are not targets, in ascending id order: they go once the targets are in sync. */
  readonly removing: readonly number[];
}

export interface Partition {
  readonly topic: Topic;
  readonly index: number;
  /** The assignment; replaced (never mutated) when a reassignment starts, completes or is cancelled. */
  replicas: readonly number[];
  /** The reassignment in progress, if any (emulator/reassignment.ts). */
  reassignment?: ReassignmentState;
  readonly replicaStates: Map<number, Replica>;
  leader: number;
  leaderEpoch: number;
  isr: number[];
  highWatermark: number;
  waiting: DelayedProduce[];
  /** Where the partition's batches keep their bytes; every replica shares the leader's batches. */
  readonly arena: ByteArena;
}

export interface Topic {
  readonly name: string;
  readonly id: string;
  readonly internal: boolean;
  readonly partitions: Partition[];
  overrides: Partial<Record<TopicConfigName, ConfigInput>>;
  config: TopicConfig;
  /** The topic's metadata as last built; dropped whenever a leader, ISR, partition or broker changes. */
  metadata?: TopicMetadata;
}

/**
 * Everything the engine knows, in one object that only the engine's request and controller
 * functions mutate; `Engine` owns the one instance.
 */
/** What the engine tells the group coordinator: `__consumer_offsets` came to be, its partitions' leaders moved, a topic went. */
export interface CoordinatorHooks {
  onOffsetsTopicCreated(partitions: number): void;
  onElection(offsetsPartition: number, leader: number): void;
  onResignation(offsetsPartition: number): void;
  onTopicDeleted(topic: string): void;
}

/**
 * What the engine tells the transaction coordinator (emulator/transactions): `__transaction_state`
 * came to be, its partitions' leaders moved (the leader epoch is the coordinator epoch markers
 * carry), it went.
 */
export interface TxnCoordinatorHooks {
  onTransactionStateTopicCreated(partitions: number): void;
  onElection(partition: number, leader: number, coordinatorEpoch: number): void;
  onResignation(partition: number): void;
  onTransactionStateTopicDeleted(): void;
  /** KIP-890 verification of a write that would open a transaction on a partition; undefined: go on. */
  verifyTransactionalWrite(producerId: number, producerEpoch: number, topic: string, partition: number): Failure | undefined;
}

export class EngineState {
  /** The cluster id (22 characters, like Kafka's), drawn from the seed before anything else. */
  readonly clusterId: string;
  /** The brokers in id order (Kafka places replicas over the sorted broker list). */
  readonly brokers: Broker[];
  /** The same brokers by id: every request looks up the leader's broker, so this must be O(1). */
  readonly brokersById: ReadonlyMap<number, Broker>;
  readonly topics = new Map<string, Topic>();
  readonly log: EventLog;
  /** The periodic tasks' current timers (ISR check, preferred-leader check), by slot. */
  readonly periodic: TimerId[] = [];
  /** The fetch purgatory: woken when a watched partition gets data. */
  readonly delayedFetches = new Set<DelayedFetch>();
  /** The same delayed fetches by watched partition, so new data on one partition wakes its waiters without visiting every other. */
  readonly delayedFetchesByPartition = new Map<Partition, Set<DelayedFetch>>();
  closed = false;
  /**
   * The group coordinator's leadership hooks, called right after the event that records each
   * change (so the log keeps its order): Kafka's broker tells its coordinators of elections the same way.
   */
  coordinator: CoordinatorHooks | undefined;
  /** The transaction coordinator's hooks, called as {@link coordinator}'s are. */
  txnCoordinator: TxnCoordinatorHooks | undefined;
  /** Injected request faults and latencies (faults.ts), which the front ends consult per request. */
  readonly faults: FaultTable;
  /**
   * Called after followers fetched and the ISR may have grown, for a partition being reassigned:
   * the controller completes the reassignment once its target replicas are all in sync
   * (emulator/reassignment.ts; a hook, since replication must not import the controller).
   */
  afterIsrExpansion: ((p: Partition) => void) | undefined = undefined;
  /**
   * Producer ids: as Kafka's controller (ProducerIdControlManager), each broker takes blocks of
   * 1000 consecutive ids from one cluster-wide counter, the first block starting at 0, and hands
   * them out in order; the broker's current block by broker id.
   */
  readonly producerIdBlocks = new Map<number, { next: number; end: number }>();
  nextProducerIdBlock = 0;

  constructor(
    readonly clock: Clock,
    readonly config: BrokerConfig,
    /** The broker settings as the user gave them: DescribeConfigs reports them as STATIC_BROKER_CONFIG. */
    readonly userConfig: Readonly<Record<string, unknown>>,
    readonly random: Random,
    /** Distinct broker ids (validated by the engine's constructor), in any order. */
    brokerIds: readonly number[],
  ) {
    this.clusterId = random.kafkaId();
    this.log = new EventLog(() => clock.now());
    this.brokers = [...brokerIds].sort((a, b) => a - b).map((id) => ({ id, running: true, isolated: false, retentionTimer: undefined, cleanerTimer: undefined }));
    this.brokersById = new Map(this.brokers.map((b) => [b.id, b]));
    this.faults = new FaultTable(this.log, (id) => this.brokersById.has(id));
  }
}

const MAX_BROKERS = 1000;
const MAX_BROKER_ID = 2 ** 31 - 1;

/** The broker ids `brokers` and `brokerIds` describe together; a RangeError or TypeError naming the problem. */
export function checkBrokerIds(brokers: unknown, brokerIds: unknown): number[] {
  if (brokers !== undefined && (!Number.isInteger(brokers) || (brokers as number) < 1 || (brokers as number) > MAX_BROKERS)) {
    throw new RangeError(`brokers must be an integer from 1 to ${MAX_BROKERS}, got ${String(brokers)}`);
  }
  if (brokerIds === undefined) return Array.from({ length: (brokers as number | undefined) ?? 1 }, (_, i) => i + 1);
  if (!Array.isArray(brokerIds)) throw new TypeError(`brokerIds must be an array of broker ids, got ${typeof brokerIds}`);
  const ids = brokerIds as unknown[];
  if (ids.length === 0 || ids.length > MAX_BROKERS) throw new RangeError(`brokerIds must list 1 to ${MAX_BROKERS} broker ids, got ${ids.length}`);
  for (const id of ids) {
    if (typeof id !== 'number') throw new TypeError(`brokerIds must hold numbers, got ${JSON.stringify(id) ?? String(id)} (${typeof id})`);
    if (!Number.isInteger(id) || id < 0 || id > MAX_BROKER_ID) {
      throw new RangeError(`brokerIds must hold integers from 0 to ${MAX_BROKER_ID} (Kafka's node.id), got ${String(id)}`);
    }
  }
  const seen = new Set<number>();
  for (const id of ids as number[]) {
    if (seen.has(id)) throw new RangeError(`brokerIds must be distinct, got ${id} twice in [${ids.join(', ')}]`);
    seen.add(id);
  }
  if (brokers !== undefined && brokers !== ids.length) {
    throw new RangeError(`brokers is ${String(brokers)} but brokerIds lists ${ids.length} id(s) [${ids.join(', ')}]: give one id per broker, or leave brokers out`);
  }
  return ids as number[];
}

/** True when a lookup answered a failure rather than the record. */
export function failed<T extends object>(x: T | Failure): x is Failure {
  return 'errorCode' in x;
}

/** True for the answer of a broker that could not be reached (no answer at all). */
export function isUnreachable(f: Failure): f is Unreachable {
  return 'broker' in f;
}

/** The broker with this id; a RangeError for an id the cluster does not have (a caller's mistake, not a request outcome). */
export function brokerOf(s: EngineState, id: number): Broker {
  const broker = s.brokersById.get(id);
  if (broker === undefined) throw new RangeError(`unknown broker ${String(id)}: ${brokerList(s.brokers.map((b) => b.id))}`);
  return broker;
}

/** "this cluster has brokers 0, 1, 2" (the words of an unknown broker id's error), ids in order. */
export function brokerList(ids: readonly number[]): string {
  return ids.length === 1 ? `this cluster has broker ${ids[0]!}` : `this cluster has brokers ${ids.join(', ')}`;
}

/** Whether broker `id` (a replica's, so one the cluster has) runs. */
export function isRunning(s: EngineState, id: number): boolean {
  return s.brokersById.get(id)!.running;
}

/** Whether broker `id` (a replica's, so one the cluster has) is cut off from the network. */
export function isIsolated(s: EngineState, id: number): boolean {
  return s.brokersById.get(id)!.isolated;
}

export function topicOf(s: EngineState, name: string): Topic | Failure {
  return (
    s.topics.get(name) ??
    failure('UNKNOWN_TOPIC_OR_PARTITION', `This server does not host this topic-partition: topic ${String(name)} does not exist`)
  );
}

export function partitionOf(s: EngineState, topicName: string, index: number): Partition | Failure {
  const topic = topicOf(s, topicName);
  if (failed(topic)) return topic;
  const p = topic.partitions[index];
  if (p === undefined || !Number.isInteger(index)) {
    return failure('UNKNOWN_TOPIC_OR_PARTITION', `This server does not host this topic-partition: ${topicName}-${String(index)}`);
  }
  return p;
}

/**
 * What a request for `p` sent to broker `target` (the leader when undefined) answers when it
 * cannot be served there: no answer from a stopped or isolated broker, NOT_LEADER_OR_FOLLOWER
 * from a broker that does not lead, LEADER_NOT_AVAILABLE when none does. Undefined: it can.
 */
export function checkLeader(s: EngineState, p: Partition, target: number | undefined): Failure | undefined {
  if (target !== undefined) {
    const broker = brokerOf(s, target);
    if (!broker.running) return unreachable(target, 'stopped');
    if (broker.isolated) return unreachable(target, 'isolated from the network');
    if (p.leader === target) return undefined;
    if (p.leader === -1) return failure('LEADER_NOT_AVAILABLE', `There is no leader for ${p.topic.name}-${p.index}`);
    return failure('NOT_LEADER_FOR_PARTITION', `Broker ${target} is not the leader for ${p.topic.name}-${p.index}; the leader is ${p.leader}`);
  }
  if (p.leader === -1) return failure('LEADER_NOT_AVAILABLE', `There is no leader for ${p.topic.name}-${p.index}: no in-sync replica is running`);
  if (isIsolated(s, p.leader)) return unreachable(p.leader, `isolated from the network (it leads ${p.topic.name}-${p.index})`);
  return undefined;
}

/** The leader's replica log; only for a partition with a leader. */
export function leaderLog(p: Partition): ReplicaLog {
  return p.replicaStates.get(p.leader)!.log;
}

export function partitionsOn(s: EngineState, id: number): Partition[] {
  const out: Partition[] = [];
  for (const topic of s.topics.values()) for (const p of topic.partitions) if (p.replicas.includes(id)) out.push(p);
  return out;
}

/** Drops every topic's cached metadata (a broker stopped or started: offline replicas change). */
export function forgetMetadata(s: EngineState): void {
  for (const topic of s.topics.values()) topic.metadata = undefined;
}

/**
 * Kafka 3.9's effective min ISR (KIP-966): `min.insync.replicas`, capped at the replication
 * factor, so a topic with fewer replicas than the setting still takes acks=all writes.
 */
export function effectiveMinIsr(p: Partition): number {
  return Math.min(p.topic.config['min.insync.replicas'], p.replicas.length);
}

/** Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

/** The next producer id broker `broker` hands out, taking a new block when its own is used up. */
export function allocateProducerId(s: EngineState, broker: number): number {
  let block = s.producerIdBlocks.get(broker);
  if (block === undefined || block.next >= block.end) {
    block = { next: s.nextProducerIdBlock, end: s.nextProducerIdBlock + PRODUCER_ID_BLOCK_SIZE };
    s.nextProducerIdBlock += PRODUCER_ID_BLOCK_SIZE;
    s.producerIdBlocks.set(broker, block);
  }
  return block.next++;
}

/** Runs `fn` every `interval` ms of cluster time until the engine closes. */
export function schedulePeriodic(s: EngineState, interval: number, fn: () => void): void {
  const slot = s.periodic.length;
  const tick = () => {
    if (s.closed) return;
    fn();
    s.periodic[slot] = s.clock.schedule(interval, tick);
  };
  s.periodic.push(s.clock.schedule(interval, tick));
}
