/**
 * The administrator's view of groups: DescribeGroups (a code per group), ListGroups and
 * DeleteGroups (a code per group), and removing a group with what it stored (by DeleteGroups or
 * once an Empty group's last offsets expired).
 */
import { failure, type ErrorPart } from '../../protocol/errors.js';
import { assertNever, type ClassicGroup, type GroupState } from './group.js';
import { describeFailure, OK, type DeleteGroupAnswer, type DescribeGroupAnswer, type GroupOverview, type ListGroupsAnswer } from './messages.js';
import { checkReachable, route } from './placement.js';
import type { CoordinatorResult, GroupShard } from './shard.js';

const EMPTY = Buffer.alloc(0);

/**
 * DescribeGroups for one group. A group that does not exist is reported as `Dead` with no
 * members, as Kafka does. Member metadata, assignments and the protocol are empty unless the
 * group is Stable.
 */
export function describeGroup(shard: GroupShard, groupId: string, broker: number | undefined): DescribeGroupAnswer {
  const misrouted = route(shard, groupId, broker, 'DescribeGroups');
  if (misrouted !== undefined) return describeFailure(groupId, misrouted);
  const group = shard.getGroup(groupId);
  if (group === undefined) return { ...OK, groupId, state: 'Dead', protocolType: '', protocol: '', members: [], generationId: -1, leaderId: null };
  const stable = group.is('Stable');
  return {
    ...OK,
    groupId,
    state: group.currentState,
    protocolType: group.protocolType ?? '',
    protocol: stable ? (group.protocolName ?? '') : '',
    members: group.allMembers().map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      memberMetadata: stable ? m.metadata(group.protocolName!) : EMPTY,
      memberAssignment: stable ? m.assignment : EMPTY,
    })),
    generationId: group.generationId,
    leaderId: group.leaderId,
  };
}

/**
 * ListGroups: every group loaded on a reachable coordinator (only `broker`'s when given),
 * optionally only those in `states`.
 */
export function listGroups(shard: GroupShard, broker: number | undefined, states: readonly GroupState[] | undefined): ListGroupsAnswer {
  if (broker !== undefined) {
    const down = checkReachable(shard, broker);
    if (down !== undefined) return { ...down, groups: [] };
  }
  const running = new Set(
    shard.port
      .brokers()
      .filter((b) => b.status === 'running')
      .map((b) => b.nodeId),
  );
  const groups: GroupOverview[] = [];
  for (const entry of shard.entries.values()) {
    const group = entry.group;
    if (group === undefined || group.is('Dead')) continue;
    const coordinator = shard.offsetsTopic!.leaders[entry.partition]!;
    if (broker !== undefined ? coordinator !== broker : !running.has(coordinator)) continue;
    if (states !== undefined && states.length > 0 && !states.includes(group.currentState)) continue;
    groups.push({ groupId: entry.groupId, protocolType: group.protocolType ?? '', groupState: group.currentState });
  }
  return { ...OK, groups };
}

/**
 * DeleteGroups for one group: removes an empty group and its offsets. GROUP_ID_NOT_FOUND when
 * unknown, NON_EMPTY_GROUP while it has members, or the routing failure.
 */
export function deleteGroup(shard: GroupShard, groupId: string, broker: number | undefined): CoordinatorResult<DeleteGroupAnswer> {
  const refuse = (error: ErrorPart) => ({ response: { groupId, ...error }, records: [] });
  const misrouted = route(shard, groupId, broker, 'DeleteGroups');
  if (misrouted !== undefined) return refuse(misrouted);
  const group = shard.getGroup(groupId);
  if (group === undefined) return refuse(failure('GROUP_ID_NOT_FOUND', `Group ${groupId} does not exist`));
  const state = group.currentState;
  switch (state) {
    case 'Dead':
      return refuse(failure('GROUP_ID_NOT_FOUND', `Group ${groupId} does not exist`));
    case 'Empty':
      return { ...removeGroup(shard, group, 'delete-groups'), response: { groupId, ...OK } };
    case 'Stable':
    case 'PreparingRebalance':
    case 'CompletingRebalance':
      return refuse(failure('NON_EMPTY_GROUP', `Group ${groupId} is ${state} with ${group.size} member(s); only an empty group can be deleted`));
    default:
      return assertNever(state, 'group state');
  }
}

/** The group goes Dead; tombstones for its offsets and its metadata remove it with what it stored. */
export function removeGroup(shard: GroupShard, group: ClassicGroup, reason: 'delete-groups' | 'expired'): CoordinatorResult<void> {
  const { groupId } = group;
  group.transitionTo('Dead', reason === 'expired' ? 'offsets expired' : 'deleted');
  const entry = shard.entries.get(groupId)!;
  const offsets = [...entry.offsets].flatMap(([topic, byPartition]) =>
    [...byPartition.keys()].map((partition) => ({ type: 'offset-tombstone' as const, groupId, topic, partition })),
  );
  return {
    response: undefined,
    records: [...offsets, { type: 'group-tombstone', groupId }],
    event: { type: 'group-deleted', groupId, generationId: group.generationId, reason },
  };
}
