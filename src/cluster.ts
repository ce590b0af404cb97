/**
 * The public `Cluster`: the engine, plus the kafkajs-shaped client over it (`cluster.kafka()`)
 * and `cluster.idle()`. The engine itself lives in `emulator/` and knows nothing of clients.
 */
import { TwinCluster } from '../adapters/twin/cluster.js';
import { VirtualClock, settle } from '../emulator/clock.js';
import { TwinKafka, consumersOf, type TwinKafkaConfig } from '../adapters/twin/kafka.js';
import { TwinConsumer } from '../adapters/twin/consumer/index.js';
import type { ISocketFactory } from 'kafkajs';
import type { Consumer } from '../client/interface.js';
import type { Fault, InjectFaultOptions } from '../emulator/engine.js';
import { WireServer, type WireEvent } from '../adapters/wire/server.js';
import { memoryAddressOf, memorySocketFactory, TcpListeners, type ListenOptions } from '../adapters/wire/sockets.js';

export type { ListenOptions } from '../adapters/wire/sockets.js';
export type { WireEvent } from '../adapters/wire/server.js';
export type { Fault, InjectFaultOptions } from '../emulator/engine.js';

/** What `cluster.wire()` returns: spread it into kafkajs's `new Kafka({ clientId, ...cluster.wire() })`. */
export interface WireConfig {
  /** The brokers' in-memory addresses, `broker-<id>:9092` in id order (what Metadata advertises on these connections). */
  readonly brokers: string[];
  /** kafkajs's `socketFactory`: connects to the twin's brokers in memory. */
  readonly socketFactory: ISocketFactory;
}

/** Options for {@link Cluster.idle}. */
export interface IdleOptions {
  /**
   * How much cluster time may pass before giving up with an error naming what is still busy.
   * @defaultValue 600000
   */
  maxMs?: number;
}

/** An in-memory Apache Kafka cluster with a kafkajs-shaped client. */
export class Cluster extends TwinCluster {
  private wireServer: WireServer | undefined;
  private wireConfig: WireConfig | undefined;
  private tcp: TcpListeners | undefined;

  /**
   * Kafka's binary protocol in memory, for unchanged kafkajs: `new Kafka({ clientId, ...cluster.wire() })`.
   * No port is opened. Needs the real clock.
   * @throws Error on a virtual-clock cluster.
   */
  wire(): WireConfig {
    const server = this.wireServerFor('wire()');
    this.wireConfig ??= {
      brokers: server.brokerIds().map((id) => `${memoryAddressOf(id).host}:${memoryAddressOf(id).port}`),
      // kafkajs types its factory as returning a net.Socket; it uses only the part the in-memory socket has.
      socketFactory: memorySocketFactory(server) as unknown as ISocketFactory,
    };
    return this.wireConfig;
  }

  /**
   * Kafka's binary protocol over TCP: one listener per broker on `host` (127.0.0.1 by default), on
   * ephemeral ports unless `port` (the first broker's; the next ones follow) or `ports` (one per
   * broker) say otherwise. Resolves with the brokers' `host:port` addresses. Needs the real clock.
   * @throws Error on a virtual-clock cluster, or when already listening.
   */
  async listen(options: ListenOptions = {}): Promise<{ brokers: string[] }> {
    const server = this.wireServerFor('listen()');
    if (this.tcp !== undefined) throw new Error('cluster.listen(): already listening; close() the cluster first');
    this.tcp = await TcpListeners.open(server, options);
    return { brokers: this.tcp.brokers() };
  }

  /** Calls `listener` each time a broker closes a wire connection over what the client sent; returns a function that unsubscribes. */
  onWireEvent(listener: (event: WireEvent) => void): () => void {
    return this.wireServerFor('onWireEvent()').onWireEvent(listener);
  }

  /**
   * Makes the next `count` requests of one Kafka API fail, on the twin client (`kafka()`) and on
   * the wire front end (`wire()`, `listen()`) alike, optionally only those sent to `broker` or
   * naming `topic` (and `partition`). `when: 'before'` refuses the request with `error` and changes
   * nothing; `when: 'after'` applies it, then answers `error` instead: a lost acknowledgement,
   * whose retry writes the records again. `error: 'DISCONNECT'` closes the connection instead of
   * answering (the twin client sees kafkajs's KafkaJSConnectionError). Each fault is recorded in
   * the event log when injected (`fault-injected`) and each time it fires (`fault-fired`).
   *
   * Unless given, `count` is 1 and `when` is `'before'` (see {@link InjectFaultOptions}).
   * @example cluster.injectFault({ api: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER', topic: 'rides', when: 'after' })
   * @throws RangeError for an unknown API or error name, a count that is not a positive integer, an
   *   unknown broker, or a partition without a topic.
   */
  override injectFault(options: InjectFaultOptions): Fault {
    return super.injectFault(options);
  }

  /**
   * Delays every answer of broker `brokerId` by `ms` (0: none again), recorded as a `latency-set`
   * event. The wire front end keeps each connection's answers in order; the twin client waits on
   * the cluster clock (so on the virtual clock too) in its asynchronous calls: Produce, JoinGroup,
   * SyncGroup.
   * @throws RangeError for an unknown broker or a delay that is not a non-negative integer.
   */
  override setLatency(brokerId: number, ms: number): void {
    super.setLatency(brokerId, ms);
  }

  /** Removes every injected fault and latency (a `faults-cleared` event). */
  override clearFaults(): void {
    super.clearFaults();
  }

  /** Closes every wire listener and connection, then the cluster. */
  override close(): void {
    this.tcp?.close();
    this.wireServer?.close();
    super.close();
  }

  private wireServerFor(what: string): WireServer {
    if (this.clock instanceof VirtualClock) {
      throw new Error(
        `cluster.${what} needs the real clock: a network client waits in wall time, while a virtual clock moves only through advance() and drive(). Create the cluster with new Cluster({ clock: 'real' }).`,
      );
    }
    this.wireServer ??= new WireServer(this.engine);
    return this.wireServer;
  }

  /** A kafkajs `Kafka` over this cluster: `producer()`, `consumer()`, `admin()`. */
  kafka(config: TwinKafkaConfig = {}): TwinKafka {
    return new TwinKafka(this, config);
  }

  /**
   * Kills a consumer made by this cluster's `kafka()` as if its process died: no more fetches or
   * heartbeats, no LeaveGroup, no final commit; the coordinator expires the member once its
   * session times out and moves its partitions. The same as `consumer.crash()` on a
   * {@link TwinConsumer}, for code that holds it as kafkajs's `Consumer` interface.
   * @throws TypeError when `consumer` is not a consumer of this cluster's `kafka()`.
   */
  crashConsumer(consumer: Consumer): void {
    if (!(consumer instanceof TwinConsumer) || !consumersOf(this).has(consumer)) {
      throw new TypeError("crashConsumer(consumer) needs a consumer made by this cluster's kafka()");
    }
    consumer.crash();
  }

  /**
   * Resolves once nothing is in flight: every timer due now has fired (a committed transaction's
   * markers, say) and every running consumer made by `kafka()` has joined a settled generation and
   * processed everything it can read of its assigned, unpaused partitions (below the high
   * watermark, or the last stable offset when it reads committed). On the virtual clock, time jumps from one due timer to the next until
   * then (delayed joins, heartbeats, retries); on the real clock it polls. Rejects after `maxMs`.
   */
  async idle({ maxMs = 600_000 }: IdleOptions = {}): Promise<void> {
    const deadline = this.now() + maxMs;
    for (;;) {
      await settle();
      await settle();
      // Work already due (a committed transaction's markers, written on a 0 ms timer) is done
      // before the consumers are judged: it takes no cluster time.
      if (this.clock instanceof VirtualClock && !this.clock.driving) {
        const due = this.clock.nextDueTime();
        if (due !== undefined && due <= this.now()) {
          await this.clock.advanceTo(this.now());
          continue;
        }
      }
      const busy = [...consumersOf(this)].filter((c) => !c.isIdle());
      if (busy.length === 0) return;
      // A handler between two client calls needs a few turns of the event loop, not time: jumping to the next
      // timer then (often a session timeout) would expire a member that is working. An awaited client call
      // moves time itself when it waits for a timer, so only a consumer waiting on nothing but the clock
      // (a long poll, a backoff, a delayed join) lets idle() move it.
      if (this.clock instanceof VirtualClock && this.clock.driving && this.now() <= deadline) continue;
      const next = this.clock instanceof VirtualClock ? this.clock.nextDueTime() : this.now() + 5;
      if (next === undefined || next > deadline) {
        throw new Error(`cluster not idle after ${maxMs} ms: ${busy.map((c) => c.describeBusy()).join('; ')}`);
      }
      if (this.clock instanceof VirtualClock) await this.clock.advanceTo(next);
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
