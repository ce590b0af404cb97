import { expect } from 'chai';
import fc from 'fast-check';
import { Reader, WireDecodeError, WireEncodeError, Writer, crc32c } from '../../protocol/wire/index.js';
import { require } from './helpers.js';

interface KafkajsEncoder {
  writeVarInt(v: number): KafkajsEncoder;
  writeVarLong(v: bigint): KafkajsEncoder;
  writeUVarInt(v: number): KafkajsEncoder;
  readonly buffer: Buffer;
}
const KafkajsEncoder = require('kafkajs/src/protocol/encoder.js') as new () => KafkajsEncoder;
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;

const reader = (...bytes: number[]): Reader => new Reader(Buffer.from(bytes));

describe('wire primitives', () => {
  it('writes and reads every fixed-width type at its limits', () => {
    const w = new Writer(1);
    w.int8(-128).int8(127).int16(-32768).int16(32767).uint16(65535).int32(-2147483648).int32(2147483647).uint32(0xffffffff);
    w.int64(-(2n ** 63n))
      .int64(2n ** 63n - 1n)
      .float64(-0.5)
      .bool(true)
      .bool(false)
      .uuid('AAECAwQFBgcICQoLDA0ODw');
    const r = new Reader(Buffer.from(w.finish()));
    expect([r.int8('a'), r.int8('b'), r.int16('c'), r.int16('d'), r.uint16('e'), r.int32('f'), r.int32('g'), r.uint32('h')]).to.deep.equal([
      -128, 127, -32768, 32767, 65535, -2147483648, 2147483647, 0xffffffff,
    ]);
    expect([r.int64('i'), r.int64('j'), r.float64('k'), r.bool('l'), r.bool('m'), r.uuid('n')]).to.deep.equal([
      -(2n ** 63n),
      2n ** 63n - 1n,
      -0.5,
      true,
      false,
      'AAECAwQFBgcICQoLDA0ODw',
    ]);
    expect(r.remaining).to.equal(0);
  });

  it('refuses values outside their type', () => {
    const w = new Writer();
    expect(() => w.int8(128)).to.throw(WireEncodeError, /128 is not a valid int8/);
    expect(() => w.int32(1.5, 'timeoutMs')).to.throw(WireEncodeError, /timeoutMs: 1.5 is not a valid int32/);
    expect(() => w.int64(2n ** 63n)).to.throw(WireEncodeError, /not a valid int64/);
    expect(() => w.int64(5)).to.throw(WireEncodeError, /not a valid int64 \(a bigint\)/);
    expect(() => w.float64('1')).to.throw(WireEncodeError, /expected a number/);
    expect(() => w.bool(1)).to.throw(WireEncodeError, /expected a boolean/);
    expect(() => w.uuid('not-a-uuid')).to.throw(WireEncodeError, /not a Kafka uuid/);
    expect(() => w.string(5, false, 'name')).to.throw(WireEncodeError, /name: expected a string, got number/);
    expect(() => w.string('x'.repeat(32768), false)).to.throw(WireEncodeError, /longer than 32767/);
    expect(() => w.bytes('abc', false)).to.throw(WireEncodeError, /expected bytes/);
  });

  it('writes varints, varlongs and unsigned varints byte for byte as kafkajs does', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2147483648, max: 2147483647 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.nat(), (i, l, u) => {
        const ours = new Writer().varint(i).varlong(l).uvarint(u).finish();
        const theirs = new KafkajsEncoder().writeVarInt(i).writeVarLong(l).writeUVarInt(u).buffer;
        expect(ours.toString('hex')).to.equal(theirs.toString('hex'));
        const r = new Reader(Buffer.from(ours));
        expect([r.varint('i'), r.varlong('l'), r.uvarint('u'), r.remaining]).to.deep.equal([i, l, u, 0]);
      }),
      { numRuns: 300 },
    );
    expect(new Writer().varint(-1).varint(1).varint(-64).varint(64).finish().toString('hex')).to.equal('01027f8001');
  });

  it('refuses varints longer than their type allows, and truncated ones', () => {
    expect(() => reader(0x80, 0x80, 0x80, 0x80, 0x80, 0x01).uvarint('n')).to.throw(WireDecodeError, /varint longer than 5 bytes/);
    expect(() => reader(...new Array<number>(10).fill(0x80), 0x01).varlong('n')).to.throw(WireDecodeError, /varlong longer than 10 bytes/);
    expect(() => reader(0x80).varint('n')).to.throw(WireDecodeError, /n: truncated varint at offset 0/);
    expect(() => reader(0x80).varlong('n')).to.throw(WireDecodeError, /truncated varlong/);
  });

  it('reads strings and bytes, compact or not, and null where allowed', () => {
    const w = new Writer();
    w.string('héllo', false)
      .string(null, false)
      .string('', true)
      .string(null, true)
      .bytes(Buffer.from([1, 2]), false)
      .bytes(null, true);
    w.varintBytes(Buffer.from([9]))
      .varintBytes(null)
      .varintString('k');
    const r = new Reader(Buffer.from(w.finish()));
    expect([r.string('a', false), r.string('b', true), r.compactString('c', false), r.compactString('d', true)]).to.deep.equal(['héllo', null, '', null]);
    expect([...r.bytes('e', false)!]).to.deep.equal([1, 2]);
    expect(r.compactBytes('f', true)).to.equal(null);
    expect([...r.varintBytes('g')!]).to.deep.equal([9]);
    expect(r.varintBytes('h')).to.equal(null);
    expect(r.varintString('i')).to.equal('k');
    expect(() => reader(0xff, 0xff).string('name', false)).to.throw(WireDecodeError, /name: null string where none is allowed at offset 0/);
    expect(() => reader(0xff, 0xfe).string('name', true)).to.throw(WireDecodeError, /negative string length -2/);
    expect(() => reader(0x01).varintString('key')).to.throw(WireDecodeError, /null string where none is allowed/);
  });

  it('bounds every length read off the wire by the bytes left, before allocating anything', () => {
    expect(() => reader(0x7f, 0xff, 0xff, 0xff, 0).bytes('value', false)).to.throw(
      WireDecodeError,
      /value: bytes length 2147483647 exceeds the 1 bytes left at offset 0/,
    );
    expect(() => reader(0, 0, 0, 5, 1, 2, 3).arrayLength('topics', false, false, 1)).to.throw(WireDecodeError, /array length 5 exceeds the 3 bytes left/);
    expect(() => reader(0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7).arrayLength('ids', false, false, 4)).to.throw(
      WireDecodeError,
      /array length 2 exceeds the 7 bytes left/,
    );
    expect(reader(0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8).arrayLength('ids', false, false, 4)).to.equal(2);
    expect(reader(0).arrayLength('ids', true, true, 4)).to.equal(-1);
    expect(() => reader(0).arrayLength('ids', true, false, 4)).to.throw(WireDecodeError, /null array where none is allowed/);
    expect(() => reader(0xff, 0xff, 0xff, 0xfe).arrayLength('ids', false, true, 4)).to.throw(WireDecodeError, /negative array length -2/);
    expect(() => reader(1, 2).int32('partition')).to.throw(WireDecodeError, /partition: truncated: int32 needs 4 bytes, 2 left at offset 0/);
    expect(() => reader(1, 2).sub(3, 'batch')).to.throw(WireDecodeError, /batch: truncated/);
    expect(() => reader(1, 2).skip(3, 'tag')).to.throw(WireDecodeError, /tag: truncated/);
  });

  it('builds error paths from the inside out', () => {
    const e = new WireDecodeError('truncated', 'index', 12);
    e.within('[3]').within('partitions').within('[0]').within('topics');
    expect(e.field).to.equal('topics[0].partitions[3].index');
    expect(e.message).to.equal('topics[0].partitions[3].index: truncated at offset 12');
    expect(e.errorName).to.equal('CORRUPT_MESSAGE');
    expect(new WireDecodeError('x', '', 0).message).to.equal('(frame): x at offset 0');
  });

  it('computes CRC-32C (Castagnoli) as kafkajs does, and the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).to.equal(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).to.equal(0);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(crc32c(bytes)).to.equal(kafkajsCrc32c(Buffer.from(bytes)) >>> 0);
      }),
      { numRuns: 200 },
    );
  });
});
