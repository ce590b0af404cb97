/**
 * Frames: every request and response is a 4-byte size, then a header, then the body. Request
 * header v0 has no client id (only ControlledShutdown v0 uses it), v1 adds it, v2 (flexible API
 * versions) adds tagged fields, though its client id stays a plain, non-compact string. Response
 * header v1 (flexible versions) adds tagged fields to v0 — except ApiVersions, whose response
 * header is always v0, so that a client can read the answer to a version the broker does not know.
 */
import { decode, encode } from './codec.js';
import { apiSchema } from './messages/index.js';
import { Reader, WireDecodeError } from './reader.js';
import { f, inVersions, message, type ApiSchema, type Field, type StructInput, type StructValue } from './schema.js';
import { Writer } from './writer.js';

export const RequestHeader = message({
  name: 'RequestHeader',
  versions: '0-2',
  flexible: '2+',
  fields: [
    f('requestApiKey', 'int16', '0+'),
    f('requestApiVersion', 'int16', '0+'),
    f('correlationId', 'int32', '0+'),
    f('clientId', 'string', '1+', { nullable: '1+', neverCompact: true }),
  ],
});

export const ResponseHeader = message({
  name: 'ResponseHeader',
  versions: '0-1',
  flexible: '1+',
  fields: [f('correlationId', 'int32', '0+')],
});

export type RequestHeaderValue = StructValue<typeof RequestHeader.fields>;

const CONTROLLED_SHUTDOWN = 7;
const API_VERSIONS = 18;

/**
 * The request header version for an API version: 2 for flexible versions, 1 otherwise (0 for
 * ControlledShutdown v0). A version above the described range of a known key counts as flexible
 * when the key has flexible versions, as Kafka reads a too-new ApiVersions request.
 */
export function requestHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 | 2 {
  if (apiKey === CONTROLLED_SHUTDOWN && apiVersion === 0) return 0;
  const schema = apiSchema(apiKey);
  return schema !== undefined && inVersions(schema.flexible, apiVersion) ? 2 : 1;
}

/** The response header version for an API version: 1 for flexible versions, 0 otherwise and always for ApiVersions. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 {
  if (apiKey === API_VERSIONS) return 0;
  const schema = apiSchema(apiKey);
  return schema !== undefined && inVersions(schema.flexible, apiVersion) ? 1 : 0;
}

/**
 * A request for an API key or version not described here. The header was read, so a broker can
 * still answer it (Kafka answers an ApiVersions request of an unknown version with
 * UNSUPPORTED_VERSION in v0, and closes the connection otherwise).
 */
export class UnsupportedVersionError extends WireDecodeError {
  override readonly name = 'UnsupportedVersionError';
  constructor(readonly header: RequestHeaderValue) {
    super(`API key ${header.requestApiKey} version ${header.requestApiVersion} is not supported`, 'requestApiVersion', 2, 'UNSUPPORTED_VERSION');
  }
}

/** Reads a request header off the start of a frame (the bytes after the size). */
export function decodeRequestHeader(frame: Buffer): { header: RequestHeaderValue; bodyOffset: number } {
  const r = new Reader(frame);
  const apiKey = r.int16('requestApiKey');
  const apiVersion = r.int16('requestApiVersion');
  r.offset = 0;
  const header = decode(RequestHeader, requestHeaderVersion(apiKey, apiVersion), r);
  return { header, bodyOffset: r.offset };
}

export interface DecodedRequest {
  readonly header: RequestHeaderValue;
  readonly api: ApiSchema;
  readonly body: Record<string, unknown>;
}

/**
 * Reads a whole request frame (without its size). Throws UnsupportedVersionError for a key or
 * version not described, WireDecodeError for anything truncated, garbled or left over.
 */
export function decodeRequest(frame: Buffer): DecodedRequest {
  const { header, bodyOffset } = decodeRequestHeader(frame);
  const api = apiSchema(header.requestApiKey);
  if (api === undefined || !inVersions(api.versions, header.requestApiVersion)) throw new UnsupportedVersionError(header);
  const r = new Reader(frame, bodyOffset);
  const body = decode(api.request, header.requestApiVersion, r) as Record<string, unknown>;
  if (r.remaining !== 0) r.fail('', `${r.remaining} bytes left over after ${api.request.name} v${header.requestApiVersion}`);
  return { header, api, body };
}

function sizePrefixed(write: (w: Writer) => void): Buffer {
  const w = new Writer();
  w.int32(0);
  write(w);
  const frame = w.finish();
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/** A whole request, size first, as a client sends it. */
export function encodeRequest<Rq extends readonly Field[]>(
  api: ApiSchema<Rq>,
  version: number,
  header: { correlationId: number; clientId: string | null },
  body: StructInput<Rq>,
): Buffer {
  return sizePrefixed((w) => {
    const headerVersion = requestHeaderVersion(api.key, version);
    encode(RequestHeader, headerVersion, { requestApiKey: api.key, requestApiVersion: version, ...header }, w);
    encode(api.request, version, body, w);
  });
}

/** A whole response, size first, as a broker sends it. */
export function encodeResponse<Rs extends readonly Field[]>(
  api: ApiSchema<readonly Field[], Rs>,
  version: number,
  correlationId: number,
  body: StructInput<Rs>,
): Buffer {
  return sizePrefixed((w) => {
    encode(ResponseHeader, responseHeaderVersion(api.key, version), { correlationId }, w);
    encode(api.response, version, body, w);
  });
}

/** Reads a whole response frame (without its size) to a request of `api` at `version`. */
export function decodeResponse<Rs extends readonly Field[]>(
  api: ApiSchema<readonly Field[], Rs>,
  version: number,
  frame: Buffer,
): { correlationId: number; body: StructValue<Rs> } {
  const r = new Reader(frame);
  const { correlationId } = decode(ResponseHeader, responseHeaderVersion(api.key, version), r);
  const body = decode(api.response, version, r);
  if (r.remaining !== 0) r.fail('', `${r.remaining} bytes left over after ${api.response.name} v${version}`);
  return { correlationId, body };
}

/** Kafka's socket.request.max.bytes default: the largest request frame a broker reads. */
export const DEFAULT_MAX_FRAME_BYTES = 104857600;

/** A size prefix that is negative or above the limit; the frame is never allocated. Kafka closes the connection. */
export class FrameSizeError extends WireDecodeError {
  override readonly name = 'FrameSizeError';
  constructor(
    readonly size: number,
    readonly max: number,
    at: number,
  ) {
    super(size < 0 ? `invalid frame size ${size}` : `frame of ${size} bytes is larger than the ${max} allowed`, 'size', at, 'INVALID_REQUEST');
  }
}

/**
 * Splits a byte stream into frames. Push chunks as they arrive; each call returns the frames it
 * completed (the bytes after each size prefix). A frame within one chunk is a view of it, not a
 * copy. After a size error every later push throws the same error: the stream cannot be resynced.
 * A push that completed frames before the bad size returns them and leaves the error in `error`
 * (thrown by the next push): Kafka serves the requests it read before the size it refuses.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private consumed = 0;
  private size = -1;
  private failed: FrameSizeError | undefined;

  constructor(readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** The size error that ended the stream, once one has. */
  get error(): FrameSizeError | undefined {
    return this.failed;
  }

  /** Bytes received but not yet returned in a frame. */
  get pending(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.failed !== undefined) throw this.failed;
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Buffer[] = [];
    for (;;) {
      if (this.size < 0) {
        if (this.buffered < 4) break;
        const at = this.consumed;
        const size = this.take(4).readInt32BE(0);
        if (size < 0 || size > this.maxFrameBytes) {
          this.failed = new FrameSizeError(size, this.maxFrameBytes, at);
          if (frames.length === 0) throw this.failed;
          break;
        }
        this.size = size;
      }
      if (this.buffered < this.size) break;
      frames.push(this.take(this.size));
      this.size = -1;
    }
    return frames;
  }

  private take(n: number): Buffer {
    this.buffered -= n;
    this.consumed += n;
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const used = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, used);
      filled += used;
      if (used === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(used);
    }
    return out;
  }
}
