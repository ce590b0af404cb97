/**
 * The twin's kafkajs-shaped consumer: kafkajs 2.2.4's consumer-group client (join, sync with the
 * leader's assignor, heartbeats from the fetch loop, eager rebalances, auto-commit after each
 * fetch round and on the interval/threshold, seek, pause/resume, instrumentation), talking to
 * the engine's group coordinator and partitions instead of the network.
 *
 * On the virtual clock, awaited calls (`run`, `commitOffsets`, `disconnect`) move time as far as
 * they need; the fetch loop in the background never moves time by itself.
 */
import type {
  Assigner,
  Batch,
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  GroupDescription,
  PartitionAssigner,
  RetryOptions,
  TopicPartitionOffset,
  TopicPartitionOffsetAndMetadata,
  TopicPartitions,
} from 'kafkajs';
import type { TwinCluster as Cluster } from './cluster.js';
import type { RecordRange } from '../../emulator/records.js';
import { decodeMemberAssignmentStrict, decodeMemberMetadataStrict } from '../../protocol/consumer-protocol.js';
import { RoundRobinAssigner } from '../../client/assignors/index.js';
import { KafkaJSError, KafkaJSNonRetriableError, isProtocolError } from '../../protocol/errors.js';
import type { Consumer } from '../../client/interface.js';
import { kafkaJsPartitionMetadataOf, toKafkaMessages } from './convert.js';
import { Instrumentation } from './instrumentation.js';
import { RETRY_DEFAULTS } from './retry.js';


/** kafkajs's consumer event names. */
export const CONSUMER_EVENTS = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
} as const;

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const REBALANCING = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION']);

/** What `cluster.idle()` needs to know about a running consumer. */
export interface IdleProbe {
  /** True when the consumer is in a stable generation and has processed everything below every assigned, unpaused partition's high watermark. */
  isIdle(): boolean;
  /** A line saying why it is not idle, for error messages. */
  describeBusy(): string;
}

/** A kafkajs-shaped consumer over the twin. */
export class TwinConsumer implements Consumer, IdleProbe {
  readonly events = CONSUMER_EVENTS;
  private readonly instrumentation: Instrumentation;
  private readonly groupId: string;
  private readonly clientId: string;
  private readonly sessionTimeout: number;
  private readonly rebalanceTimeout: number;
  private readonly heartbeatInterval: number;
  private readonly maxBytesPerPartition: number;
  private readonly maxWaitTimeInMs: number;
  private readonly allowAutoTopicCreation: boolean;
  private readonly metadataMaxAge: number;
  private readonly assigners: Assigner[];
  private readonly retry: Required<Pick<RetryOptions, 'initialRetryTime' | 'maxRetryTime' | 'retries'>>;

  private readonly subscriptions = new Map<string, { fromBeginning: boolean }>();
  private connected = false;
  private running = false;
  private loop: Promise<void> | undefined;
  private runConfig: ConsumerRunConfig = {};
  private memberId = '';
  private generationId = -1;
  private leaderId = '';
  private needsJoin = true;
  private assignment = new Map<string, number[]>();
  /** Next offset to fetch per partition. */
  private readonly positions = new Map<string, number>();
  /** Offsets resolved (processed) but not yet committed: next offset to read. */
  private readonly uncommitted = new Map<string, number>();
  private readonly pausedPartitions = new Set<string>();
  private readonly seeks = new Map<string, number>();
  /** kafkajs's metadata cache: the partitions of each subscribed topic, as of the last refresh. */
  private knownPartitions = new Map<string, number[]>();
  private metadataExpireAt = -Infinity;
  /** The partitions of each subscribed topic when the current assignment was made. */
  private partitionsAtJoin = new Map<string, number[]>();
  /** The last (knownPartitions, partitionsAtJoin) pair {@link assignmentIsStale} found fresh. */
  private freshPair: { known: Map<string, number[]>; atJoin: Map<string, number[]> } | undefined;
  private lastHeartbeat = 0;
  private lastCommit = 0;
  private inFlight = false;
  private resolvedSinceCommit = 0;
  private crashed: unknown;
  /** Set by crash(): the process is gone, nothing it started may reach the cluster any more. */
  private dead = false;
  /** Resolved by shutdown, so a long-poll or backoff in the loop ends at once. */
  // Waits cut short by stop() or crash(). One waker per wait, removed when the wait ends: racing
  // every wait against one long-lived promise would leave a reaction on it per idle round.
  private readonly wakers = new Set<() => void>();
  private isInterrupted = true;

  constructor(
    private readonly cluster: Cluster,
    config: ConsumerConfig,
    clientId: string,
    clientRetry?: RetryOptions,
  ) {
    if (config === undefined || !config.groupId) throw new KafkaJSNonRetriableError('Consumer groupId must be a non-empty string.');
    this.groupId = config.groupId;
    this.clientId = clientId;
    this.sessionTimeout = config.sessionTimeout ?? 30000;
    this.rebalanceTimeout = config.rebalanceTimeout ?? 60000;
    this.heartbeatInterval = config.heartbeatInterval ?? 3000;
    this.maxBytesPerPartition = config.maxBytesPerPartition ?? 1048576;
    this.maxWaitTimeInMs = config.maxWaitTimeInMs ?? 5000;
    this.allowAutoTopicCreation = config.allowAutoTopicCreation ?? true;
    this.metadataMaxAge = config.metadataMaxAge ?? 300000;
    const retry = { ...RETRY_DEFAULTS, ...clientRetry, ...config.retry };
    this.retry = { initialRetryTime: retry.initialRetryTime, maxRetryTime: retry.maxRetryTime, retries: retry.retries };
    const assignerContext = {
      // As kafkajs, assigners get the cached metadata: built once per metadata change, not per rebalance.
      cluster: { findTopicPartitionMetadata: (topic: string) => kafkaJsPartitionMetadataOf(this.cluster.describeTopic(topic)) },
      groupId: this.groupId,
      logger: silentLogger,
    };
    const factories: PartitionAssigner[] = config.partitionAssigners ?? [RoundRobinAssigner as unknown as PartitionAssigner];
    this.assigners = factories.map((f) => f(assignerContext as unknown as Parameters<PartitionAssigner>[0]));
    this.instrumentation = new Instrumentation(CONSUMER_EVENTS, () => cluster.now());
  }

  on: Consumer['on'] = ((eventName: string, listener: (event: never) => void) =>
    this.instrumentation.on(eventName, listener as (event: unknown) => void)) as Consumer['on'];

  async connect(): Promise<void> {
    if (this.dead) throw deadError();
    this.connected = true;
    this.instrumentation.emit(CONSUMER_EVENTS.CONNECT, null);
  }

  async disconnect(): Promise<void> {
    await this.stop();
    this.connected = false;
    this.instrumentation.emit(CONSUMER_EVENTS.DISCONNECT, null);
  }

  /** Subscribes to topics by name or RegExp, matched against the topics that exist now, as kafkajs does. */
  async subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> {
    if (this.running) throw new KafkaJSNonRetriableError('Cannot subscribe to topic while consumer is running');
    const { fromBeginning = false } = subscription;
    const topics = 'topics' in subscription ? subscription.topics : 'topic' in subscription ? [subscription.topic] : undefined;
    if (!topics || !Array.isArray(topics)) throw new KafkaJSNonRetriableError('Missing required argument "topics"');
    const existing = this.cluster.metadata().topics.map((t) => t.name);
    for (const topic of topics) {
      if (typeof topic === 'string' && topic.length > 0) {
        this.subscriptions.set(topic, { fromBeginning });
      } else if (topic instanceof RegExp) {
        for (const name of existing) if (topic.test(name)) this.subscriptions.set(name, { fromBeginning });
      } else {
        throw new KafkaJSNonRetriableError(`Invalid topic ${String(topic)} (${typeof topic}), the topic name has to be a String or a RegExp`);
      }
    }
    this.cluster.metadata([...this.subscriptions.keys()], { allowAutoTopicCreation: this.allowAutoTopicCreation });
  }

  /** Starts consuming. Resolves once the consumer has joined its group, as kafkajs's does. */
  async run(config: ConsumerRunConfig = {}): Promise<void> {
    if (this.running) return;
    if (this.dead) throw deadError();
    if (!this.connected) throw new KafkaJSError('The consumer is not connected');
    if (!config.eachMessage && !config.eachBatch) throw new KafkaJSNonRetriableError('Either eachMessage or eachBatch must be provided');
    this.runConfig = config;
    this.running = true;
    this.needsJoin = true;
    this.crashed = undefined;
    this.isInterrupted = false;
    let joined!: () => void;
    const firstJoin = new Promise<void>((resolve) => (joined = resolve));
    this.loop = this.consume(joined);
    await this.cluster.drive(Promise.race([firstJoin, this.loop]));
    if (this.crashed !== undefined && !this.running) throw this.crashed;
  }

  /** Stops consuming and leaves the group, as kafkajs's `stop()` does. */
  async stop(): Promise<void> {
    const wasRunning = this.running;
    await this.cluster.drive(this.shutdown());
    if (wasRunning) this.instrumentation.emit(CONSUMER_EVENTS.STOP, null);
  }

  /**
   * Kills this consumer as if its process died: it stops fetching and heartbeating at once, sends
   * no LeaveGroup and commits nothing more, so the group coordinator keeps the member until its
   * session times out (`sessionTimeout`), then rebalances its partitions to the others, which
   * resume from the last committed offsets (what was processed but not committed is read again).
   * A handler still running is abandoned: what it resolves or commits afterwards is dropped
   * (`commitOffsets` rejects), and `run` and `connect` reject, as a dead process cannot be
   * restarted: create a new consumer. `stop` and `disconnect` resolve at once. Emits no event.
   */
  crash(): void {
    if (this.dead) return;
    this.dead = true;
    this.running = false;
    this.connected = false;
    this.interrupt();
    // Forgotten, not left: the coordinator learns of the death only from the missing heartbeats.
    this.memberId = '';
    this.needsJoin = true;
    this.assignment = new Map();
    this.positions.clear();
    this.uncommitted.clear();
    this.seeks.clear();
  }

  /** Commits the given offsets (each the next offset to read) for this member's generation. */
  async commitOffsets(topicPartitions: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    if (this.dead) throw deadError();
    if (!this.running && this.memberId === '') throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first');
    if (!Array.isArray(topicPartitions)) throw new KafkaJSNonRetriableError('Offsets must be an array');
    const topics = new Map<string, { partition: number; offset: number; metadata?: string | null }[]>();
    for (const { topic, partition, offset, metadata } of topicPartitions) {
      const list = topics.get(topic) ?? [];
      list.push({ partition, offset: Number(offset), metadata: metadata ?? null });
      topics.set(topic, list);
    }
    await this.cluster.drive(Promise.resolve().then(() => this.commit(topics)));
  }

  seek({ topic, partition, offset }: TopicPartitionOffset): void {
    if (!this.running) throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first');
    const n = Number(offset);
    if (!Number.isInteger(n) || n < -2) throw new KafkaJSNonRetriableError(`Offset must not be a negative number`);
    this.seeks.set(key(topic, partition), n);
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
      const [topic, partition] = k.split('\u0000') as [string, string];
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), Number(partition)]);
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
  }

  async describeGroup(): Promise<GroupDescription> {
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

  isIdle(): boolean {
    if (!this.running) return true;
    if (this.needsJoin || this.inFlight || this.seeks.size > 0) return false;
    // A rebalance this member has not noticed yet (it learns at its next heartbeat) is not idle.
    try {
      const group = this.cluster.groups.describeGroup(this.groupId);
      if (group.state !== 'Stable' || group.generationId !== this.generationId) return false;
    } catch {
      return false;
    }
    for (const [topic, partitions] of this.assignment) {
      for (const partition of partitions) {
        if (this.pausedPartitions.has(key(topic, partition))) continue;
        const position = this.positions.get(key(topic, partition));
        if (position === undefined) {
          try {
            this.cluster.listOffsets(topic, partition, 'latest');
          } catch {
            continue; // unreachable: its starting offset is resolved once it is back (see below)
          }
          return false;
        }
        try {
          if (this.cluster.listOffsets(topic, partition, 'latest').offset > position) return false;
        } catch {
          // An unreachable partition cannot be consumed now; it does not keep the consumer busy.
        }
      }
    }
    return true;
  }

  describeBusy(): string {
    if (this.needsJoin) return `consumer ${this.memberId || '(new)'} of group ${this.groupId} is joining`;
    if (!this.isIdle() && !this.inFlight)
      return `consumer ${this.memberId} of group ${this.groupId} is waiting for its group to settle or its partitions to be consumed`;
    const behind = [...this.assignment].flatMap(([topic, ps]) => ps.map((p) => `${topic}-${p}@${this.positions.get(key(topic, p)) ?? '?'}`));
    return `consumer ${this.memberId} of group ${this.groupId} is consuming ${behind.join(', ')}`;
  }

  // ---------------------------------------------------------------- the consume loop

  /** The fetch loop. Never rejects: a fatal error is reported with CRASH and ends the loop. */
  private async consume(joined: () => void): Promise<void> {
    let backoff = this.retry.initialRetryTime;
    let processingFailures = 0;
    let joinFailures = 0;
    while (this.running) {
      try {
        if (this.needsJoin) {
          await this.joinAndSync();
          joinFailures = 0;
          joined();
        }
        // Also before the fetch: a round whose fetches fail throws before the heartbeat below, and
        // a member must stay in its group while one of its partitions has no reachable leader.
        this.heartbeatIfDue();
        await this.fetchRound();
        this.heartbeatIfDue();
        backoff = this.retry.initialRetryTime;
        processingFailures = 0;
      } catch (e) {
        if (!this.running) break;
        if (isProtocolError(e) && REBALANCING.has(e.type)) {
          this.instrumentation.emit(CONSUMER_EVENTS.REBALANCING, { groupId: this.groupId, memberId: this.memberId });
          await this.autoCommit().catch(() => undefined);
          this.needsJoin = true;
          continue;
        }
        if (isProtocolError(e, 'UNKNOWN_MEMBER_ID')) {
          this.memberId = '';
          this.needsJoin = true;
          continue;
        }
        if (e instanceof KafkaJSError && e.retriable !== false) {
          // Coordinator moves, leader elections, unreachable brokers: back off and try again.
          this.needsJoin = this.needsJoin || isProtocolError(e, 'GROUP_COORDINATOR_NOT_AVAILABLE');
          if (this.needsJoin && ++joinFailures > this.retry.retries) {
            // As kafkajs: the join's retries are spent, so the consumer crashes and restarts; run() resolves.
            joinFailures = 0;
            this.instrumentation.emit(CONSUMER_EVENTS.CRASH, { error: e, groupId: this.groupId, restart: true });
            joined();
            // The restart starts a new retrier, as kafkajs's does.
            await this.sleep(this.retry.initialRetryTime);
            backoff = this.retry.initialRetryTime;
            continue;
          }
          // Between failed fetches the member still heartbeats, so it never waits longer than that.
          await this.sleep(this.needsJoin ? backoff : Math.min(backoff, this.heartbeatInterval));
          backoff = Math.min(backoff * 2, this.retry.maxRetryTime);
          continue;
        }
        if (!(e instanceof KafkaJSError) || rootCause(e).retriable === true) {
          // An error from eachMessage / eachBatch: kafkajs retries the batch with backoff, and
          // once the retries are spent it crashes and restarts, leaving and rejoining the group.
          // A non-retriable error whose root cause is retriable (a send whose retries ran out)
          // crashes at once, and restarts too. An unrecoverable one (a TypeError...) does not.
          if (e instanceof Error && UNRECOVERABLE.has(e.name)) {
            this.fail(e, joined);
            continue;
          }
          if (e instanceof KafkaJSError) processingFailures = this.retry.retries;
          processingFailures++;
          if (processingFailures <= this.retry.retries) {
            await this.sleep(backoff);
            backoff = Math.min(backoff * 2, this.retry.maxRetryTime);
            continue;
          }
          processingFailures = 0;
          this.instrumentation.emit(CONSUMER_EVENTS.CRASH, { error: e, groupId: this.groupId, restart: true });
          this.leave();
          await this.sleep(this.retry.initialRetryTime);
          backoff = this.retry.initialRetryTime;
          continue;
        }
        this.fail(e, joined);
      }
    }
  }

  /** A crash kafkajs does not restart from: the consumer leaves its group and stops. */
  private fail(e: unknown, joined: () => void): void {
    this.running = false;
    this.crashed = e;
    this.instrumentation.emit(CONSUMER_EVENTS.CRASH, { error: e, groupId: this.groupId, restart: false });
    this.leave();
    joined();
  }

  private leave(): void {
    if (this.memberId !== '' && !this.needsJoin) {
      try {
        this.cluster.groups.leaveGroup({ groupId: this.groupId, memberId: this.memberId });
      } catch {
        // Already gone (session expired, coordinator moved): nothing to leave.
      }
    }
    this.memberId = '';
    this.needsJoin = true;
    this.assignment = new Map();
  }

  private async joinAndSync(): Promise<void> {
    const started = this.cluster.now();
    this.refreshMetadataIfNecessary();
    const topics = [...this.subscriptions.keys()];
    const protocols = this.assigners.map((a) => a.protocol({ topics }));
    let response;
    for (;;) {
      try {
        response = await this.cluster.groups.joinGroup({
          groupId: this.groupId,
          memberId: this.memberId,
          clientId: this.clientId,
          sessionTimeout: this.sessionTimeout,
          rebalanceTimeout: this.rebalanceTimeout,
          protocolType: 'consumer',
          protocols: protocols.map((p) => ({ name: p.name, metadata: p.metadata as Buffer })),
        });
        break;
      } catch (e) {
        // Kafka hands a new member its id in MEMBER_ID_REQUIRED; join again with it.
        if (isProtocolError(e, 'MEMBER_ID_REQUIRED')) {
          this.memberId = (e as unknown as { memberId: string }).memberId;
          continue;
        }
        throw e;
      }
    }
    // Died while waiting for the join: the coordinator has the member, which never syncs and expires.
    if (this.dead) throw deadError();
    this.memberId = response.memberId;
    this.generationId = response.generationId;
    this.leaderId = response.leaderId;
    const isLeader = response.leaderId === response.memberId;
    // As kafkajs: the leader refreshes its metadata before assigning; every member then notes the
    // partitions it knows of, to notice partitions added later.
    if (isLeader) this.refreshMetadata();
    this.partitionsAtJoin = new Map(this.knownPartitions);
    let assignments: { memberId: string; memberAssignment: Buffer }[] = [];
    if (isLeader) {
      const assigner = this.assigners.find((a) => a.name === response.protocolName);
      if (assigner === undefined)
        throw new KafkaJSNonRetriableError(`Unsupported partition assigner "${response.protocolName}", the assigner wasn't found in the assigners list`);
      const members = response.members.map((m) => ({ memberId: m.memberId, memberMetadata: m.metadata }));
      const subscribed = new Set<string>();
      for (const m of members) for (const t of decodeMemberMetadataStrict(m.memberMetadata).topics) subscribed.add(t);
      assignments = (await assigner.assign({ members, topics: [...subscribed] })).map((a) => ({ memberId: a.memberId, memberAssignment: a.memberAssignment }));
    }
    if (this.dead) throw deadError();
    const sync = await this.cluster.groups.syncGroup({ groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, assignments });
    if (this.dead) throw deadError();
    const decoded = sync.memberAssignment.length > 0 ? decodeMemberAssignmentStrict(sync.memberAssignment) : null;
    const onAssignment = (this.assigners.find((a) => a.name === response.protocolName) as { onAssignment?: (b: Buffer) => void } | undefined)?.onAssignment;
    onAssignment?.(sync.memberAssignment);
    this.assignment = new Map();
    const unsubscribed: string[] = [];
    for (const [topic, partitions] of Object.entries(decoded?.assignment ?? {})) {
      if (!this.subscriptions.has(topic)) {
        unsubscribed.push(topic);
        continue;
      }
      this.assignment.set(
        topic,
        [...partitions].sort((a, b) => a - b),
      );
    }
    if (unsubscribed.length > 0) {
      this.instrumentation.emit(CONSUMER_EVENTS.RECEIVED_UNSUBSCRIBED_TOPICS, {
        groupId: this.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        assignedTopics: Object.keys(decoded?.assignment ?? {}),
        topicsSubscribed: [...this.subscriptions.keys()],
        topicsNotSubscribed: unsubscribed,
      });
    }
    // As kafkajs: assigned partitions missing from the cached metadata make it refresh.
    const unknown = [...this.assignment].some(([topic, ps]) => {
      const known = new Set(this.knownPartitions.get(topic));
      return ps.some((p) => !known.has(p));
    });
    if (unknown) {
      this.refreshMetadata();
      this.partitionsAtJoin = new Map(this.knownPartitions);
    }
    // Eager protocol: everything was revoked; positions restart from the committed offsets.
    this.positions.clear();
    this.uncommitted.clear();
    try {
      this.initializePositions();
    } catch (e) {
      // A partition whose leader is offline or unreachable has no start offset yet: the join stands
      // and the fetch loop resolves it with backoff, rather than rejoining (and blocking run()) until it is back.
      if ((e as { retriable?: boolean }).retriable === false) throw e;
    }
    this.needsJoin = false;
    this.lastHeartbeat = this.cluster.now();
    this.lastCommit = this.cluster.now();
    this.instrumentation.emit(CONSUMER_EVENTS.GROUP_JOIN, {
      duration: this.cluster.now() - started,
      groupId: this.groupId,
      isLeader,
      leaderId: this.leaderId,
      groupProtocol: response.protocolName,
      memberId: this.memberId,
      memberAssignment: Object.fromEntries(this.assignment),
    });
  }

  /** Committed offsets where there are some; otherwise earliest or latest, per `fromBeginning`. */
  private initializePositions(): void {
    const topics = [...this.assignment]
      .map(([topic, partitions]) => ({ topic, partitions: partitions.filter((p) => !this.positions.has(key(topic, p))) }))
      .filter(({ partitions }) => partitions.length > 0);
    if (topics.length === 0) return;
    const committed = this.cluster.groups.offsetFetch({ groupId: this.groupId, topics });
    // Every partition that can be resolved is; the first failure is thrown after.
    let failure: unknown;
    for (const { topic, partitions } of committed) {
      for (const { partition, offset } of partitions) {
        const position = Number(offset);
        try {
          this.positions.set(key(topic, partition), position >= 0 ? position : this.resetOffset(topic, partition));
        } catch (e) {
          if ((e as { retriable?: boolean }).retriable === false) throw e;
          failure ??= e;
        }
      }
    }
    if (failure !== undefined) throw failure;
  }

  private resetOffset(topic: string, partition: number): number {
    const fromBeginning = this.subscriptions.get(topic)?.fromBeginning ?? false;
    return this.cluster.listOffsets(topic, partition, fromBeginning ? 'earliest' : 'latest').offset;
  }

  /** kafkajs's metadata refresh: when the cached metadata is older than `metadataMaxAge` or lacks a subscribed topic. */
  private refreshMetadataIfNecessary(): void {
    const missing = [...this.subscriptions.keys()].some((t) => !this.knownPartitions.has(t));
    if (missing || this.cluster.now() > this.metadataExpireAt) this.refreshMetadata();
  }

  private refreshMetadata(): void {
    const known = new Map<string, number[]>();
    for (const topic of this.subscriptions.keys()) {
      if (this.cluster.hasTopic(topic))
        known.set(
          topic,
          this.cluster.describeTopic(topic).partitions.map((p) => p.partition),
        );
    }
    this.knownPartitions = known;
    this.metadataExpireAt = this.cluster.now() + this.metadataMaxAge;
  }

  /** kafkajs's stale-assignment check: a subscribed topic has partitions the assignment did not know of (they were added). */
  private assignmentIsStale(): boolean {
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

  private async fetchRound(): Promise<void> {
    this.refreshMetadataIfNecessary();
    if (this.assignmentIsStale()) {
      // As kafkajs (KafkaJSStaleTopicMetadataAssignment): join again, so the leader assigns the new partitions.
      this.needsJoin = true;
      return;
    }
    await this.applySeeks();
    // A plain loop: this runs once per fetch round per member, and the chained array helpers allocated per partition.
    const active: { topic: string; partition: number }[] = [];
    for (const [topic, partitions] of this.assignment) {
      for (const partition of partitions)
        if (this.pausedPartitions.size === 0 || !this.pausedPartitions.has(key(topic, partition))) active.push({ topic, partition });
    }
    this.instrumentation.emit(CONSUMER_EVENTS.FETCH_START, { nodeId: 0 });
    const batches: { topic: string; partition: number; highWatermark: number; ranges: readonly RecordRange[] }[] = [];
    let fetchFailure: unknown;
    if (active.some(({ topic, partition }) => !this.positions.has(key(topic, partition)))) {
      try {
        this.initializePositions();
      } catch (e) {
        if ((e as { retriable?: boolean }).retriable === false) throw e;
        fetchFailure = e;
      }
    }
    for (const { topic, partition } of active) {
      const offset = this.positions.get(key(topic, partition));
      if (offset === undefined) continue;
      try {
        // The records are copied out when their batch is processed, so one partition's messages are alive at a time.
        const result = this.cluster.fetchRanges({ topic, partition, offset, maxBytes: this.maxBytesPerPartition });
        if (result.ranges.length > 0) batches.push({ topic, partition, highWatermark: result.highWatermark, ranges: result.ranges });
      } catch (e) {
        if (isProtocolError(e, 'OFFSET_OUT_OF_RANGE')) {
          this.positions.set(key(topic, partition), this.resetOffset(topic, partition));
          continue;
        }
        // The partition's leader is moving or unreachable: the other partitions' batches are still processed.
        if ((e as { retriable?: boolean }).retriable !== false) {
          fetchFailure ??= e;
          continue;
        }
        throw e;
      }
    }
    this.instrumentation.emit(CONSUMER_EVENTS.FETCH, { numberOfBatches: batches.length, duration: 0, nodeId: 0 });
    if (batches.length === 0) {
      // As kafkajs, a failed fetch goes to the retrier, which backs off before fetching again. Waiting
      // for data instead would return at once (the data is there, only unreachable) and spin without
      // ever letting a timer fire.
      if (fetchFailure !== undefined) throw fetchFailure;
      const watched = active.map(({ topic, partition }) => ({ topic, partition, offset: this.positions.get(key(topic, partition)) ?? 0 }));
      await this.interruptible(this.cluster.awaitData(watched, this.maxWaitTimeInMs));
      return;
    }
    this.inFlight = true;
    try {
      const concurrency = Math.max(1, this.runConfig.partitionsConsumedConcurrently ?? 1);
      const queue = [...batches];
      const worker = async () => {
        for (let next = queue.shift(); next !== undefined && this.running && !this.needsJoin; next = queue.shift()) await this.processBatch(next);
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
      await this.autoCommit();
    } finally {
      this.inFlight = false;
    }
  }

  private async processBatch(b: { topic: string; partition: number; highWatermark: number; ranges: readonly RecordRange[] }): Promise<void> {
    const { topic, partition } = b;
    const k = key(topic, partition);
    const messages = toKafkaMessages(b.ranges);
    const first = Number(messages[0]!.offset);
    const last = Number(messages[messages.length - 1]!.offset);
    const batchInfo = {
      topic,
      partition,
      highWatermark: String(b.highWatermark),
      offsetLag: String(Math.max(0, b.highWatermark - 1 - last)),
      offsetLagLow: String(Math.max(0, b.highWatermark - 1 - first)),
      batchSize: messages.length,
      firstOffset: String(first),
      lastOffset: String(last),
    };
    const started = this.cluster.now();
    this.instrumentation.emit(CONSUMER_EVENTS.START_BATCH_PROCESS, batchInfo);
    const pause = () => {
      this.pause([{ topic, partitions: [partition] }]);
      return () => this.resume([{ topic, partitions: [partition] }]);
    };
    const heartbeat = async () => this.heartbeatIfDue();
    const resolve = (offset: number) => {
      const before = this.positions.get(k) ?? offset;
      this.resolvedSinceCommit += Math.max(0, offset + 1 - before);
      this.positions.set(k, offset + 1);
      this.uncommitted.set(k, offset + 1);
    };
    const { eachMessage, eachBatch, eachBatchAutoResolve = true } = this.runConfig;
    try {
      if (eachBatch) {
        const batch: Batch = {
          topic,
          partition,
          highWatermark: String(b.highWatermark),
          messages,
          isEmpty: () => messages.length === 0,
          firstOffset: () => String(first),
          lastOffset: () => String(last),
          offsetLag: () => batchInfo.offsetLag,
          offsetLagLow: () => batchInfo.offsetLagLow,
        };
        await eachBatch({
          batch,
          resolveOffset: (offset: string) => resolve(Number(offset)),
          heartbeat,
          pause,
          commitOffsetsIfNecessary: async () => this.autoCommitIfNecessary(),
          uncommittedOffsets: () => ({ topics: this.uncommittedTopics() }),
          isRunning: () => this.running,
          isStale: () => this.needsJoin || this.seeks.has(k),
        });
        if (eachBatchAutoResolve && this.running && !this.seeks.has(k)) resolve(last);
      } else if (eachMessage) {
        for (const message of messages) {
          if (!this.running || this.needsJoin || this.seeks.has(k)) break;
          try {
            await eachMessage({ topic, partition, message, heartbeat, pause });
          } catch (e) {
            // As kafkajs: commit what was processed before the failure, then let the error out.
            await this.autoCommit().catch(() => undefined);
            throw e;
          }
          resolve(Number(message.offset));
          this.heartbeatIfDue();
          // Most messages make no commit: skip the extra await per message then.
          const committing = this.autoCommitIfNecessary();
          if (committing !== undefined) await committing;
          if (this.pausedPartitions.has(k)) break;
        }
      }
    } finally {
      // A crashed consumer's process is gone: it reports nothing more.
      if (!this.dead) this.instrumentation.emit(CONSUMER_EVENTS.END_BATCH_PROCESS, { ...batchInfo, duration: this.cluster.now() - started });
    }
  }

  private heartbeatIfDue(): void {
    if (this.needsJoin || this.cluster.now() < this.lastHeartbeat + this.heartbeatInterval) return;
    this.cluster.groups.heartbeat({ groupId: this.groupId, generationId: this.generationId, memberId: this.memberId });
    this.lastHeartbeat = this.cluster.now();
    this.instrumentation.emit(CONSUMER_EVENTS.HEARTBEAT, { groupId: this.groupId, memberId: this.memberId, groupGenerationId: this.generationId });
  }

  private async applySeeks(): Promise<void> {
    for (const [k, offset] of [...this.seeks]) {
      this.seeks.delete(k);
      const [topic, p] = k.split('\u0000') as [string, string];
      const partition = Number(p);
      if (!(this.assignment.get(topic) ?? []).includes(partition)) continue;
      const target =
        offset === -2
          ? this.cluster.listOffsets(topic, partition, 'earliest').offset
          : offset === -1
            ? this.cluster.listOffsets(topic, partition, 'latest').offset
            : offset;
      this.positions.set(k, target);
      this.uncommitted.delete(k);
      // As kafkajs: with auto-commit on, a seek is committed at once.
      if (this.runConfig.autoCommit !== false) await this.commit(new Map([[topic, [{ partition, offset: target }]]]));
      else this.uncommitted.set(k, target);
    }
  }

  /** Commits when the interval or threshold is reached; undefined (nothing to await) when no commit is due. */
  private autoCommitIfNecessary(): Promise<void> | undefined {
    const { autoCommit = true, autoCommitInterval = null, autoCommitThreshold = null } = this.runConfig;
    if (!autoCommit) return undefined;
    const timeoutReached = autoCommitInterval !== null && this.cluster.now() >= this.lastCommit + autoCommitInterval;
    const thresholdReached = autoCommitThreshold !== null && this.resolvedSinceCommit >= autoCommitThreshold;
    return timeoutReached || thresholdReached ? this.commitUncommitted() : undefined;
  }

  private autoCommit(): Promise<void> {
    return this.runConfig.autoCommit === false ? Promise.resolve() : this.commitUncommitted();
  }

  private uncommittedTopics(): { topic: string; partitions: { partition: number; offset: string }[] }[] {
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const [k, offset] of this.uncommitted) {
      const [topic, partition] = k.split('\u0000') as [string, string];
      const entry = { partition: Number(partition), offset: String(offset) };
      // Appended in place: copying the list per partition made a commit O(partitions^2).
      const list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, [entry]);
      else list.push(entry);
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  }

  private async commitUncommitted(): Promise<void> {
    if (this.uncommitted.size === 0) return;
    const topics = new Map<string, { partition: number; offset: number }[]>();
    for (const { topic, partitions } of this.uncommittedTopics())
      topics.set(
        topic,
        partitions.map((p) => ({ partition: p.partition, offset: Number(p.offset) })),
      );
    await this.commit(topics);
  }

  private async commit(topics: Map<string, { partition: number; offset: number; metadata?: string | null }[]>): Promise<void> {
    if (this.dead) throw deadError();
    if (topics.size === 0) return;
    const request = [...topics].map(([topic, partitions]) => ({
      topic,
      partitions: partitions.map((p) => ({ partition: p.partition, offset: p.offset, metadata: p.metadata ?? null })),
    }));
    this.cluster.groups.offsetCommit({ groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, topics: request });
    for (const { topic, partitions } of request) {
      for (const p of partitions) if (this.uncommitted.get(key(topic, p.partition)) === p.offset) this.uncommitted.delete(key(topic, p.partition));
    }
    this.lastCommit = this.cluster.now();
    this.resolvedSinceCommit = 0;
    this.instrumentation.emit(CONSUMER_EVENTS.COMMIT_OFFSETS, {
      groupId: this.groupId,
      memberId: this.memberId,
      groupGenerationId: this.generationId,
      topics: request.map(({ topic, partitions }) => ({ topic, partitions: partitions.map((p) => ({ partition: p.partition, offset: String(p.offset) })) })),
    });
  }

  /** Ends the loop (after the batch in hand), commits what was processed, and leaves the group. */
  private async shutdown(): Promise<void> {
    if (this.running) {
      this.running = false;
      this.interrupt();
      await this.loop;
    }
    if (this.memberId !== '' && !this.needsJoin) await this.autoCommit().catch(() => undefined);
    this.leave();
  }

  private sleep(ms: number): Promise<void> {
    let id = 0;
    const slept = new Promise<void>((resolve) => (id = this.cluster.clock.schedule(ms, resolve)));
    return this.interruptible(slept).finally(() => this.cluster.clock.cancel(id));
  }

  /** Ends every wait under way now; waits started later end at once until run() starts again. */
  private interrupt(): void {
    this.isInterrupted = true;
    for (const wake of this.wakers) wake();
    this.wakers.clear();
  }

  /** `wait`, or less when stop() or crash() comes first. */
  private interruptible(wait: Promise<void>): Promise<void> {
    if (this.isInterrupted) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.wakers.add(resolve);
      wait.then(resolve, reject).finally(() => this.wakers.delete(resolve));
    });
  }

  private expand(topics: Array<{ topic: string; partitions?: number[] }>): { topic: string; partitions: number[] }[] {
    if (!Array.isArray(topics)) throw new KafkaJSNonRetriableError('Topics must be an array');
    return topics.map(({ topic, partitions }) => {
      if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic ${String(topic)}`);
      return { topic, partitions: partitions ?? (this.cluster.hasTopic(topic) ? this.cluster.describeTopic(topic).partitions.map((p) => p.partition) : []) };
    });
  }
}

/** Errors kafkajs's retrier never retries. */
const UNRECOVERABLE = new Set(['RangeError', 'ReferenceError', 'SyntaxError', 'TypeError']);

/** The innermost `cause` of an error, as kafkajs's crash handler looks for it to decide on a restart. */
function rootCause(e: unknown): { retriable?: boolean } {
  let error = e as { cause?: unknown; retriable?: boolean };
  for (let depth = 0; depth < 16 && error.cause !== undefined && error.cause !== null; depth++) error = error.cause as { cause?: unknown; retriable?: boolean };
  return error;
}

/** What a crashed consumer's calls reject with. */
function deadError(): InstanceType<typeof KafkaJSNonRetriableError> {
  return new KafkaJSNonRetriableError('The consumer crashed (crash()): a dead consumer cannot be used again; create a new one');
}

const silentLogger = {
  info: () => undefined,
  error: () => undefined,
  warn: () => undefined,
  debug: () => undefined,
  namespace: () => silentLogger,
  setLogLevel: () => undefined,
};
