/**
 * The twin's kafkajs-shaped producer: the same validation, partitioning, per-broker requests,
 * retries, idempotence, transactions and result shapes as kafkajs 2.2.4's, sending to the engine
 * instead of the network (sending in sender.ts, the eosManager in eos.ts).
 */
import type { ProducerBatch, ProducerConfig, ProducerRecord, RecordMetadata, RetryOptions, Transaction } from 'kafkajs';
import type { TwinCluster as Cluster } from './cluster.js';
import { KafkaJSNonRetriableError } from '../../protocol/errors.js';
import type { Producer } from '../../client/interface.js';
import { createDefaultPartitioner } from '../../client/partitioners.js';
import { Instrumentation } from './instrumentation.js';
import { listenerFailed, loggerFor, ProducerLog, type Logger } from './logger.js';
import { EosManager, type TxnOffsets } from './eos.js';
import { MessageSender, type ConnectionStatus } from './sender.js';
import { ClientOffsets } from './client-offsets.js';

/** kafkajs's producer event names. */
export const PRODUCER_EVENTS = {
  CONNECT: 'producer.connect',
  DISCONNECT: 'producer.disconnect',
  REQUEST: 'producer.network.request',
  REQUEST_TIMEOUT: 'producer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size',
} as const;

/** A kafkajs-shaped producer over the twin. */
export class TwinProducer implements Producer {
  readonly events = PRODUCER_EVENTS;
  private status: ConnectionStatus = 'disconnected';
  private readonly partition: ReturnType<NonNullable<ProducerConfig['createPartitioner']>>;
  private readonly instrumentation: Instrumentation;
  private readonly retry: RetryOptions;
  private readonly allowAutoTopicCreation: boolean;
  private readonly log: ProducerLog;
  /** Set while connected: keeps the process alive on the real clock, as kafkajs's sockets do. */
  private release: (() => void) | undefined;
  private readonly idempotent: boolean;
  private readonly transactionalId: string | undefined;
  private readonly transactionTimeout: number | undefined;
  /** The eosManager of `send` and `sendBatch`: initialized on connect when idempotent, else never (a plain producer). */
  private readonly idempotentEos: EosManager;
  /** The transactions' eosManager, made by the first `transaction()`. */
  private transactionalEos: EosManager | undefined;
  private readonly sender: MessageSender;

  constructor(
    private readonly cluster: Cluster,
    config: ProducerConfig = {},
    private readonly clientRetry?: RetryOptions,
    rootLogger: Logger = loggerFor(cluster),
    /** kafkajs's per-client offsets, which a transaction's sendOffsets marks as committed. */
    private readonly clientOffsets: ClientOffsets = new ClientOffsets(),
  ) {
    this.log = new ProducerLog(rootLogger);
    this.partition = (config.createPartitioner ?? createDefaultPartitioner({ start: cluster.random.nextUint32() }))();
    this.retry = { ...clientRetry, ...config.retry };
    this.idempotent = config.idempotent ?? false;
    if (this.idempotent && this.retry.retries !== undefined && this.retry.retries < 1) {
      throw new KafkaJSNonRetriableError('Idempotent producer must allow retries to protect against transient errors');
    }
    if (this.idempotent && this.retry.retries !== undefined && this.retry.retries < Number.MAX_SAFE_INTEGER) {
      this.log.producer.warn('Limiting retries for the idempotent producer may invalidate EoS guarantees');
    }
    // kafkajs accepts `maxInFlightRequests` and enforces nothing about it; requests to a broker
    // are serialized by the eosManager's lock instead.
    this.transactionalId = config.transactionalId;
    this.transactionTimeout = config.transactionTimeout;
    this.allowAutoTopicCreation = config.allowAutoTopicCreation ?? true;
    this.instrumentation = new Instrumentation(PRODUCER_EVENTS, () => cluster.now(), (name, e) => listenerFailed(this.log.producer, name, e));
    this.idempotentEos = this.eosManager(false);
    this.sender = this.messageSender(this.idempotentEos, this.idempotent);
  }

  private eosManager(transactional: boolean): EosManager {
    return new EosManager(this.cluster, {
      transactional,
      transactionalId: this.transactionalId,
      transactionTimeout: this.transactionTimeout,
      retry: this.clientRetry,
      logger: this.log.producer,
    });
  }

  private messageSender(eos: EosManager, idempotent: boolean): MessageSender {
    return new MessageSender({
      cluster: this.cluster,
      partition: this.partition,
      eos,
      idempotent,
      retry: this.retry,
      allowAutoTopicCreation: this.allowAutoTopicCreation,
      log: this.log,
      status: () => this.status,
    });
  }

  async connect(): Promise<void> {
    this.status = 'connected';
    this.release ??= this.cluster.keepAlive();
    this.instrumentation.emit(PRODUCER_EVENTS.CONNECT, null);
    // As kafkajs: an idempotent producer gets its producer id once, on its first connect.
    if (this.idempotent && !this.idempotentEos.isInitialized()) await this.idempotentEos.initProducerId();
  }

  async disconnect(): Promise<void> {
    this.status = 'disconnecting';
    this.status = 'disconnected';
    this.release?.();
    this.release = undefined;
    this.instrumentation.emit(PRODUCER_EVENTS.DISCONNECT, null);
  }

  /** kafkajs's `idempotent` setting, as given (a transactional producer is not idempotent unless told). */
  isIdempotent(): boolean {
    return this.idempotent;
  }

  /**
   * kafkajs's `transaction()`: the first one initializes the transactional producer id
   * (InitProducerId with the transactional id, fencing any previous instance); each begins a
   * transaction whose `send` and `sendBatch` write transactionally, `sendOffsets` commits a group's
   * offsets with it, and `commit` or `abort` ends it. A method called after the end rejects.
   */
  async transaction(): Promise<Transaction> {
    if (!this.transactionalId) throw new KafkaJSNonRetriableError('Must provide transactional id for transactional producer');
    let transactionDidEnd = false;
    const eos = (this.transactionalEos ??= this.eosManager(true));
    if (eos.isInTransaction()) {
      throw new KafkaJSNonRetriableError('There is already an ongoing transaction for this producer. Please end the transaction before beginning another.');
    }
    // The producer id is initialized once.
    if (!eos.isInitialized()) await eos.initProducerId();
    eos.beginTransaction();
    const sender = this.messageSender(eos, true);
    const isActive = (): boolean => eos.isInTransaction() && !transactionDidEnd;
    const guard =
      <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
      (...args: A): Promise<R> =>
        isActive() ? fn(...args) : Promise.reject(new KafkaJSNonRetriableError('Cannot continue to use transaction once ended'));
    return {
      sendBatch: guard((batch: ProducerBatch) => sender.sendBatch(batch)),
      send: guard((record: ProducerRecord) => sender.send(record)),
      abort: guard(async () => {
        await eos.abort();
        transactionDidEnd = true;
      }),
      commit: guard(async () => {
        await eos.commit();
        transactionDidEnd = true;
      }),
      sendOffsets: guard(async (offsets: TxnOffsets) => {
        await eos.sendOffsets(offsets);
        for (const { topic, partitions } of offsets.topics) {
          for (const { partition, offset } of partitions) this.clientOffsets.markOffsetAsCommitted(offsets.consumerGroupId, topic, partition, offset);
        }
      }),
      isActive,
    };
  }

  /** The `Producer` namespace of the client's logger, as kafkajs's `producer.logger()`. */
  logger(): Logger {
    return this.log.producer;
  }

  on: Producer['on'] = ((eventName: string, listener: (event: never) => void) =>
    this.instrumentation.on(eventName, listener as (event: unknown) => void)) as Producer['on'];

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.sender.send(record);
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.sender.sendBatch(batch);
  }
}
