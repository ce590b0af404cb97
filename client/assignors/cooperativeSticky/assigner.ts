/**
 * The cooperative-sticky assignor's kafkajs face: `CooperativeStickyAssigner`, a kafkajs
 * `PartitionAssigner` that decodes the members' metadata, runs `cooperativeStickyAssign`
 * (`assign.ts`) and encodes the answer, remembering between rebalances what its own member owns.
 */
import { randomUUID } from 'node:crypto';
import type { Assigner, GroupMember, GroupMemberAssignment } from 'kafkajs';
import {
  compareIds,
  decodeSubscription,
  encodeMemberAssignment,
  encodeMemberMetadata,
  partitionsFromCluster,
  topicUniverse,
  type AssignerContext,
  type TopicAssignment,
  type TopicPartitions,
} from '../common.js';
import { decodeMemberAssignmentStrict } from '../../../protocol/consumer-protocol.js';
import { DEFAULT_GENERATION, cooperativeStickyAssign, type CooperativeOwnership } from './assign.js';
import { decodeAssignmentUserData, decodeCooperativeUserData, encodeAssignmentUserData, encodeCooperativeUserData } from './userData.js';

/** A {@link CooperativeStickyAssigner} instance: kafkajs's `Assigner` plus a way to learn its own assignment. */
export interface CooperativeStickyAssignerInstance extends Assigner {
  /**
   * Tells the instance what its member was assigned (the raw `memberAssignment` the coordinator's
   * SyncGroup answer carried), so its next join reports it as owned. The twin's client calls this;
   * kafkajs's consumer never does, which is why the instance also remembers what it assigned to its
   * own member when it leads. Undecodable input is ignored.
   */
  onAssignment(memberAssignment: Buffer): void;
  /** What the instance will report as owned at its next join. */
  ownership(): CooperativeOwnership;
}

function toTopicPartitions(assignment: TopicAssignment | undefined): TopicPartitions[] {
  if (assignment === undefined) return [];
  return Object.keys(assignment)
    .sort(compareIds)
    .map((topic) => ({ topic, partitions: [...(assignment[topic] as number[])] }))
    .filter(({ partitions }) => partitions.length > 0);
}

/**
 * A kafkajs partition assigner running {@link cooperativeStickyAssign}; protocol name
 * `'CooperativeStickyAssigner'`, version 0. Subscriptions and ownership come from each member's
 * metadata; partition lists from `cluster.findTopicPartitionMetadata`.
 *
 * Limitation: kafkajs's `protocol({ topics })` hook is not told what the member currently owns, and
 * its consumer never shows the assigner the assignment it receives. So each instance reports what it
 * last learned about its own member: what it assigned to it while leading (recognised by the
 * `instanceId` it put in its userData), or what `onAssignment` was given (the twin's client calls
 * it; kafkajs's does not). Under real kafkajs a non-leader member therefore reports nothing or
 * ownership from an older generation, which the leader ignores; it loses stickiness, not safety,
 * since kafkajs's consumer gives up all partitions at every rebalance anyway.
 */
export const CooperativeStickyAssigner = ({ cluster }: AssignerContext): CooperativeStickyAssignerInstance => {
  const name = 'CooperativeStickyAssigner';
  const version = 0;
  const instanceId = randomUUID();
  let owned: TopicPartitions[] = [];
  let generation = DEFAULT_GENERATION;

  return {
    name,
    version,
    async assign({ members, topics }: { members: GroupMember[]; topics: string[] }): Promise<GroupMemberAssignment[]> {
      const decoded = members.map(({ memberId, memberMetadata }) => {
        const subscription = decodeSubscription(memberMetadata);
        const userData = decodeCooperativeUserData(subscription.userData);
        return {
          memberId,
          topics: subscription.topics,
          ownedPartitions: userData?.ownedPartitions ?? [],
          generation: userData?.generation ?? DEFAULT_GENERATION,
          instanceId: userData?.instanceId,
        };
      });
      const universe = topicUniverse(topics, decoded.map((m) => m.topics));
      const { assignment } = cooperativeStickyAssign(decoded, partitionsFromCluster(cluster, universe));
      const nextGeneration = decoded.reduce((a, m) => Math.max(a, m.generation), Math.max(generation, DEFAULT_GENERATION)) + 1;
      const self = decoded.find((m) => m.instanceId === instanceId);
      if (self !== undefined) {
        owned = toTopicPartitions(assignment[self.memberId]);
        generation = nextGeneration;
      }
      const userData = encodeAssignmentUserData(nextGeneration);
      return Object.keys(assignment).map((memberId) => ({
        memberId,
        memberAssignment: encodeMemberAssignment(version, assignment[memberId] as TopicAssignment, userData),
      }));
    },
    protocol({ topics }: { topics: string[] }) {
      return {
        name,
        metadata: encodeMemberMetadata(version, topics, encodeCooperativeUserData({ ownedPartitions: owned, generation, instanceId })),
      };
    },
    onAssignment(memberAssignment: Buffer): void {
      let decoded: ReturnType<typeof decodeMemberAssignmentStrict>;
      try {
        decoded = decodeMemberAssignmentStrict(memberAssignment);
      } catch {
        return;
      }
      if (decoded === null) {
        // An empty SyncGroup answer: the member was given nothing.
        owned = [];
        return;
      }
      owned = toTopicPartitions(decoded.assignment);
      const announced = decodeAssignmentUserData(decoded.userData);
      if (announced !== null) generation = announced;
    },
    ownership(): CooperativeOwnership {
      return { ownedPartitions: owned.map(({ topic, partitions }) => ({ topic, partitions: [...partitions] })), generation };
    },
  };
};
