/**
 * What the transaction coordinator needs from the broker it runs in, and nothing more. Kafka's
 * `TransactionCoordinator` gets the same from its `Time`/`Scheduler`, `MetadataCache`,
 * `ProducerIdManager`, `TransactionMarkerChannelManager` (WriteTxnMarkers to partition leaders)
 * and the group coordinator (transactional offsets), and learns of leadership of
 * `__transaction_state` through `onElection`/`onResignation` calls. The engine builds this port
 * and calls the coordinator's hooks (`onTransactionStateTopicCreated`, `onElection`,
 * `onResignation`, `onTransactionStateTopicDeleted`) where those things happen, so nothing in
 * emulator/transactions knows the engine.
 */
import type { ErrorPart } from '../../protocol/errors.js';
import type { Clock } from '../clock.js';
import type { TxnEvent } from './events.js';
import type { TxnSettings } from './settings.js';

/** The internal topic whose partition leaders are the transaction coordinators. */
export const TRANSACTION_STATE_TOPIC = '__transaction_state';
/** The group coordinator's topic: AddOffsetsToTxn adds one of its partitions to a transaction. */
export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

/** A broker as the coordinator needs to see it: where it listens and whether clients reach it. */
export interface TxnPortBroker {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  /** `isolated`: running but cut off from clients. */
  readonly status: 'running' | 'stopped' | 'isolated';
}

/**
 * One transaction marker to append: a control batch (COMMIT or ABORT) for `producerId` at
 * `producerEpoch` on the partition's log, as a WriteTxnMarkers request carries it.
 */
export interface TxnMarker {
  readonly topic: string;
  readonly partition: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** The leader epoch of the coordinator's `__transaction_state` partition; a stale one is fenced. */
  readonly coordinatorEpoch: number;
  /** true: COMMIT; false: ABORT. */
  readonly commit: boolean;
}

/** One committed offset of a TxnOffsetCommit, held pending until the transaction's marker. */
export interface TxnOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
}

/** The group fields of a TxnOffsetCommit (v3+) that the group coordinator checks. */
export interface TxnOffsetCommitMember {
  readonly groupId: string;
  /** -1 when the request has none (v0-v2, or a producer outside the group). */
  readonly generationId: number;
  /** '' when the request has none. */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** The broker behind the transaction coordinator. */
export interface TxnPort {
  /** The `transaction.*` and `transactional.id.*` broker settings. */
  readonly settings: TxnSettings;
  /** Cluster time; every coordinator timer runs on it (virtual in tests, so runs are reproducible). */
  readonly clock: Pick<Clock, 'now' | 'schedule' | 'cancel'>;
  /** Every broker with its status. */
  brokers(): readonly TxnPortBroker[];
  /** A topic's partition count; undefined when the topic does not exist. */
  partitionCount(topic: string): number | undefined;
  /**
   * The next producer id of `broker` (the coordinator answering InitProducerId), from the counter
   * idempotent producers draw from too (Kafka's `ProducerIdManager`). Ids are never reused.
   */
  allocateProducerId(broker: number): number;
  /**
   * Appends transaction markers, as WriteTxnMarkers does on each partition's leader, and
   * answers one error code per marker, in order. The coordinator retries a marker answered with
   * a retriable code (NOT_LEADER_OR_FOLLOWER when the partition has no leader or its leader is
   * down, NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, KAFKA_STORAGE_ERROR, UNKNOWN_TOPIC_OR_PARTITION)
   * after a backoff; INVALID_PRODUCER_EPOCH or TRANSACTION_COORDINATOR_FENCED stop its sending
   * (a newer coordinator owns the transaction); any other code is a broken port and throws.
   */
  writeTxnMarkers(markers: readonly TxnMarker[]): readonly number[];
  /**
   * The `__consumer_offsets` partition of a group (the group coordinator's `partitionFor`, from
   * `offsets.topic.num.partitions`): AddOffsetsToTxn adds it to the transaction.
   */
  offsetsPartitionFor(groupId: string): number;
  /**
   * The group coordinator's checks of a TxnOffsetCommit (group, member id, generation; Kafka's
   * `GroupCoordinator.handleTxnCommitOffsets` before the append). NONE when the offsets may be held.
   */
  checkTxnOffsetCommit(member: TxnOffsetCommitMember): ErrorPart;
  /**
   * The transaction's marker reached the group's `__consumer_offsets` partition: the group
   * coordinator makes the offsets held for it committed (`commit`) or drops them. Called once per
   * group and transaction, after the marker on that partition was written.
   */
  commitTxnOffsets(groupId: string, producerId: number, producerEpoch: number, offsets: readonly TxnOffset[], commit: boolean): void;
  /**
   * Creates `__transaction_state` with this many partitions and replicas (and
   * `min.insync.replicas` = `transaction.state.log.min.isr`, compacted). The engine calls
   * `onTransactionStateTopicCreated` and then `onElection` for each partition before this returns,
   * as it does for every creation of that topic. A failure carries the reason in its message.
   */
  createTransactionStateTopic(numPartitions: number, replicationFactor: number, minIsr: number): ErrorPart;
  /** Appends to the cluster's event log. */
  record(event: TxnEvent): void;
}
