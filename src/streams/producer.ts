/**
 * Stream producers: every message of a stream goes to one partition, in publish order.
 */
import { randomUUID } from 'node:crypto';
import type { IHeaders, Message, ProducerConfig } from 'kafkajs';
import type { Kafka, Producer } from '../../client/interface.js';
import {
  STREAM_MESSAGE_TYPE_HEADER,
  StreamEndType,
  emptyProperties,
  jsonSerializer,
  toWire,
  type Serializer,
  type StreamMessageType,
  type StreamPartitioner,
  type StreamProperties,
} from './types.js';

/** Options for {@link StreamingClient.getTopicProducer}. */
export interface TopicProducerOptions<T = unknown> {
  /**
   * Picks each stream's partition, once per stream (the choice is kept for the stream's life).
   * Without one, the stream id is the message key and the producer's partitioner places it
   * (kafkajs's default: murmur2 of the key, as the Java client).
   * @defaultValue undefined
   */
  partitioner?: StreamPartitioner;
  /**
   * Makes stream ids for {@link TopicProducer.createStream} called without one.
   * @defaultValue crypto.randomUUID
   */
  idGenerator?: () => string;
  /**
   * Turns published values into message bytes.
   * @defaultValue JSON
   */
  serializer?: Serializer<T>;
  /**
   * Passed to `kafka.producer()`.
   * @defaultValue undefined
   */
  producerConfig?: ProducerConfig;
}

/** Options for {@link StreamProducer.publish}. */
export interface PublishOptions {
  /**
   * The message timestamp (ms since the epoch, or a Date).
   * @defaultValue the producer's clock
   */
  timestamp?: number | Date;
  /**
   * Extra headers, delivered to consumers with the value.
   * @defaultValue {}
   */
  headers?: IHeaders;
}

/**
 * Writes streams to one topic. Messages are sent in the background, in publish order, batched;
 * `flush()` waits for them and reports the first failure.
 */
export class TopicProducer<T = unknown> {
  /** The topic written to. */
  readonly topic: string;
  private readonly partitioner: StreamPartitioner | undefined;
  private readonly idGenerator: () => string;
  /** @internal */
  readonly serializer: Serializer<T>;
  private readonly streams = new Map<string, StreamProducer<T>>();
  private producer: Promise<Producer> | undefined;
  private partitionCount: Promise<number> | undefined;
  private pending: { message: Message; stream: StreamProducer<T> }[] = [];
  private draining: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;
  private closed = false;

  /** Use {@link StreamingClient.getTopicProducer}. */
  constructor(
    private readonly kafka: Kafka,
    topic: string,
    private readonly options: TopicProducerOptions<T> = {},
  ) {
    this.topic = topic;
    this.partitioner = options.partitioner;
    this.idGenerator = options.idGenerator ?? randomUUID;
    this.serializer = options.serializer ?? (jsonSerializer as Serializer<T>);
  }

  /** Opens a new stream; with no id, one from the `idGenerator`. Fails if the id is already open here. */
  createStream(streamId?: string): StreamProducer<T> {
    this.assertOpen();
    const id = streamId ?? this.idGenerator();
    if (typeof id !== 'string' || id.length === 0) throw new TypeError('A stream id must be a non-empty string');
    if (this.streams.has(id)) throw new Error(`Stream "${id}" is already open on topic "${this.topic}"`);
    const stream = new StreamProducer<T>(this, id);
    this.streams.set(id, stream);
    return stream;
  }

  /** The open stream with this id, if there is one. */
  getStream(streamId: string): StreamProducer<T> | undefined {
    return this.streams.get(streamId);
  }

  /** The open stream with this id, opened now if there is none. */
  getOrCreateStream(streamId: string): StreamProducer<T> {
    return this.streams.get(streamId) ?? this.createStream(streamId);
  }

  /** Sends every stream's changed properties and waits until everything published so far is written. */
  async flush(): Promise<void> {
    for (const stream of this.streams.values()) stream.queuePropertiesIfChanged();
    while (this.draining !== undefined) await this.draining;
    if (this.failure !== undefined) {
      const { error } = this.failure;
      this.failure = undefined;
      throw error;
    }
  }

  /** Flushes and disconnects. Open streams are not ended: close them first if consumers should know. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      this.streams.clear();
      const producer = this.producer;
      this.producer = undefined;
      if (producer !== undefined) await (await producer).disconnect();
    }
  }

  /** @internal Queues messages of one stream, in order. */
  enqueue(stream: StreamProducer<T>, type: StreamMessageType, value: Buffer | string, options: PublishOptions = {}): void {
    this.assertOpen();
    const headers: IHeaders = { ...(options.headers ?? {}), [STREAM_MESSAGE_TYPE_HEADER]: type };
    const message: Message = { key: stream.streamId, value, headers };
    if (options.timestamp !== undefined) message.timestamp = String(options.timestamp instanceof Date ? options.timestamp.getTime() : options.timestamp);
    this.pending.push({ message, stream });
    this.draining ??= this.drain();
  }

  /** @internal */
  forget(stream: StreamProducer<T>): void {
    if (this.streams.get(stream.streamId) === stream) this.streams.delete(stream.streamId);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`The producer of topic "${this.topic}" is closed`);
  }

  private connect(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.producer(this.options.producerConfig);
      await producer.connect();
      return producer;
    })();
    return this.producer;
  }

  private countPartitions(): Promise<number> {
    this.partitionCount ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [this.topic] });
        return topics[0]!.partitions.length;
      } finally {
        await admin.disconnect();
      }
    })();
    this.partitionCount.catch(() => (this.partitionCount = undefined));
    return this.partitionCount;
  }

  /** Never rejects: a failure is kept for the next `flush()`, and what was queued with it is dropped. */
  private async drain(): Promise<void> {
    try {
      await Promise.resolve(); // gather what is published in the same tick into one batch
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0);
        const producer = await this.connect();
        if (this.partitioner !== undefined) {
          const count = await this.countPartitions();
          for (const { message, stream } of batch) {
            stream.partition ??= this.partitioner(this.topic, stream.streamId, count);
            message.partition = stream.partition;
          }
        }
        await producer.send({ topic: this.topic, messages: batch.map((b) => b.message) });
      }
    } catch (error) {
      this.failure ??= { error };
      this.pending = [];
    } finally {
      this.draining = undefined;
    }
  }
}

/** Writes one stream: its properties, its data, and its end. */
export class StreamProducer<T = unknown> {
  /** The stream id (the message key of every message of the stream). */
  readonly streamId: string;
  /**
   * The stream's properties. Change them freely: changes are sent before the next `publish`, or
   * on `flush()` or `close()`.
   */
  properties: StreamProperties = emptyProperties();
  /** @internal The partition chosen by a custom partitioner, once chosen. */
  partition: number | undefined;
  private sentProperties = JSON.stringify(toWire(emptyProperties()));
  private closed = false;

  /** Use {@link TopicProducer.createStream}. */
  constructor(
    private readonly topicProducer: TopicProducer<T>,
    streamId: string,
  ) {
    this.streamId = streamId;
  }

  /** Queues a value (serialized with the topic producer's serializer). Sent in the background; see `flush()`. */
  publish(value: T, options: PublishOptions = {}): void {
    this.assertOpen();
    this.queuePropertiesIfChanged();
    this.topicProducer.enqueue(this, 'data', this.topicProducer.serializer(value), options);
  }

  /** Sends changed properties and waits until everything published on the topic producer is written. */
  async flush(): Promise<void> {
    this.queuePropertiesIfChanged();
    await this.topicProducer.flush();
  }

  /**
   * Ends the stream: sends changed properties, then an end message carrying `endType`, and waits
   * for them. The id may be opened again afterwards, as a new stream.
   */
  async close(endType: StreamEndType = StreamEndType.Closed): Promise<void> {
    this.assertOpen();
    this.queuePropertiesIfChanged();
    this.topicProducer.enqueue(this, 'end', JSON.stringify({ endType }));
    this.closed = true;
    this.topicProducer.forget(this);
    await this.topicProducer.flush();
  }

  /** @internal */
  queuePropertiesIfChanged(): void {
    if (this.closed) return;
    const wire = JSON.stringify(toWire(this.properties));
    if (wire === this.sentProperties) return;
    this.sentProperties = wire;
    this.topicProducer.enqueue(this, 'properties', wire);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`Stream "${this.streamId}" is closed`);
  }
}
