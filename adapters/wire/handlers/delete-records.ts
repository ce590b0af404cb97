/** DeleteRecords (key 21): moves each partition's log start offset; answers the new low watermark. */
import { DeleteRecords } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { big, num } from './codes.js';

export const deleteRecords = handler({
  api: DeleteRecords,
  versions: [0, 2],
  handle(ctx, _version, request) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const a = ctx.engine.deleteRecords(t.name, p.partitionIndex, num(p.offset));
          return { partitionIndex: p.partitionIndex, lowWatermark: big(a.lowWatermark), errorCode: a.errorCode };
        }),
      })),
    };
  },
});
