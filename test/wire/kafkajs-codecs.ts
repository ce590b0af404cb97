/**
 * kafkajs ships gzip only; its other codecs are pluggable (CompressionCodecs). These are written
 * the way the community codecs are (kafkajs-snappy: one raw snappy block; kafkajs-lz4: an LZ4
 * frame; @kafkajs/zstd: libzstd's one-shot frame, content size included) and deliberately not
 * with the twin's own encoders, so a round trip through kafkajs checks the twin against another
 * writer. Registering is global to the kafkajs module, as it is for an application.
 */
import { compress as zstdCompress, init as zstdInit } from '@bokuweb/zstd-wasm';
import { decompress as zstdDecompress } from 'fzstd';
import kafkajs from 'kafkajs';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';

interface Encoder {
  readonly buffer: Buffer;
}
interface KafkajsCodec {
  compress(encoder: Encoder): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const XERIAL = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

const snappy: KafkajsCodec = {
  compress: async (encoder) => snappyCompress(encoder.buffer),
  // As kafkajs-snappy: xerial-framed blocks when the magic is there, else one raw block.
  async decompress(buffer) {
    if (!buffer.subarray(0, 8).equals(XERIAL)) return snappyUncompress(buffer) as Buffer;
    const parts: Buffer[] = [];
    for (let at = 16; at < buffer.length;) {
      const length = buffer.readInt32BE(at);
      parts.push(snappyUncompress(buffer.subarray(at + 4, at + 4 + length)) as Buffer);
      at += 4 + length;
    }
    return Buffer.concat(parts);
  },
};

const lz4: KafkajsCodec = {
  compress: (encoder) => compressFrame(encoder.buffer),
  decompress: (buffer) => decompressFrame(buffer),
};

const zstd: KafkajsCodec = {
  compress: async (encoder) => Buffer.from(zstdCompress(encoder.buffer, 3)),
  decompress: async (buffer) => Buffer.from(zstdDecompress(buffer)),
};

let zstdReady: Promise<void> | undefined;

/**
 * Loads @bokuweb/zstd-wasm's module, once per process: a second init() instantiates the module
 * again under the first one's callers, and frames it compresses afterwards come out corrupt.
 */
export function initZstdWasm(): Promise<void> {
  zstdReady ??= zstdInit();
  return zstdReady;
}

let registered: Promise<void> | undefined;

/** Registers snappy, lz4 and zstd with kafkajs (once per process). */
export function registerKafkajsCodecs(): Promise<void> {
  registered ??= initZstdWasm().then(() => {
    const { CompressionCodecs, CompressionTypes } = kafkajs;
    const codecs = CompressionCodecs as unknown as Record<number, () => KafkajsCodec>;
    codecs[CompressionTypes.Snappy] = () => snappy;
    codecs[CompressionTypes.LZ4] = () => lz4;
    codecs[CompressionTypes.ZSTD] = () => zstd;
  });
  return registered;
}
