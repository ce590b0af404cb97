/**
 * kafkajs 2.2.4's eosManager over the twin: the producer id and epoch from InitProducerId, a
 * sequence number per partition, one request at a time per broker, and for a transactional
 * producer the transaction state machine (UNINITIALIZED, READY, TRANSACTING, COMMITTING,
 * ABORTING) with its guards, AddPartitionsToTxn before a partition's first write, AddOffsetsToTxn
 * and TxnOffsetCommit for sendOffsets, and EndTxn. The same requests, retries and errors as
 * kafkajs's, the Kafka side answered by the engine through the TwinCluster.
 */
import assert from 'node:assert';
import type { RetryOptions } from 'kafkajs';
import type { TwinCluster as Cluster } from './cluster.js';
import { KafkaJSNonRetriableError } from '../../protocol/errors.js';
import { kafkajsErrors } from '../../protocol/kafkajs.js';
import { Bail, withRetries } from './retry.js';
import type { Logger } from './logger.js';

/** kafkajs's transaction states. */
export const TRANSACTION_STATES = {
  UNINITIALIZED: 'UNINITIALIZED',
  READY: 'READY',
  TRANSACTING: 'TRANSACTING',
  COMMITTING: 'COMMITTING',
  ABORTING: 'ABORTING',
} as const;
export type TransactionState = (typeof TRANSACTION_STATES)[keyof typeof TRANSACTION_STATES];
const S = TRANSACTION_STATES;

const VALID_TRANSITIONS: Readonly<Record<TransactionState, readonly TransactionState[]>> = {
  [S.UNINITIALIZED]: [S.READY],
  [S.READY]: [S.READY, S.TRANSACTING],
  [S.TRANSACTING]: [S.COMMITTING, S.ABORTING],
  [S.COMMITTING]: [S.READY],
  [S.ABORTING]: [S.READY],
};

/** The states each guarded method may be called in (kafkajs's `createGuarded` table). */
const LEGAL_STATES = {
  initProducerId: [S.UNINITIALIZED, S.READY],
  beginTransaction: [S.READY],
  addPartitionsToTransaction: [S.TRANSACTING],
  sendOffsets: [S.TRANSACTING],
  commit: [S.TRANSACTING],
  abort: [S.TRANSACTING],
} as const satisfies Record<string, readonly TransactionState[]>;

/**
 * kafkajs's lists, by error type. kafkajs names codes 14-16 GROUP_LOAD_IN_PROGRESS,
 * GROUP_COORDINATOR_NOT_AVAILABLE and NOT_COORDINATOR_FOR_GROUP, so the Kafka names in its two
 * TxnOffsetCommit lists never match an error it raises; kept as kafkajs has them, for the same outcome.
 */
const INIT_PRODUCER_RETRIABLE = ['NOT_COORDINATOR_FOR_GROUP', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'GROUP_LOAD_IN_PROGRESS', 'CONCURRENT_TRANSACTIONS'];
const COMMIT_RETRIABLE = ['UNKNOWN_TOPIC_OR_PARTITION', 'COORDINATOR_LOAD_IN_PROGRESS'];
const COMMIT_STALE_COORDINATOR = ['COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR'];

const NO_PRODUCER_ID = -1;
const INT32_MAX = 2147483647;

/** kafkajs's error when no broker could name a coordinator; its class is missing from kafkajs's typings. */
const { KafkaJSGroupCoordinatorNotFound } = kafkajsErrors as unknown as { KafkaJSGroupCoordinatorNotFound: new (message: string) => Error };

/** A partition's records as one request sends them. */
export interface TopicData {
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number }[];
}

/** sendOffsets' argument: kafkajs's `Offsets & { consumerGroupId }`. */
export interface TxnOffsets {
  readonly consumerGroupId: string;
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly { readonly partition: number; readonly offset: string; readonly metadata?: string | null }[] }[];
}

export interface EosOptions {
  readonly transactional: boolean;
  readonly transactionalId?: string | undefined;
  /** @defaultValue 60000 */
  readonly transactionTimeout?: number | undefined;
  /** The client's retry policy (kafkajs's `cluster.retry`): what the eosManager's own retrier uses. */
  readonly retry: RetryOptions | undefined;
  readonly logger: Logger;
}

/** The request version kafkajs 2.2.4 sends of InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn and EndTxn. */
const KAFKAJS_TXN_VERSION = 1;

const type = (e: unknown): string | undefined => (e as { type?: string } | null)?.type;

/** kafkajs's eosManager for one producer: idempotent (`transactional` false) or transactional. */
export class EosManager {
  private state: TransactionState = S.UNINITIALIZED;
  private producerId = NO_PRODUCER_ID;
  private producerEpoch = 0;
  private sequences = new Map<string, number>();
  private locks = new Map<number, Promise<unknown>>();
  /** Partitions already in the transaction, by topic. */
  private transactionTopicPartitions = new Map<string, Set<number>>();
  private hasOffsetsAddedToTransaction = false;
  private readonly transactional: boolean;
  private readonly transactionalId: string | undefined;
  private readonly transactionTimeout: number;
  private readonly retry: RetryOptions | undefined;
  private readonly logger: Logger;

  constructor(
    private readonly cluster: Cluster,
    { transactional, transactionalId, transactionTimeout = 60000, retry, logger }: EosOptions,
  ) {
    if (transactional && !transactionalId) throw new KafkaJSNonRetriableError('Cannot manage transactions without a transactionalId');
    this.transactional = transactional;
    this.transactionalId = transactionalId;
    this.transactionTimeout = transactionTimeout;
    this.retry = retry;
    this.logger = logger;
  }

  // ---------------------------------------------------------------- state machine

  /** The current state. */
  currentState(): TransactionState {
    return this.state;
  }

  private transitionTo(to: TransactionState): void {
    this.logger.debug(`Transaction state transition ${this.state} --> ${to}`);
    if (!VALID_TRANSITIONS[this.state].includes(to)) {
      throw new KafkaJSNonRetriableError(`Transaction state exception: Invalid transition ${this.state} --> ${to}`);
    }
    if (to === S.READY) {
      this.transactionTopicPartitions = new Map();
      this.hasOffsetsAddedToTransaction = false;
    }
    this.state = to;
  }

  /** kafkajs's guard: the method's error when it is called in a state not legal for it. */
  private guard(method: keyof typeof LEGAL_STATES): void {
    if (!(LEGAL_STATES[method] as readonly TransactionState[]).includes(this.state)) {
      throw new KafkaJSNonRetriableError(`Transaction state exception: Cannot call "${method}" in state "${this.state}"`);
    }
  }

  private transactionalGuard(): void {
    if (!this.transactional) throw new KafkaJSNonRetriableError('Method unavailable if non-transactional');
  }

  // ---------------------------------------------------------------- producer id and sequences

  getProducerId(): number {
    return this.producerId;
  }

  getProducerEpoch(): number {
    return this.producerEpoch;
  }

  getTransactionalId(): string | undefined {
    return this.transactionalId;
  }

  isInitialized(): boolean {
    return this.producerId !== NO_PRODUCER_ID;
  }

  isTransactional(): boolean {
    return this.transactional;
  }

  isInTransaction(): boolean {
    return this.state === S.TRANSACTING;
  }

  /**
   * InitProducerId, retried on kafkajs's list (CONCURRENT_TRANSACTIONS: a previous instance's
   * transaction is being aborted). A transactional producer asks its transaction coordinator
   * with its transactional id; an idempotent one any broker.
   */
  async initProducerId(): Promise<void> {
    this.guard('initProducerId');
    await withRetries(this.cluster, this.retry, async (retryCount, retryTime) => {
      try {
        const broker = this.transactional ? await this.findTransactionCoordinator() : undefined;
        const result = await this.cluster.initProducerId(
          this.transactional
            ? { transactionalId: this.transactionalId!, transactionTimeout: this.transactionTimeout, broker: broker!, version: KAFKAJS_TXN_VERSION }
            : { version: KAFKAJS_TXN_VERSION },
        );
        this.transitionTo(S.READY);
        this.producerId = result.producerId;
        this.producerEpoch = result.producerEpoch;
        this.sequences = new Map();
        this.locks = new Map();
        this.logger.debug('Initialized producer id & epoch', { producerId: this.producerId, producerEpoch: this.producerEpoch });
      } catch (e) {
        const t = type(e);
        if (t !== undefined && INIT_PRODUCER_RETRIABLE.includes(t)) {
          if (t === 'CONCURRENT_TRANSACTIONS') {
            this.logger.debug('There is an ongoing transaction on this transactionId, retrying', {
              error: (e as Error).message,
              stack: (e as Error).stack,
              transactionalId: this.transactionalId,
              retryCount,
              retryTime,
            });
          }
          throw e;
        }
        throw new Bail(e);
      }
    });
  }

  /** The next sequence of a partition: 0 until initialized. */
  getSequence(topic: string, partition: number): number {
    if (!this.isInitialized()) return 0;
    return this.sequences.get(`${topic}\u0000${partition}`) ?? 0;
  }

  /** Moves a partition's sequence by `increment` (negative: a failed request's batch given back); nothing until initialized. */
  updateSequence(topic: string, partition: number, increment: number): void {
    if (!this.isInitialized()) return;
    // As kafkajs: an int32 in the batch, rotated to 0 when it would pass the maximum.
    const next = this.getSequence(topic, partition) + increment;
    if (next >= INT32_MAX) this.logger.debug(`Sequence for ${topic} ${partition} exceeds max value (${next}). Rotating to 0.`);
    this.sequences.set(`${topic}\u0000${partition}`, next >= INT32_MAX ? 0 : next);
  }

  /** Runs `send` once every earlier request to `broker` has finished (kafkajs's broker lock), once initialized. */
  withBrokerLock<T>(broker: number, send: () => Promise<T>): Promise<T> {
    if (!this.isInitialized()) return send();
    const previous = this.locks.get(broker) ?? Promise.resolve();
    const run = previous.then(send, send);
    this.locks.set(
      broker,
      run.catch(() => undefined),
    );
    return run;
  }

  // ---------------------------------------------------------------- transactions

  /** Begins a transaction: READY → TRANSACTING. Throws (rather than rejects), as kafkajs's guard does for this one. */
  beginTransaction(): void {
    this.guard('beginTransaction');
    this.transactionalGuard();
    this.transitionTo(S.TRANSACTING);
  }

  /** AddPartitionsToTxn for the partitions not yet in the transaction, before records are sent to them. */
  async addPartitionsToTransaction(topicData: readonly TopicData[]): Promise<void> {
    this.guard('addPartitionsToTransaction');
    this.transactionalGuard();
    const topics: { topic: string; partitions: number[] }[] = [];
    for (const { topic, partitions } of topicData) {
      const known = this.transactionTopicPartitions.get(topic) ?? new Set<number>();
      this.transactionTopicPartitions.set(topic, known);
      const fresh = partitions.map((p) => p.partition).filter((p) => !known.has(p));
      if (fresh.length > 0) topics.push({ topic, partitions: fresh });
    }
    if (topics.length > 0) {
      const broker = await this.findTransactionCoordinator();
      this.cluster.addPartitionsToTxn({ ...this.txnFields(), topics, broker, version: KAFKAJS_TXN_VERSION });
    }
    for (const { topic, partitions } of topics) for (const p of partitions) this.transactionTopicPartitions.get(topic)!.add(p);
  }

  /** Commits: EndTxn when partitions or offsets were added, else straight back to READY. */
  async commit(): Promise<void> {
    this.guard('commit');
    this.transactionalGuard();
    await this.end(S.COMMITTING, true);
  }

  /** Aborts: EndTxn when partitions or offsets were added, else straight back to READY. */
  async abort(): Promise<void> {
    this.guard('abort');
    this.transactionalGuard();
    await this.end(S.ABORTING, false);
  }

  private async end(state: typeof S.COMMITTING | typeof S.ABORTING, committed: boolean): Promise<void> {
    this.transitionTo(state);
    if (!this.isOngoing()) {
      this.logger.debug('No partitions or offsets registered, not sending EndTxn');
      this.transitionTo(S.READY);
      return;
    }
    // As kafkajs: no retry, and a failure leaves the state where it is.
    const broker = await this.findTransactionCoordinator();
    this.cluster.endTxn({ ...this.txnFields(), committed, broker, version: KAFKAJS_TXN_VERSION });
    this.transitionTo(S.READY);
  }

  /**
   * AddOffsetsToTxn to the transaction coordinator, then TxnOffsetCommit to the group's
   * coordinator (retried on kafkajs's lists): the offsets are committed with the transaction.
   */
  async sendOffsets({ consumerGroupId, topics }: TxnOffsets): Promise<void> {
    this.guard('sendOffsets');
    assert(consumerGroupId, 'Missing consumerGroupId');
    assert(topics, 'Missing offset topics');
    const transactionCoordinator = await this.findTransactionCoordinator();
    this.cluster.addOffsetsToTxn({ ...this.txnFields(), groupId: consumerGroupId, broker: transactionCoordinator, version: KAFKAJS_TXN_VERSION });
    this.hasOffsetsAddedToTransaction = true;

    let groupCoordinator = await this.findGroupCoordinator(consumerGroupId);
    const request = {
      ...this.txnFields(),
      groupId: consumerGroupId,
      topics: topics.map(({ topic, partitions }) => ({
        topic,
        partitions: partitions.map(({ partition, offset, metadata }) => ({ partition, committedOffset: Number(offset), committedMetadata: metadata ?? null })),
      })),
    };
    await withRetries(this.cluster, this.retry, async (retryCount, retryTime) => {
      try {
        this.cluster.txnOffsetCommit({ ...request, broker: groupCoordinator });
      } catch (e) {
        const t = type(e);
        const extra = { error: (e as Error).message, stack: (e as Error).stack, transactionalId: this.transactionalId, retryCount, retryTime };
        if (t !== undefined && COMMIT_RETRIABLE.includes(t)) {
          this.logger.debug('Group coordinator is not ready yet, retrying', extra);
          throw e;
        }
        // kafkajs also refinds the coordinator after ECONNREFUSED: the twin's unreachable broker.
        if ((t !== undefined && COMMIT_STALE_COORDINATOR.includes(t)) || (e as Error).name === 'KafkaJSConnectionError') {
          this.logger.debug('Invalid group coordinator, finding new group coordinator and retrying', extra);
          groupCoordinator = await this.findGroupCoordinator(consumerGroupId);
          throw e;
        }
        throw new Bail(e);
      }
    });
  }

  private txnFields(): { transactionalId: string; producerId: number; producerEpoch: number } {
    return { transactionalId: this.transactionalId!, producerId: this.producerId, producerEpoch: this.producerEpoch };
  }

  /** A transaction is ongoing once partitions or offsets were added to it. */
  private isOngoing(): boolean {
    return this.hasOffsetsAddedToTransaction || [...this.transactionTopicPartitions.values()].some((s) => s.size > 0);
  }

  /** The transaction coordinator's node id (kafkajs asks FindCoordinator before every request to it). */
  private findTransactionCoordinator(): Promise<number> {
    return this.findCoordinator((broker) => this.cluster.findTransactionCoordinator(this.transactionalId!, broker).nodeId);
  }

  private findGroupCoordinator(groupId: string): Promise<number> {
    return this.findCoordinator((broker) => this.cluster.groups.findCoordinator(groupId, { broker }).nodeId);
  }

  /**
   * kafkajs's cluster.findGroupCoordinator: FindCoordinator asked of each known broker in turn,
   * retrying GROUP_COORDINATOR_NOT_AVAILABLE with each; any other failure moves on to the next
   * broker, and when none answers, KafkaJSGroupCoordinatorNotFound.
   */
  private async findCoordinator(ask: (broker: number) => number): Promise<number> {
    const brokers = this.cluster.brokers().filter((b) => b.status !== 'stopped');
    for (const { nodeId } of brokers) {
      try {
        return await withRetries(this.cluster, this.retry, async () => {
          try {
            return ask(nodeId);
          } catch (e) {
            if (type(e) === 'GROUP_COORDINATOR_NOT_AVAILABLE') throw e;
            throw new Bail(e);
          }
        });
      } catch {
        // kafkajs's broker pool tries the next broker.
      }
    }
    throw new KafkaJSGroupCoordinatorNotFound('Failed to find group coordinator');
  }
}
