/**
 * The Java client's RangeAssignor. Topics are assigned independently, so members subscribed to the
 * same topics get partitions with the same numbers from each of them — which is what co-partitioned
 * joins rely on, and why this assignor exists alongside round-robin.
 */
import type { Assigner, GroupMember, GroupMemberAssignment } from 'kafkajs';
import {
  decodeSubscription,
  emptyRecord,
  encodeMemberAssignment,
  encodeMemberMetadata,
  partitionsFromCluster,
  sortedUniquePartitions,
  topicEntries,
  topicUniverse,
  uniqueSortedMembers,
  type AssignerContext,
  type AssignorMember,
  type GroupAssignment,
  type PartitionsByTopic,
  type TopicAssignment,
} from './common.js';

/**
 * Range assignment without kafkajs's byte encoding.
 *
 * Per topic: the members subscribed to it, sorted by member id (UTF-16 code-unit order, as Java's
 * `String.compareTo`), split the topic's partitions (sorted ascending, repeats dropped) into
 * contiguous ranges of `floor(P / M)`, the first `P % M` members taking one extra. A repeated member
 * id counts once, with its first entry's subscription. Topics nobody subscribes to stay unassigned.
 *
 * @param members - The group's members and their subscriptions.
 * @param partitionsByTopic - The partitions of every topic that may be assigned.
 * @returns A share for every member id (idle members get `{}`); topics within a share follow
 *   `partitionsByTopic`'s order.
 */
export function rangeAssign(members: readonly AssignorMember[], partitionsByTopic: PartitionsByTopic): GroupAssignment {
  const sorted = uniqueSortedMembers(members);
  const subscriptions = sorted.map((m) => new Set(m.topics));
  const assignment: GroupAssignment = emptyRecord<TopicAssignment>();
  for (const member of sorted) assignment[member.memberId] = emptyRecord<number[]>();

  for (const [topic, rawPartitions] of topicEntries(partitionsByTopic)) {
    const partitions = sortedUniquePartitions(rawPartitions);
    const consumers = sorted.filter((_, i) => subscriptions[i]?.has(topic));
    if (consumers.length === 0 || partitions.length === 0) continue;
    const perMember = Math.floor(partitions.length / consumers.length);
    const extra = partitions.length % consumers.length;
    consumers.forEach((consumer, i) => {
      const start = perMember * i + Math.min(i, extra);
      const length = perMember + (i < extra ? 1 : 0);
      if (length > 0) (assignment[consumer.memberId] as TopicAssignment)[topic] = partitions.slice(start, start + length);
    });
  }
  return assignment;
}

/**
 * A kafkajs partition assigner following the Java client's RangeAssignor; protocol name
 * `'RangeAssigner'`, version 0.
 *
 * Each member's subscription is read from its own metadata (so members may subscribe to different
 * topics), and partition lists come from `cluster.findTopicPartitionMetadata`. Topics the leader's
 * metadata does not know come back empty there and so go unassigned, as kafkajs's cluster returns
 * `[]` for them. A member whose metadata cannot be decoded subscribes to nothing. Every member,
 * idle ones included, gets an entry, with an empty assignment when it gets no partitions.
 */
export const RangeAssigner = ({ cluster }: AssignerContext): Assigner => {
  const name = 'RangeAssigner';
  const version = 0;
  return {
    name,
    version,
    async assign({ members, topics }: { members: GroupMember[]; topics: string[] }): Promise<GroupMemberAssignment[]> {
      const decoded: AssignorMember[] = members.map(({ memberId, memberMetadata }) => ({
        memberId,
        topics: decodeSubscription(memberMetadata).topics,
      }));
      const universe = topicUniverse(topics, decoded.map((m) => m.topics));
      const assignment = rangeAssign(decoded, partitionsFromCluster(cluster, universe));
      return Object.keys(assignment).map((memberId) => ({
        memberId,
        memberAssignment: encodeMemberAssignment(version, assignment[memberId] as TopicAssignment),
      }));
    },
    protocol({ topics }: { topics: string[] }) {
      return { name, metadata: encodeMemberMetadata(version, topics) };
    },
  };
};
