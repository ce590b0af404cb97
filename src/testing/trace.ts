/**
 * The shapes of a run: what the toolkit is given (a {@link Processor}, the application under
 * test, and the context each of its instances gets) and what a run leaves behind (a {@link Trace}
 * of what was produced, delivered, processed, committed and assigned).
 */
import type { ClusterEvent } from '../../emulator/events.js';
import type { Consumer, ConsumerConfig, ConsumerRunConfig, EachMessagePayload, Producer } from '../../client/interface.js';
import type { Scenario, Topology } from './steps.js';

/** What a processor instance gets: its clients (every call a crash point) and an external store. */
export interface ProcessorContext {
  /** Which instance this is (0, 1, ... in order of start; a restarted instance gets a new number). */
  readonly instance: number;
  /** The instance's producer; `send` and `sendBatch` are crash points. */
  readonly producer: Pick<Producer, 'send' | 'sendBatch'>;
  /** The instance's consumer; `commitOffsets` is a crash point. */
  readonly consumer: Pick<Consumer, 'commitOffsets'>;
  /** The scenario's topology (topic names, group id). */
  readonly topology: Topology;
  /**
   * An external store (a database) shared by every instance of the run; it survives crashes.
   * Writes to it are not crash points: they happen at once.
   */
  readonly store: Map<string, unknown>;
}

/** An `eachMessage` handler, as given to kafkajs's `consumer.run`. */
export type MessageHandler = (payload: EachMessagePayload) => Promise<void>;

/** The application under test: how to start one instance of it. */
export interface Processor {
  /** A name for reports. */
  readonly name?: string;
  /**
   * Options of `consumer.run` besides the handler.
   * @defaultValue kafkajs's: auto-commit after each batch
   */
  readonly runConfig?: Pick<ConsumerRunConfig, 'autoCommit' | 'autoCommitInterval' | 'autoCommitThreshold'>;
  /**
   * Consumer settings besides the group id.
   * @defaultValue `{ sessionTimeout: 10000, heartbeatInterval: 1000, rebalanceTimeout: 10000 }`
   */
  readonly consumerConfig?: Omit<ConsumerConfig, 'groupId'>;
  /** Starts an instance: called once per instance with its context; returns its handler. */
  create(context: ProcessorContext): MessageHandler;
}

/** A record as read from a topic. */
export interface TraceRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: number;
}

/** One `eachMessage` call. `seq` orders every trace entry of a run. */
export interface Delivery {
  readonly seq: number;
  /** Cluster time in ms. */
  readonly time: number;
  readonly instance: number;
  readonly memberId: string;
  /** The generation the instance joined last (from `group-assignment` events). */
  readonly generationId: number;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  /** Set when the handler returned: the message was processed. */
  readonly completedSeq?: number;
  /** Set when the handler threw (not a crash). */
  readonly error?: string;
  /** Set when the instance crashed during this call. */
  readonly crashed?: boolean;
}

/** Offsets committed for the group (from `group-offsets-committed` events), input topic only. */
export interface CommitEntry {
  readonly seq: number;
  readonly time: number;
  readonly memberId: string;
  readonly instance: number | undefined;
  readonly generationId: number;
  readonly offsets: readonly { readonly partition: number; readonly offset: number }[];
}

/** A generation's assignment (from `group-assignment` events), input topic only. */
export interface GenerationEntry {
  readonly seq: number;
  readonly time: number;
  readonly generationId: number;
  readonly assignments: readonly { readonly memberId: string; readonly instance: number | undefined; readonly partitions: readonly number[] }[];
}

/** Something that happened to an instance or to the run. */
export interface LifecycleEntry {
  readonly seq: number;
  readonly time: number;
  readonly kind: 'started' | 'left' | 'crashed' | 'expired-and-reaped' | 'step' | 'skipped' | 'produce-failed' | 'final';
  readonly instance?: number;
  readonly detail: string;
}

/** What a run did. */
export interface Trace {
  readonly scenario: Scenario;
  /** Every record of the input topic at the end of the run (what must be processed). */
  readonly inputs: readonly TraceRecord[];
  /** Every record of the output topic at the end of the run. */
  readonly outputs: readonly TraceRecord[];
  readonly deliveries: readonly Delivery[];
  readonly commits: readonly CommitEntry[];
  readonly generations: readonly GenerationEntry[];
  readonly lifecycle: readonly LifecycleEntry[];
  /** Committed offsets of the input topic at the end, by partition. */
  readonly finalCommitted: ReadonlyMap<number, number>;
  /** The cluster's event log. */
  readonly events: readonly ClusterEvent[];
}
