/**
 * The Java client's cooperative-sticky idea: a balanced assignment that moves as few partitions as
 * balance allows, and never hands a partition to a new member in the same rebalance that takes it
 * from its old one. Such a partition is withheld: revoked from its owner now, assigned in the
 * follow-up rebalance, so no partition is ever owned by two members at once.
 *
 * Ownership reaches the leader in each member's metadata `userData`, as UTF-8 JSON:
 *
 * ```json
 * { "ownedPartitions": [{ "topic": "orders", "partitions": [0, 3] }], "generation": 7, "instanceId": "…" }
 * ```
 *
 * `generation` is the assignment generation the member's ownership comes from (-1, or absent, when
 * unknown). As in Java, claims from members whose generation is behind the newest one reported are
 * ignored: such a member missed a rebalance, and whatever it still believes it owns has since been
 * given out again. `instanceId` is optional and only lets an assigner instance recognise its own
 * member when it is the leader (see {@link CooperativeStickyAssigner}). Missing, empty or malformed
 * userData means the member owns nothing.
 *
 * The leader writes `{ "generation": n }` (UTF-8 JSON) into each member's assignment userData: the
 * generation the assignment belongs to, which the member reports back at its next join.
 */
import { randomUUID } from 'node:crypto';
import type { Assigner, GroupMember, GroupMemberAssignment } from 'kafkajs';
import {
  compareIds,
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
  type TopicPartition,
  type TopicPartitions,
} from './common.js';
import { decodeMemberAssignmentStrict } from '../../protocol/consumer-protocol.js';

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

/** The decoded form of a cooperative-sticky member's metadata userData. */
export interface CooperativeUserData extends CooperativeOwnership {
  /**
   * An opaque id of the assigner instance that wrote it, so that instance can find its own member
   * among the group's when it is the leader.
   * @defaultValue absent
   */
  readonly instanceId?: string;
}

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

/** The shape of the planning problem, by index: topics and members as sorted in the caller. */
interface PlanInput {
  readonly memberCount: number;
  /** Per topic, the indices of its subscribers, ascending. */
  readonly subscribers: readonly (readonly number[])[];
  /** Per partition, its topic's index; partitions are ordered by topic, then partition id. */
  readonly topicOf: readonly number[];
  /** Per partition, its sticky owner's index, or -1. */
  readonly owner: readonly number[];
}

/**
 * The balanced, sticky plan: for each partition the index of the member it goes to (-1 when no
 * member subscribes to its topic).
 *
 * It is a min-cost flow. Each partition sends one unit to a member subscribed to its topic, at cost 0
 * to its sticky owner and 1 to anyone else; each member passes its units on at convex cost
 * `BALANCE * load^2`. With `BALANCE` above the largest possible move count the optimum is
 * lexicographic: the most even loads first (the least sum of squared loads, which with equal
 * subscriptions means everyone within one of each other), then the fewest owned partitions moved.
 * That ordering is what makes withholding settle: after a rebalance that withheld partitions, the
 * previous plan is still optimal and moves nothing owned, so the follow-up moves nothing owned
 * either, whatever the subscriptions.
 *
 * Partitions of one topic differ only in who owns them, so the network has a node per topic (its
 * unowned partitions, and the way between any two of its subscribers) and one per (topic, owner),
 * not one per partition; that keeps each shortest-path search to about topics x members arcs.
 * Solved by successive shortest paths, one unit per partition in topic-then-partition order, ties to
 * the lower member index; the counts are then dealt out as partitions, round-robin within a topic,
 * owners keeping their lowest-numbered partitions.
 */
function plan({ memberCount, subscribers, topicOf, owner }: PlanInput): number[] {
  const topicCount = subscribers.length;
  const partitionCount = topicOf.length;

  // Group nodes: the partitions of one topic with one sticky owner.
  const groupOf = new Map<number, number>();
  const groupTopic: number[] = [];
  const groupMember: number[] = [];
  const groupsOfTopic: number[][] = Array.from({ length: topicCount }, () => []);
  const groupsOfMember: number[][] = Array.from({ length: memberCount }, () => []);
  for (let i = 0; i < partitionCount; i++) {
    const j = owner[i] as number;
    if (j < 0) continue;
    const t = topicOf[i] as number;
    const k = t * memberCount + j;
    if (groupOf.has(k)) continue;
    const g = groupTopic.length;
    groupOf.set(k, g);
    groupTopic.push(t);
    groupMember.push(j);
    (groupsOfTopic[t] as number[]).push(g);
    (groupsOfMember[j] as number[]).push(g);
  }
  const topicsOfMember: number[][] = Array.from({ length: memberCount }, () => []);
  subscribers.forEach((js, t) => {
    for (const j of js) (topicsOfMember[j] as number[]).push(t);
  });

  const groupCount = groupTopic.length;
  const hubBase = groupCount;
  const memberBase = groupCount + topicCount;
  const nodeCount = memberBase + memberCount;
  const keep = new Int32Array(groupCount); // flow group -> its owner
  const release = new Int32Array(groupCount); // flow group -> its topic's hub
  const hub = new Int32Array(topicCount * memberCount); // flow hub(t) -> member j, at t * memberCount + j
  const load = new Int32Array(memberCount);
  const balance = partitionCount + 1;

  const dist = new Float64Array(nodeCount);
  const pred = new Int32Array(nodeCount);
  const queued = new Uint8Array(nodeCount);
  const queue: number[] = [];

  for (let i = 0; i < partitionCount; i++) {
    const t = topicOf[i] as number;
    if ((subscribers[t] as readonly number[]).length === 0) continue;
    const j0 = owner[i] as number;
    const source = j0 >= 0 ? (groupOf.get(t * memberCount + j0) as number) : hubBase + t;

    // Bellman-Ford with a queue: giving a partition back to its owner's group has cost -1, so
    // Dijkstra does not apply; successive shortest paths keep the residual graph free of negative
    // cycles, so this terminates.
    dist.fill(Number.POSITIVE_INFINITY);
    dist[source] = 0;
    queue.length = 0;
    queue.push(source);
    queued[source] = 1;
    const relax = (u: number, v: number, cost: number): void => {
      const d = (dist[u] as number) + cost;
      if (d < (dist[v] as number)) {
        dist[v] = d;
        pred[v] = u;
        if (queued[v] === 0) {
          queued[v] = 1;
          queue.push(v);
        }
      }
    };
    for (let head = 0; head < queue.length; head++) {
      const u = queue[head] as number;
      queued[u] = 0;
      if (u < hubBase) {
        relax(u, memberBase + (groupMember[u] as number), 0);
        relax(u, hubBase + (groupTopic[u] as number), 1);
      } else if (u < memberBase) {
        const tu = u - hubBase;
        for (const j of subscribers[tu] as readonly number[]) relax(u, memberBase + j, 0);
        for (const g of groupsOfTopic[tu] as number[]) if ((release[g] as number) > 0) relax(u, g, -1);
      } else {
        const j = u - memberBase;
        for (const g of groupsOfMember[j] as number[]) if ((keep[g] as number) > 0) relax(u, g, 0);
        for (const tj of topicsOfMember[j] as number[]) if ((hub[tj * memberCount + j] as number) > 0) relax(u, hubBase + tj, 0);
      }
    }

    let target = -1;
    let best = Number.POSITIVE_INFINITY;
    for (let j = 0; j < memberCount; j++) {
      const total = (dist[memberBase + j] as number) + balance * (2 * (load[j] as number) + 1);
      if (total < best) {
        best = total;
        target = j;
      }
    }
    load[target] = (load[target] as number) + 1;
    for (let v = memberBase + target; v !== source; ) {
      const u = pred[v] as number;
      if (u < hubBase) {
        if (v >= memberBase) keep[u] = (keep[u] as number) + 1;
        else release[u] = (release[u] as number) + 1;
      } else if (u < memberBase) {
        if (v >= memberBase) hub[(u - hubBase) * memberCount + (v - memberBase)] += 1;
        else release[v] = (release[v] as number) - 1;
      } else if (v < hubBase) {
        keep[v] = (keep[v] as number) - 1;
      } else {
        hub[(v - hubBase) * memberCount + (u - memberBase)] -= 1;
      }
      v = u;
    }
  }

  // Turn counts into partitions.
  const assigned: number[] = new Array<number>(partitionCount).fill(-1);
  const pools: number[][] = Array.from({ length: topicCount }, () => []);
  const keptSoFar = new Int32Array(groupCount);
  for (let i = 0; i < partitionCount; i++) {
    const t = topicOf[i] as number;
    const j = owner[i] as number;
    if (j < 0) {
      (pools[t] as number[]).push(i);
      continue;
    }
    const g = groupOf.get(t * memberCount + j) as number;
    if ((keptSoFar[g] as number) < (keep[g] as number)) {
      keptSoFar[g] = (keptSoFar[g] as number) + 1;
      assigned[i] = j;
    } else {
      (pools[t] as number[]).push(i);
    }
  }
  pools.forEach((pool, t) => {
    const js = subscribers[t] as readonly number[];
    const quota = js.map((j) => hub[t * memberCount + j] as number);
    let k = 0;
    for (const i of pool) {
      while ((quota[k] as number) === 0) k = (k + 1) % js.length;
      assigned[i] = js[k] as number;
      quota[k] = (quota[k] as number) - 1;
      k = (k + 1) % js.length;
    }
  });
  return assigned;
}

/**
 * Encodes ownership as cooperative-sticky metadata userData (UTF-8 JSON; see the module comment).
 *
 * @param data - What the member owns, the generation it comes from, and optionally the instance id.
 */
export function encodeCooperativeUserData(data: CooperativeUserData): Buffer {
  const body: { ownedPartitions: Array<{ topic: string; partitions: number[] }>; generation: number; instanceId?: string } = {
    ownedPartitions: data.ownedPartitions.map(({ topic, partitions }) => ({ topic, partitions: [...partitions] })),
    generation: data.generation,
  };
  if (data.instanceId !== undefined) body.instanceId = data.instanceId;
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/**
 * Decodes cooperative-sticky metadata userData.
 *
 * @param userData - The userData from a member's `MemberMetadata`.
 * @returns `null` for missing, empty or malformed input — such a member owns nothing. A missing
 *   `generation` reads as {@link DEFAULT_GENERATION}.
 */
export function decodeCooperativeUserData(userData: Buffer | null | undefined): CooperativeUserData | null {
  const parsed = parseJson(userData);
  if (parsed === null || !Array.isArray(parsed['ownedPartitions'])) return null;
  const ownedPartitions: TopicPartitions[] = [];
  for (const entry of parsed['ownedPartitions'] as unknown[]) {
    if (typeof entry !== 'object' || entry === null) return null;
    const { topic, partitions } = entry as Record<string, unknown>;
    if (typeof topic !== 'string' || !Array.isArray(partitions) || !partitions.every(isPartitionId)) return null;
    ownedPartitions.push({ topic, partitions: [...(partitions as number[])] });
  }
  const generation = parsed['generation'] ?? DEFAULT_GENERATION;
  if (!Number.isSafeInteger(generation)) return null;
  const instanceId = parsed['instanceId'];
  if (instanceId !== undefined && typeof instanceId !== 'string') return null;
  return instanceId === undefined
    ? { ownedPartitions, generation: generation as number }
    : { ownedPartitions, generation: generation as number, instanceId };
}

function isPartitionId(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0x7fffffff;
}

function parseJson(buffer: Buffer | null | undefined): Record<string, unknown> | null {
  if (buffer === null || buffer === undefined || buffer.length === 0) return null;
  try {
    const value: unknown = JSON.parse(buffer.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function encodeAssignmentUserData(generation: number): Buffer {
  return Buffer.from(JSON.stringify({ generation }), 'utf8');
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
      const fromLeader = parseJson(decoded.userData);
      const announced = fromLeader?.['generation'];
      if (typeof announced === 'number' && Number.isSafeInteger(announced)) generation = announced;
    },
    ownership(): CooperativeOwnership {
      return { ownedPartitions: owned.map(({ topic, partitions }) => ({ topic, partitions: [...partitions] })), generation };
    },
  };
};
