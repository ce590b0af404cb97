/**
 * DeleteGroups (key 42), v0–v2 (v2 is flexible): a code per group (NON_EMPTY_GROUP while it has members,
 * GROUP_ID_NOT_FOUND when unknown, NOT_COORDINATOR for a group another broker coordinates).
 */
import { DeleteGroups } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { isSilent } from './group-answers.js';

export const deleteGroupsHandler = handler({
  api: DeleteGroups,
  versions: [0, 2],
  handle(ctx, _version, request) {
    if (isSilent(ctx)) return 'unreachable';
    const results = ctx.engine.groupCoordinator.deleteGroups(request.groupsNames, { broker: ctx.brokerId });
    return { throttleTimeMs: 0, results: results.map((r) => ({ groupId: r.groupId, errorCode: r.errorCode })) };
  },
});
