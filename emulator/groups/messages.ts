/**
 * The requests and responses of the group APIs as the coordinator takes and answers them
 * (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
 * OffsetDelete, DescribeGroups, ListGroups, DeleteGroups): Kafka's message data, with the error
 * codes where Kafka's responses carry them (top level, per group or per partition). A failed
 * answer is data, never an exception; `adapters/twin/groups.ts` turns it into kafkajs's error.
 */
import { NONE, type ErrorPart, type Failure } from '../../protocol/errors.js';
import type { GroupState } from './group.js';

/** One protocol a member supports (for consumers: an assignor name and its subscription). */
export interface GroupProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

/** One member in a JoinGroup response (only the leader receives them). */
export interface JoinGroupResponseMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: Buffer;
}

/** What a successful JoinGroup returns. */
export interface JoinGroupResponse {
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  /** The member id of the group leader, the member that computes the assignment. */
  readonly leaderId: string;
  /** This member's id. */
  readonly memberId: string;
  /** Every member with its metadata for the selected protocol; empty unless this member is the leader. */
  readonly members: readonly JoinGroupResponseMember[];
}

/**
 * JoinGroup's answer: the response with its error code. A failed one has generation -1, no
 * protocol, no leader and no members, as Kafka's; with MEMBER_ID_REQUIRED its `memberId` is the
 * id the member must rejoin with.
 */
export interface JoinGroupAnswer extends JoinGroupResponse, ErrorPart {}

/** What a successful SyncGroup returns. */
export interface SyncGroupResponse {
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  /** This member's assignment as the leader encoded it; empty when the leader gave it none. */
  readonly memberAssignment: Buffer;
}

/** SyncGroup's answer: the response with its error code (a failed one carries no assignment). */
export interface SyncGroupAnswer extends SyncGroupResponse, ErrorPart {}

/** Kafka's response callback for a request the coordinator may park (JoinGroup, SyncGroup); called exactly once. */
export type ResponseCallback<T> = (answer: T) => void;

/** A broker as FindCoordinator returns it. */
export interface CoordinatorNode {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

/** FindCoordinator's answer; a failed one has node -1, as Kafka's. */
export interface FindCoordinatorAnswer extends CoordinatorNode, ErrorPart {}

/** The `__consumer_offsets` partition a group maps to (-1 with the error when there is none). */
export interface PartitionForAnswer extends ErrorPart {
  readonly partition: number;
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

/** One partition's outcome in a response that answers per partition (OffsetCommit, OffsetDelete). */
export interface PartitionAnswer extends ErrorPart {
  readonly partition: number;
}

/** One topic of a response that answers per partition. */
export interface TopicAnswer {
  readonly topic: string;
  readonly partitions: readonly PartitionAnswer[];
}

/**
 * OffsetCommit's answer. Kafka's response has a code per partition only; the top-level code is
 * the twin's, for a request that got no answer at all (an unreachable broker) or could not be
 * read (INVALID_REQUEST).
 */
export interface OffsetCommitAnswer extends ErrorPart {
  readonly topics: readonly TopicAnswer[];
}

/** An OffsetFetch request. */
export interface OffsetFetchRequest extends GroupRequestOptions {
  readonly groupId: string;
  /**
   * OffsetFetch v7+ (KIP-447): a partition with transactional offsets awaiting their marker answers
   * UNSTABLE_OFFSET_COMMIT (retriable) instead of the last stable commit. Kafka's consumer asks it
   * when it reads committed.
   * @defaultValue false
   */
  readonly requireStable?: boolean;
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

/** One partition of OffsetFetch's answer, with its code. */
export interface OffsetFetchPartitionAnswer extends ErrorPart {
  readonly partition: number;
  readonly offset: number;
  readonly metadata: string | null;
}

/** OffsetFetch's answer: the group-level code and the offsets, each partition with its code. */
export interface OffsetFetchAnswer extends ErrorPart {
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly OffsetFetchPartitionAnswer[] }[];
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

/** One group of DescribeGroups' answer, with its code (a failed one describes nothing). */
export interface DescribeGroupAnswer extends GroupDescription, ErrorPart {}

/** A group as ListGroups reports it. */
export interface GroupOverview {
  readonly groupId: string;
  readonly protocolType: string;
  readonly groupState: GroupState;
}

/** ListGroups' answer. */
export interface ListGroupsAnswer extends ErrorPart {
  readonly groups: readonly GroupOverview[];
}

/** One group's outcome in DeleteGroups. */
export interface DeleteGroupAnswer extends ErrorPart {
  readonly groupId: string;
}

/** An OffsetDelete request. */
export interface DeleteOffsetsRequest extends GroupRequestOptions {
  readonly groupId: string;
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly number[] }[];
}

/** OffsetDelete's answer: a group-level code and a code per partition, as Kafka's. */
export interface DeleteOffsetsAnswer extends ErrorPart {
  readonly topics: readonly TopicAnswer[];
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

/** The lag of a group's partitions, or GROUP_ID_NOT_FOUND. */
export interface LagAnswer extends ErrorPart {
  readonly partitions: readonly PartitionLag[];
}

const EMPTY = Buffer.alloc(0);

/** The answer part of a success. */
export const OK: ErrorPart = Object.freeze({ errorCode: NONE });

/** A failed JoinGroup, as Kafka's JoinGroupResult for an error. */
export function joinFailure(error: Failure, memberId = ''): JoinGroupAnswer {
  return { ...error, generationId: -1, protocolType: null, protocolName: null, leaderId: '', memberId, members: [] };
}

/** A failed SyncGroup. */
export function syncFailure(error: Failure): SyncGroupAnswer {
  return { ...error, protocolType: null, protocolName: null, memberAssignment: EMPTY };
}

/** A failed FindCoordinator. */
export function findCoordinatorFailure(error: Failure): FindCoordinatorAnswer {
  return { ...error, nodeId: -1, host: '', port: -1 };
}

/** A group DescribeGroups could not describe. */
export function describeFailure(groupId: string, error: Failure): DescribeGroupAnswer {
  return { ...error, groupId, state: 'Dead', protocolType: '', protocol: '', members: [], generationId: -1, leaderId: null };
}

/**
 * Groups per-partition outcomes by topic, each topic where it first appears: the order Kafka's
 * `OffsetCommitResponse.Builder` answers in (it appends to a topic already in the response).
 */
export function byTopic(outcomes: readonly (PartitionAnswer & { readonly topic: string })[]): TopicAnswer[] {
  const topics = new Map<string, PartitionAnswer[]>();
  for (const { topic, ...answer } of outcomes) {
    const list = topics.get(topic);
    if (list === undefined) topics.set(topic, [answer]);
    else list.push(answer);
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }));
}
