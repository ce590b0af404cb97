/**
 * Membership of a classic group once a member has joined: SyncGroup, Heartbeat and LeaveGroup,
 * and the member sessions those keep alive (Kafka's DelayedHeartbeat, keyed per member), including
 * the session of a pending member that was told MEMBER_ID_REQUIRED.
 */
import { failure, type ErrorPart, type Failure } from '../../protocol/errors.js';
import { decodeAssignment } from '../../protocol/consumer-protocol.js';
import { assertNever, type ClassicGroup, type GroupMember } from './group.js';
import {
  joinFailure,
  OK,
  syncFailure,
  type HeartbeatRequest,
  type LeaveGroupRequest,
  type ResponseCallback,
  type SyncGroupAnswer,
  type SyncGroupRequest,
} from './messages.js';
import { route } from './placement.js';
import { maybePrepareRebalance, propagateAssignment, removePendingSyncMember, tryCompleteJoin } from './rebalance.js';
import { answer, type CoordinatorResult, type GroupRecord, type GroupShard } from './shard.js';
import { sessionKey } from './timer.js';

const EMPTY = Buffer.alloc(0);

/**
 * SyncGroup. The leader sends every member's assignment; followers wait until it has, then each
 * receives its own. In a Stable group any member gets its current assignment back.
 */
export function handleSyncGroup(shard: GroupShard, request: SyncGroupRequest, respond: ResponseCallback<SyncGroupAnswer>): CoordinatorResult<void> {
  const records: GroupRecord[] = [];
  const { groupId, memberId } = request;
  const group = memberOfGeneration(shard, request, 'SyncGroup');
  if ('errorCode' in group) return fail(respond, group);
  if (request.protocolType !== undefined && request.protocolType !== group.protocolType) {
    return fail(
      respond,
      failure('INCONSISTENT_GROUP_PROTOCOL', `SyncGroup names protocol type ${request.protocolType}, but group ${groupId} uses ${String(group.protocolType)}`),
    );
  }
  if (request.protocolName !== undefined && request.protocolName !== group.protocolName) {
    return fail(
      respond,
      failure('INCONSISTENT_GROUP_PROTOCOL', `SyncGroup names protocol ${request.protocolName}, but group ${groupId} selected ${String(group.protocolName)}`),
    );
  }
  const state = group.currentState;
  switch (state) {
    case 'Empty':
      return fail(respond, failure('UNKNOWN_MEMBER_ID', `Group ${groupId} is empty; member ${memberId} must rejoin`));
    case 'PreparingRebalance':
      return fail(respond, failure('REBALANCE_IN_PROGRESS', `Group ${groupId} is rebalancing; member ${memberId} must rejoin`));
    case 'CompletingRebalance': {
      const assignment = new Map<string, Buffer>();
      if (group.isLeader(memberId)) {
        for (const a of request.assignments ?? []) {
          if (!Buffer.isBuffer(a.memberAssignment))
            return fail(respond, failure('INVALID_REQUEST', `The assignment for member ${a.memberId} must be a Buffer`));
          assignment.set(a.memberId, a.memberAssignment);
        }
      }
      const member = group.get(memberId);
      const superseded = member.awaitingSync;
      member.awaitingSync = respond;
      superseded?.(syncFailure(failure('REBALANCE_IN_PROGRESS', `A newer SyncGroup from member ${memberId} replaced this one`)));
      removePendingSyncMember(shard, group, memberId);
      if (group.isLeader(memberId)) {
        // Members the leader left out get an empty assignment.
        for (const m of group.allMembers()) m.assignment = assignment.get(m.memberId) ?? EMPTY;
        records.push(shard.groupMetadataRecord(group));
        shard.record({
          type: 'group-assignment',
          groupId,
          generationId: group.generationId,
          memberId,
          protocolName: group.protocolName,
          assignments: group.allMembers().map((m) => ({ memberId: m.memberId, partitions: decodeAssignment(m.assignment) })),
        });
        propagateAssignment(shard, group, null);
        group.transitionTo('Stable', `assignment received from leader ${memberId}`);
      }
      return answer(undefined, records);
    }
    case 'Stable': {
      removePendingSyncMember(shard, group, memberId);
      const member = group.get(memberId);
      respond({ ...OK, protocolType: group.protocolType, protocolName: group.protocolName, memberAssignment: member.assignment });
      scheduleHeartbeat(shard, group, member);
      return answer(undefined, records);
    }
    case 'Dead':
      throw new Error(`invariant: sync in Dead group ${groupId}`);
    default:
      return assertNever(state, 'group state');
  }
}

function fail(respond: ResponseCallback<SyncGroupAnswer>, error: Failure): CoordinatorResult<void> {
  respond(syncFailure(error));
  return answer(undefined);
}

/**
 * Heartbeat: keeps the member's session alive. REBALANCE_IN_PROGRESS tells the member to rejoin;
 * ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID that it has fallen out of the group.
 */
export function heartbeat(shard: GroupShard, request: HeartbeatRequest): CoordinatorResult<ErrorPart> {
  const { groupId, memberId } = request;
  const group = memberOfGeneration(shard, request, 'Heartbeat');
  if ('errorCode' in group) return answer(group);
  const state = group.currentState;
  switch (state) {
    case 'Empty':
      return answer(failure('UNKNOWN_MEMBER_ID', `Group ${groupId} is empty; member ${memberId} must rejoin`));
    case 'CompletingRebalance':
    case 'Stable':
      // Members may heartbeat as soon as they have their JoinGroup response.
      scheduleHeartbeat(shard, group, group.get(memberId));
      return answer(OK);
    case 'PreparingRebalance':
      scheduleHeartbeat(shard, group, group.get(memberId));
      return answer(failure('REBALANCE_IN_PROGRESS', `Group ${groupId} is rebalancing; member ${memberId} must rejoin`));
    case 'Dead':
      throw new Error(`invariant: heartbeat in Dead group ${groupId}`);
    default:
      return assertNever(state, 'group state');
  }
}

/**
 * LeaveGroup for one member: removes it at once, which rebalances the rest. With an empty member
 * id and a `groupInstanceId`, removes that static member (admin removal).
 */
export function leaveGroup(shard: GroupShard, request: LeaveGroupRequest): CoordinatorResult<ErrorPart> {
  const records: GroupRecord[] = [];
  const { groupId } = request;
  const memberId = request.memberId ?? '';
  const groupInstanceId = request.groupInstanceId ?? null;
  const misrouted = route(shard, groupId, request.broker, 'LeaveGroup');
  if (misrouted !== undefined) return answer(misrouted);
  const group = shard.getGroup(groupId);
  if (group === undefined)
    return answer(failure('UNKNOWN_MEMBER_ID', `Group ${groupId} does not exist, so member ${memberId || String(groupInstanceId)} is unknown to it`));
  if (group.is('Dead')) return answer(groupGoingAway(groupId));
  const reason = request.reason ?? 'not provided';
  if (memberId === '') {
    const current = groupInstanceId === null ? undefined : group.currentStaticMemberId(groupInstanceId);
    if (current === undefined)
      return answer(failure('UNKNOWN_MEMBER_ID', `Group ${groupId} has no static member with group.instance.id ${String(groupInstanceId)}`));
    removeCurrentMemberFromGroup(shard, group, current, reason, records);
    return answer(OK, records);
  }
  if (group.isPendingMember(memberId)) {
    removePendingMemberAndUpdateGroup(shard, group, memberId, records);
    return answer(OK, records);
  }
  const invalid = validateCurrentMember(group, memberId, groupInstanceId);
  if (invalid !== undefined) return answer(invalid);
  removeCurrentMemberFromGroup(shard, group, memberId, reason, records);
  return answer(OK, records);
}

function removeCurrentMemberFromGroup(shard: GroupShard, group: ClassicGroup, memberId: string, reason: string, records: GroupRecord[]): void {
  const member = group.get(memberId);
  shard.record({
    type: 'group-member-left',
    groupId: group.groupId,
    generationId: group.generationId,
    memberId,
    groupInstanceId: member.groupInstanceId,
    reason,
  });
  removeMemberAndUpdateGroup(shard, group, member, `Removing member ${memberId} on LeaveGroup; client reason: ${reason}`, records);
}

function removeMemberAndUpdateGroup(shard: GroupShard, group: ClassicGroup, member: GroupMember, reason: string, records: GroupRecord[]): void {
  // A new member can time out while its JoinGroup is parked: answer it so that a client still
  // waiting retries with a fresh JoinGroup.
  if (member.awaitingJoin !== undefined || member.awaitingSync !== undefined) {
    const gone = failure('UNKNOWN_MEMBER_ID', `Member ${member.memberId} was removed from group ${group.groupId} (${reason})`);
    group.completeJoin(member, joinFailure(gone, member.memberId));
    group.completeSync(member, syncFailure(gone));
  }
  cancelHeartbeat(shard, group, member);
  group.remove(member.memberId);
  const state = group.currentState;
  switch (state) {
    case 'Dead':
    case 'Empty':
      break;
    case 'Stable':
    case 'CompletingRebalance':
      maybePrepareRebalance(shard, group, reason, records);
      break;
    case 'PreparingRebalance':
      tryCompleteJoin(shard, group, records);
      break;
    default:
      assertNever(state, 'group state');
  }
}

/** Forgets a member id handed out with MEMBER_ID_REQUIRED; the join phase no longer waits for it. */
export function removePendingMemberAndUpdateGroup(shard: GroupShard, group: ClassicGroup, memberId: string, records: GroupRecord[]): void {
  shard.timers.cancel(sessionKey(group.groupId, memberId));
  group.remove(memberId);
  if (group.is('PreparingRebalance')) tryCompleteJoin(shard, group, records);
}

/**
 * The checks SyncGroup and Heartbeat share: the group exists here and is not going away, the
 * member belongs to it, and it speaks for the group's current generation.
 */
function memberOfGeneration(shard: GroupShard, request: SyncGroupRequest | HeartbeatRequest, api: 'SyncGroup' | 'Heartbeat'): ClassicGroup | Failure {
  const { groupId, generationId, memberId } = request;
  const misrouted = route(shard, groupId, request.broker, api);
  if (misrouted !== undefined) return misrouted;
  const group = shard.getGroup(groupId);
  if (group === undefined) return failure('UNKNOWN_MEMBER_ID', `Group ${groupId} does not exist, so member ${memberId} is unknown to it`);
  if (group.is('Dead')) return groupGoingAway(groupId);
  const invalid = validateCurrentMember(group, memberId, request.groupInstanceId ?? null);
  if (invalid !== undefined) return invalid;
  if (generationId !== group.generationId) {
    return failure(
      'ILLEGAL_GENERATION',
      `Member ${memberId} of group ${groupId} sent ${api} for generation ${String(generationId)}, but the group is at generation ${group.generationId}`,
    );
  }
  return group;
}

/** Whether `memberId` (with its `group.instance.id`) speaks for a current member; the failure otherwise. */
export function validateCurrentMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): Failure | undefined {
  if (groupInstanceId !== null) {
    const current = group.currentStaticMemberId(groupInstanceId);
    if (current === undefined) return failure('UNKNOWN_MEMBER_ID', `Group ${group.groupId} has no static member with group.instance.id ${groupInstanceId}`);
    if (current !== memberId) {
      return failure(
        'FENCED_INSTANCE_ID',
        `Member ${memberId} of group ${group.groupId} was fenced: group.instance.id ${groupInstanceId} now belongs to member ${current}`,
      );
    }
    return undefined;
  }
  if (!group.has(memberId)) return failure('UNKNOWN_MEMBER_ID', `Member ${memberId || "''"} is not a member of group ${group.groupId}`);
  return undefined;
}

/** A Dead group's answer: it is leaving this coordinator, so the client must find the coordinator again. */
export function groupGoingAway(groupId: string): Failure {
  return failure('GROUP_COORDINATOR_NOT_AVAILABLE', `Group ${groupId} is being removed from this coordinator; find the coordinator again`);
}

// ---------------------------------------------------------------- sessions

/** (Re)starts a member's session: it is removed if nothing keeps it alive for `timeoutMs`. */
export function scheduleHeartbeat(shard: GroupShard, group: ClassicGroup, member: GroupMember, timeoutMs = member.sessionTimeoutMs): void {
  shard.timers.schedule(sessionKey(group.groupId, member.memberId), timeoutMs, () => {
    const records: GroupRecord[] = [];
    if (shard.isLive(group)) onExpireHeartbeat(shard, group, member, records);
    return answer(undefined, records);
  });
}

export function cancelHeartbeat(shard: GroupShard, group: ClassicGroup, member: GroupMember): void {
  shard.timers.cancel(sessionKey(group.groupId, member.memberId));
}

function onExpireHeartbeat(shard: GroupShard, group: ClassicGroup, member: GroupMember, records: GroupRecord[]): void {
  if (group.is('Dead') || !group.has(member.memberId) || group.get(member.memberId) !== member) return;
  if (member.hasSatisfiedHeartbeat()) return;
  shard.record({
    type: 'group-member-expired',
    groupId: group.groupId,
    generationId: group.generationId,
    memberId: member.memberId,
    reason: member.isNew ? 'new-member-join-timeout' : 'session-timeout',
  });
  removeMemberAndUpdateGroup(shard, group, member, `removing member ${member.memberId} on heartbeat expiration`, records);
}

/** A pending member must come back with its id within its session timeout, or the join phase stops waiting for it. */
export function schedulePendingMember(shard: GroupShard, group: ClassicGroup, memberId: string, timeoutMs: number): void {
  shard.timers.schedule(sessionKey(group.groupId, memberId), timeoutMs, () => {
    const records: GroupRecord[] = [];
    if (shard.isLive(group) && group.isPendingMember(memberId)) removePendingMemberAndUpdateGroup(shard, group, memberId, records);
    return answer(undefined, records);
  });
}
