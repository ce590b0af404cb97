/**
 * The log cleaner, one per broker, as Kafka's LogCleaner runs it with one cleaner thread: every
 * `log.cleaner.backoff.ms` it picks, among the compacted logs the broker hosts, the one with the
 * highest dirty ratio above its `min.cleanable.dirty.ratio` (or any whose dirty part has waited
 * past `max.compaction.lag.ms`), cleans it, and picks again until none qualifies (Kafka's thread
 * backs off only when it found nothing to clean); then it deletes old segments of its compacted
 * logs (retention under `compact,delete`).
 *
 * Kafka's facts modelled here (LogCleanerManager, Cleaner):
 * - the dirty part starts at the replica's cleaner checkpoint (the end of its last cleaning), or
 *   at the log start; it ends at the first uncleanable offset: the smallest of the last stable
 *   offset (the high watermark, or the first offset of the earliest open transaction), the active segment's base, and
 *   the base of the first dirty segment whose newest record is younger than
 *   `min.compaction.lag.ms` — rounded down to the base of the segment holding it;
 * - dirty ratio = bytes of the segments in the dirty part / bytes of the segments up to it;
 * - a cleaning rewrites every segment from the log start to that offset, in groups of
 *   consecutive segments whose sizes add up to at most `segment.bytes`, each group becoming one
 *   segment: small cleaned segments merge;
 * - a record is kept when it is the last of its key in the dirty part (or its key is not there),
 *   with its offset, timestamp and headers; a record without a key is dropped; a tombstone is kept
 *   until its batch's delete horizon (KIP-534: `delete.retention.ms` after the cleaning that first
 *   kept it) and dropped by the first cleaning at or after it;
 * - an aborted transaction's records are dropped and shadow no key; a transaction marker stays
 *   while a batch of its transaction is left, then gets a delete horizon and goes at the first
 *   cleaning at or after it (cleaned-txns.ts: Kafka's CleanedTransactionMetadata);
 * - offsets are never renumbered; the log start, log end and high watermark do not move.
 *
 * Each replica cleans its own log, as each broker cleans its own copy; replicas that clean the
 * same batches the same way share the rewritten batches rather than each holding a copy.
 */
import { hasPolicy, type TopicConfig } from './config.js';
import { segmentIndexOf, segmentOf, segmentTimestamp, type ReplicaLog, type Segment } from './log.js';
import { ByteArena, compactBatch, hasKey, isTombstone, keyString, type RecordBatch } from './records.js';
import { CleanedTransactions } from './cleaned-txns.js';
import { applyReplicaRetention } from './retention.js';
import type { Broker, EngineState, Partition, Topic } from './state.js';

/** Schedules a broker's cleaner run in `delay` ms; it runs every `log.cleaner.backoff.ms` after (doing nothing while the broker is stopped). */
export function scheduleCleaner(s: EngineState, broker: Broker, delay: number): void {
  if (!s.config['log.cleaner.enable']) return;
  broker.cleanerTimer = s.clock.schedule(delay, () => {
    broker.cleanerTimer = undefined;
    if (s.closed) return;
    if (broker.running) runCleaner(s, broker.id);
    scheduleCleaner(s, broker, Math.max(1, s.config['log.cleaner.backoff.ms']));
  });
}

/** Where a replica's dirty part lies and how dirty it is: Kafka's LogToClean. */
export interface LogToClean {
  readonly topic: Topic;
  readonly partition: Partition;
  readonly log: ReplicaLog;
  readonly firstDirtyOffset: number;
  /** A segment base: cleaning rewrites the segments below it. */
  readonly firstUncleanableOffset: number;
  readonly cleanBytes: number;
  readonly cleanableBytes: number;
  readonly cleanableRatio: number;
  /** A dirty segment's first batch is older than `max.compaction.lag.ms`. */
  readonly needCompactionNow: boolean;
}

/** One cleaner run on broker `brokerId`: clean the filthiest log until none is cleanable, then delete old segments of compacted logs. */
export function runCleaner(s: EngineState, brokerId: number): void {
  const cleaned = new Set<Partition>();
  for (;;) {
    const now = s.clock.now();
    const ltc = filthiestLog(s, brokerId, now, cleaned);
    if (ltc === undefined) break;
    cleaned.add(ltc.partition);
    cleanLog(s, brokerId, ltc, now);
  }
  const now = s.clock.now();
  for (const topic of s.topics.values()) {
    if (!hasPolicy(topic.config['cleanup.policy'], 'compact')) continue;
    for (const p of topic.partitions) applyReplicaRetention(s, topic, p, brokerId, now);
  }
}

/** Kafka's grabFilthiestCompactedLog over the replicas on `brokerId`; `skip`: logs already cleaned this run. */
export function filthiestLog(s: EngineState, brokerId: number, now: number, skip: ReadonlySet<Partition> = new Set()): LogToClean | undefined {
  let best: LogToClean | undefined;
  for (const topic of s.topics.values()) {
    if (!hasPolicy(topic.config['cleanup.policy'], 'compact')) continue;
    for (const p of topic.partitions) {
      if (skip.has(p)) continue;
      const replica = p.replicaStates.get(brokerId);
      if (replica === undefined) continue;
      if (p.leader === brokerId) replica.log.highWatermark = p.highWatermark;
      const ltc = logToClean(topic, p, replica.log, now);
      if (ltc.cleanBytes + ltc.cleanableBytes <= 0) continue;
      const cleanable = (ltc.needCompactionNow && ltc.cleanableBytes > 0) || ltc.cleanableRatio > topic.config['min.cleanable.dirty.ratio'];
      if (cleanable && (best === undefined || ltc.cleanableRatio > best.cleanableRatio)) best = ltc;
    }
  }
  return best;
}

/** The dirty part of one replica's log and its ratio (Kafka's cleanableOffsets, calculateCleanableBytes, maxCompactionDelay). */
export function logToClean(topic: Topic, partition: Partition, log: ReplicaLog, now: number): LogToClean {
  const config = topic.config;
  const checkpoint = log.cleanerCheckpoint;
  // A checkpoint below the log start (DeleteRecords, retention) or past the log end is reset to the log start.
  const firstDirtyOffset =
    checkpoint === undefined || checkpoint < log.logStartOffset || checkpoint > log.logEndOffset ? log.logStartOffset : checkpoint;
  const segments = log.segments;
  const active = segments.length - 1;
  // As Kafka's cleanableOffsets: never past the last stable offset, so an open transaction is not cleaned.
  let uncleanable = Math.min(log.lastStableOffset, segments[active]!.baseOffset);
  const from = segmentIndexOf(segments, firstDirtyOffset);
  const lag = config['min.compaction.lag.ms'];
  if (lag > 0) {
    for (let i = from; i < active; i++) {
      if (segmentTimestamp(segments[i]!) > now - lag) {
        uncleanable = Math.min(uncleanable, segments[i]!.baseOffset);
        break;
      }
    }
  }
  // Kafka cleans whole segments: the bound falls back to the base of the segment that holds it.
  const firstUncleanableOffset = segments[Math.min(segmentIndexOf(segments, uncleanable), active)]!.baseOffset;
  let cleanBytes = 0;
  let cleanableBytes = 0;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const end = i + 1 < segments.length ? segments[i + 1]!.baseOffset : log.logEndOffset;
    if (segment.baseOffset < firstDirtyOffset) cleanBytes += segment.size;
    // Overlapping [min(firstDirty, firstUncleanable), firstUncleanable).
    if (segment.baseOffset < firstUncleanableOffset && end > Math.min(firstDirtyOffset, firstUncleanableOffset)) cleanableBytes += segment.size;
  }
  const total = cleanBytes + cleanableBytes;
  let earliestDirty = Infinity;
  for (let i = from; i < active; i++) {
    const t = segments[i]!.firstBatchTimestamp;
    if (t > 0 && t < earliestDirty) earliestDirty = t;
  }
  const needCompactionNow = earliestDirty < now - Math.max(config['max.compaction.lag.ms'], 0);
  return {
    topic,
    partition,
    log,
    firstDirtyOffset,
    firstUncleanableOffset,
    cleanBytes,
    cleanableBytes,
    cleanableRatio: total > 0 ? cleanableBytes / total : 0,
    needCompactionNow,
  };
}


/** What one cleaning did, in the numbers the `log-cleaned` event carries. */
export interface CleaningStats {
  recordsBefore: number;
  recordsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
  tombstonesRemoved: number;
  /** Transaction markers removed: their transaction's batches were gone and their delete horizon had passed. */
  markersRemoved: number;
  segmentsBefore: number;
  segmentsAfter: number;
}

/** Cleans one replica's log (Kafka's Cleaner.doClean) and records the `log-cleaned` event. */
export function cleanLog(s: EngineState, brokerId: number, ltc: LogToClean, now: number): CleaningStats {
  const { log, topic, partition: p } = ltc;
  const endOffset = ltc.firstUncleanableOffset;
  const stats = cleanSegments(log, topic.config, ltc.firstDirtyOffset, endOffset, now, s.config['producer.id.expiration.ms']);
  log.cleanerCheckpoint = endOffset;
  s.log.record({
    type: 'log-cleaned',
    topic: topic.name,
    partition: p.index,
    broker: brokerId,
    firstDirtyOffset: ltc.firstDirtyOffset,
    cleanedUpTo: endOffset,
    ...stats,
    bytesFreed: stats.bytesBefore - stats.bytesAfter,
    dirtyRatio: ltc.cleanableRatio,
    reason: ltc.cleanableRatio > topic.config['min.cleanable.dirty.ratio'] ? 'dirty-ratio' : 'max.compaction.lag.ms',
  });
  return stats;
}

/**
 * Rewrites the segments of `log` below `endOffset` (a segment base), deduplicated by the keys of
 * the dirty part `[firstDirty, endOffset)`.
 */
function cleanSegments(log: ReplicaLog, config: TopicConfig, firstDirty: number, endOffset: number, now: number, expirationMs: number): CleaningStats {
  const segments = log.segments;
  let count = 0;
  while (count < segments.length - 1 && segments[count]!.baseOffset < endOffset) count++;
  // The offset map: each key of the dirty part to its last offset there.
  const latest = new Map<string, number>();
  for (let i = segmentIndexOf(segments, firstDirty); i < count; i++) {
    for (const batch of segments[i]!.batches) {
      if (batch.lastOffset < firstDirty) continue;
      for (let r = 0; r < batch.count; r++) {
        const offset = batch.baseOffset + r;
        if (offset < firstDirty || offset >= endOffset) continue;
        // As Kafka's buildOffsetMap: markers and aborted transactions' records shadow nothing.
        if (batch.isControl || (batch.isTransactional && log.producerState.isAborted(batch.producerId, offset))) break;
        const key = keyString(batch, r);
        if (key !== null) latest.set(key, offset);
      }
    }
  }
  const stats: CleaningStats = { recordsBefore: 0, recordsAfter: 0, bytesBefore: 0, bytesAfter: 0, tombstonesRemoved: 0, markersRemoved: 0, segmentsBefore: count, segmentsAfter: 0 };
  const arena = new ByteArena();
  const replacement: Segment[] = [];
  const lastOffset = log.logEndOffset - 1;
  const activeEmpty = segments[segments.length - 1]!.batches.length === 0;
  const txns = new CleanedTransactions(log.producerState, log.emptiedBatches, segments[0]!.baseOffset, endOffset, now, expirationMs);
  for (const group of groupBySize(segments.slice(0, count), config['segment.bytes'])) {
    const batches: RecordBatch[] = [];
    let created = 0;
    for (const segment of group) {
      created = Math.max(created, segment.created, segment.maxTimestamp);
      stats.bytesBefore += segment.size;
      for (const batch of segment.batches) {
        stats.recordsBefore += batch.count;
        const inRange = batch.lastOffset < endOffset;
        // A marker whose transaction has no batch left may go once its delete horizon has passed; it starts it now if it has none.
        const markerDiscardable = inRange && batch.isControl && txns.onMarker(batch);
        // As Kafka's cleaner, an aborted transaction's batches go whole.
        const abortedBatch = inRange && !batch.isControl && txns.onBatch(batch);
        const keep = new Uint8Array(batch.count);
        let keptTombstone = false;
        let kept = 0;
        for (let r = 0; r < batch.count; r++) {
          const offset = batch.baseOffset + r;
          let retain: boolean;
          if (offset >= endOffset) retain = true;
          else if (batch.isControl) retain = !markerDiscardable || batch.deleteHorizon === undefined || now < batch.deleteHorizon;
          else if (abortedBatch) retain = false;
          else if (!hasKey(batch, r)) retain = false;
          else {
            const found = latest.get(keyString(batch, r)!);
            retain = found === undefined || offset >= found;
            if (retain && isTombstone(batch, r)) {
              retain = batch.deleteHorizon === undefined || now < batch.deleteHorizon;
              if (!retain) stats.tombstonesRemoved++;
              else keptTombstone = true;
            }
          }
          // The twin keeps a log's last record while its active segment is empty, so that a
          // follower copying this log ends where it does (Kafka's batches keep their last offset).
          if (!retain && offset === lastOffset && activeEmpty) retain = true;
          if (!retain && batch.isControl) stats.markersRemoved++;
          if (retain) {
            keep[r] = 1;
            kept++;
          }
        }
        stats.recordsAfter += kept;
        if (kept === 0) {
          if (inRange && !batch.isControl) txns.onEmptied(batch);
          continue;
        }
        const horizon = batch.deleteHorizon ?? (keptTombstone || markerDiscardable ? now + config['delete.retention.ms'] : undefined);
        for (const b of rewrite(batch, keep, horizon, arena)) batches.push(b);
      }
    }
    const cleaned = segmentOf(group[0]!.baseOffset, batches, created);
    stats.bytesAfter += cleaned.size;
    replacement.push(cleaned);
  }
  stats.segmentsAfter = replacement.length;
  log.replaceSegments(0, count, replacement);
  log.producerState.replaceAbortedBelow(endOffset, txns.retained);
  log.emptiedBatches = txns.emptiedAfter();
  return stats;
}

/** Kafka's groupSegmentsBySize: consecutive segments whose sizes add up to at most `maxSize` become one. */
function groupBySize(segments: readonly Segment[], maxSize: number): Segment[][] {
  const groups: Segment[][] = [];
  let i = 0;
  while (i < segments.length) {
    const group = [segments[i]!];
    let size = segments[i]!.size;
    i++;
    while (i < segments.length && size + segments[i]!.size <= maxSize) {
      size += segments[i]!.size;
      group.push(segments[i]!);
      i++;
    }
    groups.push(group);
  }
  return groups;
}

/**
 * The rewritten batches of one old batch. Replicas share batch objects, so the first replica to
 * clean a batch a given way leaves its result here and the others reuse it: one copy in memory,
 * as before the cleaning.
 */
const rewritten = new WeakMap<RecordBatch, { readonly signature: string; readonly batches: readonly RecordBatch[] }>();

function rewrite(batch: RecordBatch, keep: Uint8Array, horizon: number | undefined, arena: ByteArena): readonly RecordBatch[] {
  const signature = `${horizon ?? ''}:${Buffer.from(keep.buffer, keep.byteOffset, keep.length).toString('latin1')}`;
  const known = rewritten.get(batch);
  if (known !== undefined && known.signature === signature) return known.batches;
  const batches = compactBatch(batch, keep, arena, horizon);
  rewritten.set(batch, { signature, batches });
  return batches;
}
