import { expect } from 'chai';
import fc from 'fast-check';
import {
  COMPRESSION,
  RECORD_BATCH_OVERHEAD,
  UnsupportedCompressionError,
  WireDecodeError,
  crc32c,
  decodeRecordBatches,
  encodeRecordBatch,
  encodeRecordBatches,
  recordPosition,
  type CompressionCodec,
  type RecordBatch,
  type RecordBatchInput,
} from '../../protocol/wire/index.js';
import { require } from './helpers.js';
import { registerKafkajsCodecs } from './kafkajs-codecs.js';

type Encoder = { readonly buffer: Buffer };
const kafkajsLong = require('kafkajs/src/utils/long.js') as { fromValue(v: bigint | number | string): unknown };
const { RecordBatch: kafkajsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (options: object) => Promise<Encoder> };
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (options: object) => Encoder;
const kafkajsBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (decoder: object) => Promise<KafkajsBatch>;
const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => object;

interface KafkajsRecord {
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer | Buffer[]>;
  readonly isControlRecord: boolean;
}
interface KafkajsBatch {
  readonly firstOffset: string;
  readonly firstTimestamp: string;
  readonly maxTimestamp: string;
  readonly partitionLeaderEpoch: number;
  readonly inTransaction: boolean;
  readonly isControlBatch: boolean;
  readonly lastOffsetDelta: number;
  readonly producerId: string;
  readonly producerEpoch: number;
  readonly firstSequence: number;
  readonly timestampType: number;
  readonly records: readonly KafkajsRecord[];
}

const bytes = fc.option(
  fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b)),
  { nil: null, freq: 5 },
);
/** Header keys are distinct: kafkajs keeps headers in an object. */
const headers = fc.uniqueArray(
  fc.record({ key: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), value: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)) }),
  {
    maxLength: 3,
    selector: (h) => h.key,
  },
);
const record = fc.record({ key: bytes, value: bytes, headers, timestampDelta: fc.bigInt({ min: 0n, max: 10_000_000n }) });
const batchArb = fc.record({
  baseOffset: fc.bigInt({ min: 0n, max: 2n ** 62n }),
  partitionLeaderEpoch: fc.integer({ min: -1, max: 1000 }),
  compression: fc.constantFrom(COMPRESSION.none, COMPRESSION.gzip, COMPRESSION.snappy, COMPRESSION.lz4, COMPRESSION.zstd),
  isTransactional: fc.boolean(),
  baseTimestamp: fc.bigInt({ min: 0n, max: 2n ** 42n }),
  producerId: fc.bigInt({ min: -1n, max: 2n ** 40n }),
  producerEpoch: fc.integer({ min: -1, max: 32767 }),
  baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  records: fc.array(record, { minLength: 1, maxLength: 5 }),
});

/** The batch as it reads back: every default filled in. */
function expected(b: RecordBatchInput): RecordBatch {
  const maxDelta = b.records.reduce((m, r) => (BigInt(r.timestampDelta ?? 0n) > m ? BigInt(r.timestampDelta ?? 0n) : m), 0n);
  return {
    baseOffset: b.baseOffset ?? 0n,
    partitionLeaderEpoch: b.partitionLeaderEpoch ?? -1,
    compression: b.compression ?? 0,
    timestampType: b.timestampType ?? 0,
    isTransactional: b.isTransactional ?? false,
    isControl: b.isControl ?? false,
    hasDeleteHorizon: false,
    lastOffsetDelta: b.records.length - 1,
    baseTimestamp: b.baseTimestamp ?? 0n,
    maxTimestamp: (b.baseTimestamp ?? 0n) + maxDelta,
    producerId: b.producerId ?? -1n,
    producerEpoch: b.producerEpoch ?? -1,
    baseSequence: b.baseSequence ?? -1,
    records: b.records.map((r, i) => ({
      attributes: 0,
      timestampDelta: BigInt(r.timestampDelta ?? 0n),
      offsetDelta: i,
      key: r.key == null ? null : Buffer.from(r.key),
      value: r.value == null ? null : Buffer.from(r.value),
      headers: (r.headers ?? []).map((h) => ({ key: h.key, value: h.value === null ? null : Buffer.from(h.value) })),
    })),
  };
}

const identity: CompressionCodec = { compress: (d) => Buffer.from(d), decompress: (d) => Buffer.from(d) };

describe('wire record batches (v2)', () => {
  before(() => registerKafkajsCodecs());

  it('round-trip, plain and every codec, several batches back to back', () => {
    fc.assert(
      fc.property(fc.array(batchArb, { minLength: 1, maxLength: 3 }), (batches) => {
        const back = decodeRecordBatches(encodeRecordBatches(batches));
        expect(back).to.deep.equal(batches.map(expected));
      }),
      { numRuns: 60 },
    );
  });

  it("read what kafkajs's RecordBatch encoder writes, plain and with every codec", async () => {
    await fc.assert(
      fc.asyncProperty(batchArb, async (b) => {
        const firstTimestamp = Number(b.baseTimestamp);
        const encoded = await kafkajsRecordBatch({
          compression: b.compression,
          firstOffset: kafkajsLong.fromValue(b.baseOffset),
          firstTimestamp,
          maxTimestamp: firstTimestamp + Math.max(...b.records.map((r) => Number(r.timestampDelta))),
          partitionLeaderEpoch: b.partitionLeaderEpoch,
          lastOffsetDelta: b.records.length - 1,
          transactional: b.isTransactional,
          producerId: kafkajsLong.fromValue(b.producerId),
          producerEpoch: b.producerEpoch,
          firstSequence: b.baseSequence,
          records: b.records.map((r, i) =>
            kafkajsRecord({
              offsetDelta: i,
              timestampDelta: Number(r.timestampDelta),
              key: r.key,
              value: r.value,
              headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value])),
            }),
          ),
        });
        const [batch, ...rest] = decodeRecordBatches(encoded.buffer);
        expect(rest).to.deep.equal([]);
        expect(batch).to.deep.equal(expected(b));
      }),
      { numRuns: 60 },
    );
  });

  it('write batches kafkajs reads, plain and with every codec', async () => {
    await fc.assert(
      fc.asyncProperty(batchArb, async (b) => {
        const theirs = await kafkajsBatchDecoder(new KafkajsDecoder(encodeRecordBatch(b)));
        const want = expected(b);
        expect(theirs).to.deep.include({
          firstOffset: String(want.baseOffset),
          firstTimestamp: String(want.baseTimestamp),
          maxTimestamp: String(want.maxTimestamp),
          partitionLeaderEpoch: want.partitionLeaderEpoch,
          inTransaction: want.isTransactional,
          isControlBatch: false,
          lastOffsetDelta: want.lastOffsetDelta,
          producerId: String(want.producerId),
          producerEpoch: want.producerEpoch,
          firstSequence: want.baseSequence,
          timestampType: 0,
        });
        expect(theirs.records).to.have.lengthOf(want.records.length);
        theirs.records.forEach((r, i) => {
          const mine = want.records[i]!;
          const { offset, timestamp } = recordPosition(want, mine);
          expect({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers }).to.deep.equal({
            offset: String(offset),
            timestamp: String(timestamp),
            key: mine.key,
            value: mine.value,
            headers: Object.fromEntries(mine.headers.map((h) => [h.key, h.value])),
          });
        });
      }),
      { numRuns: 60 },
    );
  });

  it('reports a bad CRC as a corrupt message, naming the batch', () => {
    const good = encodeRecordBatch({ baseTimestamp: 1000n, records: [{ key: Buffer.from('k'), value: Buffer.from('v') }] });
    fc.assert(
      fc.property(fc.integer({ min: 21, max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const bad = Buffer.from(good);
        bad[at] ^= flip;
        let error: WireDecodeError | undefined;
        try {
          decodeRecordBatches(bad);
        } catch (e) {
          error = e as WireDecodeError;
        }
        expect(error).to.be.instanceOf(WireDecodeError);
        expect(error!.errorName).to.equal('CORRUPT_MESSAGE');
        expect(error!.field).to.equal('batches[0].crc');
        expect(error!.message).to.match(/CRC-32C mismatch/);
      }),
      { numRuns: 50 },
    );
    // The value 'v' is the byte before the header count: flipped, it reads as 'w' when the CRC is not checked.
    const flipped = Buffer.from(good);
    flipped[good.length - 2] ^= 1;
    expect(decodeRecordBatches(flipped, { verifyCrc: false })[0]!.records[0]!.value).to.deep.equal(Buffer.from('w'));
  });

  it('answers unsupported compression for a codec id Kafka does not know, and takes a codec from the table it is given', () => {
    for (const codec of [5, 6, 7]) {
      expect(() => encodeRecordBatch({ compression: codec, records: [{}] })).to.throw(UnsupportedCompressionError);
      const batch = encodeRecordBatch({ compression: codec, records: [{ value: Buffer.from('x') }] }, { codecs: { [codec]: identity } });
      let error: WireDecodeError | undefined;
      try {
        decodeRecordBatches(batch);
      } catch (e) {
        error = e as WireDecodeError;
      }
      expect(error).to.be.instanceOf(UnsupportedCompressionError);
      expect(error!.errorName).to.equal('UNSUPPORTED_COMPRESSION_TYPE');
      expect(error!.message).to.match(new RegExp(`unsupported compression codec ${codec}\\b`));
      expect(decodeRecordBatches(batch, { codecs: { [codec]: identity } })[0]!.records[0]!.value).to.deep.equal(Buffer.from('x'));
    }
    // A table without snappy, as a caller may pass, answers unsupported by name.
    const snappy = encodeRecordBatch({ compression: COMPRESSION.snappy, records: [{}] });
    expect(() => decodeRecordBatches(snappy, { codecs: {} })).to.throw(UnsupportedCompressionError, /unsupported compression snappy\b/);
  });

  it('reports a gzip block that does not inflate as a corrupt message', () => {
    const batch = encodeRecordBatch(
      { compression: COMPRESSION.gzip, records: [{ value: Buffer.from('hello') }] },
      { codecs: { [COMPRESSION.gzip]: identity } },
    );
    expect(() => decodeRecordBatches(batch)).to.throw(WireDecodeError, /batches\[0\]\.records: cannot decompress/);
  });

  it('ignores a partial last batch only where asked to (a fetch response cut at its byte limit)', () => {
    const two = encodeRecordBatches([{ records: [{ value: Buffer.from('a') }] }, { baseOffset: 1n, records: [{ value: Buffer.from('b') }] }]);
    const first = encodeRecordBatch({ records: [{ value: Buffer.from('a') }] }).length;
    for (const cut of [first + 5, first + 20, two.length - 1]) {
      const partial = two.subarray(0, cut);
      expect(decodeRecordBatches(partial, { allowPartialTail: true })).to.have.lengthOf(1);
      expect(() => decodeRecordBatches(partial)).to.throw(WireDecodeError, /batches\[1\]/);
    }
    expect(decodeRecordBatches(two, { allowPartialTail: true })).to.have.lengthOf(2);
    expect(decodeRecordBatches(null)).to.deep.equal([]);
  });

  it('refuses message format v0/v1, short batch lengths, and records that do not fill their length', () => {
    const batch = encodeRecordBatch({ records: [{ value: Buffer.from('v') }] });
    const v1 = Buffer.from(batch);
    v1[16] = 1;
    expect(() => decodeRecordBatches(v1)).to.throw(WireDecodeError, /batches\[0\]\.magic: message format v1 is not read/);
    const short = Buffer.from(batch);
    short.writeInt32BE(RECORD_BATCH_OVERHEAD - 13, 8);
    expect(() => decodeRecordBatches(short)).to.throw(WireDecodeError, /batchLength: batch length 48 is shorter than a batch header/);
    // A record whose length says one byte more than it holds (its last byte then belongs to nothing).
    const longRecord = Buffer.from(batch);
    longRecord[RECORD_BATCH_OVERHEAD] += 2; // zigzag: +1
    longRecord.writeUInt32BE(crc32c(longRecord, 21), 17);
    expect(() => decodeRecordBatches(longRecord)).to.throw(WireDecodeError, /records\[0\]/);
    const countTooBig = Buffer.from(batch);
    countTooBig.writeInt32BE(1000, RECORD_BATCH_OVERHEAD - 4);
    countTooBig.writeUInt32BE(crc32c(countTooBig, 21), 17);
    expect(() => decodeRecordBatches(countTooBig)).to.throw(WireDecodeError, /record count 1000 does not fit/);
  });

  it('gives every record of a log-append-time batch the batch max timestamp', () => {
    const [batch] = decodeRecordBatches(
      encodeRecordBatch({
        baseOffset: 40n,
        timestampType: 1,
        isControl: true,
        hasDeleteHorizon: true,
        baseTimestamp: 100n,
        maxTimestamp: 900n,
        records: [{ timestampDelta: 5 }, { offsetDelta: 3 }],
      }),
    );
    expect(batch).to.deep.include({ timestampType: 1, isControl: true, hasDeleteHorizon: true, lastOffsetDelta: 3 });
    expect(batch!.records.map((r) => recordPosition(batch!, r))).to.deep.equal([
      { offset: 40n, timestamp: 900n },
      { offset: 43n, timestamp: 900n },
    ]);
  });
});

describe('wire record batches: input checks', () => {
  it('refuses a timestamp delta that is not an integer', () => {
    expect(() => encodeRecordBatch({ records: [{ timestampDelta: 1.5 }] })).to.throw(/timestampDelta: 1.5 is not an integer/);
    expect(decodeRecordBatches(encodeRecordBatch({ baseTimestamp: 10n, records: [{ timestampDelta: 4 }] }))[0]!.maxTimestamp).to.equal(14n);
  });
});
