/** Shared by the wire server specs: a real-clock cluster and unchanged kafkajs over it, with short timeouts. */
import { connect as tcpConnect } from 'node:net';
import kafkajs from 'kafkajs';
import { Cluster } from '../../src/index.js';
import { decodeResponse, encodeRequest, FrameReader, type ApiSchema, type RequestInput, type ResponseOf } from '../../protocol/wire/index.js';
import type { ClusterOptions } from '../../emulator/engine.js';

const { Kafka, logLevel } = kafkajs;

export function realCluster(options: ClusterOptions = {}): Cluster {
  return new Cluster({ clock: 'real', seed: 7, ...options });
}

/** kafkajs over `brokers` (and a socketFactory when given), with fast retries and timeouts and no logs. */
export function kafkaOver(config: { brokers: string[]; socketFactory?: unknown }, clientId = 'wire-spec'): InstanceType<typeof Kafka> {
  return new Kafka({
    clientId,
    ...config,
    connectionTimeout: 300,
    requestTimeout: 1500,
    retry: { retries: 2, initialRetryTime: 20, maxRetryTime: 100 },
    logLevel: logLevel.NOTHING,
  } as ConstructorParameters<typeof Kafka>[0]);
}

/** A raw client on one in-memory connection: sends frames, reads answers by correlation id. */
export class RawClient {
  private readonly reader = new FrameReader();
  private readonly waiting: ((frame: Buffer) => void)[] = [];
  private readonly frames: Buffer[] = [];
  private correlation = 0;
  ended = false;
  readonly socket: NodeJS.ReadWriteStream & { destroy(): void; on(e: string, l: (...a: unknown[]) => void): unknown };

  private constructor(socket: RawClient['socket']) {
    this.socket = socket;
    socket.on('data', (chunk) => {
      for (const f of this.reader.push(chunk as Buffer)) {
        const w = this.waiting.shift();
        if (w) w(f);
        else this.frames.push(f);
      }
    });
    socket.on('end', () => (this.ended = true));
    socket.on('close', () => (this.ended = true));
    socket.on('error', () => (this.ended = true));
  }

  /** Connects to `broker-<id>:9092`; rejects with the socket's error (ECONNREFUSED for a stopped broker). */
  static connect(cluster: Cluster, broker = 1): Promise<RawClient> {
    const { socketFactory } = cluster.wire();
    return new Promise((resolve, reject) => {
      const socket = socketFactory({ host: `broker-${broker}`, port: 9092, ssl: {}, onConnect: () => resolve(client) }) as unknown as RawClient['socket'];
      const client = new RawClient(socket);
      socket.on('error', (e) => reject(e as Error));
    });
  }

  /** Connects over TCP (a twin's `cluster.listen()`, or a real broker); rejects with the socket's error. */
  static tcp(host: string, port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect(port, host, () => resolve(client));
      const client = new RawClient(socket as unknown as RawClient['socket']);
      socket.once('error', reject);
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends a request; resolves with the decoded answer. */
  async request<A extends ApiSchema>(api: A, version: number, body: RequestInput<A>): Promise<ResponseOf<A>> {
    const correlationId = ++this.correlation;
    this.write(encodeRequest(api, version, { correlationId, clientId: 'raw' }, body as never));
    const frame = await this.next();
    const decoded = decodeResponse(api, version, frame);
    if (decoded.correlationId !== correlationId) throw new Error(`correlation ${decoded.correlationId}, expected ${correlationId}`);
    return decoded.body as ResponseOf<A>;
  }

  /** The next frame the broker sends. */
  next(): Promise<Buffer> {
    const f = this.frames.shift();
    if (f) return Promise.resolve(f);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Resolves once the broker has closed the connection. */
  async closed(ms = 1000): Promise<boolean> {
    const until = Date.now() + ms;
    while (!this.ended && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }
}
