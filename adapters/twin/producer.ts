/**
 * The twin's kafkajs-shaped producer: the same validation, partitioning, per-broker requests,
 * retries and result shape as kafkajs 2.2.4's, sending to the engine instead of the network.
 */
import type { Message, ProducerBatch, ProducerConfig, ProducerRecord, RecordMetadata, RetryOptions, Transaction } from 'kafkajs';
import type { ProduceResult } from '../../emulator/engine.js';
import type { TwinCluster as Cluster } from './cluster.js';
import { KafkaJSError, KafkaJSNonRetriableError } from '../../protocol/errors.js';
import type { Producer } from '../../client/interface.js';
import { createDefaultPartitioner } from '../../client/partitioners.js';
import { kafkaJsPartitionMetadataOf, toProduceRecord } from './convert.js';
import { Instrumentation } from './instrumentation.js';
import { Bail, withRetries } from './retry.js';
import { listenerFailed, loggerFor, ProducerLog, type Logger } from './logger.js';
import { compress } from './codecs.js';

/** kafkajs's producer event names. */
export const PRODUCER_EVENTS = {
  CONNECT: 'producer.connect',
  DISCONNECT: 'producer.disconnect',
  REQUEST: 'producer.network.request',
  REQUEST_TIMEOUT: 'producer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size',
} as const;

type Status = 'connected' | 'disconnecting' | 'disconnected';

/** A kafkajs-shaped producer over the twin. */
export class TwinProducer implements Producer {
  readonly events = PRODUCER_EVENTS;
  private status: Status = 'disconnected';
  private readonly partition: ReturnType<NonNullable<ProducerConfig['createPartitioner']>>;
  private readonly instrumentation: Instrumentation;
  private readonly retry: RetryOptions | undefined;
  private readonly allowAutoTopicCreation: boolean;
  private readonly log: ProducerLog;
  /** Set while connected: keeps the process alive on the real clock, as kafkajs's sockets do. */
  private release: (() => void) | undefined;
  /** The idempotent producer's id, epoch and sequence numbers; undefined for a plain producer. */
  private readonly idempotence: Idempotence | undefined;

  constructor(
    private readonly cluster: Cluster,
    config: ProducerConfig = {},
    clientRetry?: RetryOptions,
    rootLogger: Logger = loggerFor(cluster),
  ) {
    this.log = new ProducerLog(rootLogger);
    if (config.transactionalId !== undefined) {
      throw new KafkaJSNonRetriableError('Transactions (transactionalId) are not supported by kafka-twin yet: it has no transaction coordinator (see docs/fidelity.md)');
    }
    this.partition = (config.createPartitioner ?? createDefaultPartitioner({ start: cluster.random.nextUint32() }))();
    this.retry = { ...clientRetry, ...config.retry };
    if (config.idempotent === true) this.idempotence = new Idempotence(cluster, this.retry);
    this.allowAutoTopicCreation = config.allowAutoTopicCreation ?? true;
    this.instrumentation = new Instrumentation(PRODUCER_EVENTS, () => cluster.now(), (name, e) => listenerFailed(this.log.producer, name, e));
  }

  async connect(): Promise<void> {
    this.status = 'connected';
    this.release ??= this.cluster.keepAlive();
    this.instrumentation.emit(PRODUCER_EVENTS.CONNECT, null);
    // As kafkajs: an idempotent producer gets its producer id once, on its first connect.
    if (this.idempotence !== undefined && !this.idempotence.initialized) await this.idempotence.initProducerId();
  }

  async disconnect(): Promise<void> {
    this.status = 'disconnecting';
    this.status = 'disconnected';
    this.release?.();
    this.release = undefined;
    this.instrumentation.emit(PRODUCER_EVENTS.DISCONNECT, null);
  }

  /** Whether this producer is idempotent; the twin makes none yet (creating one throws, see the constructor). */
  isIdempotent(): boolean {
    return false;
  }

  /**
   * kafkajs's `transaction()`. Every producer the twin makes has no `transactionalId` (one with
   * it cannot be created yet), so this rejects as kafkajs does for such a producer.
   */
  async transaction(): Promise<Transaction> {
    throw new KafkaJSNonRetriableError('Must provide transactional id for transactional producer');
  }

  /** The `Producer` namespace of the client's logger, as kafkajs's `producer.logger()`. */
  logger(): Logger {
    return this.log.producer;
  }

  on: Producer['on'] = ((eventName: string, listener: (event: never) => void) =>
    this.instrumentation.on(eventName, listener as (event: unknown) => void)) as Producer['on'];

  async send({ topic, messages, acks, timeout, compression }: ProducerRecord): Promise<RecordMetadata[]> {
    return this.sendBatch({ acks, timeout, compression, topicMessages: [{ topic, messages }] } as ProducerBatch);
  }

  async sendBatch({ acks = -1, timeout = 30000, compression, topicMessages = [] }: ProducerBatch): Promise<RecordMetadata[]> {
    if (topicMessages.some(({ topic }) => !topic)) throw new KafkaJSNonRetriableError('Invalid topic');
    if (this.idempotence !== undefined && acks !== -1) {
      throw new KafkaJSNonRetriableError("Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees");
    }
    for (const { topic, messages } of topicMessages) {
      if (!Array.isArray(messages)) throw new KafkaJSNonRetriableError(`Invalid messages array [${String(messages)}] for topic "${topic}"`);
      const missing = messages.find((m) => m.value === undefined);
      if (missing !== undefined) throw new KafkaJSNonRetriableError(`Invalid message without value for topic "${topic}": ${JSON.stringify(missing)}`);
    }
    if (this.status === 'disconnecting')
      throw new KafkaJSNonRetriableError("The producer is disconnecting; therefore, it can't safely accept messages anymore");
    if (this.status === 'disconnected') throw new KafkaJSError('The producer is disconnected');

    const merged = new Map<string, Message[]>();
    for (const { topic, messages } of topicMessages) {
      const list = merged.get(topic);
      if (list === undefined) merged.set(topic, [...messages]);
      else list.push(...messages);
    }

    // Responses per leader broker survive retries: like kafkajs, a retry resends only to brokers
    // whose request failed (all of that broker's partitions, so records can be duplicated).
    const done = new Map<number, RecordMetadata[]>();
    return withRetries(this.cluster, this.retry, async (retryCount, retryTime) => {
      try {
        return await this.attempt(merged, done, acks, timeout, compression);
      } catch (e) {
        this.log.sendFailed(e, retryCount, retryTime);
        // kafkajs retries retriable failures and hands any other error back as it is.
        if ((e as { retriable?: boolean }).retriable === false) throw new Bail(e);
        throw e;
      }
    });
  }

  private async attempt(
    merged: Map<string, Message[]>,
    done: Map<number, RecordMetadata[]>,
    acks: number,
    timeout: number,
    compression: number | undefined,
  ): Promise<RecordMetadata[]> {
    const meta = this.cluster.metadata([...merged.keys()], { allowAutoTopicCreation: this.allowAutoTopicCreation });
    const perBroker = new Map<number, { topic: string; partition: number; messages: Message[] }[]>();
    for (const topic of meta.topics) {
      const partitionMetadata = kafkaJsPartitionMetadataOf(topic);
      const perPartition = new Map<number, Message[]>();
      for (const message of merged.get(topic.name)!) {
        const p = this.partition({ topic: topic.name, partitionMetadata, message });
        const list = perPartition.get(p);
        if (list === undefined) perPartition.set(p, [message]);
        else list.push(message);
      }
      for (const p of [...perPartition.keys()].sort((a, b) => a - b)) {
        const leader = topic.partitions[p]?.leader ?? -1;
        if (done.has(leader)) continue;
        const entry = { topic: topic.name, partition: p, messages: perPartition.get(p)! };
        const list = perBroker.get(leader);
        if (list === undefined) perBroker.set(leader, [entry]);
        else list.push(entry);
      }
    }
    const brokers = [...perBroker.keys()].sort((a, b) => a - b);
    const results = await Promise.allSettled(brokers.map((b) => this.produceTo(b, perBroker.get(b)!, acks, timeout, compression)));
    let failure: unknown;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') done.set(brokers[i]!, r.value);
      else failure ??= r.reason;
    });
    if (failure !== undefined) throw failure;
    return [...done.keys()].sort((a, b) => a - b).flatMap((b) => done.get(b)!);
  }

  /** One produce request to one broker: every partition is written, then the first error (if any) fails it. */
  private async produceTo(
    broker: number,
    entries: { topic: string; partition: number; messages: Message[] }[],
    acks: number,
    timeout: number,
    compression: number | undefined,
  ): Promise<RecordMetadata[]> {
    const idempotence = this.idempotence;
    if (idempotence !== undefined) return idempotence.serialized(broker, () => this.request(broker, entries, acks, timeout, compression, idempotence));
    return this.request(broker, entries, acks, timeout, compression, undefined);
  }

  private async request(
    broker: number,
    entries: { topic: string; partition: number; messages: Message[] }[],
    acks: number,
    timeout: number,
    compression: number | undefined,
    idempotence: Idempotence | undefined,
  ): Promise<RecordMetadata[]> {
    const now = this.cluster.now();
    const partitions = entries.map(({ topic, partition, messages }) => ({
      topic,
      partition,
      records: messages.map((m) => toProduceRecord(m, now)),
      ...idempotence?.nextBatch(topic, partition, messages.length),
    }));
    // As kafkajs encoding the request: each partition's records through the registered codec (see
    // codecs.ts). kafkajs's send hands back any error that is not retriable at once, as it is.
    let compressed: Awaited<ReturnType<typeof compress>> | undefined;
    let answers: ProduceResult[];
    try {
      compressed =
        compression === undefined || compression === 0
          ? undefined
          : await compress(this.cluster, compression, partitions).catch((e: unknown) => {
              throw (e as { retriable?: boolean }).retriable === true ? e : new Bail(e);
            });
      // One Produce request to the broker, as kafkajs sends: an injected fault affects all of it.
      answers = await this.cluster.produceMany({ partitions, acks, timeout, broker: broker === -1 ? undefined : broker });
    } catch (e) {
      // As kafkajs's sendMessages: a failed request (or a failed encoding) gives its sequence numbers
      // back, so the retry sends the same batches with the same sequences and the broker recognises any it already has.
      for (const { topic, partition, messages } of entries) idempotence?.giveBack(topic, partition, messages.length);
      throw e;
    }
    compressed?.remember(answers);
    if (acks === 0) return [];
    return answers.map(toRecordMetadata);
  }
}

function toRecordMetadata(r: ProduceResult): RecordMetadata {
  return {
    topicName: r.topic,
    partition: r.partition,
    errorCode: 0,
    baseOffset: String(r.baseOffset),
    logAppendTime: String(r.logAppendTime),
    logStartOffset: String(r.logStartOffset),
  };
}

const INT32_MAX = 2147483647;

/**
 * kafkajs's idempotent producer (its eosManager without transactions): the rules its producer
 * enforces, the producer id from InitProducerId, a sequence number per partition advanced when a
 * batch is sent and given back when its request fails, and one request at a time per broker (its
 * broker lock), so sequences reach each broker in order.
 */
class Idempotence {
  private producerId = -1;
  private producerEpoch = -1;
  private readonly sequences = new Map<string, number>();
  private readonly locks = new Map<number, Promise<unknown>>();

  constructor(
    private readonly cluster: Cluster,
    private readonly retry: RetryOptions,
  ) {
    if (retry.retries !== undefined && retry.retries < 1) {
      throw new KafkaJSNonRetriableError('Idempotent producer must allow retries to protect against transient errors');
    }
  }

  get initialized(): boolean {
    return this.producerId >= 0;
  }

  async initProducerId(): Promise<void> {
    const { producerId, producerEpoch } = await withRetries(this.cluster, this.retry, () => this.cluster.initProducerId());
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.sequences.clear();
  }

  /** The producer fields of the next batch of `count` records to a partition, its sequence taken. */
  nextBatch(topic: string, partition: number, count: number): { producerId: number; producerEpoch: number; baseSequence: number } {
    const key = `${topic}\u0000${partition}`;
    const baseSequence = this.sequences.get(key) ?? 0;
    this.advance(key, baseSequence, count);
    return { producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence };
  }

  /** Gives back the sequence numbers of a batch whose request failed. */
  giveBack(topic: string, partition: number, count: number): void {
    const key = `${topic}\u0000${partition}`;
    this.advance(key, this.sequences.get(key) ?? 0, -count);
  }

  private advance(key: string, from: number, increment: number): void {
    // As kafkajs's updateSequence: an int32 in the batch, rotated to 0 when it would pass the maximum.
    const next = from + increment;
    this.sequences.set(key, next >= INT32_MAX ? 0 : next);
  }

  /** Runs `send` once every earlier request to `broker` has finished. */
  serialized<T>(broker: number, send: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(broker) ?? Promise.resolve();
    const run = previous.then(send, send);
    this.locks.set(broker, run.catch(() => undefined));
    return run;
  }
}
