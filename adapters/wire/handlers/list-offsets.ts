/**
 * ListOffsets (key 2): -1 the high watermark (from v2 the last stable offset for a read_committed
 * caller, isolation level 1), -2 the log start offset, -3 (v7) the record with the largest
 * timestamp, -4 (v8, KIP-405) the local log start offset, which without tiered storage is the
 * log start offset, -5 (v9, KIP-1005) the last tiered offset, which without tiered storage Kafka
 * 3.9's UnifiedLog answers as offset -1 and epoch -1; any other timestamp the first record at or
 * after it. The broker reads these values whatever the version (clients send them only from the
 * version that has them). v0 answers a list of at most maxNumOffsets offsets, here the one found.
 */
import type { OffsetSpec } from '../../../emulator/engine.js';
import { ListOffsets } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { big, isUnreachable, num } from './codes.js';

const EARLIEST_LOCAL_TIMESTAMP = -4n;
const LATEST_TIERED_TIMESTAMP = -5n;

function specOf(timestamp: bigint): OffsetSpec {
  if (timestamp === -1n) return 'latest';
  if (timestamp === -2n) return 'earliest';
  if (timestamp === -3n) return 'max-timestamp';
  if (timestamp === EARLIEST_LOCAL_TIMESTAMP) return 'earliest';
  return { timestamp: num(timestamp) };
}

export const listOffsets = handler({
  api: ListOffsets,
  versions: [0, 9],
  handle(ctx, version, request) {
    let silent = false;
    const isolation = version >= 2 && request.isolationLevel === 1 ? 'read_committed' : 'read_uncommitted';
    const topics = request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const tiered = p.timestamp === LATEST_TIERED_TIMESTAMP;
        // The last tiered offset still needs the partition's checks (leadership, existence): ask for the latest.
        const found = ctx.engine.listOffsets(t.name, p.partitionIndex, tiered ? 'latest' : specOf(p.timestamp), ctx.brokerId, isolation);
        if (isUnreachable(found, ctx.brokerId)) silent = true;
        const a = tiered && found.errorCode === 0 ? { ...found, offset: -1, timestamp: -1 } : found;
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
