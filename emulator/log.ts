/**
 * One replica's copy of a partition: a list of segments of record batches, the log start offset,
 * the log end offset, and the leader-epoch cache that lets a follower find where its log diverges
 * from a new leader's. Each broker hosting a replica has its own ReplicaLog; they share batch
 * objects, not arrays.
 */
import { ProducerStateManager } from './producers.js';
import { readRecords, sliceBatch, type FetchedRecord, type RecordBatch, type RecordRange } from './records.js';

/** A batch the cleaner emptied while it held its producer's last sequence: what Kafka keeps as an empty batch. */
export interface EmptiedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly producerId: number;
  readonly isTransactional: boolean;
}

/** One segment: the unit of rolling and of retention. */
export interface Segment {
  readonly baseOffset: number;
  readonly batches: RecordBatch[];
  /** Bytes held, in Kafka's v2 format. */
  size: number;
  /** Cluster time the segment was created; used for `segment.ms` when it has no timestamps yet. */
  readonly created: number;
  /** Max timestamp of the first batch, which Kafka measures `segment.ms` from. */
  firstBatchTimestamp: number;
  /** Largest record timestamp held; what `retention.ms` compares with. */
  maxTimestamp: number;
}

/** What the roll rule needs from the topic's settings. */
export interface RollSettings {
  readonly 'segment.bytes': number;
  readonly 'segment.ms': number;
}

/** What retention needs from the topic's settings. */
export interface RetentionSettings {
  readonly 'retention.ms': number;
  readonly 'retention.bytes': number;
}

/** A segment removed by retention, described for the event log. */
export interface DeletedSegment {
  readonly baseOffset: number;
  /** One past the last offset the segment held. */
  readonly endOffset: number;
  readonly size: number;
  /** Largest record timestamp the segment held (-1 when it held none). */
  readonly maxTimestamp: number;
  readonly reason: 'retention.ms' | 'retention.bytes' | 'log-start-offset';
}

interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export class ReplicaLog {
  readonly segments: Segment[];
  private startOffset: number;
  private endOffset: number;
  private bytes = 0;
  private readonly epochs: EpochEntry[] = [];
  /** This replica's view of the high watermark. */
  highWatermark: number;
  /**
   * The log cleaner's checkpoint for this replica (Kafka's cleaner-offset-checkpoint): where the
   * dirty part starts, the end of the last cleaning. Undefined until the first cleaning.
   */
  cleanerCheckpoint: number | undefined;
  /** What this replica knows of the idempotent and transactional producers that wrote to it (producers.ts). */
  readonly producerState = new ProducerStateManager();
  /**
   * Batches the cleaner emptied while each held its producer's last sequence, in offset order.
   * Kafka keeps such a batch, without records (RETAIN_EMPTY), until it is no longer its
   * producer's last; the twin keeps no empty batches, only these notes, which the cleaner walks
   * as Kafka's walks the empty batches (cleaned-txns.ts).
   */
  emptiedBatches: readonly EmptiedBatch[] = [];

  constructor(startOffset: number, now: number) {
    this.startOffset = startOffset;
    this.endOffset = startOffset;
    this.highWatermark = startOffset;
    this.cleanerCheckpoint = undefined;
    this.segments = [newSegment(startOffset, now)];
  }

  get logStartOffset(): number {
    return this.startOffset;
  }

  get logEndOffset(): number {
    return this.endOffset;
  }

  /** Total bytes over all segments. */
  get size(): number {
    return this.bytes;
  }

  get activeSegment(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /**
   * The last stable offset: the first offset of the earliest open transaction, capped by this
   * replica's high watermark (Kafka's UnifiedLog.lastStableOffset). read_committed reads stop here.
   * Never below the log start: DeleteRecords or retention past an open transaction's first offset
   * moves it up (Kafka's maybeIncrementFirstUnstableOffset).
   */
  get lastStableOffset(): number {
    return this.lastStableOffsetBelow(this.highWatermark);
  }

  /** {@link lastStableOffset} under a given high watermark (a leader's log answers with its partition's). */
  lastStableOffsetBelow(highWatermark: number): number {
    const unstable = this.producerState.firstUnstableOffset();
    return unstable === undefined ? highWatermark : Math.min(Math.max(unstable, this.logStartOffset), highWatermark);
  }

  /** Latest leader epoch this log holds data (or leadership) for, or -1. */
  get latestEpoch(): number {
    return this.epochs.length === 0 ? -1 : this.epochs[this.epochs.length - 1]!.epoch;
  }

  /** Start offset of the latest epoch, or -1. */
  get latestEpochStartOffset(): number {
    return this.epochs.length === 0 ? -1 : this.epochs[this.epochs.length - 1]!.startOffset;
  }

  /** Records that `epoch` starts at the current log end (a new leader does this on election). */
  assignEpoch(epoch: number, startOffset: number = this.endOffset): void {
    const last = this.epochs[this.epochs.length - 1];
    if (last !== undefined && last.epoch >= epoch) return;
    if (last !== undefined && last.startOffset === startOffset) {
      // An epoch that never got data is superseded in place, as Kafka's epoch cache does.
      last.epoch = epoch;
      return;
    }
    this.epochs.push({ epoch, startOffset });
  }

  /**
   * Appends a batch whose offsets start at the log end (the leader assigned them). Rolls a new
   * segment first when the active one is full or old, by Kafka's rule: bytes would pass
   * `segment.bytes`, or the batch's timestamp is `segment.ms` past the segment's first batch.
   * Returns the segment rolled, if any.
   */
  append(batch: RecordBatch, settings: RollSettings, now: number): Segment | undefined {
    // A follower copying a cleaned leader log may skip offsets a cleaning removed; never go back.
    if (batch.baseOffset < this.endOffset) {
      throw new Error(`invariant: batch at ${batch.baseOffset} appended to a log ending at ${this.endOffset}`);
    }
    let rolled: Segment | undefined;
    const active = this.activeSegment;
    if (active.size > 0 && this.shouldRoll(active, batch, settings, now)) {
      rolled = active;
      this.segments.push(newSegment(batch.baseOffset, now));
    }
    const segment = this.activeSegment;
    if (segment.batches.length === 0) segment.firstBatchTimestamp = batch.maxTimestamp;
    segment.batches.push(batch);
    segment.size += batch.sizeInBytes;
    if (batch.maxTimestamp > segment.maxTimestamp) segment.maxTimestamp = batch.maxTimestamp;
    this.bytes += batch.sizeInBytes;
    this.endOffset = batch.lastOffset + 1;
    this.assignEpoch(batch.leaderEpoch, batch.baseOffset);
    this.producerState.apply(batch);
    return rolled;
  }

  private shouldRoll(segment: Segment, batch: RecordBatch, settings: RollSettings, now: number): boolean {
    if (segment.size + batch.sizeInBytes > settings['segment.bytes']) return true;
    const waited = segment.firstBatchTimestamp >= 0 ? batch.maxTimestamp - segment.firstBatchTimestamp : now - segment.created;
    return waited > settings['segment.ms'];
  }

  /** Starts a new empty active segment at the log end (no-op when the active one is empty). */
  roll(now: number): void {
    if (this.activeSegment.size === 0 && this.activeSegment.batches.length === 0) return;
    this.segments.push(newSegment(this.endOffset, now));
  }

  /** Index of the batch holding `offset`, or of the first batch after it; -1 past the end. */
  private locate(offset: number): { segment: number; batch: number } | undefined {
    const segments = this.segments;
    for (let s = segmentIndexOf(segments, offset); s < segments.length; s++) {
      const batches = segments[s]!.batches;
      let bl = 0;
      let bh = batches.length;
      while (bl < bh) {
        const mid = (bl + bh) >> 1;
        if (batches[mid]!.lastOffset < offset) bl = mid + 1;
        else bh = mid;
      }
      if (bl < batches.length) return { segment: s, batch: bl };
    }
    return undefined;
  }

  /** The batches holding offsets from `offset` up to the log end, in order. */
  batchesFrom(offset: number): RecordBatch[] {
    const at = this.locate(offset);
    if (at === undefined) return [];
    const out: RecordBatch[] = [];
    for (let s = at.segment; s < this.segments.length; s++) {
      const batches = this.segments[s]!.batches;
      for (let b = s === at.segment ? at.batch : 0; b < batches.length; b++) out.push(batches[b]!);
    }
    return out;
  }

  /**
   * Reads records in `[offset, upTo)`. At least one record is returned when any is available,
   * then whole records until `maxBytes` would be passed (Kafka's KIP-74 rule), at most `maxRecords`.
   */
  read(offset: number, upTo: number, maxBytes: number, maxRecords = Infinity): FetchedRecord[] {
    return readRecords(this.rangesOf(offset, upTo, maxBytes, maxRecords));
  }

  /** What {@link read} would return, as ranges of batches whose records are not copied out yet. */
  rangesOf(offset: number, upTo: number, maxBytes: number, maxRecords = Infinity): RecordRange[] {
    const out: RecordRange[] = [];
    if (offset >= upTo) return out;
    const at = this.locate(offset);
    if (at === undefined) return out;
    let bytes = 0;
    let count = 0;
    for (let s = at.segment; s < this.segments.length; s++) {
      const batches = this.segments[s]!.batches;
      for (let b = s === at.segment ? at.batch : 0; b < batches.length; b++) {
        const batch = batches[b]!;
        if (batch.baseOffset >= upTo || count >= maxRecords) return out;
        if (count > 0 && bytes + batch.sizeInBytes > maxBytes) return out;
        bytes += batch.sizeInBytes;
        const from = Math.max(0, offset - batch.baseOffset);
        const to = Math.min(batch.count, upTo - batch.baseOffset, from + maxRecords - count);
        out.push({ batch, from, to });
        count += to - from;
      }
    }
    return out;
  }

  /**
   * Kafka's OffsetsForLeaderEpoch answer from this log (its LeaderEpochFileCache): the largest
   * epoch at or below `epoch` that it knows, and the offset where that epoch ends here (where the
   * next known epoch starts; the log end for the latest). An epoch older than every one known
   * answers itself and the start of the first known one, as Kafka does: what came before is gone.
   * An undefined (negative) epoch, or one newer than the latest, has no answer (-1, -1).
   * With `cut`, answers as if the log had first been truncated there (a follower between rounds).
   */
  endOffsetForEpoch(epoch: number, cut?: number): { epoch: number; endOffset: number } {
    const epochs = this.epochs;
    const known = this.epochsKept(cut);
    const end = cut === undefined ? this.endOffset : Math.min(cut, this.endOffset);
    if (epoch < 0 || known === 0) return { epoch: -1, endOffset: -1 };
    if (epoch === epochs[known - 1]!.epoch) return { epoch, endOffset: end };
    let i = known - 1;
    while (i >= 0 && epochs[i]!.epoch > epoch) i--;
    if (i === known - 1) return { epoch: -1, endOffset: -1 };
    const nextStart = epochs[i + 1]!.startOffset;
    return { epoch: i < 0 ? epoch : epochs[i]!.epoch, endOffset: nextStart };
  }

  /**
   * Where this log stops agreeing with `leader`'s: the offset a follower of `leader` truncates
   * to. Kafka's follower exchange (AbstractFetcherThread): it asks for the end of its latest
   * epoch; when the answer names an epoch it has too, the logs agree up to the smaller of the two
   * ends; when it names one it lacks, it cuts back to where its own older epoch ends and asks
   * again. With no answer, back to its high watermark. The log itself is not changed.
   */
  divergenceFrom(leader: ReplicaLog): number {
    let cut: number | undefined;
    let end = this.endOffset;
    for (;;) {
      const known = this.epochsKept(cut);
      const answer = leader.endOffsetForEpoch(known === 0 ? -1 : this.epochs[known - 1]!.epoch);
      if (answer.endOffset < 0) return Math.min(this.highWatermark, end);
      const own = this.endOffsetForEpoch(answer.epoch, cut);
      if (own.endOffset < 0) return Math.min(answer.endOffset, end);
      if (own.epoch === answer.epoch) return Math.min(own.endOffset, answer.endOffset, end);
      // Cutting drops the epoch asked about (it starts at or after own.endOffset), so each round
      // asks about an older one.
      end = Math.min(own.endOffset, end);
      cut = end;
    }
  }

  /**
   * How many epoch entries remain after a truncation to `cut`: Kafka drops those starting at or
   * above it, even when no record goes (an epoch this log began as leader and never wrote in).
   */
  private epochsKept(cut: number | undefined): number {
    let known = this.epochs.length;
    if (cut === undefined) return known;
    while (known > 0 && this.epochs[known - 1]!.startOffset >= cut) known--;
    return known;
  }

  /**
   * Removes every record at or above `offset` (a follower's truncation to its leader's log).
   * Returns how many records were removed.
   */
  truncateTo(offset: number, now: number): number {
    // Kafka's LogCleanerManager.maybeTruncateCheckpoint: the dirty part cannot start past the new end.
    if (this.cleanerCheckpoint !== undefined && this.cleanerCheckpoint > offset) this.cleanerCheckpoint = offset;
    if (offset >= this.endOffset) {
      // No record goes, but as in Kafka an epoch this log began as leader at its end, and never
      // wrote in, does: the records it fetches next may be from an older epoch.
      while (this.epochs.length > 0 && this.epochs[this.epochs.length - 1]!.startOffset >= this.endOffset) this.epochs.pop();
      return 0;
    }
    const removed = this.endOffset - Math.max(offset, this.startOffset);
    if (offset <= this.startOffset) {
      this.truncateFullyAndStartAt(Math.max(offset, this.startOffset), now);
      return removed;
    }
    while (this.segments.length > 1 && this.activeSegment.baseOffset >= offset) {
      this.bytes -= this.segments.pop()!.size;
    }
    const segment = this.activeSegment;
    while (segment.batches.length > 0 && segment.batches[segment.batches.length - 1]!.baseOffset >= offset) {
      const dropped = segment.batches.pop()!;
      segment.size -= dropped.sizeInBytes;
      this.bytes -= dropped.sizeInBytes;
    }
    const last = segment.batches[segment.batches.length - 1];
    if (last !== undefined && last.lastOffset >= offset) {
      // The cut falls inside a batch: keep its head as a smaller batch, as a follower fetching from the new leader would.
      const kept = sliceBatch(last, 0, offset - last.baseOffset);
      segment.batches[segment.batches.length - 1] = kept;
      segment.size += kept.sizeInBytes - last.sizeInBytes;
      this.bytes += kept.sizeInBytes - last.sizeInBytes;
    }
    segment.maxTimestamp = segment.batches.reduce((m, b) => Math.max(m, b.maxTimestamp), -1);
    if (segment.batches.length === 0) segment.firstBatchTimestamp = -1;
    this.endOffset = offset;
    if (this.highWatermark > offset) this.highWatermark = offset;
    while (this.epochs.length > 0 && this.epochs[this.epochs.length - 1]!.startOffset >= offset) this.epochs.pop();
    this.producerState.truncateTo(offset, this.batchesFrom(this.startOffset));
    this.emptiedBatches = this.emptiedBatches.filter((b) => b.lastOffset < offset);
    return removed;
  }

  /** Drops everything and restarts the log at `offset` (a follower far behind a leader's log start). */
  truncateFullyAndStartAt(offset: number, now: number): void {
    this.segments.length = 0;
    this.segments.push(newSegment(offset, now));
    this.bytes = 0;
    this.startOffset = offset;
    this.endOffset = offset;
    this.highWatermark = offset;
    this.epochs.length = 0;
    this.cleanerCheckpoint = undefined;
    this.producerState.clear();
    this.emptiedBatches = [];
  }

  /**
   * Swaps `count` segments from `index` for `replacement` (the cleaner's rewritten segments, which
   * hold no offset outside the ones they replace).
   */
  replaceSegments(index: number, count: number, replacement: readonly Segment[]): void {
    for (let i = index; i < index + count; i++) this.bytes -= this.segments[i]!.size;
    for (const segment of replacement) this.bytes += segment.size;
    this.segments.splice(index, count, ...replacement);
  }

  /** Moves the log start offset forward (never back), e.g. to follow the leader's. */
  advanceLogStartOffset(offset: number): boolean {
    if (offset <= this.startOffset) return false;
    this.startOffset = Math.min(offset, this.endOffset);
    this.trimEpochsBelow(this.startOffset);
    return true;
  }

  private trimEpochsBelow(offset: number): void {
    while (this.epochs.length > 1 && this.epochs[1]!.startOffset <= offset) this.epochs.shift();
    if (this.epochs.length > 0 && this.epochs[0]!.startOffset < offset) this.epochs[0]!.startOffset = offset;
  }

  /**
   * Kafka's retention pass over this log: segments wholly below the log start offset, then those
   * over `retention.bytes`, then those older than `retention.ms`, always oldest first and only
   * segments that end at or below the high watermark. When every segment is to go, a new empty
   * active segment is rolled first, so the log always keeps one and the active one at deletion
   * time is never removed.
   */
  applyRetention(settings: RetentionSettings, now: number): DeletedSegment[] {
    const deleted: DeletedSegment[] = [];
    const upperBound = (i: number) => (i + 1 < this.segments.length ? this.segments[i + 1]!.baseOffset : this.endOffset);
    const take = (reason: DeletedSegment['reason'], predicate: (segment: Segment, index: number) => boolean) => {
      let n = 0;
      while (n < this.segments.length) {
        const segment = this.segments[n]!;
        const isLastAndEmpty = n === this.segments.length - 1 && segment.size === 0;
        if (isLastAndEmpty || this.highWatermark < upperBound(n) || !predicate(segment, n)) break;
        n++;
      }
      if (n === 0) return;
      if (n === this.segments.length) this.roll(now);
      for (let i = 0; i < n; i++) {
        const segment = this.segments.shift()!;
        this.bytes -= segment.size;
        deleted.push({ baseOffset: segment.baseOffset, endOffset: this.segments[0]!.baseOffset, size: segment.size, maxTimestamp: segment.maxTimestamp, reason });
      }
      this.advanceLogStartOffset(this.segments[0]!.baseOffset);
    };

    // As Kafka's deleteLogStartOffsetBreachedSegments: a segment goes once the next one starts at or below the log start (never the active one).
    take('log-start-offset', (_segment, i) => i + 1 < this.segments.length && this.segments[i + 1]!.baseOffset <= this.startOffset);
    if (settings['retention.bytes'] >= 0) {
      let excess = this.bytes - settings['retention.bytes'];
      take('retention.bytes', (segment) => {
        if (excess - segment.size < 0) return false;
        excess -= segment.size;
        return true;
      });
    }
    if (settings['retention.ms'] >= 0) {
      take('retention.ms', (segment) => now - segmentTimestamp(segment) > settings['retention.ms']);
    }
    return deleted;
  }

  /**
   * The first offset whose record timestamp is at or after `timestamp`, below `upTo`, with that
   * record's timestamp; undefined when there is none (Kafka answers -1).
   */
  offsetForTimestamp(timestamp: number, upTo: number): { offset: number; timestamp: number } | undefined {
    for (const segment of this.segments) {
      if (segment.maxTimestamp < timestamp) continue;
      for (const batch of segment.batches) {
        if (batch.maxTimestamp < timestamp) continue;
        const timestamps = batch.timestamps;
        for (let i = 0; i < batch.count; i++) {
          const offset = batch.baseOffset + i;
          if (offset >= upTo) return undefined;
          if (offset >= this.startOffset && timestamps[i]! >= timestamp) return { offset, timestamp: timestamps[i]! };
        }
      }
    }
    return undefined;
  }

  /** The offset and timestamp of the record with the largest timestamp below `upTo` (the first such on ties). */
  maxTimestampOffset(upTo: number): { offset: number; timestamp: number } | undefined {
    let best: { offset: number; timestamp: number } | undefined;
    for (const segment of this.segments) {
      for (const batch of segment.batches) {
        const timestamps = batch.timestamps;
        for (let i = 0; i < batch.count; i++) {
          const offset = batch.baseOffset + i;
          if (offset >= upTo) return best;
          const ts = timestamps[i]!;
          if (offset >= this.startOffset && (best === undefined || ts > best.timestamp)) best = { offset, timestamp: ts };
        }
      }
    }
    return best;
  }
}

function newSegment(baseOffset: number, now: number): Segment {
  return { baseOffset, batches: [], size: 0, created: now, firstBatchTimestamp: -1, maxTimestamp: -1 };
}

/** A segment holding `batches` (in offset order, all at or above `baseOffset`), its size and timestamps computed. */
export function segmentOf(baseOffset: number, batches: RecordBatch[], created: number): Segment {
  let size = 0;
  let maxTimestamp = -1;
  for (const b of batches) {
    size += b.sizeInBytes;
    if (b.maxTimestamp > maxTimestamp) maxTimestamp = b.maxTimestamp;
  }
  return { baseOffset, batches, size, created, firstBatchTimestamp: batches.length > 0 ? batches[0]!.maxTimestamp : -1, maxTimestamp };
}

/** The time retention measures a segment by: its largest record timestamp, else its creation time. */
export function segmentTimestamp(segment: Segment): number {
  return segment.maxTimestamp >= 0 ? segment.maxTimestamp : segment.created;
}

/** Index of the segment holding `offset` (the last with a base at or below it; 0 when below all). */
export function segmentIndexOf(segments: readonly Segment[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segments[mid]!.baseOffset <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
