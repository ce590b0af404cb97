/**
 * The public `Cluster`: the engine, plus the kafkajs-shaped client over it (`cluster.kafka()`)
 * and `cluster.idle()`. The engine itself lives in `emulator/` and knows nothing of clients.
 */
import { TwinCluster } from '../adapters/twin/cluster.js';
import { VirtualClock, settle } from '../emulator/clock.js';
import { TwinKafka, consumersOf, type TwinKafkaConfig } from '../adapters/twin/kafka.js';
import { TwinConsumer } from '../adapters/twin/consumer/index.js';
import type { Consumer } from '../client/interface.js';

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
   * Resolves once nothing is in flight: every running consumer made by `kafka()` has joined a
   * settled generation and processed everything below the high watermark of its assigned,
   * unpaused partitions. On the virtual clock, time jumps from one due timer to the next until
   * then (delayed joins, heartbeats, retries); on the real clock it polls. Rejects after `maxMs`.
   */
  async idle({ maxMs = 600_000 }: IdleOptions = {}): Promise<void> {
    const deadline = this.now() + maxMs;
    for (;;) {
      await settle();
      await settle();
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
