/**
 * kafkajs's instrumentation events (`producer.on(...)`, `consumer.on(...)`), stamped with the
 * cluster clock so they are deterministic on the virtual clock.
 */
import { EventEmitter } from 'eventemitter3';
import { KafkaJSNonRetriableError } from '../../protocol/errors.js';

/** An instrumentation event as kafkajs delivers it. */
export interface InstrumentationEvent<T> {
  readonly id: number;
  readonly type: string;
  readonly timestamp: number;
  readonly payload: T;
}

let nextId = 0;

/** Emits kafkajs-shaped instrumentation events for one client. */
export class Instrumentation {
  private readonly emitter = new EventEmitter();

  /** `failed` hears of a listener's failure (kafkajs logs it); the client goes on either way. */
  constructor(
    private readonly names: Readonly<Record<string, string>>,
    private readonly now: () => number,
    private readonly failed: (eventName: string, error: unknown) => void = () => undefined,
  ) {}

  /** Registers a listener; rejects names the client does not emit, as kafkajs does. */
  on(eventName: string, listener: (event: InstrumentationEvent<unknown>) => void): () => void {
    const known = Object.values(this.names);
    if (!known.includes(eventName)) throw new KafkaJSNonRetriableError(`Event name should be one of ${Object.keys(this.names).join(', ')}`);
    // Called synchronously inside emit, as kafkajs does: a listener that acts on an event (say,
    // commits on GROUP_JOIN) runs before the client moves on. A listener's failure, thrown or
    // as a rejected promise, must not break the client, as in kafkajs.
    const wrapped = (event: InstrumentationEvent<unknown>) => {
      try {
        const result: unknown = listener(event);
        if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') Promise.resolve(result).catch((e: unknown) => this.failed(eventName, e));
      } catch (e) {
        this.failed(eventName, e);
      }
    };
    this.emitter.on(eventName, wrapped);
    return () => void this.emitter.off(eventName, wrapped);
  }

  emit(eventName: string, payload: unknown): void {
    if (this.emitter.listenerCount(eventName) === 0) return;
    this.emitter.emit(eventName, { id: nextId++, type: eventName, timestamp: this.now(), payload });
  }
}
