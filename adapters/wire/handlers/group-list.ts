/**
 * ListGroups (key 16), v0–v2: the groups this broker coordinates (a client asks every broker and
 * merges the answers, as kafkajs's admin does). v4's state filter is not served.
 */
import { ListGroups } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { isUnreachable } from './group-answers.js';

export const listGroupsHandler = handler({
  api: ListGroups,
  versions: [0, 2],
  handle(ctx) {
    const answer = ctx.engine.groupCoordinator.listGroups({ broker: ctx.brokerId });
    if (isUnreachable(answer)) return 'unreachable';
    return {
      throttleTimeMs: 0,
      errorCode: answer.errorCode,
      groups: answer.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType })),
    };
  },
});
