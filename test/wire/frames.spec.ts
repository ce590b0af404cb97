import { expect } from 'chai';
import fc from 'fast-check';
import {
  ApiVersions,
  DEFAULT_MAX_FRAME_BYTES,
  FrameReader,
  FrameSizeError,
  Heartbeat,
  Metadata,
  Produce,
  UnsupportedVersionError,
  WireDecodeError,
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../../protocol/wire/index.js';

const unframe = (frame: Buffer): Buffer => {
  expect(frame.readInt32BE(0)).to.equal(frame.length - 4);
  return frame.subarray(4);
};

describe('wire frames and headers', () => {
  it('picks the header versions Kafka does: flexible requests v2, responses v1, ApiVersions responses always v0', () => {
    expect([requestHeaderVersion(3, 8), requestHeaderVersion(3, 9), requestHeaderVersion(3, 12)]).to.deep.equal([1, 2, 2]);
    expect([responseHeaderVersion(3, 8), responseHeaderVersion(3, 9)]).to.deep.equal([0, 1]);
    expect([requestHeaderVersion(18, 2), requestHeaderVersion(18, 3), requestHeaderVersion(18, 7)]).to.deep.equal([1, 2, 2]);
    expect([responseHeaderVersion(18, 3), responseHeaderVersion(18, 4)]).to.deep.equal([0, 0]);
    expect([requestHeaderVersion(17, 1), responseHeaderVersion(17, 1)]).to.deep.equal([1, 0]);
    expect([requestHeaderVersion(7, 0), requestHeaderVersion(7, 1), requestHeaderVersion(999, 0), responseHeaderVersion(999, 0)]).to.deep.equal([0, 1, 1, 0]);
  });

  it('frames a request and reads it back, in a plain and a flexible version', () => {
    const plain = encodeRequest(Metadata, 4, { correlationId: 7, clientId: 'app' }, { topics: [{ name: 'a' }], allowAutoTopicCreation: false });
    // size, key 3, version 4, correlation id 7, client id "app" (int16 length), then the body.
    expect(plain.subarray(0, 17).toString('hex')).to.equal('00000015' + '0003' + '0004' + '00000007' + '0003' + Buffer.from('app').toString('hex'));
    const decoded = decodeRequest(unframe(plain));
    expect(decoded.header).to.deep.equal({ requestApiKey: 3, requestApiVersion: 4, correlationId: 7, clientId: 'app' });
    expect(decoded.api).to.equal(Metadata);
    expect(decoded.body).to.deep.include({ topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'a' }], allowAutoTopicCreation: false });

    const flexible = encodeRequest(Metadata, 12, { correlationId: 8, clientId: null }, { topics: null });
    // Header v2: the client id stays a plain nullable string (-1), then an empty tagged-field count.
    expect(flexible.subarray(4, 15).toString('hex')).to.equal('0003' + '000c' + '00000008' + 'ffff' + '00');
    expect(decodeRequest(unframe(flexible)).header.clientId).to.equal(null);
    expect(decodeRequest(unframe(flexible)).body).to.deep.include({ topics: null });
  });

  it('reads the header of a request it cannot decode, so a broker can still answer it', () => {
    const future = encodeRequest(ApiVersions, 4, { correlationId: 11, clientId: 'next' }, {});
    future.writeInt16BE(9, 6); // ApiVersions v9: not described
    let error: unknown;
    try {
      decodeRequest(unframe(future));
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(UnsupportedVersionError).and.instanceOf(WireDecodeError);
    const unsupported = error as UnsupportedVersionError;
    expect(unsupported.errorName).to.equal('UNSUPPORTED_VERSION');
    expect(unsupported.header).to.deep.equal({ requestApiKey: 18, requestApiVersion: 9, correlationId: 11, clientId: 'next' });
    const unknownKey = Buffer.from('00630000000000010000', 'hex');
    expect(() => decodeRequest(unknownKey)).to.throw(UnsupportedVersionError, /API key 99 version 0 is not supported/);
    expect(decodeRequestHeader(unknownKey).bodyOffset).to.equal(10);
    expect(() => decodeRequest(Buffer.from('0003', 'hex'))).to.throw(WireDecodeError, /requestApiVersion: truncated/);
    const trailing = Buffer.concat([
      unframe(encodeRequest(Heartbeat, 0, { correlationId: 1, clientId: 'c' }, { groupId: 'g', memberId: 'm' })),
      Buffer.from([0]),
    ]);
    expect(() => decodeRequest(trailing)).to.throw(WireDecodeError, /1 bytes left over after HeartbeatRequest v0/);
  });

  it('frames a response with header v0 or v1 and reads it back', () => {
    const v0 = encodeResponse(Heartbeat, 3, 42, { throttleTimeMs: 5, errorCode: 27 });
    expect(v0.toString('hex')).to.equal('0000000a' + '0000002a' + '00000005' + '001b');
    expect(decodeResponse(Heartbeat, 3, unframe(v0))).to.deep.equal({ correlationId: 42, body: { throttleTimeMs: 5, errorCode: 27 } });
    const v1 = encodeResponse(Heartbeat, 4, 42, { throttleTimeMs: 5, errorCode: 27 });
    expect(v1.toString('hex')).to.equal('0000000c' + '0000002a' + '00' + '00000005' + '001b' + '00');
    expect(decodeResponse(Heartbeat, 4, unframe(v1)).body).to.deep.equal({ throttleTimeMs: 5, errorCode: 27 });
    // ApiVersions v3 is flexible, but its response header has no tagged fields.
    const av = encodeResponse(ApiVersions, 3, 1, { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }] });
    expect(av.subarray(4, 10).toString('hex')).to.equal('00000001' + '0000');
    expect(decodeResponse(ApiVersions, 3, unframe(av)).body.apiKeys).to.deep.equal([{ apiKey: 0, minVersion: 0, maxVersion: 11 }]);
    expect(() => decodeResponse(Heartbeat, 3, Buffer.concat([unframe(v0), Buffer.from([1])]))).to.throw(WireDecodeError, /left over/);
  });

  it('splits a byte stream into frames however it is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }), fc.array(fc.nat({ max: 300 }), { maxLength: 8 }), (payloads, cuts) => {
        const stream = Buffer.concat(payloads.map((p) => Buffer.concat([Buffer.from([0, 0, 0, p.length]), p])));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const reader = new FrameReader();
        const frames: Buffer[] = [];
        let at = 0;
        for (const p of [...points, stream.length]) {
          frames.push(...reader.push(stream.subarray(at, p)));
          at = p;
        }
        expect(frames.map((f) => [...f])).to.deep.equal(payloads.map((p) => [...p]));
        expect(reader.pending).to.equal(0);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps a partial frame until the rest arrives', () => {
    const reader = new FrameReader();
    const frame = encodeRequest(Produce, 3, { correlationId: 1, clientId: 'p' }, { acks: 1, timeoutMs: 100, topicData: [] });
    expect(reader.push(frame.subarray(0, 2))).to.deep.equal([]);
    expect(reader.push(frame.subarray(2, 9))).to.deep.equal([]);
    expect(reader.pending).to.equal(5);
    const [whole] = reader.push(frame.subarray(9));
    expect(decodeRequest(whole!).header.correlationId).to.equal(1);
    expect(reader.push(Buffer.from([0, 0, 0, 0]))).to.deep.equal([Buffer.alloc(0)]);
  });

  it('returns the frames a chunk completed before a bad size, and keeps the error for the next push', () => {
    const reader = new FrameReader(10);
    const chunk = Buffer.from([0, 0, 0, 2, 7, 7, 0, 0, 0, 1, 9, 0x7f, 0xff, 0xff, 0xff]);
    expect(reader.push(chunk)).to.deep.equal([Buffer.from([7, 7]), Buffer.from([9])]);
    expect(reader.error).to.be.instanceOf(FrameSizeError);
    expect(reader.error!.message).to.match(/frame of 2147483647 bytes is larger than the 10 allowed at offset 11/);
    expect(() => reader.push(Buffer.alloc(0))).to.throw(FrameSizeError, /at offset 11/);
  });

  it('reports an oversize or negative frame size as soon as the size arrives, without waiting for or allocating the frame', () => {
    expect(DEFAULT_MAX_FRAME_BYTES).to.equal(104857600);
    const reader = new FrameReader();
    reader.push(Buffer.from([0, 0, 0, 1, 7]));
    const huge = Buffer.alloc(4);
    huge.writeInt32BE(DEFAULT_MAX_FRAME_BYTES + 1);
    expect(() => reader.push(huge)).to.throw(FrameSizeError, /size: frame of 104857601 bytes is larger than the 104857600 allowed at offset 5/);
    // The stream cannot be resynchronised: every later push fails the same way.
    expect(() => reader.push(Buffer.from([0, 0, 0, 0]))).to.throw(FrameSizeError);
    const small = new FrameReader(10);
    expect(small.push(Buffer.from([0, 0, 0, 10, ...new Array<number>(10).fill(1)]))).to.have.lengthOf(1);
    expect(() => small.push(Buffer.from([0, 0, 0, 11]))).to.throw(FrameSizeError, /larger than the 10 allowed/);
    const negative = new FrameReader();
    let error: FrameSizeError | undefined;
    try {
      negative.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    } catch (e) {
      error = e as FrameSizeError;
    }
    expect(error).to.be.instanceOf(WireDecodeError);
    expect([error!.size, error!.errorName, error!.message]).to.deep.equal([-1, 'INVALID_REQUEST', 'size: invalid frame size -1 at offset 0']);
  });
});
