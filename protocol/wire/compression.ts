/**
 * The compression codecs of record batches, by the id in a batch's attributes (bits 0–2):
 * 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. A table of one codec per id; an id missing from the
 * table answers UNSUPPORTED_COMPRESSION_TYPE. All are synchronous, so decoding a batch stays so.
 *
 * - gzip: node:zlib.
 * - snappy: raw blocks from the `snappy` package (Rust `snap`, prebuilt per platform). Kafka's
 *   Java client writes xerial snappy-java framing (SnappyOutputStream); librdkafka and kafkajs-snappy
 *   write one raw snappy block. The broker reads both, as snappy-java's SnappyInputStream falls back
 *   to a raw block when the xerial magic is absent; so does this codec. It writes xerial framing.
 * - lz4: the LZ4 frame format (KafkaLZ4BlockOutputStream), from `lz4-napi` (Rust `lz4_flex`,
 *   prebuilt). Magic v2 batches carry a correct header checksum, so the standard frame decoder
 *   reads them; the broken checksum of Kafka 0.8–0.10 only concerns magic 0/1 message sets, which
 *   are not read at all.
 * - zstd: decoded by `fzstd` (pure JS, reads frames with or without a content size, as Java's
 *   zstd-jni streams write them). Encoded here as a zstd frame of raw (stored) blocks: valid for
 *   every zstd decoder, not smaller. The twin never sends compressed batches of its own (Fetch
 *   answers are uncompressed), so encoding serves tests and tools only.
 */
import { decompress as zstdDecompress } from 'fzstd';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { gunzipSync, gzipSync } from 'node:zlib';
import { WireDecodeError } from './reader.js';

export const COMPRESSION = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** A batch compressed with a codec this process cannot handle. A broker answers UNSUPPORTED_COMPRESSION_TYPE. */
export class UnsupportedCompressionError extends WireDecodeError {
  override readonly name = 'UnsupportedCompressionError';
  constructor(readonly codec: number) {
    super(`unsupported compression ${NAMES[codec] ?? `codec ${codec}`}`, 'attributes', 0, 'UNSUPPORTED_COMPRESSION_TYPE');
  }
}

export interface CompressionCodec {
  compress(data: Buffer): Buffer;
  /** Throws on corrupt input, or when the output would exceed `maxBytes`. */
  decompress(data: Buffer, maxBytes: number): Buffer;
}

/** Codecs by id; an id missing from the table is unsupported. */
export type CompressionCodecs = Readonly<Partial<Record<number, CompressionCodec>>>;

function tooLarge(size: number | bigint, maxBytes: number): never {
  throw new Error(`decompressed size ${size} exceeds the ${maxBytes} bytes allowed`);
}

const gzip: CompressionCodec = {
  compress: (data) => gzipSync(data),
  decompress: (data, maxBytes) => gunzipSync(data, { maxOutputLength: maxBytes }),
};

/** snappy-java's stream header: 0x82 "SNAPPY" 0x00, then version 1 and minimum compatible version 1 (int32 BE). */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
/** snappy-java's default block size (SnappyOutputStream), as Kafka's producer writes. */
const XERIAL_BLOCK_BYTES = 32 * 1024;

/** The uncompressed length a raw snappy block declares (its leading varint), checked before allocating. */
function snappyLength(block: Buffer): number {
  let length = 0;
  for (let i = 0, shift = 0; i < block.length && shift < 35; i++, shift += 7) {
    length += (block[i]! & 0x7f) * 2 ** shift;
    if (block[i]! < 0x80) return length;
  }
  throw new Error('snappy block has no valid length');
}

function snappyBlock(block: Buffer, budget: number, maxBytes: number): Buffer {
  const length = snappyLength(block);
  if (length > budget) tooLarge(length, maxBytes);
  return snappyUncompress(block) as Buffer;
}

const snappy: CompressionCodec = {
  compress(data) {
    const header = Buffer.alloc(XERIAL_HEADER_BYTES);
    XERIAL_MAGIC.copy(header);
    header.writeInt32BE(1, 8);
    header.writeInt32BE(1, 12);
    const parts: Buffer[] = [header];
    for (let at = 0; at < data.length; at += XERIAL_BLOCK_BYTES) {
      const block = snappyCompress(data.subarray(at, at + XERIAL_BLOCK_BYTES));
      const length = Buffer.alloc(4);
      length.writeInt32BE(block.length);
      parts.push(length, block);
    }
    return Buffer.concat(parts);
  },
  decompress(data, maxBytes) {
    if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
      return snappyBlock(data, maxBytes, maxBytes);
    }
    const parts: Buffer[] = [];
    let total = 0;
    for (let at = XERIAL_HEADER_BYTES; at < data.length;) {
      if (data.length - at < 4) throw new Error(`xerial snappy: ${data.length - at} bytes where a block length belongs`);
      const length = data.readInt32BE(at);
      at += 4;
      if (length < 0 || length > data.length - at) throw new Error(`xerial snappy: block length ${length} exceeds the ${data.length - at} bytes left`);
      const block = snappyBlock(data.subarray(at, at + length), maxBytes - total, maxBytes);
      total += block.length;
      parts.push(block);
      at += length;
    }
    return Buffer.concat(parts, total);
  },
};

const LZ4_MAGIC = 0x184d2204;
const LZ4_CONTENT_SIZE_FLAG = 0x08;

const lz4: CompressionCodec = {
  // lz4_flex's default frame: independent blocks, no checksums beyond the header's, as Kafka's producer
  // writes; 256 KiB blocks where Kafka writes 64 KiB, within the 64 KiB–4 MiB KafkaLZ4BlockInputStream reads.
  compress: (data) => compressFrameSync(data),
  decompress(data, maxBytes) {
    // A frame that declares its content size is checked before anything is allocated for it.
    if (data.length >= 14 && data.readUInt32LE(0) === LZ4_MAGIC && (data[4]! & LZ4_CONTENT_SIZE_FLAG) !== 0) {
      const size = data.readBigUInt64LE(6);
      if (size > BigInt(maxBytes)) tooLarge(size, maxBytes);
    }
    const out = decompressFrameSync(data);
    if (out.length > maxBytes) tooLarge(out.length, maxBytes);
    return out;
  },
};

const ZSTD_MAGIC = 0xfd2fb528;
/** The largest zstd block, and the window (2^17, descriptor exponent 7) that allows it. */
const ZSTD_BLOCK_BYTES = 128 * 1024;
const ZSTD_WINDOW_DESCRIPTOR = 7 << 3;

/** libzstd's default limit on a frame's window (ZSTD_WINDOWLOG_LIMIT_DEFAULT, 2^27), which zstd-jni keeps. */
const ZSTD_MAX_WINDOW_LOG = 27;

/**
 * The content size the first zstd frame declares, or undefined when it does not (streamed frames,
 * whose window must then stay within libzstd's default limit, as a decoder sizes its buffer by it).
 */
function zstdContentSize(data: Buffer): bigint | undefined {
  if (data.length < 6 || data.readUInt32LE(0) !== ZSTD_MAGIC) return undefined;
  const descriptor = data[4]!;
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  const dictBytes = [0, 1, 2, 4][descriptor & 0x03]!;
  const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
  if (!singleSegment && 10 + (data[5]! >> 3) > ZSTD_MAX_WINDOW_LOG) {
    throw new Error(`zstd frame window 2^${10 + (data[5]! >> 3)} exceeds the limit 2^${ZSTD_MAX_WINDOW_LOG}`);
  }
  if (fcsBytes === 0) return undefined;
  const at = 5 + (singleSegment ? 0 : 1) + dictBytes;
  if (data.length < at + fcsBytes) return undefined;
  if (fcsBytes === 1) return BigInt(data[at]!);
  if (fcsBytes === 2) return BigInt(data.readUInt16LE(at) + 256);
  if (fcsBytes === 4) return BigInt(data.readUInt32LE(at));
  return data.readBigUInt64LE(at);
}

const zstd: CompressionCodec = {
  compress(data) {
    const blocks = Math.max(1, Math.ceil(data.length / ZSTD_BLOCK_BYTES));
    const out = Buffer.alloc(6 + blocks * 3 + data.length);
    out.writeUInt32LE(ZSTD_MAGIC, 0);
    out[4] = 0; // no content size, not single-segment, no checksum, no dictionary
    out[5] = ZSTD_WINDOW_DESCRIPTOR;
    let at = 6;
    for (let i = 0; i < blocks; i++) {
      const chunk = data.subarray(i * ZSTD_BLOCK_BYTES, (i + 1) * ZSTD_BLOCK_BYTES);
      // Block header, 3 bytes little-endian: last-block bit, type 0 (raw), size.
      out.writeUIntLE((chunk.length << 3) | (i === blocks - 1 ? 1 : 0), at, 3);
      chunk.copy(out, at + 3);
      at += 3 + chunk.length;
    }
    return out;
  },
  decompress(data, maxBytes) {
    const declared = zstdContentSize(data);
    if (declared !== undefined && declared > BigInt(maxBytes)) tooLarge(declared, maxBytes);
    const out = zstdDecompress(data);
    if (out.length > maxBytes) tooLarge(out.length, maxBytes);
    return Buffer.from(out.buffer, out.byteOffset, out.length);
  },
};

/** Every codec Kafka 3.9 knows. */
export const DEFAULT_CODECS: CompressionCodecs = {
  [COMPRESSION.gzip]: gzip,
  [COMPRESSION.snappy]: snappy,
  [COMPRESSION.lz4]: lz4,
  [COMPRESSION.zstd]: zstd,
};

function unsupported(id: number): CompressionCodec {
  const fail = (): never => {
    throw new UnsupportedCompressionError(id);
  };
  return { compress: fail, decompress: fail };
}

export function codecFor(id: number, codecs: CompressionCodecs): CompressionCodec {
  return codecs[id] ?? unsupported(id);
}
