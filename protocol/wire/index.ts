/**
 * Kafka's wire protocol: primitives (reader.ts, writer.ts), messages described as data
 * (schema.ts, messages/), the one encoder and decoder of them (codec.ts), frames and headers
 * (frames.ts) and record batches (records.ts).
 */
export { Reader, WireDecodeError, WireEncodeError, type WireErrorName } from './reader.js';
export { Writer } from './writer.js';
export * from './schema.js';
export { decode, defaults, encode, isFlexible } from './codec.js';
export * from './messages/index.js';
export * from './frames.js';
export * from './records.js';
export { COMPRESSION, DEFAULT_CODECS, UnsupportedCompressionError, type CompressionCodec, type CompressionCodecs } from './compression.js';
export { crc32c } from './crc32c.js';
