/**
 * DescribeGroups (key 15), v0–v5 (v3 may ask for the authorized operations, v4 names static
 * members' group.instance.id, v5 is flexible): each group answered by this broker with its own code. A group
 * this broker does not coordinate is NOT_COORDINATOR for that group; an unknown group is Dead with
 * no error, as Kafka reports it. A failed group is described as Kafka's `GroupCoordinator.EmptyGroup`:
 * no state, protocol or members (the coordinator's answer says Dead; Kafka's says "").
 * Authorized operations, when asked for, are answered for described groups only, as a broker
 * without an authorizer answers them: every operation a group supports (READ, DELETE, DESCRIBE).
 */
import { DescribeGroups } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { isSilent } from './group-answers.js';

/** Kafka's AclOperation codes a group supports (AclEntry.supportedOperations(GROUP)), as the 32-bit field Kafka answers without an authorizer. */
const GROUP_OPERATIONS = [3 /* READ */, 6 /* DELETE */, 8 /* DESCRIBE */].reduce((bits, op) => bits | (1 << op), 0);
/** Integer.MIN_VALUE: operations not asked for. */
const UNREQUESTED = -2147483648;

export const describeGroupsHandler = handler({
  api: DescribeGroups,
  versions: [0, 5],
  handle(ctx, version, request) {
    const authorizedOperations = version >= 3 && request.includeAuthorizedOperations ? GROUP_OPERATIONS : UNREQUESTED;
    if (isSilent(ctx)) return 'unreachable';
    const groups = request.groups.map((groupId) => {
      const g = ctx.engine.groupCoordinator.describeGroup(groupId, { broker: ctx.brokerId });
      if (g.errorCode !== 0) return { errorCode: g.errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
      return {
        errorCode: 0,
        authorizedOperations,
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
