/**
 * Record batches, message format v2 (magic 2), the `records` of Produce v3+ and Fetch v4+:
 *
 *   baseOffset int64 · batchLength int32 · partitionLeaderEpoch int32 · magic int8 (2) ·
 *   crc uint32 (CRC-32C of everything after it) · attributes int16 · lastOffsetDelta int32 ·
 *   baseTimestamp int64 · maxTimestamp int64 · producerId int64 · producerEpoch int16 ·
 *   baseSequence int32 · recordCount int32 · records (compressed as one block when attributes say)
 *
 * and each record: length varint · attributes int8 · timestampDelta varlong · offsetDelta varint ·
 * key (varint length, -1 null) · value (likewise) · header count varint · headers (key varint
 * string, value varint bytes).
 *
 * Attributes: bits 0–2 the compression codec, bit 3 the timestamp type (1: log append time),
 * bit 4 transactional, bit 5 control batch (commit/abort markers), bit 6 delete horizon set.
 * A bad CRC or a record that does not fill its length exactly is CORRUPT_MESSAGE; a codec this
 * process lacks is UNSUPPORTED_COMPRESSION_TYPE. Older message sets (magic 0 and 1) are not read.
 */
import { codecFor, DEFAULT_CODECS, type CompressionCodecs } from './compression.js';
import { crc32c } from './crc32c.js';
import { Reader, WireDecodeError, WireEncodeError } from './reader.js';
import { checkInt64, Writer } from './writer.js';

export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

export interface BatchRecord {
  /** Unused by Kafka so far; kept as read. */
  readonly attributes: number;
  readonly timestampDelta: bigint;
  readonly offsetDelta: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

export interface RecordBatch {
  readonly baseOffset: bigint;
  readonly partitionLeaderEpoch: number;
  readonly compression: number;
  /** 0: create time (the producer's), 1: log append time (the broker's, then maxTimestamp is every record's timestamp). */
  readonly timestampType: 0 | 1;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  readonly hasDeleteHorizon: boolean;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly records: readonly BatchRecord[];
}

export interface RecordInput {
  readonly attributes?: number;
  readonly timestampDelta?: bigint | number;
  /** Defaults to the record's index in the batch. */
  readonly offsetDelta?: number;
  readonly key?: Uint8Array | null;
  readonly value?: Uint8Array | null;
  readonly headers?: readonly { readonly key: string; readonly value: Uint8Array | null }[];
}

/** A batch to write. Defaults are a producer's: no partition leader epoch, no producer id, create time. */
export interface RecordBatchInput {
  readonly baseOffset?: bigint;
  readonly partitionLeaderEpoch?: number;
  readonly compression?: number;
  readonly timestampType?: 0 | 1;
  readonly isTransactional?: boolean;
  readonly isControl?: boolean;
  readonly hasDeleteHorizon?: boolean;
  /** Defaults to the largest offsetDelta of the records (0 for none). */
  readonly lastOffsetDelta?: number;
  readonly baseTimestamp?: bigint;
  /** Defaults to baseTimestamp plus the largest timestampDelta. */
  readonly maxTimestamp?: bigint;
  readonly producerId?: bigint;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly records: readonly RecordInput[];
}

const MAGIC = 2;
/** baseOffset and batchLength: the bytes before the part batchLength counts. */
const LOG_OVERHEAD = 12;
/** The fixed header, from baseOffset through recordCount. */
export const RECORD_BATCH_OVERHEAD = 61;
/** Where the CRC'd part starts (attributes), from the batch's start. */
const CRC_START = 21;
const MAGIC_OFFSET = 16;
/** Attributes, timestamp delta, offset delta, key, value, header count: one byte each at least, plus the length. */
const MIN_RECORD_BYTES = 7;
/** The largest decompressed records block read from one batch. */
const MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;
const DELETE_HORIZON_BIT = 0x40;

export interface EncodeOptions {
  readonly codecs?: CompressionCodecs;
}

function int64(value: bigint | number | undefined, field: string): bigint {
  if (value === undefined) return 0n;
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new WireEncodeError(`${field}: ${value} is not an integer`);
  return BigInt(value);
}

function writeRecord(w: Writer, record: RecordInput, index: number): void {
  const body = new Writer(64);
  body.int8(record.attributes ?? 0, 'record.attributes');
  body.varlong(int64(record.timestampDelta, 'record.timestampDelta'), 'record.timestampDelta');
  body.varint(record.offsetDelta ?? index, 'record.offsetDelta');
  body.varintBytes(record.key ?? null, 'record.key');
  body.varintBytes(record.value ?? null, 'record.value');
  const headers = record.headers ?? [];
  body.varint(headers.length);
  for (const h of headers) body.varintString(h.key, 'header.key').varintBytes(h.value, 'header.value');
  w.varint(body.length).raw(body.finish());
}

/** Writes one batch, CRC included, into `w` (a new Writer by default); returns everything `w` holds. */
export function encodeRecordBatch(batch: RecordBatchInput, options: EncodeOptions = {}, w: Writer = new Writer()): Buffer {
  const records = batch.records;
  const compression = batch.compression ?? 0;
  const attributes =
    (compression & COMPRESSION_MASK) |
    (batch.timestampType === 1 ? TIMESTAMP_TYPE_BIT : 0) |
    (batch.isTransactional === true ? TRANSACTIONAL_BIT : 0) |
    (batch.isControl === true ? CONTROL_BIT : 0) |
    (batch.hasDeleteHorizon === true ? DELETE_HORIZON_BIT : 0);
  const baseTimestamp = batch.baseTimestamp ?? 0n;
  let lastOffsetDelta = 0;
  let maxDelta = 0n;
  records.forEach((r, i) => {
    lastOffsetDelta = Math.max(lastOffsetDelta, r.offsetDelta ?? i);
    const delta = int64(r.timestampDelta, 'record.timestampDelta');
    if (delta > maxDelta) maxDelta = delta;
  });

  const start = w.length;
  w.int64(batch.baseOffset ?? 0n, 'baseOffset');
  w.int32(0); // batchLength, patched below
  w.int32(batch.partitionLeaderEpoch ?? -1, 'partitionLeaderEpoch');
  w.int8(MAGIC);
  w.uint32(0); // crc, patched below
  w.int16(attributes, 'attributes');
  w.int32(batch.lastOffsetDelta ?? lastOffsetDelta, 'lastOffsetDelta');
  w.int64(baseTimestamp, 'baseTimestamp');
  w.int64(batch.maxTimestamp ?? checkInt64(baseTimestamp + maxDelta, 'maxTimestamp'), 'maxTimestamp');
  w.int64(batch.producerId ?? -1n, 'producerId');
  w.int16(batch.producerEpoch ?? -1, 'producerEpoch');
  w.int32(batch.baseSequence ?? -1, 'baseSequence');
  w.int32(records.length);
  if ((compression & COMPRESSION_MASK) === 0) {
    records.forEach((r, i) => writeRecord(w, r, i));
  } else {
    const plain = new Writer();
    records.forEach((r, i) => writeRecord(plain, r, i));
    w.raw(codecFor(compression & COMPRESSION_MASK, options.codecs ?? DEFAULT_CODECS).compress(plain.finish()));
  }
  const out = w.finish();
  w.patchInt32(start + 8, out.length - start - LOG_OVERHEAD);
  w.patchUint32(start + MAGIC_OFFSET + 1, crc32c(out, start + CRC_START, out.length));
  return out;
}

/** Several batches back to back, as a Produce request or a Fetch response carries them. */
export function encodeRecordBatches(batches: readonly RecordBatchInput[], options: EncodeOptions = {}): Buffer {
  const w = new Writer();
  for (const b of batches) encodeRecordBatch(b, options, w);
  return w.finish();
}

export interface DecodeOptions {
  readonly codecs?: CompressionCodecs;
  /**
   * Whether a last batch cut short ends the list quietly, as in a Fetch response cut at its byte
   * limit (clients ignore the partial batch). Otherwise, as for a Produce request, it is an error.
   */
  readonly allowPartialTail?: boolean;
  /** Whether to check each batch's CRC (default true). */
  readonly verifyCrc?: boolean;
}

function readRecord(r: Reader): BatchRecord {
  const at = r.offset;
  const length = r.varint('length');
  if (length < 0 || length > r.remaining) r.fail('length', `record length ${length} does not fit in the ${r.remaining} bytes left`, at);
  const body = r.sub(length, 'record');
  const attributes = body.int8('attributes');
  const timestampDelta = body.varlong('timestampDelta');
  const offsetDelta = body.varint('offsetDelta');
  const key = body.varintBytes('key');
  const value = body.varintBytes('value');
  const count = body.varint('headers');
  if (count < 0 || count * 2 > body.remaining) body.fail('headers', `header count ${count} does not fit in the ${body.remaining} bytes left`);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < count; i++) {
    headers.push({ key: body.varintString(`headers[${i}].key`), value: body.varintBytes(`headers[${i}].value`) });
  }
  if (body.remaining !== 0) body.fail('record', `record ends ${body.remaining} bytes before its length says`);
  return { attributes, timestampDelta, offsetDelta, key, value, headers };
}

function readRecords(r: Reader, count: number): BatchRecord[] {
  if (count < 0 || count * MIN_RECORD_BYTES > r.remaining) r.fail('recordCount', `record count ${count} does not fit in the ${r.remaining} bytes left`);
  const records: BatchRecord[] = [];
  for (let i = 0; i < count; i++) {
    try {
      records.push(readRecord(r));
    } catch (e) {
      if (e instanceof WireDecodeError) e.within(`records[${i}]`);
      throw e;
    }
  }
  if (r.remaining !== 0) r.fail('records', `${r.remaining} bytes after the last of ${count} records`);
  return records;
}

/** Reads one batch at the reader's offset, which must hold it whole. */
function readBatch(r: Reader, options: DecodeOptions): RecordBatch {
  const start = r.offset;
  const baseOffset = r.int64('baseOffset');
  const lengthAt = r.offset;
  const batchLength = r.int32('batchLength');
  if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) r.fail('batchLength', `batch length ${batchLength} is shorter than a batch header`, lengthAt);
  if (batchLength > r.remaining) r.fail('batchLength', `batch length ${batchLength} exceeds the ${r.remaining} bytes left`, lengthAt);
  const batch = r.sub(batchLength, 'batch');
  const partitionLeaderEpoch = batch.int32('partitionLeaderEpoch');
  const magic = batch.int8('magic');
  if (magic !== MAGIC) batch.fail('magic', `message format v${magic} is not read (only record batches, magic 2)`, batch.offset - 1);
  const crc = batch.uint32('crc');
  if (options.verifyCrc !== false) {
    const computed = crc32c(r.buf, start + CRC_START, batch.end);
    if (computed !== crc) batch.fail('crc', `CRC-32C mismatch: batch says ${crc}, bytes give ${computed}`, start + MAGIC_OFFSET + 1);
  }
  const attributes = batch.int16('attributes');
  const lastOffsetDelta = batch.int32('lastOffsetDelta');
  const baseTimestamp = batch.int64('baseTimestamp');
  const maxTimestamp = batch.int64('maxTimestamp');
  const producerId = batch.int64('producerId');
  const producerEpoch = batch.int16('producerEpoch');
  const baseSequence = batch.int32('baseSequence');
  const count = batch.int32('recordCount');
  const compression = attributes & COMPRESSION_MASK;
  let records: BatchRecord[];
  if (compression === 0) {
    records = readRecords(batch, count);
  } else {
    const codec = codecFor(compression, options.codecs ?? DEFAULT_CODECS);
    let plain: Buffer;
    const compressedAt = batch.offset;
    try {
      plain = codec.decompress(batch.buf.subarray(batch.offset, batch.end), MAX_DECOMPRESSED_BYTES);
    } catch (e) {
      if (e instanceof WireDecodeError) throw e;
      return batch.fail('records', `cannot decompress: ${(e as Error).message}`, compressedAt);
    }
    records = readRecords(new Reader(plain), count);
  }
  return {
    baseOffset,
    partitionLeaderEpoch,
    compression,
    timestampType: attributes & TIMESTAMP_TYPE_BIT ? 1 : 0,
    isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0,
    isControl: (attributes & CONTROL_BIT) !== 0,
    hasDeleteHorizon: (attributes & DELETE_HORIZON_BIT) !== 0,
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch,
    baseSequence,
    records,
  };
}

/** Reads the batches of a `records` field (null reads as none). */
export function decodeRecordBatches(bytes: Buffer | null, options: DecodeOptions = {}): RecordBatch[] {
  if (bytes === null) return [];
  const r = new Reader(bytes);
  const batches: RecordBatch[] = [];
  while (r.remaining > 0) {
    if (options.allowPartialTail === true) {
      if (r.remaining < LOG_OVERHEAD) break;
      const length = bytes.readInt32BE(r.offset + 8);
      if (length >= 0 && length > r.remaining - LOG_OVERHEAD) break;
    }
    try {
      batches.push(readBatch(r, options));
    } catch (e) {
      if (e instanceof WireDecodeError) e.within(`batches[${batches.length}]`);
      throw e;
    }
  }
  return batches;
}

/** A record's absolute offset and timestamp, from its batch. Under log append time every record has the batch's maxTimestamp. */
export function recordPosition(batch: RecordBatch, record: BatchRecord): { offset: bigint; timestamp: bigint } {
  return {
    offset: batch.baseOffset + BigInt(record.offsetDelta),
    timestamp: batch.timestampType === 1 ? batch.maxTimestamp : batch.baseTimestamp + record.timestampDelta,
  };
}
