/**
 * Translation between kafkajs's message shapes and the engine's records.
 */
import type { IHeaders, Message, PartitionMetadata as KafkaJsPartitionMetadata } from 'kafkajs';
import type { PartitionMetadata } from '../../emulator/cluster.js';
import type { ProduceRecord, RecordHeader } from '../../emulator/records.js';

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
  return { key: toBuffer(message.key), value: toBuffer(message.value), headers: toRecordHeaders(message.headers), timestamp };
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
