/**
 * Where a group lives (FindCoordinator, and the routing check every group request goes through):
 * `__consumer_offsets` is created on the first group request, a group maps to one of its
 * partitions by the hash of its id, and that partition's leader is the group's coordinator. Kafka's
 * `onElection` loads a partition's groups on its new leader from the records they stored, and
 * `onResignation` unloads them, failing their parked requests with NOT_COORDINATOR.
 */
import { failure, isFailure, kafkaError, unreachable, type Failure, type Unreachable } from '../../protocol/errors.js';
import { partitionForGroup } from '../../protocol/hashing.js';
import { GroupMember } from './group.js';
import { cancelHeartbeat, scheduleHeartbeat } from './membership.js';
import { findCoordinatorFailure, joinFailure, OK, syncFailure, type FindCoordinatorAnswer, type PartitionForAnswer } from './messages.js';
import { cancelJoinTimer, prepareRebalance } from './rebalance.js';
import { OFFSETS_TOPIC } from './port.js';
import type { GroupEntry, GroupRecord, GroupShard } from './shard.js';
import { RETENTION_KEY, sessionKey, syncKey } from './timer.js';

/** The group APIs, as routing names them. */
export type GroupApi =
  | 'JoinGroup'
  | 'SyncGroup'
  | 'Heartbeat'
  | 'LeaveGroup'
  | 'OffsetCommit'
  | 'TxnOffsetCommit'
  | 'OffsetFetch'
  | 'OffsetDelete'
  | 'DescribeGroups'
  | 'DeleteGroups';

/**
 * FindCoordinator for a group: the broker leading the group's `__consumer_offsets` partition.
 * Creates `__consumer_offsets` on first use. GROUP_COORDINATOR_NOT_AVAILABLE when that partition
 * has no leader (or the topic cannot be created: no broker is running).
 */
export function findCoordinator(shard: GroupShard, groupId: string, broker: number | undefined): FindCoordinatorAnswer {
  if (broker !== undefined) {
    const down = checkReachable(shard, broker);
    if (down !== undefined) return findCoordinatorFailure(down);
  }
  if (typeof groupId !== 'string') return findCoordinatorFailure(failure('INVALID_REQUEST', `A group id must be a string, got ${typeof groupId}`));
  const topic = ensureOffsetsTopic(shard);
  if ('errorCode' in topic) return findCoordinatorFailure(topic);
  const partition = partitionForGroup(groupId, topic.partitions);
  const leader = topic.leaders[partition]!;
  if (leader === -1) return findCoordinatorFailure(noLeader(groupId, partition));
  const node = shard.port.brokers().find((b) => b.nodeId === leader)!;
  return { ...OK, nodeId: node.nodeId, host: node.host, port: node.port };
}

/** The `__consumer_offsets` partition a group maps to (creating the topic on first use). */
export function partitionFor(shard: GroupShard, groupId: string): PartitionForAnswer {
  const topic = ensureOffsetsTopic(shard);
  if ('errorCode' in topic) return { ...topic, partition: -1 };
  return { ...OK, partition: partitionForGroup(groupId, topic.partitions) };
}

/**
 * Checks a group request as the broker receiving it would: reachable, a valid group id, and sent
 * to the group's coordinator. Undefined when the request may go on; otherwise the failure.
 */
export function route(shard: GroupShard, groupId: unknown, broker: number | undefined, api: GroupApi): Failure | undefined {
  if (broker !== undefined) {
    const down = checkReachable(shard, broker);
    if (down !== undefined) return down;
  }
  // Offset and admin APIs accept the empty group id for backward compatibility; the group
  // membership APIs need a real one.
  const lenient = api === 'OffsetCommit' || api === 'OffsetFetch' || api === 'DescribeGroups' || api === 'DeleteGroups';
  if (typeof groupId !== 'string' || (!lenient && groupId.length === 0)) {
    return failure('INVALID_GROUP_ID', `The group id ${JSON.stringify(groupId)} is not valid for ${api}`);
  }
  const topic = ensureOffsetsTopic(shard);
  if ('errorCode' in topic) return topic;
  const partition = partitionForGroup(groupId, topic.partitions);
  const leader = topic.leaders[partition]!;
  if (broker !== undefined) {
    if (leader === broker) return undefined;
    return failure(
      'NOT_COORDINATOR_FOR_GROUP',
      `Broker ${broker} is not the coordinator for group ${groupId}: ${leader === -1 ? `${OFFSETS_TOPIC}-${partition} has no leader` : `broker ${leader} is`}`,
    );
  }
  if (leader === -1) return noLeader(groupId, partition);
  return checkReachable(shard, leader);
}

function noLeader(groupId: string, partition: number): Failure {
  return failure('GROUP_COORDINATOR_NOT_AVAILABLE', `The coordinator for group ${groupId} is not available: ${OFFSETS_TOPIC}-${partition} has no leader`);
}

/** A request to a stopped or isolated broker gets no answer. An unknown broker id is the caller's bug: RangeError. */
export function checkReachable(shard: GroupShard, brokerId: number): Unreachable | undefined {
  const brokers = shard.port.brokers();
  const broker = brokers.find((b) => b.nodeId === brokerId);
  if (broker === undefined) {
    const ids = brokers.map((b) => b.nodeId);
    throw new RangeError(`unknown broker ${String(brokerId)}: this cluster has broker${ids.length === 1 ? '' : 's'} ${ids.join(', ')}`);
  }
  if (broker.status === 'stopped') return unreachable(brokerId, 'stopped');
  if (broker.status === 'isolated') return unreachable(brokerId, 'isolated from the network');
  return undefined;
}

/**
 * Creates `__consumer_offsets` on first use. The replication factor is capped at the number of
 * running brokers, where Kafka would refuse until `offsets.topic.replication.factor` brokers exist.
 */
function ensureOffsetsTopic(shard: GroupShard): { readonly partitions: number; readonly leaders: readonly number[] } | Failure {
  if (shard.offsetsTopic !== undefined) return shard.offsetsTopic;
  const running = shard.port.brokers().filter((b) => b.status !== 'stopped').length;
  if (running === 0) return failure('GROUP_COORDINATOR_NOT_AVAILABLE', `Cannot create ${OFFSETS_TOPIC}: no broker is running`);
  const created = shard.port.createOffsetsTopic(
    shard.config['offsets.topic.num.partitions'],
    Math.min(shard.config['offsets.topic.replication.factor'], running),
  );
  if (isFailure(created)) {
    return failure('GROUP_COORDINATOR_NOT_AVAILABLE', `Cannot create ${OFFSETS_TOPIC}: ${created.errorMessage ?? kafkaError(created.errorCode).message}`);
  }
  if (shard.offsetsTopic === undefined) throw new Error(`invariant: ${OFFSETS_TOPIC} was created without onOffsetsTopicCreated`);
  return shard.offsetsTopic;
}

/** `__consumer_offsets` was created: its partitions have no leader until elections say so. */
export function onOffsetsTopicCreated(shard: GroupShard, partitions: number): void {
  shard.offsetsTopic = { partitions, leaders: new Array<number>(partitions).fill(-1) };
}

/**
 * The leader of a `__consumer_offsets` partition is now `leader` (-1: none, Kafka's resignation
 * without a new election): its groups leave the previous leader (Kafka's `onResignation` there)
 * and are loaded on the new one from what they stored (Kafka's `onElection`).
 */
export function moveCoordinator(shard: GroupShard, partition: number, leader: number, records: GroupRecord[]): void {
  const topic = shard.offsetsTopic;
  if (topic === undefined || partition >= topic.partitions) return;
  const previous = topic.leaders[partition]!;
  topic.leaders[partition] = leader;
  if (previous === leader) return;
  for (const entry of [...shard.entries.values()]) {
    if (entry.partition !== partition) continue;
    const generationId = entry.group?.generationId ?? entry.stored?.generationId ?? 0;
    unload(shard, entry, `coordinator moved from broker ${previous} to ${leader}`);
    if (entry.stored === undefined && entry.offsets.size === 0) {
      // Nothing of the group was ever written: the next coordinator does not know it.
      shard.entries.delete(entry.groupId);
      shard.record({ type: 'group-coordinator-moved', groupId: entry.groupId, generationId, partition, from: previous, to: leader });
      continue;
    }
    if (leader !== -1) load(shard, entry, records);
    shard.record({
      type: 'group-coordinator-moved',
      groupId: entry.groupId,
      generationId: entry.group?.generationId ?? generationId,
      partition,
      from: previous,
      to: leader,
    });
  }
}

/** `__consumer_offsets` was deleted: every group goes, with what it stored. */
export function onOffsetsTopicDeleted(shard: GroupShard): void {
  for (const entry of [...shard.entries.values()]) unload(shard, entry, `${OFFSETS_TOPIC} was deleted`);
  shard.entries.clear();
  shard.offsetsTopic = undefined;
  shard.timers.cancel(RETENTION_KEY);
}

/** Rebuilds a group on a new coordinator from what was stored: Stable with its members, or Empty. */
function load(shard: GroupShard, entry: GroupEntry, records: GroupRecord[]): void {
  const stored = entry.stored;
  const group = shard.newGroup(entry.groupId, stored !== undefined && stored.members.length > 0 ? 'Stable' : 'Empty');
  if (stored !== undefined) {
    for (const m of stored.members) {
      const member = new GroupMember(
        m.memberId,
        m.groupInstanceId,
        m.clientId,
        m.clientHost,
        m.rebalanceTimeoutMs,
        m.sessionTimeoutMs,
        stored.protocolType ?? '',
        [{ name: stored.protocolName ?? '', metadata: m.metadata }],
      );
      member.assignment = m.assignment;
      group.add(member);
    }
    group.generationId = stored.generationId;
    group.protocolType = stored.protocolType;
    group.protocolName = stored.protocolName;
    group.leaderId = stored.leaderId;
    group.stateTimestamp = stored.stateTimestamp;
    group.subscribedTopics = group.computeSubscribedTopics();
  }
  entry.group = group;
  for (const m of group.allMembers()) scheduleHeartbeat(shard, group, m);
  if (group.size > shard.config['group.max.size']) {
    prepareRebalance(
      shard,
      group,
      `Freshly-loaded group is over capacity (group.max.size=${shard.config['group.max.size']}); rebalancing to give members a chance to commit offsets`,
      records,
    );
  }
}

/** Drops a group from its coordinator: its timers go, parked requests fail with NOT_COORDINATOR so clients rediscover it. */
function unload(shard: GroupShard, entry: GroupEntry, reason: string): void {
  const group = entry.group;
  if (group === undefined) return;
  entry.group = undefined;
  cancelJoinTimer(shard, group);
  shard.timers.cancel(syncKey(group.groupId));
  for (const memberId of group.allPendingMembers()) shard.timers.cancel(sessionKey(group.groupId, memberId));
  group.transitionTo('Dead', reason);
  const notCoordinator = failure(
    'NOT_COORDINATOR_FOR_GROUP',
    `This broker is no longer the coordinator for group ${group.groupId} (${reason}); find the coordinator again`,
  );
  for (const member of group.allMembers()) {
    cancelHeartbeat(shard, group, member);
    group.completeJoin(member, joinFailure(notCoordinator, member.memberId));
    group.completeSync(member, syncFailure(notCoordinator));
  }
}
