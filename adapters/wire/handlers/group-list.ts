/**
 * ListGroups (key 16), v0–v5: the groups this broker coordinates (a client asks every broker and
 * merges the answers, as kafkajs's admin does). v3 is flexible; v4 filters by state and answers
 * it, v5 filters by type and answers it. As Kafka 3.9's group coordinator, both filters are
 * case-insensitive and an empty filter lets everything through; every group here is a classic
 * group (the twin has no KIP-848 consumer groups), so a type filter without "classic" lists none.
 */
import { ListGroups } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { isUnreachable } from './group-answers.js';

/** Kafka's `Group.GroupType.CLASSIC`, as ListGroups v5 names it. */
const CLASSIC = 'classic';

export const listGroupsHandler = handler({
  api: ListGroups,
  versions: [0, 5],
  handle(ctx, version, request) {
    const states = version >= 4 ? new Set(request.statesFilter.map((s) => s.trim().toLowerCase())) : new Set<string>();
    const types = version >= 5 ? new Set(request.typesFilter.map((t) => t.trim().toLowerCase())) : new Set<string>();
    const answer = ctx.engine.groupCoordinator.listGroups({ broker: ctx.brokerId });
    if (isUnreachable(answer)) return 'unreachable';
    const listed = types.size > 0 && !types.has(CLASSIC) ? [] : answer.groups.filter((g) => states.size === 0 || states.has(g.groupState.toLowerCase()));
    return {
      throttleTimeMs: 0,
      errorCode: answer.errorCode,
      groups: listed.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.groupState, groupType: CLASSIC })),
    };
  },
});
