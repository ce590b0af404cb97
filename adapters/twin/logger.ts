/**
 * kafkajs's logging (src/loggers): `logLevel`, `logCreator`, the `KAFKAJS_LOG_LEVEL` override and
 * the `Logger` that `kafka.logger()`, `producer.logger()`, `consumer.logger()` and
 * `admin.logger()` return, behaving as kafkajs 2.2.4's do, with one difference: an entry's
 * `timestamp` is the cluster clock's, so a virtual-clock run logs the same lines every time.
 *
 * The log lines the twin's clients write for the happenings kafkajs logs (a group join, a
 * rebalance, a crash and its restart, a failed send...) are worded here, once, in
 * {@link ConsumerLog}, {@link ProducerLog} and {@link AdminLog}: a client calls the happening by
 * name, and the message, level, namespace and fields come out as kafkajs writes them.
 */
import { createRequire } from 'node:module';
import { UNRECOVERABLE } from './retry.js';
import type { logCreator as LogCreator, Logger, LogEntry, logLevel as LogLevel } from 'kafkajs';

export type { Logger, LogEntry, logCreator as LogCreator } from 'kafkajs';

const require = createRequire(import.meta.url);

/**
 * kafkajs's `logLevel` enum itself (NOTHING 0, ERROR 1, WARN 2, INFO 4, DEBUG 5), from kafkajs's
 * own module (not its index, which loads the whole network client).
 */
export const logLevel: typeof LogLevel = (require('kafkajs/src/loggers/index.js') as { LEVELS: typeof LogLevel }).LEVELS;

/**
 * kafkajs's default `logCreator` (its PrettyConsoleLogger): one JSON line per entry,
 * `{"level":"INFO","timestamp":...,"logger":"kafkajs","message":"[Namespace] ...",...}`, on
 * console.info / error / warn / log by level. kafkajs's own function, so the format is exactly its.
 */
export const consoleLogCreator: LogCreator = require('kafkajs/src/loggers/console.js') as LogCreator;

/** The logging part of kafkajs's `KafkaConfig`. */
export interface LoggingConfig {
  /**
   * The most detailed level logged; `KAFKAJS_LOG_LEVEL` (a level's name, any case) overrides it, as in kafkajs.
   * @defaultValue logLevel.INFO
   */
  logLevel?: LogLevel;
  /**
   * Makes the function that writes each entry, as kafkajs's `logCreator` (called once, with the level).
   * @defaultValue kafkajs's console logger ({@link consoleLogCreator})
   */
  logCreator?: LogCreator;
}

const LEVEL_NAMES: Readonly<Record<string, LogLevel>> = logLevel as unknown as Record<string, LogLevel>;

/** kafkajs's rule: a known level name in `KAFKAJS_LOG_LEVEL` wins over the level given. */
function withEnvOverride(level: LogLevel | null): LogLevel | null {
  const env = typeof process === 'undefined' ? undefined : process.env.KAFKAJS_LOG_LEVEL;
  const named = LEVEL_NAMES[(env ?? '').toUpperCase()];
  return named ?? level;
}

/**
 * A root logger as kafkajs's `createLogger` makes one. As in kafkajs, `namespace(name, level)`
 * gives a logger of its own level (or, without one, the root's), and `setLogLevel` on any logger
 * of the tree changes the root's level, which every logger without a level of its own follows.
 * `now` stamps each entry (cluster time).
 * @throws TypeError when `logCreator` is not a function or does not return one.
 */
export function createLogger({ logLevel: level = logLevel.INFO, logCreator = consoleLogCreator }: LoggingConfig, now: () => number): Logger {
  if (typeof logCreator !== 'function') throw new TypeError(`logCreator must be a function (logLevel) => (entry) => void, got ${typeof logCreator}`);
  let rootLevel = withEnvOverride(level) ?? logLevel.INFO;
  const write = logCreator(rootLevel);
  if (typeof write !== 'function') throw new TypeError(`logCreator(logLevel) must return a function (entry) => void, got ${typeof write}`);

  const loggerOf = (namespace: string | undefined, ownLevel: LogLevel | null): Logger => {
    const current = () => ownLevel ?? rootLevel;
    const at =
      (label: string, entryLevel: LogLevel) =>
      (message: string, extra: object = {}): void => {
        if (entryLevel > current()) return;
        const log = Object.assign({ timestamp: new Date(now()).toISOString(), logger: 'kafkajs', message }, extra);
        write({ namespace, level: entryLevel, label, log } as LogEntry);
      };
    return {
      info: at('INFO', logLevel.INFO),
      error: at('ERROR', logLevel.ERROR),
      warn: at('WARN', logLevel.WARN),
      debug: at('DEBUG', logLevel.DEBUG),
      // As kafkajs: a namespace is never nested (`a.namespace('b')` logs as `[b]`).
      namespace: (name: string, nameLevel?: LogLevel) => loggerOf(name, withEnvOverride(nameLevel ?? null)),
      setLogLevel: (newLevel: LogLevel) => {
        rootLevel = newLevel;
      },
    };
  };
  return loggerOf(undefined, null);
}

const defaults = new WeakMap<object, Logger>();

/**
 * The root logger of a client made without a `Kafka` (directly from its class): kafkajs's
 * defaults (INFO, to the console), one per cluster.
 */
export function loggerFor(cluster: { now(): number }): Logger {
  let logger = defaults.get(cluster);
  if (logger === undefined) defaults.set(cluster, (logger = createLogger({}, () => cluster.now())));
  return logger;
}

/** An error's name and message as kafkajs's log lines print them; anything thrown, not only Errors. */
function describe(e: unknown): { name: string; message: string; stack: string | undefined } {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: typeof e, message: String(e), stack: undefined };
}

/** A client's instrumentation listener failed: kafkajs logs it on the client's namespace and goes on. */
export function listenerFailed(logger: Logger, eventName: string, error: unknown): void {
  const { message, stack } = describe(error);
  logger.error(`Failed to execute listener: ${message}`, { eventName, stack });
}

/** kafkajs's group join payload, in its order (the log line prints the fields in this order). */
export interface GroupJoin {
  readonly groupId: string;
  readonly memberId: string;
  readonly leaderId: string;
  readonly isLeader: boolean;
  readonly memberAssignment: Readonly<Record<string, number[]>>;
  readonly groupProtocol: string;
  readonly duration: number;
}

let partitionerWarned = false;

/**
 * What kafkajs logs from its `Kafka` itself: the warning about its v2 default partitioner, once per
 * process (as kafkajs's `once`), unless `KAFKAJS_NO_PARTITIONER_WARNING` is set.
 */
export function warnOfDefaultPartitioner(root: Logger): void {
  if (partitionerWarned) return;
  partitionerWarned = true;
  if (typeof process !== 'undefined' && process.env.KAFKAJS_NO_PARTITIONER_WARNING != null) return;
  root.warn(
    'KafkaJS v2.0.0 switched default partitioner. To retain the same partitioning behavior as in previous versions, create the producer with the option "createPartitioner: Partitioners.LegacyPartitioner". See the migration guide at https://kafka.js.org/docs/migration-guide-v2.0.0#producer-new-default-partitioner for details. Silence this warning by setting the environment variable "KAFKAJS_NO_PARTITIONER_WARNING=1"',
  );
}

/**
 * A consumer's log lines, as kafkajs's consumer/index.js (namespace `Consumer`), consumerGroup.js
 * (`ConsumerGroup`) and runner.js (`Runner`) write them.
 */
export class ConsumerLog {
  /** What `consumer.logger()` returns: the `Consumer` namespace. */
  readonly consumer: Logger;
  private readonly group: Logger;
  private readonly runner: Logger;

  constructor(
    root: Logger,
    private readonly groupId: string,
  ) {
    this.consumer = root.namespace('Consumer');
    this.group = root.namespace('ConsumerGroup');
    this.runner = root.namespace('Runner');
  }

  /** run() started the consumer, or a restart after a crash did. */
  starting(): void {
    this.consumer.info('Starting', { groupId: this.groupId });
  }

  /** run() on a running consumer. */
  alreadyRunning(): void {
    this.consumer.warn('consumer#run was called, but the consumer is already running', { groupId: this.groupId });
  }

  /** stop() (and so disconnect(), and a crash) finished; kafkajs logs it even when nothing ran. */
  stopped(): void {
    this.consumer.info('Stopped', { groupId: this.groupId });
  }

  /** The fetch loop ended because the consumer stopped. */
  notRunning(memberId: string): void {
    this.runner.info('consumer not running, exiting', { groupId: this.groupId, memberId });
  }

  /** The member joined a generation and has its assignment (the same payload as GROUP_JOIN). */
  joined(join: GroupJoin): void {
    const { groupId, memberId, leaderId, isLeader, memberAssignment, groupProtocol, duration } = join;
    this.group.info('Consumer has joined the group', { groupId, memberId, leaderId, isLeader, memberAssignment, groupProtocol, duration });
  }

  /** The assignment names topics the member did not subscribe to (the payload of RECEIVED_UNSUBSCRIBED_TOPICS). */
  unsubscribedTopics(payload: object): void {
    this.group.warn('Consumer group received unsubscribed topics', {
      ...payload,
      helpUrl: 'https://kafka.js.org/docs/faq#why-am-i-receiving-messages-for-topics-i-m-not-subscribed-to',
    });
  }

  /** A fetch round failed because the group is rebalancing: the member rejoins. */
  rebalancing(memberId: string, error: unknown): void {
    this.runner.warn('The group is rebalancing, re-joining', { groupId: this.groupId, memberId, error: describe(error).message });
  }

  /** The coordinator no longer knows the member (its session expired): it rejoins as a new member. */
  unknownMember(memberId: string, error: unknown): void {
    this.runner.error('The coordinator is not aware of this member, re-joining the group', { groupId: this.groupId, memberId, error: describe(error).message });
  }

  /** eachMessage or eachBatch threw something other than a kafkajs error. */
  handlerFailed(handler: 'eachMessage' | 'eachBatch', where: { topic: string; partition: number; offset: string }, error: unknown): void {
    this.runner.error(`Error when calling ${handler}`, { ...where, stack: describe(error).stack, error });
  }

  /** A fetch found its offset out of range: the position resets to `auto.offset.reset`'s. */
  offsetOutOfRange(topic: string, partition: number, memberId: string): void {
    this.group.error('Offset out of range, resetting to default offset', { topic, partition, groupId: this.groupId, memberId });
  }

  /** pause() or resume() of a running consumer. */
  pausing(topicPartitions: readonly object[], resume: boolean): void {
    this.group.info(`${resume ? 'Resuming' : 'Pausing'} fetching from ${topicPartitions.length} topics`, { topicPartitions });
  }

  /**
   * The consumer crashed on `error` after `retries` retries. As kafkajs's crash handler: the
   * crash, then the stop it does, then (when it restarts) the wait before it starts again. kafkajs
   * crashes on what its retrier rejects with, so the line names the retrier's wrapper, with the
   * error's message: KafkaJSNumberOfRetriesExceeded once a retriable error's retries are spent,
   * KafkaJSNonRetriableError for any other.
   */
  crashed(error: unknown, restart: boolean, retryTime: number, retries: number): void {
    const { name, message, stack } = describe(error);
    // The runner hands over kafkajs's retrier wrapper (KafkaJSNumberOfRetriesExceeded with its
    // retryCount and retryTime, or KafkaJSNonRetriableError); a bare error is named as kafkajs would wrap it.
    const wrapped = error as { retryCount?: number; retryTime?: number } | null;
    const isWrapper = name === 'KafkaJSNumberOfRetriesExceeded' || name === 'KafkaJSNonRetriableError';
    const retriable = isWrapper ? name === 'KafkaJSNumberOfRetriesExceeded' : (error as { retriable?: boolean } | null)?.retriable !== false && !UNRECOVERABLE.has(name);
    const wrapper = isWrapper ? name : retriable ? 'KafkaJSNumberOfRetriesExceeded' : 'KafkaJSNonRetriableError';
    const retryCount = isWrapper ? wrapped?.retryCount : retriable ? retries : undefined;
    this.consumer.error(`Crash: ${wrapper}: ${message}`, { groupId: this.groupId, retryCount, stack });
    this.stopped();
    const wait = wrapped?.retryTime ?? retryTime;
    if (restart) this.consumer.error(`Restarting the consumer in ${wait}ms`, { retryCount, retryTime: wait, groupId: this.groupId });
  }

}

/** A producer's log lines, as kafkajs's producer (namespace `Producer`) writes them. */
export class ProducerLog {
  /** What `producer.logger()` returns: the `Producer` namespace. */
  readonly producer: Logger;

  constructor(root: Logger) {
    this.producer = root.namespace('Producer');
  }

  /**
   * A send attempt failed; kafkajs logs every failed attempt (retried or not) at ERROR, and
   * those it retries after refreshing metadata as "Failed to send messages".
   */
  sendFailed(error: unknown, retryCount: number, retryTime: number): void {
    const { name, message } = describe(error);
    const retriable = (error as { retriable?: boolean } | null)?.retriable === true;
    const refreshes = /^KafkaJS(MetadataNotLoaded|ConnectionError|ConnectionClosedError)$/.test(name) || (name === 'KafkaJSProtocolError' && retriable);
    this.producer.error(refreshes ? `Failed to send messages: ${message}` : message, { retryCount, retryTime });
  }
}

/** An admin client's log lines, as kafkajs's admin (namespace `Admin`) writes them. */
export class AdminLog {
  /** What `admin.logger()` returns: the `Admin` namespace. */
  readonly admin: Logger;

  constructor(root: Logger) {
    this.admin = root.namespace('Admin');
  }
}
