/**
 * Truncated and garbled input: decoding any prefix or random mutation of a valid frame either
 * succeeds or throws WireDecodeError — never a RangeError, a TypeError or an out-of-memory, and
 * never a hang (every loop is bounded by the bytes left).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import {
  API_SCHEMAS,
  COMPRESSION,
  FrameReader,
  FrameSizeError,
  WireDecodeError,
  decodeRecordBatches,
  decodeRequest,
  decodeResponse,
  encodeRecordBatches,
  encodeRequest,
  encodeResponse,
  parseVersions,
  type ApiSchema,
} from '../../protocol/wire/index.js';
import { structArb } from './helpers.js';

function succeedsOrWireError(decode: () => unknown): 'ok' | 'error' {
  try {
    decode();
    return 'ok';
  } catch (e) {
    if (e instanceof WireDecodeError) return 'error';
    throw e;
  }
}

/** Byte edits: overwrite, insert or delete at a position (taken modulo the length). */
const edits = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
  ),
  { minLength: 1, maxLength: 4 },
);

function mutate(bytes: Buffer, changes: readonly { kind: 'set' | 'insert' | 'delete'; at: number; byte: number }[]): Buffer {
  const out = [...bytes];
  for (const c of changes) {
    const at = c.at % (out.length + 1);
    if (c.kind === 'insert') out.splice(at, 0, c.byte);
    else if (out.length === 0) continue;
    else if (c.kind === 'delete') out.splice(at % out.length, 1);
    else out[at % out.length] = c.byte;
  }
  return Buffer.from(out);
}

function versionsOf(api: ApiSchema): number[] {
  const [lo, hi] = parseVersions(api.versions);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/** A valid request frame and a valid response frame (both without their size) of some version of the API. */
function framesOf(api: ApiSchema): fc.Arbitrary<{ version: number; request: Buffer; response: Buffer }> {
  return fc.constantFrom(...versionsOf(api)).chain((version) =>
    fc.tuple(structArb(api.request.fields, version, { maxLength: 2 }), structArb(api.response.fields, version, { maxLength: 2 })).map(([rq, rs]) => ({
      version,
      request: encodeRequest(api, version, { correlationId: 5, clientId: 'garbage' }, rq as never).subarray(4),
      response: encodeResponse(api, version, 5, rs as never).subarray(4),
    })),
  );
}

describe('wire decoding of truncated and garbled input', () => {
  for (const api of API_SCHEMAS) {
    it(`${api.name}: every prefix and random edits of its frames decode or fail with WireDecodeError`, () => {
      fc.assert(
        fc.property(framesOf(api), edits, ({ version, request, response }, changes) => {
          expect(succeedsOrWireError(() => decodeRequest(request))).to.equal('ok');
          for (let n = 0; n < request.length; n++) succeedsOrWireError(() => decodeRequest(request.subarray(0, n)));
          for (let n = 0; n < response.length; n++) succeedsOrWireError(() => decodeResponse(api, version, response.subarray(0, n)));
          succeedsOrWireError(() => decodeRequest(mutate(request, changes)));
          succeedsOrWireError(() => decodeResponse(api, version, mutate(response, changes)));
        }),
        { numRuns: 15 },
      );
    });
  }

  it('record batches: every prefix and random edits decode or fail with WireDecodeError (plain and gzip, CRC checked or not)', () => {
    const batches = encodeRecordBatches([
      { baseOffset: 5n, records: [{ key: Buffer.from('k'), value: Buffer.from('value'), headers: [{ key: 'h', value: null }] }, { value: null }] },
      { baseOffset: 7n, compression: COMPRESSION.gzip, records: [{ value: Buffer.from('zipped') }] },
    ]);
    for (let n = 0; n < batches.length; n++) {
      succeedsOrWireError(() => decodeRecordBatches(batches.subarray(0, n)));
      succeedsOrWireError(() => decodeRecordBatches(batches.subarray(0, n), { allowPartialTail: true, verifyCrc: false }));
    }
    fc.assert(
      fc.property(edits, (changes) => {
        const garbled = mutate(batches, changes);
        succeedsOrWireError(() => decodeRecordBatches(garbled));
        succeedsOrWireError(() => decodeRecordBatches(garbled, { verifyCrc: false, allowPartialTail: true }));
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes, however chunked, come out of the frame reader as frames or as a FrameSizeError', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 10 }), (chunks) => {
        const reader = new FrameReader(64);
        try {
          for (const c of chunks) for (const frame of reader.push(Buffer.from(c))) succeedsOrWireError(() => decodeRequest(frame));
        } catch (e) {
          expect(e).to.be.instanceOf(FrameSizeError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
