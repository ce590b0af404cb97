/**
 * What the group coordinator needs from the broker it runs in, and nothing more: no Kafka
 * request is modelled here. Kafka's coordinator runtime gets the same from its `Time`, `Timer`,
 * `MetadataImage` and `PartitionWriter`, and learns of leadership through `onElection` and
 * `onResignation` calls, not by watching a log. The engine builds this port and calls the
 * coordinator's hooks (`onOffsetsTopicCreated`, `onElection`, `onResignation`, `onTopicDeleted`)
 * where those things happen, so nothing in emulator/groups knows the engine.
 */
import type { ErrorPart } from '../../protocol/errors.js';
import type { Clock } from '../clock.js';
import type { BrokerConfig } from '../config.js';
import type { EventInput } from '../events.js';

/** The internal topic whose partition leaders are the group coordinators. */
export const OFFSETS_TOPIC = '__consumer_offsets';

/** A broker as the coordinator needs to see it: where it listens and whether clients reach it. */
export interface PortBroker {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  /** `isolated`: running but cut off from clients. */
  readonly status: 'running' | 'stopped' | 'isolated';
}

/** What the coordinator reads of one partition: for lag and for resetting offsets to either end of the log. */
export interface PartitionOffsets {
  /** -1 while the partition has no leader. */
  readonly leader: number;
  readonly highWatermark: number;
  /** The leader's log start offset; -1 while there is no leader. */
  readonly logStartOffset: number;
}

/** The broker behind the group coordinator. */
export interface GroupPort {
  /** Broker settings: the `group.*` and `offsets.*` ones. */
  readonly config: BrokerConfig;
  /** Cluster time; every coordinator timer runs on it (virtual in tests, so runs are reproducible). */
  readonly clock: Pick<Clock, 'now' | 'schedule' | 'cancel'>;
  /** A random UUID drawn from the cluster's seed (new member ids). */
  uuid(): string;
  /** Every broker with its status. */
  brokers(): readonly PortBroker[];
  /** A topic's partition count; undefined when the topic does not exist. */
  partitionCount(topic: string): number | undefined;
  /** One partition's offsets; undefined when there is no such partition. */
  partition(topic: string, partition: number): PartitionOffsets | undefined;
  /** Appends to the cluster's event log. */
  record(event: EventInput): void;
  /**
   * Creates `__consumer_offsets` with this many partitions and replicas. The engine calls
   * `onOffsetsTopicCreated` and then `onElection` for each partition before this returns, as it
   * does for every creation of that topic. A failure carries the reason in its message.
   */
  createOffsetsTopic(numPartitions: number, replicationFactor: number): ErrorPart;
  /**
   * Whether a transaction holds offsets of the group for the partition that its marker has not
   * settled yet (Kafka's pending transactional offset commits): OffsetFetch with `requireStable`
   * answers UNSTABLE_OFFSET_COMMIT for it. Absent: never.
   */
  hasPendingTxnOffsets?(groupId: string, topic: string, partition: number): boolean;
}
