/**
 * JoinGroup, as Kafka 3.9's classic `GroupCoordinator.handleJoinGroup` answers it: checks the
 * session timeout and protocols, hands a new member its id (MEMBER_ID_REQUIRED), lets a static
 * member's new instance take over, enforces `group.max.size`, and adds or updates the member,
 * starting a rebalance where one is needed. The answer may be parked until the join phase ends.
 */
import { failure, type Failure } from '../../protocol/errors.js';
import { assertNever, GroupMember, type ClassicGroup } from './group.js';
import { scheduleHeartbeat, schedulePendingMember, validateCurrentMember, cancelHeartbeat, groupGoingAway } from './membership.js';
import { joinFailure, OK, type GroupProtocol, type JoinGroupAnswer, type JoinGroupRequest, type ResponseCallback } from './messages.js';
import { route } from './placement.js';
import { joinResponse, maybePrepareRebalance, prepareRebalance, tryCompleteJoin } from './rebalance.js';
import { answer, type CoordinatorResult, type GroupRecord, type GroupShard } from './shard.js';
import { sessionKey } from './timer.js';

/**
 * How long a new member's first JoinGroup may stay parked before the member is dropped
 * (Kafka's `GroupCoordinator.NewMemberJoinTimeoutMs`, not configurable there either).
 */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;
const DEFAULT_CLIENT_HOST = '/127.0.0.1';

interface JoinParams {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly GroupProtocol[];
  readonly requireKnownMemberId: boolean;
  readonly reason: string;
}

type Respond = ResponseCallback<JoinGroupAnswer>;

/**
 * JoinGroup. Answers when the join phase ends with the new generation; the leader's answer lists
 * every member's metadata. A new member (empty member id) first gets MEMBER_ID_REQUIRED, whose
 * answer carries the member id to rejoin with.
 */
export function handleJoinGroup(shard: GroupShard, request: JoinGroupRequest, respond: Respond): CoordinatorResult<void> {
  const records: GroupRecord[] = [];
  const { groupId } = request;
  const memberId = request.memberId ?? '';
  const refuse = (error: Failure) => {
    respond(joinFailure(error, memberId));
    return answer(undefined);
  };
  const misrouted = route(shard, groupId, request.broker, 'JoinGroup');
  if (misrouted !== undefined) return refuse(misrouted);
  const min = shard.config['group.min.session.timeout.ms'];
  const max = shard.config['group.max.session.timeout.ms'];
  const sessionTimeout = request.sessionTimeout;
  if (!Number.isInteger(sessionTimeout) || sessionTimeout < min || sessionTimeout > max) {
    return refuse(
      failure(
        'INVALID_SESSION_TIMEOUT',
        `The session timeout ${String(sessionTimeout)} ms of ${memberId || 'a new member'} in group ${groupId} is not within the range allowed by the broker (group.min.session.timeout.ms=${min}, group.max.session.timeout.ms=${max})`,
      ),
    );
  }
  const rebalanceTimeout = request.rebalanceTimeout ?? sessionTimeout;
  if (!Number.isInteger(rebalanceTimeout) || rebalanceTimeout < 0) {
    return refuse(failure('INVALID_REQUEST', `The rebalance timeout must be a non-negative integer number of ms, got ${String(rebalanceTimeout)}`));
  }
  if (
    typeof request.protocolType !== 'string' ||
    !Array.isArray(request.protocols) ||
    request.protocols.some((p) => typeof p?.name !== 'string' || !Buffer.isBuffer(p.metadata))
  ) {
    return refuse(failure('INVALID_REQUEST', 'JoinGroup needs a protocolType string and protocols as [{ name: string, metadata: Buffer }]'));
  }
  const isUnknownMember = memberId === '';
  const group = shard.getGroup(groupId) ?? (isUnknownMember ? shard.createGroup(groupId) : undefined);
  if (group === undefined) {
    return refuse(failure('UNKNOWN_MEMBER_ID', `Group ${groupId} does not exist, so member ${memberId} is unknown to it; rejoin with an empty member id`));
  }
  const join: JoinParams = {
    memberId,
    groupInstanceId: request.groupInstanceId ?? null,
    clientId: request.clientId,
    clientHost: request.clientHost ?? DEFAULT_CLIENT_HOST,
    rebalanceTimeoutMs: rebalanceTimeout,
    sessionTimeoutMs: sessionTimeout,
    protocolType: request.protocolType,
    protocols: request.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
    requireKnownMemberId: request.requireKnownMemberId ?? true,
    reason: request.reason ?? 'not provided',
  };
  if (!acceptJoiningMember(shard, group, memberId)) {
    if (group.has(memberId)) {
      const member = group.get(memberId);
      cancelHeartbeat(shard, group, member);
      shard.record({
        type: 'group-member-left',
        groupId,
        generationId: group.generationId,
        memberId,
        groupInstanceId: member.groupInstanceId,
        reason: `group.max.size (${shard.config['group.max.size']}) reached`,
      });
    }
    group.remove(memberId);
    respond(
      joinFailure(
        failure('GROUP_MAX_SIZE_REACHED', `Group ${groupId} already has the most members group.max.size=${shard.config['group.max.size']} allows`),
        memberId,
      ),
    );
  } else if (isUnknownMember) {
    doNewMemberJoinGroup(shard, group, join, respond, records);
  } else {
    doCurrentMemberJoinGroup(shard, group, join, respond, records);
  }
  if (group.is('PreparingRebalance')) tryCompleteJoin(shard, group, records);
  return answer(undefined, records);
}

/** Kafka's rule for `group.max.size`: existing members are kept, new ones turned away once the group is full. */
function acceptJoiningMember(shard: GroupShard, group: ClassicGroup, memberId: string): boolean {
  const maxSize = shard.config['group.max.size'];
  const state = group.currentState;
  switch (state) {
    case 'Empty':
    case 'Dead':
      return true;
    case 'PreparingRebalance':
      // Counting members that have joined (not all members) lets the last to rejoin be the ones
      // turned away when the limit was lowered below the group's size.
      return (group.has(memberId) && group.get(memberId).isAwaitingJoin) || group.numAwaitingJoin < maxSize;
    case 'CompletingRebalance':
    case 'Stable':
      return group.has(memberId) || group.size < maxSize;
    default:
      return assertNever(state, 'group state');
  }
}

function doNewMemberJoinGroup(shard: GroupShard, group: ClassicGroup, join: JoinParams, respond: Respond, records: GroupRecord[]): void {
  if (group.is('Dead')) {
    respond(joinFailure(groupGoingAway(group.groupId)));
    return;
  }
  if (!group.supportsProtocols(join.protocolType, new Set(join.protocols.map((p) => p.name)))) {
    respond(joinFailure(inconsistentProtocol(group, join)));
    return;
  }
  const newMemberId = `${join.groupInstanceId ?? join.clientId}-${shard.port.uuid()}`;
  if (join.groupInstanceId !== null) {
    const oldMemberId = group.currentStaticMemberId(join.groupInstanceId);
    if (oldMemberId !== undefined) updateStaticMemberAndRebalance(shard, group, oldMemberId, newMemberId, join, respond, records);
    else addMemberAndRebalance(shard, group, { ...join, memberId: newMemberId }, respond, records);
  } else if (join.requireKnownMemberId) {
    // The member must come back with this id: a client that times out and retries then reuses
    // its id instead of leaving a trail of defunct members in the group.
    group.addPendingMember(newMemberId);
    schedulePendingMember(shard, group, newMemberId, join.sessionTimeoutMs);
    respond(
      joinFailure(failure('MEMBER_ID_REQUIRED', `Group ${group.groupId} gave the new member the id ${newMemberId}; it must rejoin with it`), newMemberId),
    );
  } else {
    addMemberAndRebalance(shard, group, { ...join, memberId: newMemberId }, respond, records);
  }
}

function doCurrentMemberJoinGroup(shard: GroupShard, group: ClassicGroup, join: JoinParams, respond: Respond, records: GroupRecord[]): void {
  const { memberId } = join;
  const refuse = (error: Failure) => respond(joinFailure(error, memberId));
  if (group.is('Dead')) return refuse(groupGoingAway(group.groupId));
  if (!group.supportsProtocols(join.protocolType, new Set(join.protocols.map((p) => p.name)))) return refuse(inconsistentProtocol(group, join));
  if (group.isPendingMember(memberId)) {
    if (join.groupInstanceId !== null) {
      return refuse(failure('UNKNOWN', `Unexpected JoinGroup with group.instance.id ${join.groupInstanceId} for pending member ${memberId}`));
    }
    shard.timers.cancel(sessionKey(group.groupId, memberId));
    addMemberAndRebalance(shard, group, join, respond, records);
    return;
  }
  const invalid = validateCurrentMember(group, memberId, join.groupInstanceId);
  if (invalid !== undefined) return refuse(invalid);
  const member = group.get(memberId);
  const state = group.currentState;
  switch (state) {
    case 'PreparingRebalance':
      updateMemberAndRebalance(
        shard,
        group,
        member,
        join,
        respond,
        `Member ${memberId} joining group during PreparingRebalance; client reason: ${join.reason}`,
        records,
      );
      break;
    case 'CompletingRebalance':
      if (member.matches(join.protocols)) {
        // Same metadata: most likely the member lost the JoinGroup response, so it gets it again.
        respond(joinResponse(group, member, group.isLeader(memberId)));
      } else {
        updateMemberAndRebalance(
          shard,
          group,
          member,
          join,
          respond,
          `Updating metadata for member ${memberId} during CompletingRebalance; client reason: ${join.reason}`,
          records,
        );
      }
      break;
    case 'Stable':
      if (group.isLeader(memberId)) {
        // The leader rejoins to have the group reassigned for changes the coordinator cannot
        // see, such as a subscribed topic gaining partitions.
        updateMemberAndRebalance(
          shard,
          group,
          member,
          join,
          respond,
          `Leader ${memberId} re-joining group during Stable; client reason: ${join.reason}`,
          records,
        );
      } else if (!member.matches(join.protocols)) {
        updateMemberAndRebalance(
          shard,
          group,
          member,
          join,
          respond,
          `Updating metadata for member ${memberId} during Stable; client reason: ${join.reason}`,
          records,
        );
      } else {
        respond(joinResponse(group, member, false));
      }
      break;
    case 'Empty':
    case 'Dead':
      refuse(failure('UNKNOWN_MEMBER_ID', `Member ${memberId} rejoined group ${group.groupId} in unexpected state ${state}; rejoin with an empty member id`));
      break;
    default:
      assertNever(state, 'group state');
  }
}

function addMemberAndRebalance(shard: GroupShard, group: ClassicGroup, join: JoinParams, respond: Respond, records: GroupRecord[]): void {
  const member = new GroupMember(
    join.memberId,
    join.groupInstanceId,
    join.clientId,
    join.clientHost,
    join.rebalanceTimeoutMs,
    join.sessionTimeoutMs,
    join.protocolType,
    join.protocols,
  );
  member.isNew = true;
  if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
  group.add(member, respond);
  // A new member cannot heartbeat while its JoinGroup is parked, and a client that gave up on
  // it would leave a defunct member behind: new members get a fixed join timeout instead.
  scheduleHeartbeat(shard, group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
  recordJoin(shard, group, member, false, null);
  maybePrepareRebalance(
    shard,
    group,
    `Adding new member ${member.memberId} with group instance id ${String(member.groupInstanceId)}; client reason: ${join.reason}`,
    records,
  );
}

function updateMemberAndRebalance(
  shard: GroupShard,
  group: ClassicGroup,
  member: GroupMember,
  join: JoinParams,
  respond: Respond,
  reason: string,
  records: GroupRecord[],
): void {
  const superseded = group.updateMember(member, join.protocols, join.rebalanceTimeoutMs, join.sessionTimeoutMs, respond);
  superseded?.(joinFailure(failure('REBALANCE_IN_PROGRESS', `A newer JoinGroup from member ${member.memberId} replaced this one`), member.memberId));
  recordJoin(shard, group, member, true, null);
  maybePrepareRebalance(shard, group, reason, records);
}

function updateStaticMemberAndRebalance(
  shard: GroupShard,
  group: ClassicGroup,
  oldMemberId: string,
  newMemberId: string,
  join: JoinParams,
  respond: Respond,
  records: GroupRecord[],
): void {
  const instanceId = join.groupInstanceId!;
  const currentLeader = group.leaderId;
  const member = group.replaceStaticMember(
    instanceId,
    oldMemberId,
    newMemberId,
    failure('FENCED_INSTANCE_ID', `Static member ${instanceId} of group ${group.groupId} was taken over by a new instance (member id ${newMemberId})`),
  );
  // The session moves to the new member id: the old instance's is over.
  shard.timers.cancel(sessionKey(group.groupId, oldMemberId));
  scheduleHeartbeat(shard, group, member);
  group.updateMember(member, join.protocols, join.rebalanceTimeoutMs, join.sessionTimeoutMs, respond);
  recordJoin(shard, group, member, true, oldMemberId);
  const state = group.currentState;
  switch (state) {
    case 'Stable': {
      if (group.protocolName === group.selectProtocol()) {
        // The new instance takes over the old one's assignment without a rebalance. The old
        // leader id is returned so that a static leader does not run a pointless assignment
        // a Stable group would ignore (JoinGroup before v9).
        records.push(shard.groupMetadataRecord(group));
        group.completeJoin(member, {
          ...OK,
          members: [],
          memberId: newMemberId,
          generationId: group.generationId,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          leaderId: currentLeader ?? '',
        });
      } else {
        maybePrepareRebalance(
          shard,
          group,
          `Group's selected protocol will change because static member ${newMemberId} with instance id ${instanceId} joined with change of protocol; client reason: ${join.reason}`,
          records,
        );
      }
      break;
    }
    case 'CompletingRebalance':
      // The old member id may already be in the leader's hands; its assignment would miss the new id.
      prepareRebalance(
        shard,
        group,
        `Updating metadata for static member ${newMemberId} with instance id ${instanceId}; client reason: ${join.reason}`,
        records,
      );
      break;
    case 'PreparingRebalance':
      break;
    case 'Empty':
    case 'Dead':
      throw new Error(`invariant: group ${group.groupId} in state ${state} when static member ${instanceId} rejoins`);
    default:
      assertNever(state, 'group state');
  }
}

function inconsistentProtocol(group: ClassicGroup, join: JoinParams): Failure {
  const offered = join.protocols.map((p) => p.name).join(', ') || 'none';
  const why = group.is('Empty')
    ? `a member must name a protocol type and at least one protocol (got type '${join.protocolType}', protocols [${offered}])`
    : `the group has protocol type '${String(group.protocolType)}' and its members have no protocol in common with [${offered}] (type '${join.protocolType}')`;
  return failure('INCONSISTENT_GROUP_PROTOCOL', `Member of group ${group.groupId} cannot join: ${why}`);
}

function recordJoin(shard: GroupShard, group: ClassicGroup, member: GroupMember, rejoin: boolean, replacedMemberId: string | null): void {
  shard.record({
    type: 'group-member-joined',
    groupId: group.groupId,
    generationId: group.generationId,
    memberId: member.memberId,
    groupInstanceId: member.groupInstanceId,
    clientId: member.clientId,
    protocols: member.supportedProtocols.map((p) => p.name),
    rejoin,
    replacedMemberId,
  });
}
