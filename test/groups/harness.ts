/**
 * Simulated consumer clients for the group coordinator tests. Each client runs the client side
 * of Kafka's classic group protocol on the cluster's virtual clock, the way the Java consumer and
 * kafkajs do: find the coordinator, JoinGroup (rejoining with the member id MEMBER_ID_REQUIRED
 * hands out), SyncGroup (the leader runs one of the project's assignors first), heartbeat, commit
 * before rejoining, rediscover the coordinator on NOT_COORDINATOR. Eager clients give up every
 * partition before rejoining; cooperative-sticky clients keep theirs, report them in their
 * subscription and give up only what the new assignment takes away, then rejoin. The clients also
 * do what only a client can: the leader notices that a subscribed topic gained partitions, a
 * pattern subscriber that a new topic matches, and they rejoin so the group is reassigned.
 */
import kafkajs from 'kafkajs';
import type { TimerId } from '../../emulator/clock.js';
import type { TwinCluster as Cluster } from '../../adapters/twin/cluster.js';
import type { GroupDescription, JoinGroupResponse } from '../../emulator/groups/coordinator.js';
import { cooperativeStickyAssign, decodeCooperativeUserData, encodeCooperativeUserData, rangeAssign, roundRobinAssign } from '../../client/assignors/index.js';

const { AssignerProtocol } = kafkajs;

/** The assignors the simulated clients can offer (names are the harness's own protocol names). */
export type AssignorName = 'roundrobin' | 'range' | 'cooperative-sticky';

/** memberId -> topic -> partitions. */
export type GroupAssignmentMap = Map<string, Map<string, number[]>>;

/** A member as the leader sees it in the JoinGroup response. */
interface LeaderView {
  readonly memberId: string;
  readonly topics: readonly string[];
  readonly userData: Buffer | null;
}

/**
 * Runs the project's assignor for `protocol`, as the group leader's client does (the coordinator
 * never runs one).
 */
export function runAssignor(protocol: AssignorName, members: readonly LeaderView[], partitionCounts: ReadonlyMap<string, number>): GroupAssignmentMap {
  const partitions = new Map(
    [...partitionCounts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([t, n]) => [t, Array.from({ length: n }, (_, i) => i)]),
  );
  let plan: Record<string, Record<string, number[]>>;
  switch (protocol) {
    case 'roundrobin':
      plan = roundRobinAssign(members, partitions);
      break;
    case 'range':
      plan = rangeAssign(members, partitions);
      break;
    case 'cooperative-sticky': {
      const withOwnership = members.map((m) => {
        const owned = decodeCooperativeUserData(m.userData);
        return { memberId: m.memberId, topics: m.topics, ownedPartitions: owned?.ownedPartitions ?? [], generation: owned?.generation ?? -1 };
      });
      plan = cooperativeStickyAssign(withOwnership, partitions).assignment;
      break;
    }
  }
  return new Map(members.map((m) => [m.memberId, new Map(Object.entries(plan[m.memberId] ?? {}).filter(([, ps]) => ps.length > 0))]));
}

/** Encodes a subscription the way kafkajs does (consumer protocol Subscription v1 prefix). */
export function subscription(topics: readonly string[], userData: Buffer = Buffer.alloc(0)): Buffer {
  return AssignerProtocol.MemberMetadata.encode({ version: 1, topics: [...topics], userData });
}

/** Encodes an assignment the way kafkajs does. */
export function encodeAssignment(byTopic: ReadonlyMap<string, readonly number[]>): Buffer {
  return AssignerProtocol.MemberAssignment.encode({
    version: 1,
    assignment: Object.fromEntries([...byTopic].map(([t, ps]) => [t, [...ps]])),
    userData: Buffer.alloc(0),
  });
}

/** Decodes a kafkajs MemberAssignment into topic -> partitions (empty for an empty buffer). */
export function decodeAssignmentMap(buffer: Buffer): Map<string, number[]> {
  if (buffer.length === 0) return new Map();
  const decoded = AssignerProtocol.MemberAssignment.decode(buffer);
  return new Map(Object.entries(decoded?.assignment ?? {}).map(([t, ps]) => [t, [...(ps as number[])]]));
}

/** Settings of one simulated client. */
export interface ClientOptions {
  readonly clientId?: string;
  /** Explicit subscription. */
  readonly topics?: readonly string[];
  /** Pattern subscription: re-evaluated against the cluster's topics on every heartbeat tick. */
  readonly pattern?: RegExp;
  /** Assignors offered, most preferred first. @defaultValue ['roundrobin'] */
  readonly assignors?: readonly AssignorName[];
  /** @defaultValue 6000 */
  readonly sessionTimeout?: number;
  /** @defaultValue 10000 */
  readonly rebalanceTimeout?: number;
  /** @defaultValue 2000 */
  readonly heartbeatInterval?: number;
  /** @defaultValue 100 */
  readonly retryBackoff?: number;
  /** Static membership. */
  readonly groupInstanceId?: string;
}

type Status = 'joining' | 'syncing' | 'stable' | 'crashed' | 'left' | 'failed';

/** A consumer client speaking the classic group protocol to the twin's coordinator. */
export class SimClient {
  memberId = '';
  generationId = -1;
  status: Status = 'joining';
  isLeader = false;
  /** The partitions this client owns in its current generation. */
  assignment = new Map<string, number[]>();
  /** Consumed position per `topic:partition` for owned partitions: the offset it would commit. */
  readonly positions = new Map<string, number>();
  /** The subscription it currently sends. */
  topics: string[];
  /** The partition counts the leader assigned from; it rejoins when they change. */
  leaderSnapshot = new Map<string, number>();
  /** Errors the client saw, by type, for assertions. */
  readonly errors: string[] = [];
  /** The last fatal error. */
  fatal: Error | undefined;
  private coordinator: number | undefined;
  private epoch = 0;
  private heartbeatTimer: TimerId | undefined;
  private readonly options: Required<Omit<ClientOptions, 'topics' | 'pattern' | 'groupInstanceId'>> & Pick<ClientOptions, 'pattern' | 'groupInstanceId'>;

  constructor(
    private readonly cluster: Cluster,
    readonly groupId: string,
    options: ClientOptions,
  ) {
    this.options = {
      clientId: options.clientId ?? 'client',
      assignors: options.assignors ?? ['roundrobin'],
      sessionTimeout: options.sessionTimeout ?? 6000,
      rebalanceTimeout: options.rebalanceTimeout ?? 10000,
      heartbeatInterval: options.heartbeatInterval ?? 2000,
      retryBackoff: options.retryBackoff ?? 100,
      pattern: options.pattern,
      groupInstanceId: options.groupInstanceId,
    };
    this.topics = options.topics !== undefined ? [...options.topics] : this.matchingTopics();
  }

  get clientId(): string {
    return this.options.clientId;
  }

  /**
   * Cooperative clients keep their partitions across a rebalance and give up only those the new
   * assignment takes away (then rejoin); eager ones give up everything before rejoining.
   */
  get cooperative(): boolean {
    return this.options.assignors.length === 1 && this.options.assignors[0] === 'cooperative-sticky';
  }

  /** True while the client is part of the application (not crashed, left or failed). */
  get alive(): boolean {
    return this.status === 'joining' || this.status === 'syncing' || this.status === 'stable';
  }

  start(): void {
    this.status = 'joining';
    this.join('start');
  }

  /** Stops dead: no more heartbeats, responses ignored. Its member id and generation stay, as a zombie's would. */
  crash(): void {
    this.status = 'crashed';
    this.epoch++;
    this.cancelHeartbeat();
  }

  /** Commits what it consumed and sends LeaveGroup, as a consumer's close() does. */
  leave(): void {
    if (!this.alive) return;
    if (this.status === 'stable') this.commit();
    const memberId = this.memberId;
    this.status = 'left';
    this.epoch++;
    this.cancelHeartbeat();
    if (memberId === '') return;
    try {
      this.cluster.groups.leaveGroup({ groupId: this.groupId, memberId, ...this.instance(), reason: 'the consumer is being closed' });
    } catch (e) {
      this.noteError(e);
    }
  }

  /** Pretends to process `records` records from every owned partition. */
  consume(records: number): void {
    for (const key of this.positions.keys()) this.positions.set(key, this.positions.get(key)! + records);
  }

  /** Commits its positions with its member id and generation. Returns whether the coordinator accepted. */
  commit(keys: Iterable<string> = this.positions.keys(), generationId = this.generationId): boolean {
    const byTopic = new Map<string, { partition: number; offset: number }[]>();
    for (const key of keys) {
      const [topic, p] = splitKey(key);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition: p, offset: this.positions.get(key)! }]);
    }
    if (byTopic.size === 0 || this.memberId === '') return false;
    try {
      this.cluster.groups.offsetCommit({
        groupId: this.groupId,
        generationId,
        memberId: this.memberId,
        ...this.instance(),
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      });
      return true;
    } catch (e) {
      this.noteError(e);
      return false;
    }
  }

  /** Whether the client will rejoin at its next tick: its pattern matches other topics now, or (as leader) partition counts changed. */
  wantsRejoin(): boolean {
    if (this.options.pattern !== undefined && this.matchingTopics().join(',') !== this.topics.join(',')) return true;
    if (!this.isLeader) return false;
    for (const [topic, count] of this.leaderSnapshot)
      if (this.cluster.hasTopic(topic) && this.cluster.describeTopic(topic).partitions.length !== count) return true;
    return false;
  }

  /** Rejoins, as the consumer does when told to or when its subscription or the metadata changed. */
  requestRejoin(why: string): void {
    if (this.status !== 'stable') return;
    this.commit();
    if (!this.cooperative) this.revoke();
    this.join(why);
  }

  private instance(): { groupInstanceId?: string } {
    return this.options.groupInstanceId === undefined ? {} : { groupInstanceId: this.options.groupInstanceId };
  }

  private join(why: string): void {
    const epoch = ++this.epoch;
    this.status = 'joining';
    this.cancelHeartbeat();
    const broker = this.findCoordinator();
    if (broker === undefined) {
      this.retry(epoch, () => this.join(why));
      return;
    }
    const userData = this.cooperative
      ? encodeCooperativeUserData({
          ownedPartitions: [...this.assignment].map(([topic, partitions]) => ({ topic, partitions })),
          generation: this.generationId,
        })
      : Buffer.alloc(0);
    this.cluster.groups
      .joinGroup({
        groupId: this.groupId,
        memberId: this.memberId,
        ...this.instance(),
        clientId: this.options.clientId,
        sessionTimeout: this.options.sessionTimeout,
        rebalanceTimeout: this.options.rebalanceTimeout,
        protocolType: 'consumer',
        protocols: this.options.assignors.map((name) => ({ name, metadata: subscription(this.topics, userData) })),
        broker,
        reason: why,
      })
      .then(
        (response) => {
          if (epoch === this.epoch) this.onJoined(response);
        },
        (e: unknown) => {
          if (epoch !== this.epoch) return;
          const type = this.noteError(e);
          if (type === 'MEMBER_ID_REQUIRED') {
            this.memberId = (e as { memberId: string }).memberId;
            this.join(why);
          } else if (type === 'UNKNOWN_MEMBER_ID') {
            this.lose();
            this.memberId = '';
            this.join(why);
          } else if (type === 'REBALANCE_IN_PROGRESS') {
            this.join(why);
          } else if (type === 'ILLEGAL_GENERATION') {
            this.lose();
            this.join(why);
          } else if (isCoordinatorError(type)) {
            this.coordinator = undefined;
            this.retry(epoch, () => this.join(why));
          } else {
            this.fail(e);
          }
        },
      )
      .catch((e: unknown) => this.fail(e));
  }

  private onJoined(response: JoinGroupResponse): void {
    const epoch = ++this.epoch;
    this.memberId = response.memberId;
    const generation = response.generationId;
    this.isLeader = response.leaderId === response.memberId;
    this.status = 'syncing';
    let assignments: { memberId: string; memberAssignment: Buffer }[] = [];
    if (this.isLeader) {
      const members = response.members.map((m) => {
        const decoded = AssignerProtocol.MemberMetadata.decode(m.metadata)!;
        return { memberId: m.memberId, topics: decoded.topics, userData: decoded.userData };
      });
      const counts = new Map<string, number>();
      for (const t of new Set(members.flatMap((m) => m.topics))) if (this.cluster.hasTopic(t)) counts.set(t, this.cluster.describeTopic(t).partitions.length);
      this.leaderSnapshot = counts;
      const plan = runAssignor(response.protocolName as AssignorName, members, counts);
      assignments = [...plan].map(([memberId, byTopic]) => ({ memberId, memberAssignment: encodeAssignment(byTopic) }));
    }
    const broker = this.coordinator;
    this.cluster.groups
      .syncGroup({
        groupId: this.groupId,
        generationId: generation,
        memberId: this.memberId,
        ...this.instance(),
        assignments,
        ...(broker === undefined ? {} : { broker }),
      })
      .then(
        (response) => {
          if (epoch === this.epoch) this.onSynced(epoch, generation, decodeAssignmentMap(response.memberAssignment));
        },
        (e: unknown) => {
          if (epoch !== this.epoch) return;
          const type = this.noteError(e);
          if (type === 'UNKNOWN_MEMBER_ID') {
            this.lose();
            this.memberId = '';
            this.join('sync failed');
          } else if (type === 'ILLEGAL_GENERATION') {
            this.lose();
            this.join('sync failed');
          } else if (type === 'REBALANCE_IN_PROGRESS') {
            this.join('sync failed');
          } else if (isCoordinatorError(type)) {
            this.coordinator = undefined;
            this.retry(epoch, () => this.join('coordinator moved'));
          } else {
            this.fail(e);
          }
        },
      )
      .catch((e: unknown) => this.fail(e));
  }

  private onSynced(epoch: number, generation: number, assignment: Map<string, number[]>): void {
    this.generationId = generation;
    const next = new Set([...assignment].flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)));
    // What the new assignment takes away: a cooperative client still holds it, commits it and gives it up.
    const revoked = [...this.positions.keys()].filter((k) => !next.has(k));
    if (revoked.length > 0) this.commit(revoked);
    for (const k of revoked) this.positions.delete(k);
    this.assignment = assignment;
    const added = [...next].filter((k) => !this.positions.has(k));
    if (added.length > 0) {
      const byTopic = new Map<string, number[]>();
      for (const k of added) {
        const [t, p] = splitKey(k);
        byTopic.set(t, [...(byTopic.get(t) ?? []), p]);
      }
      let fetched;
      try {
        fetched = this.cluster.groups.offsetFetch({ groupId: this.groupId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
      } catch (e) {
        this.noteError(e);
        this.coordinator = undefined;
        this.lose();
        this.retry(epoch, () => this.join('offset fetch failed'));
        return;
      }
      for (const t of fetched) for (const p of t.partitions) this.positions.set(`${t.topic}:${p.partition}`, Math.max(0, p.offset));
    }
    this.status = 'stable';
    if (revoked.length > 0 && this.cooperative) {
      this.requestRejoin('partitions revoked');
      return;
    }
    this.scheduleHeartbeat(epoch);
  }

  private scheduleHeartbeat(epoch: number): void {
    this.cancelHeartbeat();
    this.heartbeatTimer = this.cluster.clock.schedule(this.options.heartbeatInterval, () => {
      this.heartbeatTimer = undefined;
      if (epoch === this.epoch && this.status === 'stable') this.tick(epoch);
    });
  }

  private tick(epoch: number): void {
    if (this.options.pattern !== undefined) {
      const now = this.matchingTopics();
      if (now.join(',') !== this.topics.join(',')) {
        this.topics = now;
        this.requestRejoin('subscription changed');
        return;
      }
    }
    if (this.isLeader) {
      for (const [topic, count] of this.leaderSnapshot) {
        if (this.cluster.hasTopic(topic) && this.cluster.describeTopic(topic).partitions.length !== count) {
          this.requestRejoin(`partitions of ${topic} changed`);
          return;
        }
      }
    }
    const broker = this.findCoordinator();
    if (broker === undefined) {
      this.scheduleHeartbeat(epoch);
      return;
    }
    try {
      this.cluster.groups.heartbeat({ groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, broker, ...this.instance() });
      this.scheduleHeartbeat(epoch);
    } catch (e) {
      const type = this.noteError(e);
      if (type === 'REBALANCE_IN_PROGRESS') {
        this.requestRejoin('heartbeat: rebalance in progress');
      } else if (type === 'UNKNOWN_MEMBER_ID') {
        this.lose();
        this.memberId = '';
        this.join('heartbeat: unknown member');
      } else if (type === 'ILLEGAL_GENERATION') {
        this.lose();
        this.join('heartbeat: illegal generation');
      } else if (isCoordinatorError(type)) {
        this.coordinator = undefined;
        this.scheduleHeartbeat(epoch);
      } else {
        this.fail(e);
      }
    }
  }

  /** Gives up every partition after committing (eager rebalance). */
  private revoke(): void {
    this.assignment = new Map();
    this.positions.clear();
  }

  /** Drops every partition without committing: the member fell out of the group (Java's onPartitionsLost). */
  private lose(): void {
    this.assignment = new Map();
    this.positions.clear();
    this.generationId = -1;
  }

  private findCoordinator(): number | undefined {
    if (this.coordinator !== undefined) return this.coordinator;
    try {
      this.coordinator = this.cluster.groups.findCoordinator(this.groupId).nodeId;
      return this.coordinator;
    } catch (e) {
      this.noteError(e);
      return undefined;
    }
  }

  private retry(epoch: number, fn: () => void): void {
    this.cluster.clock.schedule(this.options.retryBackoff, () => {
      if (epoch === this.epoch && this.alive) fn();
    });
  }

  private cancelHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) this.cluster.clock.cancel(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private fail(e: unknown): void {
    this.status = 'failed';
    this.fatal = e instanceof Error ? e : new Error(String(e));
    this.epoch++;
    this.cancelHeartbeat();
  }

  private noteError(e: unknown): string {
    const type = typeof e === 'object' && e !== null && 'type' in e ? String((e as { type: unknown }).type) : e instanceof Error ? e.name : String(e);
    this.errors.push(type);
    return type;
  }

  private matchingTopics(): string[] {
    const pattern = this.options.pattern;
    if (pattern === undefined) return this.topics ?? [];
    return this.cluster
      .topicNames()
      .filter((t) => !t.startsWith('__') && pattern.test(t))
      .sort();
  }
}

function isCoordinatorError(type: string): boolean {
  return type === 'NOT_COORDINATOR_FOR_GROUP' || type === 'GROUP_COORDINATOR_NOT_AVAILABLE' || type === 'KafkaJSConnectionError';
}

function splitKey(key: string): [string, number] {
  const i = key.lastIndexOf(':');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}

/** A group of simulated clients plus helpers to drive and inspect it. */
export class GroupHarness {
  readonly clients: SimClient[] = [];
  private counter = 0;

  constructor(
    readonly cluster: Cluster,
    readonly groupId: string,
    private readonly defaults: ClientOptions = {},
  ) {}

  /** Starts a new client. */
  add(options: ClientOptions = {}): SimClient {
    const client = new SimClient(this.cluster, this.groupId, { clientId: `c${this.counter++}`, ...this.defaults, ...options });
    this.clients.push(client);
    client.start();
    return client;
  }

  live(): SimClient[] {
    return this.clients.filter((c) => c.alive);
  }

  /** The group as its coordinator describes it, or undefined when that cannot be reached. */
  describe(): GroupDescription | undefined {
    try {
      return this.cluster.groups.describeGroup(this.groupId);
    } catch {
      return undefined;
    }
  }

  /**
   * True when the group is at rest: Stable with exactly the live clients, each synced to the
   * current generation, the leader's assignment computed from the current partition counts and
   * every pattern subscription up to date (or Empty with no live client).
   */
  isSettled(): boolean {
    const d = this.describe();
    if (d === undefined) return false;
    const live = this.live();
    if (live.length === 0) return d.state === 'Empty' || d.state === 'Dead';
    if (d.state !== 'Stable') return false;
    const ids = new Set(d.members.map((m) => m.memberId));
    if (ids.size !== live.length || live.some((c) => !ids.has(c.memberId))) return false;
    if (live.some((c) => c.status !== 'stable' || c.generationId !== d.generationId)) return false;
    if (live.find((c) => c.memberId === d.leaderId) === undefined) return false;
    return !live.some((c) => c.wantsRejoin());
  }

  /** Advances the clock in `stepMs` steps until {@link isSettled}; false if `maxMs` passes first. */
  async settle(maxMs = 300000, stepMs = 1000): Promise<boolean> {
    for (let waited = 0; waited <= maxMs; waited += stepMs) {
      if (this.isSettled()) return true;
      await this.cluster.advance(stepMs);
    }
    return this.isSettled();
  }
}
