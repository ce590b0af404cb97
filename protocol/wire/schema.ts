/**
 * The schema language Kafka's messages are described in, modelled on Kafka's own JSON message
 * definitions (clients/src/main/resources/common/message/*.json): a message is a list of fields,
 * each with a type, the versions it exists in, the versions it may be null in, and, for tagged
 * fields, its tag. Versions from `flexible` on use compact lengths and carry tagged fields.
 * The encoder and decoder in codec.ts read these descriptions; a new version is a change of
 * version ranges, not new code.
 *
 * Field names are Kafka's, in camelCase (`TimeoutMs` → `timeoutMs`). The TypeScript types of
 * decoded values and of encoder input follow from the descriptions (`StructValue`, `StructInput`).
 *
 * int64 values are bigints. Offsets, timestamps and producer ids are 64-bit on the wire, and
 * Kafka uses the whole range (Long.MAX_VALUE as "no limit", -1 sentinels, random producer ids); a
 * bigint carries every one of them exactly, so decoding and re-encoding any frame gives the same
 * bytes, and no value silently loses precision past 2^53. The engine converts at its edge.
 */

/** Kafka's primitive types. `records` is a nullable byte blob holding record batches (see records.ts). */
export type Primitive = 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64' | 'bool' | 'string' | 'bytes' | 'uuid' | 'records';

export interface StructType {
  readonly kind: 'struct';
  readonly fields: readonly Field[];
}
export interface ArrayType {
  readonly kind: 'array';
  readonly of: Primitive | StructType;
}
export type FieldType = Primitive | StructType | ArrayType;

/**
 * A version range as Kafka writes it: `"0+"`, `"3-5"`, `"7"`, or `"none"`.
 * (A template type would make every description slower to check; the codec validates the text.)
 */
export type Versions = string;

export interface FieldOptions {
  /** The versions in which the field may be null (Kafka's nullableVersions). */
  readonly nullable?: Versions;
  /** The field's tag, for a tagged field. */
  readonly tag?: number;
  /** The versions in which the field is tagged rather than positional (Kafka's taggedVersions). */
  readonly tagged?: Versions;
  /** The value when absent from a version, or not sent as a tagged field. Defaults to the type's zero (0, '', [], false, the nil uuid; null for records). */
  readonly default?: number | bigint | string | boolean | null;
  /** Never compact, even in flexible versions (Kafka's `"flexibleVersions": "none"` on a field: the request header's ClientId). */
  readonly neverCompact?: true;
}

export interface Field extends FieldOptions {
  readonly name: string;
  readonly type: FieldType;
  readonly versions: Versions;
}

/** A message: a request or response body, or a header. */
export interface MessageSchema<Fs extends readonly Field[] = readonly Field[]> {
  readonly name: string;
  /** The versions described (Kafka's validVersions). */
  readonly versions: Versions;
  /** The first flexible version, as `"N+"`, or `"none"`. */
  readonly flexible: Versions;
  readonly fields: Fs;
}

/** One API key: its request and response, described over the same versions. */
export interface ApiSchema<Rq extends readonly Field[] = readonly Field[], Rs extends readonly Field[] = readonly Field[]> {
  readonly key: number;
  readonly name: string;
  readonly versions: Versions;
  readonly flexible: Versions;
  readonly request: MessageSchema<Rq>;
  readonly response: MessageSchema<Rs>;
}

/** A field. `f('timeoutMs', 'int32', '0+')`, `f('transactionalId', 'string', '3+', { nullable: '3+', default: null })`. */
export function f<const N extends string, const T extends FieldType, const O extends FieldOptions = {}>(
  name: N,
  type: T,
  versions: Versions,
  options?: O,
): { readonly name: NoInfer<N>; readonly type: NoInfer<T>; readonly versions: Versions } & NoInfer<O> {
  return { name, type, versions, ...(options as O) };
}

/** An array of a primitive (`array('int32')`) or of a struct given by its fields (`array([f(...), ...])`). */
export function array<const T extends Primitive | readonly Field[]>(
  of: T,
): { readonly kind: 'array'; readonly of: T extends readonly Field[] ? { readonly kind: 'struct'; readonly fields: T } : T } {
  const element = typeof of === 'string' ? of : { kind: 'struct', fields: of };
  return { kind: 'array', of: element } as never;
}

/** A struct-valued field's type (not an array). */
export function struct<const Fs extends readonly Field[]>(fields: Fs): { readonly kind: 'struct'; readonly fields: Fs } {
  return { kind: 'struct', fields };
}

/** A request/response header, or any message that is not an API. */
export function message<const Fs extends readonly Field[]>(m: MessageSchema<Fs>): MessageSchema<Fs> {
  return m;
}

/** An API key, its versions and its two messages. */
export function api<const Rq extends readonly Field[], const Rs extends readonly Field[]>(d: {
  readonly key: number;
  readonly name: string;
  readonly versions: Versions;
  readonly flexible: Versions;
  readonly request: Rq;
  readonly response: Rs;
}): ApiSchema<Rq, Rs> {
  const { key, name, versions, flexible } = d;
  return {
    key,
    name,
    versions,
    flexible,
    request: { name: `${name}Request`, versions, flexible, fields: d.request },
    response: { name: `${name}Response`, versions, flexible, fields: d.response },
  };
}

/** `"0+"` → [0, Infinity]; `"3-5"` → [3, 5]; `"7"` → [7, 7]; `"none"` → an empty range. */
export function parseVersions(v: Versions): readonly [number, number] {
  if (v === 'none') return [1, 0];
  const m = /^(\d+)(\+|-(\d+))?$/.exec(v);
  if (m === null) throw new Error(`bad version range "${v}"`);
  const lo = Number(m[1]);
  return [lo, m[2] === '+' ? Infinity : m[3] !== undefined ? Number(m[3]) : lo];
}

export function inVersions(v: Versions | undefined, version: number): boolean {
  if (v === undefined) return false;
  const [lo, hi] = parseVersions(v);
  return version >= lo && version <= hi;
}

// ---- The TypeScript types that follow from a description ----

interface PrimitiveValues {
  int8: number;
  int16: number;
  uint16: number;
  int32: number;
  uint32: number;
  int64: bigint;
  float64: number;
  bool: boolean;
  string: string;
  bytes: Buffer;
  uuid: string;
  records: Buffer | null;
}
interface PrimitiveInputs extends Omit<PrimitiveValues, 'bytes' | 'records'> {
  bytes: Uint8Array;
  records: Uint8Array | null;
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The decoded value of a type: every field of every struct is present (absent versions give the default). */
export type TypeValue<T> = T extends Primitive
  ? PrimitiveValues[T]
  : T extends { readonly kind: 'array'; readonly of: infer E }
    ? TypeValue<E>[]
    : T extends { readonly kind: 'struct'; readonly fields: infer Fs extends readonly Field[] }
      ? StructValue<Fs>
      : never;
type FieldValue<F extends Field> = F extends { readonly nullable: string } ? TypeValue<F['type']> | null : TypeValue<F['type']>;
export type StructValue<Fs extends readonly Field[]> = Simplify<{ -readonly [F in Fs[number] as F['name']]: FieldValue<F> }>;

/** What the encoder accepts: every field optional (the default stands in), bytes as any Uint8Array. */
export type TypeInput<T> = T extends Primitive
  ? PrimitiveInputs[T]
  : T extends { readonly kind: 'array'; readonly of: infer E }
    ? readonly TypeInput<E>[]
    : T extends { readonly kind: 'struct'; readonly fields: infer Fs extends readonly Field[] }
      ? StructInput<Fs>
      : never;
type FieldInput<F extends Field> = F extends { readonly nullable: string } ? TypeInput<F['type']> | null : TypeInput<F['type']>;
export type StructInput<Fs extends readonly Field[]> = Simplify<{ [F in Fs[number] as F['name']]?: FieldInput<F> }>;

/** The decoded request / response of an API. */
export type RequestOf<A> = A extends ApiSchema<infer Rq, readonly Field[]> ? StructValue<Rq> : never;
export type ResponseOf<A> = A extends ApiSchema<readonly Field[], infer Rs> ? StructValue<Rs> : never;
/** What the encoder accepts for an API's request / response. */
export type RequestInput<A> = A extends ApiSchema<infer Rq, readonly Field[]> ? StructInput<Rq> : never;
export type ResponseInput<A> = A extends ApiSchema<readonly Field[], infer Rs> ? StructInput<Rs> : never;
