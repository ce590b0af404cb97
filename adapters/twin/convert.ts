/**
 * Translation between kafkajs's message shapes and the engine's records.
 */
import type { IHeaders, KafkaMessage, Message, PartitionMetadata as KafkaJsPartitionMetadata } from 'kafkajs';
import type { PartitionMetadata, TopicMetadata } from '../../emulator/cluster.js';
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

/** Java's `List.hashCode()` of a list of Integers. */
function javaListHash(xs: readonly number[]): number {
  let h = 1;
  for (const x of xs) h = (Math.imul(31, h) + x) | 0;
  return h;
}

/** The `hashCode()` of Kafka's generated `MetadataResponsePartition` for this partition. */
function metadataPartitionHash(p: PartitionMetadata): number {
  const errorCode = p.leader === -1 ? 5 : 0;
  let h = 0;
  for (const v of [errorCode, p.partition, p.leader, p.leaderEpoch, javaListHash(p.replicas), javaListHash(p.isr), javaListHash(p.offlineReplicas)]) {
    h = (Math.imul(31, h) + v) | 0;
  }
  return h;
}

/**
 * A topic's partitions in the order a Kafka 3.9 (KRaft) broker lists them in a Metadata
 * response, which is the order kafkajs hands on (`fetchTopicMetadata`, the assigners' partition
 * lists, the partitioner's metadata). The broker maps its partitions (a Java HashMap, so in
 * index order) into a Scala 2.13 `mutable.HashSet` of response objects: 16 buckets to start,
 * doubling when the 12th, 24th, ... element arrives (load factor 0.75), bucket = low bits of
 * hashCode ^ (hashCode >>> 16), buckets in index order, each in insertion order. So a fresh
 * 6-partition topic on one broker is listed 1, 3, 2, 5, 0, 4, and the order changes with the
 * leader, leader epoch, replicas and ISR.
 */
export function inKafkaMetadataOrder<T extends PartitionMetadata>(partitions: readonly T[]): T[] {
  let size = 16;
  let table: { hash: number; p: T }[][] = Array.from({ length: size }, () => []);
  let count = 0;
  for (const p of [...partitions].sort((a, b) => a.partition - b.partition)) {
    const raw = metadataPartitionHash(p);
    const hash = raw ^ (raw >>> 16);
    if (count + 1 >= Math.floor(size * 0.75)) {
      size *= 2;
      const grown: { hash: number; p: T }[][] = Array.from({ length: size }, () => []);
      for (const bucket of table) for (const e of bucket) grown[e.hash & (size - 1)]!.push(e);
      table = grown;
    }
    table[hash & (size - 1)]!.push({ hash, p });
    count++;
  }
  return table.flat().map((e) => e.p);
}

/** Java's `String.hashCode()`. */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Scala 2.13's `Hashing.improve`, which its immutable HashMap applies to `hashCode()`. */
function scalaImprove(hcode: number): number {
  const h = (hcode + ~(hcode << 9)) | 0;
  let i = h ^ (h >>> 14);
  i = (i + (i << 4)) | 0;
  return i ^ (i >>> 10);
}

type Champ<T> = Map<number, { item: T; hash: number } | { node: Champ<T> }>;

/**
 * The order in which a Kafka 3.9 broker answers OffsetFetch for the given (topic, partition)
 * pairs (given in request order): the coordinator collects the answers with Scala's `.toMap`,
 * which keeps insertion order up to four entries and beyond that is a CHAMP hash trie keyed by
 * `TopicPartition.hashCode()` (31 * (31 + partition) + topic.hashCode()); the response lists the
 * trie's iteration order (per node: its own entries by 5-bit hash fragment, then its sub-nodes),
 * grouped by topic in first-seen order.
 */
export function inOffsetFetchOrder<T extends { topic: string; partition: number }>(pairs: readonly T[]): T[] {
  if (pairs.length <= 4) return [...pairs];
  const root: Champ<T> = new Map();
  const insert = (node: Champ<T>, item: T, hash: number, shift: number): void => {
    const fragment = (hash >>> shift) & 31;
    const slot = node.get(fragment);
    if (slot === undefined) node.set(fragment, { item, hash });
    else if ('node' in slot) insert(slot.node, item, hash, shift + 5);
    else if (shift >= 30)
      node.set(fragment, {
        node: new Map([
          [0, slot],
          [1, { item, hash }],
        ]),
      }); // a full hash collision: insertion order
    else {
      const sub: Champ<T> = new Map();
      insert(sub, slot.item, slot.hash, shift + 5);
      insert(sub, item, hash, shift + 5);
      node.set(fragment, { node: sub });
    }
  };
  for (const pair of pairs) insert(root, pair, scalaImprove((Math.imul(31, 31 + pair.partition) + javaStringHash(pair.topic)) | 0), 0);
  const out: T[] = [];
  const walk = (node: Champ<T>): void => {
    const fragments = [...node.keys()].sort((a, b) => a - b);
    for (const f of fragments) {
      const slot = node.get(f)!;
      if ('item' in slot) out.push(slot.item);
    }
    for (const f of fragments) {
      const slot = node.get(f)!;
      if ('node' in slot) walk(slot.node);
    }
  };
  walk(root);
  return out;
}
