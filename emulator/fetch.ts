/**
 * Reading a partition's log at its leader: Fetch (records below the high watermark), ListOffsets
 * (earliest, latest, by timestamp, max timestamp) and DeleteRecords (moving the log start
 * offset). Each answers per partition, as Kafka's responses do; a partition's error comes with
 * -1 for its offsets and no records.
 */
import { failure, NONE, type Failure } from '../protocol/errors.js';
import { markerOf, readRecords, type FetchedRecord, type RecordRange } from './records.js';
import { replicate } from './replication.js';
import { checkLeader, failed, leaderLog, partitionOf, type Answer, type EngineState, type Partition } from './state.js';

/** A fetch request for one partition. */
export interface FetchRequest {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /**
   * Byte budget; at least one record batch is returned when any is available.
   * @defaultValue 1048576
   */
  readonly maxBytes?: number;
  /** Record budget (a twin convenience; Kafka has only bytes). */
  readonly maxRecords?: number;
  /**
   * `read_committed` reads stop at the last stable offset and are told the aborted transactions
   * in what they read; `read_uncommitted` reads go up to the high watermark.
   * @defaultValue 'read_uncommitted' (the broker's default, as Fetch's isolation_level 0)
   */
  readonly isolationLevel?: IsolationLevel;
  /** The broker the request is sent to; the current leader when omitted. */
  readonly broker?: number;
}

/** Kafka's isolation levels: what a reader may see of transactions. */
export type IsolationLevel = 'read_uncommitted' | 'read_committed';

/** Fetch's answer for one partition: records below the high watermark (or the last stable offset), or the error and none. */
export interface FetchResult extends Answer {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  /**
   * For read_committed, the aborted transactions overlapping the records returned (a reader
   * drops their producers' transactional records from `firstOffset` to the abort marker); null
   * for read_uncommitted, as Kafka's response.
   */
  readonly abortedTransactions: readonly { readonly producerId: number; readonly firstOffset: number }[] | null;
  readonly records: readonly FetchedRecord[];
}

/** {@link FetchResult} with the records left in the log as ranges of batches. */
export interface FetchRangesResult extends Omit<FetchResult, 'records'> {
  readonly ranges: readonly RecordRange[];
}

/** Kafka's Fetch request: any number of partitions, sent to one broker. */
export interface FetchManyRequest {
  readonly partitions: readonly Omit<FetchRequest, 'broker'>[];
  /** The broker the request is sent to; each partition's current leader when omitted. */
  readonly broker?: number;
}

/** Which offset to look up; see {@link listOffsets}. */
export type OffsetSpec = 'earliest' | 'latest' | 'max-timestamp' | { readonly timestamp: number };

/** ListOffsets' answer for one partition; offset and timestamp are -1 when there is none, or on an error. */
export interface ListOffsetsAnswer extends Answer {
  readonly offset: number;
  readonly timestamp: number;
}

/** DeleteRecords' answer for one partition: the new log start offset, -1 on an error. */
export interface DeleteRecordsAnswer extends Answer {
  readonly topic: string;
  readonly partition: number;
  readonly lowWatermark: number;
}

const NO_RANGES: readonly RecordRange[] = Object.freeze([]);

/**
 * Reads records from `offset` up to the high watermark. OFFSET_OUT_OF_RANGE when `offset` is
 * below the log start offset or past the log end offset; an offset between the high watermark
 * and the log end returns no records.
 */
export function fetch(s: EngineState, request: FetchRequest): FetchResult {
  const { ranges, ...rest } = fetchRanges(s, request);
  return { ...rest, records: readRecords(ranges) };
}

/**
 * {@link fetch}, with the records left in the log as ranges of batches, for a client that copies
 * them out later (with `copyOut` from emulator/records.ts) straight into its own message shape;
 * the log never changes a batch, so what is copied later is what was fetched.
 */
export function fetchRanges(s: EngineState, request: FetchRequest): FetchRangesResult {
  const p = partitionOf(s, request.topic, request.partition);
  if (failed(p)) return fetchFailure(request, p);
  const notLeader = checkLeader(s, p, request.broker);
  if (notLeader !== undefined) return fetchFailure(request, notLeader);
  const log = leaderLog(p);
  const { offset } = request;
  if (!Number.isInteger(offset) || offset < log.logStartOffset || offset > log.logEndOffset) {
    return fetchFailure(
      request,
      failure(
        'OFFSET_OUT_OF_RANGE',
        `Fetch offset ${String(offset)} is out of range for partition ${p.topic.name}-${p.index}: the log holds offsets ${log.logStartOffset} to ${log.logEndOffset}`,
      ),
    );
  }
  const lastStableOffset = lastStableOffsetOf(p);
  const readCommitted = request.isolationLevel === 'read_committed';
  const ranges = log.rangesOf(offset, readCommitted ? lastStableOffset : p.highWatermark, request.maxBytes ?? 1048576, request.maxRecords);
  let abortedTransactions: FetchResult['abortedTransactions'] = null;
  if (readCommitted) {
    const last = ranges[ranges.length - 1];
    const upTo = last === undefined ? offset : last.batch.baseOffset + last.to;
    abortedTransactions = upTo <= offset ? NO_ABORTED : log.producerState.abortedTransactions(offset, upTo).map(({ producerId, firstOffset }) => ({ producerId, firstOffset }));
  }
  return {
    topic: p.topic.name,
    partition: p.index,
    errorCode: NONE,
    errorMessage: null,
    highWatermark: p.highWatermark,
    lastStableOffset,
    logStartOffset: log.logStartOffset,
    abortedTransactions,
    ranges,
  };
}

/** A led partition's last stable offset: its leader's first unstable offset (at least its log start), capped by the partition's high watermark. */
export function lastStableOffsetOf(p: Partition): number {
  return leaderLog(p).lastStableOffsetBelow(p.highWatermark);
}

const NO_ABORTED: FetchResult['abortedTransactions'] = Object.freeze([]);

/**
 * What a client hands its application from a fetch, as kafkajs and Kafka's consumer filter it:
 * never control records (transaction markers), and under read_committed none of an aborted
 * transaction's records: a transactional batch of a producer is dropped from its transaction's
 * first offset until that producer's abort marker (Kafka's CompletedFetch.nextFetchedRecord).
 */
export function visibleRanges(result: Pick<FetchRangesResult, 'ranges' | 'abortedTransactions'>): RecordRange[] {
  const aborted = result.abortedTransactions;
  const out: RecordRange[] = [];
  const pending = aborted === null ? [] : [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  const abortedProducers = new Set<number>();
  for (const range of result.ranges) {
    const batch = range.batch;
    while (pending.length > 0 && pending[0]!.firstOffset <= batch.lastOffset) abortedProducers.add(pending.shift()!.producerId);
    if (batch.isControl) {
      if (markerOf(batch)?.commit === false) abortedProducers.delete(batch.producerId);
      continue;
    }
    if (aborted !== null && batch.isTransactional && abortedProducers.has(batch.producerId)) continue;
    out.push(range);
  }
  return out;
}

/** Kafka's Fetch request over many partitions: answers every partition, in the order asked, with its records as ranges. */
export function fetchMany(s: EngineState, request: FetchManyRequest): FetchRangesResult[] {
  return request.partitions.map((x) => fetchRanges(s, request.broker === undefined ? x : { ...x, broker: request.broker }));
}

function fetchFailure(request: FetchRequest, error: Failure): FetchRangesResult {
  return { topic: request.topic, partition: request.partition, ...error, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, ranges: NO_RANGES };
}

/**
 * ListOffsets: `earliest` is the log start offset, `latest` the high watermark (the last stable
 * offset for a read_committed caller), a timestamp the first offset whose record timestamp is at
 * or after it (-1 when none), `max-timestamp` the record with the largest timestamp. As Kafka's
 * Partition.fetchOffsetForTimestamp, the lookups by timestamp only find offsets a caller may read:
 * below the high watermark, or the last stable offset for read_committed.
 */
export function listOffsets(
  s: EngineState,
  topicName: string,
  partition: number,
  spec: OffsetSpec,
  broker?: number,
  isolationLevel: IsolationLevel = 'read_uncommitted',
): ListOffsetsAnswer {
  const p = partitionOf(s, topicName, partition);
  if (failed(p)) return { ...p, offset: -1, timestamp: -1 };
  const notLeader = checkLeader(s, p, broker);
  if (notLeader !== undefined) return { ...notLeader, offset: -1, timestamp: -1 };
  const log = leaderLog(p);
  const lastFetchable = isolationLevel === 'read_committed' ? lastStableOffsetOf(p) : p.highWatermark;
  let found: { offset: number; timestamp: number } | undefined;
  if (spec === 'earliest') found = { offset: log.logStartOffset, timestamp: -1 };
  else if (spec === 'latest') found = { offset: lastFetchable, timestamp: -1 };
  else if (spec === 'max-timestamp') found = log.maxTimestampOffset(lastFetchable);
  else if (typeof spec !== 'object' || spec === null || !Number.isFinite(spec.timestamp)) {
    const error = failure('INVALID_REQUEST', `Unknown offset spec ${JSON.stringify(spec)}: use 'earliest', 'latest', 'max-timestamp' or { timestamp }`);
    return { ...error, offset: -1, timestamp: -1 };
  } else found = log.offsetForTimestamp(spec.timestamp, lastFetchable);
  return { errorCode: NONE, errorMessage: null, offset: found?.offset ?? -1, timestamp: found?.timestamp ?? -1 };
}

/**
 * DeleteRecords: moves the log start offset up to `offset` (-1: the high watermark). Offsets
 * above the high watermark are OFFSET_OUT_OF_RANGE. Segments wholly below the new log start are
 * removed at the next retention check. Answers the new log start offset (low watermark).
 */
export function deleteRecords(s: EngineState, topicName: string, partition: number, offset: number): DeleteRecordsAnswer {
  const p = partitionOf(s, topicName, partition);
  if (failed(p)) return { topic: topicName, partition, ...p, lowWatermark: -1 };
  const notLeader = checkLeader(s, p, undefined);
  if (notLeader !== undefined) return { topic: topicName, partition, ...notLeader, lowWatermark: -1 };
  const target = offset === -1 ? p.highWatermark : offset;
  if (!Number.isInteger(target) || target < 0 || target > p.highWatermark) {
    const error = failure(
      'OFFSET_OUT_OF_RANGE',
      `Cannot delete records of ${topicName}-${partition} before offset ${String(offset)}: the high watermark is ${p.highWatermark}`,
    );
    return { topic: topicName, partition, ...error, lowWatermark: -1 };
  }
  const leader = leaderLog(p);
  if (leader.advanceLogStartOffset(target)) {
    s.log.record({ type: 'records-deleted', topic: topicName, partition, logStartOffset: leader.logStartOffset });
    replicate(s, p);
  }
  return { topic: topicName, partition, errorCode: NONE, errorMessage: null, lowWatermark: leader.logStartOffset };
}
