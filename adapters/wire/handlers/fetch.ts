/**
 * Fetch (key 1), v4+: each partition read from this broker's log (the engine checks leadership)
 * and its records written as v2 record batches, uncompressed, one per stored batch, so offsets,
 * leader epochs and timestamp types come out as stored. Fewer than minBytes waits, up to
 * maxWaitMs, for data on any of the partitions (the engine's fetch purgatory), then reads again.
 * The request's maxBytes is a budget over the partitions in order: once it is spent, the rest
 * answer with no records (the first partition with data always gets at least one batch, as the
 * engine's per-partition read guarantees). No fetch sessions: the answer's session id is 0, which
 * tells a client the broker declined one, so every request is a full fetch.
 */
import type { FetchRangesResult } from '../../../emulator/engine.js';
import { copyOut, type RecordRange } from '../../../emulator/records.js';
import { encodeRecordBatch, Fetch, Writer, type RecordInput } from '../../../protocol/wire/index.js';
import { handler, type WireContext } from '../handler.js';
import { big, isUnreachable, num } from './codes.js';

type Asked = { readonly topic: string; readonly partition: number; readonly offset: number; readonly maxBytes: number };

export const fetch = handler({
  api: Fetch,
  versions: [4, 12],
  async handle(ctx, _version, request) {
    const asked: Asked[] = request.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: num(p.fetchOffset), maxBytes: p.partitionMaxBytes })),
    );
    let read = readAll(ctx, asked, request.maxBytes);
    if (read === 'unreachable') return read;
    if (read.bytes < request.minBytes && request.maxWaitMs > 0 && read.results.every((r) => r.errorCode === 0)) {
      await ctx.engine.awaitData(
        asked.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
        request.maxWaitMs,
      );
      read = readAll(ctx, asked, request.maxBytes);
      if (read === 'unreachable') return read;
    }
    const readCommitted = request.isolationLevel === 1;
    let i = 0;
    const results = read.results;
    const batches = read.batches;
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: request.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map(() => {
          const r = results[i]!;
          const records = batches[i++]!;
          return {
            partitionIndex: r.partition,
            errorCode: r.errorCode,
            highWatermark: big(r.highWatermark),
            lastStableOffset: big(r.lastStableOffset),
            logStartOffset: big(r.logStartOffset),
            // As Kafka: null under read_uncommitted, the (here always empty) list under read_committed.
            abortedTransactions: readCommitted ? [] : null,
            preferredReadReplica: -1,
            records,
          };
        }),
      })),
    };
  },
});

function readAll(
  ctx: WireContext,
  asked: readonly Asked[],
  maxBytes: number,
): { results: FetchRangesResult[]; batches: Buffer[]; bytes: number } | 'unreachable' {
  const results: FetchRangesResult[] = [];
  const batches: Buffer[] = [];
  let bytes = 0;
  for (const a of asked) {
    const r = ctx.engine.fetchRanges({ topic: a.topic, partition: a.partition, offset: a.offset, maxBytes: a.maxBytes, broker: ctx.brokerId });
    if (isUnreachable(r, ctx.brokerId)) return 'unreachable';
    const encoded = bytes >= maxBytes && bytes > 0 ? EMPTY : encodeRanges(r.ranges);
    bytes += encoded.length;
    results.push(r);
    batches.push(encoded);
  }
  return { results, batches, bytes };
}

const EMPTY = Buffer.alloc(0);

/** The ranges as v2 batches, one per stored batch (or the part of it fetched). */
export function encodeRanges(ranges: readonly RecordRange[]): Buffer {
  if (ranges.length === 0) return EMPTY;
  const w = new Writer();
  let current: { range: RecordRange; records: RecordInput[] } | undefined;
  const flush = () => {
    if (current === undefined) return;
    const { batch, from, to } = current.range;
    const first = batch.timestamps[from]!;
    let max = first;
    for (let i = from; i < to; i++) max = Math.max(max, batch.timestamps[i]!);
    const logAppendTime = batch.timestampType === 'LogAppendTime';
    encodeRecordBatch(
      {
        baseOffset: big(batch.baseOffset + from),
        partitionLeaderEpoch: batch.leaderEpoch,
        timestampType: logAppendTime ? 1 : 0,
        lastOffsetDelta: to - from - 1,
        baseTimestamp: big(first),
        maxTimestamp: big(max),
        producerId: -1n,
        producerEpoch: -1,
        baseSequence: -1,
        records: current.records,
      },
      {},
      w,
    );
    current = undefined;
  };
  let rangeIndex = 0;
  copyOut(ranges, (batch, i, key, value, headers) => {
    while (current === undefined || current.range.batch !== batch || i >= current.range.to) {
      flush();
      current = { range: ranges[rangeIndex++]!, records: [] };
    }
    const { from } = current.range;
    current.records.push({ timestampDelta: big(batch.timestamps[i]! - batch.timestamps[from]!), offsetDelta: i - from, key, value, headers });
  });
  flush();
  return w.finish();
}
