/**
 * LeaveGroup (key 13), v0–v5 (v4 is flexible, v5 gives each member a reason). Up to v2 one
 * member leaves and the response has its code; from v3 the request
 * names a batch of members (by member id, or by group.instance.id with an empty member id), each
 * answered with its own code, as Kafka 3.9's `handleLeaveGroup`: a code about the group itself
 * (not its coordinator, no valid group id) is the top-level code with no members, a code about
 * one member is that member's. The coordinator takes one member at a time; the members leave in
 * the order given, as Kafka removes them.
 */
import type { ErrorPart } from '../../../protocol/errors.js';
import { kafkaError } from '../../../protocol/errors.js';
import { LeaveGroup } from '../../../protocol/wire/index.js';
import { handler, type WireContext } from '../handler.js';
import { isSilent, isUnreachable } from './group-answers.js';

/** The codes Kafka's LeaveGroup gives the whole request rather than one member. */
const GROUP_LEVEL = new Set(
  ['GROUP_LOAD_IN_PROGRESS', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR_FOR_GROUP', 'INVALID_GROUP_ID'].map((t) => kafkaError(t).code),
);

function leave(ctx: WireContext, groupId: string, memberId: string, groupInstanceId: string | null, reason: string | null): ErrorPart {
  return ctx.engine.groupCoordinator.leaveGroup({
    broker: ctx.brokerId,
    groupId,
    memberId,
    groupInstanceId,
    ...(reason !== null ? { reason } : {}),
  });
}

export const leaveGroupHandler = handler({
  api: LeaveGroup,
  versions: [0, 5],
  handle(ctx, version, request) {
    if (version < 3) {
      const answer = leave(ctx, request.groupId, request.memberId, null, null);
      if (isUnreachable(answer)) return 'unreachable';
      return { throttleTimeMs: 0, errorCode: answer.errorCode };
    }
    if (isSilent(ctx)) return 'unreachable';
    const members = [];
    for (const m of request.members) {
      const answer = leave(ctx, request.groupId, m.memberId, m.groupInstanceId, m.reason);
      if (GROUP_LEVEL.has(answer.errorCode)) return { throttleTimeMs: 0, errorCode: answer.errorCode, members: [] };
      members.push({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: answer.errorCode });
    }
    return { throttleTimeMs: 0, errorCode: 0, members };
  },
});
