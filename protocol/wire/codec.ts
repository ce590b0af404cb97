/**
 * The one encoder and the one decoder of every message described in schema.ts. For a message and
 * a version they first work out a plan (which fields exist, which are nullable, compact or
 * tagged), once, and cache it; encoding and decoding then walk the plan.
 *
 * Fields a version does not have are left out on encode, whatever the value holds (one response
 * value can be written in every version, as a broker does), and come back as their default on
 * decode. Tagged fields are written only when they differ from their default, in tag order, as
 * Kafka's generated serializers do; unknown tags are skipped on read.
 */
import { Reader, WireDecodeError, WireEncodeError } from './reader.js';
import {
  inVersions,
  parseVersions,
  type Field,
  type FieldType,
  type MessageSchema,
  type Primitive,
  type StructInput,
  type StructValue,
  type StructType,
} from './schema.js';
import { Writer } from './writer.js';

const NIL_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

interface Op {
  readonly name: string;
  readonly field: Field;
  readonly nullable: boolean;
  readonly compact: boolean;
  /** For a struct, or an array of structs: the element's plan. */
  readonly child: Plan | undefined;
}

interface Plan {
  readonly version: number;
  readonly flexible: boolean;
  /** Every field the struct's value has, in description order, with how to make its default. */
  readonly all: readonly Field[];
  readonly positional: readonly Op[];
  /** Tagged fields, by ascending tag. */
  readonly tagged: readonly (Op & { readonly tag: number })[];
  readonly minBytes: number;
}

const plans = new WeakMap<readonly Field[], Map<number, Plan>>();

function planFor(fields: readonly Field[], version: number, flexible: boolean): Plan {
  let byVersion = plans.get(fields);
  if (byVersion === undefined) plans.set(fields, (byVersion = new Map()));
  const key = version * 2 + (flexible ? 1 : 0);
  let plan = byVersion.get(key);
  if (plan === undefined) byVersion.set(key, (plan = makePlan(fields, version, flexible)));
  return plan;
}

function structOf(type: FieldType): StructType | undefined {
  if (typeof type === 'string') return undefined;
  if (type.kind === 'struct') return type;
  return typeof type.of === 'string' ? undefined : type.of;
}

function makePlan(fields: readonly Field[], version: number, flexible: boolean): Plan {
  const positional: Op[] = [];
  const tagged: (Op & { tag: number })[] = [];
  let minBytes = flexible ? 1 : 0;
  for (const field of fields) {
    if (!inVersions(field.versions, version)) continue;
    const struct = structOf(field.type);
    const op: Op = {
      name: field.name,
      field,
      nullable: inVersions(field.nullable, version),
      compact: flexible && field.neverCompact !== true,
      child: struct === undefined ? undefined : planFor(struct.fields, version, flexible),
    };
    if (flexible && field.tag !== undefined && inVersions(field.tagged, version)) {
      tagged.push({ ...op, tag: field.tag });
    } else {
      positional.push(op);
      minBytes += minBytesOf(field.type, op);
    }
  }
  tagged.sort((a, b) => a.tag - b.tag);
  return { version, flexible, all: fields, positional, tagged, minBytes };
}

const WIDTHS: Record<Primitive, number> = {
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  float64: 8,
  bool: 1,
  uuid: 16,
  string: 2,
  bytes: 4,
  records: 4,
};

function minBytesOf(type: FieldType, op: Op): number {
  if (typeof type === 'string') return op.compact && (type === 'string' || type === 'bytes' || type === 'records') ? 1 : WIDTHS[type];
  if (type.kind === 'array') return op.compact ? 1 : 4;
  // A null struct is its one-byte marker.
  return op.nullable ? 1 : op.child!.minBytes;
}

// ---- Defaults ----

function zeroOf(type: FieldType, version: number, flexible: boolean): unknown {
  if (typeof type !== 'string') {
    if (type.kind === 'array') return [];
    return defaultsOf(planFor(type.fields, version, flexible));
  }
  switch (type) {
    case 'int64':
      return 0n;
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    case 'uuid':
      return NIL_UUID;
    case 'records':
      return null;
    default:
      return 0;
  }
}

function defaultOf(field: Field, version: number, flexible: boolean): unknown {
  const d = field.default;
  if (d === undefined) return zeroOf(field.type, version, flexible);
  return field.type === 'int64' && typeof d === 'number' ? BigInt(d) : d;
}

function defaultsOf(plan: Plan): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const field of plan.all) value[field.name] = defaultOf(field, plan.version, plan.flexible);
  return value;
}

function isDefault(value: unknown, field: Field, version: number, flexible: boolean): boolean {
  return sameValue(value, defaultOf(field, version, flexible));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const bo = b as Record<string, unknown>;
    return Object.entries(a).every(([k, v]) => v === undefined || sameValue(v, bo[k]));
  }
  return false;
}

// ---- Decoding ----

// Reads name no field: the struct that holds the field adds its name to the error's path.
function readPrimitive(r: Reader, type: Primitive, op: Op): unknown {
  const name = '';
  switch (type) {
    case 'int8':
      return r.int8(name);
    case 'int16':
      return r.int16(name);
    case 'uint16':
      return r.uint16(name);
    case 'int32':
      return r.int32(name);
    case 'uint32':
      return r.uint32(name);
    case 'int64':
      return r.int64(name);
    case 'float64':
      return r.float64(name);
    case 'bool':
      return r.bool(name);
    case 'uuid':
      return r.uuid(name);
    case 'string':
      return op.compact ? r.compactString(name, op.nullable) : r.string(name, op.nullable);
    case 'bytes':
      return op.compact ? r.compactBytes(name, op.nullable) : r.bytes(name, op.nullable);
    case 'records':
      return op.compact ? r.compactBytes(name, true) : r.bytes(name, true);
  }
}

function readArray(r: Reader, of: Primitive | StructType, op: Op): unknown[] | null {
  const min = typeof of === 'string' ? minBytesOf(of, { ...op, nullable: false }) : op.child!.minBytes;
  const n = r.arrayLength('', op.compact, op.nullable, min);
  if (n === -1) return null;
  const out = new Array<unknown>(n);
  const element: Op = { ...op, nullable: false };
  for (let i = 0; i < n; i++) {
    try {
      out[i] = typeof of === 'string' ? readPrimitive(r, of, element) : readStruct(r, op.child!);
    } catch (e) {
      if (e instanceof WireDecodeError) e.within(`[${i}]`);
      throw e;
    }
  }
  return out;
}

function readField(r: Reader, op: Op): unknown {
  const type = op.field.type;
  if (typeof type === 'string') return readPrimitive(r, type, op);
  if (type.kind === 'array') return readArray(r, type.of, op);
  if (op.nullable) {
    // A nullable struct is preceded by an int8: -1 for null, 1 for present.
    const marker = r.int8('');
    if (marker < 0) return null;
  }
  return readStruct(r, op.child!);
}

function readStruct(r: Reader, plan: Plan): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  let p = 0;
  for (const field of plan.all) {
    const op = plan.positional[p];
    if (op !== undefined && op.field === field) {
      p++;
      try {
        value[field.name] = readField(r, op);
      } catch (e) {
        if (e instanceof WireDecodeError) e.within(field.name);
        throw e;
      }
    } else {
      value[field.name] = defaultOf(field, plan.version, plan.flexible);
    }
  }
  if (plan.flexible) readTaggedFields(r, plan, value);
  return value;
}

function readTaggedFields(r: Reader, plan: Plan, value: Record<string, unknown>): void {
  const at = r.offset;
  const count = r.uvarint('_taggedFields');
  // Each tagged field takes at least two bytes (its tag and its size).
  if (count * 2 > r.remaining) r.fail('_taggedFields', `${count} tagged fields cannot fit in the ${r.remaining} bytes left`, at);
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint('_taggedFields');
    const size = r.uvarint(`_taggedFields[${tag}]`);
    const op = plan.tagged.find((t) => t.tag === tag);
    if (op === undefined) {
      r.skip(size, `_taggedFields[${tag}]`);
      continue;
    }
    const sub = r.sub(size, op.name);
    try {
      value[op.name] = readField(sub, op);
    } catch (e) {
      if (e instanceof WireDecodeError) e.within(op.name);
      throw e;
    }
    if (sub.remaining !== 0) sub.fail(op.name, `tagged field's size ${size} does not match its value`);
  }
}

// ---- Encoding ----

function writePrimitive(w: Writer, type: Primitive, value: unknown, op: Op): void {
  const name = op.name;
  switch (type) {
    case 'int8':
      w.int8(value, name);
      return;
    case 'int16':
      w.int16(value, name);
      return;
    case 'uint16':
      w.uint16(value, name);
      return;
    case 'int32':
      w.int32(value, name);
      return;
    case 'uint32':
      w.uint32(value, name);
      return;
    case 'int64':
      w.int64(value, name);
      return;
    case 'float64':
      w.float64(value, name);
      return;
    case 'bool':
      w.bool(value, name);
      return;
    case 'uuid':
      w.uuid(value, name);
      return;
    case 'string':
      w.string(value, op.compact, name);
      return;
    case 'bytes':
    case 'records':
      w.bytes(value, op.compact, name);
      return;
  }
}

function writeField(w: Writer, op: Op, value: unknown, version: number): void {
  const type = op.field.type;
  if (value === null) {
    if (!op.nullable) throw new WireEncodeError(`${op.name}: null is not allowed in version ${version}`);
    if (typeof type === 'string') writePrimitive(w, type, null, op);
    else if (type.kind === 'array') w.arrayLength(null, op.compact);
    else w.int8(-1);
    return;
  }
  if (typeof type === 'string') return writePrimitive(w, type, value, op);
  if (type.kind === 'array') {
    if (!Array.isArray(value)) throw new WireEncodeError(`${op.name}: expected an array`);
    w.arrayLength(value.length, op.compact);
    const element: Op = { ...op, nullable: false };
    for (const item of value) {
      if (typeof type.of === 'string') writePrimitive(w, type.of, item, element);
      else writeStruct(w, op.child!, item, version);
    }
    return;
  }
  if (op.nullable) w.int8(1);
  writeStruct(w, op.child!, value, version);
}

function writeStruct(w: Writer, plan: Plan, value: unknown, version: number): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new WireEncodeError('expected an object for a struct');
  const v = value as Record<string, unknown>;
  for (const op of plan.positional) {
    const given = v[op.name];
    try {
      writeField(w, op, given === undefined ? defaultOf(op.field, version, plan.flexible) : given, version);
    } catch (e) {
      if (e instanceof WireEncodeError && !e.message.startsWith(`${op.name}`)) e.message = `${op.name}.${e.message}`;
      throw e;
    }
  }
  if (!plan.flexible) return;
  const present = plan.tagged.filter((op) => v[op.name] !== undefined && !isDefault(v[op.name], op.field, version, plan.flexible));
  w.uvarint(present.length);
  for (const op of present) {
    const inner = new Writer(64);
    writeField(inner, op, v[op.name], version);
    w.uvarint(op.tag).uvarint(inner.length).raw(inner.finish());
  }
}

// ---- The entry points ----

function checkVersion(m: MessageSchema, version: number): boolean {
  const [lo, hi] = parseVersions(m.versions);
  if (!Number.isInteger(version) || version < lo || version > hi) return false;
  return true;
}

/** Whether `version` is a flexible version of the message (compact lengths, tagged fields). */
export function isFlexible(m: MessageSchema, version: number): boolean {
  return inVersions(m.flexible, version);
}

/** Writes `value` as version `version` of the message, into `w` (a new Writer by default); returns everything `w` holds. */
export function encode<Fs extends readonly Field[]>(m: MessageSchema<Fs>, version: number, value: StructInput<Fs>, w: Writer = new Writer()): Buffer {
  if (!checkVersion(m, version)) throw new WireEncodeError(`${m.name} has no version ${version} (described: ${m.versions})`);
  writeStruct(w, planFor(m.fields, version, isFlexible(m, version)), value, version);
  return w.finish();
}

/**
 * Reads version `version` of the message from `input` (a Buffer, read whole, or a Reader, read
 * from its offset on, which it moves past the message). Bytes, records and strings in the result
 * share memory with the input.
 */
export function decode<Fs extends readonly Field[]>(m: MessageSchema<Fs>, version: number, input: Buffer | Reader): StructValue<Fs> {
  const r = input instanceof Reader ? input : new Reader(input);
  if (!checkVersion(m, version))
    throw new WireDecodeError(`${m.name} has no version ${version} (described: ${m.versions})`, '', r.offset, 'UNSUPPORTED_VERSION');
  const value = readStruct(r, planFor(m.fields, version, isFlexible(m, version)));
  if (!(input instanceof Reader) && r.remaining !== 0) r.fail('', `${r.remaining} bytes left over after ${m.name} v${version}`);
  return value as StructValue<Fs>;
}

/** The message's value with every field at its default, as version `version` would decode it from nothing. */
export function defaults<Fs extends readonly Field[]>(m: MessageSchema<Fs>, version: number): StructValue<Fs> {
  return defaultsOf(planFor(m.fields, version, isFlexible(m, version))) as StructValue<Fs>;
}
