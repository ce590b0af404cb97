/**
 * The compression codecs of record batches, by the id in a batch's attributes (bits 0–2):
 * 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. Gzip comes with Node (node:zlib); the others answer
 * UNSUPPORTED_COMPRESSION_TYPE until a package provides them: a table of one codec per id, so
 * adding one is a line in the table a caller passes in.
 */
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

const gzip: CompressionCodec = {
  compress: (data) => gzipSync(data),
  decompress: (data, maxBytes) => gunzipSync(data, { maxOutputLength: maxBytes }),
};

function unsupported(id: number): CompressionCodec {
  const fail = (): never => {
    throw new UnsupportedCompressionError(id);
  };
  return { compress: fail, decompress: fail };
}

/** What this process supports without extra packages: gzip. */
export const DEFAULT_CODECS: CompressionCodecs = {
  [COMPRESSION.gzip]: gzip,
  [COMPRESSION.snappy]: unsupported(COMPRESSION.snappy),
  [COMPRESSION.lz4]: unsupported(COMPRESSION.lz4),
  [COMPRESSION.zstd]: unsupported(COMPRESSION.zstd),
};

export function codecFor(id: number, codecs: CompressionCodecs): CompressionCodec {
  return codecs[id] ?? unsupported(id);
}
