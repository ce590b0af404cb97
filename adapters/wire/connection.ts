/**
 * One client connection to one broker: frames off the byte stream, each request decoded,
 * dispatched to its handler and answered, one at a time in the order received, as a Kafka broker
 * mutes a connection from the moment it reads a request until it has sent the answer. Bad input
 * closes this connection only: a frame over the size limit, a frame that does not decode, an
 * unknown API key or version (except ApiVersions, answered UNSUPPORTED_VERSION in v0 with the
 * supported ranges, so the client can retry with one of them). An isolated broker reads and drops
 * every request; a stopped broker's connections are closed by the server.
 */
import {
  ApiVersions,
  decodeRequest,
  decodeRequestHeader,
  encodeResponse,
  FrameReader,
  FrameSizeError,
  WireDecodeError,
  type ApiSchema,
} from '../../protocol/wire/index.js';
import type { FiredFault } from '../../emulator/engine.js';
import { errorResponse, namedIn, withErrors, type TopicNameOf } from './error-response.js';
import type { Handler, WireContext } from './handler.js';
import { apiVersionRanges, handlerFor } from './handlers/index.js';

/** What a connection needs of a socket (a net.Socket, or one end of the in-memory pair). */
export interface WireSocket {
  readonly destroyed: boolean;
  write(chunk: Buffer): unknown;
  destroy(): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (e: Error) => void): unknown;
}

/** Why the broker closed a connection. */
export type CloseReason = 'frame-too-large' | 'bad-frame' | 'unsupported-api' | 'handler-error' | 'broker-stopped' | 'server-closed' | 'injected-fault';

/** What the connection asks of the broker it belongs to. */
export interface ConnectionHost {
  readonly context: Omit<WireContext, 'clientId'>;
  readonly maxFrameBytes: number;
  /** True while the broker is cut off: requests are read and dropped, answers not sent. */
  isolated(): boolean;
  closed(connection: WireConnection, reason: CloseReason | undefined, detail: string): void;
}

const UNSUPPORTED_VERSION = 35;

export class WireConnection {
  private readonly frames: FrameReader;
  private readonly queue: Buffer[] = [];
  private busy = false;
  private done = false;
  /** The client closed its side: requests already read are still served (an acks=0 write then a close), then the connection closes. */
  private ending = false;

  constructor(
    readonly socket: WireSocket,
    private readonly host: ConnectionHost,
  ) {
    this.frames = new FrameReader(host.maxFrameBytes);
    socket.on('data', (chunk) => this.receive(chunk));
    const ended = () => {
      this.ending = true;
      if (!this.busy) this.close(undefined, 'the client closed the connection');
    };
    socket.on('end', ended);
    socket.on('close', ended);
    socket.on('error', (e) => this.close(undefined, e.message));
  }

  get brokerId(): number {
    return this.host.context.brokerId;
  }

  /** Closes the connection (no more answers); `reason` is logged when the broker chose to. */
  close(reason: CloseReason | undefined, detail: string): void {
    if (this.done) return;
    this.done = true;
    this.queue.length = 0;
    this.socket.destroy();
    this.host.closed(this, reason, detail);
  }

  private receive(chunk: Buffer): void {
    if (this.done) return;
    let frames: Buffer[];
    try {
      frames = this.frames.push(chunk);
    } catch (e) {
      if (!(e instanceof FrameSizeError)) throw e;
      this.close('frame-too-large', e.message);
      return;
    }
    this.queue.push(...frames);
    void this.pump();
  }

  /** A size error after frames the same chunk completed: those are served first, as Kafka does. */
  private sizeErrorAfterQueue(): void {
    const failed = this.frames.error;
    if (failed !== undefined && !this.done) this.close('frame-too-large', failed.message);
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (!this.done && this.queue.length > 0) await this.serve(this.queue.shift()!);
    } finally {
      this.busy = false;
    }
    this.sizeErrorAfterQueue();
    if (this.ending) this.close(undefined, 'the client closed the connection');
  }

  private async serve(frame: Buffer): Promise<void> {
    if (this.host.isolated()) return;
    // As Kafka, the header first: a key or version not served is refused before its body is read.
    let request;
    try {
      const { header } = decodeRequestHeader(frame);
      const handler = handlerFor(header.requestApiKey);
      const version = header.requestApiVersion;
      if (handler === undefined || version < handler.versions[0] || version > handler.versions[1]) {
        this.unsupported(header.requestApiKey, version, header.correlationId);
        return;
      }
      request = { ...decodeRequest(frame), handler };
    } catch (e) {
      if (!(e instanceof WireDecodeError)) throw e;
      this.close('bad-frame', e.message);
      return;
    }
    const { header, body, handler } = request;
    const version = header.requestApiVersion;
    const { engine, brokerId } = this.host.context;
    const fired = engine.noFaults ? undefined : this.takeFault(request.api.name, body as Record<string, unknown>);
    // Produce with acks=0 is never answered, not even with an error.
    const unanswered = request.api.name === 'Produce' && (body as { acks?: number }).acks === 0;
    let result;
    if (fired?.fault.when === 'before') {
      const refusal = fired.disconnect || unanswered ? undefined : errorResponse(handler.api, version, body as Record<string, unknown>, fired.fault.errorCode, this.topicNames());
      // An answer with no place for the error (Metadata for every topic) would read as a success: the connection closes instead.
      if (fired.disconnect || (refusal === undefined && !unanswered)) {
        return this.close('injected-fault', `${request.api.name} v${version}: connection closed before applying (injected fault ${fired.fault.id})`);
      }
      // Awaited as a handler's answer is: kafkajs marks a request sent only after its write returns, and an answer inside that write would come too soon.
      result = await (refusal ?? null);
    } else {
      try {
        result = await (handler as Handler).handle({ ...this.host.context, clientId: header.clientId }, version, body as never);
      } catch (e) {
        this.close('handler-error', `${request.api.name} v${version}: ${(e as Error).message}`);
        return;
      }
      if (fired !== undefined && !this.done) {
        if (fired.disconnect) return this.close('injected-fault', `${request.api.name} v${version}: connection closed after applying (injected fault ${fired.fault.id})`);
        if (result !== null && result !== 'unreachable') {
          result = withErrors(handler.api, version, result as Record<string, unknown>, fired.fault.errorCode, fired.covers, this.topicNames());
        }
      }
    }
    if (this.done || this.host.isolated() || result === null || result === 'unreachable') return;
    // Latency: the connection stays muted while it waits, as Kafka's does for its one request in flight, so answers keep their order.
    const latency = engine.noFaults ? 0 : engine.latencyOf(brokerId);
    if (latency > 0) await new Promise<void>((resolve) => setTimeout(resolve, latency));
    if (this.done) return;
    this.send(handler.api, version, header.correlationId, result as Record<string, unknown>);
  }

  /** The injected fault this request fires, if any. */
  private takeFault(api: string, body: Record<string, unknown>): FiredFault | undefined {
    const { engine, brokerId } = this.host.context;
    return engine.takeFault({ api, broker: brokerId, ...namedIn(body, this.topicNames()) });
  }

  /** Topic ids to names, for Fetch v13+ (which names topics by id only). */
  private topicNames(): TopicNameOf {
    const engine = this.host.context.engine;
    let byId: Map<string, string> | undefined;
    return (id) => (byId ??= new Map(engine.topicNames().map((n) => [engine.describeTopic(n).topicId, n]))).get(id);
  }

  /** ApiVersions of a version this broker does not serve gets its ranges in v0; anything else closes the connection. */
  private unsupported(apiKey: number, version: number, correlationId: number): void {
    if (apiKey === ApiVersions.key) {
      this.send(ApiVersions, 0, correlationId, { errorCode: UNSUPPORTED_VERSION, apiKeys: apiVersionRanges() });
      return;
    }
    this.close('unsupported-api', `API key ${apiKey} version ${version} is not served by this broker`);
  }

  private send(api: ApiSchema, version: number, correlationId: number, body: Record<string, unknown>): void {
    let bytes: Buffer;
    try {
      bytes = encodeResponse(api, version, correlationId, body as never);
    } catch (e) {
      this.close('handler-error', `${api.name} v${version} response: ${(e as Error).message}`);
      return;
    }
    if (!this.socket.destroyed) this.socket.write(bytes);
  }
}
