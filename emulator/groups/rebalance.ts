/**
 * The rebalance of a classic group, whichever request starts or ends it (JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, a session expiring): preparing it, the join phase and its timers
 * (Kafka's DelayedJoin and InitialDelayedJoin), completing the join phase with the next
 * generation, and the sync phase (Kafka's DelayedSync, handing out the leader's assignment).
 * Functions here take the records the current operation writes, as Kafka's take their
 * `List<CoordinatorRecord>`.
 */
import { failure, type Failure } from '../../protocol/errors.js';
import { assertNever, type ClassicGroup, type GroupMember } from './group.js';
import { cancelHeartbeat, scheduleHeartbeat } from './membership.js';
import { OK, syncFailure, type JoinGroupAnswer } from './messages.js';
import { answer, type GroupRecord, type GroupShard } from './shard.js';
import { joinKey, syncKey } from './timer.js';

const EMPTY = Buffer.alloc(0);

export function maybePrepareRebalance(shard: GroupShard, group: ClassicGroup, reason: string, records: GroupRecord[]): void {
  if (group.canRebalance()) prepareRebalance(shard, group, reason, records);
}

export function prepareRebalance(shard: GroupShard, group: ClassicGroup, reason: string, records: GroupRecord[]): void {
  if (group.is('CompletingRebalance')) {
    resetAndPropagateAssignmentError(shard, group, failure('REBALANCE_IN_PROGRESS', `Group ${group.groupId} is rebalancing again (${reason}); rejoin`));
  }
  removeSyncExpiration(shard, group);
  const initial = group.is('Empty');
  const rebalanceTimeout = group.rebalanceTimeoutMs();
  group.transitionTo('PreparingRebalance', reason);
  cancelJoinTimer(shard, group);
  if (initial) {
    // The group is new: give more members a chance to join before the first generation forms.
    const delay = shard.config['group.initial.rebalance.delay.ms'];
    scheduleInitialDelayedJoin(shard, group, delay, Math.max(rebalanceTimeout - delay, 0));
  } else {
    scheduleDelayedJoin(shard, group, rebalanceTimeout);
    tryCompleteJoin(shard, group, records);
  }
}

/** Kafka's DelayedJoin: the join phase ends when every member has joined, or at the rebalance timeout. */
function scheduleDelayedJoin(shard: GroupShard, group: ClassicGroup, timeoutMs: number): void {
  group.initialJoinDelay = false;
  shard.timers.schedule(joinKey(group.groupId), timeoutMs, () => {
    const records: GroupRecord[] = [];
    if (shard.isLive(group)) onCompleteJoin(shard, group, records);
    return answer(undefined, records);
  });
}

/**
 * Kafka's InitialDelayedJoin: waits `delayMs`; if members joined meanwhile and rebalance time
 * remains, waits again (up to the configured delay), else ends the join phase.
 */
function scheduleInitialDelayedJoin(shard: GroupShard, group: ClassicGroup, delayMs: number, remainingMs: number): void {
  group.initialJoinDelay = true;
  shard.timers.schedule(joinKey(group.groupId), delayMs, () => {
    const records: GroupRecord[] = [];
    if (!shard.isLive(group)) return answer(undefined, records);
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const delay = Math.min(shard.config['group.initial.rebalance.delay.ms'], remainingMs);
      scheduleInitialDelayedJoin(shard, group, delay, Math.max(remainingMs - delayMs, 0));
    } else {
      group.initialJoinDelay = false;
      onCompleteJoin(shard, group, records);
    }
    return answer(undefined, records);
  });
}

export function cancelJoinTimer(shard: GroupShard, group: ClassicGroup): void {
  shard.timers.cancel(joinKey(group.groupId));
  group.initialJoinDelay = false;
}

/** Ends the join phase early once every member has joined (never during the initial delay). */
export function tryCompleteJoin(shard: GroupShard, group: ClassicGroup, records: GroupRecord[]): void {
  if (group.is('PreparingRebalance') && shard.timers.isScheduled(joinKey(group.groupId)) && !group.initialJoinDelay && group.hasAllMembersJoined()) {
    cancelJoinTimer(shard, group);
    onCompleteJoin(shard, group, records);
  }
}

function onCompleteJoin(shard: GroupShard, group: ClassicGroup, records: GroupRecord[]): void {
  cancelJoinTimer(shard, group);
  for (const failed of group.notYetRejoinedMembers()) {
    // Static members are kept: they are expected back with the same group.instance.id.
    if (failed.isStatic) continue;
    cancelHeartbeat(shard, group, failed);
    group.remove(failed.memberId);
    shard.record({
      type: 'group-member-expired',
      groupId: group.groupId,
      generationId: group.generationId,
      memberId: failed.memberId,
      reason: 'rebalance-timeout',
    });
  }
  if (group.is('Dead')) return;
  if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
    // Nobody rejoined: wait another rebalance timeout for session timeouts to clear the group out.
    scheduleDelayedJoin(shard, group, group.rebalanceTimeoutMs());
    return;
  }
  group.initNextGeneration();
  if (group.is('Empty')) {
    records.push(shard.groupMetadataRecord(group));
    return;
  }
  shard.record({
    type: 'group-join-completed',
    groupId: group.groupId,
    generationId: group.generationId,
    memberId: group.leaderId!,
    leaderId: group.leaderId!,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    members: group.allMemberIds(),
  });
  for (const member of group.allMembers()) {
    group.completeJoin(member, joinResponse(group, member, group.isLeader(member.memberId)));
    scheduleHeartbeat(shard, group, member);
    member.isNew = false;
    group.addPendingSyncMember(member.memberId);
  }
  schedulePendingSync(shard, group);
}

/** The JoinGroup response a member of the current generation gets. */
export function joinResponse(group: ClassicGroup, member: GroupMember, withMembers: boolean): JoinGroupAnswer {
  return {
    ...OK,
    members: withMembers ? group.currentMemberMetadata() : [],
    memberId: member.memberId,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leaderId: group.leaderId ?? '',
  };
}

function resetAndPropagateAssignmentError(shard: GroupShard, group: ClassicGroup, error: Failure): void {
  if (!group.is('CompletingRebalance'))
    throw new Error(`invariant: group ${group.groupId} must be CompletingRebalance to reset its assignment, but is ${group.currentState}`);
  for (const m of group.allMembers()) m.assignment = EMPTY;
  propagateAssignment(shard, group, error);
}

/** Answers every parked SyncGroup: with the member's assignment, or with `error`. */
export function propagateAssignment(shard: GroupShard, group: ClassicGroup, error: Failure | null): void {
  for (const member of group.allMembers()) {
    const answered = group.completeSync(
      member,
      error === null ? { ...OK, protocolType: group.protocolType, protocolName: group.protocolName, memberAssignment: member.assignment } : syncFailure(error),
    );
    // A member whose session ran out while it waited for the leader was spared; it gets a fresh session now.
    if (answered) scheduleHeartbeat(shard, group, member);
  }
}

/** Kafka's DelayedSync: members that got the JoinGroup response must send SyncGroup within the rebalance timeout. */
function schedulePendingSync(shard: GroupShard, group: ClassicGroup): void {
  const generation = group.generationId;
  group.syncTimerGeneration = generation;
  shard.timers.schedule(syncKey(group.groupId), group.rebalanceTimeoutMs(), () => {
    const records: GroupRecord[] = [];
    if (shard.isLive(group)) onExpirePendingSync(shard, group, generation, records);
    return answer(undefined, records);
  });
}

/** Notes a member's SyncGroup; the sync phase's timer goes once every member has sent one. */
export function removePendingSyncMember(shard: GroupShard, group: ClassicGroup, memberId: string): void {
  group.removePendingSyncMember(memberId);
  maybeCompleteSyncExpiration(shard, group);
}

function removeSyncExpiration(shard: GroupShard, group: ClassicGroup): void {
  group.clearPendingSyncMembers();
  maybeCompleteSyncExpiration(shard, group);
}

function maybeCompleteSyncExpiration(shard: GroupShard, group: ClassicGroup): void {
  const key = syncKey(group.groupId);
  if (!shard.timers.isScheduled(key)) return;
  const state = group.currentState;
  let done: boolean;
  if (group.syncTimerGeneration !== group.generationId) done = true;
  else {
    switch (state) {
      case 'Dead':
      case 'Empty':
      case 'PreparingRebalance':
        done = true;
        break;
      case 'CompletingRebalance':
      case 'Stable':
        done = group.hasReceivedSyncFromAllMembers();
        break;
      default:
        return assertNever(state, 'group state');
    }
  }
  if (done) shard.timers.cancel(key);
}

function onExpirePendingSync(shard: GroupShard, group: ClassicGroup, generationId: number, records: GroupRecord[]): void {
  if (generationId !== group.generationId) return;
  const state = group.currentState;
  switch (state) {
    case 'Dead':
    case 'Empty':
    case 'PreparingRebalance':
      return;
    case 'CompletingRebalance':
    case 'Stable': {
      if (group.hasReceivedSyncFromAllMembers()) return;
      const late = group.allPendingSyncMembers();
      for (const memberId of late) {
        const member = group.get(memberId);
        cancelHeartbeat(shard, group, member);
        group.remove(memberId);
        shard.record({ type: 'group-member-expired', groupId: group.groupId, generationId: group.generationId, memberId, reason: 'sync-timeout' });
      }
      prepareRebalance(shard, group, `Removing [${late.join(', ')}] on pending sync request expiration`, records);
      return;
    }
    default:
      assertNever(state, 'group state');
  }
}
