/**
 * One classic consumer group as its coordinator holds it, whatever request drives it (JoinGroup,
 * SyncGroup, Heartbeat, LeaveGroup): members, generation, leader, selected protocol and the state
 * machine. This is Kafka's `GroupMetadata`/`ClassicGroup` and `MemberMetadata`/`ClassicGroupMember`;
 * the request handling that drives it lives in the other files here, as Kafka's lives in
 * `GroupCoordinator`. Timers are not here: they are keyed by name in `timer.ts`.
 */
import type { Failure } from '../../protocol/errors.js';
import { decodeMemberMetadata } from '../../protocol/consumer-protocol.js';
import { scalaHashMapOrder } from '../../protocol/hashing.js';
import {
  joinFailure,
  syncFailure,
  type GroupProtocol,
  type JoinGroupAnswer,
  type JoinGroupResponseMember,
  type ResponseCallback,
  type SyncGroupAnswer,
} from './messages.js';

/**
 * The states of a classic group, as Apache Kafka's `ClassicGroupState` documents them. Each
 * entry says what the coordinator does with requests in that state (action) and what moves the
 * group on (transition).
 */
export const GroupStates = {
  /**
   * Group has no more members, but lingers until all offsets have expired. Also the state of
   * groups that use Kafka only to store offsets and have no members.
   *
   * action: respond normally to join group from new members;
   *         respond to sync group, heartbeat, leave group and offset commit (from a member) with UNKNOWN_MEMBER_ID;
   *         allow offset fetch requests.
   * transition: last offsets removed in periodic expiration task => Dead;
   *             join group from a new member => PreparingRebalance;
   *             group is removed by partition emigration => Dead;
   *             group is removed by expiration or deletion => Dead.
   */
  Empty: 'Empty',
  /**
   * Group is preparing to rebalance.
   *
   * action: respond to heartbeats with REBALANCE_IN_PROGRESS;
   *         respond to sync group with REBALANCE_IN_PROGRESS;
   *         remove member on leave group request;
   *         park join group requests from new or existing members until all expected members have joined;
   *         allow offset commits from the previous generation;
   *         allow offset fetch requests.
   * transition: some members have joined by the timeout => CompletingRebalance;
   *             all members have left the group => Empty;
   *             group is removed by partition emigration => Dead.
   */
  PreparingRebalance: 'PreparingRebalance',
  /**
   * Group is awaiting state assignment from the leader.
   *
   * action: respond to heartbeats normally (they keep the session alive);
   *         respond to offset commits with REBALANCE_IN_PROGRESS;
   *         park sync group requests from followers until transition to Stable;
   *         allow offset fetch requests.
   * transition: sync group with state assignment received from leader => Stable;
   *             join group from new member or existing member with updated metadata => PreparingRebalance;
   *             leave group from existing member => PreparingRebalance;
   *             member failure detected => PreparingRebalance;
   *             group is removed by partition emigration => Dead.
   */
  CompletingRebalance: 'CompletingRebalance',
  /**
   * Group is stable.
   *
   * action: respond to member heartbeats normally;
   *         respond to sync group from any member with current assignment;
   *         respond to join group from followers with matching metadata with current group metadata;
   *         allow offset commits from member of current generation;
   *         allow offset fetch requests.
   * transition: member failure detected via heartbeat => PreparingRebalance;
   *             leave group from existing member => PreparingRebalance;
   *             leader join-group received => PreparingRebalance;
   *             follower join-group with new metadata => PreparingRebalance;
   *             group is removed by partition emigration => Dead.
   */
  Stable: 'Stable',
  /**
   * Group has no more members and its metadata is being removed.
   *
   * action: respond to join group, sync group, heartbeat, leave group and offset commit with
   *         COORDINATOR_NOT_AVAILABLE (the group has moved or is going away; clients rediscover);
   *         offset fetch answers GROUP_ID_NOT_FOUND.
   * transition: Dead is final; there are no transitions out of it.
   */
  Dead: 'Dead',
} as const;

/** A classic group's state; see {@link GroupStates}. */
export type GroupState = (typeof GroupStates)[keyof typeof GroupStates];

/**
 * The states a group must be in to move to each state, declared once (Kafka's
 * `validPreviousStates`). {@link ClassicGroup.transitionTo} enforces it.
 */
export const VALID_PREVIOUS_STATES: { readonly [S in GroupState]: readonly GroupState[] } = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

/** Compile-time exhaustiveness for `switch` over a union; throws if reached at run time. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`invariant: unexpected ${what} ${String(value)}`);
}

const EMPTY = Buffer.alloc(0);

/** A member of a classic group (Kafka's `MemberMetadata`). */
export class GroupMember {
  /** Parked JoinGroup, present while the member awaits the end of the join phase. */
  awaitingJoin: ResponseCallback<JoinGroupAnswer> | undefined;
  /** Parked SyncGroup, present while the member awaits the leader's assignment. */
  awaitingSync: ResponseCallback<SyncGroupAnswer> | undefined;
  /** Set when the member is added, cleared once it receives its first JoinGroup response. */
  isNew = false;
  /** The assignment the leader gave this member in the current generation. */
  assignment: Buffer = EMPTY;

  constructor(
    /** Changes only when a static member is replaced by a new instance. */
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public supportedProtocols: readonly GroupProtocol[],
  ) {}

  /** True for a static member (one with a `group.instance.id`). */
  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  /** True while the member's JoinGroup is parked. */
  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== undefined;
  }

  /** True while the member's SyncGroup is parked. */
  get isAwaitingSync(): boolean {
    return this.awaitingSync !== undefined;
  }

  /** The member's metadata for `protocol`. */
  metadata(protocol: string): Buffer {
    const found = this.supportedProtocols.find((p) => p.name === protocol);
    if (found === undefined) throw new Error(`invariant: member ${this.memberId} does not support protocol ${protocol}`);
    return found.metadata;
  }

  /** Whether `protocols` is exactly what the member sent before (same names, order and metadata). */
  matches(protocols: readonly GroupProtocol[]): boolean {
    if (protocols.length !== this.supportedProtocols.length) return false;
    return protocols.every((p, i) => {
      const mine = this.supportedProtocols[i]!;
      return p.name === mine.name && p.metadata.equals(mine.metadata);
    });
  }

  /** The member's vote: its most preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.supportedProtocols.find((p) => candidates.has(p.name));
    if (choice === undefined) throw new Error(`invariant: member ${this.memberId} supports none of the candidate protocols`);
    return choice.name;
  }

  /**
   * Whether a session expiration that fires now should spare the member. A member parked in
   * JoinGroup or SyncGroup cannot heartbeat, so that counts as alive; a new member that never got
   * its first JoinGroup response does not get that grace (Kafka's join timeout for new members).
   */
  hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.isAwaitingJoin || this.isAwaitingSync;
  }
}

/** What a transition listener receives. */
export type TransitionListener = (group: ClassicGroup, from: GroupState, to: GroupState, reason: string) => void;

/**
 * A classic group: membership, generation and state machine (Kafka's `GroupMetadata`). It holds
 * no request logic; {@link GroupCoordinator} drives it.
 */
export class ClassicGroup {
  protocolType: string | null = null;
  protocolName: string | null = null;
  generationId = 0;
  leaderId: string | null = null;
  /** When the group entered its current state (Kafka's `currentStateTimestamp`). */
  stateTimestamp: number;
  /**
   * Set when a member joins during the first rebalance (generation 0), so the initial delayed
   * join waits another `group.initial.rebalance.delay.ms`.
   */
  newMemberAdded = false;
  /** True while the pending end of the join phase is an initial delayed join, which members joining cannot cut short. */
  initialJoinDelay = false;
  /** The generation the pending expiration of the sync phase (Kafka's DelayedSync) was started for. */
  syncTimerGeneration = -1;
  /**
   * Topics the members subscribe to, decoded from the consumer protocol when a generation starts;
   * `undefined` when unknown (not a consumer group, or undecodable metadata).
   */
  subscribedTopics: ReadonlySet<string> | undefined;

  private state: GroupState;
  private readonly memberMap = new Map<string, GroupMember>();
  private readonly staticMembers = new Map<string, string>();
  private readonly pendingMembers = new Set<string>();
  private readonly pendingSyncMembers = new Set<string>();
  private readonly protocolCounts = new Map<string, number>();
  private numMembersAwaitingJoin = 0;

  constructor(
    readonly groupId: string,
    initialState: GroupState,
    private readonly now: () => number,
    private readonly onTransition: TransitionListener = () => undefined,
  ) {
    this.state = initialState;
    this.stateTimestamp = now();
  }

  /** The current state. */
  get currentState(): GroupState {
    return this.state;
  }

  /** Whether the group is in `state`. */
  is(state: GroupState): boolean {
    return this.state === state;
  }

  /**
   * Moves to `to`, asserting it is legal from the current state per
   * {@link VALID_PREVIOUS_STATES}; an illegal move is a bug in the coordinator and throws.
   */
  transitionTo(to: GroupState, reason = ''): void {
    const from = this.state;
    if (!VALID_PREVIOUS_STATES[to].includes(from)) {
      throw new Error(`invariant: group ${this.groupId} should be in one of [${VALID_PREVIOUS_STATES[to].join(', ')}] before moving to ${to}, but is ${from}`);
    }
    this.state = to;
    this.stateTimestamp = this.now();
    this.onTransition(this, from, to, reason);
  }

  /** Whether a rebalance may start from the current state. */
  canRebalance(): boolean {
    return VALID_PREVIOUS_STATES.PreparingRebalance.includes(this.state);
  }

  /** Whether `memberId` is a member (pending members are not). */
  has(memberId: string): boolean {
    return this.memberMap.has(memberId);
  }

  /** The member with this id; throws when there is none. */
  get(memberId: string): GroupMember {
    const member = this.memberMap.get(memberId);
    if (member === undefined) throw new Error(`invariant: group ${this.groupId} has no member ${memberId}`);
    return member;
  }

  /** Number of members. */
  get size(): number {
    return this.memberMap.size;
  }

  /** Members in the order they joined (Kafka iterates a hash map; see docs/fidelity.md). */
  allMembers(): GroupMember[] {
    return [...this.memberMap.values()];
  }

  /** Member ids in {@link allMembers} order. */
  allMemberIds(): string[] {
    return [...this.memberMap.keys()];
  }

  /** Whether `memberId` is the group leader. */
  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  /** Number of members whose JoinGroup is parked. */
  get numAwaitingJoin(): number {
    return this.numMembersAwaitingJoin;
  }

  /** Adds a member; the first member sets the protocol type and becomes leader. */
  add(member: GroupMember, join?: ResponseCallback<JoinGroupAnswer>): void {
    if (member.groupInstanceId !== null) {
      if (this.staticMembers.has(member.groupInstanceId)) {
        throw new Error(`invariant: static member ${member.groupInstanceId} is already in group ${this.groupId}`);
      }
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.memberMap.size === 0) this.protocolType = member.protocolType;
    if (this.protocolType !== member.protocolType)
      throw new Error(`invariant: member ${member.memberId} has protocol type ${member.protocolType}, group ${this.groupId} has ${String(this.protocolType)}`);
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.memberMap.set(member.memberId, member);
    this.countProtocols(member, 1);
    member.awaitingJoin = join;
    if (join !== undefined) this.numMembersAwaitingJoin++;
    this.pendingMembers.delete(member.memberId);
  }

  /** Removes a member (or pending member); leadership passes to the next member. */
  remove(memberId: string): void {
    const member = this.memberMap.get(memberId);
    if (member !== undefined) {
      this.memberMap.delete(memberId);
      this.countProtocols(member, -1);
      if (member.isAwaitingJoin) this.numMembersAwaitingJoin--;
      if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.isLeader(memberId)) this.leaderId = this.memberMap.keys().next().value ?? null;
    this.pendingMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  /**
   * Updates a rejoining member's protocols and timeouts and parks its JoinGroup (or clears the
   * parked one when `join` is undefined). Returns a JoinGroup this one supersedes, if any.
   */
  updateMember(
    member: GroupMember,
    protocols: readonly GroupProtocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    join: ResponseCallback<JoinGroupAnswer> | undefined,
  ): ResponseCallback<JoinGroupAnswer> | undefined {
    this.countProtocols(member, -1);
    member.supportedProtocols = protocols;
    this.countProtocols(member, 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    const superseded = member.awaitingJoin;
    if (join !== undefined && !member.isAwaitingJoin) this.numMembersAwaitingJoin++;
    else if (join === undefined && member.isAwaitingJoin) this.numMembersAwaitingJoin--;
    member.awaitingJoin = join;
    return superseded;
  }

  /** Answers a member's parked JoinGroup, if it has one. */
  completeJoin(member: GroupMember, answer: JoinGroupAnswer): boolean {
    const parked = member.awaitingJoin;
    if (parked === undefined) return false;
    member.awaitingJoin = undefined;
    this.numMembersAwaitingJoin--;
    parked(answer);
    return true;
  }

  /** Answers a member's parked SyncGroup, if it has one. */
  completeSync(member: GroupMember, answer: SyncGroupAnswer): boolean {
    const parked = member.awaitingSync;
    if (parked === undefined) return false;
    member.awaitingSync = undefined;
    parked(answer);
    return true;
  }

  /**
   * When the leader has not rejoined, hands leadership to any member that has. False when the
   * group has no leader or no member rejoined.
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.get(this.leaderId);
    if (leader.isAwaitingJoin) return true;
    const joined = this.allMembers().find((m) => m.isAwaitingJoin);
    if (joined === undefined) return false;
    this.leaderId = joined.memberId;
    return true;
  }

  /** Swaps a static member's member id for a new instance's, fencing the old instance's parked requests. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string, fenced: Failure): GroupMember {
    const member = this.memberMap.get(oldMemberId);
    if (member === undefined) throw new Error(`invariant: cannot replace non-existing member ${oldMemberId}`);
    this.memberMap.delete(oldMemberId);
    this.completeJoin(member, joinFailure(fenced, oldMemberId));
    this.completeSync(member, syncFailure(fenced));
    member.memberId = newMemberId;
    this.memberMap.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return member;
  }

  /** The member id a `group.instance.id` currently maps to. */
  currentStaticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  /** Whether `memberId` was handed out with MEMBER_ID_REQUIRED and has not joined yet. */
  isPendingMember(memberId: string): boolean {
    return this.pendingMembers.has(memberId);
  }

  /** Records a member id handed out with MEMBER_ID_REQUIRED; the join phase waits for it. */
  addPendingMember(memberId: string): void {
    if (this.has(memberId)) throw new Error(`invariant: pending member ${memberId} is already a member of group ${this.groupId}`);
    this.pendingMembers.add(memberId);
  }

  /** Number of pending (MEMBER_ID_REQUIRED) members. */
  get numPending(): number {
    return this.pendingMembers.size;
  }

  /** The pending (MEMBER_ID_REQUIRED) member ids. */
  allPendingMembers(): string[] {
    return [...this.pendingMembers];
  }

  /** Expects a SyncGroup from `memberId` in this generation. */
  addPendingSyncMember(memberId: string): void {
    if (!this.has(memberId)) throw new Error(`invariant: pending sync for ${memberId}, which is not a member of group ${this.groupId}`);
    this.pendingSyncMembers.add(memberId);
  }

  /** Notes that `memberId` sent its SyncGroup. */
  removePendingSyncMember(memberId: string): void {
    if (!this.has(memberId)) throw new Error(`invariant: pending sync removal for ${memberId}, which is not a member of group ${this.groupId}`);
    this.pendingSyncMembers.delete(memberId);
  }

  /** Whether every member of the generation has sent SyncGroup. */
  hasReceivedSyncFromAllMembers(): boolean {
    return this.pendingSyncMembers.size === 0;
  }

  /** Members that have not sent SyncGroup yet. */
  allPendingSyncMembers(): string[] {
    return [...this.pendingSyncMembers];
  }

  /** Forgets the expected SyncGroups (a new rebalance started). */
  clearPendingSyncMembers(): void {
    this.pendingSyncMembers.clear();
  }

  /** Members that have not sent a JoinGroup in the current join phase. */
  notYetRejoinedMembers(): GroupMember[] {
    return this.allMembers().filter((m) => !m.isAwaitingJoin);
  }

  /** True when every member (and no pending member) has joined. */
  hasAllMembersJoined(): boolean {
    return this.memberMap.size === this.numMembersAwaitingJoin && this.pendingMembers.size === 0;
  }

  /** The longest rebalance timeout among the members: how long a join phase may take. */
  rebalanceTimeoutMs(): number {
    let timeout = 0;
    for (const m of this.memberMap.values()) timeout = Math.max(timeout, m.rebalanceTimeoutMs);
    return timeout;
  }

  /**
   * Whether a member with this protocol type and protocols may join: any non-empty choice when
   * the group is Empty, else the same type and at least one protocol every member supports.
   */
  supportsProtocols(protocolType: string, protocols: ReadonlySet<string>): boolean {
    if (this.is('Empty')) return protocolType.length > 0 && protocols.size > 0;
    if (this.protocolType !== protocolType) return false;
    for (const p of protocols) if ((this.protocolCounts.get(p) ?? 0) === this.memberMap.size) return true;
    return false;
  }

  /**
   * The protocol for the next generation: among those every member supports, the one most
   * members name first. Ties go the way Kafka 3.9's coordinator breaks them: the first in a Scala
   * immutable HashMap's iteration order (see {@link scalaHashMapOrder}).
   */
  selectProtocol(): string {
    if (this.memberMap.size === 0) throw new Error(`invariant: cannot select a protocol for empty group ${this.groupId}`);
    const candidates = new Set<string>();
    for (const [name, count] of this.protocolCounts) if (count === this.memberMap.size) candidates.add(name);
    const votes = new Map<string, number>();
    for (const m of this.memberMap.values()) {
      const choice = m.vote(candidates);
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best: string | undefined;
    for (const name of scalaHashMapOrder([...votes.keys()])) {
      if (best === undefined || votes.get(name)! > votes.get(best)!) best = name;
    }
    return best!;
  }

  /**
   * Starts the next generation: with members, picks the protocol and moves to
   * CompletingRebalance; without, moves to Empty.
   */
  initNextGeneration(): void {
    this.generationId++;
    if (this.memberMap.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('CompletingRebalance', `generation ${this.generationId} formed`);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('Empty', `generation ${this.generationId} has no members`);
    }
    this.clearPendingSyncMembers();
  }

  /** Every member with its metadata for the selected protocol, as the leader's JoinGroup response carries them. */
  currentMemberMetadata(): JoinGroupResponseMember[] {
    if (this.is('Dead') || this.is('PreparingRebalance') || this.protocolName === null) {
      throw new Error(`invariant: cannot list member metadata of group ${this.groupId} in state ${this.state}`);
    }
    const protocol = this.protocolName;
    return this.allMembers().map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(protocol) }));
  }

  /** Whether the group's members subscribe to `topic` (true when that is not known, to be safe). */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics === undefined || this.subscribedTopics.has(topic);
  }

  /** True for groups of the consumer protocol type. */
  isConsumerGroup(): boolean {
    return this.protocolType === 'consumer';
  }

  /**
   * The union of the members' subscriptions, read from the first fields of the consumer
   * protocol's Subscription (version, topics), which every version of it starts with.
   */
  computeSubscribedTopics(): ReadonlySet<string> | undefined {
    if (this.protocolType !== 'consumer') return undefined;
    if (this.memberMap.size === 0) return new Set();
    if (this.protocolName === null) return undefined;
    const topics = new Set<string>();
    for (const m of this.memberMap.values()) {
      const decoded = decodeMemberMetadata(m.metadata(this.protocolName));
      if (decoded === null) return undefined;
      for (const t of decoded.topics) topics.add(t);
    }
    return topics;
  }

  private countProtocols(member: GroupMember, delta: number): void {
    for (const p of member.supportedProtocols) this.protocolCounts.set(p.name, (this.protocolCounts.get(p.name) ?? 0) + delta);
  }
}
