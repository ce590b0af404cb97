/**
 * kafkajs's consumer/consumerGroup.js: the consumer's membership of its group. JoinGroup (again
 * with the id a MEMBER_ID_REQUIRED hands out), the leader's assignor call, SyncGroup, heartbeats,
 * LeaveGroup; the metadata cache the assignors and the stale-assignment check read; the
 * assignment and the paused partitions (kafkajs's subscriptionState).
 *
 * It calls the group coordinator through `cluster.groups`, whose answers surface as kafkajs's
 * errors (REBALANCE_IN_PROGRESS, UNKNOWN_MEMBER_ID, ...): what to do about them is the runner's.
 */
import type { Assigner, GroupDescription, TopicPartitions } from 'kafkajs';
import type { TwinCluster as Cluster } from '../cluster.js';
import { decodeMemberAssignmentStrict, decodeMemberMetadataStrict } from '../../../protocol/consumer-protocol.js';
import { KafkaJSNonRetriableError, isProtocolError } from '../../../protocol/errors.js';
import { CONSUMER_EVENTS, type Emit } from './events.js';
import type { Lifecycle } from './lifecycle.js';
import { key, splitKey, type Member, type OffsetManager } from './offsets.js';

/** A consumer's settings for its group membership, kafkajs's defaults already applied. */
export interface ConsumerGroupOptions {
  readonly groupId: string;
  readonly clientId: string;
  readonly sessionTimeout: number;
  readonly rebalanceTimeout: number;
  readonly heartbeatInterval: number;
  readonly metadataMaxAge: number;
  readonly assigners: readonly Assigner[];
}

/** The collaborators of a {@link ConsumerGroup}. */
export interface ConsumerGroupDeps {
  /** The subscribed topics (the consumer's `subscribe()` fills it). */
  readonly subscriptions: ReadonlyMap<string, { fromBeginning: boolean }>;
  /** Told of each new assignment, to resolve where each partition is read from. */
  readonly offsets: OffsetManager;
  readonly lifecycle: Lifecycle;
  readonly emit: Emit;
}

/** One consumer's membership of its group. */
export class ConsumerGroup implements Member {
  readonly groupId: string;
  private currentMemberId = '';
  private currentGenerationId = -1;
  private leaderId = '';
  /**
   * Whether the member holds its generation's assignment. False until JoinGroup and SyncGroup
   * complete, and again once it must rejoin (a rebalance, an unknown member id, a stale
   * assignment, the coordinator gone) or has left. Nothing is fetched, heartbeated, or committed
   * on stop() without it.
   */
  private isJoined = false;
  private currentAssignment = new Map<string, number[]>();
  private readonly pausedPartitions = new Set<string>();
  /** kafkajs's metadata cache: the partitions of each subscribed topic, as of the last refresh. */
  private knownPartitions = new Map<string, number[]>();
  private metadataExpireAt = -Infinity;
  /** The partitions of each subscribed topic when the current assignment was made. */
  private partitionsAtJoin = new Map<string, number[]>();
  /** The last (knownPartitions, partitionsAtJoin) pair {@link assignmentIsStale} found fresh. */
  private freshPair: { known: Map<string, number[]>; atJoin: Map<string, number[]> } | undefined;
  private lastHeartbeat = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly options: ConsumerGroupOptions,
    private readonly deps: ConsumerGroupDeps,
  ) {
    this.groupId = options.groupId;
  }

  get memberId(): string {
    return this.currentMemberId;
  }

  get generationId(): number {
    return this.currentGenerationId;
  }

  get joined(): boolean {
    return this.isJoined;
  }

  /** The partitions assigned to this member, per topic, ascending (replaced, never mutated, on each change). */
  get assignment(): ReadonlyMap<string, number[]> {
    return this.currentAssignment;
  }

  /** JoinGroup, the leader's assignment, SyncGroup: the member's part in forming a generation. */
  async joinAndSync(): Promise<void> {
    const { groupId, clientId, sessionTimeout, rebalanceTimeout, assigners } = this.options;
    const { lifecycle, subscriptions, emit } = this.deps;
    const started = this.cluster.now();
    this.refreshMetadataIfNecessary();
    const topics = [...subscriptions.keys()];
    const protocols = assigners.map((a) => a.protocol({ topics }));
    let response;
    for (;;) {
      try {
        response = await this.cluster.groups.joinGroup({
          groupId,
          memberId: this.currentMemberId,
          clientId,
          sessionTimeout,
          rebalanceTimeout,
          protocolType: 'consumer',
          protocols: protocols.map((p) => ({ name: p.name, metadata: p.metadata as Buffer })),
        });
        break;
      } catch (e) {
        // Kafka hands a new member its id in MEMBER_ID_REQUIRED; join again with it.
        if (isProtocolError(e, 'MEMBER_ID_REQUIRED')) {
          this.currentMemberId = (e as unknown as { memberId: string }).memberId;
          continue;
        }
        throw e;
      }
    }
    // Died while waiting for the join: the coordinator has the member, which never syncs and expires.
    lifecycle.assertAlive();
    this.currentMemberId = response.memberId;
    this.currentGenerationId = response.generationId;
    this.leaderId = response.leaderId;
    const isLeader = response.leaderId === response.memberId;
    // As kafkajs: the leader refreshes its metadata before assigning; every member then notes the
    // partitions it knows of, to notice partitions added later.
    if (isLeader) this.refreshMetadata();
    this.partitionsAtJoin = new Map(this.knownPartitions);
    let assignments: { memberId: string; memberAssignment: Buffer }[] = [];
    if (isLeader) {
      const assigner = assigners.find((a) => a.name === response.protocolName);
      if (assigner === undefined)
        throw new KafkaJSNonRetriableError(`Unsupported partition assigner "${response.protocolName}", the assigner wasn't found in the assigners list`);
      const members = response.members.map((m) => ({ memberId: m.memberId, memberMetadata: m.metadata }));
      const subscribed = new Set<string>();
      for (const m of members) for (const t of decodeMemberMetadataStrict(m.memberMetadata).topics) subscribed.add(t);
      assignments = (await assigner.assign({ members, topics: [...subscribed] })).map((a) => ({ memberId: a.memberId, memberAssignment: a.memberAssignment }));
    }
    lifecycle.assertAlive();
    const sync = await this.cluster.groups.syncGroup({ groupId, generationId: this.currentGenerationId, memberId: this.currentMemberId, assignments });
    lifecycle.assertAlive();
    const decoded = sync.memberAssignment.length > 0 ? decodeMemberAssignmentStrict(sync.memberAssignment) : null;
    const onAssignment = (assigners.find((a) => a.name === response.protocolName) as { onAssignment?: (b: Buffer) => void } | undefined)?.onAssignment;
    onAssignment?.(sync.memberAssignment);
    this.currentAssignment = new Map();
    const unsubscribed: string[] = [];
    for (const [topic, partitions] of Object.entries(decoded?.assignment ?? {})) {
      if (!subscriptions.has(topic)) {
        unsubscribed.push(topic);
        continue;
      }
      this.currentAssignment.set(
        topic,
        [...partitions].sort((a, b) => a - b),
      );
    }
    if (unsubscribed.length > 0) {
      emit(CONSUMER_EVENTS.RECEIVED_UNSUBSCRIBED_TOPICS, {
        groupId,
        generationId: this.currentGenerationId,
        memberId: this.currentMemberId,
        assignedTopics: Object.keys(decoded?.assignment ?? {}),
        topicsSubscribed: [...subscriptions.keys()],
        topicsNotSubscribed: unsubscribed,
      });
    }
    // As kafkajs: assigned partitions missing from the cached metadata make it refresh.
    const unknown = [...this.currentAssignment].some(([topic, ps]) => {
      const known = new Set(this.knownPartitions.get(topic));
      return ps.some((p) => !known.has(p));
    });
    if (unknown) {
      this.refreshMetadata();
      this.partitionsAtJoin = new Map(this.knownPartitions);
    }
    this.deps.offsets.assigned();
    this.isJoined = true;
    this.lastHeartbeat = this.cluster.now();
    emit(CONSUMER_EVENTS.GROUP_JOIN, {
      duration: this.cluster.now() - started,
      groupId,
      isLeader,
      leaderId: this.leaderId,
      groupProtocol: response.protocolName,
      memberId: this.currentMemberId,
      memberAssignment: Object.fromEntries(this.currentAssignment),
    });
  }

  /** The member must join again before it fetches; `asNewMember` when the coordinator no longer knows its id (UNKNOWN_MEMBER_ID). */
  rejoin({ asNewMember = false }: { asNewMember?: boolean } = {}): void {
    if (asNewMember) this.currentMemberId = '';
    this.isJoined = false;
  }

  /** LeaveGroup, if the member holds a generation, so its partitions move at once; then it is no member. */
  leave(): void {
    if (this.currentMemberId !== '' && this.isJoined) {
      try {
        this.cluster.groups.leaveGroup({ groupId: this.groupId, memberId: this.currentMemberId });
      } catch {
        // Already gone (session expired, coordinator moved): nothing to leave.
      }
    }
    this.forget();
  }

  /** No member any more, without a word to the coordinator: crash() (it learns of the death from the missing heartbeats), or after LeaveGroup. */
  forget(): void {
    this.currentMemberId = '';
    this.isJoined = false;
    this.currentAssignment = new Map();
  }

  /** A Heartbeat, once `heartbeatInterval` has passed since the last one (or the join), while the member holds a generation. */
  heartbeatIfDue(): void {
    if (!this.isJoined || this.cluster.now() < this.lastHeartbeat + this.options.heartbeatInterval) return;
    this.cluster.groups.heartbeat({ groupId: this.groupId, generationId: this.currentGenerationId, memberId: this.currentMemberId });
    this.lastHeartbeat = this.cluster.now();
    this.deps.emit(CONSUMER_EVENTS.HEARTBEAT, { groupId: this.groupId, memberId: this.currentMemberId, groupGenerationId: this.currentGenerationId });
  }

  /** kafkajs's metadata refresh: when the cached metadata is older than `metadataMaxAge` or lacks a subscribed topic. */
  refreshMetadataIfNecessary(): void {
    const missing = [...this.deps.subscriptions.keys()].some((t) => !this.knownPartitions.has(t));
    if (missing || this.cluster.now() > this.metadataExpireAt) this.refreshMetadata();
  }

  private refreshMetadata(): void {
    const known = new Map<string, number[]>();
    for (const topic of this.deps.subscriptions.keys()) {
      if (this.cluster.hasTopic(topic))
        known.set(
          topic,
          this.cluster.describeTopic(topic).partitions.map((p) => p.partition),
        );
    }
    this.knownPartitions = known;
    this.metadataExpireAt = this.cluster.now() + this.options.metadataMaxAge;
  }

  /** kafkajs's stale-assignment check: a subscribed topic has partitions the assignment did not know of (they were added). */
  assignmentIsStale(): boolean {
    // Both maps are replaced, never mutated, when they change: a pair already found fresh stays
    // fresh, so the per-round check is O(1) and the O(partitions) walk happens once per change.
    if (this.freshPair?.known === this.knownPartitions && this.freshPair.atJoin === this.partitionsAtJoin) return false;
    for (const [topic, partitions] of this.knownPartitions) {
      const before = this.partitionsAtJoin.get(topic);
      if (before === undefined || before === partitions) continue;
      const had = new Set(before);
      if (partitions.some((p) => !had.has(p))) return true;
    }
    this.freshPair = { known: this.knownPartitions, atJoin: this.partitionsAtJoin };
    return false;
  }

  pause(topics: Array<{ topic: string; partitions?: number[] }>): void {
    for (const { topic, partitions } of this.expand(topics)) for (const p of partitions) this.pausedPartitions.add(key(topic, p));
  }

  resume(topics: Array<{ topic: string; partitions?: number[] }>): void {
    for (const { topic, partitions } of this.expand(topics)) for (const p of partitions) this.pausedPartitions.delete(key(topic, p));
  }

  paused(): TopicPartitions[] {
    const byTopic = new Map<string, number[]>();
    for (const k of this.pausedPartitions) {
      const { topic, partition } = splitKey(k);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
  }

  /** Whether partition `k` (a {@link key}) is paused. */
  isPaused(k: string): boolean {
    // Most consumers pause nothing: skip the lookup then (this runs per partition per fetch round).
    return this.pausedPartitions.size !== 0 && this.pausedPartitions.has(k);
  }

  /** DescribeGroups for this group, in kafkajs's shape. */
  describe(): GroupDescription {
    const d = this.cluster.groups.describeGroup(this.groupId);
    return {
      groupId: d.groupId,
      protocol: d.protocol,
      protocolType: d.protocolType,
      state: d.state as GroupDescription['state'],
      members: d.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: m.memberMetadata,
        memberAssignment: m.memberAssignment,
      })),
    };
  }

  private expand(topics: Array<{ topic: string; partitions?: number[] }>): { topic: string; partitions: number[] }[] {
    if (!Array.isArray(topics)) throw new KafkaJSNonRetriableError('Topics must be an array');
    return topics.map(({ topic, partitions }) => {
      if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic ${String(topic)}`);
      return { topic, partitions: partitions ?? (this.cluster.hasTopic(topic) ? this.cluster.describeTopic(topic).partitions.map((p) => p.partition) : []) };
    });
  }
}
