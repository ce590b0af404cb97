/**
 * Types and helpers shared by the assignors. The pure assignment functions work on plain data so the
 * engine and its property tests can call them without going through kafkajs's byte encodings; the
 * kafkajs-interface wrappers only translate between those bytes and this data.
 */
import type { Cluster } from 'kafkajs';
import type { TopicAssignment } from '../../protocol/consumer-protocol.js';

export { decodeSubscription, encodeMemberAssignment, encodeMemberMetadata } from '../../protocol/consumer-protocol.js';
export type { DecodedSubscription, TopicAssignment } from '../../protocol/consumer-protocol.js';

/**
 * The partition ids of every topic the assignment may hand out, as the group leader's metadata
 * lists them. A `Map` keeps its insertion order for every topic name; a plain object puts
 * integer-like names (`"7"`) first, as JavaScript orders such keys — use a `Map` when topic order
 * matters (it does for round-robin).
 */
export type PartitionsByTopic = ReadonlyMap<string, readonly number[]> | Readonly<Record<string, readonly number[]>>;

/**
 * A whole group's assignment: each member's {@link TopicAssignment} by member id. Built on
 * prototype-less objects so member ids and topic names such as `"__proto__"` are ordinary keys.
 */
export type GroupAssignment = Record<string, TopicAssignment>;

/** A group member as the assignors see it: its id and the topics it subscribes to. */
export interface AssignorMember {
  /** The member id the coordinator gave it; members are ordered by this id (UTF-16 code-unit order). */
  readonly memberId: string;
  /** The topics the member subscribes to. */
  readonly topics: readonly string[];
}

/** One partition of one topic. */
export interface TopicPartition {
  /** The topic's name. */
  readonly topic: string;
  /** The partition id. */
  readonly partition: number;
}

/** Several partitions of one topic; the shape ownership travels in. */
export interface TopicPartitions {
  /** The topic's name. */
  readonly topic: string;
  /** The partition ids. */
  readonly partitions: readonly number[];
}

/**
 * What the assignor factories need from kafkajs's `{ cluster, groupId, logger }` argument. Narrower
 * than kafkajs's `Cluster` so tests and the twin can pass a small object, while still accepting the
 * full argument kafkajs passes.
 */
export interface AssignerContext {
  /** Source of the partition lists; kafkajs's own round-robin reads them the same way. */
  readonly cluster: Pick<Cluster, 'findTopicPartitionMetadata'>;
}

/** Strings in UTF-16 code-unit order: the order `Array.prototype.sort` and Java's `String.compareTo` use. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A prototype-less record, so arbitrary ids and topic names are plain keys. */
export function emptyRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** The topics and their partition lists, in the order the caller's container iterates them. */
export function topicEntries(partitionsByTopic: PartitionsByTopic): Array<[string, readonly number[]]> {
  if (partitionsByTopic instanceof Map) return [...(partitionsByTopic as ReadonlyMap<string, readonly number[]>).entries()];
  const record = partitionsByTopic as Readonly<Record<string, readonly number[]>>;
  return Object.keys(record).map((topic) => [topic, record[topic] ?? []]);
}

/** Partition ids ascending without repeats; metadata order is not guaranteed to be numeric. */
export function sortedUniquePartitions(partitions: readonly number[]): number[] {
  return [...new Set(partitions)].sort((a, b) => a - b);
}

/** Members with repeated ids collapse to the first occurrence, then sort by id. */
export function uniqueSortedMembers<M extends { readonly memberId: string }>(members: readonly M[]): M[] {
  const seen = new Set<string>();
  const unique: M[] = [];
  for (const member of members) {
    if (seen.has(member.memberId)) continue;
    seen.add(member.memberId);
    unique.push(member);
  }
  return unique.sort((a, b) => compareIds(a.memberId, b.memberId));
}

/** Partition ids per topic, read from the cluster metadata in the given topic order. */
export function partitionsFromCluster(cluster: AssignerContext['cluster'], topics: Iterable<string>): Map<string, number[]> {
  const result = new Map<string, number[]>();
  for (const topic of topics) {
    if (result.has(topic)) continue;
    result.set(
      topic,
      cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId),
    );
  }
  return result;
}

/** The union of the leader's topics and every member's subscription, sorted for a deterministic encoding. */
export function topicUniverse(leaderTopics: readonly string[], subscriptions: Iterable<readonly string[]>): string[] {
  const all = new Set<string>(leaderTopics);
  for (const topics of subscriptions) for (const topic of topics) all.add(topic);
  return [...all].sort(compareIds);
}

