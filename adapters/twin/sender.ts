/**
 * kafkajs's messageProducer and sendMessages over the twin: the same validation, partitioning,
 * per-broker requests, retries and result shape, the producer fields of each batch from an
 * eosManager (none for a plain producer, the idempotent one's, or a transaction's, which first adds
 * each new partition to the transaction).
 */
import type { Message, ProducerBatch, ProducerConfig, ProducerRecord, RecordMetadata, RetryOptions } from 'kafkajs';
import type { ProduceResult } from '../../emulator/engine.js';
import type { TwinCluster as Cluster } from './cluster.js';
import { KafkaJSError, KafkaJSNonRetriableError } from '../../protocol/errors.js';
import { kafkaJsPartitionMetadataOf, toProduceRecord } from './convert.js';
import { Bail, withRetries } from './retry.js';
import type { ProducerLog } from './logger.js';
import { compress } from './codecs.js';
import type { EosManager } from './eos.js';

/** A producer's connection state, as kafkajs's CONNECTION_STATUS. */
export type ConnectionStatus = 'connected' | 'disconnecting' | 'disconnected';

type Partitioner = ReturnType<NonNullable<ProducerConfig['createPartitioner']>>;

interface Entry {
  readonly topic: string;
  readonly partition: number;
  readonly messages: Message[];
}

export interface SenderOptions {
  readonly cluster: Cluster;
  readonly partition: Partitioner;
  readonly eos: EosManager;
  /** kafkajs's `idempotent` for this sender: a transaction's sender is always idempotent. */
  readonly idempotent: boolean;
  readonly retry: RetryOptions;
  readonly allowAutoTopicCreation: boolean;
  readonly log: ProducerLog;
  readonly status: () => ConnectionStatus;
}

/** kafkajs's `send` and `sendBatch` for one eosManager. */
export class MessageSender {
  constructor(private readonly o: SenderOptions) {}

  async send({ topic, messages, acks, timeout, compression }: ProducerRecord): Promise<RecordMetadata[]> {
    return this.sendBatch({ acks, timeout, compression, topicMessages: [{ topic, messages }] } as ProducerBatch);
  }

  async sendBatch({ acks = -1, timeout = 30000, compression, topicMessages = [] }: ProducerBatch): Promise<RecordMetadata[]> {
    if (topicMessages.some(({ topic }) => !topic)) throw new KafkaJSNonRetriableError('Invalid topic');
    if (this.o.idempotent && acks !== -1) {
      throw new KafkaJSNonRetriableError("Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees");
    }
    for (const { topic, messages } of topicMessages) {
      if (!Array.isArray(messages)) throw new KafkaJSNonRetriableError(`Invalid messages array [${String(messages)}] for topic "${topic}"`);
      const missing = messages.find((m) => m.value === undefined);
      if (missing !== undefined) throw new KafkaJSNonRetriableError(`Invalid message without value for topic "${topic}": ${JSON.stringify(missing)}`);
    }
    const status = this.o.status();
    if (status === 'disconnecting') throw new KafkaJSNonRetriableError("The producer is disconnecting; therefore, it can't safely accept messages anymore");
    if (status === 'disconnected') throw new KafkaJSError('The producer is disconnected');

    const merged = new Map<string, Message[]>();
    for (const { topic, messages } of topicMessages) {
      const list = merged.get(topic);
      if (list === undefined) merged.set(topic, [...messages]);
      else list.push(...messages);
    }

    // Responses per leader broker survive retries: like kafkajs, a retry resends only to brokers
    // whose request failed (all of that broker's partitions, so records can be duplicated).
    const done = new Map<number, RecordMetadata[]>();
    return withRetries(this.o.cluster, this.o.retry, async (retryCount, retryTime) => {
      try {
        return await this.attempt(merged, done, acks, timeout, compression);
      } catch (e) {
        this.o.log.sendFailed(e, retryCount, retryTime);
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
    const meta = this.o.cluster.metadata([...merged.keys()], { allowAutoTopicCreation: this.o.allowAutoTopicCreation });
    const perBroker = new Map<number, Entry[]>();
    for (const topic of meta.topics) {
      const partitionMetadata = kafkaJsPartitionMetadataOf(topic);
      const perPartition = new Map<number, Message[]>();
      for (const message of merged.get(topic.name)!) {
        const p = this.o.partition({ topic: topic.name, partitionMetadata, message });
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

  /**
   * One produce request to one broker, under the eosManager's lock for that broker (so sequences
   * reach it in order); a transaction first adds the request's new partitions to itself.
   */
  private produceTo(broker: number, entries: Entry[], acks: number, timeout: number, compression: number | undefined): Promise<RecordMetadata[]> {
    const { eos } = this.o;
    return eos.withBrokerLock(broker, async () => {
      if (eos.isTransactional()) await eos.addPartitionsToTransaction(topicDataOf(entries));
      return this.request(broker, entries, acks, timeout, compression);
    });
  }

  /** Every partition is written, then the first error (if any) fails the request. */
  private async request(broker: number, entries: Entry[], acks: number, timeout: number, compression: number | undefined): Promise<RecordMetadata[]> {
    const { cluster, eos } = this.o;
    const now = cluster.now();
    const partitions = entries.map(({ topic, partition, messages }) => {
      const producer = eos.isInitialized()
        ? {
            producerId: eos.getProducerId(),
            producerEpoch: eos.getProducerEpoch(),
            baseSequence: eos.getSequence(topic, partition),
            ...(eos.isTransactional() ? { isTransactional: true } : {}),
          }
        : {};
      eos.updateSequence(topic, partition, messages.length);
      return { topic, partition, records: messages.map((m) => toProduceRecord(m, now)), ...producer };
    });
    // As kafkajs encoding the request: each partition's records through the registered codec (see
    // codecs.ts). kafkajs's send hands back any error that is not retriable at once, as it is.
    let compressed: Awaited<ReturnType<typeof compress>> | undefined;
    let answers: ProduceResult[];
    try {
      compressed =
        compression === undefined || compression === 0
          ? undefined
          : await compress(cluster, compression, partitions).catch((e: unknown) => {
              throw (e as { retriable?: boolean }).retriable === true ? e : new Bail(e);
            });
      // One Produce request to the broker, as kafkajs sends: an injected fault affects all of it.
      answers = await cluster.produceMany({ partitions, acks, timeout, broker: broker === -1 ? undefined : broker });
    } catch (e) {
      // As kafkajs's sendMessages: a failed request (or a failed encoding) gives its sequence numbers
      // back, so the retry sends the same batches with the same sequences and the broker recognises any it already has.
      for (const { topic, partition, messages } of entries) eos.updateSequence(topic, partition, -messages.length);
      throw e;
    }
    compressed?.remember(answers);
    if (acks === 0) return [];
    return answers.map(toRecordMetadata);
  }
}

/** kafkajs's topicData of one request: its partitions by topic. */
function topicDataOf(entries: readonly Entry[]): { topic: string; partitions: { partition: number }[] }[] {
  const byTopic = new Map<string, { partition: number }[]>();
  for (const { topic, partition } of entries) {
    const list = byTopic.get(topic);
    if (list === undefined) byTopic.set(topic, [{ partition }]);
    else list.push({ partition });
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
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
