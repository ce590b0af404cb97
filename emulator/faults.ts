/**
 * Request-level fault injection: a table of faults, each refusing (`before`) or losing the answer
 * of (`after`) the next `count` requests of one Kafka API, optionally only those sent to one
 * broker or touching one topic or partition, plus a latency per broker. The table is data in the
 * engine's state; the front ends (the twin client, the wire server) ask it at their request
 * boundary, since only they know what a request is. Kafka itself has no such table: franz-go's
 * kfake (ControlKey) and librdkafka's mock cluster (rd_kafka_mock_push_request_errors) do, and
 * neither can apply a request and then lose its answer, which `after` does.
 *
 * Every fault is recorded in the event log when injected and each time it fires, so a run's
 * timeline says which answer was forged.
 */
import { kafkaError } from '../protocol/errors.js';
import { API_SCHEMAS } from '../protocol/wire/messages/index.js';
import type { EventLog } from './events.js';

/** The error that closes the connection instead of answering. */
export const DISCONNECT = 'DISCONNECT';

/** What to inject; see `Cluster.injectFault`. */
export interface InjectFaultOptions {
  /** A Kafka API name as Kafka spells it: `'Produce'`, `'Fetch'`, `'JoinGroup'`, ... */
  readonly api: string;
  /** A Kafka error name (`'NOT_LEADER_OR_FOLLOWER'`, or kafkajs's name for it), or `'DISCONNECT'`. */
  readonly error: string;
  /**
   * How many matching requests the fault affects.
   * @defaultValue 1
   */
  readonly count?: number;
  /** Only requests sent to this broker. */
  readonly broker?: number;
  /** Only requests naming this topic. */
  readonly topic?: string;
  /** Only requests naming this partition of `topic`. */
  readonly partition?: number;
  /**
   * `'before'`: the request is refused with the error and changes nothing; `'after'`: it is
   * applied, then answered with the error instead (a lost acknowledgement).
   * @defaultValue 'before'
   */
  readonly when?: 'before' | 'after';
}

/** One fault in the table. */
export interface Fault {
  readonly id: number;
  readonly api: string;
  /** Kafka's name for the error (NOT_LEADER_OR_FOLLOWER, not kafkajs's NOT_LEADER_FOR_PARTITION), or DISCONNECT. */
  readonly error: string;
  /** Kafka's code; -1 stands for DISCONNECT's absent answer and is never sent. */
  readonly errorCode: number;
  readonly when: 'before' | 'after';
  readonly broker: number | null;
  readonly topic: string | null;
  readonly partition: number | null;
  remaining: number;
}

/** A request as the fault table sees it: its API, the broker it was sent to, and what it names. */
export interface FaultRequest {
  readonly api: string;
  /** The broker it was sent to; a function when finding it costs something (asked only when a fault could fire). */
  readonly broker: number | (() => number);
  /** Topics named without partitions (Metadata, CreateTopics). */
  readonly topics?: readonly string[];
  /** Partitions named. */
  readonly partitions?: readonly { readonly topic: string; readonly partition: number }[];
}

/** A fault that fired on a request: what the front end must do with its answer. */
export interface FiredFault {
  readonly fault: Fault;
  /** Whether the front end must close the connection rather than answer. */
  readonly disconnect: boolean;
  /** True when the partition (or, with `partition` undefined, the topic) is one the fault covers. */
  covers(topic: string | undefined, partition?: number): boolean;
}

const API_NAMES: readonly string[] = API_SCHEMAS.map((a) => a.name);

/** The faults and latencies of one cluster, and their events. */
export class FaultTable {
  private readonly faults: Fault[] = [];
  private readonly latency = new Map<number, number>();
  private nextId = 1;

  constructor(
    private readonly log: EventLog,
    private readonly brokerExists: (id: number) => boolean,
  ) {}

  /** Adds a fault. @throws RangeError naming the bad option. */
  inject(options: InjectFaultOptions): Fault {
    const parsed = parseFault(options, this.brokerExists);
    const fault: Fault = { id: this.nextId++, ...parsed };
    this.faults.push(fault);
    const { api, error, when, remaining: count, broker, topic, partition } = fault;
    this.log.record({ type: 'fault-injected', fault: fault.id, api, error, when, count, broker, topic, partition });
    return { ...fault };
  }

  /** Sets the delay of every answer of `broker` (0: none). @throws RangeError for an unknown broker or a bad delay. */
  setLatency(broker: number, ms: number): void {
    if (!Number.isInteger(broker) || !this.brokerExists(broker)) throw new RangeError(`setLatency: no broker ${String(broker)} in this cluster`);
    if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`setLatency: ms must be a non-negative integer, got ${String(ms)}`);
    if (ms === 0) this.latency.delete(broker);
    else this.latency.set(broker, ms);
    this.log.record({ type: 'latency-set', broker, ms });
  }

  /** The delay of every answer of `broker`, in ms. */
  latencyOf(broker: number): number {
    return this.latency.get(broker) ?? 0;
  }

  /** Removes every fault and latency. */
  clear(): void {
    const faults = this.faults.length;
    const brokers = [...this.latency.keys()].sort((a, b) => a - b);
    this.faults.length = 0;
    this.latency.clear();
    this.log.record({ type: 'faults-cleared', faults, latencies: brokers });
  }

  /** The faults still to fire, oldest first. */
  pending(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** True when no fault is waiting and no broker is slowed (the front ends skip describing requests then). */
  get empty(): boolean {
    return this.faults.length === 0 && this.latency.size === 0;
  }

  /**
   * The oldest fault matching `request`, counted down and recorded as fired; undefined when none
   * matches. A fault scoped to a topic matches a request naming that topic (or a partition of
   * it); scoped to a partition, one naming that partition.
   */
  take(request: FaultRequest): FiredFault | undefined {
    if (this.faults.length === 0) return undefined;
    if (!this.faults.some((f) => f.api === request.api)) return undefined;
    let broker: number | undefined;
    const brokerOf = () => (broker ??= typeof request.broker === 'number' ? request.broker : request.broker());
    const i = this.faults.findIndex((f) => matches(f, request, brokerOf));
    if (i === -1) return undefined;
    const fault = this.faults[i]!;
    fault.remaining--;
    if (fault.remaining === 0) this.faults.splice(i, 1);
    const hit = request.partitions?.find((p) => covers(fault, p.topic, p.partition)) ?? (request.topics?.includes(fault.topic ?? '') ? { topic: fault.topic!, partition: null } : undefined);
    this.log.record({
      type: 'fault-fired',
      fault: fault.id,
      api: fault.api,
      error: fault.error,
      when: fault.when,
      broker: brokerOf(),
      topic: fault.topic === null ? null : (hit?.topic ?? null),
      partition: fault.topic === null ? null : (hit?.partition ?? null),
      remaining: fault.remaining,
    });
    const snapshot = { ...fault };
    return { fault: snapshot, disconnect: fault.error === DISCONNECT, covers: (topic, partition) => covers(snapshot, topic, partition) };
  }
}

/**
 * Checks a fault's options (the API and error names, the count, the broker, the scope) and
 * resolves the error to Kafka's name and code. @throws RangeError (TypeError for no object) naming the problem.
 */
export function parseFault(options: InjectFaultOptions, brokerExists: (id: number) => boolean): Omit<Fault, 'id'> {
  const o = options as Partial<InjectFaultOptions> | null;
  if (o === null || typeof o !== 'object') throw new TypeError('injectFault needs an options object: { api, error, ... }');
  const known = ['api', 'error', 'count', 'broker', 'topic', 'partition', 'when'];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new RangeError(`injectFault: unknown option '${k}' (expected ${known.join(', ')})`);
  const { api, error, count = 1, broker, topic, partition, when = 'before' } = o;
  if (typeof api !== 'string' || !API_NAMES.includes(api)) {
    throw new RangeError(`injectFault: unknown api ${JSON.stringify(api)}; expected one of ${[...API_NAMES].sort().join(', ')}`);
  }
  let name: string = DISCONNECT;
  let errorCode = -1;
  if (error !== DISCONNECT) {
    let row;
    try {
      row = typeof error === 'string' ? kafkaError(error) : undefined;
    } catch {
      row = undefined;
    }
    if (row === undefined || row.code === 0) {
      throw new RangeError(`injectFault: unknown error ${JSON.stringify(error)}; expected a Kafka error name such as NOT_LEADER_OR_FOLLOWER, or 'DISCONNECT'`);
    }
    name = row.kafkaName ?? row.type;
    errorCode = row.code;
  }
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`injectFault: count must be a positive integer, got ${String(count)}`);
  if (when !== 'before' && when !== 'after') throw new RangeError(`injectFault: when must be 'before' or 'after', got ${JSON.stringify(when)}`);
  if (broker !== undefined && (!Number.isInteger(broker) || !brokerExists(broker))) {
    throw new RangeError(`injectFault: no broker ${String(broker)} in this cluster`);
  }
  if (topic !== undefined && (typeof topic !== 'string' || topic === '')) throw new RangeError(`injectFault: topic must be a non-empty string, got ${JSON.stringify(topic)}`);
  if (partition !== undefined) {
    if (topic === undefined) throw new RangeError('injectFault: partition needs a topic');
    if (!Number.isInteger(partition) || partition < 0) throw new RangeError(`injectFault: partition must be an integer from 0, got ${String(partition)}`);
  }
  return { api, error: name, errorCode, when, broker: broker ?? null, topic: topic ?? null, partition: partition ?? null, remaining: count };
}

function covers(f: Fault, topic: string | undefined, partition?: number): boolean {
  if (f.topic === null) return true;
  if (topic !== f.topic) return false;
  return f.partition === null || partition === undefined || partition === f.partition;
}

function matches(f: Fault, r: FaultRequest, brokerOf: () => number): boolean {
  if (f.api !== r.api) return false;
  if (f.broker !== null && f.broker !== brokerOf()) return false;
  if (f.topic === null) return true;
  if (r.partitions?.some((p) => p.topic === f.topic && (f.partition === null || p.partition === f.partition))) return true;
  return f.partition === null && (r.topics?.includes(f.topic) ?? false);
}
