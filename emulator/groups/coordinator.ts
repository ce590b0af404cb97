/**
 * The group coordinator: Kafka's classic consumer-group protocol as the broker side sees it
 * (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
 * OffsetDelete, DescribeGroups, ListGroups, DeleteGroups), following Apache Kafka 3.9's
 * `GroupCoordinator`. This is its facade: every request answers with Kafka's error codes (never
 * an exception for an expected outcome); a handler that writes returns what it writes and the shard
 * applies it (a read answers directly, as Kafka's read operations do); and the broker reaches in
 * only through the {@link GroupPort} and the leadership hooks.
 * The coordinator only relays: the group leader's client runs the assignor and hands the result
 * back in SyncGroup, so nothing here knows about assignment strategies.
 *
 * The files: `join.ts` (JoinGroup), `membership.ts` (SyncGroup, Heartbeat, LeaveGroup, sessions),
 * `rebalance.ts` (phases and their timers), `offsets.ts` (OffsetCommit, OffsetFetch, OffsetDelete,
 * retention, set/reset), `admin.ts` (DescribeGroups, ListGroups, DeleteGroups), `placement.ts`
 * (FindCoordinator, `__consumer_offsets`, loading and unloading groups), `shard.ts` (the state and
 * its records), `timer.ts` (keyed timers), `group.ts` (the group model), `messages.ts`, `port.ts`.
 */
import type { ErrorPart, Failure } from '../../protocol/errors.js';
import { deleteGroup, describeGroup, listGroups, removeGroup } from './admin.js';
import type { GroupState } from './group.js';
import { handleJoinGroup } from './join.js';
import { handleSyncGroup, heartbeat, leaveGroup } from './membership.js';
import type {
  DeleteGroupAnswer,
  DeleteOffsetsAnswer,
  DeleteOffsetsRequest,
  DescribeGroupAnswer,
  FindCoordinatorAnswer,
  GroupRequestOptions,
  HeartbeatRequest,
  JoinGroupAnswer,
  JoinGroupRequest,
  LagAnswer,
  LeaveGroupRequest,
  ListGroupsAnswer,
  OffsetCommitAnswer,
  OffsetCommitRequest,
  OffsetFetchAnswer,
  OffsetFetchRequest,
  PartitionForAnswer,
  ResetOffsetsRequest,
  ResponseCallback,
  SetOffsetsRequest,
  SyncGroupAnswer,
  SyncGroupRequest,
} from './messages.js';
import * as offsets from './offsets.js';
import { findCoordinator, moveCoordinator, onOffsetsTopicCreated, onOffsetsTopicDeleted, partitionFor } from './placement.js';
import { OFFSETS_TOPIC, type GroupPort } from './port.js';
import { answer, GroupShard, type GroupRecord } from './shard.js';
import * as txnOffsets from './txn-offsets.js';
import type { TxnCommittedOffset, TxnOffsetCommitMember } from './txn-offsets.js';

export type * from './messages.js';
export type { GroupState } from './group.js';
export type { GroupPort, PartitionOffsets, PortBroker } from './port.js';
export { NEW_MEMBER_JOIN_TIMEOUT_MS } from './join.js';
export { OFFSET_METADATA_MAX_SIZE, OFFSETS_RETENTION_CHECK_INTERVAL_MS } from './offsets.js';
export { OFFSETS_TOPIC } from './port.js';

/** Consumer groups of one cluster, behind the broker's {@link GroupPort}. */
export class GroupCoordinator {
  private readonly shard: GroupShard;

  constructor(port: GroupPort) {
    const shard: GroupShard = new GroupShard(port, () =>
      offsets.scheduleOffsetExpiration(shard, (group, reason) => shard.apply(removeGroup(shard, group, reason))),
    );
    this.shard = shard;
  }

  // ---------------------------------------------------------------- leadership, from the broker

  /** `__consumer_offsets` was created with `partitions` partitions; none has a leader yet. */
  onOffsetsTopicCreated(partitions: number): void {
    onOffsetsTopicCreated(this.shard, partitions);
  }

  /**
   * Kafka's `onElection`: `leaderBrokerId` now leads `__consumer_offsets` partition
   * `offsetsPartition`, so the groups there move to it (resigning from the previous leader) and
   * are loaded from what they stored.
   */
  onElection(offsetsPartition: number, leaderBrokerId: number): void {
    const records: GroupRecord[] = [];
    moveCoordinator(this.shard, offsetsPartition, leaderBrokerId, records);
    this.shard.apply(answer(undefined, records));
  }

  /** Kafka's `onResignation` with no new leader: the partition's groups are unavailable until one is elected. */
  onResignation(offsetsPartition: number): void {
    this.onElection(offsetsPartition, -1);
  }

  /** A topic was deleted: offsets committed for it go; with `__consumer_offsets`, every group goes. */
  onTopicDeleted(topic: string): void {
    if (topic === OFFSETS_TOPIC) onOffsetsTopicDeleted(this.shard);
    else offsets.onTopicDeleted(this.shard, topic);
  }

  // ---------------------------------------------------------------- requests

  /**
   * FindCoordinator: the broker leading the group's `__consumer_offsets` partition (created on
   * first use). GROUP_COORDINATOR_NOT_AVAILABLE while that partition has no leader.
   */
  findCoordinator(groupId: string, options: GroupRequestOptions = {}): FindCoordinatorAnswer {
    return findCoordinator(this.shard, groupId, options.broker);
  }

  /** The `__consumer_offsets` partition a group maps to (creating the topic on first use). */
  partitionFor(groupId: string): PartitionForAnswer {
    return partitionFor(this.shard, groupId);
  }

  /**
   * JoinGroup. Resolves when the join phase ends with the new generation; the leader's answer
   * lists every member's metadata. A new member (empty member id) first gets MEMBER_ID_REQUIRED,
   * with the member id to rejoin with in `memberId`.
   */
  joinGroup(request: JoinGroupRequest): Promise<JoinGroupAnswer> {
    return new Promise((resolve) => this.handleJoinGroup(request, resolve));
  }

  /** JoinGroup with Kafka's response callback (called once, possibly later); see {@link joinGroup}. */
  handleJoinGroup(request: JoinGroupRequest, respond: ResponseCallback<JoinGroupAnswer>): void {
    this.shard.apply(handleJoinGroup(this.shard, request, respond));
  }

  /**
   * SyncGroup. The leader sends every member's assignment; followers wait until it has, then
   * each receives its own. In a Stable group any member gets its current assignment back.
   */
  syncGroup(request: SyncGroupRequest): Promise<SyncGroupAnswer> {
    return new Promise((resolve) => this.handleSyncGroup(request, resolve));
  }

  /** SyncGroup with Kafka's response callback (called once, possibly later); see {@link syncGroup}. */
  handleSyncGroup(request: SyncGroupRequest, respond: ResponseCallback<SyncGroupAnswer>): void {
    this.shard.apply(handleSyncGroup(this.shard, request, respond));
  }

  /**
   * Heartbeat: keeps the member's session alive. REBALANCE_IN_PROGRESS tells the member to
   * rejoin; ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID that it has fallen out of the group.
   */
  heartbeat(request: HeartbeatRequest): ErrorPart {
    return this.shard.apply(heartbeat(this.shard, request));
  }

  /**
   * LeaveGroup for one member: removes it at once, which rebalances the rest. With an empty
   * member id and a `groupInstanceId`, removes that static member (admin removal).
   */
  leaveGroup(request: LeaveGroupRequest): ErrorPart {
    return this.shard.apply(leaveGroup(this.shard, request));
  }

  /** OffsetCommit, answered per partition; see `offsets.ts`. */
  offsetCommit(request: OffsetCommitRequest): OffsetCommitAnswer {
    return this.shard.apply(offsets.offsetCommit(this.shard, request));
  }

  /** TxnOffsetCommit's routing to the group's coordinator (NOT_COORDINATOR etc.); undefined when `broker` is it. */
  routeTxnOffsetCommit(groupId: string, broker: number | undefined): Failure | undefined {
    return txnOffsets.routeTxnOffsetCommit(this.shard, groupId, broker);
  }

  /** The group's checks of a TxnOffsetCommit before the transaction holds the offsets; see txn-offsets.ts. */
  checkTxnOffsetCommit(member: TxnOffsetCommitMember): ErrorPart {
    return this.shard.apply(txnOffsets.checkTxnOffsetCommit(this.shard, member));
  }

  /** A transaction's marker reached the group's partition: its held offsets are committed (or dropped on abort). */
  completeTxnOffsets(groupId: string, producerId: number, offsets: readonly TxnCommittedOffset[], commit: boolean): void {
    this.shard.apply(txnOffsets.completeTxnOffsets(this.shard, groupId, producerId, offsets, commit));
  }

  /** OffsetFetch: the committed offset of each requested partition, -1 where none, for any group. */
  offsetFetch(request: OffsetFetchRequest): OffsetFetchAnswer {
    return offsets.offsetFetch(this.shard, request);
  }

  /** OffsetDelete, answered per partition; see `offsets.ts`. */
  deleteOffsets(request: DeleteOffsetsRequest): DeleteOffsetsAnswer {
    return this.shard.apply(offsets.deleteOffsets(this.shard, request));
  }

  /** Sets a group's offsets for one topic as an administrator does (only while it is empty). */
  setOffsets(request: SetOffsetsRequest): OffsetCommitAnswer {
    return this.shard.apply(offsets.setOffsets(this.shard, request));
  }

  /** Moves a group's offsets for a topic to the log start offset (`earliest`) or the high watermark. */
  resetOffsets(request: ResetOffsetsRequest): OffsetCommitAnswer {
    return this.shard.apply(offsets.resetOffsets(this.shard, request));
  }

  /** Consumer lag per partition, read from the coordinator's state (no request); GROUP_ID_NOT_FOUND for an unknown group. */
  lag(groupId: string): LagAnswer {
    return offsets.lag(this.shard, groupId);
  }

  /** DescribeGroups for one group (`Dead` with no members when it does not exist, as Kafka reports it). */
  describeGroup(groupId: string, options: GroupRequestOptions = {}): DescribeGroupAnswer {
    return describeGroup(this.shard, groupId, options.broker);
  }

  /** DescribeGroups for several groups, each sent to its own coordinator: a code per group. */
  describeGroups(groupIds: readonly string[]): DescribeGroupAnswer[] {
    return groupIds.map((id) => describeGroup(this.shard, id, undefined));
  }

  /** ListGroups: every group loaded on a reachable coordinator (only `broker`'s when given), optionally only those in `states`. */
  listGroups(options: GroupRequestOptions & { readonly states?: readonly GroupState[] } = {}): ListGroupsAnswer {
    return listGroups(this.shard, options.broker, options.states);
  }

  /** DeleteGroups: removes empty groups and their offsets; a code per group. */
  deleteGroups(groupIds: readonly string[], options: GroupRequestOptions = {}): DeleteGroupAnswer[] {
    return groupIds.map((groupId) => this.shard.apply(deleteGroup(this.shard, groupId, options.broker)));
  }

  /** @internal The keys of the coordinator's pending timers, oldest first (for specs). */
  timerKeys(): string[] {
    return this.shard.timers.keys();
  }
}
