/**
 * Reading Kafka's primitive types off a byte buffer. Every read checks the bytes it needs against
 * the end first, and every length read off the wire (strings, bytes, arrays) is bounded by what is
 * left, so truncated or garbled input ends in a WireDecodeError naming the field and the offset,
 * never in a RangeError, a read past the end, or a huge allocation.
 */

/** The Kafka error a decoding failure maps to, when a broker answers with a code rather than closing the connection. */
export type WireErrorName = 'CORRUPT_MESSAGE' | 'UNSUPPORTED_COMPRESSION_TYPE' | 'UNSUPPORTED_VERSION' | 'INVALID_REQUEST';

/** Truncated, garbled or unsupported input. `field` is the path to the field being read (`topics[2].partitions[0].index`). */
export class WireDecodeError extends Error {
  override readonly name: string = 'WireDecodeError';
  field: string;

  constructor(
    readonly reason: string,
    field: string,
    readonly offset: number,
    readonly errorName: WireErrorName = 'CORRUPT_MESSAGE',
  ) {
    super('');
    this.field = field;
    this.message = this.describe();
  }

  /** Prefixes the path of the enclosing field, as the error travels out of nested structs. */
  within(parent: string): this {
    this.field = this.field === '' ? parent : this.field.startsWith('[') ? `${parent}${this.field}` : `${parent}.${this.field}`;
    this.message = this.describe();
    return this;
  }

  private describe(): string {
    return `${this.field === '' ? '(frame)' : this.field}: ${this.reason} at offset ${this.offset}`;
  }
}

/** A value that cannot go on the wire in the version asked for (out of range, null where not nullable, wrong type). */
export class WireEncodeError extends Error {
  override readonly name = 'WireEncodeError';
}

const UTF8 = new TextDecoder('utf-8');
const INT64_BITS = 64n;

export class Reader {
  offset: number;
  readonly end: number;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    end = buf.length,
  ) {
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  fail(field: string, reason: string, at = this.offset): never {
    throw new WireDecodeError(reason, field, at);
  }

  private need(n: number, field: string, type: string): number {
    if (this.end - this.offset < n) this.fail(field, `truncated: ${type} needs ${n} bytes, ${this.end - this.offset} left`);
    const at = this.offset;
    this.offset += n;
    return at;
  }

  int8(field: string): number {
    return this.buf.readInt8(this.need(1, field, 'int8'));
  }
  int16(field: string): number {
    return this.buf.readInt16BE(this.need(2, field, 'int16'));
  }
  uint16(field: string): number {
    return this.buf.readUInt16BE(this.need(2, field, 'uint16'));
  }
  int32(field: string): number {
    return this.buf.readInt32BE(this.need(4, field, 'int32'));
  }
  uint32(field: string): number {
    return this.buf.readUInt32BE(this.need(4, field, 'uint32'));
  }
  int64(field: string): bigint {
    return this.buf.readBigInt64BE(this.need(8, field, 'int64'));
  }
  float64(field: string): number {
    return this.buf.readDoubleBE(this.need(8, field, 'float64'));
  }
  bool(field: string): boolean {
    return this.buf[this.need(1, field, 'bool')] !== 0;
  }
  uuid(field: string): string {
    const at = this.need(16, field, 'uuid');
    return this.buf.toString('base64url', at, at + 16);
  }

  /** An unsigned LEB128 integer of at most 5 bytes (32 bits), as Kafka's ByteUtils.readUnsignedVarint. */
  uvarint(field: string): number {
    const at = this.offset;
    let value = 0;
    for (let shift = 0; shift <= 28; shift += 7) {
      if (this.offset >= this.end) this.fail(field, 'truncated varint', at);
      const b = this.buf[this.offset++]!;
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value >>> 0;
    }
    return this.fail(field, 'varint longer than 5 bytes', at);
  }

  /** A zigzag-encoded signed 32-bit varint. */
  varint(field: string): number {
    const raw = this.uvarint(field);
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** A zigzag-encoded signed 64-bit varint of at most 10 bytes. */
  varlong(field: string): bigint {
    const at = this.offset;
    let raw = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.offset >= this.end) this.fail(field, 'truncated varlong', at);
      const b = this.buf[this.offset++]!;
      raw |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        raw = BigInt.asUintN(Number(INT64_BITS), raw);
        return (raw >> 1n) ^ -(raw & 1n);
      }
    }
    return this.fail(field, 'varlong longer than 10 bytes', at);
  }

  /** A length read off the wire, checked against what is left; -1 stands for null. */
  private length(field: string, n: number, at: number, what: string, nullable: boolean): number {
    if (n === -1 && nullable) return -1;
    if (n < 0) this.fail(field, n === -1 ? `null ${what} where none is allowed` : `negative ${what} length ${n}`, at);
    if (n > this.remaining) this.fail(field, `${what} length ${n} exceeds the ${this.remaining} bytes left`, at);
    return n;
  }

  private text(n: number): string {
    const s = UTF8.decode(this.buf.subarray(this.offset, this.offset + n));
    this.offset += n;
    return s;
  }

  private slice(n: number): Buffer {
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  /** STRING / NULLABLE_STRING: int16 length, -1 for null. */
  string(field: string, nullable: boolean): string | null {
    const at = this.offset;
    const n = this.length(field, this.int16(field), at, 'string', nullable);
    return n === -1 ? null : this.text(n);
  }

  /** COMPACT_STRING / COMPACT_NULLABLE_STRING: unsigned varint length + 1, 0 for null. */
  compactString(field: string, nullable: boolean): string | null {
    const at = this.offset;
    const n = this.length(field, this.uvarint(field) - 1, at, 'string', nullable);
    return n === -1 ? null : this.text(n);
  }

  /** BYTES / NULLABLE_BYTES: int32 length, -1 for null. The result shares memory with the input. */
  bytes(field: string, nullable: boolean): Buffer | null {
    const at = this.offset;
    const n = this.length(field, this.int32(field), at, 'bytes', nullable);
    return n === -1 ? null : this.slice(n);
  }

  /** COMPACT_BYTES / COMPACT_NULLABLE_BYTES. */
  compactBytes(field: string, nullable: boolean): Buffer | null {
    const at = this.offset;
    const n = this.length(field, this.uvarint(field) - 1, at, 'bytes', nullable);
    return n === -1 ? null : this.slice(n);
  }

  /** Record-level bytes (keys, values, header values): signed varint length, -1 for null. */
  varintBytes(field: string): Buffer | null {
    const at = this.offset;
    const n = this.length(field, this.varint(field), at, 'bytes', true);
    return n === -1 ? null : this.slice(n);
  }

  /** A record header key: signed varint length, never null. */
  varintString(field: string): string {
    const at = this.offset;
    const n = this.length(field, this.varint(field), at, 'string', false);
    return this.text(n);
  }

  /**
   * An array's element count (int32, or unsigned varint + 1 when compact), -1 for null. Each
   * element takes at least `minElementBytes`, so a garbled count larger than the bytes left can
   * hold is reported before anything is allocated.
   */
  arrayLength(field: string, compact: boolean, nullable: boolean, minElementBytes: number): number {
    const at = this.offset;
    const n = compact ? this.uvarint(field) - 1 : this.int32(field);
    if (n === -1 && nullable) return -1;
    if (n < 0) this.fail(field, n === -1 ? 'null array where none is allowed' : `negative array length ${n}`, at);
    if (n * Math.max(1, minElementBytes) > this.remaining) this.fail(field, `array length ${n} exceeds the ${this.remaining} bytes left`, at);
    return n;
  }

  /** Moves past `n` bytes, checked. */
  skip(n: number, field: string): void {
    this.need(n, field, 'skipped field');
  }

  /** A sub-reader over the next `n` bytes, which this reader moves past. */
  sub(n: number, field: string): Reader {
    const at = this.need(n, field, 'sized field');
    return new Reader(this.buf, at, at + n);
  }
}
