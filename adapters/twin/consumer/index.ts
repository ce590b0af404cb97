/**
 * kafkajs's consumer/index.js: the twin's kafkajs-shaped consumer, the `Consumer` API over its
 * parts, split as kafkajs splits its own: the group membership (group.ts, kafkajs's
 * consumerGroup.js), the fetch loop and its error policy (runner.ts, runner.js), the offsets
 * (offsets.ts, offsetManager), and the lifecycle as one named state (lifecycle.ts). It talks to
 * the engine's group coordinator and partitions instead of the network.
 *
 * On the virtual clock, awaited calls (`run`, `commitOffsets`, `disconnect`) move time as far as
 * they need; the fetch loop in the background never moves time by itself.
 */
import type {
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
import type { TwinCluster as Cluster } from '../cluster.js';
import type { IsolationLevel } from '../../../emulator/engine.js';
import { RoundRobinAssigner } from '../../../client/assignors/index.js';
import { KafkaJSError, KafkaJSNonRetriableError } from '../../../protocol/errors.js';
import type { Consumer } from '../../../client/interface.js';
import { kafkaJsPartitionMetadataOf } from '../convert.js';
import { Instrumentation } from '../instrumentation.js';
import { RETRY_DEFAULTS } from '../retry.js';
import type { ClientOffsets } from '../client-offsets.js';
import { CONSUMER_EVENTS } from './events.js';
import { ConsumerGroup } from './group.js';
import { Lifecycle } from './lifecycle.js';
import { OffsetManager, key, type CommitRequest } from './offsets.js';
import { Runner } from './runner.js';
import { ConsumerLog, listenerFailed, loggerFor, type GroupJoin, type Logger } from '../logger.js';

export { CONSUMER_EVENTS } from './events.js';

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
  private readonly lifecycle = new Lifecycle();
  private readonly subscriptions = new Map<string, { fromBeginning: boolean }>();
  private readonly allowAutoTopicCreation: boolean;
  private runConfig: ConsumerRunConfig = {};
  private readonly group: ConsumerGroup;
  private readonly offsets: OffsetManager;
  private readonly runner: Runner;
  private readonly log: ConsumerLog;
  private readonly isolationLevel: IsolationLevel;
  /** Set while connected: keeps the process alive on the real clock, as kafkajs's sockets do. */
  private release: (() => void) | undefined;

  constructor(
    private readonly cluster: Cluster,
    config: ConsumerConfig,
    clientId: string,
    clientRetry?: RetryOptions,
    rootLogger: Logger = loggerFor(cluster),
    clientOffsets?: ClientOffsets,
  ) {
    if (config === undefined || !config.groupId) throw new KafkaJSNonRetriableError('Consumer groupId must be a non-empty string.');
    const groupId = config.groupId;
    this.groupId = groupId;
    this.allowAutoTopicCreation = config.allowAutoTopicCreation ?? true;
    const heartbeatInterval = config.heartbeatInterval ?? 3000;
    const retry = { ...RETRY_DEFAULTS, ...clientRetry, ...config.retry };
    const log = (this.log = new ConsumerLog(rootLogger, groupId));
    const assignerContext = {
      // As kafkajs, assigners get the cached metadata: built once per metadata change, not per rebalance.
      cluster: { findTopicPartitionMetadata: (topic: string) => kafkaJsPartitionMetadataOf(this.cluster.describeTopic(topic)) },
      groupId,
      logger: log.consumer,
    };
    const factories: PartitionAssigner[] = config.partitionAssigners ?? [RoundRobinAssigner as unknown as PartitionAssigner];
    const assigners = factories.map((f) => f(assignerContext as unknown as Parameters<PartitionAssigner>[0]));
    this.instrumentation = new Instrumentation(
      CONSUMER_EVENTS,
      () => cluster.now(),
      (name, e) => listenerFailed(log.consumer, name, e),
    );
    // kafkajs logs these happenings with the event's own payload: the log line goes with the event.
    const emit = (eventName: string, payload: unknown) => {
      if (eventName === CONSUMER_EVENTS.CRASH) {
        const { error, restart } = payload as { error: unknown; restart: boolean };
        log.crashed(error, restart, retry.initialRetryTime, retry.retries);
      }
      this.instrumentation.emit(eventName, payload);
      if (eventName === CONSUMER_EVENTS.GROUP_JOIN) log.joined(payload as GroupJoin);
      else if (eventName === CONSUMER_EVENTS.RECEIVED_UNSUBSCRIBED_TOPICS) log.unsubscribedTopics(payload as object);
    };
    const { lifecycle, subscriptions } = this;
    const runConfig = () => this.runConfig;
    // kafkajs's consumer asks Fetch and ListOffsets with READ_COMMITTED unless `readUncommitted`.
    const isolationLevel = config.readUncommitted === true ? 'read_uncommitted' : 'read_committed';
    this.isolationLevel = isolationLevel;
    this.offsets = new OffsetManager(cluster, { member: () => this.group, subscriptions, runConfig, lifecycle, emit, isolationLevel });
    // Offsets a transaction of the same client sent for this group count as committed, as in kafkajs.
    clientOffsets?.subscribe(groupId, (topic, partition, offset) => this.offsets.markCommitted(topic, partition, offset));
    this.group = new ConsumerGroup(
      cluster,
      {
        groupId,
        clientId,
        sessionTimeout: config.sessionTimeout ?? 30000,
        rebalanceTimeout: config.rebalanceTimeout ?? 60000,
        heartbeatInterval,
        metadataMaxAge: config.metadataMaxAge ?? 300000,
        assigners,
      },
      { subscriptions, offsets: this.offsets, lifecycle, emit },
    );
    this.runner = new Runner(
      cluster,
      {
        groupId,
        heartbeatInterval,
        maxBytesPerPartition: config.maxBytesPerPartition ?? 1048576,
        maxBytes: config.maxBytes ?? 10485760,
        minBytes: config.minBytes ?? 1,
        maxWaitTimeInMs: config.maxWaitTimeInMs ?? 5000,
        isolationLevel,
        retry: { initialRetryTime: retry.initialRetryTime, maxRetryTime: retry.maxRetryTime, retries: retry.retries, restartOnFailure: retry.restartOnFailure },
      },
      { group: this.group, offsets: this.offsets, lifecycle, runConfig, emit, log },
    );
  }

  /** The `Consumer` namespace of the client's logger, as kafkajs's `consumer.logger()`. */
  logger(): Logger {
    return this.log.consumer;
  }

  on: Consumer['on'] = ((eventName: string, listener: (event: never) => void) =>
    this.instrumentation.on(eventName, listener as (event: unknown) => void)) as Consumer['on'];

  async connect(): Promise<void> {
    this.lifecycle.assertAlive();
    if (this.lifecycle.is('disconnected')) this.lifecycle.transitionTo('connected');
    this.release ??= this.cluster.keepAlive();
    this.instrumentation.emit(CONSUMER_EVENTS.CONNECT, null);
  }

  async disconnect(): Promise<void> {
    await this.stop();
    // Normally from connected; a dead consumer stays dead, and a run() started during the stop goes on.
    if (this.lifecycle.canMoveTo('disconnected')) this.lifecycle.transitionTo('disconnected');
    this.release?.();
    this.release = undefined;
    this.instrumentation.emit(CONSUMER_EVENTS.DISCONNECT, null);
  }

  /** Subscribes to topics by name or RegExp, matched against the topics that exist now, as kafkajs does. */
  async subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> {
    if (this.lifecycle.is('running')) throw new KafkaJSNonRetriableError('Cannot subscribe to topic while consumer is running');
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

  /**
   * Starts consuming. Resolves once the consumer has joined its group, or has crashed trying, as
   * kafkajs's does: a failure never rejects it, it is reported by CRASH.
   */
  async run(config: ConsumerRunConfig = {}): Promise<void> {
    if (this.lifecycle.is('running')) return this.log.alreadyRunning();
    this.lifecycle.assertAlive();
    if (this.lifecycle.is('disconnected')) throw new KafkaJSError('The consumer is not connected');
    if (!config.eachMessage && !config.eachBatch) throw new KafkaJSNonRetriableError('Either eachMessage or eachBatch must be provided');
    this.runConfig = config;
    // A new run is a new group membership in kafkajs: the pauses of an earlier run are gone.
    const stale = this.group.paused();
    if (stale.length > 0) this.group.resume(stale);
    this.lifecycle.transitionTo('running');
    this.log.starting();
    let joined!: () => void;
    const firstJoin = new Promise<void>((resolve) => (joined = resolve));
    const loop = this.runner.start(joined);
    await this.cluster.drive(Promise.race([firstJoin, loop]));
  }

  /** Stops consuming and leaves the group, as kafkajs's `stop()` does. */
  async stop(): Promise<void> {
    const wasRunning = this.lifecycle.is('running');
    await this.cluster.drive(this.runner.stop());
    if (wasRunning) this.instrumentation.emit(CONSUMER_EVENTS.STOP, null);
    // A dead consumer's process is gone: it logs nothing more.
    if (!this.lifecycle.is('dead')) this.log.stopped();
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
    if (this.lifecycle.is('dead')) return;
    this.lifecycle.transitionTo('dead');
    // Forgotten, not left: the coordinator learns of the death only from the missing heartbeats.
    this.group.forget();
    this.offsets.forget();
    this.release?.();
    this.release = undefined;
  }

  /** Commits the given offsets (each the next offset to read) for this member's generation. */
  async commitOffsets(topicPartitions: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    this.lifecycle.assertAlive();
    if (!this.lifecycle.is('running') && this.group.memberId === '')
      throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first');
    if (!Array.isArray(topicPartitions)) throw new KafkaJSNonRetriableError('Offsets must be an array');
    // As kafkajs's runner: before the run's first join (an unawaited run()), or after a crash, nothing is committed.
    if (!this.runner.running) return;
    const topics: CommitRequest = new Map();
    for (const { topic, partition, offset, metadata } of topicPartitions) {
      const list = topics.get(topic) ?? [];
      list.push({ partition, offset: Number(offset), metadata: metadata ?? null });
      topics.set(topic, list);
    }
    await this.cluster.drive(Promise.resolve().then(() => this.offsets.commit(topics)));
  }

  seek({ topic, partition, offset }: TopicPartitionOffset): void {
    if (!this.lifecycle.is('running')) throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first');
    const n = Number(offset);
    if (!Number.isInteger(n) || n < -2) throw new KafkaJSNonRetriableError(`Offset must not be a negative number`);
    this.offsets.seek(topic, partition, n);
  }

  /**
   * Stops fetching the given partitions (a topic without `partitions`: all of it) until resumed.
   * As kafkajs's, valid only from `run()` until `stop()`: the pauses belong to that run's group
   * membership, so a later `run()` starts with none.
   */
  pause(topics: Array<{ topic: string; partitions?: number[] }>): void {
    validatePauseTargets(topics, 'pause');
    this.assertRunStarted();
    if (this.lifecycle.is('running')) this.log.pausing(topics, false);
    this.group.pause(topics);
  }

  resume(topics: Array<{ topic: string; partitions?: number[] }>): void {
    validatePauseTargets(topics, 'resume');
    this.assertRunStarted();
    if (this.lifecycle.is('running')) this.log.pausing(topics, true);
    this.group.resume(topics);
  }

  /**
   * The paused partitions among those assigned to this member, as kafkajs lists them: topics in
   * assignment order, each topic's partitions sorted as kafkajs's `Array#sort` does (as strings);
   * nothing before `run()`. A paused partition that is not assigned stays paused, unlisted.
   */
  paused(): TopicPartitions[] {
    if (!this.lifecycle.is('running')) return [];
    const out: TopicPartitions[] = [];
    for (const [topic, partitions] of this.assignment) {
      const paused = partitions.filter((p) => this.group.isPaused(key(topic, p))).sort();
      if (paused.length > 0) out.push({ topic, partitions: paused });
    }
    return out;
  }

  async describeGroup(): Promise<GroupDescription> {
    // kafkajs's answer leads with the group's error code (always 0: an error would have thrown).
    return { errorCode: 0, ...this.group.describe() } as GroupDescription;
  }

  /** kafkajs's pause and resume refuse before `run()`: its consumer group exists only from then until `stop()`. */
  private assertRunStarted(): void {
    if (!this.lifecycle.is('running')) throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first');
  }

  isIdle(): boolean {
    if (!this.lifecycle.is('running')) return true;
    if (!this.group.joined || this.runner.processing || this.offsets.pendingSeeks > 0) return false;
    // A rebalance this member has not noticed yet (it learns at its next heartbeat) is not idle.
    try {
      const group = this.cluster.groups.describeGroup(this.groupId);
      if (group.state !== 'Stable' || group.generationId !== this.group.generationId) return false;
    } catch {
      return false;
    }
    for (const [topic, partitions] of this.assignment) {
      for (const partition of partitions) {
        if (this.group.isPaused(key(topic, partition))) continue;
        const position = this.offsets.position(topic, partition);
        if (position === undefined) {
          try {
            this.cluster.listOffsets(topic, partition, 'latest', undefined, this.isolationLevel);
          } catch {
            continue; // unreachable: its starting offset is resolved once it is back (see below)
          }
          return false;
        }
        try {
          if (this.cluster.listOffsets(topic, partition, 'latest', undefined, this.isolationLevel).offset > position) return false;
        } catch {
          // An unreachable partition cannot be consumed now; it does not keep the consumer busy.
        }
      }
    }
    return true;
  }

  describeBusy(): string {
    const { memberId } = this.group;
    if (!this.group.joined) return `consumer ${memberId || '(new)'} of group ${this.groupId} is joining`;
    if (!this.isIdle() && !this.runner.processing)
      return `consumer ${memberId} of group ${this.groupId} is waiting for its group to settle or its partitions to be consumed`;
    const behind = [...this.assignment].flatMap(([topic, ps]) => ps.map((p) => `${topic}-${p}@${this.offsets.position(topic, p) ?? '?'}`));
    return `consumer ${memberId} of group ${this.groupId} is consuming ${behind.join(', ')}`;
  }

  /** The partitions this member was assigned in its generation, per topic (a spec reads it too). */
  private get assignment(): ReadonlyMap<string, number[]> {
    return this.group.assignment;
  }
}

/** kafkajs's checks of pause's and resume's argument, before anything else. */
function validatePauseTargets(topics: Array<{ topic: string; partitions?: number[] }>, verb: 'pause' | 'resume'): void {
  for (const t of topics ?? []) {
    if (!t || !t.topic) throw new KafkaJSNonRetriableError(`Invalid topic ${String((t && t.topic) || t)}`);
    if (t.partitions !== undefined && (!Array.isArray(t.partitions) || t.partitions.some((p) => Number.isNaN(Number(p))))) {
      throw new KafkaJSNonRetriableError(`Array of valid partitions required to ${verb} specific partitions instead of ${String(t.partitions)}`);
    }
  }
}

