/**
 * The cooperative-sticky assignment over plain data, the Java client's cooperative-sticky idea: a
 * balanced assignment that moves as few partitions as balance allows, and never hands a partition to
 * a new member in the same rebalance that takes it from its old one. Such a partition is withheld:
 * revoked from its owner now, assigned in the follow-up rebalance, so no partition is ever owned by
 * two members at once. The balancing itself is `plan.ts`; this part decides who owns what going in
 * and what must wait.
 */
import {
  compareIds,
  emptyRecord,
  sortedUniquePartitions,
  topicEntries,
  uniqueSortedMembers,
  type AssignorMember,
  type GroupAssignment,
  type PartitionsByTopic,
  type TopicAssignment,
  type TopicPartition,
  type TopicPartitions,
} from '../common.js';
import { plan } from './plan.js';

/**
 * The generation of a member that has no assignment yet, or does not know which generation its
 * ownership comes from; the Java client uses the same value.
 */
export const DEFAULT_GENERATION = -1;

/** A member as {@link cooperativeStickyAssign} sees it: its subscription plus what it owns now. */
export interface CooperativeMember extends AssignorMember {
  /**
   * The partitions the member owns going into this rebalance.
   * @defaultValue `[]`
   */
  readonly ownedPartitions?: readonly TopicPartitions[];
  /**
   * The generation `ownedPartitions` comes from. Pass it for every member or for none: claims from
   * members behind the newest generation present are ignored.
   * @defaultValue {@link DEFAULT_GENERATION}
   */
  readonly generation?: number;
}

/** A partition the balanced plan moves to another member, held back until its owners have revoked it. */
export interface WithheldPartition extends TopicPartition {
  /** The member the plan gives the partition to; it gets it in the follow-up rebalance if nothing else changes. */
  readonly assignee: string;
  /** The members that claim the partition now and must give it up first. */
  readonly revokedFrom: readonly string[];
}

/** The result of {@link cooperativeStickyAssign}. */
export interface CooperativeAssignment {
  /**
   * What every member (each member id, sorted) may own after this rebalance: its planned share minus
   * withheld partitions. Topics and partitions ascending.
   */
  readonly assignment: GroupAssignment;
  /** Partitions left unowned until the follow-up rebalance, sorted by topic, then partition. */
  readonly withheld: WithheldPartition[];
  /**
   * For every member, what it listed as owned but no longer has: partitions moving elsewhere, of
   * topics it unsubscribed from, or that no longer exist. Members with nothing to revoke get `{}`.
   */
  readonly revoked: GroupAssignment;
}

/** Ownership as a member reports it. */
export interface CooperativeOwnership {
  /** The partitions the member owns. */
  readonly ownedPartitions: readonly TopicPartitions[];
  /** The generation they come from; {@link DEFAULT_GENERATION} when unknown. */
  readonly generation: number;
}

interface IndexedPartition {
  readonly topic: string;
  readonly topicIndex: number;
  readonly partition: number;
}

/**
 * Cooperative-sticky assignment without kafkajs's byte encoding.
 *
 * Planning: every partition of a topic someone subscribes to goes to one of that topic's
 * subscribers. A partition's sticky owner is the one member (at the newest generation) that claims
 * it, if it still subscribes to the topic. The plan first makes loads as even as the subscriptions
 * allow (least sum of squared member loads: with equal subscriptions, everyone within one partition
 * of the others), then, among such plans, moves the fewest partitions away from their sticky
 * owners. With equal subscriptions, a fresh group gets as many partitions of each topic per member
 * as round-robin over topics, then partitions, would give it.
 *
 * Cooperation: a planned partition that any member other than its assignee claims (at the newest
 * generation) is withheld (see {@link CooperativeAssignment.withheld}); so a partition that stays
 * with its sole owner is never revoked. Claims by members not in `members` do not count: a member
 * that left the group has lost its partitions.
 *
 * A repeated member id counts once, with its first entry.
 *
 * @param members - The group's members, their subscriptions and current ownership.
 * @param partitionsByTopic - The partitions of every topic that may be assigned.
 */
export function cooperativeStickyAssign(
  members: readonly CooperativeMember[],
  partitionsByTopic: PartitionsByTopic,
): CooperativeAssignment {
  const sorted = uniqueSortedMembers(members);
  const subscriptions = sorted.map((m) => new Set(m.topics));

  // Sorted topics and partitions make the plan independent of the caller's container order.
  const topicPartitions = new Map<string, number[]>();
  for (const [topic, partitions] of topicEntries(partitionsByTopic)) topicPartitions.set(topic, sortedUniquePartitions(partitions));
  const topics = [...topicPartitions.keys()]
    .filter((topic) => subscriptions.some((s) => s.has(topic)))
    .sort(compareIds);
  const parts: IndexedPartition[] = [];
  const partIndex = new Map<string, Map<number, number>>();
  const subscribers = topics.map((topic) => sorted.flatMap((_, j) => (subscriptions[j]?.has(topic) ? [j] : [])));
  topics.forEach((topic, topicIndex) => {
    const byPartition = new Map<number, number>();
    partIndex.set(topic, byPartition);
    for (const partition of topicPartitions.get(topic) ?? []) {
      byPartition.set(partition, parts.length);
      parts.push({ topic, topicIndex, partition });
    }
  });

  // A member behind the newest generation missed a rebalance; what it claims was given out since.
  const generations = sorted.map((m) => (Number.isSafeInteger(m.generation) ? (m.generation as number) : DEFAULT_GENERATION));
  const newestGeneration = generations.reduce((a, b) => Math.max(a, b), DEFAULT_GENERATION);
  const claimers: number[][] = parts.map(() => []);
  sorted.forEach((member, j) => {
    if ((generations[j] as number) < newestGeneration) return;
    for (const { topic, partitions } of member.ownedPartitions ?? []) {
      const byPartition = partIndex.get(topic);
      if (byPartition === undefined) continue;
      for (const partition of partitions) {
        const i = byPartition.get(partition);
        if (i === undefined) continue;
        const list = claimers[i] as number[];
        if (!list.includes(j)) list.push(j);
      }
    }
  });
  const owner = parts.map((p, i) => {
    const list = claimers[i] as number[];
    return list.length === 1 && subscriptions[list[0] as number]?.has(p.topic) ? (list[0] as number) : -1;
  });

  const assigned = plan({ memberCount: sorted.length, subscribers, topicOf: parts.map((p) => p.topicIndex), owner });

  // Cooperate: hold back what someone else still owns.
  const assignment: GroupAssignment = emptyRecord<TopicAssignment>();
  for (const member of sorted) assignment[member.memberId] = emptyRecord<number[]>();
  const withheld: WithheldPartition[] = [];
  parts.forEach((p, i) => {
    const j = assigned[i] as number;
    if (j < 0) return;
    const others = (claimers[i] as number[]).filter((c) => c !== j);
    const memberId = (sorted[j] as CooperativeMember).memberId;
    if (others.length > 0) {
      withheld.push({
        topic: p.topic,
        partition: p.partition,
        assignee: memberId,
        revokedFrom: others.sort((x, y) => x - y).map((c) => (sorted[c] as CooperativeMember).memberId),
      });
      return;
    }
    ((assignment[memberId] as TopicAssignment)[p.topic] ??= []).push(p.partition);
  });

  const revoked: GroupAssignment = emptyRecord<TopicAssignment>();
  for (const member of sorted) {
    const gone = emptyRecord<number[]>();
    const mine = assignment[member.memberId] as TopicAssignment;
    const byTopic = new Map<string, Set<number>>();
    for (const { topic, partitions } of member.ownedPartitions ?? []) {
      const set = byTopic.get(topic) ?? new Set<number>();
      for (const partition of partitions) set.add(partition);
      byTopic.set(topic, set);
    }
    for (const topic of [...byTopic.keys()].sort(compareIds)) {
      const kept = new Set(mine[topic] ?? []);
      const lost = [...(byTopic.get(topic) as Set<number>)].filter((p) => !kept.has(p)).sort((a, b) => a - b);
      if (lost.length > 0) gone[topic] = lost;
    }
    revoked[member.memberId] = gone;
  }

  return { assignment, withheld, revoked };
}
