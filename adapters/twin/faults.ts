/**
 * Injected faults (emulator/faults.ts) at the twin client's request boundary: each call that
 * stands for one Kafka request asks the engine's fault table with the request's API, the broker it
 * goes to and the partitions it names. `before` throws the kafkajs error the code maps to without
 * applying anything; `after` applies the request, then throws instead of answering (the write is
 * in the log, the client does not know); DISCONNECT throws kafkajs's connection error, as a
 * closed socket surfaces in kafkajs. The twin client's retries then react as kafkajs's do.
 * A broker's latency delays the answers of the calls that answer asynchronously (Produce,
 * JoinGroup, SyncGroup) on the cluster clock; the synchronous calls cannot wait.
 */
import type { Engine, FaultRequest, FiredFault } from '../../emulator/engine.js';
import { errorOf, KafkaJSConnectionError, KafkaJSError, type ErrorContext } from '../../protocol/errors.js';

const OFFSETS_TOPIC = '__consumer_offsets';

export class TwinFaults {
  constructor(private readonly engine: Engine) {}

  /** The leader of a partition (the broker a client sends its requests to); the controller when it has none. */
  leaderOf(topic: string, partition: number): number {
    if (!this.engine.hasTopic(topic)) return this.engine.controller();
    const leader = this.engine.describeTopic(topic).partitions.find((p) => p.partition === partition)?.leader ?? -1;
    return leader === -1 ? this.engine.controller() : leader;
  }

  /** The broker a request for no broker in particular goes to (kafkajs picks one; the twin, the controller). */
  anyBroker(): number {
    return this.engine.controller();
  }

  /** A group's coordinator, without creating `__consumer_offsets` as FindCoordinator would; the controller when unknown. */
  coordinatorOf(groupId: string): number {
    if (!this.engine.hasTopic(OFFSETS_TOPIC)) return this.engine.controller();
    const partition = this.engine.groupCoordinator.partitionFor(groupId);
    return 'partition' in partition && partition.errorCode === 0 ? this.leaderOf(OFFSETS_TOPIC, partition.partition) : this.engine.controller();
  }

  /** A synchronous request: `before` throws here, `after` throws once `apply` has run. */
  sync<T>(request: FaultRequest, apply: () => T, where?: ErrorContext): T {
    const fired = this.engine.noFaults ? undefined : this.engine.takeFault(request);
    if (fired === undefined) return apply();
    if (fired.fault.when === 'before') throw this.errorFor(fired, request, where);
    try {
      apply();
    } catch (e) {
      // The request's own answer is lost with the rest of it; a programming error is not an answer.
      if (!(e instanceof KafkaJSError)) throw e;
    }
    throw this.errorFor(fired, request, where);
  }

  /** An asynchronous request: as {@link sync}, and answered after the broker's latency. */
  async<T>(request: FaultRequest, apply: () => Promise<T>, where?: ErrorContext, options: { silent?: boolean } = {}): Promise<T> {
    // No fault and no latency: the engine's own promise, so a run without faults keeps its timing.
    return this.engine.noFaults ? apply() : this.faulty(request, apply, where, options.silent ?? false);
  }

  private async faulty<T>(request: FaultRequest, apply: () => Promise<T>, where: ErrorContext | undefined, silent: boolean): Promise<T> {
    const fired = this.engine.takeFault(request);
    try {
      if (fired === undefined) return await apply();
      // Produce with acks=0 gets no answer at all: a refusal or a lost answer is not seen.
      if (fired.fault.when === 'before') {
        if (silent) return undefined as T;
        throw this.errorFor(fired, request, where);
      }
      let value: T | undefined;
      try {
        value = await apply();
      } catch (e) {
        if (!(e instanceof KafkaJSError)) throw e;
      }
      if (silent) return value as T;
      throw this.errorFor(fired, request, where);
    } finally {
      const ms = this.engine.latencyOf(brokerOf(request));
      if (ms > 0) await new Promise<void>((resolve) => this.engine.clock.schedule(ms, resolve));
    }
  }

  private errorFor(fired: FiredFault, request: FaultRequest, where: ErrorContext = {}): Error {
    const broker = brokerOf(request);
    if (fired.disconnect) {
      return new KafkaJSConnectionError(`Connection error: broker ${broker} closed the connection (injected fault)`, { broker: `broker-${broker}` });
    }
    const hit = request.partitions?.find((p) => fired.covers(p.topic, p.partition));
    return errorOf({ errorCode: fired.fault.errorCode, errorMessage: null }, hit === undefined ? where : { ...where, topic: hit.topic, partition: hit.partition });
  }
}

function brokerOf(request: FaultRequest): number {
  return typeof request.broker === 'number' ? request.broker : request.broker();
}
