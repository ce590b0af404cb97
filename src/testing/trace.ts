/**
 * The shapes of a run: what the toolkit is given (a {@link Processor}, the application under
 * test, and the context each of its instances gets) and what a run leaves behind (a {@link Trace}
 * of what was produced, delivered, processed, committed and assigned).
 */
import type { ClusterEvent } from '../../emulator/events.js';
import type { ProducerConfig, Transaction } from 'kafkajs';
import type { Admin, Consumer, ConsumerConfig, ConsumerRunConfig, EachMessagePayload, Producer } from '../../client/interface.js';
import type { Scenario, Topology } from './steps.js';

/** What a processor instance gets: its clients (every call a crash point) and an external store. */
export interface ProcessorContext {
  /** Which instance this is (0, 1, ... in order of start; a restarted instance gets a new number). */
  readonly instance: number;
  /**
   * The instance's slot: the lowest not held by a running instance when it started. A restart (a
   * join after a crash, the successor of an instance presumed dead) takes the slot of the one it
   * replaces, so a `transactionalId` derived from the slot fences the predecessor's producer, as a
   * restarted process with the same configuration does.
   */
  readonly slot: number;
  /**
   * Makes another producer of this instance with kafkajs's producer settings, most usefully a
   * transactional one (`{ transactionalId, maxInFlightRequests: 1, idempotent: true }`). Its
   * `connect`, `send`, `sendBatch` and `transaction`, and its transactions' `send`, `sendBatch`,
   * `sendOffsets`, `commit` and `abort` are crash points; the run disconnects it when the instance
   * stops or dies.
   */
  createProducer(config?: ProducerConfig): TransactionalProducer;
  /**
   * The instance's admin client (made and connected on first use): `fetchOffsets` reads the
   * group's committed offsets, as a transactional processor does after fencing to skip what a
   * predecessor committed meanwhile. A crash point.
   */
  readonly admin: Pick<Admin, 'fetchOffsets'>;
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

/** What {@link ProcessorContext.createProducer} gives: kafkajs's producer calls an application makes, transactions included. */
export type TransactionalProducer = Pick<Producer, 'connect' | 'disconnect' | 'send' | 'sendBatch'> & {
  /** kafkajs's `producer.transaction()`: the first one initializes the transactional id (fencing older producers with it). */
  transaction(): Promise<Transaction>;
};

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
  /**
   * Starts an instance: called once per instance with its context; returns its handler, or a
   * promise of it when the instance prepares first (a transactional processor opening and
   * aborting an empty transaction fences its slot's previous producer before its consumer joins).
   */
  create(context: ProcessorContext): MessageHandler | Promise<MessageHandler>;
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

/** A record of the output topic as its log holds it: with the producer that wrote it and what became of its transaction. */
export interface OutputLogRecord extends TraceRecord {
  /** The writer's producer id (-1 for a plain producer). */
  readonly producerId: number;
  /** Whether it was written in a transaction. */
  readonly transactional: boolean;
  /**
   * What the transaction markers written to its partition (the `txn-marker-written` events) say of
   * it: `committed`, `aborted`, `open` (no marker yet) or `none` (not transactional).
   */
  readonly fate: 'committed' | 'aborted' | 'open' | 'none';
}

/** What a read_committed consumer of the output topic saw at one moment of the run (after a step, and at the end). */
export interface CommittedView {
  /** The step after which it was read (0: before the first step; `steps + 1`: the end). */
  readonly afterStep: number;
  readonly time: number;
  /** `partition:offset` of every record visible. */
  readonly visible: readonly string[];
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
  /** Set when the call ended after the group had presumed its instance dead (it paused, and woke as a zombie). */
  readonly zombie?: boolean;
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
  readonly kind: 'started' | 'left' | 'crashed' | 'paused' | 'woke' | 'expired-and-reaped' | 'step' | 'skipped' | 'produce-failed' | 'final';
  readonly instance?: number;
  readonly detail: string;
}

/** What a run did. */
export interface Trace {
  readonly scenario: Scenario;
  /** Every record of the input topic at the end of the run (what must be processed). */
  readonly inputs: readonly TraceRecord[];
  /**
   * Every record of the output topic at the end of the run, as a read_uncommitted consumer sees it
   * (transaction markers left out; records of aborted transactions included).
   */
  readonly outputs: readonly TraceRecord[];
  /** What a read_committed consumer of the output topic sees at the end of the run: no aborted or open transaction's records. */
  readonly committedOutputs: readonly TraceRecord[];
  /** The output topic's log at the end, each record with its producer and its transaction's fate. */
  readonly outputLog: readonly OutputLogRecord[];
  /** What a read_committed consumer of the output topic saw after each step and at the end. */
  readonly committedViews: readonly CommittedView[];
  readonly deliveries: readonly Delivery[];
  readonly commits: readonly CommitEntry[];
  readonly generations: readonly GenerationEntry[];
  readonly lifecycle: readonly LifecycleEntry[];
  /** Committed offsets of the input topic at the end, by partition. */
  readonly finalCommitted: ReadonlyMap<number, number>;
  /** The cluster's event log. */
  readonly events: readonly ClusterEvent[];
}
