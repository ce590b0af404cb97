/**
 * kafkajs's consumer/runner.js (with the crash handling of consumer/index.js): the fetch loop.
 * It joins the group when it must, heartbeats, fetches from every assigned, unpaused partition,
 * hands the batches to eachMessage or eachBatch, commits, and decides with one error policy
 * ({@link recoveryFor}) what a failure means: rejoin, back off and retry, crash and restart, or
 * crash for good.
 *
 * On the virtual clock the loop never moves time by itself: its backoffs and long polls are
 * timers that whoever awaits the consumer (`run`, `stop`, `cluster.idle()`) lets fire.
 */
import type { Batch, ConsumerRunConfig, RetryOptions } from 'kafkajs';
import type { TwinCluster as Cluster } from '../cluster.js';
import { visibleRanges, type IsolationLevel } from '../../../emulator/fetch.js';
import type { RecordRange } from '../../../emulator/records.js';
import { KafkaJSError, isProtocolError } from '../../../protocol/errors.js';
import { toKafkaMessages } from '../convert.js';
import { UNRECOVERABLE } from '../retry.js';
import { CONSUMER_EVENTS, type Emit } from './events.js';
import type { ConsumerGroup } from './group.js';
import type { Lifecycle } from './lifecycle.js';
import { key, type OffsetManager } from './offsets.js';

/** What the loop does about an error from a round (a join, a fetch, a handler, a commit). */
export type Recovery =
  /** The group is rebalancing (or its coordinator moved): report REBALANCING, commit what was processed, rejoin. */
  | { readonly kind: 'rebalance' }
  /** The coordinator does not know the member (its session expired): rejoin as a new member. */
  | { readonly kind: 'rejoin-as-new-member' }
  /**
   * A retriable broker error (coordinator moves, leader elections, unreachable brokers): back off
   * and try again, rejoining first when the coordinator is gone. A join whose retries are spent
   * crashes and restarts.
   */
  | { readonly kind: 'back-off'; readonly rejoin: boolean }
  /**
   * An error from eachMessage or eachBatch: the batch is retried with backoff, and once the
   * retries are spent the consumer crashes and restarts (leaves and rejoins). `restartNow` for a
   * kafkajs error whose root cause is retriable (a send whose retries ran out): no retries then.
   */
  | { readonly kind: 'retry-batch'; readonly restartNow: boolean }
  /** A crash kafkajs does not restart from: the consumer leaves its group and stops, and run() rejects. */
  | { readonly kind: 'crash' };

const REBALANCING = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION']);

/**
 * The consumer's error policy, as kafkajs's runner (rebalances, unknown member) and its crash
 * handler (restart when the error, or its root cause, is retriable; never after a TypeError...)
 * decide it.
 */
export function recoveryFor(e: unknown): Recovery {
  if (isProtocolError(e) && REBALANCING.has(e.type)) return { kind: 'rebalance' };
  if (isProtocolError(e, 'UNKNOWN_MEMBER_ID')) return { kind: 'rejoin-as-new-member' };
  if (e instanceof KafkaJSError && e.retriable !== false) return { kind: 'back-off', rejoin: isProtocolError(e, 'GROUP_COORDINATOR_NOT_AVAILABLE') };
  if (!(e instanceof KafkaJSError) || rootCause(e).retriable === true) {
    if (e instanceof Error && UNRECOVERABLE.has(e.name)) return { kind: 'crash' };
    return { kind: 'retry-batch', restartNow: e instanceof KafkaJSError };
  }
  return { kind: 'crash' };
}

/** The innermost `cause` of an error, as kafkajs's crash handler looks for it to decide on a restart. */
function rootCause(e: unknown): { retriable?: boolean } {
  let error = e as { cause?: unknown; retriable?: boolean };
  for (let depth = 0; depth < 16 && error.cause !== undefined && error.cause !== null; depth++) error = error.cause as { cause?: unknown; retriable?: boolean };
  return error;
}

/** A consumer's settings for its fetch loop, kafkajs's defaults already applied. */
export interface RunnerOptions {
  readonly groupId: string;
  readonly heartbeatInterval: number;
  readonly maxBytesPerPartition: number;
  readonly maxWaitTimeInMs: number;
  /** kafkajs's `readUncommitted` (false by default: read_committed). */
  readonly isolationLevel: IsolationLevel;
  readonly retry: Required<Pick<RetryOptions, 'initialRetryTime' | 'maxRetryTime' | 'retries'>>;
}

/** The collaborators of a {@link Runner}. */
export interface RunnerDeps {
  readonly group: ConsumerGroup;
  readonly offsets: OffsetManager;
  readonly lifecycle: Lifecycle;
  /** The current run's handlers and settings. */
  readonly runConfig: () => ConsumerRunConfig;
  readonly emit: Emit;
}

type FetchedBatch = { topic: string; partition: number; highWatermark: number; ranges: readonly RecordRange[] };

/** One consumer's fetch loop. */
export class Runner {
  private loop: Promise<void> | undefined;
  /** A fetch round's batches are being processed (for `cluster.idle()`). */
  private inFlight = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly options: RunnerOptions,
    private readonly deps: RunnerDeps,
  ) {}

  /** Whether fetched batches are being processed now. */
  get processing(): boolean {
    return this.inFlight;
  }

  /**
   * Starts the loop of a consumer that just moved to `running`; `joined` is called once run()
   * may resolve (the first join, or a crash). The loop never rejects.
   */
  start(joined: () => void): Promise<void> {
    this.deps.group.rejoin();
    this.loop = this.consume(joined);
    return this.loop;
  }

  /** Ends the loop (after the batch in hand), commits what was processed, and leaves the group. */
  async stop(): Promise<void> {
    const { lifecycle, group, offsets } = this.deps;
    const stopping = lifecycle.is('running');
    if (stopping) {
      lifecycle.transitionTo('stopping');
      await this.loop;
    }
    if (group.memberId !== '' && group.joined) await offsets.autoCommit().catch(() => undefined);
    group.leave();
    // Unless something else moved it meanwhile (crash(), run() again, disconnect()).
    if (stopping && lifecycle.is('stopping')) lifecycle.transitionTo('connected');
  }

  /** The fetch loop. Never rejects: a fatal error is reported with CRASH and ends the loop. */
  private async consume(joined: () => void): Promise<void> {
    const { group, offsets, lifecycle, emit } = this.deps;
    const { retry, heartbeatInterval, groupId } = this.options;
    let backoff = retry.initialRetryTime;
    let processingFailures = 0;
    let joinFailures = 0;
    while (lifecycle.is('running')) {
      try {
        if (!group.joined) {
          await group.joinAndSync();
          joinFailures = 0;
          joined();
        }
        // Also before the fetch: a round whose fetches fail throws before the heartbeat below, and
        // a member must stay in its group while one of its partitions has no reachable leader.
        group.heartbeatIfDue();
        await this.fetchRound();
        group.heartbeatIfDue();
        backoff = retry.initialRetryTime;
        processingFailures = 0;
      } catch (e) {
        if (!lifecycle.is('running')) break;
        const recovery = recoveryFor(e);
        switch (recovery.kind) {
          case 'rebalance':
            emit(CONSUMER_EVENTS.REBALANCING, { groupId, memberId: group.memberId });
            await offsets.autoCommit().catch(() => undefined);
            group.rejoin();
            continue;
          case 'rejoin-as-new-member':
            group.rejoin({ asNewMember: true });
            continue;
          case 'back-off':
            if (recovery.rejoin) group.rejoin();
            if (!group.joined && ++joinFailures > retry.retries) {
              // As kafkajs: the join's retries are spent, so the consumer crashes and restarts; run() resolves.
              joinFailures = 0;
              emit(CONSUMER_EVENTS.CRASH, { error: e, groupId, restart: true });
              joined();
              // The restart starts a new retrier, as kafkajs's does.
              await this.sleep(retry.initialRetryTime);
              backoff = retry.initialRetryTime;
              continue;
            }
            // Between failed fetches the member still heartbeats, so it never waits longer than that.
            await this.sleep(!group.joined ? backoff : Math.min(backoff, heartbeatInterval));
            backoff = Math.min(backoff * 2, retry.maxRetryTime);
            continue;
          case 'retry-batch':
            if (recovery.restartNow) processingFailures = retry.retries;
            processingFailures++;
            if (processingFailures <= retry.retries) {
              await this.sleep(backoff);
              backoff = Math.min(backoff * 2, retry.maxRetryTime);
              continue;
            }
            processingFailures = 0;
            emit(CONSUMER_EVENTS.CRASH, { error: e, groupId, restart: true });
            group.leave();
            await this.sleep(retry.initialRetryTime);
            backoff = retry.initialRetryTime;
            continue;
          case 'crash':
            this.fail(e, joined);
            continue;
        }
      }
    }
  }

  /** A crash kafkajs does not restart from: the consumer leaves its group and stops. */
  private fail(e: unknown, joined: () => void): void {
    this.deps.lifecycle.transitionTo('crashed', e);
    this.deps.emit(CONSUMER_EVENTS.CRASH, { error: e, groupId: this.options.groupId, restart: false });
    this.deps.group.leave();
    joined();
  }

  private async fetchRound(): Promise<void> {
    const { group, offsets, lifecycle, emit } = this.deps;
    group.refreshMetadataIfNecessary();
    if (group.assignmentIsStale()) {
      // As kafkajs (KafkaJSStaleTopicMetadataAssignment): join again, so the leader assigns the new partitions.
      group.rejoin();
      return;
    }
    await offsets.applySeeks();
    // A plain loop: this runs once per fetch round per member, and the chained array helpers allocated per partition.
    const active: { topic: string; partition: number }[] = [];
    for (const [topic, partitions] of group.assignment) {
      for (const partition of partitions) if (!group.isPaused(key(topic, partition))) active.push({ topic, partition });
    }
    emit(CONSUMER_EVENTS.FETCH_START, { nodeId: 0 });
    const batches: FetchedBatch[] = [];
    let fetchFailure: unknown;
    if (active.some(({ topic, partition }) => offsets.position(topic, partition) === undefined)) {
      try {
        offsets.initializePositions();
      } catch (e) {
        if ((e as { retriable?: boolean }).retriable === false) throw e;
        fetchFailure = e;
      }
    }
    for (const { topic, partition } of active) {
      const offset = offsets.position(topic, partition);
      if (offset === undefined) continue;
      try {
        // The records are copied out when their batch is processed, so one partition's messages are alive at a time.
        const result = this.cluster.fetchRanges({ topic, partition, offset, maxBytes: this.options.maxBytesPerPartition, isolationLevel: this.options.isolationLevel });
        // As kafkajs's batch: transaction markers (and, read_committed, aborted records) never reach the application;
        // a fetch that held only those moves the position past them.
        const ranges = visibleRanges(result);
        if (ranges.length > 0) batches.push({ topic, partition, highWatermark: result.highWatermark, ranges });
        else if (result.ranges.length > 0) {
          const last = result.ranges[result.ranges.length - 1]!;
          offsets.resolve(key(topic, partition), last.batch.baseOffset + last.to - 1);
        }
      } catch (e) {
        if (isProtocolError(e, 'OFFSET_OUT_OF_RANGE')) {
          offsets.resetPosition(topic, partition);
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
    emit(CONSUMER_EVENTS.FETCH, { numberOfBatches: batches.length, duration: 0, nodeId: 0 });
    if (batches.length === 0) {
      // As kafkajs, a failed fetch goes to the retrier, which backs off before fetching again. Waiting
      // for data instead would return at once (the data is there, only unreachable) and spin without
      // ever letting a timer fire.
      if (fetchFailure !== undefined) throw fetchFailure;
      const watched = active.map(({ topic, partition }) => ({ topic, partition, offset: offsets.position(topic, partition) ?? 0 }));
      await lifecycle.interruptible(this.cluster.awaitData(watched, this.options.maxWaitTimeInMs, this.options.isolationLevel));
      return;
    }
    this.inFlight = true;
    try {
      const concurrency = Math.max(1, this.deps.runConfig().partitionsConsumedConcurrently ?? 1);
      const queue = [...batches];
      const worker = async () => {
        for (let next = queue.shift(); next !== undefined && lifecycle.is('running') && group.joined; next = queue.shift()) await this.processBatch(next);
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
      await offsets.autoCommit();
    } finally {
      this.inFlight = false;
    }
  }

  private async processBatch(b: FetchedBatch): Promise<void> {
    const { group, offsets, lifecycle, emit } = this.deps;
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
    emit(CONSUMER_EVENTS.START_BATCH_PROCESS, batchInfo);
    const pause = () => {
      group.pause([{ topic, partitions: [partition] }]);
      return () => group.resume([{ topic, partitions: [partition] }]);
    };
    const heartbeat = async () => group.heartbeatIfDue();
    const { eachMessage, eachBatch, eachBatchAutoResolve = true } = this.deps.runConfig();
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
          resolveOffset: (offset: string) => offsets.resolve(k, Number(offset)),
          heartbeat,
          pause,
          commitOffsetsIfNecessary: async () => offsets.autoCommitIfNecessary(),
          uncommittedOffsets: () => ({ topics: offsets.uncommittedTopics() }),
          isRunning: () => lifecycle.is('running'),
          isStale: () => !group.joined || offsets.hasSeek(k),
        });
        if (eachBatchAutoResolve && lifecycle.is('running') && !offsets.hasSeek(k)) offsets.resolve(k, last);
      } else if (eachMessage) {
        for (const message of messages) {
          if (!lifecycle.is('running') || !group.joined || offsets.hasSeek(k)) break;
          try {
            await eachMessage({ topic, partition, message, heartbeat, pause });
          } catch (e) {
            // As kafkajs: commit what was processed before the failure, then let the error out.
            await offsets.autoCommit().catch(() => undefined);
            throw e;
          }
          offsets.resolve(k, Number(message.offset));
          group.heartbeatIfDue();
          // Most messages make no commit: skip the extra await per message then.
          const committing = offsets.autoCommitIfNecessary();
          if (committing !== undefined) await committing;
          if (group.isPaused(k)) break;
        }
      }
    } finally {
      // A crashed consumer's process is gone: it reports nothing more.
      if (!lifecycle.is('dead')) emit(CONSUMER_EVENTS.END_BATCH_PROCESS, { ...batchInfo, duration: this.cluster.now() - started });
    }
  }

  private sleep(ms: number): Promise<void> {
    let id = 0;
    const slept = new Promise<void>((resolve) => (id = this.cluster.clock.schedule(ms, resolve)));
    return this.deps.lifecycle.interruptible(slept).finally(() => this.cluster.clock.cancel(id));
  }
}
