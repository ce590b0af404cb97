/**
 * SyncGroup (key 14), v0–v5 (v4 is flexible, v5 names the protocol type and name, which the
 * coordinator checks against the group's). The leader's request carries every member's
 * assignment; the coordinator parks each request until the leader's has arrived, so the handler
 * awaits it. A failed sync answers an empty assignment, as Kafka's does. From v5 the protocol
 * type and name are mandatory: Kafka 3.9's KafkaApis answers INCONSISTENT_GROUP_PROTOCOL before
 * asking the coordinator when either is null.
 */
import { SyncGroup } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { kafkaError } from '../../../protocol/errors.js';
import { isSilent, isUnreachable } from './group-answers.js';

const INCONSISTENT_GROUP_PROTOCOL = kafkaError('INCONSISTENT_GROUP_PROTOCOL').code;

export const syncGroupHandler = handler({
  api: SyncGroup,
  versions: [0, 5],
  async handle(ctx, version, request) {
    if (version >= 5 && (request.protocolType === null || request.protocolName === null)) {
      if (isSilent(ctx)) return 'unreachable';
      return { throttleTimeMs: 0, errorCode: INCONSISTENT_GROUP_PROTOCOL, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    }
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
