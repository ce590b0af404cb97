/**
 * Heartbeat (key 12), v0–v4 (v4 is flexible): keeps the member in its generation. REBALANCE_IN_PROGRESS tells it
 * to rejoin; ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID that it has been fenced out.
 */
import { Heartbeat } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { isUnreachable } from './group-answers.js';

export const heartbeatHandler = handler({
  api: Heartbeat,
  versions: [0, 4],
  handle(ctx, _version, request) {
    const answer = ctx.engine.groupCoordinator.heartbeat({
      broker: ctx.brokerId,
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
    });
    if (isUnreachable(answer)) return 'unreachable';
    return { throttleTimeMs: 0, errorCode: answer.errorCode };
  },
});
