/**
 * The transports: an in-memory socket pair for kafkajs's `socketFactory` option (no port opened),
 * and a TCP listener per broker (node:net). Each advertises its own broker addresses, which is what
 * Metadata answers on its connections. A stopped broker refuses connections as a closed port does
 * (in memory: the socket errors with ECONNREFUSED; over TCP the listener stops and listens again
 * on the same port when the broker starts). An isolated broker takes no new connection in memory
 * (the client's connection timeout fires, as for a network that drops packets); over TCP the
 * kernel accepts, and the broker answers nothing.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { AddressOf, BrokerStatus, WireServer } from './server.js';

/** One end of an in-memory connection: what kafkajs uses of a net.Socket. */
export class MemorySocket extends Duplex {
  peer: MemorySocket | undefined;
  private eof = false;
  readonly remoteAddress: string;

  constructor(remoteAddress: string) {
    super({ allowHalfOpen: false });
    this.remoteAddress = remoteAddress;
  }

  /** Two connected ends: what one writes, the other reads. */
  static pair(clientAddress: string, brokerAddress: string): [client: MemorySocket, broker: MemorySocket] {
    const client = new MemorySocket(brokerAddress);
    const broker = new MemorySocket(clientAddress);
    client.peer = broker;
    broker.peer = client;
    return [client, broker];
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    // Copied, as a kernel socket copies: the writer owns its buffer again once the callback runs.
    if (peer !== undefined && !peer.eof && !peer.destroyed) peer.push(Buffer.from(chunk));
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.peer?.finishReading();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.peer?.finishReading();
    callback(error);
  }

  /** The other end closed: this end reads to the end ('end'), then closes too (no half-open). */
  private finishReading(): void {
    if (this.eof || this.destroyed) return;
    this.eof = true;
    this.push(null);
  }

  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

type SocketFactoryArgs = { host: string; port: number; ssl?: unknown; onConnect?: () => void };

/** The in-memory addresses: `broker-<id>:9092`. */
export function memoryAddressOf(broker: number): { host: string; port: number } {
  return { host: `broker-${broker}`, port: 9092 };
}

let clientPorts = 50000;

/** kafkajs's `socketFactory` over the wire server, reaching brokers at {@link memoryAddressOf}. */
export function memorySocketFactory(server: WireServer): (args: SocketFactoryArgs) => MemorySocket {
  const byAddress = new Map(server.brokerIds().map((id) => [`${memoryAddressOf(id).host}:${memoryAddressOf(id).port}`, id]));
  return ({ host, port, onConnect }) => {
    const clientHost = `/127.0.0.1:${clientPorts++}`;
    const [client, broker] = MemorySocket.pair(clientHost, host);
    const id = byAddress.get(`${host}:${port}`);
    process.nextTick(() => {
      if (client.destroyed) return;
      if (id === undefined) {
        client.destroy(connectError('ENOTFOUND', `getaddrinfo ENOTFOUND ${host}`, host, port));
        return;
      }
      const status = server.statusOf(id);
      if (status === 'stopped') {
        client.destroy(connectError('ECONNREFUSED', `connect ECONNREFUSED ${host}:${port}`, host, port));
        return;
      }
      if (status === 'isolated') return;
      server.attach(id, broker, { addressOf: memoryAddressOf, clientHost: '/127.0.0.1' });
      client.emit('connect');
      onConnect?.();
    });
    return client;
  };
}

function connectError(code: string, message: string, address: string, port: number): Error {
  return Object.assign(new Error(message), { code, syscall: 'connect', address, port });
}

/** Where `listen()` puts each broker. */
export interface ListenOptions {
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** The first broker's port (the lowest id); the next brokers, in id order, take the following ones. Ephemeral ports when neither this nor `ports` is given. */
  port?: number;
  /** One port per broker, in broker id order. */
  ports?: readonly number[];
}

/** A TCP listener per broker, stopped and restarted with it. */
export class TcpListeners {
  private readonly servers = new Map<number, Server>();
  private readonly sockets = new Set<Socket>();
  private readonly ports = new Map<number, number>();
  private readonly unsubscribe: () => void;
  private closed = false;

  private constructor(
    private readonly wire: WireServer,
    readonly host: string,
  ) {
    this.unsubscribe = wire.onStatus((broker, status) => this.onStatus(broker, status));
  }

  /** Listens for every broker; resolves with the advertised addresses once all are bound. */
  static async open(wire: WireServer, options: ListenOptions = {}): Promise<TcpListeners> {
    const host = options.host ?? '127.0.0.1';
    const ids = wire.brokerIds();
    if (options.ports !== undefined && options.ports.length !== ids.length) {
      throw new RangeError(`listen() needs one port per broker: ${ids.length} brokers, ${options.ports.length} ports`);
    }
    const listeners = new TcpListeners(wire, host);
    try {
      for (const [i, id] of ids.entries()) {
        const port = options.ports?.[i] ?? (options.port === undefined ? 0 : options.port + i);
        listeners.ports.set(id, port);
        // A stopped broker's port is reserved by binding it, then closed: it refuses until the broker starts.
        await listeners.start(id);
        if (wire.statusOf(id) === 'stopped') listeners.stop(id);
      }
    } catch (e) {
      listeners.close();
      throw e;
    }
    return listeners;
  }

  /** `host:port` of every broker, in id order. */
  brokers(): string[] {
    return this.wire.brokerIds().map((id) => `${this.host}:${this.ports.get(id)!}`);
  }

  readonly addressOf: AddressOf = (broker) => ({ host: this.host, port: this.ports.get(broker) ?? -1 });

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const id of [...this.servers.keys()]) this.stop(id);
    for (const s of this.sockets) s.destroy();
  }

  private start(id: number): Promise<void> {
    const server = createServer((socket) => this.accept(id, socket));
    this.servers.set(id, server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.ports.get(id), this.host, () => {
        server.off('error', reject);
        this.ports.set(id, (server.address() as { port: number }).port);
        resolve();
      });
    });
  }

  private stop(id: number): void {
    const server = this.servers.get(id);
    if (server === undefined) return;
    this.servers.delete(id);
    server.close();
  }

  private accept(id: number, socket: Socket): void {
    if (this.closed || this.wire.statusOf(id) === 'stopped') {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.setNoDelay(true);
    this.wire.attach(id, socket, { addressOf: this.addressOf, clientHost: `/${socket.remoteAddress ?? 'unknown'}` });
  }

  private onStatus(id: number, status: BrokerStatus): void {
    if (this.closed) return;
    if (status === 'stopped') this.stop(id);
    else if (!this.servers.has(id)) {
      this.start(id).catch(() => {
        // The port was taken while the broker was down: it stays unreachable, as a broker that cannot bind.
        this.servers.delete(id);
      });
    }
  }
}
