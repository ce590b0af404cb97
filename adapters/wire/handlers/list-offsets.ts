/**
 * ListOffsets (key 2): -1 the high watermark (the last stable offset is the same in the twin,
 * which has no transactions), -2 the log start offset, -3 (v7) the record with the largest
 * timestamp, any other timestamp the first record at or after it. v0 answers a list of at most
 * maxNumOffsets offsets, here the one found.
 */
import type { OffsetSpec } from '../../../emulator/engine.js';
import { ListOffsets } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { big, isUnreachable, num } from './codes.js';

function specOf(timestamp: bigint): OffsetSpec {
  if (timestamp === -1n) return 'latest';
  if (timestamp === -2n) return 'earliest';
  if (timestamp === -3n) return 'max-timestamp';
  return { timestamp: num(timestamp) };
}

export const listOffsets = handler({
  api: ListOffsets,
  versions: [0, 7],
  handle(ctx, _version, request) {
    let silent = false;
    const topics = request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const a = ctx.engine.listOffsets(t.name, p.partitionIndex, specOf(p.timestamp), ctx.brokerId);
        if (isUnreachable(a, ctx.brokerId)) silent = true;
        return {
          partitionIndex: p.partitionIndex,
          errorCode: a.errorCode,
          oldStyleOffsets: a.errorCode === 0 && a.offset >= 0 && p.maxNumOffsets > 0 ? [big(a.offset)] : [],
          timestamp: big(a.timestamp),
          offset: big(a.offset),
          leaderEpoch: -1,
        };
      }),
    }));
    return silent ? 'unreachable' : { throttleTimeMs: 0, topics };
  },
});
