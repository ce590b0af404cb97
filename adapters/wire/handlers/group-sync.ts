/**
 * SyncGroup (key 14), v0–v3. The leader's request carries every member's assignment; the
 * coordinator parks each request until the leader's has arrived, so the handler awaits it. A
 * failed sync answers an empty assignment, as Kafka's does.
 */
import { SyncGroup } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { isUnreachable } from './group-answers.js';

export const syncGroupHandler = handler({
  api: SyncGroup,
  versions: [0, 3],
  async handle(ctx, _version, request) {
    const answer = await ctx.engine.groupCoordinator.syncGroup({
      broker: ctx.brokerId,
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      ...(request.protocolType !== null ? { protocolType: request.protocolType } : {}),
      ...(request.protocolName !== null ? { protocolName: request.protocolName } : {}),
      assignments: request.assignments.map((a) => ({ memberId: a.memberId, memberAssignment: a.assignment })),
    });
    if (isUnreachable(answer)) return 'unreachable';
    return {
      throttleTimeMs: 0,
      errorCode: answer.errorCode,
      protocolType: answer.protocolType,
      protocolName: answer.protocolName,
      assignment: answer.memberAssignment,
    };
  },
});
