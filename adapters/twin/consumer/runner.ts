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
import type { Batch, ConsumerRunConfig, OffsetsByTopicPartition, RetryOptions } from 'kafkajs';
import type { TwinCluster as Cluster } from '../cluster.js';
import { visibleRanges, type IsolationLevel } from '../../../emulator/fetch.js';
import type { RecordRange } from '../../../emulator/records.js';
import { KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, isProtocolError } from '../../../protocol/errors.js';
import { toKafkaMessages } from '../convert.js';
import { decompressFetched } from '../codecs.js';
import { UNRECOVERABLE } from '../retry.js';
import { CONSUMER_EVENTS, type Emit } from './events.js';
import type { ConsumerGroup } from './group.js';
import type { Lifecycle } from './lifecycle.js';
import type { ConsumerLog } from '../logger.js';
import { key, type CommitRequest, type OffsetManager } from './offsets.js';

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
  /** A crash kafkajs restarts from only when the error's root cause is retriable: the consumer leaves its group and stops; run() resolves. */
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
export function rootCause(e: unknown): { retriable?: boolean } {
  let error = e as { cause?: unknown; retriable?: boolean };
  for (let depth = 0; depth < 16 && error.cause !== undefined && error.cause !== null; depth++) error = error.cause as { cause?: unknown; retriable?: boolean };
  return error;
}

/** eachBatch's `commitOffsetsIfNecessary(offsets)` argument as a commit. */
function commitRequestOf({ topics }: OffsetsByTopicPartition): CommitRequest {
  const request: CommitRequest = new Map();
  for (const { topic, partitions } of topics ?? []) {
    const list = request.get(topic) ?? [];
    for (const p of partitions) list.push({ partition: p.partition, offset: Number(p.offset), metadata: (p as { metadata?: string | null }).metadata ?? null });
    request.set(topic, list);
  }
  return request;
}

/** A consumer's settings for its fetch loop, kafkajs's defaults already applied. */
export interface RunnerOptions {
  readonly groupId: string;
  readonly heartbeatInterval: number;
  readonly maxBytesPerPartition: number;
  /** A fetch's limit over all its partitions (Kafka still returns the first batch when it is bigger). */
  readonly maxBytes: number;
  /** A fetch with fewer bytes waits up to maxWaitTimeInMs for more. */
  readonly minBytes: number;
  readonly maxWaitTimeInMs: number;
  /** kafkajs's `readUncommitted` (false by default: read_committed). */
  readonly isolationLevel: IsolationLevel;
  readonly retry: Required<Pick<RetryOptions, 'initialRetryTime' | 'maxRetryTime' | 'retries'>> & Pick<RetryOptions, 'restartOnFailure'>;
}

const BAILED = new Set(['KafkaJSNotImplemented', 'KafkaJSNoBrokerAvailableError']);

/** kafkajs's constructors take options its typings leave out. */
const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: unknown, options: { cause: unknown }) => Error;
const RetriesExceeded = KafkaJSNumberOfRetriesExceeded as unknown as new (e: unknown, options: { retryCount: number; retryTime: number }) => Error;

/**
 * What kafkajs's consumer crashes with, as its retrier wraps the error of the last attempt: the
 * retries ran out (KafkaJSNumberOfRetriesExceeded, the error as its cause), or the error is not
 * retriable (KafkaJSNonRetriableError with the error's own cause, else the error, as its cause).
 */
export function crashError(e: unknown, retriesSpent?: { retryCount: number; retryTime: number }): Error {
  // kafkajs's runner bails out with these as they are, unwrapped.
  if (e instanceof Error && BAILED.has(e.name)) return e;
  if (retriesSpent !== undefined) return new RetriesExceeded(e, retriesSpent);
  return new NonRetriable(e, { cause: (e as { cause?: unknown } | null)?.cause ?? e });
}

/** Whether kafkajs restarts a consumer that crashed with `error` (before asking `restartOnFailure`). */
export function isRestartable(error: Error): boolean {
  return error.name === 'KafkaJSNumberOfRetriesExceeded' || rootCause(error).retriable === true;
}

/** The collaborators of a {@link Runner}. */
export interface RunnerDeps {
  readonly group: ConsumerGroup;
  readonly offsets: OffsetManager;
  readonly lifecycle: Lifecycle;
  /** The current run's handlers and settings. */
  readonly runConfig: () => ConsumerRunConfig;
  readonly emit: Emit;
  /** kafkajs's log lines for what the loop goes through. */
  readonly log: ConsumerLog;
}

/**
 * One partition's part of a fetch: the ranges the application gets, and the offsets of the first
 * and last record fetched, markers and (read_committed) aborted records included, as kafkajs's
 * batch reports them. No ranges: everything fetched was filtered out.
 */
type FetchedBatch = { topic: string; partition: number; highWatermark: number; ranges: readonly RecordRange[]; rawFirst: number; rawLast: number };

/** One consumer's fetch loop. */
export class Runner {
  private loop: Promise<void> | undefined;
  /** Which loop is current: a loop whose number is no longer this one ends (a run() from a CRASH listener starts a new loop). */
  private loopNumber = 0;
  /** kafkajs's `runner.running`: the current loop has joined once and has not crashed or been stopped since. */
  private started = false;
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
   * kafkajs's `runner.running`: true from the first join of a run until it stops or crashes (and
   * again after a restart's join). Until then `commitOffsets` commits nothing and resolves, as kafkajs's does.
   */
  get running(): boolean {
    return this.started;
  }

  /**
   * Starts the loop of a consumer that just moved to `running`; `joined` is called once run()
   * may resolve (the first join, or a crash). The loop never rejects.
   */
  start(joined: () => void): Promise<void> {
    this.deps.group.rejoin();
    this.started = false;
    this.loop = this.consume(joined, ++this.loopNumber);
    return this.loop;
  }

  /** Ends the loop (after the batch in hand), commits what was processed, and leaves the group. */
  async stop(): Promise<void> {
    const { lifecycle, group, offsets } = this.deps;
    const stopping = lifecycle.is('running');
    this.started = false;
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
  private async consume(joined: () => void, loopNumber: number): Promise<void> {
    const { group, offsets, lifecycle, emit, log } = this.deps;
    const { retry, heartbeatInterval, groupId } = this.options;
    const current = () => lifecycle.is('running') && this.loopNumber === loopNumber;
    let backoff = retry.initialRetryTime;
    let processingFailures = 0;
    let joinFailures = 0;
    while (current()) {
      try {
        if (!group.joined) {
          await group.joinAndSync();
          joinFailures = 0;
          if (!current()) break;
          this.started = true;
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
        if (!current()) break;
        const recovery = recoveryFor(e);
        switch (recovery.kind) {
          case 'rebalance':
            // kafkajs logs it from its fetch loop only; a join that meets a rebalance retries silently.
            if (group.joined) log.rebalancing(group.memberId, e);
            emit(CONSUMER_EVENTS.REBALANCING, { groupId, memberId: group.memberId });
            await offsets.autoCommit().catch(() => undefined);
            group.rejoin();
            continue;
          case 'rejoin-as-new-member':
            if (group.joined) log.unknownMember(group.memberId, e);
            group.rejoin({ asNewMember: true });
            continue;
          case 'back-off':
            if (recovery.rejoin) group.rejoin();
            if (!group.joined && ++joinFailures > retry.retries) {
              // As kafkajs: the join's retries are spent, so the consumer crashes (and restarts); run() resolves.
              const error = crashError(e, { retryCount: joinFailures - 1, retryTime: backoff });
              joinFailures = 0;
              if (!(await this.crash(error, joined, loopNumber))) break;
              backoff = retry.initialRetryTime;
              continue;
            }
            // Between failed fetches the member still heartbeats, so it never waits longer than that.
            await this.sleep(!group.joined ? backoff : Math.min(backoff, heartbeatInterval));
            backoff = Math.min(backoff * 2, retry.maxRetryTime);
            continue;
          case 'retry-batch': {
            if (recovery.restartNow) processingFailures = retry.retries;
            processingFailures++;
            if (processingFailures <= retry.retries) {
              await this.sleep(backoff);
              backoff = Math.min(backoff * 2, retry.maxRetryTime);
              continue;
            }
            const error = recovery.restartNow ? crashError(e) : crashError(e, { retryCount: processingFailures - 1, retryTime: backoff });
            processingFailures = 0;
            if (!(await this.crash(error, joined, loopNumber))) break;
            backoff = retry.initialRetryTime;
            continue;
          }
          case 'crash':
            await this.crash(crashError(e), joined, loopNumber);
            break;
        }
        if (recovery.kind === 'crash') break;
      }
    }
    if (lifecycle.is('stopping')) log.notRunning(group.memberId);
  }

  /**
   * kafkajs's crash handler: the consumer stops (it leaves its group, STOP and DISCONNECT are
   * emitted), `retry.restartOnFailure` is asked when the error is one kafkajs may restart from
   * (a rejecting callback counts as yes), CRASH reports `{ error, groupId, restart }`, and run()
   * resolves. With a restart the loop joins again after the retry time; without one the consumer
   * is left `crashed` before CRASH is emitted, so a listener may run() it again (a new loop; this
   * one ends). Returns whether this loop goes on.
   */
  private async crash(error: Error, joined: () => void, loopNumber: number): Promise<boolean> {
    const { lifecycle, group, emit, offsets } = this.deps;
    const { groupId, retry } = this.options;
    this.started = false;
    group.leave();
    offsets.forget();
    emit(CONSUMER_EVENTS.STOP, null);
    emit(CONSUMER_EVENTS.DISCONNECT, null);
    let restart = isRestartable(error);
    if (restart && retry.restartOnFailure !== undefined) {
      const ask = retry.restartOnFailure;
      restart = await Promise.resolve()
        .then(() => ask(error))
        .then(
          // kafkajs takes the answer's truthiness, and a rejecting callback as yes.
          (answer) => Boolean(answer),
          () => true,
        );
    }
    const stillCurrent = lifecycle.is('running') && this.loopNumber === loopNumber;
    if (stillCurrent && !restart) lifecycle.transitionTo('crashed', error);
    emit(CONSUMER_EVENTS.CRASH, { error, groupId, restart });
    joined();
    if (!stillCurrent || !restart) return false;
    // kafkajs restarts after the error's retry time (the backoff its retrier had reached), else the initial one.
    await this.sleep((error as { retryTime?: number }).retryTime ?? retry.initialRetryTime);
    const goesOn = lifecycle.is('running') && this.loopNumber === loopNumber;
    if (goesOn) this.deps.log.starting();
    return goesOn;
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
    let fetchFailure: unknown;
    if (active.some(({ topic, partition }) => offsets.position(topic, partition) === undefined)) {
      try {
        offsets.initializePositions();
      } catch (e) {
        if ((e as { retriable?: boolean }).retriable === false) throw e;
        fetchFailure = e;
      }
    }
    let read = this.read(active, fetchFailure);
    // Kafka's delayed fetch: fewer than minBytes wait up to maxWaitTimeInMs for more data (an error answers at once).
    if (read.failure === undefined && read.bytes < this.options.minBytes && lifecycle.is('running')) {
      const deadline = this.cluster.now() + this.options.maxWaitTimeInMs;
      for (let left = this.options.maxWaitTimeInMs; left > 0 && lifecycle.is('running'); left = deadline - this.cluster.now()) {
        await lifecycle.interruptible(this.cluster.awaitData(read.watched, left, this.options.isolationLevel));
        if (!lifecycle.is('running')) break;
        read = this.read(active, fetchFailure);
        if (read.failure !== undefined || read.bytes >= this.options.minBytes) break;
      }
    }
    const { batches } = read;
    emit(CONSUMER_EVENTS.FETCH, { numberOfBatches: batches.length, duration: 0, nodeId: 0 });
    if (batches.length === 0) {
      // As kafkajs, a failed fetch goes to the retrier, which backs off before fetching again. Waiting
      // for data instead would return at once (the data is there, only unreachable) and spin without
      // ever letting a timer fire.
      if (read.failure !== undefined) throw read.failure;
      return;
    }
    for (const b of batches) if (b.ranges.length > 0) await decompressFetched(this.cluster, b.topic, b.partition, b.ranges);
    this.inFlight = true;
    try {
      const concurrency = Math.max(1, this.deps.runConfig().partitionsConsumedConcurrently ?? 1);
      const queue = [...batches];
      const worker = async () => {
        for (let next = queue.shift(); next !== undefined && lifecycle.is('running') && group.joined; next = queue.shift()) await this.processBatch(next);
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
      // kafkajs commits after a batch that reached the application; one filtered out only commits if necessary.
      if (batches.some((b) => b.ranges.length > 0)) await offsets.autoCommit();
    } finally {
      this.inFlight = false;
    }
  }

  /**
   * One Fetch over the active partitions, in order: each up to maxBytesPerPartition, all of them
   * up to maxBytes, and (as Kafka) the first partition with data gets its first batch even when
   * that is bigger than either limit; a later partition gets only whole batches that fit what is
   * left. `watched` is where a delayed fetch waits for more data: each partition's high watermark.
   */
  private read(
    active: readonly { topic: string; partition: number }[],
    initialFailure: unknown,
  ): { batches: FetchedBatch[]; bytes: number; failure: unknown; watched: { topic: string; partition: number; offset: number }[] } {
    const { offsets } = this.deps;
    const { maxBytesPerPartition, maxBytes } = this.options;
    const batches: FetchedBatch[] = [];
    const watched: { topic: string; partition: number; offset: number }[] = [];
    let failure = initialFailure;
    let bytes = 0;
    for (const { topic, partition } of active) {
      const offset = offsets.position(topic, partition);
      // As kafkajs drops what a fetch brings for a partition paused or sought meanwhile (during a delayed fetch).
      if (offset === undefined || this.deps.group.isPaused(key(topic, partition)) || offsets.hasSeek(key(topic, partition))) continue;
      try {
        // The records are copied out when their batch is processed, so one partition's messages are alive at a time.
        const { isolationLevel } = this.options;
        const result = this.cluster.fetchRanges({ topic, partition, offset, maxBytes: Math.max(1, Math.min(maxBytesPerPartition, maxBytes - bytes)), isolationLevel });
        // A read_committed reader waits for the last stable offset to move, as Kafka's DelayedFetch.
        watched.push({ topic, partition, offset: Math.max(offset, isolationLevel === 'read_committed' ? result.lastStableOffset : result.highWatermark) });
        let ranges = result.ranges;
        if (bytes > 0) {
          // Only the response's first batch may exceed the limits.
          let fit = 0;
          let size = 0;
          while (fit < ranges.length && size + ranges[fit]!.batch.sizeInBytes <= Math.min(maxBytesPerPartition, maxBytes - bytes))
            size += ranges[fit++]!.batch.sizeInBytes;
          if (fit < ranges.length) ranges = ranges.slice(0, fit);
        }
        for (const r of ranges) bytes += r.batch.sizeInBytes;
        // As kafkajs's batch: transaction markers (and, read_committed, aborted records) never reach the application;
        // a fetch that held only those moves the position past them.
        if (ranges.length > 0) {
          const visible = visibleRanges({ ranges, abortedTransactions: result.abortedTransactions });
          const rawFirst = ranges[0]!.batch.baseOffset + ranges[0]!.from;
          const rawLast = ranges[ranges.length - 1]!.batch.baseOffset + ranges[ranges.length - 1]!.to - 1;
          batches.push({ topic, partition, highWatermark: result.highWatermark, ranges: visible, rawFirst, rawLast });
        }
      } catch (e) {
        if (isProtocolError(e, 'OFFSET_OUT_OF_RANGE')) {
          this.deps.log.offsetOutOfRange(topic, partition, this.deps.group.memberId);
          offsets.resetPosition(topic, partition);
          continue;
        }
        // The partition's leader is moving or unreachable: the other partitions' batches are still processed.
        if ((e as { retriable?: boolean }).retriable !== false) {
          failure ??= e;
          continue;
        }
        throw e;
      }
    }
    return { batches, bytes, failure, watched };
  }

  private async processBatch(b: FetchedBatch): Promise<void> {
    const { group, offsets, lifecycle, emit } = this.deps;
    const { topic, partition } = b;
    const k = key(topic, partition);
    const messages = toKafkaMessages(b.ranges);
    // As kafkajs's batch: the first and last offsets fetched, a trailing marker's included.
    const first = b.rawFirst;
    const last = b.rawLast;
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
    if (messages.length === 0) {
      // As kafkajs (#1256): a fetch of only transaction markers or aborted records still moves the
      // consumer past them, and commits if the interval or threshold says so.
      offsets.resolve(k, last);
      await offsets.autoCommitIfNecessary();
      if (!lifecycle.is('dead')) emit(CONSUMER_EVENTS.END_BATCH_PROCESS, { ...batchInfo, duration: this.cluster.now() - started });
      group.heartbeatIfDue();
      return;
    }
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
        await this.callEachBatch({ topic, partition, offset: String(first) }, eachBatch, {
          batch,
          resolveOffset: (offset: string) => offsets.resolve(k, Number(offset)),
          heartbeat,
          pause,
          // As kafkajs: the offsets given are committed as they are; without, the interval and threshold decide, even with autoCommit off.
          commitOffsetsIfNecessary: async (given?: OffsetsByTopicPartition) =>
            given !== undefined && given !== null ? offsets.commit(commitRequestOf(given)) : offsets.commitIfNecessary(),
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
            if (!(e instanceof KafkaJSError)) this.deps.log.handlerFailed('eachMessage', { topic, partition, offset: message.offset }, e);
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

  /** Calls eachBatch; what it throws, other than a kafkajs error, is logged as kafkajs's runner logs it. */
  private async callEachBatch<P>(
    where: { topic: string; partition: number; offset: string },
    eachBatch: (payload: P) => Promise<void>,
    payload: P,
  ): Promise<void> {
    try {
      await eachBatch(payload);
    } catch (e) {
      if (!(e instanceof KafkaJSError)) this.deps.log.handlerFailed('eachBatch', where, e);
      throw e;
    }
  }

  private sleep(ms: number): Promise<void> {
    let id = 0;
    const slept = new Promise<void>((resolve) => (id = this.cluster.clock.schedule(ms, resolve)));
    return this.deps.lifecycle.interruptible(slept).finally(() => this.cluster.clock.cancel(id));
  }
}
