/**
 * Translation between kafkajs's message shapes and the engine's records.
 */
import type { IHeaders, KafkaMessage, Message, PartitionMetadata as KafkaJsPartitionMetadata } from 'kafkajs';
import type { PartitionMetadata, TopicMetadata } from '../../emulator/engine.js';
import { inKafkaMetadataOrder } from '../../protocol/hashing.js';
import { NO_HEADERS, copyOut, type ProduceRecord, type RecordHeader, type RecordRange } from '../../emulator/records.js';

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

/** Fetched records to the messages kafkajs hands to eachBatch/eachMessage, copied out of the log only now. */
export function toKafkaMessages(ranges: readonly RecordRange[]): KafkaMessage[] {
  const out: KafkaMessage[] = [];
  // Records of a batch mostly share one timestamp: convert it to a string once, not per message.
  let lastTimestamp = NaN;
  let lastTimestampString = '';
  copyOut(ranges, (batch, i, key, value, headers) => {
    const timestamp = batch.timestamps[i]!;
    if (timestamp !== lastTimestamp) {
      lastTimestamp = timestamp;
      lastTimestampString = String(timestamp);
    }
    out.push({
      key,
      value,
      timestamp: lastTimestampString,
      attributes: batch.timestampType === 'LogAppendTime' ? 8 : 0,
      offset: String(batch.baseOffset + i),
      headers: headers.length === 0 ? {} : toIHeaders(headers),
    });
  });
  return out;
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
