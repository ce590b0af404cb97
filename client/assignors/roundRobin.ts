/**
 * kafkajs's built-in round-robin assignor, in TypeScript, so the twin owns the code it runs. It must
 * stay byte-for-byte equal to `PartitionAssigners.roundRobin` from kafkajs 2.2.4 (a property test
 * checks this), including its quirks: it ignores members' subscriptions and hands every member
 * partitions of every topic the leader subscribes to, walks partitions in metadata order, and leaves
 * members that get nothing out of its answer.
 */
import type { Assigner, GroupMember, GroupMemberAssignment } from 'kafkajs';
import {
  emptyRecord,
  encodeMemberAssignment,
  encodeMemberMetadata,
  partitionsFromCluster,
  topicEntries,
  type AssignerContext,
  type GroupAssignment,
  type PartitionsByTopic,
  type TopicAssignment,
} from './common.js';

/**
 * Round-robin over all partitions, without kafkajs's byte encoding.
 *
 * Partitions are taken topic by topic in `partitionsByTopic`'s iteration order and, within a topic,
 * in the order given (kafkajs uses metadata order, not numeric order); the i-th partition goes to
 * the (i mod M)-th member id in default `Array.prototype.sort` order. Subscriptions are ignored,
 * because kafkajs ignores them; a repeated member id takes as many turns as it has entries, again
 * as kafkajs does.
 *
 * @param members - The group's members; only `memberId` is read.
 * @param partitionsByTopic - The partitions to hand out. Use a `Map` to control topic order.
 * @returns Every member id (idle ones with `{}`), keyed in the order kafkajs would emit them.
 */
export function roundRobinAssign(
  members: ReadonlyArray<{ readonly memberId: string }>,
  partitionsByTopic: PartitionsByTopic,
): GroupAssignment {
  const assignment: GroupAssignment = emptyRecord<TopicAssignment>();
  if (members.length === 0) return assignment;
  const sortedMembers = members.map(({ memberId }) => memberId).sort();
  // Pre-inserting in sorted order gives the same key order kafkajs gets by inserting on first use.
  for (const memberId of sortedMembers) {
    if (!(memberId in assignment)) assignment[memberId] = emptyRecord<number[]>();
  }
  let i = 0;
  for (const [topic, partitions] of topicEntries(partitionsByTopic)) {
    for (const partition of partitions) {
      const memberAssignment = assignment[sortedMembers[i % sortedMembers.length] as string] as TopicAssignment;
      (memberAssignment[topic] ??= []).push(partition);
      i += 1;
    }
  }
  return assignment;
}

/**
 * A kafkajs partition assigner equal to kafkajs's `PartitionAssigners.roundRobin`: protocol name
 * `'RoundRobinAssigner'`, version 0, the same metadata and assignment bytes.
 *
 * Two deliberate differences, both outside what kafkajs's consumer can produce: a topic repeated in
 * the leader's topic list is counted once, and an empty member list yields `[]` (kafkajs would
 * assign everything to a member called `"undefined"`).
 *
 * @example
 * ```ts
 * kafka.consumer({ groupId, partitionAssigners: [RoundRobinAssigner] })
 * ```
 */
export const RoundRobinAssigner = ({ cluster }: AssignerContext): Assigner => {
  const name = 'RoundRobinAssigner';
  const version = 0;
  return {
    name,
    version,
    async assign({ members, topics }: { members: GroupMember[]; topics: string[] }): Promise<GroupMemberAssignment[]> {
      const assignment = roundRobinAssign(members, partitionsFromCluster(cluster, topics));
      return Object.keys(assignment)
        .filter((memberId) => Object.keys(assignment[memberId] as TopicAssignment).length > 0)
        .map((memberId) => ({
          memberId,
          memberAssignment: encodeMemberAssignment(version, assignment[memberId] as TopicAssignment),
        }));
    },
    protocol({ topics }: { topics: string[] }) {
      return { name, metadata: encodeMemberMetadata(version, topics) };
    },
  };
};
