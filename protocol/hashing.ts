/**
 * The JVM's hash functions, reproduced bit for bit where Kafka's observable behaviour depends on
 * them: which `__consumer_offsets` partition (and so which coordinator) a group lands on, which
 * protocol wins a tied vote, and the orders in which a Kafka 3.9 broker lists partitions in its
 * Metadata and OffsetFetch answers (kafkajs hands those orders on to user code).
 */

const INT_MIN = -2147483648;

/**
 * Java's `String.hashCode()`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, wrapping
 * at 32 bits. JavaScript strings are UTF-16 too, so the code units are the same ones Java sees.
 */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * Kafka's `Utils.abs`: `Math.abs`, except that `Integer.MIN_VALUE` (whose absolute value does not
 * fit in an int, so Java's `Math.abs` returns it unchanged, negative) maps to 0.
 */
export function kafkaAbs(n: number): number {
  return n === INT_MIN ? 0 : Math.abs(n);
}

/**
 * The `__consumer_offsets` partition that holds a group, as Kafka's
 * `GroupMetadataManager.partitionFor` computes it: `Utils.abs(groupId.hashCode) % partitions`.
 */
export function partitionForGroup(groupId: string, partitions: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % partitions;
}

/** `scala.collection.Hashing.improve`, the bit mixer Scala's immutable HashMap applies to `hashCode`. */
function scalaImprove(hcode: number): number {
  let h = (hcode + ~(hcode << 9)) | 0;
  h ^= h >>> 14;
  h = (h + (h << 4)) | 0;
  return h ^ (h >>> 10);
}

/**
 * The order in which a Scala 2.13 `immutable.HashMap` with these String keys iterates. Kafka
 * 3.9's classic group coordinator picks the group protocol with `groupBy(...).maxBy(...)`, which
 * builds such a map and keeps the first of several protocols with equally many votes, so this
 * order is Kafka's tie-break.
 *
 * The map is a CHAMP trie over the improved hash, five bits per level: a node yields the keys
 * alone in their slot first (in slot order), then descends into its sub-tries (in slot order).
 * Keys whose whole hash collides keep their insertion order.
 */
export function scalaHashMapOrder(keys: readonly string[]): string[] {
  const walk = (entries: readonly { key: string; hash: number }[], shift: number): string[] => {
    if (entries.length <= 1 || shift >= 32) return entries.map((e) => e.key);
    const slots = new Map<number, { key: string; hash: number }[]>();
    for (const e of entries) {
      const slot = (e.hash >>> shift) & 31;
      const list = slots.get(slot);
      if (list === undefined) slots.set(slot, [e]);
      else list.push(e);
    }
    const ordered = [...slots.entries()].sort((a, b) => a[0] - b[0]).map(([, list]) => list);
    const out: string[] = [];
    for (const list of ordered) if (list.length === 1) out.push(list[0]!.key);
    for (const list of ordered) if (list.length > 1) out.push(...walk(list, shift + 5));
    return out;
  };
  return walk(
    keys.map((key) => ({ key, hash: scalaImprove(javaStringHashCode(key)) })),
    0,
  );
}

/** What a Metadata response says of a partition, as far as its `hashCode()` reads it. */
export interface MetadataPartition {
  readonly partition: number;
  /** Broker id of the leader, or -1 when the partition is offline. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** Replicas on stopped brokers. */
  readonly offlineReplicas: readonly number[];
}

/** Java's `List.hashCode()` of a list of Integers. */
function javaListHash(xs: readonly number[]): number {
  let h = 1;
  for (const x of xs) h = (Math.imul(31, h) + x) | 0;
  return h;
}

/** The `hashCode()` of Kafka's generated `MetadataResponsePartition` for this partition. */
function metadataPartitionHash(p: MetadataPartition): number {
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
export function inKafkaMetadataOrder<T extends MetadataPartition>(partitions: readonly T[]): T[] {
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
  for (const pair of pairs) insert(root, pair, scalaImprove((Math.imul(31, 31 + pair.partition) + javaStringHashCode(pair.topic)) | 0), 0);
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
