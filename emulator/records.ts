/**
 * Records and record batches as the engine stores them, and their size in Kafka's v2 on-disk
 * format. Sizes matter because `segment.bytes`, `retention.bytes` and `max.message.bytes` are
 * measured in those bytes on a real broker; computing the same numbers keeps the twin's segment
 * rolls and retention in step with Kafka's for the same input.
 */

/** One record header. Kafka allows repeated keys, so headers are a list, not a map. */
export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

/** A record as a producer hands it to the engine. */
export interface ProduceRecord {
  readonly key?: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: readonly RecordHeader[];
  /** CreateTime in ms; the cluster clock's now when omitted or negative. */
  readonly timestamp?: number;
}

/** A record with its final timestamp, as a reader sees it (without its offset). */
export interface StoredRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
  readonly timestamp: number;
}

/** Whose clock a record's timestamp came from. */
export type TimestampType = 'CreateTime' | 'LogAppendTime';

/**
 * A batch of records with consecutive offsets, written by one leader in one epoch, stored
 * compactly: the keys and values of every record are copied back to back into one Buffer, and
 * per-record positions and timestamps live in typed arrays. The copy makes the log immutable as a
 * broker's is (a producer reusing its Buffer after a send cannot change what was written), and
 * costs a few bytes per record instead of two Buffer objects each. Followers hold references to
 * the leader's batch objects (or views on them), so replicas share memory and two replicas hold
 * the same data exactly when they hold the same batch objects.
 */
export interface RecordBatch {
  readonly baseOffset: number;
  /** Offset of the last record; `baseOffset + count - 1`. */
  readonly lastOffset: number;
  readonly leaderEpoch: number;
  readonly timestampType: TimestampType;
  /** Largest record timestamp in the batch. */
  readonly maxTimestamp: number;
  /** Size of the batch in Kafka's v2 format, uncompressed. */
  readonly sizeInBytes: number;
  /** Number of records. */
  readonly count: number;
  /** The keys and values of the records, back to back. */
  readonly data: Buffer;
  /** Per record, three entries: where its key starts in `data`, the key's length and the value's length (-1 for null); the value follows the key. */
  readonly layout: Int32Array;
  /** Per record, its timestamp. */
  readonly timestamps: Float64Array;
  /** Per record, its headers (copies); undefined when no record of the batch has any. */
  readonly headers: readonly (readonly RecordHeader[])[] | undefined;
  /**
   * KIP-534's delete horizon: set by the cleaning that first kept a tombstone of this batch, to
   * that cleaning's time plus `delete.retention.ms`; a later cleaning at or after it drops the
   * batch's tombstones. Undefined until then.
   */
  readonly deleteHorizon?: number;
  /** The idempotent producer that wrote the batch (Kafka's producerId); -1 for none. */
  readonly producerId: number;
  /** That producer's epoch; -1 for none. */
  readonly producerEpoch: number;
  /** Sequence number of the first record (the others follow it); -1 for none. */
  readonly baseSequence: number;
  /** Part of a transaction: hidden from read_committed readers until its commit marker. */
  readonly isTransactional: boolean;
  /** A control batch: one commit or abort marker (see {@link markerOf}), never handed to applications. */
  readonly isControl: boolean;
}

/** What a batch says about its producer; every field has Kafka's "none" (-1, false) when omitted. */
export interface ProducerFields {
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly isTransactional?: boolean;
  readonly isControl?: boolean;
}

/** Kafka's "none" for the producer fields of a batch. */
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;

/** Sequence number of a batch's last record (sequences wrap from 2^31-1 to 0, as Kafka's DefaultRecordBatch.incrementSequence). */
export function lastSequenceOf(batch: RecordBatch): number {
  return batch.baseSequence < 0 ? NO_SEQUENCE : incrementSequence(batch.baseSequence, batch.count - 1);
}

/** `sequence + increment`, wrapping past 2^31-1 to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  const next = sequence + increment;
  return next > INT32_MAX ? next - INT32_MAX - 1 : next;
}
const INT32_MAX = 2147483647;

/**
 * The commit or abort marker of a control batch, decoded from its one record as Kafka's
 * EndTransactionMarker: key = version int16 (0) + type int16 (0 abort, 1 commit), value =
 * version int16 (0) + coordinatorEpoch int32. Undefined for a batch that is not one.
 */
export function markerOf(batch: RecordBatch): { readonly commit: boolean; readonly coordinatorEpoch: number } | undefined {
  if (!batch.isControl || batch.count === 0) return undefined;
  const at = batch.layout[0]!;
  const keyLength = batch.layout[1]!;
  const valueLength = batch.layout[2]!;
  if (keyLength < 4 || valueLength < 6) return undefined;
  const type = batch.data.readInt16BE(at + 2);
  return { commit: type === 1, coordinatorEpoch: batch.data.readInt32BE(at + keyLength + 2) };
}

/** The key and value of a control record as Kafka writes an end-transaction marker. */
export function markerRecord(commit: boolean, coordinatorEpoch: number): { key: Buffer; value: Buffer } {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(commit ? 1 : 0, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return { key, value };
}

/** The headers of a record without any: one shared frozen list rather than one allocated per record. */
export const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);

/** Where a new batch goes and who wrote it. */
export interface BatchMeta extends ProducerFields {
  readonly baseOffset: number;
  readonly leaderEpoch: number;
  readonly timestampType: TimestampType;
}

/**
 * Packs records into a batch, copying their bytes into `arena`; `timestamps` are the records'
 * final timestamps. The caller has validated the records (keys and values are Buffers or null);
 * `acceptSize` may refuse the batch by its v2 size (returning false) before anything is copied,
 * and then no batch is made.
 */
export function packBatch(
  arena: ByteArena,
  records: readonly ProduceRecord[],
  timestamps: Float64Array,
  meta: BatchMeta,
): RecordBatch;
export function packBatch(
  arena: ByteArena,
  records: readonly ProduceRecord[],
  timestamps: Float64Array,
  meta: BatchMeta,
  acceptSize: (sizeInBytes: number) => boolean,
): RecordBatch | undefined;
export function packBatch(
  arena: ByteArena,
  records: readonly ProduceRecord[],
  timestamps: Float64Array,
  meta: BatchMeta,
  acceptSize?: (sizeInBytes: number) => boolean,
): RecordBatch | undefined {
  const count = records.length;
  const layout = arena.int32(count * 3);
  let bytes = 0;
  let headers: (readonly RecordHeader[])[] | undefined;
  let size = RECORD_BATCH_OVERHEAD;
  let maxTimestamp = -1;
  const first = count > 0 ? timestamps[0]! : 0;
  for (let i = 0; i < count; i++) {
    const r = records[i]!;
    const key = r.key ?? null;
    const value = r.value ?? null;
    const keyLength = key === null ? -1 : key.length;
    const valueLength = value === null ? -1 : value.length;
    layout[i * 3] = bytes;
    layout[i * 3 + 1] = keyLength;
    layout[i * 3 + 2] = valueLength;
    bytes += (keyLength > 0 ? keyLength : 0) + (valueLength > 0 ? valueLength : 0);
    const h = r.headers;
    if (h !== undefined && h.length > 0) {
      headers ??= new Array<readonly RecordHeader[]>(count).fill(NO_HEADERS);
      headers[i] = h.map((x) => ({ key: x.key, value: x.value === null ? null : Buffer.from(x.value) }));
    }
    const ts = timestamps[i]!;
    if (ts > maxTimestamp) maxTimestamp = ts;
    size += sizeOfRecord(i, ts - first, keyLength, valueLength, h ?? NO_HEADERS);
  }
  if (acceptSize !== undefined && !acceptSize(size)) return undefined;
  const data = arena.alloc(bytes);
  for (let i = 0; i < count; i++) {
    const r = records[i]!;
    const at = layout[i * 3]!;
    const keyLength = layout[i * 3 + 1]!;
    if (keyLength > 0) data.set(r.key!, at);
    if (layout[i * 3 + 2]! > 0) data.set(r.value!, keyLength > 0 ? at + keyLength : at);
  }
  return {
    baseOffset: meta.baseOffset,
    lastOffset: meta.baseOffset + count - 1,
    leaderEpoch: meta.leaderEpoch,
    timestampType: meta.timestampType,
    maxTimestamp,
    sizeInBytes: size,
    count,
    data,
    layout,
    timestamps,
    headers,
    producerId: meta.producerId ?? NO_PRODUCER_ID,
    producerEpoch: meta.producerEpoch ?? NO_PRODUCER_EPOCH,
    baseSequence: meta.baseSequence ?? NO_SEQUENCE,
    isTransactional: meta.isTransactional ?? false,
    isControl: meta.isControl ?? false,
  };
}

/**
 * The records `[from, to)` of a batch (indexes within it) as a batch of their own, sharing its
 * memory; what a follower fetching from inside a leader's batch, or a truncation cutting one,
 * ends up holding. Its size and max timestamp are recomputed as Kafka would for the smaller batch.
 */
export function sliceBatch(batch: RecordBatch, from: number, to: number = batch.count): RecordBatch {
  // A reader positioned in a gap a cleaning left (below this batch) starts at the batch's first record.
  if (from < 0) from = 0;
  if (from === 0 && to === batch.count) return batch;
  const count = to - from;
  const layout = batch.layout.subarray(from * 3, to * 3);
  const timestamps = batch.timestamps.subarray(from, to);
  const headers = batch.headers?.slice(from, to);
  let size = RECORD_BATCH_OVERHEAD;
  let maxTimestamp = -1;
  const first = count > 0 ? timestamps[0]! : 0;
  for (let i = 0; i < count; i++) {
    const ts = timestamps[i]!;
    if (ts > maxTimestamp) maxTimestamp = ts;
    size += sizeOfRecord(i, ts - first, layout[i * 3 + 1]!, layout[i * 3 + 2]!, headers?.[i] ?? NO_HEADERS);
  }
  return {
    ...batch,
    baseOffset: batch.baseOffset + from,
    lastOffset: batch.baseOffset + to - 1,
    maxTimestamp,
    sizeInBytes: size,
    count,
    layout,
    timestamps,
    headers,
    // The slice's first record keeps its own sequence number.
    baseSequence: batch.baseSequence < 0 ? NO_SEQUENCE : incrementSequence(batch.baseSequence, from),
  };
}

/**
 * What the log cleaner writes for one batch: the records `keep` marks, copied into `arena` (so
 * the old batch's memory can go), with their offsets, timestamps and headers. Kafka rewrites the
 * batch in place keeping its base offset, so its records leave gaps; the twin's batches hold
 * consecutive offsets, so each run of kept records becomes a batch of its own. Their sizes add up
 * to Kafka's rewritten batch: the first run carries the batch header, and every record is sized
 * by its offset delta in the original batch. Empty when nothing is kept.
 */
export function compactBatch(batch: RecordBatch, keep: Uint8Array, arena: ByteArena, deleteHorizon: number | undefined): RecordBatch[] {
  const out: RecordBatch[] = [];
  let firstTimestamp = -1;
  for (let i = 0; i < batch.count; i++) {
    if (keep[i]) {
      firstTimestamp = batch.timestamps[i]!;
      break;
    }
  }
  let i = 0;
  while (i < batch.count) {
    if (!keep[i]) {
      i++;
      continue;
    }
    const from = i;
    while (i < batch.count && keep[i]) i++;
    const to = i;
    const count = to - from;
    const length = bytesOf(batch, from, to);
    const start = batch.layout[from * 3]!;
    const data = arena.alloc(length);
    data.set(batch.data.subarray(start, start + length));
    const layout = arena.int32(count * 3);
    const timestamps = arena.float64(count);
    let size = out.length === 0 ? RECORD_BATCH_OVERHEAD : 0;
    let maxTimestamp = -1;
    const headers = batch.headers?.slice(from, to);
    for (let k = 0; k < count; k++) {
      const j = from + k;
      layout[k * 3] = batch.layout[j * 3]! - start;
      layout[k * 3 + 1] = batch.layout[j * 3 + 1]!;
      layout[k * 3 + 2] = batch.layout[j * 3 + 2]!;
      const ts = batch.timestamps[j]!;
      timestamps[k] = ts;
      if (ts > maxTimestamp) maxTimestamp = ts;
      size += sizeOfRecord(j, ts - firstTimestamp, layout[k * 3 + 1]!, layout[k * 3 + 2]!, headers?.[k] ?? NO_HEADERS);
    }
    out.push({
      baseOffset: batch.baseOffset + from,
      lastOffset: batch.baseOffset + to - 1,
      leaderEpoch: batch.leaderEpoch,
      timestampType: batch.timestampType,
      maxTimestamp,
      sizeInBytes: size,
      count,
      data,
      layout,
      timestamps,
      headers,
      ...(deleteHorizon === undefined ? {} : { deleteHorizon }),
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence < 0 ? NO_SEQUENCE : incrementSequence(batch.baseSequence, from),
      isTransactional: batch.isTransactional,
      isControl: batch.isControl,
    });
  }
  return out;
}

/** Whether record `i` of a batch is a tombstone: a key and a null value. */
export function isTombstone(batch: RecordBatch, i: number): boolean {
  return batch.layout[i * 3 + 1]! >= 0 && batch.layout[i * 3 + 2]! < 0;
}

/** Whether record `i` of a batch has a key. */
export function hasKey(batch: RecordBatch, i: number): boolean {
  return batch.layout[i * 3 + 1]! >= 0;
}

/** Record `i`'s key as a string map key (latin1: one char per byte, so distinct keys stay distinct); null without a key. */
export function keyString(batch: RecordBatch, i: number): string | null {
  const length = batch.layout[i * 3 + 1]!;
  if (length < 0) return null;
  const at = batch.layout[i * 3]!;
  return batch.data.toString('latin1', at, at + length);
}

/** Bytes records `[from, to)` of a batch hold in its `data`. */
export function bytesOf(batch: RecordBatch, from: number, to: number): number {
  if (from >= to) return 0;
  const layout = batch.layout;
  const last = (to - 1) * 3;
  return layout[last]! + Math.max(0, layout[last + 1]!) + Math.max(0, layout[last + 2]!) - layout[from * 3]!;
}

/** Records `[from, to)` (indexes within the batch) of one batch: part of a fetch, not yet copied out. */
export interface RecordRange {
  readonly batch: RecordBatch;
  readonly from: number;
  readonly to: number;
}

/**
 * Hands the records of `ranges` out to a reader, in order. Like a fetch response off the network,
 * they are the reader's own: all their bytes are copied into one fresh Buffer and `visit` gets
 * keys and values as views on it (and copies of header values), so a reader writing into them
 * changes nothing in the log.
 */
export function copyOut(
  ranges: readonly RecordRange[],
  visit: (batch: RecordBatch, i: number, key: Buffer | null, value: Buffer | null, headers: readonly RecordHeader[]) => void,
): void {
  let total = 0;
  for (const { batch, from, to } of ranges) total += bytesOf(batch, from, to);
  const into = Buffer.allocUnsafe(total);
  let at = 0;
  for (const { batch, from, to } of ranges) {
    if (from >= to) continue;
    const layout = batch.layout;
    const first = layout[from * 3]!;
    const length = bytesOf(batch, from, to);
    into.set(batch.data.subarray(first, first + length), at);
    const shift = at - first;
    at += length;
    const headers = batch.headers;
    for (let i = from; i < to; i++) {
      const start = layout[i * 3]! + shift;
      const keyLength = layout[i * 3 + 1]!;
      const valueLength = layout[i * 3 + 2]!;
      const valueStart = keyLength > 0 ? start + keyLength : start;
      visit(
        batch,
        i,
        keyLength < 0 ? null : into.subarray(start, start + keyLength),
        valueLength < 0 ? null : into.subarray(valueStart, valueStart + valueLength),
        headers === undefined || headers[i]!.length === 0
          ? NO_HEADERS
          : headers[i]!.map((h) => ({ key: h.key, value: h.value === null ? null : Buffer.from(h.value) })),
      );
    }
  }
}

/** The records of `ranges` as {@link FetchedRecord}s (see {@link copyOut}). */
export function readRecords(ranges: readonly RecordRange[]): FetchedRecord[] {
  const out: FetchedRecord[] = [];
  copyOut(ranges, (batch, i, key, value, headers) => {
    out.push({
      offset: batch.baseOffset + i,
      key,
      value,
      headers,
      timestamp: batch.timestamps[i]!,
      timestampType: batch.timestampType,
      leaderEpoch: batch.leaderEpoch,
      ...(batch.isControl ? { isControl: true } : {}),
    });
  });
  return out;
}

/**
 * Where a partition's batches get their bytes: slices of shared chunks rather than one
 * ArrayBuffer per batch, since allocating many mid-sized ArrayBuffers (and collecting them)
 * dominated the produce path. Chunks start small and double up to 1 MiB, so a partition with
 * little data holds little; a chunk is freed when retention has dropped every batch in it.
 */
export class ByteArena {
  private chunk: Buffer = EMPTY;
  private used = 0;

  /** A writable slice of `n` bytes that no other allocation shares. */
  alloc(n: number): Buffer {
    if (this.used + n > this.chunk.length) {
      if (n > MAX_CHUNK / 4) return Buffer.allocUnsafeSlow(n);
      this.chunk = Buffer.allocUnsafeSlow(Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, this.chunk.length * 2, (n + 7) & ~7)));
      this.used = 0;
    }
    const slice = this.chunk.subarray(this.used, this.used + n);
    this.used += n;
    return slice;
  }

  /** `n` 32-bit integers, zeroed (per-batch typed arrays come from the chunks too, not an ArrayBuffer each). */
  int32(n: number): Int32Array {
    const bytes = this.alignedAlloc(n * 4);
    return new Int32Array(bytes.buffer, bytes.byteOffset, n).fill(0);
  }

  /** `n` 64-bit floats, zeroed. */
  float64(n: number): Float64Array {
    const bytes = this.alignedAlloc(n * 8);
    return new Float64Array(bytes.buffer, bytes.byteOffset, n).fill(0);
  }

  private alignedAlloc(n: number): Buffer {
    this.used = Math.min(this.chunk.length, (this.used + 7) & ~7);
    return this.alloc(n);
  }
}

const EMPTY = Buffer.alloc(0);
const MIN_CHUNK = 1024;
const MAX_CHUNK = 1 << 20;

/** A record handed to a reader, with its offset. */
export interface FetchedRecord extends StoredRecord {
  readonly offset: number;
  readonly timestampType: TimestampType;
  readonly leaderEpoch: number;
  /** Set (true) on a transaction marker, which a broker's Fetch returns and a client never hands to its application. */
  readonly isControl?: true;
}

/** Fixed overhead of a v2 record batch header (Kafka's RECORD_BATCH_OVERHEAD). */
export const RECORD_BATCH_OVERHEAD = 61;

/** Bytes of a zig-zag varint (or varlong) holding `value`. */
export function sizeOfVarint(value: number): number {
  // Zig-zag maps sign into the low bit; numbers here stay far below 2^53, so plain arithmetic is exact.
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  // Every record needs several of these; the usual small values skip the loop.
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  let bytes = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    bytes++;
  }
  return bytes;
}

/** Bytes of a length-prefixed field of `length` bytes (-1: null, one byte). */
function sizeOfBytesField(length: number): number {
  return length < 0 ? 1 : sizeOfVarint(length) + length;
}

function sizeOfRecord(offsetDelta: number, timestampDelta: number, keyLength: number, valueLength: number, headers: readonly RecordHeader[]): number {
  let body = 1 + sizeOfVarint(offsetDelta) + sizeOfVarint(timestampDelta) + sizeOfBytesField(keyLength) + sizeOfBytesField(valueLength);
  body += sizeOfVarint(headers.length);
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    const keyLength = Buffer.byteLength(h.key);
    body += sizeOfVarint(keyLength) + keyLength + sizeOfBytesField(h.value === null ? -1 : h.value.length);
  }
  return sizeOfVarint(body) + body;
}

/** Size of one record in a v2 batch, as Kafka's DefaultRecord.sizeInBytes computes it. */
export function recordSizeInBytes(offsetDelta: number, timestampDelta: number, record: StoredRecord): number {
  return sizeOfRecord(
    offsetDelta,
    timestampDelta,
    record.key === null ? -1 : record.key.length,
    record.value === null ? -1 : record.value.length,
    record.headers,
  );
}

/** Size of a v2 batch holding `records`, its first timestamp being the first record's. */
export function batchSizeInBytes(records: readonly StoredRecord[]): number {
  let size = RECORD_BATCH_OVERHEAD;
  if (records.length === 0) return size;
  const first = records[0]!.timestamp;
  for (let i = 0; i < records.length; i++) size += recordSizeInBytes(i, records[i]!.timestamp - first, records[i]!);
  return size;
}
