/**
 * The record batch codecs: round trips, the framings other writers use (raw and xerial snappy,
 * LZ4 frames with and without checksums and content size, zstd frames with and without content
 * size), batches captured from librdkafka and Kafka's Java producer, and the limits on bad input.
 */
import { compress as libzstdCompress } from '@bokuweb/zstd-wasm';
import { expect } from 'chai';
import fc from 'fast-check';
import { compressFrameSync } from 'lz4-napi';
import { compressSync as snappyCompress } from 'snappy';
import { COMPRESSION, DEFAULT_CODECS, WireDecodeError, decodeRecordBatches, encodeRecordBatch, type CompressionCodec } from '../../protocol/wire/index.js';
import { JAVA_BATCHES, LIBRDKAFKA_BATCHES } from './fixtures/produced-batches.js';
import { initZstdWasm } from './kafkajs-codecs.js';

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
type CodecName = (typeof CODECS)[number];
const codec = (name: CodecName): CompressionCodec => DEFAULT_CODECS[COMPRESSION[name]]!;
const MAX = 1 << 20;

/** Text that compresses, and a length past every codec's block size (snappy 32 KiB, lz4 64 KiB, zstd 128 KiB). */
function sample(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 31) % 251 < 200 ? 97 + (i % 7) : (i * 131) % 256;
  return out;
}

function decodeError(fn: () => unknown): WireDecodeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WireDecodeError) return e;
    throw e;
  }
  expect.fail('expected a WireDecodeError');
}

describe('wire compression codecs', () => {
  before(() => initZstdWasm());

  for (const name of CODECS) {
    it(`${name}: round-trips any bytes, empty and several blocks long included`, () => {
      const c = codec(name);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
          const data = Buffer.from(bytes);
          expect(c.decompress(c.compress(data), MAX)).to.deep.equal(data);
        }),
        { numRuns: 80 },
      );
      for (const size of [0, 1, 32 * 1024, 32 * 1024 + 1, 300 * 1024]) {
        const data = sample(size);
        expect(c.decompress(c.compress(data), MAX)).to.deep.equal(data);
      }
    });

    it(`${name}: refuses output beyond the limit`, () => {
      const c = codec(name);
      const data = sample(100_000);
      expect(() => c.decompress(c.compress(data), 99_999)).to.throw(/exceed|larger|length|size/i);
      expect(c.decompress(c.compress(data), 100_000)).to.have.lengthOf(100_000);
    });

    for (const [writer, batches] of [
      ['librdkafka 2.0.2 (kcat)', LIBRDKAFKA_BATCHES],
      ["Kafka 3.9's Java producer", JAVA_BATCHES],
    ] as const) {
      it(`${name}: reads a batch ${writer} wrote, CRC checked`, () => {
        const bytes = Buffer.from(batches[name], 'hex');
        const [batch, ...rest] = decodeRecordBatches(bytes);
        expect(rest).to.have.lengthOf(0);
        expect(batch!.compression).to.equal(COMPRESSION[name]);
        const prefix = writer.startsWith('librdkafka') ? name : `java-${name}`;
        expect(batch!.records.map((r) => r.value!.toString())).to.deep.equal(Array.from({ length: 200 }, (_, i) => `${prefix}-value-${i + 1}`));
        expect(batch!.records.map((r) => r.offsetDelta)).to.deep.equal(Array.from({ length: 200 }, (_, i) => i));
        expect(batch!.records.every((r) => r.key === null && r.headers.length === 0)).to.equal(true);
      });
    }

    it(`${name}: a block that does not decompress, under a good CRC, is a corrupt message`, () => {
      const garbage: CompressionCodec = { compress: () => Buffer.from('definitely not compressed at all'), decompress: () => Buffer.alloc(0) };
      const batch = encodeRecordBatch({ compression: COMPRESSION[name], records: [{ value: Buffer.from('x') }] }, { codecs: { [COMPRESSION[name]]: garbage } });
      const error = decodeError(() => decodeRecordBatches(batch));
      expect(error.errorName).to.equal('CORRUPT_MESSAGE');
      expect(error.message).to.match(/batches\[0\]\.records: cannot decompress/);
    });
  }

  it("snappy: writes snappy-java's xerial framing, and reads it as well as one raw block (librdkafka, kafkajs-snappy)", () => {
    const data = sample(70_000);
    const framed = codec('snappy').compress(data);
    expect(framed.subarray(0, 16).toString('hex')).to.equal('82534e415050590000000001' + '00000001');
    expect(codec('snappy').decompress(snappyCompress(data), MAX)).to.deep.equal(data);
    expect(Buffer.from(JAVA_BATCHES.snappy, 'hex').subarray(61, 69).toString('hex')).to.equal('82534e4150505900');
    // A truncated xerial block length, or one past the end, is refused.
    expect(() => codec('snappy').decompress(framed.subarray(0, 18), MAX)).to.throw(/xerial snappy/);
    const long = Buffer.from(framed);
    long.writeInt32BE(framed.length, 16);
    expect(() => codec('snappy').decompress(long, MAX)).to.throw(/exceeds the/);
  });

  it("lz4: writes an LZ4 frame as Kafka's producer does (independent blocks, no checksums), and reads frames with checksums and content size", () => {
    const data = sample(200_000);
    const frame = codec('lz4').compress(data);
    // Magic and FLG (version 1, independent blocks, no checksums, no size) as KafkaLZ4BlockOutputStream writes;
    // BD says 256 KiB blocks where Kafka writes 64 KiB, within the 64 KiB–4 MiB its reader takes.
    expect(frame.subarray(0, 6).toString('hex')).to.equal('04224d186050');
    expect(Buffer.from(JAVA_BATCHES.lz4, 'hex').subarray(61, 67).toString('hex')).to.equal('04224d186040');
    const checked = compressFrameSync(data, { contentChecksum: true, blockChecksums: true });
    expect(codec('lz4').decompress(checked, MAX)).to.deep.equal(data);
    const flipped = Buffer.from(checked);
    flipped[flipped.length - 1]! ^= 1;
    expect(() => codec('lz4').decompress(flipped, MAX)).to.throw();
    // A frame that declares a content size beyond the limit is refused before anything is read.
    const sized = Buffer.concat([Buffer.from('04224d1868400000000000000010', 'hex'), Buffer.alloc(8)]);
    expect(() => codec('lz4').decompress(sized, MAX)).to.throw(/exceeds the 1048576 bytes allowed/);
  });

  it('zstd: reads one-shot frames (content size, as libzstd writes them) and streamed ones, and writes frames libzstd reads', () => {
    const data = sample(300_000);
    expect(codec('zstd').decompress(Buffer.from(libzstdCompress(data, 3)), MAX)).to.deep.equal(data);
    const ours = codec('zstd').compress(data);
    expect(ours.readUInt32LE(0)).to.equal(0xfd2fb528);
    expect(codec('zstd').decompress(ours, MAX)).to.deep.equal(data);
    // A declared content size beyond the limit, and a window beyond libzstd's default limit, are refused.
    expect(() => codec('zstd').decompress(Buffer.from(libzstdCompress(sample(MAX + 1), 1)), MAX)).to.throw(/exceeds the 1048576 bytes allowed/);
    const wide = Buffer.from(ours);
    wide[5] = 31 << 3;
    expect(() => codec('zstd').decompress(wide, MAX)).to.throw(/window 2\^41 exceeds the limit 2\^27/);
  });
});
