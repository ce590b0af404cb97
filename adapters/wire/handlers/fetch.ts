/**
 * Fetch (key 1), v4+: each partition read from this broker's log (the engine checks leadership)
 * and its records written as v2 record batches, uncompressed, one per stored batch, so offsets,
 * leader epochs and timestamp types come out as stored. Fewer than minBytes waits, up to
 * maxWaitMs, until minBytes have come (the engine's fetch purgatory wakes it at each append),
 * reading again each time. The request's maxBytes is a budget over the partitions in order: each
 * partition gets whole batches that fit what is left of it (and its own partitionMaxBytes), except
 * that the first partition with data always gets at least one batch, as Kafka's. No fetch sessions: the answer's session id is 0, which
 * tells a client the broker declined one, so every request is a full fetch. From v13 topics are
 * named by id (KIP-516): an id no topic has answers each of its partitions UNKNOWN_TOPIC_ID with
 * no offsets, as Kafka's full fetch does. v15 moves the replica id into a tagged ReplicaState
 * (consumers send none). From v16 a partition refused with NOT_LEADER_OR_FOLLOWER or
 * FENCED_LEADER_EPOCH names its current leader, whose endpoint the response lists (KIP-951, see
 * leaders.ts). v17 adds a follower's log directory id, which only replicas send. A read_committed
 * fetch (isolation level 1) reads up to the last stable offset and gets the aborted transactions
 * overlapping what it read; batches carry their producer id, epoch, base sequence, transactional
 * and control flags as stored, so a client filters markers and aborted records itself.
 */
import type { FetchRangesResult } from '../../../emulator/engine.js';
import { copyOut, incrementSequence, type RecordRange } from '../../../emulator/records.js';
import { encodeRecordBatch, Fetch, Writer, type RecordInput } from '../../../protocol/wire/index.js';
import { handler, type WireContext } from '../handler.js';
import { big, isUnreachable, num, UNKNOWN_TOPIC_ID, wireTopicId } from './codes.js';
import { FETCH_HINTED, LeaderHints } from './leaders.js';

type Asked = { readonly topic: string; readonly partition: number; readonly offset: number; readonly maxBytes: number };
type Isolation = 'read_uncommitted' | 'read_committed';

export const fetch = handler({
  api: Fetch,
  versions: [4, 17],
  async handle(ctx, version, request) {
    // From v13 a topic is its id; a topic no id names is left out of the read and answered UNKNOWN_TOPIC_ID.
    const names = request.topics.map((t) => (version >= 13 ? topicNameOf(ctx, t.topicId) : t.topic));
    const asked: Asked[] = request.topics.flatMap((t, ti) =>
      names[ti] === undefined
        ? []
        : t.partitions.map((p) => ({ topic: names[ti]!, partition: p.partition, offset: num(p.fetchOffset), maxBytes: p.partitionMaxBytes })),
    );
    const readCommitted = request.isolationLevel === 1;
    const isolation: Isolation = readCommitted ? 'read_committed' : 'read_uncommitted';
    let read = readAll(ctx, asked, request.maxBytes, isolation);
    if (read === 'unreachable') return read;
    // Kafka's delayed fetch: it completes once minBytes have come (more data past each partition's
    // high watermark wakes it to count again), or after maxWaitMs with what there is.
    const deadline = ctx.engine.now() + request.maxWaitMs;
    while (asked.length > 0 && read.bytes < request.minBytes && ctx.engine.now() < deadline && read.results.every((r) => r.errorCode === 0)) {
      const results: readonly FetchRangesResult[] = read.results;
      await ctx.engine.awaitData(
        asked.map(({ topic, partition, offset }, i) => ({
          topic,
          partition,
          // A read_committed fetch waits for the last stable offset to move, as Kafka's DelayedFetch.
          offset: Math.max(offset, readCommitted ? results[i]!.lastStableOffset : results[i]!.highWatermark),
        })),
        deadline - ctx.engine.now(),
        isolation,
      );
      read = readAll(ctx, asked, request.maxBytes, isolation);
      if (read === 'unreachable') return read;
    }
    let i = 0;
    const results = read.results;
    const batches = read.batches;
    const hints = new LeaderHints(ctx);
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: request.topics.map((t, ti) => ({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map((p) => {
          if (names[ti] === undefined) return unknownTopicId(p.partition);
          const r = results[i]!;
          const records = batches[i++]!;
          return {
            ...(version >= 16 && FETCH_HINTED.has(r.errorCode) ? { currentLeader: hints.hint(names[ti]!, r.partition) } : {}),
            partitionIndex: r.partition,
            errorCode: r.errorCode,
            highWatermark: big(r.highWatermark),
            lastStableOffset: big(r.lastStableOffset),
            logStartOffset: big(r.logStartOffset),
            // As Kafka: null under read_uncommitted, the list (empty when none) under read_committed.
            abortedTransactions:
              r.abortedTransactions === null
                ? readCommitted && r.errorCode === 0
                  ? []
                  : null
                : r.abortedTransactions.map((a) => ({ producerId: big(a.producerId), firstOffset: big(a.firstOffset) })),
            preferredReadReplica: -1,
            records,
          };
        }),
      })),
      nodeEndpoints: hints.endpoints(),
    };
  },
});

/** A partition of a topic id no topic has, as Kafka's `FetchResponse.partitionResponse` writes it. */
function unknownTopicId(partitionIndex: number) {
  return {
    partitionIndex,
    errorCode: UNKNOWN_TOPIC_ID,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY,
  };
}

/**
 * The topic a wire topic id names, or undefined. Ids are looked up per engine and remembered; a
 * remembered name is checked again (a topic deleted and created again has a new id).
 */
function topicNameOf(ctx: WireContext, id: string): string | undefined {
  let known = TOPIC_IDS.get(ctx.engine);
  const cached = known?.get(id);
  if (cached !== undefined && ctx.engine.hasTopic(cached) && wireTopicId(ctx.engine.describeTopic(cached).topicId) === id) return cached;
  known = new Map(ctx.engine.topicNames().map((n) => [wireTopicId(ctx.engine.describeTopic(n).topicId), n]));
  TOPIC_IDS.set(ctx.engine, known);
  return known.get(id);
}
const TOPIC_IDS = new WeakMap<WireContext['engine'], Map<string, string>>();

function readAll(
  ctx: WireContext,
  asked: readonly Asked[],
  maxBytes: number,
  isolationLevel: Isolation,
): { results: FetchRangesResult[]; batches: Buffer[]; bytes: number } | 'unreachable' {
  const results: FetchRangesResult[] = [];
  const batches: Buffer[] = [];
  let bytes = 0;
  for (const a of asked) {
    const r = ctx.engine.fetchRanges({ topic: a.topic, partition: a.partition, offset: a.offset, maxBytes: a.maxBytes, isolationLevel, broker: ctx.brokerId });
    if (isUnreachable(r, ctx.brokerId)) return 'unreachable';
    // As Kafka: the partition's limit is what is left of maxBytes, and only the response's first batch may exceed it.
    const limit = Math.min(a.maxBytes, maxBytes - bytes);
    let ranges = r.ranges;
    if (bytes > 0) {
      let fit = 0;
      for (let size = 0; fit < ranges.length && size + ranges[fit]!.batch.sizeInBytes <= limit; fit++) size += ranges[fit]!.batch.sizeInBytes;
      ranges = ranges.slice(0, fit);
    }
    const encoded = encodeRanges(ranges);
    bytes += encoded.length;
    results.push(r);
    batches.push(encoded);
  }
  return { results, batches, bytes };
}

const EMPTY = Buffer.alloc(0);

/**
 * The base timestamp of a batch sent for `range`: the log keeps no batch header, so the smallest
 * record timestamp, as kafkajs's producer writes it (it sorts its records' timestamps; Kafka keeps
 * whatever the producer wrote).
 */
function baseTimestamp({ batch, from, to }: RecordRange): number {
  let base = batch.timestamps[from]!;
  for (let i = from + 1; i < to; i++) base = Math.min(base, batch.timestamps[i]!);
  return base;
}

/** The ranges as v2 batches, one per stored batch (or the part of it fetched). */
export function encodeRanges(ranges: readonly RecordRange[]): Buffer {
  if (ranges.length === 0) return EMPTY;
  const w = new Writer();
  let current: { range: RecordRange; base: number; records: RecordInput[] } | undefined;
  const flush = () => {
    if (current === undefined) return;
    const { batch, from, to } = current.range;
    const first = current.base;
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
        producerId: big(batch.producerId),
        producerEpoch: batch.producerEpoch,
        baseSequence: batch.baseSequence < 0 ? -1 : incrementSequence(batch.baseSequence, from),
        isTransactional: batch.isTransactional,
        isControl: batch.isControl,
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
      const range = ranges[rangeIndex++]!;
      current = { range, base: baseTimestamp(range), records: [] };
    }
    const { from } = current.range;
    current.records.push({ timestampDelta: big(batch.timestamps[i]! - current.base), offsetDelta: i - from, key, value, headers });
  });
  flush();
  return w.finish();
}
