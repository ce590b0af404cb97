/** CreatePartitions (key 37): grows each topic to `count`, with the new partitions' replicas when given. */
import { CreatePartitions } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';

export const createPartitions = handler({
  api: CreatePartitions,
  versions: [0, 3],
  handle(ctx, _version, request) {
    return {
      throttleTimeMs: 0,
      results: request.topics.map((t) => {
        const assignment = t.assignments === null ? undefined : t.assignments.map((a) => a.brokerIds);
        const a = ctx.engine.createPartitions(t.name, t.count, assignment, { validateOnly: request.validateOnly });
        return { name: t.name, errorCode: a.errorCode, errorMessage: a.errorCode === 0 ? null : a.errorMessage };
      }),
    };
  },
});
