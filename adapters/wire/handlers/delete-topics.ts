/** DeleteTopics (key 20), by name (v0–5): each topic answered with its own code. */
import { DeleteTopics } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';

export const deleteTopics = handler({
  api: DeleteTopics,
  versions: [0, 5],
  handle(ctx, _version, request) {
    return {
      throttleTimeMs: 0,
      responses: request.topicNames.map((name) => {
        const a = ctx.engine.deleteTopic(name);
        return { name, errorCode: a.errorCode, errorMessage: a.errorCode === 0 ? null : a.errorMessage };
      }),
    };
  },
});
