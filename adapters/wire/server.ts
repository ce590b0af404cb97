/**
 * The brokers' network side over one engine: every connection by broker, and the faults as a
 * network shows them, followed from the engine's event log. A stopped broker's connections are
 * closed and new ones refused until it starts again; an isolated broker keeps its connections but
 * answers nothing until healed. Transports (the in-memory sockets, the TCP listeners) attach
 * connections here with the addresses they advertise.
 */
import type { Engine } from '../../emulator/engine.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../../protocol/wire/index.js';
import { WireConnection, type CloseReason, type WireSocket } from './connection.js';
import type { WireContext } from './handler.js';

export type BrokerStatus = 'running' | 'stopped' | 'isolated';

/** A connection the broker closed because of what the client sent (or a fault); see {@link WireServer.onWireEvent}. */
export interface WireEvent {
  readonly type: 'connection-closed';
  readonly broker: number;
  readonly client: string;
  readonly reason: CloseReason;
  readonly detail: string;
}

/** How a transport advertises the brokers (what Metadata answers). */
export type AddressOf = WireContext['addressOf'];

export interface WireServerOptions {
  /**
   * The largest request frame read (Kafka's `socket.request.max.bytes`).
   * @defaultValue 104857600
   */
  maxFrameBytes?: number;
}

export class WireServer {
  private readonly status = new Map<number, BrokerStatus>();
  private readonly connections = new Map<number, Set<WireConnection>>();
  private readonly listeners = new Set<(event: WireEvent) => void>();
  private readonly statusListeners = new Set<(broker: number, status: BrokerStatus) => void>();
  private readonly unsubscribe: () => void;
  private readonly maxFrameBytes: number;
  private closedAll = false;

  constructor(
    readonly engine: Engine,
    options: WireServerOptions = {},
  ) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    for (const b of engine.brokers()) {
      this.status.set(b.nodeId, b.status);
      this.connections.set(b.nodeId, new Set());
    }
    this.unsubscribe = engine.onEvent((e) => {
      if (e.type === 'broker-stopped') this.setStatus(e.broker, 'stopped');
      else if (e.type === 'broker-started' || e.type === 'broker-healed') this.setStatus(e.broker, 'running');
      else if (e.type === 'broker-isolated') this.setStatus(e.broker, 'isolated');
    });
  }

  /** The broker ids, in order. */
  brokerIds(): number[] {
    return [...this.status.keys()];
  }

  /** A broker's status as the network sees it; 'stopped' for every broker once the server is closed. */
  statusOf(broker: number): BrokerStatus {
    return this.closedAll ? 'stopped' : (this.status.get(broker) ?? 'stopped');
  }

  get closed(): boolean {
    return this.closedAll;
  }

  /** Calls `listener` for each connection the brokers close; returns a function that unsubscribes. */
  onWireEvent(listener: (event: WireEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal For transports: calls `listener` when a broker stops, starts, is isolated or healed. */
  onStatus(listener: (broker: number, status: BrokerStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Serves a new connection to `broker` on `socket`; the caller has checked the broker takes connections. */
  attach(broker: number, socket: WireSocket, transport: { readonly addressOf: AddressOf; readonly clientHost: string }): WireConnection {
    const set = this.connections.get(broker);
    if (set === undefined) throw new RangeError(`no broker ${broker}`);
    const context = { engine: this.engine, brokerId: broker, clientHost: transport.clientHost, addressOf: transport.addressOf };
    const connection = new WireConnection(socket, {
      context,
      maxFrameBytes: this.maxFrameBytes,
      isolated: () => this.statusOf(broker) === 'isolated',
      closed: (c, reason, detail) => {
        set.delete(c);
        if (reason === undefined || reason === 'broker-stopped' || reason === 'server-closed') return;
        const event: WireEvent = { type: 'connection-closed', broker, client: transport.clientHost, reason, detail };
        for (const l of this.listeners) l(event);
      },
    });
    set.add(connection);
    return connection;
  }

  /** Open connections to a broker. */
  connectionCount(broker: number): number {
    return this.connections.get(broker)?.size ?? 0;
  }

  /** Closes every connection and stops following the engine. */
  close(): void {
    if (this.closedAll) return;
    this.closedAll = true;
    this.unsubscribe();
    for (const set of this.connections.values()) for (const c of [...set]) c.close('server-closed', 'the cluster closed');
    for (const l of this.statusListeners) for (const id of this.status.keys()) l(id, 'stopped');
  }

  private setStatus(broker: number, status: BrokerStatus): void {
    this.status.set(broker, status);
    if (status === 'stopped') for (const c of [...this.connections.get(broker)!]) c.close('broker-stopped', `broker ${broker} stopped`);
    for (const l of this.statusListeners) l(broker, status);
  }
}
