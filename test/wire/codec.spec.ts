import { expect } from 'chai';
import fc from 'fast-check';
import {
  API_SCHEMAS,
  ApiVersions,
  Fetch,
  Metadata,
  Produce,
  WireDecodeError,
  WireEncodeError,
  array,
  decode,
  defaults,
  encode,
  f,
  message,
  parseVersions,
  struct,
  type MessageSchema,
} from '../../protocol/wire/index.js';
import { present, structArb } from './helpers.js';

function versionsOf(m: MessageSchema): number[] {
  const [lo, hi] = parseVersions(m.versions);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

describe('wire codec: every described message round-trips in every version', () => {
  for (const api of API_SCHEMAS) {
    for (const message of [api.request, api.response]) {
      it(`${message.name} v${api.versions} (key ${api.key})`, () => {
        for (const version of versionsOf(message)) {
          fc.assert(
            fc.property(structArb(message.fields, version), (value) => {
              const bytes = encode(message, version, value as never);
              const back = decode(message, version, Buffer.from(bytes));
              expect(present(message.fields, version, back), `v${version}`).to.deep.equal(value);
              // Written back, the decoded value gives the very same bytes.
              expect(Buffer.compare(encode(message, version, back), bytes), `v${version} re-encoded`).to.equal(0);
            }),
            { numRuns: 12 },
          );
        }
      });
    }
  }
});

describe('wire codec: defaults, versions and tagged fields', () => {
  it('fills fields a version does not have with their defaults, and leaves them out on encode', () => {
    const v0 = decode(Produce.request, 0, encode(Produce.request, 0, { acks: -1, timeoutMs: 30000, transactionalId: 'ignored in v0', topicData: [] }));
    expect(v0).to.deep.equal({ transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [] });
    const response = defaults(Produce.response, 3);
    expect(response).to.deep.equal({ responses: [], throttleTimeMs: 0, nodeEndpoints: [] });
    const partition = decode(
      Produce.response,
      1,
      encode(Produce.response, 1, { responses: [{ name: 't', partitionResponses: [{ index: 0, baseOffset: 5n }] }] }),
    );
    expect(partition.responses[0]!.partitionResponses[0]).to.deep.include({
      logAppendTimeMs: -1n,
      logStartOffset: -1n,
      errorMessage: null,
      currentLeader: { leaderId: -1, leaderEpoch: -1 },
    });
  });

  it('writes a tagged field only when it differs from its default, and reads it back', () => {
    const plain = encode(Fetch.response, 12, { responses: [{ topic: 't', partitions: [{ partitionIndex: 0, records: null }] }] });
    const tagged = encode(Fetch.response, 12, {
      responses: [{ topic: 't', partitions: [{ partitionIndex: 0, currentLeader: { leaderId: 3, leaderEpoch: 7 }, records: null }] }],
    });
    // The tagged field adds its tag and its size (a byte each), two int32s and the struct's own
    // (empty) tagged-field count; the partition's count byte was there already.
    expect(tagged.length - plain.length).to.equal(1 + 1 + 8 + 1);
    const back = decode(Fetch.response, 12, tagged);
    expect(back.responses[0]!.partitions[0]!.currentLeader).to.deep.equal({ leaderId: 3, leaderEpoch: 7 });
    expect(back.responses[0]!.partitions[0]!.divergingEpoch).to.deep.equal({ epoch: -1, endOffset: -1n });
  });

  it('skips tagged fields it does not know', () => {
    // ApiVersions v3 request: two compact strings, then one tagged field with an unknown tag 9.
    const known = encode(ApiVersions.request, 3, { clientSoftwareName: 'kcat', clientSoftwareVersion: '1.7' });
    const withUnknown = Buffer.concat([known.subarray(0, known.length - 1), Buffer.from([1, 9, 3, 0xaa, 0xbb, 0xcc])]);
    expect(decode(ApiVersions.request, 3, withUnknown)).to.deep.equal({ clientSoftwareName: 'kcat', clientSoftwareVersion: '1.7' });
  });

  it('writes the exact bytes of a hand-made flexible message (ApiVersions v3 request, as the Java client sends it)', () => {
    const bytes = encode(ApiVersions.request, 3, { clientSoftwareName: 'apache-kafka-java', clientSoftwareVersion: '3.9.0' });
    const expected = Buffer.concat([Buffer.from([18]), Buffer.from('apache-kafka-java'), Buffer.from([6]), Buffer.from('3.9.0'), Buffer.from([0])]);
    expect(bytes.toString('hex')).to.equal(expected.toString('hex'));
  });

  it('reads null where a version allows it and refuses it where it does not', () => {
    const all = decode(Metadata.request, 1, encode(Metadata.request, 1, { topics: null }));
    expect(all.topics).to.equal(null);
    expect(() => encode(Metadata.request, 0, { topics: null })).to.throw(WireEncodeError, /topics: null is not allowed in version 0/);
    const nullArray = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    expect(() => decode(Metadata.request, 0, nullArray)).to.throw(WireDecodeError, /topics: null array where none is allowed/);
  });

  it('refuses values out of their type and versions not described', () => {
    expect(() => encode(Produce.request, 3, { acks: 40000 })).to.throw(WireEncodeError, /acks: 40000 is not a valid int16/);
    expect(() => encode(Produce.response, 3, { responses: [{ partitionResponses: [{ baseOffset: 1 as unknown as bigint }] }] })).to.throw(
      WireEncodeError,
      /baseOffset/,
    );
    expect(() => encode(Produce.request, 12, {})).to.throw(WireEncodeError, /no version 12/);
    expect(() => decode(Produce.request, 12, Buffer.alloc(0))).to.throw(WireDecodeError, /no version 12/);
    expect(() => encode(Produce.request, 3, { topicData: 'x' as never })).to.throw(WireEncodeError, /topicData: expected an array/);
    expect(() => encode(Fetch.response, 12, { responses: [{ partitions: [{ currentLeader: 5 as never }] }] })).to.throw(WireEncodeError, /expected an object/);
  });

  it('names the field and offset of truncated input, and refuses bytes left over', () => {
    const bytes = encode(Produce.request, 3, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 'topic', partitionData: [{ index: 2, records: Buffer.from('abc') }] }],
    });
    const error = (() => {
      try {
        decode(Produce.request, 3, bytes.subarray(0, bytes.length - 1));
      } catch (e) {
        return e as WireDecodeError;
      }
      throw new Error('decoded a truncated message');
    })();
    expect(error).to.be.instanceOf(WireDecodeError);
    expect(error.field).to.equal('topicData[0].partitionData[0].records');
    expect(error.offset).to.equal(bytes.length - 3 - 4);
    expect(error.message).to.match(/bytes length 3 exceeds the 2 bytes left/);
    expect(() => decode(Produce.request, 3, Buffer.concat([bytes, Buffer.from([0])]))).to.throw(WireDecodeError, /1 bytes left over/);
  });
});

/** A message using the schema features none of the described APIs happens to use yet. */
const Exotic = message({
  name: 'Exotic',
  versions: '0-1',
  flexible: '1+',
  fields: [
    f('port', 'uint16', '0+'),
    f('count', 'uint32', '0+'),
    f('ratio', 'float64', '0+'),
    f('ids', array('uuid'), '0+'),
    f('leader', struct([f('id', 'int32', '0+'), f('epoch', 'int32', '0+')]), '0+', { nullable: '0+' }),
    f('blob', 'bytes', '1+', { tag: 0, tagged: '1+' }),
  ],
});

describe('wire codec: the rest of the schema language', () => {
  it('round-trips unsigned ints, doubles, uuid arrays, nullable structs and tagged bytes', () => {
    for (const version of [0, 1]) {
      fc.assert(
        fc.property(structArb(Exotic.fields, version), (value) => {
          expect(present(Exotic.fields, version, decode(Exotic, version, encode(Exotic, version, value as never)))).to.deep.equal(value);
        }),
        { numRuns: 50 },
      );
    }
    // A nullable struct is one byte, -1, when null, and 1 before its fields otherwise.
    const none = encode(Exotic, 0, { leader: null });
    expect(none.subarray(none.length - 1).toString('hex')).to.equal('ff');
    const some = encode(Exotic, 0, { leader: { id: 2, epoch: 3 } });
    expect(some.subarray(some.length - 9).toString('hex')).to.equal('01' + '00000002' + '00000003');
    expect(decode(Exotic, 1, encode(Exotic, 1, { blob: Buffer.from([7]) })).blob).to.deep.equal(Buffer.from([7]));
    expect(decode(Exotic, 1, encode(Exotic, 1, { blob: Buffer.alloc(0) })).blob).to.deep.equal(Buffer.alloc(0));
    // An array of such structs counts a null one as one byte when it bounds the array's length.
    const leaders = array([f('leader', struct([f('id', 'int32', '0+'), f('epoch', 'int32', '0+')]), '0+', { nullable: '0+' })]);
    const Many = message({ name: 'Many', versions: '0', flexible: 'none', fields: [f('items', leaders, '0+')] });
    const nulls = { items: [{ leader: null }, { leader: null }, { leader: null }] };
    expect(decode(Many, 0, encode(Many, 0, nulls))).to.deep.equal(nulls);
  });

  it('refuses a tagged field whose size does not match its value', () => {
    const bytes = encode(Exotic, 1, { blob: Buffer.from([7]) });
    // The struct ends: count 1, tag 0, size 2, then compact bytes of length 1 (02 07). Claim size 3.
    const tail = bytes.subarray(bytes.length - 5);
    expect(tail.toString('hex')).to.equal('0100020207');
    const bad = Buffer.concat([bytes.subarray(0, bytes.length - 3), Buffer.from([3, 2, 7, 0])]);
    expect(() => decode(Exotic, 1, bad)).to.throw(WireDecodeError, /blob: tagged field's size 3 does not match its value/);
    const tooMany = Buffer.concat([bytes.subarray(0, bytes.length - 5), Buffer.from([9, 0])]);
    expect(() => decode(Exotic, 1, tooMany)).to.throw(WireDecodeError, /9 tagged fields cannot fit/);
  });
});
