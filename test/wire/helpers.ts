/**
 * Shared by the wire specs: values generated from a message description (fast-check), the
 * projection of a value onto the fields a version has, kafkajs's own protocol modules, and a
 * matcher for "every value we put in comes out of kafkajs".
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { inVersions, type Field, type FieldType, type Primitive } from '../../protocol/wire/index.js';

export const require = createRequire(import.meta.url);

const INT_RANGES: Partial<Record<Primitive, [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 0xffff],
  int32: [-2147483648, 2147483647],
  uint32: [0, 0xffffffff],
};

export interface GenOptions {
  /** The longest generated array (3 by default, to keep nested messages small). */
  readonly maxLength?: number;
  /** Replaces the generator of a field by name, nulls included (e.g. records with real batches). */
  readonly override?: Readonly<Record<string, fc.Arbitrary<unknown>>>;
}

function primitiveArb(type: Primitive): fc.Arbitrary<unknown> {
  const range = INT_RANGES[type];
  if (range !== undefined) return fc.integer({ min: range[0], max: range[1] });
  switch (type) {
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double({ noNaN: true });
    case 'bool':
      return fc.boolean();
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 12 });
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b));
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64url'));
    default:
      throw new Error(`no generator for ${type}`);
  }
}

function typeArb(type: FieldType, version: number, options: GenOptions): fc.Arbitrary<unknown> {
  if (typeof type === 'string') return primitiveArb(type);
  if (type.kind === 'struct') return structArb(type.fields, version, options);
  const element = typeof type.of === 'string' ? primitiveArb(type.of) : structArb(type.of.fields, version, options);
  return fc.array(element, { maxLength: options.maxLength ?? 3 });
}

/** Values of a struct at a version: exactly the fields the version has, null only where nullable. */
export function structArb(fields: readonly Field[], version: number, options: GenOptions = {}): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of fields) {
    if (!inVersions(field.versions, version)) continue;
    const override = options.override?.[field.name];
    const arb = typeArb(field.type, version, options);
    model[field.name] = override ?? (inVersions(field.nullable, version) ? fc.option(arb, { nil: null, freq: 4 }) : arb);
  }
  return fc.record(model);
}

/** A value cut down to the fields `version` has (missing ones stay, as undefined, so a comparison notices). */
export function present(fields: readonly Field[], version: number, value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (!inVersions(field.versions, version)) continue;
    out[field.name] = presentType(field.type, version, v[field.name]);
  }
  return out;
}

function presentType(type: FieldType, version: number, value: unknown): unknown {
  if (typeof type === 'string' || value === null || value === undefined) return value;
  if (type.kind === 'struct') return present(type.fields, version, value);
  const of = type.of;
  return typeof of === 'string' ? value : (value as unknown[]).map((item) => present(of.fields, version, item));
}

/** Every error code in a value set to 0, so that kafkajs's `parse` lets it through. */
export function noErrors<T>(value: T): T {
  if (Array.isArray(value)) return value.map(noErrors) as T;
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = /errorcode$/i.test(k) ? 0 : noErrors(v);
  return out as T;
}

/** kafkajs error code 35 (UNSUPPORTED_VERSION) makes its decoders throw; anything else they return. */
export function noUnsupportedVersion<T>(value: T): T {
  if (Array.isArray(value)) return value.map(noUnsupportedVersion) as T;
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = /errorcode$/i.test(k) && v === 35 ? 0 : noUnsupportedVersion(v);
  return out as T;
}

/** Stands for "the throttle time": kafkajs reports it as clientSideThrottleTime from the versions where brokers stopped throttling for the client, as throttleTime before. */
export const THROTTLE = '__throttle__';

/**
 * Checks that `actual` (kafkajs's output) holds everything in `expected`: same leaves, arrays of
 * the same length, objects with at least the expected keys (kafkajs adds some of its own, such
 * as a constant throttleTime: 0).
 */
export function expectContains(actual: unknown, expected: unknown, path = '$'): void {
  if (expected instanceof Uint8Array) {
    expect(actual, path).to.be.instanceOf(Uint8Array);
    expect(Buffer.from(actual as Uint8Array).equals(Buffer.from(expected)), `${path}: bytes differ`).to.equal(true);
    return;
  }
  if (Array.isArray(expected)) {
    expect(actual, path).to.be.an('array').with.lengthOf(expected.length);
    expected.forEach((e, i) => expectContains((actual as unknown[])[i], e, `${path}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    expect(actual, path).to.be.an('object');
    const a = actual as Record<string, unknown>;
    for (const [k, e] of Object.entries(expected)) {
      if (k === THROTTLE) {
        const key = 'clientSideThrottleTime' in a ? 'clientSideThrottleTime' : 'throttleTime';
        expectContains(a[key], e, `${path}.${key}`);
      } else {
        expect(a, path).to.have.property(k);
        expectContains(a[k], e, `${path}.${k}`);
      }
    }
    return;
  }
  expect(actual, path).to.equal(expected);
}

/** An int64 as kafkajs decodes it. */
export const str = (v: unknown): string => String(v);
