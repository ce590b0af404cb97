/**
 * Partition reassignment (KIP-455: AlterPartitionReassignments, ListPartitionReassignments), as
 * Kafka 3.9's KRaft controller does it (ReplicationControlManager, PartitionReassignmentReplicas,
 * PartitionChangeBuilder):
 *
 * 1. The request validates the target replicas, then sets the partition's replicas to the targets
 *    followed by the replicas being removed, with `adding` (targets that were not replicas) and
 *    `removing` (replicas that are not targets), each in ascending id order.
 * 2. The adding replicas fetch from the leader like any follower and join the ISR once caught up.
 * 3. As soon as the ISR, less the removing replicas, holds every target replica, the removing
 *    replicas leave the replicas and the ISR (their logs are deleted), and a leader that is no
 *    longer a replica (or not in the ISR) hands over to the first target replica in the ISR.
 *
 * A reassignment that only reorders replicas, or only removes in-sync ones, completes at once.
 * A null target cancels: the adding replicas are dropped and the others stay, in the order they
 * have (the targets kept, then the removing ones), which is not necessarily the order before.
 *
 * The twin replicates instantly (replication.ts), so a reassignment onto running brokers completes
 * within the request; it stays in progress while a target broker is stopped or isolated.
 */
import { failure, NONE, type Failure } from '../protocol/errors.js';
import { electAfterReassignment } from './controller.js';
import { ReplicaLog } from './log.js';
import { replicate, updateHighWatermark } from './replication.js';
import type { Answer, EngineState, Partition } from './state.js';

/** One partition of an AlterPartitionReassignments request: the target replicas, or null to cancel. */
export interface ReassignablePartition {
  readonly partitionIndex: number;
  readonly replicas: readonly number[] | null;
}

/** One topic of an AlterPartitionReassignments request. */
export interface ReassignableTopic {
  readonly name: string;
  readonly partitions: readonly ReassignablePartition[];
}

/** AlterPartitionReassignments' answer for one topic: each partition's error (0: accepted). */
export interface ReassignableTopicAnswer {
  readonly name: string;
  readonly partitions: readonly (Answer & { readonly partitionIndex: number })[];
}

/** One partition of a ListPartitionReassignments request's topics. */
export interface ListReassignmentsTopic {
  readonly name: string;
  readonly partitionIndexes: readonly number[];
}

/** A reassignment in progress, as ListPartitionReassignments lists it. */
export interface OngoingPartitionReassignment {
  readonly partitionIndex: number;
  /** Every replica: the targets, then the ones being removed. */
  readonly replicas: readonly number[];
  readonly addingReplicas: readonly number[];
  readonly removingReplicas: readonly number[];
}

/** A topic with reassignments in progress. */
export interface OngoingTopicReassignment {
  readonly name: string;
  readonly partitions: readonly OngoingPartitionReassignment[];
}

/**
 * AlterPartitionReassignments: each partition on its own, in request order; each answers its own
 * error and a rejected one changes nothing.
 */
export function alterPartitionReassignments(s: EngineState, topics: readonly ReassignableTopic[]): ReassignableTopicAnswer[] {
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((r) => {
      const answer = alterOne(s, t.name, r.partitionIndex, r.replicas);
      return { partitionIndex: r.partitionIndex, errorCode: answer?.errorCode ?? NONE, errorMessage: answer?.errorMessage ?? null };
    }),
  }));
}

function alterOne(s: EngineState, topicName: string, index: number, replicas: readonly number[] | null): Failure | undefined {
  const topic = s.topics.get(topicName);
  if (topic === undefined) return failure('UNKNOWN_TOPIC_OR_PARTITION', `Unable to find a topic named ${topicName}.`);
  const p = Number.isInteger(index) ? topic.partitions[index] : undefined;
  if (p === undefined) return failure('UNKNOWN_TOPIC_OR_PARTITION', `Unable to find partition ${topicName}:${String(index)}.`);
  return replicas === null ? cancel(s, p) : change(s, p, replicas);
}

/** Kafka's checks of a manual assignment, in its order: over the ids sorted, unregistered before repeated. */
function invalidTarget(s: EngineState, target: readonly number[]): Failure | undefined {
  const bad = (why: string) => failure('INVALID_REPLICA_ASSIGNMENT', why);
  if (!Array.isArray(target) || target.length === 0) return bad('The manual partition assignment includes an empty replica list.');
  let previous: number | undefined;
  for (const b of [...target].sort((x, y) => x - y)) {
    if (typeof b !== 'number' || !s.brokersById.has(b))
      return bad(`The manual partition assignment includes broker ${String(b)}, but no such broker is registered.`);
    if (b === previous) return bad(`The manual partition assignment includes the broker ${b} more than once.`);
    previous = b;
  }
  return undefined;
}

/** The ids of `a` not in `b`, ascending. */
function missingFrom(a: readonly number[], b: readonly number[]): number[] {
  return a.filter((x) => !b.includes(x)).sort((x, y) => x - y);
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function change(s: EngineState, p: Partition, target: readonly number[]): Failure | undefined {
  const invalid = invalidTarget(s, target);
  if (invalid !== undefined) return invalid;
  // Measured against the replicas as they are, so a reassignment replacing one in progress
  // counts the replicas the earlier one was adding as current.
  const removing = missingFrom(p.replicas, target);
  const adding = missingFrom(target, p.replicas);
  const replicas = [...target, ...removing];
  // Kafka's controller replaces the lists in progress only with non-empty ones: a new target that
  // adds and removes nothing keeps the earlier reassignment's lists (ReplicationControlManager).
  const nextAdding = adding.length > 0 ? adding : (p.reassignment?.adding ?? []);
  const nextRemoving = removing.length > 0 ? removing : (p.reassignment?.removing ?? []);
  const before = p.reassignment;
  if (sameList(replicas, p.replicas) && sameList(nextAdding, before?.adding ?? []) && sameList(nextRemoving, before?.removing ?? [])) return undefined;
  const now = s.clock.now();
  for (const b of replicas) {
    if (!p.replicaStates.has(b)) p.replicaStates.set(b, { broker: b, log: new ReplicaLog(0, now), lastCaughtUpTime: now, mustTruncate: false });
  }
  p.replicas = replicas;
  p.reassignment = nextAdding.length > 0 || nextRemoving.length > 0 ? { adding: nextAdding, removing: nextRemoving } : undefined;
  p.isr = inReplicaOrder(p, p.isr);
  p.topic.metadata = undefined;
  s.log.record({
    type: 'reassignment-started',
    topic: p.topic.name,
    partition: p.index,
    target: [...target],
    replicas: [...replicas],
    adding: [...nextAdding],
    removing: [...nextRemoving],
  });
  if (p.reassignment === undefined) finish(s, p, []);
  else completeIfInSync(s, p);
  // The new replicas fetch from the leader; once they are in the ISR, replication's hook completes it.
  if (p.reassignment !== undefined) replicate(s, p);
  return undefined;
}

/**
 * Completes the partition's reassignment if its target replicas are all in the ISR (counting
 * only replicas that are not being removed, of which at least one must be in sync).
 */
export function completeIfInSync(s: EngineState, p: Partition): void {
  const r = p.reassignment;
  if (r === undefined) return;
  const isr = p.isr.filter((b) => !r.removing.includes(b));
  const replicas = p.replicas.filter((b) => !r.removing.includes(b));
  if (isr.length === 0 || replicas.length === 0 || !replicas.every((b) => isr.includes(b))) return;
  const removed = p.replicas.filter((b) => !replicas.includes(b));
  p.replicas = replicas;
  p.reassignment = undefined;
  p.isr = inReplicaOrder(p, isr);
  finish(s, p, removed);
}

/** The end of a reassignment: removed replicas' logs go, the leader is settled, the high watermark follows the new ISR. */
function finish(s: EngineState, p: Partition, removed: readonly number[]): void {
  for (const b of removed) p.replicaStates.delete(b);
  p.topic.metadata = undefined;
  electAfterReassignment(s, p, removed.length > 0);
  s.log.record({
    type: 'reassignment-completed',
    topic: p.topic.name,
    partition: p.index,
    replicas: [...p.replicas],
    isr: [...p.isr],
    leader: p.leader,
    removed: [...removed],
  });
  updateHighWatermark(s, p);
}

/**
 * Cancels the reassignment in progress (Kafka's PartitionReassignmentRevert): the adding replicas
 * leave the replicas and the ISR. When only adding replicas were in sync, the first remaining
 * replica becomes the ISR, which is an unclean election: refused (INVALID_REPLICA_ASSIGNMENT)
 * unless the topic enables `unclean.leader.election.enable`.
 */
function cancel(s: EngineState, p: Partition): Failure | undefined {
  const r = p.reassignment;
  // Kafka 3.9 answers this one with no message (its exception carries just the code's description).
  if (r === undefined) return failure('NO_REASSIGNMENT_IN_PROGRESS');
  const replicas = p.replicas.filter((b) => !r.adding.includes(b));
  let isr = p.isr.filter((b) => !r.adding.includes(b));
  if (isr.length === 0) {
    if (!p.topic.config['unclean.leader.election.enable']) {
      return failure(
        'INVALID_REPLICA_ASSIGNMENT',
        `Unable to revert partition assignment for ${p.topic.name}:${p.index} because it would require an unclean leader election.`,
      );
    }
    isr = [replicas[0]!];
  }
  p.replicas = replicas;
  p.reassignment = undefined;
  p.isr = inReplicaOrder(p, isr);
  for (const b of r.adding) p.replicaStates.delete(b);
  p.topic.metadata = undefined;
  electAfterReassignment(s, p, r.adding.length > 0);
  s.log.record({
    type: 'reassignment-cancelled',
    topic: p.topic.name,
    partition: p.index,
    replicas: [...p.replicas],
    isr: [...p.isr],
    leader: p.leader,
    removed: [...r.adding],
  });
  updateHighWatermark(s, p);
  return undefined;
}

/** The twin keeps every ISR in assignment order. */
function inReplicaOrder(p: Partition, brokers: readonly number[]): number[] {
  return [...brokers].sort((a, b) => p.replicas.indexOf(a) - p.replicas.indexOf(b));
}

/**
 * ListPartitionReassignments: the reassignments in progress. With no topics, every one (topics in
 * creation order, partitions by index); otherwise the partitions asked for, in the request's
 * order, leaving out unknown topics and partitions and those not being reassigned.
 */
export function listPartitionReassignments(s: EngineState, topics: readonly ListReassignmentsTopic[] | null): OngoingTopicReassignment[] {
  const asked =
    topics === null
      ? [...s.topics.values()].map((t) => ({ topic: t, indexes: t.partitions.map((p) => p.index) }))
      : topics.flatMap((t) => {
          const topic = s.topics.get(t.name);
          return topic === undefined ? [] : [{ topic, indexes: t.partitionIndexes }];
        });
  const out: OngoingTopicReassignment[] = [];
  for (const { topic, indexes } of asked) {
    const partitions: OngoingPartitionReassignment[] = [];
    for (const i of indexes) {
      const p = topic.partitions[i];
      if (p?.reassignment === undefined) continue;
      partitions.push({
        partitionIndex: p.index,
        replicas: [...p.replicas],
        addingReplicas: [...p.reassignment.adding],
        removingReplicas: [...p.reassignment.removing],
      });
    }
    if (partitions.length > 0) out.push({ name: topic.name, partitions });
  }
  return out;
}
