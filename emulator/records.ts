/**
 * Records and record batches as the engine stores them, and their size in Kafka's v2 on-disk
 * format. Sizes matter because `segment.bytes`, `retention.bytes` and `max.message.bytes` are
 * measured in those bytes on a real broker; computing the same numbers keeps the twin's segment
 * rolls and retention in step with Kafka's for the same input.
 */

/** One record header. Kafka allows repeated keys, so headers are a list, not a map. */
export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

/** A record as a producer hands it to the engine. */
export interface ProduceRecord {
  readonly key?: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: readonly RecordHeader[];
  /** CreateTime in ms; the cluster clock's now when omitted or negative. */
  readonly timestamp?: number;
}

/** A record as stored. Immutable and shared between replicas. */
export interface StoredRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
  readonly timestamp: number;
}

/** Whose clock a record's timestamp came from. */
export type TimestampType = 'CreateTime' | 'LogAppendTime';

/**
 * A batch of records with consecutive offsets, written by one leader in one epoch. Followers
 * hold references to the leader's batch objects, so replicas share memory and two replicas
 * hold the same data exactly when they hold the same batch objects.
 */
export interface RecordBatch {
  readonly baseOffset: number;
  /** Offset of the last record; `baseOffset + records.length - 1`. */
  readonly lastOffset: number;
  readonly leaderEpoch: number;
  readonly timestampType: TimestampType;
  /** Largest record timestamp in the batch. */
  readonly maxTimestamp: number;
  /** Size of the batch in Kafka's v2 format, uncompressed. */
  readonly sizeInBytes: number;
  readonly records: readonly StoredRecord[];
}

/** A record handed to a reader, with its offset. */
export interface FetchedRecord extends StoredRecord {
  readonly offset: number;
  readonly timestampType: TimestampType;
  readonly leaderEpoch: number;
}

/** Fixed overhead of a v2 record batch header (Kafka's RECORD_BATCH_OVERHEAD). */
export const RECORD_BATCH_OVERHEAD = 61;

/** Bytes of a zig-zag varint (or varlong) holding `value`. */
export function sizeOfVarint(value: number): number {
  // Zig-zag maps sign into the low bit; numbers here stay far below 2^53, so plain arithmetic is exact.
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let bytes = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    bytes++;
  }
  return bytes;
}

function sizeOfBytesField(b: Buffer | null): number {
  return b === null ? 1 : sizeOfVarint(b.length) + b.length;
}

/** Size of one record in a v2 batch, as Kafka's DefaultRecord.sizeInBytes computes it. */
export function recordSizeInBytes(offsetDelta: number, timestampDelta: number, record: StoredRecord): number {
  let body = 1 + sizeOfVarint(offsetDelta) + sizeOfVarint(timestampDelta) + sizeOfBytesField(record.key) + sizeOfBytesField(record.value);
  const headers = record.headers;
  body += sizeOfVarint(headers.length);
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    const keyLength = Buffer.byteLength(h.key);
    body += sizeOfVarint(keyLength) + keyLength + sizeOfBytesField(h.value);
  }
  return sizeOfVarint(body) + body;
}

/** Size of a v2 batch holding `records`, its first timestamp being the first record's. */
export function batchSizeInBytes(records: readonly StoredRecord[]): number {
  let size = RECORD_BATCH_OVERHEAD;
  if (records.length === 0) return size;
  const first = records[0]!.timestamp;
  for (let i = 0; i < records.length; i++) size += recordSizeInBytes(i, records[i]!.timestamp - first, records[i]!);
  return size;
}
