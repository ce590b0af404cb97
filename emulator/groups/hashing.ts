/**
 * The JVM's hash functions, reproduced bit for bit where Kafka's observable behaviour depends on
 * them: which `__consumer_offsets` partition (and so which coordinator) a group lands on, and
 * which protocol wins a tied vote.
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
