/**
 * The cluster's event log: what happened and when, on the cluster clock, as plain objects with a
 * `type`. Tests assert on it, and the CLI draws timelines from it.
 */

import type { TxnEvent } from './transactions/events.js';

interface Base {
  /** Position in the log, from 0. */
  readonly seq: number;
  /** Cluster time in ms. */
  readonly time: number;
}

interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Every kind of event the engine records. */
export type ClusterEvent =
  | (Base & { readonly type: 'broker-started'; readonly broker: number })
  | (Base & { readonly type: 'broker-stopped'; readonly broker: number })
  | (Base & { readonly type: 'broker-isolated'; readonly broker: number })
  | (Base & { readonly type: 'broker-healed'; readonly broker: number })
  | (Base & { readonly type: 'topic-created'; readonly topic: string; readonly partitions: number; readonly replicationFactor: number; readonly assignment: readonly (readonly number[])[] })
  | (Base & { readonly type: 'topic-deleted'; readonly topic: string })
  | (Base & { readonly type: 'partitions-created'; readonly topic: string; readonly from: number; readonly to: number })
  | (Base & { readonly type: 'topic-config-changed'; readonly topic: string; readonly config: Readonly<Record<string, string | null>> })
  | (Base & TopicPartition & {
        readonly type: 'leader-changed';
        readonly leader: number;
        readonly previousLeader: number;
        readonly leaderEpoch: number;
        readonly isr: readonly number[];
        /** `clean`: from the ISR; `unclean`: an out-of-sync replica took over; `preferred`: moved back; `none`: no eligible replica. */
        readonly election: 'clean' | 'unclean' | 'preferred' | 'none';
      })
  | (Base & TopicPartition & { readonly type: 'isr-shrunk'; readonly isr: readonly number[]; readonly removed: readonly number[]; readonly reason: 'lagging' | 'broker-stopped' | 'unclean-election' })
  | (Base & TopicPartition & { readonly type: 'isr-expanded'; readonly isr: readonly number[]; readonly added: number })
  | (Base & TopicPartition & {
        readonly type: 'log-truncated';
        readonly broker: number;
        /** Log end offset before truncation. */
        readonly from: number;
        /** Log end offset after truncation. */
        readonly to: number;
        /** Records removed from this replica: data loss when they had been acknowledged. */
        readonly records: number;
      })
  | (Base & TopicPartition & { readonly type: 'high-watermark-decreased'; readonly from: number; readonly to: number })
  | (Base & TopicPartition & { readonly type: 'segment-rolled'; readonly broker: number; readonly baseOffset: number })
  | (Base & TopicPartition & {
        readonly type: 'segment-deleted';
        readonly broker: number;
        readonly baseOffset: number;
        readonly endOffset: number;
        readonly size: number;
        /** Newest record timestamp the segment held; retention.ms measures age from it. */
        readonly maxTimestamp: number;
        readonly reason: 'retention.ms' | 'retention.bytes' | 'log-start-offset';
        readonly logStartOffset: number;
      })
  | (Base & TopicPartition & { readonly type: 'records-deleted'; readonly logStartOffset: number })
  /** What the transaction coordinator records (emulator/transactions/events.ts): producer ids, begin, commit, abort, fencing, timeouts. */
  | (Base & TxnEvent)
  /**
   * A leader answered an idempotent producer's retry of a batch it already has with the batch's
   * original offsets, writing nothing (Kafka's duplicate detection over a producer's last five batches).
   */
  | (Base & TopicPartition & { readonly type: 'duplicate-batch'; readonly producerId: number; readonly producerEpoch: number; readonly baseSequence: number; readonly baseOffset: number })
  /** A transaction marker (commit or abort) was appended to a partition's log, at `offset`. */
  | (Base & TopicPartition & {
        readonly type: 'txn-marker-written';
        readonly producerId: number;
        readonly producerEpoch: number;
        readonly coordinatorEpoch: number;
        readonly commit: boolean;
        readonly offset: number;
        /** First offset of the transaction the marker ended here; -1 when none was open. */
        readonly firstOffset: number;
      })
  /**
   * AlterPartitionReassignments started moving a partition: `replicas` is now the targets followed
   * by the replicas being removed; the `adding` ones catch up from the leader and join the ISR.
   */
  | (Base & TopicPartition & {
        readonly type: 'reassignment-started';
        readonly target: readonly number[];
        readonly replicas: readonly number[];
        readonly adding: readonly number[];
        readonly removing: readonly number[];
      })
  /**
   * Every target replica was in sync: the `removed` replicas left the assignment and the ISR (their
   * logs are deleted), and leadership moved to a target if the leader was not one.
   */
  | (Base & TopicPartition & {
        readonly type: 'reassignment-completed';
        readonly replicas: readonly number[];
        readonly isr: readonly number[];
        readonly leader: number;
        readonly removed: readonly number[];
      })
  /** A reassignment in progress was cancelled: the replicas it was adding were dropped, the original ones kept. */
  | (Base & TopicPartition & {
        readonly type: 'reassignment-cancelled';
        readonly replicas: readonly number[];
        readonly isr: readonly number[];
        readonly leader: number;
        readonly removed: readonly number[];
      })
  /**
   * One broker's log cleaner cleaned its replica of a compacted partition: the range from the log
   * start to `cleanedUpTo` was rewritten keeping the last record of each key (and tombstones
   * before their delete horizon). Counts are of that range, before and after.
   */
  | (Base & TopicPartition & {
        readonly type: 'log-cleaned';
        readonly broker: number;
        /** Where the dirty part began (the previous cleaning's end, or the log start). */
        readonly firstDirtyOffset: number;
        /** One past the last offset cleaned: the first uncleanable offset, and the next cleaning's first dirty offset. */
        readonly cleanedUpTo: number;
        readonly recordsBefore: number;
        readonly recordsAfter: number;
        readonly bytesBefore: number;
        readonly bytesAfter: number;
        readonly bytesFreed: number;
        /** Tombstones dropped because their delete horizon had passed. */
        readonly tombstonesRemoved: number;
        /** Transaction markers dropped: no batch of their transaction was left and their delete horizon had passed. */
        readonly markersRemoved: number;
        readonly segmentsBefore: number;
        readonly segmentsAfter: number;
        /** The dirty share of the cleanable bytes that got the log picked. */
        readonly dirtyRatio: number;
        /** `dirty-ratio`: above min.cleanable.dirty.ratio; `max.compaction.lag.ms`: a dirty segment waited too long. */
        readonly reason: 'dirty-ratio' | 'max.compaction.lag.ms';
      })
  /** A consumer group changed state (see `GroupStates` in emulator/groups/group.ts). */
  | (Base & {
        readonly type: 'group-state-changed';
        readonly groupId: string;
        readonly generationId: number;
        readonly from: 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';
        readonly to: 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';
        readonly reason: string;
      })
  /** A JoinGroup was accepted: a new member entered the group, or a member rejoined. `generationId` is the generation it joins from. */
  | (Base & {
        readonly type: 'group-member-joined';
        readonly groupId: string;
        readonly generationId: number;
        readonly memberId: string;
        readonly groupInstanceId: string | null;
        readonly clientId: string;
        /** Protocol names in the member's order of preference. */
        readonly protocols: readonly string[];
        readonly rejoin: boolean;
        /** For a static member taking over its `group.instance.id`: the member id it replaced. */
        readonly replacedMemberId: string | null;
      })
  /** The join phase ended: a new generation with these members, leader and protocol. */
  | (Base & {
        readonly type: 'group-join-completed';
        readonly groupId: string;
        readonly generationId: number;
        readonly memberId: string;
        readonly leaderId: string;
        readonly protocolType: string | null;
        readonly protocolName: string | null;
        readonly members: readonly string[];
      })
  /**
   * The leader's SyncGroup was accepted and the group is Stable: who owns what in this
   * generation. `partitions` is null for an assignment that is not kafkajs's MemberAssignment format.
   */
  | (Base & {
        readonly type: 'group-assignment';
        readonly groupId: string;
        readonly generationId: number;
        /** The leader, who sent the assignment. */
        readonly memberId: string;
        readonly protocolName: string | null;
        readonly assignments: readonly {
          readonly memberId: string;
          readonly partitions: readonly { readonly topic: string; readonly partitions: readonly number[] }[] | null;
        }[];
      })
  /** A member left with LeaveGroup (or was removed by an admin). */
  | (Base & {
        readonly type: 'group-member-left';
        readonly groupId: string;
        readonly generationId: number;
        readonly memberId: string;
        readonly groupInstanceId: string | null;
        readonly reason: string;
      })
  /** The coordinator removed a member that went quiet. */
  | (Base & {
        readonly type: 'group-member-expired';
        readonly groupId: string;
        readonly generationId: number;
        readonly memberId: string;
        /**
         * `session-timeout`: no heartbeat for session.timeout.ms; `new-member-join-timeout`: a new
         * member's JoinGroup was never answered within 5 minutes; `rebalance-timeout`: did not rejoin
         * before the join phase ended; `sync-timeout`: did not send SyncGroup before the sync phase ended.
         */
        readonly reason: 'session-timeout' | 'new-member-join-timeout' | 'rebalance-timeout' | 'sync-timeout';
      })
  /** Offsets committed for a group; `generationId` -1 with an empty `memberId` is a standalone commit. */
  | (Base & {
        readonly type: 'group-offsets-committed';
        readonly groupId: string;
        readonly generationId: number;
        readonly memberId: string;
        /** Set when a transaction's COMMIT marker committed them (TxnOffsetCommit, kafkajs's `sendOffsets`). */
        readonly producerId?: number;
        readonly offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[];
      })
  /** An administrator set (reset) a group's offsets; the only way a committed offset is meant to move back. */
  | (Base & {
        readonly type: 'group-offsets-reset';
        readonly groupId: string;
        readonly generationId: number;
        readonly memberId: string;
        readonly offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[];
      })
  /** Committed offsets removed: by OffsetDelete, by `offsets.retention.ms` expiry, or because the topic was deleted. */
  | (Base & {
        readonly type: 'group-offsets-deleted';
        readonly groupId: string;
        readonly generationId: number;
        readonly offsets: readonly { readonly topic: string; readonly partition: number }[];
        readonly reason: 'offset-delete' | 'retention' | 'topic-deleted';
      })
  /** A group was removed: by DeleteGroups, or because it was empty and its last offsets expired. */
  | (Base & { readonly type: 'group-deleted'; readonly groupId: string; readonly generationId: number; readonly reason: 'delete-groups' | 'expired' })
  /**
   * A group's coordinator changed because the leader of its `__consumer_offsets` partition did.
   * `to` (or `from`) is -1 while the partition has no leader. `generationId` is the generation the
   * new coordinator loaded (the last one stored, which can be older than the one in progress on the
   * old coordinator); with no new coordinator, the generation the group had.
   */
  | (Base & {
        readonly type: 'group-coordinator-moved';
        readonly groupId: string;
        readonly generationId: number;
        readonly partition: number;
        readonly from: number;
        readonly to: number;
      })
  /** A request fault was injected (`Cluster.injectFault`): the next `count` matching requests of `api` get `error`. */
  | (Base & {
        readonly type: 'fault-injected';
        /** The fault's id, which its `fault-fired` events carry. */
        readonly fault: number;
        readonly api: string;
        /** Kafka's error name, or DISCONNECT (the connection is closed instead of answering). */
        readonly error: string;
        /** `before`: refused, nothing changed; `after`: applied, then the answer is lost (replaced by the error). */
        readonly when: 'before' | 'after';
        readonly count: number;
        readonly broker: number | null;
        readonly topic: string | null;
        readonly partition: number | null;
      })
  /**
   * An injected fault fired on one request, sent to `broker`; `topic` and `partition` name what the
   * fault was scoped to as the request named it (null when unscoped). `remaining`: how many more it will affect.
   */
  | (Base & {
        readonly type: 'fault-fired';
        readonly fault: number;
        readonly api: string;
        readonly error: string;
        readonly when: 'before' | 'after';
        readonly broker: number;
        readonly topic: string | null;
        readonly partition: number | null;
        readonly remaining: number;
      })
  /** Every answer of `broker` is delayed by `ms` from now on (0: no delay). */
  | (Base & { readonly type: 'latency-set'; readonly broker: number; readonly ms: number })
  /** Every pending fault (`faults` of them) and latency (of these brokers) was removed. */
  | (Base & { readonly type: 'faults-cleared'; readonly faults: number; readonly latencies: readonly number[] });

/** The `type` of every event. */
export type ClusterEventType = ClusterEvent['type'];

/** Distributes Omit over the union, keeping each variant's own fields. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event as recorded, before the log stamps `seq` and `time`. */
export type EventInput = DistributiveOmit<ClusterEvent, 'seq' | 'time'>;

/** A listener for new events; see `Cluster.onEvent`. */
export type EventListener = (event: ClusterEvent) => void;

/** Append-only list of events plus listeners. */
export class EventLog {
  private readonly entries: ClusterEvent[] = [];
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly now: () => number) {}

  record(input: EventInput): ClusterEvent {
    const event = Object.freeze({ ...input, seq: this.entries.length, time: this.now() }) as ClusterEvent;
    this.entries.push(event);
    for (const listener of this.listeners) listener(event);
    return event;
  }

  all(): readonly ClusterEvent[] {
    return this.entries.slice();
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
