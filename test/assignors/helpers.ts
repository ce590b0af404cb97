/** Shared fixtures for the assignor specs: a fake cluster, a fake logger and fast-check arbitraries. */
import fc from 'fast-check';
import kafkajs from 'kafkajs';
import type { Cluster, GroupMember, Logger, PartitionMetadata } from 'kafkajs';
import type { GroupAssignment, TopicAssignment } from '../../client/assignors/index.js';

const { AssignerProtocol } = kafkajs;

/** A cluster stand-in that knows only partition lists, in the order given. */
export function fakeCluster(partitionsByTopic: ReadonlyMap<string, readonly number[]>): Cluster {
  const cluster = {
    findTopicPartitionMetadata(topic: string): PartitionMetadata[] {
      return (partitionsByTopic.get(topic) ?? []).map((partitionId) => ({
        partitionErrorCode: 0,
        partitionId,
        leader: 0,
        replicas: [0],
        isr: [0],
      }));
    },
  };
  return cluster as unknown as Cluster;
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  info: () => {},
  error: () => {},
  warn: () => {},
  debug: () => {},
  namespace: () => silentLogger,
  setLogLevel: () => {},
};

/** A group member whose metadata is kafkajs's MemberMetadata encoding. */
export function memberWithMetadata(memberId: string, topics: readonly string[], userData: Buffer = Buffer.alloc(0)): GroupMember {
  return { memberId, memberMetadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics: [...topics], userData }) };
}

/** Decodes kafkajs's assigner output into plain data for comparisons. */
export function decodeAssignments(encoded: ReadonlyArray<{ memberId: string; memberAssignment: Buffer }>): Record<string, TopicAssignment> {
  const result: Record<string, TopicAssignment> = {};
  for (const { memberId, memberAssignment } of encoded) {
    const decoded = AssignerProtocol.MemberAssignment.decode(memberAssignment);
    result[memberId] = decoded === null ? {} : { ...decoded.assignment };
  }
  return result;
}

/** Every assigned partition, keyed `topic + '\u0000' + partition`, with the members holding it. */
export function owners(assignment: GroupAssignment): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const memberId of Object.keys(assignment)) {
    const share = assignment[memberId] as TopicAssignment;
    for (const topic of Object.keys(share)) {
      for (const partition of share[topic] as number[]) {
        const key = `${topic}\u0000${partition}`;
        result.set(key, [...(result.get(key) ?? []), memberId]);
      }
    }
  }
  return result;
}

/** Total partitions in one member's share. */
export function total(share: TopicAssignment | undefined): number {
  if (share === undefined) return 0;
  return Object.values(share).reduce((n, ps) => n + ps.length, 0);
}

/** Member ids, including ones JavaScript orders specially (integer-like) or that name Object.prototype members. */
export const memberIdArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ minLength: 1, maxLength: 10 }),
  fc.nat({ max: 200 }).map(String),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'consumer-1', 'consumer-10', 'consumer-2', 'Consumer-1'),
  fc.uuid().map((u) => `client-${u}`),
);

/** Topic names, including integer-like ones whose object-key order differs from insertion order. */
export const topicArb: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[a-zA-Z0-9._-]{1,12}$/),
  fc.nat({ max: 50 }).map(String),
);

/** Partition ids 0..n-1 in a random order, as metadata may list them. */
export const shuffledPartitionsArb: fc.Arbitrary<number[]> = fc
  .integer({ min: 0, max: 12 })
  .chain((n) => fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }));
