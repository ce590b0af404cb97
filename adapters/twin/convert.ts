/**
 * Translation between kafkajs's message shapes and the engine's records.
 */
import type { IHeaders, KafkaMessage, Message, PartitionMetadata as KafkaJsPartitionMetadata } from 'kafkajs';
import type { PartitionMetadata, TopicMetadata } from '../../emulator/engine.js';
import { inKafkaMetadataOrder } from '../../protocol/hashing.js';
import { NO_HEADERS, copyOut, type ProduceRecord, type RecordBatch, type RecordHeader, type RecordRange } from '../../emulator/records.js';

function toBuffer(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return Buffer.isBuffer(v) ? v : Buffer.from(String(v));
}

/** kafkajs headers (a map whose values may be arrays) to Kafka's list of headers. */
export function toRecordHeaders(headers: IHeaders | undefined): RecordHeader[] {
  if (headers === undefined) return [];
  const out: RecordHeader[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push({ key, value: toBuffer(v) });
    else out.push({ key, value: toBuffer(value) });
  }
  return out;
}

/** Kafka's list of headers to kafkajs's map: repeated keys become arrays. */
export function toIHeaders(headers: readonly RecordHeader[]): IHeaders {
  const out: Record<string, Buffer | Buffer[]> = {};
  for (const { key, value } of headers) {
    const v = value ?? Buffer.alloc(0);
    const prev = out[key];
    if (prev === undefined) out[key] = v;
    else out[key] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** A kafkajs message to an engine record; the timestamp defaults to the cluster clock's now. */
export function toProduceRecord(message: Message, now: number): ProduceRecord {
  const timestamp = message.timestamp === undefined || message.timestamp === null ? now : Number(message.timestamp);
  // Most messages carry no headers: share one empty list rather than allocate one per message.
  const headers = message.headers === undefined ? NO_HEADERS : toRecordHeaders(message.headers);
  return { key: toBuffer(message.key), value: toBuffer(message.value), headers, timestamp };
}

/**
 * What kafkajs's record batch decoder puts in each message's `batchContext`: the header of the v2
 * record batch the record came in (src/protocol/recordBatch/v0/decoder.js).
 */
export interface BatchContext {
  readonly firstOffset: string;
  readonly firstTimestamp: string;
  readonly partitionLeaderEpoch: number;
  readonly inTransaction: boolean;
  readonly isControlBatch: boolean;
  readonly lastOffsetDelta: number;
  readonly producerId: string;
  readonly producerEpoch: number;
  readonly firstSequence: number;
  readonly maxTimestamp: string;
  /** 0: CreateTime, 1: LogAppendTime. */
  readonly timestampType: number;
  readonly magicByte: number;
}

/** A message as kafkajs 2.2.4 hands it to eachMessage/eachBatch (its record decoder's fields, in its order). */
export interface TwinKafkaMessage {
  magicByte: number;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  isControlRecord: boolean;
  batchContext: BatchContext;
}

function minTimestamp(batch: RecordBatch): number {
  let min = batch.maxTimestamp;
  for (let i = 0; i < batch.count; i++) min = Math.min(min, batch.timestamps[i]!);
  return min;
}

/** The record batch header of `batch` as kafkajs decodes it. */
function batchContextOf(batch: RecordBatch): BatchContext {
  return {
    firstOffset: String(batch.baseOffset),
    // Kafka keeps the producer's base timestamp, which kafkajs's producer makes the smallest of its
    // records'. The twin keeps only the final timestamps, so under LogAppendTime this is the append time (docs/fidelity.md).
    firstTimestamp: String(minTimestamp(batch)),
    partitionLeaderEpoch: batch.leaderEpoch,
    inTransaction: false,
    isControlBatch: false,
    lastOffsetDelta: batch.lastOffset - batch.baseOffset,
    // What kafkajs's plain producer writes (no producer id; epoch and sequence 0): the twin's log keeps no producer state.
    producerId: '-1',
    producerEpoch: 0,
    firstSequence: 0,
    maxTimestamp: String(batch.maxTimestamp),
    timestampType: batch.timestampType === 'LogAppendTime' ? 1 : 0,
    magicByte: 2,
  };
}

/** Fetched records to the messages kafkajs hands to eachBatch/eachMessage, copied out of the log only now. */
export function toKafkaMessages(ranges: readonly RecordRange[]): KafkaMessage[] {
  const out: TwinKafkaMessage[] = [];
  // Records of a batch mostly share one timestamp: convert it to a string once, not per message.
  let lastTimestamp = NaN;
  let lastTimestampString = '';
  // One context per batch, shared by its messages as kafkajs's decoder shares it.
  let lastBatch: RecordBatch | undefined;
  let batchContext: BatchContext | undefined;
  copyOut(ranges, (batch, i, key, value, headers) => {
    const timestamp = batch.timestamps[i]!;
    if (timestamp !== lastTimestamp) {
      lastTimestamp = timestamp;
      lastTimestampString = String(timestamp);
    }
    if (batch !== lastBatch) {
      lastBatch = batch;
      batchContext = batchContextOf(batch);
    }
    out.push({
      magicByte: 2,
      // The record's own attributes, which Kafka always writes as 0 (the timestamp type is the batch's).
      attributes: 0,
      timestamp: lastTimestampString,
      offset: String(batch.baseOffset + i),
      key,
      value,
      headers: headers.length === 0 ? {} : toIHeaders(headers),
      isControlRecord: false,
      batchContext: batchContext!,
    });
  });
  return out as KafkaMessage[];
}

/** Engine partition metadata to kafkajs's. */
export function toKafkaJsPartitionMetadata(p: PartitionMetadata): KafkaJsPartitionMetadata {
  return {
    partitionErrorCode: p.leader === -1 ? 5 : 0,
    partitionId: p.partition,
    leader: p.leader,
    replicas: [...p.replicas],
    isr: [...p.isr],
    offlineReplicas: [...p.offlineReplicas],
  };
}

const kafkaJsMetadataCache = new WeakMap<TopicMetadata, KafkaJsPartitionMetadata[]>();

/**
 * A topic's partitions as kafkajs's metadata cache lists them (in Kafka's order, see
 * {@link inKafkaMetadataOrder}). The engine hands out the same metadata object until something
 * changes, so this is built once per change, not once per send (it is O(partitions)).
 */
export function kafkaJsPartitionMetadataOf(topic: TopicMetadata): KafkaJsPartitionMetadata[] {
  let out = kafkaJsMetadataCache.get(topic);
  if (out === undefined) kafkaJsMetadataCache.set(topic, (out = inKafkaMetadataOrder(topic.partitions).map(toKafkaJsPartitionMetadata)));
  return out;
}
