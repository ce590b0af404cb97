/**
 * JoinGroup (key 11), v0–v8 (v6 is flexible, v7 answers the protocol type, v8 reads a reason). v9
 * is not served: its skipAssignment (KIP-814) changes what a static leader rejoining a Stable
 * group is answered, which the coordinator answers as before v9. The coordinator parks the request until the join phase ends, so
 * the handler awaits it; the connection's later requests wait behind it, as Kafka answers a
 * connection in order. v0 has no rebalance timeout: the session timeout stands for both, as Kafka
 * does. From v4 a member without an id (and without a group.instance.id) first gets
 * MEMBER_ID_REQUIRED, whose response carries the id it must rejoin with, as Kafka's does. Before
 * v7 the protocol name is not nullable: a failed join answers it empty, as Kafka's response does.
 */
import { JoinGroup } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { clientIdOf, isUnreachable } from './group-answers.js';

export const joinGroupHandler = handler({
  api: JoinGroup,
  versions: [0, 8],
  async handle(ctx, version, request) {
    const groupInstanceId = version >= 5 ? request.groupInstanceId : null;
    const answer = await ctx.engine.groupCoordinator.joinGroup({
      broker: ctx.brokerId,
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId,
      clientId: clientIdOf(ctx.clientId),
      clientHost: ctx.clientHost,
      sessionTimeout: request.sessionTimeoutMs,
      ...(version >= 1 ? { rebalanceTimeout: request.rebalanceTimeoutMs } : {}),
      protocolType: request.protocolType,
      protocols: request.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      // Kafka: `joinGroupRequest.version >= 4 && groupInstanceId.isEmpty`.
      requireKnownMemberId: version >= 4 && groupInstanceId === null,
      ...(request.reason !== null ? { reason: request.reason } : {}),
    });
    if (isUnreachable(answer)) return 'unreachable';
    return {
      throttleTimeMs: 0,
      errorCode: answer.errorCode,
      generationId: answer.generationId,
      protocolType: answer.protocolType,
      protocolName: version >= 7 ? answer.protocolName : (answer.protocolName ?? ''),
      leader: answer.leaderId,
      memberId: answer.memberId,
      members: answer.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
    };
  },
});
