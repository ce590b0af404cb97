/**
 * The coordinator's state, as Kafka's `GroupCoordinatorShard` holds it for every request
 * (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, OffsetDelete,
 * DescribeGroups, ListGroups, DeleteGroups): the groups, the records of `__consumer_offsets` they
 * stand on, the keyed timers, and the one place records are applied.
 *
 * Kafka keeps a group's metadata and offsets as records in its `__consumer_offsets` partition and a
 * new coordinator rebuilds the group by replaying them. The twin does not write those records to
 * the partition's log: it keeps what they say (the committed offsets and the group metadata as last
 * stored) in memory, keyed by group id, and changes that only by replaying records
 * ({@link GroupShard.apply}). Handlers and timers return what they write as a
 * {@link CoordinatorResult}, as Kafka's do. Everything else about a group (parked requests, timers,
 * a rebalance in progress) lives only on the coordinator that holds it and is lost when it moves.
 */
import type { EventInput } from '../events.js';
import { partitionForGroup } from '../../protocol/hashing.js';
import { ClassicGroup, type GroupState } from './group.js';
import type { GroupPort } from './port.js';
import { CoordinatorTimer } from './timer.js';

const EMPTY = Buffer.alloc(0);

/** An offset commit record's value (Kafka's `OffsetCommitValue`). */
export interface CommittedOffset {
  readonly offset: number;
  readonly metadata: string | null;
  readonly commitTimestamp: number;
}

/** The group metadata record as Kafka's `storeGroup` writes it: what a new coordinator loads. */
export interface StoredGroup {
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leaderId: string | null;
  readonly stateTimestamp: number;
  readonly members: readonly {
    readonly memberId: string;
    readonly groupInstanceId: string | null;
    readonly clientId: string;
    readonly clientHost: string;
    readonly rebalanceTimeoutMs: number;
    readonly sessionTimeoutMs: number;
    /** Only the selected protocol's metadata is stored, as in Kafka. */
    readonly metadata: Buffer;
    readonly assignment: Buffer;
  }[];
}

/** A record of a group's `__consumer_offsets` partition: Kafka's keys with a value, or a tombstone. */
export type GroupRecord =
  | { readonly type: 'group-metadata'; readonly groupId: string; readonly value: StoredGroup }
  /** Removes the group with everything it stored (Kafka writes offset tombstones alongside). */
  | { readonly type: 'group-tombstone'; readonly groupId: string }
  | { readonly type: 'offset-commit'; readonly groupId: string; readonly topic: string; readonly partition: number; readonly value: CommittedOffset }
  | { readonly type: 'offset-tombstone'; readonly groupId: string; readonly topic: string; readonly partition: number };

/**
 * What a handler or timer returns, as Kafka's `CoordinatorResult`: the response and the records
 * to write; `event`, when present, describes the write in the event log once it is applied.
 */
export interface CoordinatorResult<R> {
  readonly response: R;
  readonly records: readonly GroupRecord[];
  readonly event?: EventInput;
}

/** A group known to the coordinator, with the records it stored. */
export interface GroupEntry {
  readonly groupId: string;
  /** The `__consumer_offsets` partition it maps to. */
  readonly partition: number;
  /** Committed offsets, by topic then partition; changed only by replaying records. */
  readonly offsets: Map<string, Map<number, CommittedOffset>>;
  /** The group metadata as last stored; changed only by replaying records. */
  stored: StoredGroup | undefined;
  /** The group as loaded on its coordinator; undefined while its partition has no leader. */
  group: ClassicGroup | undefined;
}

/** The coordinator's state; the request and timer logic lives in the other files here. */
export class GroupShard {
  readonly entries = new Map<string, GroupEntry>();
  /** `__consumer_offsets` as the coordinator knows it: its size and each partition's leader (-1: none). */
  offsetsTopic: { readonly partitions: number; readonly leaders: number[] } | undefined;
  readonly timers: CoordinatorTimer<CoordinatorResult<void>>;

  constructor(
    readonly port: GroupPort,
    /** Called when a group is created, to start the periodic offset expiration. */
    private readonly onGroupCreated: () => void,
  ) {
    this.timers = new CoordinatorTimer(port.clock, (result) => this.apply(result));
  }

  get config(): GroupPort['config'] {
    return this.port.config;
  }

  now(): number {
    return this.port.clock.now();
  }

  record(event: EventInput): void {
    this.port.record(event);
  }

  /** Applies a result: replays its records in order, then records its event. Returns the response. */
  apply<R>(result: CoordinatorResult<R>): R {
    for (const record of result.records) this.replay(record);
    if (result.event !== undefined) this.record(result.event);
    return result.response;
  }

  private replay(record: GroupRecord): void {
    const entry = this.entries.get(record.groupId);
    if (entry === undefined) throw new Error(`invariant: record for group ${record.groupId}, which the coordinator does not know`);
    switch (record.type) {
      case 'group-metadata':
        entry.stored = record.value;
        return;
      case 'group-tombstone':
        this.entries.delete(record.groupId);
        return;
      case 'offset-commit': {
        let topicOffsets = entry.offsets.get(record.topic);
        if (topicOffsets === undefined) entry.offsets.set(record.topic, (topicOffsets = new Map()));
        topicOffsets.set(record.partition, record.value);
        return;
      }
      case 'offset-tombstone': {
        const byPartition = entry.offsets.get(record.topic);
        if (byPartition?.delete(record.partition) && byPartition.size === 0) entry.offsets.delete(record.topic);
        return;
      }
    }
  }

  /** The loaded group with this id, or undefined when the coordinator does not know it. */
  getGroup(groupId: string): ClassicGroup | undefined {
    const entry = this.entries.get(groupId);
    if (entry === undefined) return undefined;
    if (entry.group === undefined) throw new Error(`invariant: group ${groupId} is routed to a coordinator but not loaded`);
    return entry.group;
  }

  /** Creates an Empty group (the offsets topic exists: the request was routed). */
  createGroup(groupId: string): ClassicGroup {
    const group = this.newGroup(groupId, 'Empty');
    this.entries.set(groupId, { groupId, partition: partitionForGroup(groupId, this.offsetsTopic!.partitions), offsets: new Map(), stored: undefined, group });
    this.onGroupCreated();
    return group;
  }

  /** A group object whose state changes go into the event log. */
  newGroup(groupId: string, state: GroupState): ClassicGroup {
    return new ClassicGroup(
      groupId,
      state,
      () => this.now(),
      (g, from, to, reason) => {
        this.record({ type: 'group-state-changed', groupId: g.groupId, generationId: g.generationId, from, to, reason });
      },
    );
  }

  /** Whether a timer's group is still the one loaded for its id (not unloaded or deleted since). */
  isLive(group: ClassicGroup): boolean {
    return this.entries.get(group.groupId)?.group === group;
  }

  /** Kafka's `storeGroup`: the group metadata record a new coordinator would load. */
  groupMetadataRecord(group: ClassicGroup): GroupRecord {
    const protocol = group.protocolName;
    return {
      type: 'group-metadata',
      groupId: group.groupId,
      value: {
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: protocol,
        leaderId: group.leaderId,
        stateTimestamp: group.stateTimestamp,
        members: group.allMembers().map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeoutMs: m.rebalanceTimeoutMs,
          sessionTimeoutMs: m.sessionTimeoutMs,
          metadata: protocol === null ? EMPTY : m.metadata(protocol),
          assignment: m.assignment,
        })),
      },
    };
  }
}

/** A result that writes nothing. */
export function answer<R>(response: R, records: readonly GroupRecord[] = []): CoordinatorResult<R> {
  return { response, records };
}
