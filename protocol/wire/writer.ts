/**
 * Writing Kafka's primitive types into a growing buffer. Values are checked against their type's
 * range on the way in: a value that Kafka's own serializer would refuse is a WireEncodeError here,
 * not a silently wrapped number on the wire.
 */
import { WireEncodeError } from './reader.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const ENCODER = new TextEncoder();

function checkInt(value: unknown, min: number, max: number, type: string, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new WireEncodeError(`${field}: ${String(value)} is not a valid ${type}`);
  }
  return value;
}

export function checkInt64(value: unknown, field: string): bigint {
  if (typeof value !== 'bigint' || value < INT64_MIN || value > INT64_MAX) {
    throw new WireEncodeError(`${field}: ${String(value)} is not a valid int64 (a bigint)`);
  }
  return value;
}

function checkBytes(value: unknown, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new WireEncodeError(`${field}: expected bytes (a Buffer or Uint8Array)`);
  return value;
}

function checkString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new WireEncodeError(`${field}: expected a string, got ${value === null ? 'null' : typeof value}`);
  return value;
}

export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  int8(value: unknown, field = 'int8'): this {
    this.ensure(1);
    this.pos = this.buf.writeInt8(checkInt(value, -128, 127, 'int8', field), this.pos);
    return this;
  }
  int16(value: unknown, field = 'int16'): this {
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(checkInt(value, -32768, 32767, 'int16', field), this.pos);
    return this;
  }
  uint16(value: unknown, field = 'uint16'): this {
    this.ensure(2);
    this.pos = this.buf.writeUInt16BE(checkInt(value, 0, 0xffff, 'uint16', field), this.pos);
    return this;
  }
  int32(value: unknown, field = 'int32'): this {
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(checkInt(value, -2147483648, 2147483647, 'int32', field), this.pos);
    return this;
  }
  uint32(value: unknown, field = 'uint32'): this {
    this.ensure(4);
    this.pos = this.buf.writeUInt32BE(checkInt(value, 0, 0xffffffff, 'uint32', field), this.pos);
    return this;
  }
  int64(value: unknown, field = 'int64'): this {
    this.ensure(8);
    this.pos = this.buf.writeBigInt64BE(checkInt64(value, field), this.pos);
    return this;
  }
  float64(value: unknown, field = 'float64'): this {
    if (typeof value !== 'number') throw new WireEncodeError(`${field}: expected a number`);
    this.ensure(8);
    this.pos = this.buf.writeDoubleBE(value, this.pos);
    return this;
  }
  bool(value: unknown, field = 'bool'): this {
    if (typeof value !== 'boolean') throw new WireEncodeError(`${field}: expected a boolean`);
    this.ensure(1);
    this.buf[this.pos++] = value ? 1 : 0;
    return this;
  }
  /** A UUID in Kafka's text form: 22 characters of URL-safe base64 (Uuid.toString). */
  uuid(value: unknown, field = 'uuid'): this {
    const s = checkString(value, field);
    const bytes = Buffer.from(s, 'base64url');
    if (bytes.length !== 16 || bytes.toString('base64url') !== s) throw new WireEncodeError(`${field}: ${s} is not a Kafka uuid`);
    return this.raw(bytes);
  }

  uvarint(value: number): this {
    this.ensure(5);
    let v = value >>> 0;
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
    return this;
  }
  varint(value: unknown, field = 'varint'): this {
    const v = checkInt(value, -2147483648, 2147483647, 'varint', field);
    return this.uvarint((v << 1) ^ (v >> 31));
  }
  varlong(value: unknown, field = 'varlong'): this {
    const v = checkInt64(value, field);
    let raw = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    this.ensure(10);
    while (raw > 0x7fn) {
      this.buf[this.pos++] = Number(raw & 0x7fn) | 0x80;
      raw >>= 7n;
    }
    this.buf[this.pos++] = Number(raw);
    return this;
  }

  /** Bytes as they are, with no length. */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** STRING / NULLABLE_STRING (int16 length) or, compact, COMPACT_[NULLABLE_]STRING (unsigned varint length + 1). */
  string(value: unknown, compact: boolean, field = 'string'): this {
    if (value === null) return compact ? this.uvarint(0) : this.int16(-1);
    const bytes = ENCODER.encode(checkString(value, field));
    if (compact) this.uvarint(bytes.length + 1);
    else if (bytes.length > 32767) throw new WireEncodeError(`${field}: string of ${bytes.length} bytes is longer than 32767`);
    else this.int16(bytes.length);
    return this.raw(bytes);
  }

  /** BYTES / NULLABLE_BYTES (int32 length) or COMPACT_[NULLABLE_]BYTES. */
  bytes(value: unknown, compact: boolean, field = 'bytes'): this {
    if (value === null) return compact ? this.uvarint(0) : this.int32(-1);
    const bytes = checkBytes(value, field);
    if (compact) this.uvarint(bytes.length + 1);
    else this.int32(bytes.length);
    return this.raw(bytes);
  }

  /** Record-level bytes: signed varint length, -1 for null. */
  varintBytes(value: unknown, field = 'bytes'): this {
    if (value === null) return this.varint(-1);
    const bytes = checkBytes(value, field);
    return this.varint(bytes.length).raw(bytes);
  }

  /** A record header key: signed varint length. */
  varintString(value: unknown, field = 'string'): this {
    const bytes = ENCODER.encode(checkString(value, field));
    return this.varint(bytes.length).raw(bytes);
  }

  /** An array's element count, or -1 / 0 for null. */
  arrayLength(length: number | null, compact: boolean): this {
    if (length === null) return compact ? this.uvarint(0) : this.int32(-1);
    return compact ? this.uvarint(length + 1) : this.int32(length);
  }

  /** Overwrites an int32 already written at `at` (a size prefix, a CRC). */
  patchInt32(at: number, value: number): void {
    this.buf.writeInt32BE(value, at);
  }
  patchUint32(at: number, value: number): void {
    this.buf.writeUInt32BE(value, at);
  }
}
