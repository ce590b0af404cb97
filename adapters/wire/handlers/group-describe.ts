/**
 * DescribeGroups (key 15), v0–v2: each group answered by this broker with its own code. A group
 * this broker does not coordinate is NOT_COORDINATOR for that group; an unknown group is Dead with
 * no error, as Kafka reports it. A failed group is described as Kafka's `GroupCoordinator.EmptyGroup`:
 * no state, protocol or members (the coordinator's answer says Dead; Kafka's says "").
 */
import { DescribeGroups } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { isSilent } from './group-answers.js';

export const describeGroupsHandler = handler({
  api: DescribeGroups,
  versions: [0, 2],
  handle(ctx, _version, request) {
    if (isSilent(ctx)) return 'unreachable';
    const groups = request.groups.map((groupId) => {
      const g = ctx.engine.groupCoordinator.describeGroup(groupId, { broker: ctx.brokerId });
      if (g.errorCode !== 0) return { errorCode: g.errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
      return {
        errorCode: 0,
        groupId,
        groupState: g.state,
        protocolType: g.protocolType,
        protocolData: g.protocol,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.memberMetadata,
          memberAssignment: m.memberAssignment,
        })),
      };
    });
    return { throttleTimeMs: 0, groups };
  },
});
