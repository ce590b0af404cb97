/**
 * The streams API's shared vocabulary: end types, commit modes, offset reset points, stream
 * properties, serializers, and how stream messages are marked on the wire.
 */
import type { IHeaders } from 'kafkajs';

/** How a stream ended, sent to consumers in the stream's end message. */
export const StreamEndType = {
  /** The stream finished normally. */
  Closed: 'Closed',
  /** The stream was abandoned part-way, by the producer's choice. */
  Aborted: 'Aborted',
  /** The stream was cut short by something outside the producer's control. */
  Terminated: 'Terminated',
} as const;
/** One of {@link StreamEndType}'s values. */
export type StreamEndType = (typeof StreamEndType)[keyof typeof StreamEndType];

/** The two simple commit modes of a topic consumer (see {@link CommitOptions} for the tunable form). */
export const CommitMode = {
  /** Commit automatically: every 5000 messages or 5000 ms, whichever comes first, on revocation and on close. */
  Automatic: 'Automatic',
  /** Commit only when the application calls `commit()`. */
  Manual: 'Manual',
} as const;
/** One of {@link CommitMode}'s values. */
export type CommitMode = (typeof CommitMode)[keyof typeof CommitMode];

/** Tunable automatic commits. */
export interface CommitOptions {
  /**
   * Commit after this many processed messages (`null`: never by count).
   * @defaultValue 5000
   */
  commitEvery?: number | null;
  /**
   * Commit when this many milliseconds have passed since the last commit (`null`: never by time).
   * Checked as messages are processed, not by a timer.
   * @defaultValue 5000
   */
  commitIntervalMs?: number | null;
  /**
   * Whether automatic commits happen at all; `false` is {@link CommitMode.Manual}.
   * @defaultValue true
   */
  autoCommitEnabled?: boolean;
}

/** Where a consumer starts reading a partition it has no committed offset for. */
export const AutoOffsetReset = {
  /** Only messages produced after the consumer joined. */
  Latest: 'Latest',
  /** Everything still retained. */
  Earliest: 'Earliest',
  /** Fail: a committed offset is required. */
  Error: 'Error',
} as const;
/** One of {@link AutoOffsetReset}'s values. */
export type AutoOffsetReset = (typeof AutoOffsetReset)[keyof typeof AutoOffsetReset];

/** A stream's descriptive properties, sent from its producer to its consumers. */
export interface StreamProperties {
  /** A human-readable name. */
  name?: string | undefined;
  /** A location in a hierarchy, such as `/cars/car-1`. */
  location?: string | undefined;
  /** Free-form string metadata. */
  metadata: Record<string, string>;
  /** The ids of the streams this one was derived from. */
  parents: string[];
  /** When the data was recorded. */
  timeOfRecording?: Date | undefined;
}

/** Turns a value into message bytes. */
export type Serializer<T> = (value: T) => Buffer | string;
/** Turns message bytes back into a value. */
export type Deserializer<T> = (value: Buffer) => T;

/** JSON serializer: the default. */
export const jsonSerializer: Serializer<unknown> = (value) => Buffer.from(JSON.stringify(value));
/** JSON deserializer: the default. */
export const jsonDeserializer: Deserializer<unknown> = (value) => JSON.parse(value.toString('utf8')) as unknown;

/**
 * The header that says what a stream message carries: `data`, `properties` or `end`. A message
 * without it is data, so plain keyed Kafka messages read as streams too.
 */
export const STREAM_MESSAGE_TYPE_HEADER = 'kafka-twin-stream-message';

/** The kinds of message a stream is made of. */
export type StreamMessageType = 'data' | 'properties' | 'end';

/** The stream id given to messages without a key (not written by a stream producer). */
export const DEFAULT_STREAM_ID = 'default';

/** Chooses a stream's partition: `(topic, streamId, partitionCount) => partition`. */
export type StreamPartitioner = (topic: string, streamId: string, partitionCount: number) => number;

/** One data message of a stream, as a consumer receives it. */
export interface StreamData<T> {
  /** The stream it belongs to. */
  readonly streamId: string;
  /** The deserialized value. */
  readonly value: T;
  /** The message timestamp, in ms since the epoch. */
  readonly timestamp: number;
  /** The message headers, without the streams API's own. */
  readonly headers: IHeaders;
  /** The partition it was read from. */
  readonly partition: number;
  /** Its offset in that partition. */
  readonly offset: number;
}

/** @internal Properties as JSON on the wire. */
export interface WireProperties {
  name?: string;
  location?: string;
  metadata: Record<string, string>;
  parents: string[];
  timeOfRecording?: string;
}

/** @internal */
export function toWire(p: StreamProperties): WireProperties {
  const wire: WireProperties = { metadata: { ...p.metadata }, parents: [...p.parents] };
  if (p.name !== undefined) wire.name = p.name;
  if (p.location !== undefined) wire.location = p.location;
  if (p.timeOfRecording !== undefined) wire.timeOfRecording = p.timeOfRecording.toISOString();
  return wire;
}

/** @internal */
export function fromWire(w: WireProperties): StreamProperties {
  return {
    name: w.name,
    location: w.location,
    metadata: { ...(w.metadata ?? {}) },
    parents: [...(w.parents ?? [])],
    timeOfRecording: w.timeOfRecording === undefined ? undefined : new Date(w.timeOfRecording),
  };
}

/** @internal A fresh, empty set of properties. */
export function emptyProperties(): StreamProperties {
  return { metadata: {}, parents: [] };
}
