/**
 * Producer partitioners with kafkajs's interface. The default puts a keyed message on exactly the
 * partition kafkajs's DefaultPartitioner and the Java client choose (murmur2 of the key bytes),
 * and spreads unkeyed messages round-robin over partitions that have a leader, as kafkajs does;
 * kafkajs starts that round-robin at a random point, the twin at a seeded one so runs repeat.
 */
import type { ICustomPartitioner, PartitionerArgs } from 'kafkajs';

const M = 0x5bd1e995;

/** Kafka's murmur2 (Utils.murmur2 in the Java client) of `data`, as a signed 32-bit integer. */
export function murmur2(data: Buffer): number {
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const j = i * 4;
    let k = data[j]! | (data[j + 1]! << 8) | (data[j + 2]! << 16) | (data[j + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  const tail = length & ~3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ data[tail]!, M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `toPositive`: clears the sign bit (not `Math.abs`, which differs for negatives). */
export function toPositive(x: number): number {
  return x & 0x7fffffff;
}

/** The partition Kafka's default partitioner gives `key` among `partitions`. */
export function partitionForKey(key: Buffer | string, partitions: number): number {
  return toPositive(murmur2(Buffer.isBuffer(key) ? key : Buffer.from(String(key)))) % partitions;
}

/** Options for {@link createDefaultPartitioner}. */
export interface DefaultPartitionerOptions {
  /**
   * Where the round-robin for unkeyed messages starts, per topic.
   * @defaultValue 0
   */
  start?: number;
}

/**
 * Builds kafkajs's DefaultPartitioner: an explicit `message.partition` wins; a key picks
 * murmur2(key) over all partitions; no key takes the next partition with a leader in turn.
 * Which partitions have a leader is read once per `partitionMetadata` array: pass a new array when
 * the metadata changes (as kafkajs and the twin do) rather than changing one in place.
 */
export function createDefaultPartitioner({ start = 0 }: DefaultPartitionerOptions = {}): ICustomPartitioner {
  return () => {
    const counters = new Map<string, number>();
    return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
      if (message.partition !== null && message.partition !== undefined) return message.partition;
      const numPartitions = partitionMetadata.length;
      if (message.key !== null && message.key !== undefined) return partitionForKey(message.key, numPartitions);
      const counter = (counters.get(topic) ?? start) + 1;
      counters.set(topic, counter);
      const available = partitionsWithLeader(partitionMetadata);
      if (available.length > 0) return available[toPositive(counter) % available.length]!;
      return toPositive(counter) % numPartitions;
    };
  };
}

const withLeaderCache = new WeakMap<PartitionerArgs['partitionMetadata'], { readonly length: number; readonly ids: readonly number[] }>();

/**
 * The ids of the partitions that have a leader, in metadata order. A producer hands its
 * partitioner the same metadata array until the metadata changes (kafkajs's cache, the twin's
 * per-change metadata), so the O(partitions) scan runs once per array instead of once per message.
 */
function partitionsWithLeader(partitionMetadata: PartitionerArgs['partitionMetadata']): readonly number[] {
  const cached = withLeaderCache.get(partitionMetadata);
  if (cached !== undefined && cached.length === partitionMetadata.length) return cached.ids;
  const ids = partitionMetadata.filter((p) => p.leader >= 0).map((p) => p.partitionId);
  withLeaderCache.set(partitionMetadata, { length: partitionMetadata.length, ids });
  return ids;
}

/** kafkajs's `Partitioners`, with the twin's deterministic default. */
export const Partitioners = {
  /** Java-compatible murmur2 partitioning; the default. */
  DefaultPartitioner: createDefaultPartitioner(),
  /** Deprecated kafkajs name for the DefaultPartitioner. */
  JavaCompatiblePartitioner: createDefaultPartitioner(),
} as const;
