/**
 * The group coordinator: Kafka's classic consumer-group protocol as the broker side sees it
 * (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
 * DescribeGroups, ListGroups, DeleteGroups, OffsetDelete), following Apache Kafka 3.9's
 * `GroupCoordinator`. The coordinator only relays: the group leader's client runs the assignor
 * and hands the result back in SyncGroup, so nothing here knows about assignment strategies.
 *
 * Where a group lives: `__consumer_offsets` is created on the first group request, a group maps
 * to one of its partitions by the hash of its id, and that partition's leader is the group's
 * coordinator. Kafka keeps a group's metadata and offsets as records in that partition and a new
 * coordinator rebuilds the group by reading them. The twin does not write those records: it keeps
 * what they would say (the committed offsets and the group metadata as last stored) in memory,
 * keyed by group id, and a new coordinator loads the group from there, exactly as far as Kafka's
 * would. Everything else about a group (parked requests, timers, a rebalance in progress) lives
 * only on the coordinator that holds it and is lost when it moves, as in Kafka.
 */
import kafkajs from 'kafkajs';
import { brokerUnreachable, kafkaError, protocolError, type KafkaJSError, type KafkaJSProtocolError } from '../../protocol/errors.js';
import type { TimerId } from '../clock.js';
import type { Engine } from '../engine.js';
import type { ClusterEvent } from '../events.js';
import {
  assertNever,
  ClassicGroup,
  GroupMember,
  type GroupProtocol,
  type GroupState,
  type JoinGroupResponse,
  type Parked,
  type SyncGroupResponse,
} from './group.js';
import { decodeAssignment } from '../../protocol/consumer-protocol.js';
import { partitionForGroup } from '../../protocol/hashing.js';

export type { GroupProtocol, GroupState, JoinGroupResponse, JoinGroupResponseMember, SyncGroupResponse } from './group.js';


/**
 * Builds the error for an expected protocol outcome that tells a member what to do next
 * (REBALANCE_IN_PROGRESS on a heartbeat, MEMBER_ID_REQUIRED on a first join): every member of a
 * rebalancing group gets one, and a stack trace (captured twice by kafkajs's error classes) says
 * nothing about where a rebalance came from, so none is captured.
 */
function withoutStack<E extends Error>(build: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return build();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
const { KafkaJSMemberIdRequired } = kafkajs as unknown as {
  KafkaJSMemberIdRequired: new (e: Error, options: { memberId: string }) => KafkaJSProtocolError & { readonly memberId: string };
};

/** The internal topic whose partition leaders are the group coordinators. */
export const OFFSETS_TOPIC = '__consumer_offsets';
/**
 * How long a new member's first JoinGroup may stay parked before the member is dropped
 * (Kafka's `GroupCoordinator.NewMemberJoinTimeoutMs`, not configurable there either).
 */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;
/** Kafka's `offset.metadata.max.bytes` default: longest metadata string an offset commit may carry. */
export const OFFSET_METADATA_MAX_SIZE = 4096;
/** Kafka's `offsets.retention.check.interval.ms` default: how often expired offsets are removed. */
export const OFFSETS_RETENTION_CHECK_INTERVAL_MS = 600000;
const DEFAULT_CLIENT_HOST = '/127.0.0.1';
const EMPTY = Buffer.alloc(0);

/** A broker as FindCoordinator returns it. */
export interface CoordinatorNode {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

/** Options every group request takes. */
export interface GroupRequestOptions {
  /**
   * The broker the request is sent to. A broker that is not the group's coordinator answers
   * NOT_COORDINATOR; a stopped or isolated one cannot be reached. Omitted: the coordinator.
   */
  readonly broker?: number;
}

/** A JoinGroup request. */
export interface JoinGroupRequest extends GroupRequestOptions {
  readonly groupId: string;
  /** Empty for a member joining for the first time. */
  readonly memberId: string;
  /**
   * The `group.instance.id` of a static member.
   * @defaultValue null
   */
  readonly groupInstanceId?: string | null;
  readonly clientId: string;
  /**
   * The client's address as the broker sees it.
   * @defaultValue '/127.0.0.1'
   */
  readonly clientHost?: string;
  /** How long the member may go without heartbeating, in ms. */
  readonly sessionTimeout: number;
  /**
   * How long the coordinator waits for members to rejoin in a rebalance, in ms.
   * @defaultValue the session timeout, as for JoinGroup v0
   */
  readonly rebalanceTimeout?: number;
  /** `consumer` for consumer groups. */
  readonly protocolType: string;
  /** The protocols the member supports, most preferred first. */
  readonly protocols: readonly GroupProtocol[];
  /**
   * Whether a new member must first obtain a member id (MEMBER_ID_REQUIRED), as JoinGroup v4+
   * does; false gives the pre-2.2 behaviour of joining in one round trip.
   * @defaultValue true
   */
  readonly requireKnownMemberId?: boolean;
  /** Why the member (re)joins; goes into the event log. */
  readonly reason?: string;
}

/** A member's assignment, as the leader sends it in SyncGroup. */
export interface MemberAssignmentEntry {
  readonly memberId: string;
  readonly memberAssignment: Buffer;
}

/** A SyncGroup request. */
export interface SyncGroupRequest extends GroupRequestOptions {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  /** @defaultValue null */
  readonly groupInstanceId?: string | null;
  /** When given, must match the group's (INCONSISTENT_GROUP_PROTOCOL otherwise), as SyncGroup v5+ checks. */
  readonly protocolType?: string;
  /** When given, must match the group's selected protocol. */
  readonly protocolName?: string;
  /**
   * The leader's assignment for every member; followers send none.
   * @defaultValue []
   */
  readonly assignments?: readonly MemberAssignmentEntry[];
}

/** A Heartbeat request. */
export interface HeartbeatRequest extends GroupRequestOptions {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  /** @defaultValue null */
  readonly groupInstanceId?: string | null;
}

/** A LeaveGroup request for one member. */
export interface LeaveGroupRequest extends GroupRequestOptions {
  readonly groupId: string;
  /** The leaving member; empty to remove a static member by its `groupInstanceId` (admin removal). */
  readonly memberId: string;
  /** @defaultValue null */
  readonly groupInstanceId?: string | null;
  /** Goes into the event log. */
  readonly reason?: string;
}

/** One partition's offset in an OffsetCommit. */
export interface PartitionOffsetCommit {
  readonly partition: number;
  /** The next offset the group should read. */
  readonly offset: number;
  /** @defaultValue null */
  readonly metadata?: string | null;
}

/** An OffsetCommit request. */
export interface OffsetCommitRequest extends GroupRequestOptions {
  readonly groupId: string;
  /** -1 (with an empty member id) for a standalone commit that does not use group management. */
  readonly generationId: number;
  readonly memberId: string;
  /** @defaultValue null */
  readonly groupInstanceId?: string | null;
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly PartitionOffsetCommit[] }[];
}

/** An OffsetFetch request. */
export interface OffsetFetchRequest extends GroupRequestOptions {
  readonly groupId: string;
  /**
   * Topics to fetch, each with its partitions (omitted: every partition of the topic).
   * Omitted altogether: every offset the group has committed.
   */
  readonly topics?: readonly { readonly topic: string; readonly partitions?: readonly number[] }[];
}

/** One topic in an OffsetFetch response. */
export interface OffsetFetchTopic {
  readonly topic: string;
  readonly partitions: readonly {
    readonly partition: number;
    /** The committed offset, -1 when none. */
    readonly offset: number;
    readonly metadata: string | null;
  }[];
}

/** One member as DescribeGroups reports it. */
export interface GroupMemberDescription {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** The member's metadata for the selected protocol; empty unless the group is Stable. */
  readonly memberMetadata: Buffer;
  /** The member's assignment; empty unless the group is Stable. */
  readonly memberAssignment: Buffer;
}

/** A group as DescribeGroups reports it (plus two twin extras). */
export interface GroupDescription {
  readonly groupId: string;
  /** `Dead` for a group that does not exist, as Kafka reports it. */
  readonly state: GroupState;
  readonly protocolType: string;
  /** The selected protocol; empty unless the group is Stable. */
  readonly protocol: string;
  readonly members: readonly GroupMemberDescription[];
  /** Twin extra (not in Kafka's DescribeGroups): the current generation. */
  readonly generationId: number;
  /** Twin extra (not in Kafka's DescribeGroups): the leader's member id, null when none. */
  readonly leaderId: string | null;
}

/** A group as ListGroups reports it. */
export interface GroupOverview {
  readonly groupId: string;
  readonly protocolType: string;
  readonly groupState: GroupState;
}

/** One group's outcome in DeleteGroups. */
export interface DeleteGroupResult {
  readonly groupId: string;
  /** Null when the group was deleted. */
  readonly error: KafkaJSProtocolError | null;
}

/** An OffsetDelete request. */
export interface DeleteOffsetsRequest extends GroupRequestOptions {
  readonly groupId: string;
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly number[] }[];
}

/** An administrator's request to set a group's offsets for one topic. */
export interface SetOffsetsRequest extends GroupRequestOptions {
  readonly groupId: string;
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number; readonly offset: number }[];
}

/** An administrator's request to move a group's offsets for a topic to one end of the log. */
export interface ResetOffsetsRequest extends GroupRequestOptions {
  readonly groupId: string;
  readonly topic: string;
  /**
   * True: the log start offset; false: the high watermark.
   * @defaultValue false
   */
  readonly earliest?: boolean;
}

/** One partition's consumer lag. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** -1 when the group has committed nothing for the partition. */
  readonly committedOffset: number;
  /** -1 when the topic no longer exists. */
  readonly highWatermark: number;
  /** `highWatermark - committedOffset`, or null when either is unknown. */
  readonly lag: number | null;
  /** The member that owns the partition in the current (Stable) generation, or null. */
  readonly memberId: string | null;
}

interface CommittedOffset {
  readonly offset: number;
  readonly metadata: string | null;
  readonly commitTimestamp: number;
}

/** The group metadata record as Kafka's `storeGroup` writes it: what a new coordinator loads. */
interface StoredGroup {
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

interface GroupEntry {
  readonly groupId: string;
  readonly partition: number;
  /** Committed offsets, by topic then partition: what the offset commit records in `__consumer_offsets` hold. */
  readonly offsets: Map<string, Map<number, CommittedOffset>>;
  /** The group metadata as last stored. */
  stored: StoredGroup | undefined;
  /** The group as loaded on its coordinator; undefined while its partition has no leader. */
  group: ClassicGroup | undefined;
}

type GroupApi = 'JoinGroup' | 'SyncGroup' | 'Heartbeat' | 'LeaveGroup' | 'OffsetCommit' | 'OffsetFetch' | 'OffsetDelete' | 'DescribeGroups' | 'DeleteGroups';

type JoinOutcome = Parked<JoinGroupResponse>;
type SyncOutcome = Parked<SyncGroupResponse>;

/** Consumer groups of one cluster. Owned by the {@link Engine}; reach it as `cluster.groups`. */
export class GroupCoordinator {
  private readonly entries = new Map<string, GroupEntry>();
  private offsetsTopic: { partitions: number; leaders: number[] } | undefined;
  private cleanupTimer: TimerId | undefined;

  constructor(private readonly cluster: Engine) {
    cluster.onEvent((event) => this.onClusterEvent(event));
  }

  // ---------------------------------------------------------------- placement

  /**
   * FindCoordinator for a group: the broker leading the group's `__consumer_offsets` partition.
   * Creates `__consumer_offsets` on first use. GROUP_COORDINATOR_NOT_AVAILABLE when that
   * partition has no leader (or the topic cannot be created: no broker is running).
   */
  findCoordinator(groupId: string, options: GroupRequestOptions = {}): CoordinatorNode {
    if (options.broker !== undefined) this.checkReachable(options.broker);
    if (typeof groupId !== 'string') throw protocolError('INVALID_REQUEST', `A group id must be a string, got ${typeof groupId}`);
    const topic = this.ensureOffsetsTopic();
    const partition = partitionForGroup(groupId, topic.partitions);
    const leader = topic.leaders[partition]!;
    if (leader === -1) {
      throw protocolError(
        'GROUP_COORDINATOR_NOT_AVAILABLE',
        `The coordinator for group ${groupId} is not available: ${OFFSETS_TOPIC}-${partition} has no leader`,
      );
    }
    const node = this.cluster.brokers().find((b) => b.nodeId === leader)!;
    return { nodeId: node.nodeId, host: node.host, port: node.port };
  }

  /** The `__consumer_offsets` partition a group maps to (creating the topic on first use). */
  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.ensureOffsetsTopic().partitions);
  }

  // ---------------------------------------------------------------- JoinGroup

  /**
   * JoinGroup. Resolves when the join phase ends with the new generation; the leader's response
   * lists every member's metadata. A new member (empty member id) first gets MEMBER_ID_REQUIRED
   * (kafkajs's `KafkaJSMemberIdRequired`, carrying the `memberId` to rejoin with).
   */
  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResponse> {
    return parked((callback) => this.handleJoinGroup(request, callback));
  }

  private handleJoinGroup(request: JoinGroupRequest, callback: JoinOutcome): void {
    const { groupId } = request;
    this.route(groupId, request.broker, 'JoinGroup');
    const memberId = request.memberId ?? '';
    const min = this.cluster.config['group.min.session.timeout.ms'];
    const max = this.cluster.config['group.max.session.timeout.ms'];
    const sessionTimeout = request.sessionTimeout;
    if (!Number.isInteger(sessionTimeout) || sessionTimeout < min || sessionTimeout > max) {
      throw protocolError(
        'INVALID_SESSION_TIMEOUT',
        `The session timeout ${String(sessionTimeout)} ms of ${memberId || 'a new member'} in group ${groupId} is not within the range allowed by the broker (group.min.session.timeout.ms=${min}, group.max.session.timeout.ms=${max})`,
      );
    }
    const rebalanceTimeout = request.rebalanceTimeout ?? sessionTimeout;
    if (!Number.isInteger(rebalanceTimeout) || rebalanceTimeout < 0) {
      throw protocolError('INVALID_REQUEST', `The rebalance timeout must be a non-negative integer number of ms, got ${String(rebalanceTimeout)}`);
    }
    if (
      typeof request.protocolType !== 'string' ||
      !Array.isArray(request.protocols) ||
      request.protocols.some((p) => typeof p?.name !== 'string' || !Buffer.isBuffer(p.metadata))
    ) {
      throw protocolError('INVALID_REQUEST', 'JoinGroup needs a protocolType string and protocols as [{ name: string, metadata: Buffer }]');
    }
    const isUnknownMember = memberId === '';
    const group = this.getOrMaybeCreateGroup(groupId, isUnknownMember);
    if (group === undefined) {
      throw protocolError('UNKNOWN_MEMBER_ID', `Group ${groupId} does not exist, so member ${memberId} is unknown to it; rejoin with an empty member id`);
    }
    const join: JoinParams = {
      memberId,
      groupInstanceId: request.groupInstanceId ?? null,
      clientId: request.clientId,
      clientHost: request.clientHost ?? DEFAULT_CLIENT_HOST,
      rebalanceTimeoutMs: rebalanceTimeout,
      sessionTimeoutMs: sessionTimeout,
      protocolType: request.protocolType,
      protocols: request.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      requireKnownMemberId: request.requireKnownMemberId ?? true,
      reason: request.reason ?? 'not provided',
    };
    if (!this.acceptJoiningMember(group, memberId)) {
      if (group.has(memberId)) {
        const member = group.get(memberId);
        this.cancelHeartbeat(member);
        this.record({
          type: 'group-member-left',
          groupId,
          generationId: group.generationId,
          memberId,
          groupInstanceId: member.groupInstanceId,
          reason: `group.max.size (${this.cluster.config['group.max.size']}) reached`,
        });
      }
      group.remove(memberId);
      callback.reject(
        protocolError('GROUP_MAX_SIZE_REACHED', `Group ${groupId} already has the most members group.max.size=${this.cluster.config['group.max.size']} allows`),
      );
    } else if (isUnknownMember) {
      this.doNewMemberJoinGroup(group, join, callback);
    } else {
      this.doCurrentMemberJoinGroup(group, join, callback);
    }
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
  }

  /** Kafka's rule for `group.max.size`: existing members are kept, new ones turned away once the group is full. */
  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    const maxSize = this.cluster.config['group.max.size'];
    const state = group.currentState;
    switch (state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        // Counting members that have joined (not all members) lets the last to rejoin be the ones
        // turned away when the limit was lowered below the group's size.
        return (group.has(memberId) && group.get(memberId).isAwaitingJoin) || group.numAwaitingJoin < maxSize;
      case 'CompletingRebalance':
      case 'Stable':
        return group.has(memberId) || group.size < maxSize;
      default:
        return assertNever(state, 'group state');
    }
  }

  private doNewMemberJoinGroup(group: ClassicGroup, join: JoinParams, callback: JoinOutcome): void {
    if (group.is('Dead')) {
      callback.reject(groupGoingAway(group.groupId));
      return;
    }
    if (!group.supportsProtocols(join.protocolType, new Set(join.protocols.map((p) => p.name)))) {
      callback.reject(this.inconsistentProtocol(group, join));
      return;
    }
    const newMemberId = `${join.groupInstanceId ?? join.clientId}-${this.cluster.random.uuid()}`;
    if (join.groupInstanceId !== null) {
      const oldMemberId = group.currentStaticMemberId(join.groupInstanceId);
      if (oldMemberId !== undefined) this.updateStaticMemberAndRebalance(group, oldMemberId, newMemberId, join, callback);
      else this.addMemberAndRebalance(group, { ...join, memberId: newMemberId }, callback);
    } else if (join.requireKnownMemberId) {
      // The member must come back with this id: a client that times out and retries then reuses
      // its id instead of leaving a trail of defunct members in the group.
      group.addPendingMember(newMemberId);
      group.pendingMemberTimers.set(
        newMemberId,
        this.cluster.clock.schedule(join.sessionTimeoutMs, () => {
          group.pendingMemberTimers.delete(newMemberId);
          if (this.isLive(group) && group.isPendingMember(newMemberId)) this.removePendingMemberAndUpdateGroup(group, newMemberId);
        }),
      );
      const row = kafkaError('MEMBER_ID_REQUIRED');
      const e = {
        type: row.type,
        code: row.code,
        retriable: row.retriable,
        message: `Group ${group.groupId} gave the new member the id ${newMemberId}; it must rejoin with it`,
      };
      callback.reject(withoutStack(() => new KafkaJSMemberIdRequired(e as unknown as Error, { memberId: newMemberId })));
    } else {
      this.addMemberAndRebalance(group, { ...join, memberId: newMemberId }, callback);
    }
  }

  private doCurrentMemberJoinGroup(group: ClassicGroup, join: JoinParams, callback: JoinOutcome): void {
    const { memberId } = join;
    if (group.is('Dead')) {
      callback.reject(groupGoingAway(group.groupId));
      return;
    }
    if (!group.supportsProtocols(join.protocolType, new Set(join.protocols.map((p) => p.name)))) {
      callback.reject(this.inconsistentProtocol(group, join));
      return;
    }
    if (group.isPendingMember(memberId)) {
      if (join.groupInstanceId !== null) {
        callback.reject(protocolError('UNKNOWN', `Unexpected JoinGroup with group.instance.id ${join.groupInstanceId} for pending member ${memberId}`));
        return;
      }
      const timer = group.pendingMemberTimers.get(memberId);
      if (timer !== undefined) this.cluster.clock.cancel(timer);
      group.pendingMemberTimers.delete(memberId);
      this.addMemberAndRebalance(group, join, callback);
      return;
    }
    const invalid = this.validateCurrentMember(group, memberId, join.groupInstanceId);
    if (invalid !== undefined) {
      callback.reject(invalid);
      return;
    }
    const member = group.get(memberId);
    const state = group.currentState;
    switch (state) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(
          group,
          member,
          join,
          callback,
          `Member ${memberId} joining group during PreparingRebalance; client reason: ${join.reason}`,
        );
        break;
      case 'CompletingRebalance':
        if (member.matches(join.protocols)) {
          // Same metadata: most likely the member lost the JoinGroup response, so it gets it again.
          callback.resolve(this.joinResponse(group, member, group.isLeader(memberId)));
        } else {
          this.updateMemberAndRebalance(
            group,
            member,
            join,
            callback,
            `Updating metadata for member ${memberId} during CompletingRebalance; client reason: ${join.reason}`,
          );
        }
        break;
      case 'Stable':
        if (group.isLeader(memberId)) {
          // The leader rejoins to have the group reassigned for changes the coordinator cannot
          // see, such as a subscribed topic gaining partitions.
          this.updateMemberAndRebalance(group, member, join, callback, `Leader ${memberId} re-joining group during Stable; client reason: ${join.reason}`);
        } else if (!member.matches(join.protocols)) {
          this.updateMemberAndRebalance(group, member, join, callback, `Updating metadata for member ${memberId} during Stable; client reason: ${join.reason}`);
        } else {
          callback.resolve(this.joinResponse(group, member, false));
        }
        break;
      case 'Empty':
      case 'Dead':
        callback.reject(
          protocolError('UNKNOWN_MEMBER_ID', `Member ${memberId} rejoined group ${group.groupId} in unexpected state ${state}; rejoin with an empty member id`),
        );
        break;
      default:
        assertNever(state, 'group state');
    }
  }

  private addMemberAndRebalance(group: ClassicGroup, join: JoinParams, callback: JoinOutcome): void {
    const member = new GroupMember(
      join.memberId,
      join.groupInstanceId,
      join.clientId,
      join.clientHost,
      join.rebalanceTimeoutMs,
      join.sessionTimeoutMs,
      join.protocolType,
      join.protocols,
    );
    member.isNew = true;
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
    group.add(member, callback);
    // A new member cannot heartbeat while its JoinGroup is parked, and a client that gave up on
    // it would leave a defunct member behind: new members get a fixed join timeout instead.
    this.scheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.recordJoin(group, member, false, null);
    this.maybePrepareRebalance(
      group,
      `Adding new member ${member.memberId} with group instance id ${String(member.groupInstanceId)}; client reason: ${join.reason}`,
    );
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: GroupMember, join: JoinParams, callback: JoinOutcome, reason: string): void {
    const superseded = group.updateMember(member, join.protocols, join.rebalanceTimeoutMs, join.sessionTimeoutMs, callback);
    superseded?.reject(protocolError('REBALANCE_IN_PROGRESS', `A newer JoinGroup from member ${member.memberId} replaced this one`));
    this.recordJoin(group, member, true, null);
    this.maybePrepareRebalance(group, reason);
  }

  private updateStaticMemberAndRebalance(group: ClassicGroup, oldMemberId: string, newMemberId: string, join: JoinParams, callback: JoinOutcome): void {
    const instanceId = join.groupInstanceId!;
    const currentLeader = group.leaderId;
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId, () =>
      protocolError('FENCED_INSTANCE_ID', `Static member ${instanceId} of group ${group.groupId} was taken over by a new instance (member id ${newMemberId})`),
    );
    this.scheduleHeartbeat(group, member);
    group.updateMember(member, join.protocols, join.rebalanceTimeoutMs, join.sessionTimeoutMs, callback);
    this.recordJoin(group, member, true, oldMemberId);
    const state = group.currentState;
    switch (state) {
      case 'Stable': {
        if (group.protocolName === group.selectProtocol()) {
          // The new instance takes over the old one's assignment without a rebalance. The old
          // leader id is returned so that a static leader does not run a pointless assignment
          // a Stable group would ignore (JoinGroup before v9).
          this.storeGroup(group);
          group.completeJoin(member, {
            response: {
              members: [],
              memberId: newMemberId,
              generationId: group.generationId,
              protocolType: group.protocolType,
              protocolName: group.protocolName,
              leaderId: currentLeader ?? '',
            },
          });
        } else {
          this.maybePrepareRebalance(
            group,
            `Group's selected protocol will change because static member ${newMemberId} with instance id ${instanceId} joined with change of protocol; client reason: ${join.reason}`,
          );
        }
        break;
      }
      case 'CompletingRebalance':
        // The old member id may already be in the leader's hands; its assignment would miss the new id.
        this.prepareRebalance(group, `Updating metadata for static member ${newMemberId} with instance id ${instanceId}; client reason: ${join.reason}`);
        break;
      case 'PreparingRebalance':
        break;
      case 'Empty':
      case 'Dead':
        throw new Error(`invariant: group ${group.groupId} in state ${state} when static member ${instanceId} rejoins`);
      default:
        assertNever(state, 'group state');
    }
  }

  private maybePrepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason);
  }

  private prepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is('CompletingRebalance')) {
      this.resetAndPropagateAssignmentError(group, protocolError('REBALANCE_IN_PROGRESS', `Group ${group.groupId} is rebalancing again (${reason}); rejoin`));
    }
    this.removeSyncExpiration(group);
    const initial = group.is('Empty');
    const rebalanceTimeout = group.rebalanceTimeoutMs();
    group.transitionTo('PreparingRebalance', reason);
    this.cancelJoinTimer(group);
    if (initial) {
      // The group is new: give more members a chance to join before the first generation forms.
      const delay = this.cluster.config['group.initial.rebalance.delay.ms'];
      this.scheduleInitialDelayedJoin(group, delay, Math.max(rebalanceTimeout - delay, 0));
    } else {
      this.scheduleDelayedJoin(group, rebalanceTimeout);
      this.tryCompleteJoin(group);
    }
  }

  /** Kafka's DelayedJoin: the join phase ends when every member has joined, or at the rebalance timeout. */
  private scheduleDelayedJoin(group: ClassicGroup, timeoutMs: number): void {
    group.initialJoinDelay = false;
    group.joinTimer = this.cluster.clock.schedule(timeoutMs, () => {
      group.joinTimer = undefined;
      if (this.isLive(group)) this.onCompleteJoin(group);
    });
  }

  /**
   * Kafka's InitialDelayedJoin: waits `delayMs`; if members joined meanwhile and rebalance time
   * remains, waits again (up to the configured delay), else ends the join phase.
   */
  private scheduleInitialDelayedJoin(group: ClassicGroup, delayMs: number, remainingMs: number): void {
    group.initialJoinDelay = true;
    group.joinTimer = this.cluster.clock.schedule(delayMs, () => {
      group.joinTimer = undefined;
      if (!this.isLive(group)) return;
      if (group.newMemberAdded && remainingMs !== 0) {
        group.newMemberAdded = false;
        const delay = Math.min(this.cluster.config['group.initial.rebalance.delay.ms'], remainingMs);
        this.scheduleInitialDelayedJoin(group, delay, Math.max(remainingMs - delayMs, 0));
      } else {
        group.initialJoinDelay = false;
        this.onCompleteJoin(group);
      }
    });
  }

  private cancelJoinTimer(group: ClassicGroup): void {
    if (group.joinTimer !== undefined) this.cluster.clock.cancel(group.joinTimer);
    group.joinTimer = undefined;
    group.initialJoinDelay = false;
  }

  /** Ends the join phase early once every member has joined (never during the initial delay). */
  private tryCompleteJoin(group: ClassicGroup): void {
    if (group.is('PreparingRebalance') && group.joinTimer !== undefined && !group.initialJoinDelay && group.hasAllMembersJoined()) {
      this.cancelJoinTimer(group);
      this.onCompleteJoin(group);
    }
  }

  private onCompleteJoin(group: ClassicGroup): void {
    this.cancelJoinTimer(group);
    for (const failed of group.notYetRejoinedMembers()) {
      // Static members are kept: they are expected back with the same group.instance.id.
      if (failed.isStatic) continue;
      this.cancelHeartbeat(failed);
      group.remove(failed.memberId);
      this.record({
        type: 'group-member-expired',
        groupId: group.groupId,
        generationId: group.generationId,
        memberId: failed.memberId,
        reason: 'rebalance-timeout',
      });
    }
    if (group.is('Dead')) return;
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Nobody rejoined: wait another rebalance timeout for session timeouts to clear the group out.
      this.scheduleDelayedJoin(group, group.rebalanceTimeoutMs());
      return;
    }
    group.initNextGeneration();
    if (group.is('Empty')) {
      this.storeGroup(group);
      return;
    }
    this.record({
      type: 'group-join-completed',
      groupId: group.groupId,
      generationId: group.generationId,
      memberId: group.leaderId!,
      leaderId: group.leaderId!,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      members: group.allMemberIds(),
    });
    for (const member of group.allMembers()) {
      group.completeJoin(member, { response: this.joinResponse(group, member, group.isLeader(member.memberId)) });
      this.scheduleHeartbeat(group, member);
      member.isNew = false;
      group.addPendingSyncMember(member.memberId);
    }
    this.schedulePendingSync(group);
  }

  private joinResponse(group: ClassicGroup, member: GroupMember, withMembers: boolean): JoinGroupResponse {
    return {
      members: withMembers ? group.currentMemberMetadata() : [],
      memberId: member.memberId,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leaderId: group.leaderId ?? '',
    };
  }

  private inconsistentProtocol(group: ClassicGroup, join: JoinParams): KafkaJSError {
    const offered = join.protocols.map((p) => p.name).join(', ') || 'none';
    const why = group.is('Empty')
      ? `a member must name a protocol type and at least one protocol (got type '${join.protocolType}', protocols [${offered}])`
      : `the group has protocol type '${String(group.protocolType)}' and its members have no protocol in common with [${offered}] (type '${join.protocolType}')`;
    return protocolError('INCONSISTENT_GROUP_PROTOCOL', `Member of group ${group.groupId} cannot join: ${why}`);
  }

  // ---------------------------------------------------------------- SyncGroup

  /**
   * SyncGroup. The leader sends every member's assignment; followers wait until it has, then
   * each receives its own. In a Stable group any member gets its current assignment back.
   */
  syncGroup(request: SyncGroupRequest): Promise<SyncGroupResponse> {
    return parked((callback) => this.handleSyncGroup(request, callback));
  }

  private handleSyncGroup(request: SyncGroupRequest, callback: SyncOutcome): void {
    const { groupId, memberId } = request;
    const group = this.memberOfGeneration(request, 'SyncGroup');
    if (request.protocolType !== undefined && request.protocolType !== group.protocolType) {
      throw protocolError(
        'INCONSISTENT_GROUP_PROTOCOL',
        `SyncGroup names protocol type ${request.protocolType}, but group ${groupId} uses ${String(group.protocolType)}`,
      );
    }
    if (request.protocolName !== undefined && request.protocolName !== group.protocolName) {
      throw protocolError(
        'INCONSISTENT_GROUP_PROTOCOL',
        `SyncGroup names protocol ${request.protocolName}, but group ${groupId} selected ${String(group.protocolName)}`,
      );
    }
    const state = group.currentState;
    switch (state) {
      case 'Empty':
        throw protocolError('UNKNOWN_MEMBER_ID', `Group ${groupId} is empty; member ${memberId} must rejoin`);
      case 'PreparingRebalance':
        throw protocolError('REBALANCE_IN_PROGRESS', `Group ${groupId} is rebalancing; member ${memberId} must rejoin`);
      case 'CompletingRebalance': {
        const member = group.get(memberId);
        const superseded = member.awaitingSync;
        member.awaitingSync = callback;
        superseded?.reject(protocolError('REBALANCE_IN_PROGRESS', `A newer SyncGroup from member ${memberId} replaced this one`));
        this.removePendingSyncMember(group, memberId);
        if (group.isLeader(memberId)) {
          const assignment = new Map<string, Buffer>();
          for (const a of request.assignments ?? []) {
            if (!Buffer.isBuffer(a.memberAssignment)) throw protocolError('INVALID_REQUEST', `The assignment for member ${a.memberId} must be a Buffer`);
            assignment.set(a.memberId, a.memberAssignment);
          }
          // Members the leader left out get an empty assignment.
          for (const m of group.allMembers()) m.assignment = assignment.get(m.memberId) ?? EMPTY;
          this.storeGroup(group);
          this.record({
            type: 'group-assignment',
            groupId,
            generationId: group.generationId,
            memberId,
            protocolName: group.protocolName,
            assignments: group.allMembers().map((m) => ({ memberId: m.memberId, partitions: decodeAssignment(m.assignment) })),
          });
          this.propagateAssignment(group, null);
          group.transitionTo('Stable', `assignment received from leader ${memberId}`);
        }
        break;
      }
      case 'Stable': {
        this.removePendingSyncMember(group, memberId);
        const member = group.get(memberId);
        callback.resolve({ protocolType: group.protocolType, protocolName: group.protocolName, memberAssignment: member.assignment });
        this.scheduleHeartbeat(group, member);
        break;
      }
      case 'Dead':
        throw new Error(`invariant: sync in Dead group ${groupId}`);
      default:
        assertNever(state, 'group state');
    }
  }

  private resetAndPropagateAssignmentError(group: ClassicGroup, error: KafkaJSError): void {
    if (!group.is('CompletingRebalance'))
      throw new Error(`invariant: group ${group.groupId} must be CompletingRebalance to reset its assignment, but is ${group.currentState}`);
    for (const m of group.allMembers()) m.assignment = EMPTY;
    this.propagateAssignment(group, error);
  }

  private propagateAssignment(group: ClassicGroup, error: KafkaJSError | null): void {
    for (const member of group.allMembers()) {
      const answered =
        error === null
          ? group.completeSync(member, {
              response: { protocolType: group.protocolType, protocolName: group.protocolName, memberAssignment: member.assignment },
            })
          : group.completeSync(member, { error });
      // A member whose session ran out while it waited for the leader was spared; it gets a fresh session now.
      if (answered) this.scheduleHeartbeat(group, member);
    }
  }

  /** Kafka's DelayedSync: members that got the JoinGroup response must send SyncGroup within the rebalance timeout. */
  private schedulePendingSync(group: ClassicGroup): void {
    if (group.syncTimer !== undefined) this.cluster.clock.cancel(group.syncTimer);
    const generation = group.generationId;
    group.syncTimerGeneration = generation;
    group.syncTimer = this.cluster.clock.schedule(group.rebalanceTimeoutMs(), () => {
      group.syncTimer = undefined;
      if (this.isLive(group)) this.onExpirePendingSync(group, generation);
    });
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.removePendingSyncMember(memberId);
    this.maybeCompleteSyncExpiration(group);
  }

  private removeSyncExpiration(group: ClassicGroup): void {
    group.clearPendingSyncMembers();
    this.maybeCompleteSyncExpiration(group);
  }

  private maybeCompleteSyncExpiration(group: ClassicGroup): void {
    if (group.syncTimer === undefined) return;
    const state = group.currentState;
    let done: boolean;
    if (group.syncTimerGeneration !== group.generationId) done = true;
    else {
      switch (state) {
        case 'Dead':
        case 'Empty':
        case 'PreparingRebalance':
          done = true;
          break;
        case 'CompletingRebalance':
        case 'Stable':
          done = group.hasReceivedSyncFromAllMembers();
          break;
        default:
          return assertNever(state, 'group state');
      }
    }
    if (done) {
      this.cluster.clock.cancel(group.syncTimer);
      group.syncTimer = undefined;
    }
  }

  private onExpirePendingSync(group: ClassicGroup, generationId: number): void {
    if (generationId !== group.generationId) return;
    const state = group.currentState;
    switch (state) {
      case 'Dead':
      case 'Empty':
      case 'PreparingRebalance':
        return;
      case 'CompletingRebalance':
      case 'Stable': {
        if (group.hasReceivedSyncFromAllMembers()) return;
        const late = group.allPendingSyncMembers();
        for (const memberId of late) {
          const member = group.get(memberId);
          this.cancelHeartbeat(member);
          group.remove(memberId);
          this.record({ type: 'group-member-expired', groupId: group.groupId, generationId: group.generationId, memberId, reason: 'sync-timeout' });
        }
        this.prepareRebalance(group, `Removing [${late.join(', ')}] on pending sync request expiration`);
        return;
      }
      default:
        assertNever(state, 'group state');
    }
  }

  // ---------------------------------------------------------------- Heartbeat and LeaveGroup

  /**
   * Heartbeat: keeps the member's session alive. REBALANCE_IN_PROGRESS tells the member to
   * rejoin; ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID that it has fallen out of the group.
   */
  heartbeat(request: HeartbeatRequest): void {
    const { groupId, memberId } = request;
    const group = this.memberOfGeneration(request, 'Heartbeat');
    const state = group.currentState;
    switch (state) {
      case 'Empty':
        throw protocolError('UNKNOWN_MEMBER_ID', `Group ${groupId} is empty; member ${memberId} must rejoin`);
      case 'CompletingRebalance':
      case 'Stable':
        // Members may heartbeat as soon as they have their JoinGroup response.
        this.scheduleHeartbeat(group, group.get(memberId));
        return;
      case 'PreparingRebalance':
        this.scheduleHeartbeat(group, group.get(memberId));
        throw withoutStack(() => protocolError('REBALANCE_IN_PROGRESS', `Group ${groupId} is rebalancing; member ${memberId} must rejoin`));
      case 'Dead':
        throw new Error(`invariant: heartbeat in Dead group ${groupId}`);
      default:
        assertNever(state, 'group state');
    }
  }

  /**
   * LeaveGroup for one member: removes it at once, which rebalances the rest. With an empty
   * member id and a `groupInstanceId`, removes that static member (admin removal).
   */
  leaveGroup(request: LeaveGroupRequest): void {
    const { groupId } = request;
    const memberId = request.memberId ?? '';
    const groupInstanceId = request.groupInstanceId ?? null;
    this.route(groupId, request.broker, 'LeaveGroup');
    const group = this.getGroup(groupId);
    if (group === undefined)
      throw protocolError('UNKNOWN_MEMBER_ID', `Group ${groupId} does not exist, so member ${memberId || String(groupInstanceId)} is unknown to it`);
    if (group.is('Dead')) throw groupGoingAway(groupId);
    const reason = request.reason ?? 'not provided';
    if (memberId === '') {
      const current = groupInstanceId === null ? undefined : group.currentStaticMemberId(groupInstanceId);
      if (current === undefined)
        throw protocolError('UNKNOWN_MEMBER_ID', `Group ${groupId} has no static member with group.instance.id ${String(groupInstanceId)}`);
      this.removeCurrentMemberFromGroup(group, current, reason);
      return;
    }
    if (group.isPendingMember(memberId)) {
      this.removePendingMemberAndUpdateGroup(group, memberId);
      return;
    }
    const invalid = this.validateCurrentMember(group, memberId, groupInstanceId);
    if (invalid !== undefined) throw invalid;
    this.removeCurrentMemberFromGroup(group, memberId, reason);
  }

  private removeCurrentMemberFromGroup(group: ClassicGroup, memberId: string, reason: string): void {
    const member = group.get(memberId);
    this.record({
      type: 'group-member-left',
      groupId: group.groupId,
      generationId: group.generationId,
      memberId,
      groupInstanceId: member.groupInstanceId,
      reason,
    });
    this.removeMemberAndUpdateGroup(group, member, `Removing member ${memberId} on LeaveGroup; client reason: ${reason}`);
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember, reason: string): void {
    // A new member can time out while its JoinGroup is parked: answer it so that a client still
    // waiting retries with a fresh JoinGroup.
    const gone = () => protocolError('UNKNOWN_MEMBER_ID', `Member ${member.memberId} was removed from group ${group.groupId} (${reason})`);
    // Built only for a parked request: most removed members have none, and errors are not free.
    if (member.awaitingJoin !== undefined) group.completeJoin(member, { error: gone() });
    if (member.awaitingSync !== undefined) group.completeSync(member, { error: gone() });
    this.cancelHeartbeat(member);
    group.remove(member.memberId);
    const state = group.currentState;
    switch (state) {
      case 'Dead':
      case 'Empty':
        break;
      case 'Stable':
      case 'CompletingRebalance':
        this.maybePrepareRebalance(group, reason);
        break;
      case 'PreparingRebalance':
        this.tryCompleteJoin(group);
        break;
      default:
        assertNever(state, 'group state');
    }
  }

  private removePendingMemberAndUpdateGroup(group: ClassicGroup, memberId: string): void {
    const timer = group.pendingMemberTimers.get(memberId);
    if (timer !== undefined) this.cluster.clock.cancel(timer);
    group.pendingMemberTimers.delete(memberId);
    group.remove(memberId);
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
  }

  /**
   * The checks SyncGroup and Heartbeat share: the group exists here and is not going away, the
   * member belongs to it, and it speaks for the group's current generation.
   */
  private memberOfGeneration(request: SyncGroupRequest | HeartbeatRequest, api: 'SyncGroup' | 'Heartbeat'): ClassicGroup {
    const { groupId, generationId, memberId } = request;
    this.route(groupId, request.broker, api);
    const group = this.getGroup(groupId);
    if (group === undefined) throw protocolError('UNKNOWN_MEMBER_ID', `Group ${groupId} does not exist, so member ${memberId} is unknown to it`);
    if (group.is('Dead')) throw groupGoingAway(groupId);
    const invalid = this.validateCurrentMember(group, memberId, request.groupInstanceId ?? null);
    if (invalid !== undefined) throw invalid;
    if (generationId !== group.generationId) {
      throw protocolError(
        'ILLEGAL_GENERATION',
        `Member ${memberId} of group ${groupId} sent ${api} for generation ${String(generationId)}, but the group is at generation ${group.generationId}`,
      );
    }
    return group;
  }

  private validateCurrentMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): KafkaJSError | undefined {
    if (groupInstanceId !== null) {
      const current = group.currentStaticMemberId(groupInstanceId);
      if (current === undefined)
        return protocolError('UNKNOWN_MEMBER_ID', `Group ${group.groupId} has no static member with group.instance.id ${groupInstanceId}`);
      if (current !== memberId) {
        return protocolError(
          'FENCED_INSTANCE_ID',
          `Member ${memberId} of group ${group.groupId} was fenced: group.instance.id ${groupInstanceId} now belongs to member ${current}`,
        );
      }
      return undefined;
    }
    if (!group.has(memberId)) return protocolError('UNKNOWN_MEMBER_ID', `Member ${memberId || "''"} is not a member of group ${group.groupId}`);
    return undefined;
  }

  // ---------------------------------------------------------------- sessions

  /** (Re)starts a member's session: it is removed if nothing keeps it alive for `timeoutMs`. */
  private scheduleHeartbeat(group: ClassicGroup, member: GroupMember, timeoutMs = member.sessionTimeoutMs): void {
    this.cancelHeartbeat(member);
    member.heartbeatTimer = this.cluster.clock.schedule(timeoutMs, () => {
      member.heartbeatTimer = undefined;
      if (this.isLive(group)) this.onExpireHeartbeat(group, member);
    });
  }

  private cancelHeartbeat(member: GroupMember): void {
    if (member.heartbeatTimer !== undefined) this.cluster.clock.cancel(member.heartbeatTimer);
    member.heartbeatTimer = undefined;
  }

  private onExpireHeartbeat(group: ClassicGroup, member: GroupMember): void {
    if (group.is('Dead') || !group.has(member.memberId) || group.get(member.memberId) !== member) return;
    if (member.hasSatisfiedHeartbeat()) return;
    this.record({
      type: 'group-member-expired',
      groupId: group.groupId,
      generationId: group.generationId,
      memberId: member.memberId,
      reason: member.isNew ? 'new-member-join-timeout' : 'session-timeout',
    });
    this.removeMemberAndUpdateGroup(group, member, `removing member ${member.memberId} on heartbeat expiration`);
  }

  // ---------------------------------------------------------------- offsets

  /**
   * OffsetCommit. A member commits with its generation and member id; `generationId` -1 with an
   * empty member id is a standalone commit, accepted only while the group is Empty (or does not
   * exist yet). Rejections follow Kafka: a stale generation is ILLEGAL_GENERATION, an unknown
   * member UNKNOWN_MEMBER_ID, a commit while the group awaits its assignment
   * REBALANCE_IN_PROGRESS (during PreparingRebalance the current generation may still commit).
   * Partitions of unknown topics (UNKNOWN_TOPIC_OR_PARTITION) and metadata over 4096 characters
   * (OFFSET_METADATA_TOO_LARGE) fail alone: the other partitions are committed, then the first
   * such error is thrown, as kafkajs surfaces it.
   */
  offsetCommit(request: OffsetCommitRequest): void {
    this.commit(request, false);
  }

  private commit(request: OffsetCommitRequest, adminReset: boolean): void {
    const { groupId } = request;
    const generationId = request.generationId ?? -1;
    const memberId = request.memberId ?? '';
    const groupInstanceId = request.groupInstanceId ?? null;
    this.route(groupId, request.broker, 'OffsetCommit');
    if (!Array.isArray(request.topics)) throw protocolError('INVALID_REQUEST', 'OffsetCommit needs topics as [{ topic, partitions: [{ partition, offset }] }]');
    const partitionErrors: KafkaJSError[] = [];
    const known: { topic: string; partition: number; offset: number; metadata: string | null }[] = [];
    const partitionCounts = new Map<string, number>();
    for (const t of request.topics) {
      for (const p of t.partitions) {
        if (!Number.isSafeInteger(p.offset))
          throw protocolError('INVALID_REQUEST', `The offset for ${t.topic}-${p.partition} must be an integer, got ${String(p.offset)}`);
        if (!partitionCounts.has(t.topic))
          partitionCounts.set(t.topic, this.cluster.hasTopic(t.topic) ? this.cluster.describeTopic(t.topic).partitions.length : 0);
        if (!Number.isInteger(p.partition) || p.partition < 0 || p.partition >= partitionCounts.get(t.topic)!) {
          partitionErrors.push(
            protocolError('UNKNOWN_TOPIC_OR_PARTITION', `Cannot commit an offset for ${t.topic}-${String(p.partition)}: no such topic-partition`, {
              topic: t.topic,
              partition: p.partition,
            }),
          );
        } else {
          known.push({ topic: t.topic, partition: p.partition, offset: p.offset, metadata: p.metadata ?? null });
        }
      }
    }
    // With no partition left to commit Kafka answers without consulting the group (and so without creating one).
    if (known.length === 0) {
      if (partitionErrors.length > 0) throw partitionErrors[0];
      return;
    }

    let group = this.getGroup(groupId);
    if (group === undefined) {
      if (generationId >= 0) {
        throw protocolError('ILLEGAL_GENERATION', `Group ${groupId} does not exist, so generation ${generationId} of member ${memberId} is not valid`);
      }
      // A group that does not use group management: Kafka creates a "simple" group to hold the offsets.
      group = this.createGroup(groupId);
    }
    this.validateOffsetCommit(group, generationId, memberId, groupInstanceId, adminReset);
    const state = group.currentState;
    switch (state) {
      case 'Empty':
        break;
      case 'Stable':
      case 'PreparingRebalance':
        // A commit proves the member alive; during PreparingRebalance it is still accepted, the
        // member learns of the rebalance from its next heartbeat.
        this.scheduleHeartbeat(group, group.get(memberId));
        break;
      case 'CompletingRebalance':
        // The member has the new generation's JoinGroup response but not its assignment yet.
        throw protocolError(
          'REBALANCE_IN_PROGRESS',
          `Group ${groupId} is awaiting its assignment for generation ${group.generationId}; commit after SyncGroup`,
        );
      case 'Dead':
        throw new Error(`invariant: commit to Dead group ${groupId}`);
      default:
        assertNever(state, 'group state');
    }
    const entry = this.entries.get(groupId)!;
    const now = this.cluster.clock.now();
    const stored: { topic: string; partition: number; offset: number }[] = [];
    for (const k of known) {
      if (k.metadata !== null && k.metadata.length > OFFSET_METADATA_MAX_SIZE) {
        partitionErrors.push(
          protocolError(
            'OFFSET_METADATA_TOO_LARGE',
            `The metadata committed for ${k.topic}-${k.partition} is ${k.metadata.length} characters long, over offset.metadata.max.bytes=${OFFSET_METADATA_MAX_SIZE}`,
          ),
        );
        continue;
      }
      let topicOffsets = entry.offsets.get(k.topic);
      if (topicOffsets === undefined) entry.offsets.set(k.topic, (topicOffsets = new Map()));
      topicOffsets.set(k.partition, { offset: k.offset, metadata: k.metadata, commitTimestamp: now });
      stored.push({ topic: k.topic, partition: k.partition, offset: k.offset });
    }
    if (stored.length > 0) {
      this.record({ type: adminReset ? 'group-offsets-reset' : 'group-offsets-committed', groupId, generationId, memberId, offsets: stored });
    }
    if (partitionErrors.length > 0) throw partitionErrors[0];
  }

  private validateOffsetCommit(group: ClassicGroup, generationId: number, memberId: string, groupInstanceId: string | null, adminReset: boolean): void {
    if (group.is('Dead')) throw groupGoingAway(group.groupId);
    // Generation -1 comes from the admin client or a consumer without group management: it may
    // commit while the group is empty.
    if (generationId < 0 && group.is('Empty')) return;
    if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
      const invalid = this.validateCurrentMember(group, memberId, groupInstanceId);
      if (invalid !== undefined) throw invalid;
      if (generationId !== group.generationId) {
        throw protocolError(
          'ILLEGAL_GENERATION',
          `Member ${memberId} of group ${group.groupId} committed with generation ${generationId}, but the group is at generation ${group.generationId}`,
        );
      }
      return;
    }
    // Without member id and generation, only an empty group takes commits.
    throw protocolError(
      'UNKNOWN_MEMBER_ID',
      adminReset
        ? `Offsets of group ${group.groupId} can only be set while it has no members; it is ${group.currentState} with ${group.size} member(s)`
        : `Group ${group.groupId} is ${group.currentState} with ${group.size} member(s): only its members may commit (a commit without member id and generation needs an empty group)`,
    );
  }

  /**
   * OffsetFetch: the committed offset of each requested partition, -1 where none. Answers for
   * any group, existing or not, since a group may use Kafka only to store offsets.
   */
  offsetFetch(request: OffsetFetchRequest): OffsetFetchTopic[] {
    const { groupId } = request;
    this.route(groupId, request.broker, 'OffsetFetch');
    const entry = this.entries.get(groupId);
    if (entry?.group?.is('Dead')) throw protocolError('GROUP_ID_NOT_FOUND', `Group ${groupId} is being removed`);
    const offsets = entry?.offsets ?? new Map<string, Map<number, CommittedOffset>>();
    const read = (topic: string, partition: number) => {
      const o = offsets.get(topic)?.get(partition);
      return { partition, offset: o?.offset ?? -1, metadata: o?.metadata ?? null };
    };
    if (request.topics === undefined) {
      return [...offsets.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([topic, byPartition]) => ({ topic, partitions: [...byPartition.keys()].sort((a, b) => a - b).map((p) => read(topic, p)) }));
    }
    return request.topics.map(({ topic, partitions }) => {
      const list = partitions ?? Array.from({ length: this.cluster.describeTopic(topic).partitions.length }, (_, i) => i);
      return { topic, partitions: list.map((p) => read(topic, p)) };
    });
  }

  /**
   * OffsetDelete: removes committed offsets. GROUP_ID_NOT_FOUND for an unknown group. A group
   * with members keeps offsets of topics it subscribes to (GROUP_SUBSCRIBED_TO_TOPIC, thrown
   * after the others are deleted); a non-consumer group with members is NON_EMPTY_GROUP.
   */
  deleteOffsets(request: DeleteOffsetsRequest): void {
    const { groupId } = request;
    this.route(groupId, request.broker, 'OffsetDelete');
    const group = this.getGroup(groupId);
    if (group === undefined) throw protocolError('GROUP_ID_NOT_FOUND', `Group ${groupId} does not exist`);
    const requested = request.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
    let eligible: { topic: string; partition: number }[];
    const partitionErrors: KafkaJSError[] = [];
    const state = group.currentState;
    switch (state) {
      case 'Dead':
        throw protocolError('GROUP_ID_NOT_FOUND', `Group ${groupId} is being removed`);
      case 'Empty':
        eligible = requested;
        break;
      case 'PreparingRebalance':
      case 'CompletingRebalance':
      case 'Stable':
        if (!group.isConsumerGroup()) throw protocolError('NON_EMPTY_GROUP', `Group ${groupId} has members; its offsets cannot be deleted`);
        eligible = [];
        for (const tp of requested) {
          if (group.isSubscribedToTopic(tp.topic)) {
            partitionErrors.push(
              protocolError(
                'GROUP_SUBSCRIBED_TO_TOPIC',
                `Group ${groupId} is subscribed to ${tp.topic}; the offset of ${tp.topic}-${tp.partition} cannot be deleted while it has members`,
                tp,
              ),
            );
          } else eligible.push(tp);
        }
        break;
      default:
        assertNever(state, 'group state');
    }
    this.removeOffsets(this.entries.get(groupId)!, eligible, 'offset-delete');
    if (partitionErrors.length > 0) throw partitionErrors[0];
  }

  /**
   * Sets a group's offsets for one topic as an administrator does (a commit with generation -1
   * and no member id). Like Kafka, accepted only while the group is empty: with members it is
   * UNKNOWN_MEMBER_ID (kafkajs's admin.setOffsets refuses before asking the broker).
   */
  setOffsets(request: SetOffsetsRequest): void {
    this.commit(
      {
        groupId: request.groupId,
        generationId: -1,
        memberId: '',
        topics: [{ topic: request.topic, partitions: request.partitions.map((p) => ({ partition: p.partition, offset: p.offset })) }],
        ...(request.broker === undefined ? {} : { broker: request.broker }),
      },
      true,
    );
  }

  /**
   * Moves a group's offsets for every partition of a topic to the log start offset
   * (`earliest`) or the high watermark, as `kafka-consumer-groups --reset-offsets` does.
   * Same rules as {@link setOffsets}.
   */
  resetOffsets(request: ResetOffsetsRequest): void {
    const spec = request.earliest === true ? 'earliest' : 'latest';
    const partitions = this.cluster.describeTopic(request.topic).partitions.map((p) => ({
      partition: p.partition,
      offset: this.cluster.listOffsets(request.topic, p.partition, spec).offset,
    }));
    this.setOffsets({ groupId: request.groupId, topic: request.topic, partitions, ...(request.broker === undefined ? {} : { broker: request.broker }) });
  }

  /**
   * Consumer lag per partition: every partition with a committed offset or an owner in the
   * current Stable assignment, with the high watermark and their difference. Reads the
   * coordinator's state directly (no request, so no routing errors); GROUP_ID_NOT_FOUND for an
   * unknown group.
   */
  lag(groupId: string): PartitionLag[] {
    const entry = this.entries.get(groupId);
    if (entry === undefined) throw protocolError('GROUP_ID_NOT_FOUND', `Group ${groupId} does not exist`);
    const owners = new Map<string, string>();
    const group = entry.group;
    if (group?.is('Stable')) {
      for (const m of group.allMembers()) {
        for (const t of decodeAssignment(m.assignment) ?? []) for (const p of t.partitions) owners.set(`${t.topic}\u0000${p}`, m.memberId);
      }
    }
    const keys = new Set<string>(owners.keys());
    for (const [topic, byPartition] of entry.offsets) for (const p of byPartition.keys()) keys.add(`${topic}\u0000${p}`);
    const rows = [...keys].map((key) => {
      const [topic, p] = key.split('\u0000') as [string, string];
      const partition = Number(p);
      const committedOffset = entry.offsets.get(topic)?.get(partition)?.offset ?? -1;
      const highWatermark = this.highWatermark(topic, partition);
      const lag = committedOffset >= 0 && highWatermark >= 0 ? highWatermark - committedOffset : null;
      return { topic, partition, committedOffset, highWatermark, lag, memberId: owners.get(key) ?? null };
    });
    return rows.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  private highWatermark(topic: string, partition: number): number {
    if (!this.cluster.hasTopic(topic)) return -1;
    try {
      return this.cluster.listOffsets(topic, partition, 'latest').offset;
    } catch {
      // No reachable leader: the high watermark is still known to the cluster.
      try {
        return this.cluster.describePartition(topic, partition).highWatermark;
      } catch {
        return -1;
      }
    }
  }

  // ---------------------------------------------------------------- admin

  /**
   * DescribeGroups for one group. A group that does not exist is reported as `Dead` with no
   * members, as Kafka does. Member metadata, assignments and the protocol are empty unless the
   * group is Stable.
   */
  describeGroup(groupId: string, options: GroupRequestOptions = {}): GroupDescription {
    this.route(groupId, options.broker, 'DescribeGroups');
    const group = this.getGroup(groupId);
    if (group === undefined) return { groupId, state: 'Dead', protocolType: '', protocol: '', members: [], generationId: -1, leaderId: null };
    const stable = group.is('Stable');
    return {
      groupId,
      state: group.currentState,
      protocolType: group.protocolType ?? '',
      protocol: stable ? (group.protocolName ?? '') : '',
      members: group.allMembers().map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadata(group.protocolName!) : EMPTY,
        memberAssignment: stable ? m.assignment : EMPTY,
      })),
      generationId: group.generationId,
      leaderId: group.leaderId,
    };
  }

  /** DescribeGroups for several groups, each sent to its own coordinator. */
  describeGroups(groupIds: readonly string[]): GroupDescription[] {
    return groupIds.map((id) => this.describeGroup(id));
  }

  /**
   * ListGroups: every group loaded on a reachable coordinator (only `broker`'s when given),
   * optionally only those in `states`.
   */
  listGroups(options: GroupRequestOptions & { readonly states?: readonly GroupState[] } = {}): GroupOverview[] {
    if (options.broker !== undefined) this.checkReachable(options.broker);
    const running = new Set(
      this.cluster
        .brokers()
        .filter((b) => b.status === 'running')
        .map((b) => b.nodeId),
    );
    const out: GroupOverview[] = [];
    for (const entry of this.entries.values()) {
      const group = entry.group;
      if (group === undefined || group.is('Dead')) continue;
      const coordinator = this.offsetsTopic!.leaders[entry.partition]!;
      if (options.broker !== undefined ? coordinator !== options.broker : !running.has(coordinator)) continue;
      if (options.states !== undefined && options.states.length > 0 && !options.states.includes(group.currentState)) continue;
      out.push({ groupId: entry.groupId, protocolType: group.protocolType ?? '', groupState: group.currentState });
    }
    return out;
  }

  /**
   * DeleteGroups: removes empty groups and their offsets. Per group: GROUP_ID_NOT_FOUND when
   * unknown, NON_EMPTY_GROUP while it has members, or a routing error.
   */
  deleteGroups(groupIds: readonly string[], options: GroupRequestOptions = {}): DeleteGroupResult[] {
    return groupIds.map((groupId) => {
      try {
        this.route(groupId, options.broker, 'DeleteGroups');
      } catch (e) {
        if (e instanceof Error && 'type' in e) return { groupId, error: e as KafkaJSProtocolError };
        throw e;
      }
      const group = this.getGroup(groupId);
      if (group === undefined) return { groupId, error: protocolError('GROUP_ID_NOT_FOUND', `Group ${groupId} does not exist`) };
      const state = group.currentState;
      switch (state) {
        case 'Dead':
          return { groupId, error: protocolError('GROUP_ID_NOT_FOUND', `Group ${groupId} does not exist`) };
        case 'Empty':
          this.removeGroup(groupId, 'delete-groups');
          return { groupId, error: null };
        case 'Stable':
        case 'PreparingRebalance':
        case 'CompletingRebalance':
          return {
            groupId,
            error: protocolError('NON_EMPTY_GROUP', `Group ${groupId} is ${state} with ${group.size} member(s); only an empty group can be deleted`),
          };
        default:
          return assertNever(state, 'group state');
      }
    });
  }

  // ---------------------------------------------------------------- group lifecycle and storage

  private getGroup(groupId: string): ClassicGroup | undefined {
    const entry = this.entries.get(groupId);
    if (entry === undefined) return undefined;
    if (entry.group === undefined) throw new Error(`invariant: group ${groupId} is routed to a coordinator but not loaded`);
    return entry.group;
  }

  private getOrMaybeCreateGroup(groupId: string, create: boolean): ClassicGroup | undefined {
    return this.getGroup(groupId) ?? (create ? this.createGroup(groupId) : undefined);
  }

  private createGroup(groupId: string): ClassicGroup {
    const group = this.newGroup(groupId, 'Empty');
    this.entries.set(groupId, { groupId, partition: partitionForGroup(groupId, this.offsetsTopic!.partitions), offsets: new Map(), stored: undefined, group });
    this.scheduleCleanup();
    return group;
  }

  private newGroup(groupId: string, state: GroupState): ClassicGroup {
    return new ClassicGroup(
      groupId,
      state,
      () => this.cluster.clock.now(),
      (g, from, to, reason) => {
        this.record({ type: 'group-state-changed', groupId: g.groupId, generationId: g.generationId, from, to, reason });
      },
    );
  }

  /** Whether a timer's group is still the one loaded for its id (not unloaded or deleted since). */
  private isLive(group: ClassicGroup): boolean {
    return this.entries.get(group.groupId)?.group === group;
  }

  /** Kafka's `storeGroup`: the group metadata record a new coordinator would load. */
  private storeGroup(group: ClassicGroup): void {
    const entry = this.entries.get(group.groupId)!;
    const protocol = group.protocolName;
    entry.stored = {
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
    };
  }

  /** Rebuilds a group on a new coordinator from what was stored: Stable with its members, or Empty. */
  private load(entry: GroupEntry): void {
    const stored = entry.stored;
    const group = this.newGroup(entry.groupId, stored !== undefined && stored.members.length > 0 ? 'Stable' : 'Empty');
    if (stored !== undefined) {
      for (const m of stored.members) {
        const member = new GroupMember(
          m.memberId,
          m.groupInstanceId,
          m.clientId,
          m.clientHost,
          m.rebalanceTimeoutMs,
          m.sessionTimeoutMs,
          stored.protocolType ?? '',
          [{ name: stored.protocolName ?? '', metadata: m.metadata }],
        );
        member.assignment = m.assignment;
        group.add(member);
      }
      group.generationId = stored.generationId;
      group.protocolType = stored.protocolType;
      group.protocolName = stored.protocolName;
      group.leaderId = stored.leaderId;
      group.stateTimestamp = stored.stateTimestamp;
      group.subscribedTopics = group.computeSubscribedTopics();
    }
    entry.group = group;
    for (const m of group.allMembers()) this.scheduleHeartbeat(group, m);
    if (group.size > this.cluster.config['group.max.size']) {
      this.prepareRebalance(
        group,
        `Freshly-loaded group is over capacity (group.max.size=${this.cluster.config['group.max.size']}); rebalancing to give members a chance to commit offsets`,
      );
    }
  }

  /** Drops a group from its coordinator: parked requests fail with NOT_COORDINATOR so clients rediscover it. */
  private unload(entry: GroupEntry, reason: string): void {
    const group = entry.group;
    if (group === undefined) return;
    entry.group = undefined;
    this.cancelJoinTimer(group);
    if (group.syncTimer !== undefined) this.cluster.clock.cancel(group.syncTimer);
    group.syncTimer = undefined;
    for (const timer of group.pendingMemberTimers.values()) this.cluster.clock.cancel(timer);
    group.pendingMemberTimers.clear();
    group.transitionTo('Dead', reason);
    const notCoordinator = () =>
      protocolError('NOT_COORDINATOR_FOR_GROUP', `This broker is no longer the coordinator for group ${group.groupId} (${reason}); find the coordinator again`);
    for (const member of group.allMembers()) {
      this.cancelHeartbeat(member);
      group.completeJoin(member, { error: notCoordinator() });
      group.completeSync(member, { error: notCoordinator() });
    }
  }

  private removeGroup(groupId: string, reason: 'delete-groups' | 'expired'): void {
    const entry = this.entries.get(groupId)!;
    const group = entry.group!;
    group.transitionTo('Dead', reason === 'expired' ? 'offsets expired' : 'deleted');
    this.entries.delete(groupId);
    this.record({ type: 'group-deleted', groupId, generationId: group.generationId, reason });
  }

  private removeOffsets(
    entry: GroupEntry,
    partitions: readonly { topic: string; partition: number }[],
    reason: 'offset-delete' | 'retention' | 'topic-deleted',
  ): void {
    const removed: { topic: string; partition: number }[] = [];
    for (const { topic, partition } of partitions) {
      const byPartition = entry.offsets.get(topic);
      if (byPartition?.delete(partition)) {
        removed.push({ topic, partition });
        if (byPartition.size === 0) entry.offsets.delete(topic);
      }
    }
    if (removed.length > 0) {
      const generationId = entry.group?.generationId ?? entry.stored?.generationId ?? 0;
      this.record({ type: 'group-offsets-deleted', groupId: entry.groupId, generationId, offsets: removed, reason });
    }
  }

  /**
   * Kafka's periodic offset expiration (every 10 minutes): an Empty group's offsets expire
   * `offsets.retention.ms` after it became empty; a Stable consumer group's offsets of topics it
   * no longer subscribes to, that long after their commit; a standalone group's, that long after
   * their commit. An Empty group left without offsets is removed.
   */
  private scheduleCleanup(): void {
    if (this.cleanupTimer !== undefined) return;
    this.cleanupTimer = this.cluster.clock.schedule(OFFSETS_RETENTION_CHECK_INTERVAL_MS, () => {
      this.cleanupTimer = undefined;
      this.cleanupGroupMetadata();
      if (this.entries.size > 0) this.scheduleCleanup();
    });
  }

  private cleanupGroupMetadata(): void {
    const now = this.cluster.clock.now();
    const retention = this.cluster.config['offsets.retention.ms'];
    for (const entry of [...this.entries.values()]) {
      const group = entry.group;
      if (group === undefined) continue;
      let base: ((o: CommittedOffset) => number) | undefined;
      let keep: ReadonlySet<string> = new Set();
      if (group.protocolType !== null && group.is('Empty')) base = () => group.stateTimestamp;
      else if (group.protocolType === 'consumer' && group.subscribedTopics !== undefined && group.is('Stable')) {
        base = (o) => o.commitTimestamp;
        keep = group.subscribedTopics;
      } else if (group.protocolType === null) base = (o) => o.commitTimestamp;
      if (base !== undefined) {
        const expired: { topic: string; partition: number }[] = [];
        for (const [topic, byPartition] of entry.offsets) {
          if (keep.has(topic)) continue;
          for (const [partition, o] of byPartition) if (now - base(o) >= retention) expired.push({ topic, partition });
        }
        this.removeOffsets(entry, expired, 'retention');
      }
      if (group.is('Empty') && entry.offsets.size === 0) this.removeGroup(entry.groupId, 'expired');
    }
  }

  // ---------------------------------------------------------------- routing and cluster events

  /**
   * Checks a group request as the broker receiving it would: reachable, a valid group id, and
   * sent to the group's coordinator. Returns the coordinator's id.
   */
  private route(groupId: unknown, broker: number | undefined, api: GroupApi): number {
    if (broker !== undefined) this.checkReachable(broker);
    // Offset and admin APIs accept the empty group id for backward compatibility; the group
    // membership APIs need a real one.
    const lenient = api === 'OffsetCommit' || api === 'OffsetFetch' || api === 'DescribeGroups' || api === 'DeleteGroups';
    if (typeof groupId !== 'string' || (!lenient && groupId.length === 0)) {
      throw protocolError('INVALID_GROUP_ID', `The group id ${JSON.stringify(groupId)} is not valid for ${api}`);
    }
    const topic = this.ensureOffsetsTopic();
    const partition = partitionForGroup(groupId, topic.partitions);
    const leader = topic.leaders[partition]!;
    if (broker !== undefined) {
      if (leader !== broker) {
        throw protocolError(
          'NOT_COORDINATOR_FOR_GROUP',
          `Broker ${broker} is not the coordinator for group ${groupId}: ${leader === -1 ? `${OFFSETS_TOPIC}-${partition} has no leader` : `broker ${leader} is`}`,
        );
      }
      return broker;
    }
    if (leader === -1)
      throw protocolError(
        'GROUP_COORDINATOR_NOT_AVAILABLE',
        `The coordinator for group ${groupId} is not available: ${OFFSETS_TOPIC}-${partition} has no leader`,
      );
    this.checkReachable(leader);
    return leader;
  }

  private checkReachable(brokerId: number): void {
    const broker = this.cluster.brokers().find((b) => b.nodeId === brokerId);
    if (broker === undefined) throw new RangeError(`unknown broker ${String(brokerId)}: this cluster has brokers 1..${this.cluster.brokers().length}`);
    if (broker.status === 'stopped') throw brokerUnreachable(brokerId, 'stopped');
    if (broker.status === 'isolated') throw brokerUnreachable(brokerId, 'isolated from the network');
  }

  /**
   * Creates `__consumer_offsets` on first use. The replication factor is capped at the number of
   * running brokers, where Kafka would refuse until `offsets.topic.replication.factor` brokers exist.
   */
  private ensureOffsetsTopic(): { partitions: number; leaders: number[] } {
    if (this.offsetsTopic !== undefined) return this.offsetsTopic;
    if (!this.cluster.hasTopic(OFFSETS_TOPIC)) {
      const running = this.cluster.brokers().filter((b) => b.status !== 'stopped').length;
      if (running === 0) throw protocolError('GROUP_COORDINATOR_NOT_AVAILABLE', `Cannot create ${OFFSETS_TOPIC}: no broker is running`);
      try {
        this.cluster.createTopic({
          topic: OFFSETS_TOPIC,
          numPartitions: this.cluster.config['offsets.topic.num.partitions'],
          replicationFactor: Math.min(this.cluster.config['offsets.topic.replication.factor'], running),
        });
      } catch (e) {
        throw protocolError('GROUP_COORDINATOR_NOT_AVAILABLE', `Cannot create ${OFFSETS_TOPIC}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const partitions = this.cluster.describeTopic(OFFSETS_TOPIC).partitions;
    this.offsetsTopic = { partitions: partitions.length, leaders: partitions.map((p) => p.leader) };
    return this.offsetsTopic;
  }

  private onClusterEvent(event: ClusterEvent): void {
    if (event.type === 'topic-created' && event.topic === OFFSETS_TOPIC) {
      this.offsetsTopic = { partitions: event.partitions, leaders: new Array<number>(event.partitions).fill(-1) };
    } else if (event.type === 'leader-changed' && event.topic === OFFSETS_TOPIC) {
      this.onCoordinatorChange(event.partition, event.leader);
    } else if (event.type === 'topic-deleted') {
      if (event.topic === OFFSETS_TOPIC) this.onOffsetsTopicDeleted();
      else
        for (const entry of [...this.entries.values()])
          this.removeOffsets(
            entry,
            [...(entry.offsets.get(event.topic)?.keys() ?? [])].map((partition) => ({ topic: event.topic, partition })),
            'topic-deleted',
          );
    }
  }

  /** The leader of a `__consumer_offsets` partition changed: its groups move to the new leader. */
  private onCoordinatorChange(partition: number, leader: number): void {
    const topic = this.offsetsTopic;
    if (topic === undefined || partition >= topic.partitions) return;
    const previous = topic.leaders[partition]!;
    topic.leaders[partition] = leader;
    if (previous === leader) return;
    for (const entry of [...this.entries.values()]) {
      if (entry.partition !== partition) continue;
      const generationId = entry.group?.generationId ?? entry.stored?.generationId ?? 0;
      this.unload(entry, `coordinator moved from broker ${previous} to ${leader}`);
      if (entry.stored === undefined && entry.offsets.size === 0) {
        // Nothing of the group was ever written: the next coordinator does not know it.
        this.entries.delete(entry.groupId);
        this.record({ type: 'group-coordinator-moved', groupId: entry.groupId, generationId, partition, from: previous, to: leader });
        continue;
      }
      if (leader !== -1) this.load(entry);
      this.record({
        type: 'group-coordinator-moved',
        groupId: entry.groupId,
        generationId: entry.group?.generationId ?? generationId,
        partition,
        from: previous,
        to: leader,
      });
    }
  }

  private onOffsetsTopicDeleted(): void {
    for (const entry of [...this.entries.values()]) this.unload(entry, `${OFFSETS_TOPIC} was deleted`);
    this.entries.clear();
    this.offsetsTopic = undefined;
    if (this.cleanupTimer !== undefined) this.cluster.clock.cancel(this.cleanupTimer);
    this.cleanupTimer = undefined;
  }

  private recordJoin(group: ClassicGroup, member: GroupMember, rejoin: boolean, replacedMemberId: string | null): void {
    this.record({
      type: 'group-member-joined',
      groupId: group.groupId,
      generationId: group.generationId,
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      protocols: member.supportedProtocols.map((p) => p.name),
      rejoin,
      replacedMemberId,
    });
  }

  private record(event: Parameters<Engine['recordEvent']>[0]): void {
    this.cluster.recordEvent(event);
  }
}

interface JoinParams {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly GroupProtocol[];
  readonly requireKnownMemberId: boolean;
  readonly reason: string;
}

/** A Dead group's answer: it is leaving this coordinator, so the client must find the coordinator again. */
function groupGoingAway(groupId: string): KafkaJSError {
  return protocolError('GROUP_COORDINATOR_NOT_AVAILABLE', `Group ${groupId} is being removed from this coordinator; find the coordinator again`);
}

/** A request the coordinator may park until its phase ends; an error thrown while handling it rejects it. */
function parked<T>(handle: (callback: { resolve: (value: T) => void; reject: (error: KafkaJSError) => void }) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      handle({ resolve, reject });
    } catch (e) {
      reject(e as KafkaJSError);
    }
  });
}
