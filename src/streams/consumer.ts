/**
 * Topic and stream consumers: messages are grouped into streams by their key (the stream id);
 * data, properties and end messages become events on the stream's consumer.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import type { ConsumerConfig, EachMessagePayload, IHeaders, KafkaMessage } from 'kafkajs';
import type { Consumer, Kafka } from '../../client/interface.js';
import {
  AutoOffsetReset,
  CommitMode,
  DEFAULT_STREAM_ID,
  STREAM_MESSAGE_TYPE_HEADER,
  StreamEndType,
  emptyProperties,
  fromWire,
  jsonDeserializer,
  type CommitOptions,
  type Deserializer,
  type StreamData,
  type StreamProperties,
  type WireProperties,
} from './types.js';

/** Options for {@link StreamingClient.getTopicConsumer}. */
export interface TopicConsumerOptions<T = unknown> {
  /**
   * When offsets are committed: {@link CommitMode.Automatic}, {@link CommitMode.Manual}, or tuned
   * {@link CommitOptions}. Only meaningful with a consumer group.
   * @defaultValue CommitMode.Automatic (every 5000 messages or 5000 ms)
   */
  commitSettings?: CommitMode | CommitOptions;
  /**
   * Where to start on a partition without a committed offset (always, without a consumer group).
   * @defaultValue AutoOffsetReset.Latest
   */
  autoOffsetReset?: AutoOffsetReset;
  /**
   * Turns message bytes into values.
   * @defaultValue JSON
   */
  deserializer?: Deserializer<T>;
  /**
   * Makes the private group id of a consumer without a consumer group.
   * @defaultValue crypto.randomUUID
   */
  idGenerator?: () => string;
  /**
   * The clock for `commitIntervalMs`, in ms. Pass the twin's `() => cluster.now()` in tests.
   * @defaultValue Date.now
   */
  now?: () => number;
  /**
   * Passed to `kafka.consumer()` (say, shorter `maxWaitTimeInMs` or `heartbeatInterval`); its
   * `groupId` is the topic consumer's own and cannot be set here.
   * @defaultValue undefined
   */
  consumerConfig?: Omit<ConsumerConfig, 'groupId'>;
}

/** A listener may return a promise: the message counts as processed once it settles. */
type Listener<A extends unknown[]> = (...args: A) => void | Promise<void>;

/** The events of a {@link StreamConsumer}. */
export interface StreamConsumerEvents<T> {
  /** A data message. */
  data: Listener<[data: StreamData<T>]>;
  /** The producer sent new properties (already applied to `properties`). */
  propertiesChanged: Listener<[properties: StreamProperties]>;
  /** The producer ended the stream. */
  closed: Listener<[endType: StreamEndType]>;
}

/** The events of a {@link TopicConsumer}. */
export interface TopicConsumerEvents<T> {
  /** A stream id was seen for the first time on a partition this instance owns. */
  streamReceived: Listener<[stream: StreamConsumer<T>]>;
  /** Offsets are about to be committed. */
  committing: Listener<[offsets: PartitionOffset[]]>;
  /** Offsets were committed. */
  committed: Listener<[offsets: PartitionOffset[]]>;
  /** The group is rebalancing: this instance's partitions may be taken away. */
  revoking: Listener<[]>;
  /** These streams' partitions left this instance; they get no more messages here. */
  streamsRevoked: Listener<[streams: StreamConsumer<T>[]]>;
  /** The underlying consumer crashed and will not restart. */
  error: Listener<[error: unknown]>;
}

/** A committed position: the next offset to read in a partition. */
export interface PartitionOffset {
  /** The partition. */
  readonly partition: number;
  /** The next offset to read. */
  readonly offset: number;
}

/** Calls every listener in order and waits for the promises they return. */
async function emitAndWait(emitter: { listeners(event: never): unknown[] }, event: string, ...args: unknown[]): Promise<void> {
  for (const listener of emitter.listeners(event as never)) await (listener as (...a: unknown[]) => unknown)(...args);
}

/**
 * eventemitter3, with listeners that may return promises: the streams API calls them in order
 * and waits for each, so a message counts as processed only once its listeners are done.
 * `on`'s `context` argument is not applied by that dispatch: bind the listener instead.
 */
export class AsyncEventEmitter<E extends EventEmitter.ValidEventTypes> extends EventEmitter<E> {
  /** Like `on`, but removed after its first call (early removal only by `removeAllListeners`). */
  override once<K extends EventEmitter.EventNames<E>>(event: K, fn: EventEmitter.EventListener<E, K>, context?: unknown): this {
    const wrapped = (...args: unknown[]): unknown => {
      this.off(event, wrapped as never);
      return (fn as (...a: unknown[]) => unknown).apply(context, args);
    };
    return this.on(event, wrapped as never);
  }
}

/** Reads one stream. Listeners may be async; see {@link StreamConsumerEvents}. */
export class StreamConsumer<T = unknown> extends AsyncEventEmitter<StreamConsumerEvents<T>> {
  /** The stream id. */
  readonly streamId: string;
  /** The partition the stream arrives on. */
  readonly partition: number;
  /** The latest properties its producer sent. */
  properties: StreamProperties = emptyProperties();
  /** How it ended, once it has. */
  endType: StreamEndType | undefined;

  /** Made by a {@link TopicConsumer}. */
  constructor(streamId: string, partition: number) {
    super();
    this.streamId = streamId;
    this.partition = partition;
  }
}

/**
 * Reads streams from one topic, in a consumer group (sharing partitions with the group's other
 * instances, committing offsets) or alone (every partition, never committing).
 */
export class TopicConsumer<T = unknown> extends AsyncEventEmitter<TopicConsumerEvents<T>> {
  /** The topic read. */
  readonly topic: string;
  /** The consumer group, if any. */
  readonly consumerGroup: string | undefined;
  /** The group id given to kafkajs: the consumer group, or a private one. */
  readonly groupId: string;
  private readonly autoOffsetReset: AutoOffsetReset;
  private readonly commitEvery: number | null;
  private readonly commitIntervalMs: number | null;
  private readonly autoCommit: boolean;
  private readonly deserialize: Deserializer<T>;
  private readonly now: () => number;
  private readonly consumerConfig: Omit<ConsumerConfig, 'groupId'>;
  private consumer: Consumer | undefined;
  private readonly streams = new Map<string, StreamConsumer<T>>();
  private assigned = new Set<number>();
  /** Next offset per partition of messages whose listeners finished. */
  private readonly processed = new Map<number, number>();
  /** Next offset per partition of messages handed to listeners. */
  private readonly delivered = new Map<number, number>();
  private readonly committedOffsets = new Map<number, number>();
  private sinceCommit = 0;
  private lastCommit = 0;
  private closed = false;

  /** Use {@link StreamingClient.getTopicConsumer}. */
  constructor(
    private readonly kafka: Kafka,
    topic: string,
    consumerGroup?: string,
    options: TopicConsumerOptions<T> = {},
  ) {
    super();
    this.topic = topic;
    this.consumerGroup = consumerGroup;
    this.groupId = consumerGroup ?? `kafka-twin-streams-private-${(options.idGenerator ?? randomUUID)()}`;
    this.autoOffsetReset = options.autoOffsetReset ?? AutoOffsetReset.Latest;
    if (!Object.values(AutoOffsetReset).includes(this.autoOffsetReset)) throw new TypeError(`Unknown autoOffsetReset ${String(this.autoOffsetReset)}`);
    const settings = resolveCommitSettings(options.commitSettings ?? CommitMode.Automatic);
    // Without a consumer group there is nothing to commit to.
    this.autoCommit = consumerGroup !== undefined && settings.autoCommitEnabled;
    this.commitEvery = settings.commitEvery;
    this.commitIntervalMs = settings.commitIntervalMs;
    this.deserialize = options.deserializer ?? (jsonDeserializer as Deserializer<T>);
    this.now = options.now ?? Date.now;
    this.consumerConfig = options.consumerConfig ?? {};
  }

  /** The streams currently open on this instance's partitions. */
  get activeStreams(): StreamConsumer<T>[] {
    return [...this.streams.values()];
  }

  /**
   * Joins (the consumer group, or a private group of one) and starts delivering. Resolves once
   * the first assignment is done. With {@link AutoOffsetReset.Error}, rejects if any partition of
   * the topic has no committed offset for the group. With {@link AutoOffsetReset.Latest}, where
   * reading starts is fixed by the first fetch after that (as in kafkajs), so a message produced
   * just as `subscribe()` resolves may or may not be read.
   */
  async subscribe(): Promise<void> {
    if (this.closed) throw new Error('The topic consumer is closed');
    if (this.consumer !== undefined) throw new Error('subscribe() was already called');
    if (this.autoOffsetReset === AutoOffsetReset.Error) await this.requireCommittedOffsets();
    const consumer = this.kafka.consumer({ ...this.consumerConfig, groupId: this.groupId });
    this.consumer = consumer;
    consumer.on(consumer.events.REBALANCING, () => void this.onRevoking());
    consumer.on(consumer.events.GROUP_JOIN, (event) => void this.onAssigned(event.payload.memberAssignment[this.topic] ?? []));
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) void emitAndWait(this, 'error', event.payload.error).catch(() => undefined);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: this.autoOffsetReset === AutoOffsetReset.Earliest });
    this.lastCommit = this.now();
    await consumer.run({ autoCommit: false, eachMessage: (payload) => this.handle(payload) });
  }

  /**
   * Commits every message delivered so far (including one whose listener is calling this).
   * Fails without a consumer group: committing and checkpointing need one.
   */
  async commit(): Promise<void> {
    if (this.consumerGroup === undefined) {
      throw new Error(
        `commit() needs a consumer group: topic consumer of "${this.topic}" was opened without one, and committing and checkpointing exist only with consumer groups`,
      );
    }
    if (this.consumer === undefined) throw new Error('commit() before subscribe(): nothing was read yet');
    await this.commitOffsets(this.delivered);
  }

  /** Commits processed messages (automatic commits only), stops and leaves the group. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const consumer = this.consumer;
    if (consumer === undefined) return;
    if (this.autoCommit) await this.commitOffsets(this.processed).catch(() => undefined);
    await consumer.disconnect();
    if (this.consumerGroup === undefined) {
      // The private group never committed; remove its empty record (best effort).
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        await admin.deleteGroups([this.groupId]);
      } catch {
        // Already gone, or not allowed: it expires on its own.
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
  }

  private async requireCommittedOffsets(): Promise<void> {
    if (this.consumerGroup === undefined) {
      throw new Error(`autoOffsetReset Error needs a consumer group: without one there is never a committed offset to start from (topic "${this.topic}")`);
    }
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId: this.consumerGroup, topics: [this.topic] });
      const missing = (offsets.find((t) => t.topic === this.topic)?.partitions ?? []).filter((p) => Number(p.offset) < 0).map((p) => p.partition);
      if (missing.length > 0 || offsets.length === 0) {
        throw new Error(
          `No committed offset for consumer group "${this.consumerGroup}" on topic "${this.topic}" partition(s) ${missing.sort((a, b) => a - b).join(', ')}, and autoOffsetReset is Error`,
        );
      }
    } finally {
      await admin.disconnect();
    }
  }

  private async handle({ partition, message }: EachMessagePayload): Promise<void> {
    const offset = Number(message.offset);
    this.assigned.add(partition);
    this.delivered.set(partition, Math.max(this.delivered.get(partition) ?? 0, offset + 1));
    const streamId = message.key === null || message.key === undefined ? DEFAULT_STREAM_ID : message.key.toString();
    let stream = this.streams.get(streamId);
    if (stream === undefined) {
      stream = new StreamConsumer<T>(streamId, partition);
      this.streams.set(streamId, stream);
      await emitAndWait(this, 'streamReceived', stream);
    }
    const { type, headers } = splitHeaders(message);
    if (type === 'properties') {
      stream.properties = fromWire(JSON.parse(message.value!.toString('utf8')) as WireProperties);
      await emitAndWait(stream, 'propertiesChanged', stream.properties);
    } else if (type === 'end') {
      const { endType } = JSON.parse(message.value!.toString('utf8')) as { endType: StreamEndType };
      stream.endType = endType;
      if (this.streams.get(streamId) === stream) this.streams.delete(streamId);
      await emitAndWait(stream, 'closed', endType);
    } else {
      const data: StreamData<T> = {
        streamId,
        value: this.deserialize(message.value ?? Buffer.alloc(0)),
        timestamp: Number(message.timestamp),
        headers,
        partition,
        offset,
      };
      await emitAndWait(stream, 'data', data);
    }
    this.processed.set(partition, Math.max(this.processed.get(partition) ?? 0, offset + 1));
    this.sinceCommit++;
    if (this.autoCommit) {
      const byCount = this.commitEvery !== null && this.sinceCommit >= this.commitEvery;
      const byTime = this.commitIntervalMs !== null && this.now() - this.lastCommit >= this.commitIntervalMs;
      if (byCount || byTime) await this.commitOffsets(this.processed);
    }
  }

  private async onRevoking(): Promise<void> {
    await emitAndWait(this, 'revoking').catch(() => undefined);
    // Commit what was processed while this generation can still commit; a failure only means
    // some messages are delivered again (at least once).
    if (this.autoCommit) await this.commitOffsets(this.processed).catch(() => undefined);
  }

  private async onAssigned(partitions: number[]): Promise<void> {
    const now = new Set(partitions);
    const lost = [...this.assigned].filter((p) => !now.has(p));
    this.assigned = now;
    // Offsets of partitions that left must never be committed by this instance again.
    for (const p of lost) {
      this.processed.delete(p);
      this.delivered.delete(p);
      this.committedOffsets.delete(p);
    }
    const revoked = [...this.streams.values()].filter((s) => !now.has(s.partition));
    for (const s of revoked) this.streams.delete(s.streamId);
    if (revoked.length > 0) await emitAndWait(this, 'streamsRevoked', revoked).catch(() => undefined);
  }

  private async commitOffsets(source: Map<number, number>): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined || this.consumerGroup === undefined) return;
    const offsets = [...source]
      .filter(([partition, offset]) => this.committedOffsets.get(partition) !== offset)
      .map(([partition, offset]) => ({ partition, offset }))
      .sort((a, b) => a.partition - b.partition);
    this.sinceCommit = 0;
    this.lastCommit = this.now();
    if (offsets.length === 0) return;
    await emitAndWait(this, 'committing', offsets);
    await consumer.commitOffsets(offsets.map(({ partition, offset }) => ({ topic: this.topic, partition, offset: String(offset) })));
    for (const { partition, offset } of offsets) this.committedOffsets.set(partition, offset);
    await emitAndWait(this, 'committed', offsets);
  }
}

function resolveCommitSettings(settings: CommitMode | CommitOptions): Required<CommitOptions> {
  if (settings === CommitMode.Manual) return { autoCommitEnabled: false, commitEvery: null, commitIntervalMs: null };
  if (settings === CommitMode.Automatic) return { autoCommitEnabled: true, commitEvery: 5000, commitIntervalMs: 5000 };
  if (typeof settings !== 'object' || settings === null) throw new TypeError(`Unknown commitSettings ${String(settings)}`);
  const { autoCommitEnabled = true, commitEvery = 5000, commitIntervalMs = 5000 } = settings;
  for (const [name, v] of [
    ['commitEvery', commitEvery],
    ['commitIntervalMs', commitIntervalMs],
  ] as const) {
    if (v !== null && !(Number.isFinite(v) && v >= 0)) throw new RangeError(`${name} must be a non-negative number or null, got ${String(v)}`);
  }
  return { autoCommitEnabled, commitEvery, commitIntervalMs };
}

function splitHeaders(message: KafkaMessage): { type: string; headers: IHeaders } {
  const headers: IHeaders = { ...(message.headers ?? {}) };
  const raw = headers[STREAM_MESSAGE_TYPE_HEADER];
  delete headers[STREAM_MESSAGE_TYPE_HEADER];
  const type = raw === undefined ? 'data' : Array.isArray(raw) ? String(raw[0]) : String(raw);
  return { type, headers };
}
