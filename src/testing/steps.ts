/**
 * Schedule steps: what a scenario does, one step after another, on the twin. Each step is a small
 * immutable object in fast-check's command shape: `check` (whether it applies to the run as it is,
 * or why it is skipped), `run` (what it does to the run) and `toString()`, which reads as a line of
 * a test report, so fast-check's counterexamples print as a numbered schedule.
 */
import fc from 'fast-check';
import { VirtualClock, settle } from '../../emulator/clock.js';
import type { InjectFaultOptions } from '../../emulator/faults.js';
import type { ScenarioRun } from './scenario-run.js';

/** A message the schedule produces to the input topic. */
export interface ScenarioMessage {
  /** Record key; null for an unkeyed record (spread by the partitioner). */
  readonly key: string | null;
  /** Record value. */
  readonly value: string;
  /** Record headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Create time in ms; absent to let the producer stamp it. */
  readonly timestamp?: number;
}

/** Formats a message as `key=value`, with headers and timestamp when present. */
export function formatMessage(m: ScenarioMessage): string {
  const headers = m.headers && Object.keys(m.headers).length > 0 ? ` {${Object.entries(m.headers).map(([k, v]) => `${k}:${v}`).join(',')}}` : '';
  const ts = m.timestamp !== undefined ? ` @${m.timestamp}` : '';
  return `${m.key ?? '(null)'}=${m.value}${headers}${ts}`;
}

const ORDINAL = (n: number): string => `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

abstract class BaseStep {
  abstract readonly type: string;
  /** Why the step does nothing in this run as it is (it is logged as skipped), or undefined when it applies. */
  check(_run: ScenarioRun): string | undefined {
    return undefined;
  }
  /** Plays the step on the run; `n` is its number in the schedule, for the trace. */
  abstract run(run: ScenarioRun, n: number): Promise<void>;
  abstract toString(): string;
  [fc.toStringMethod](): string {
    return this.toString();
  }
}

/** Produce messages (one `send`) to the input topic with acks=all. */
export class ProduceStep extends BaseStep {
  readonly type = 'produce' as const;
  constructor(readonly messages: readonly ScenarioMessage[]) {
    super();
  }
  async run(run: ScenarioRun, n: number): Promise<void> {
    try {
      await run.inputProducer.send({
        topic: run.topology.input.topic,
        acks: -1,
        messages: this.messages.map((m) => ({
          key: m.key,
          value: m.value,
          ...(m.headers ? { headers: { ...m.headers } } : {}),
          ...(m.timestamp !== undefined ? { timestamp: String(m.timestamp) } : {}),
        })),
      });
    } catch (e) {
      run.log('produce-failed', `step ${n}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  toString(): string {
    return `produce ${this.messages.map(formatMessage).join(', ')}`;
  }
}

/**
 * Move the virtual clock forward: heartbeats, session timeouts and retries fire in order. Between
 * two timers, a client call in progress (a handler's transaction, say, which takes several turns
 * of the event loop) finishes first, as it would take no time in a real process: while one is
 * driving the clock, time moves only as it needs.
 */
export class AdvanceStep extends BaseStep {
  readonly type = 'advance' as const;
  constructor(readonly ms: number) {
    super();
  }
  async run(run: ScenarioRun): Promise<void> {
    const { cluster } = run;
    const clock = cluster.engine.clock;
    const target = cluster.now() + this.ms;
    if (!(clock instanceof VirtualClock)) return void (await cluster.advance(this.ms));
    for (;;) {
      await settle();
      await settle();
      if (clock.driving && cluster.now() < target) continue;
      const next = clock.nextDueTime();
      if (next === undefined || next > target) break;
      await clock.advanceTo(next);
    }
    if (cluster.now() < target) await cluster.advance(target - cluster.now());
  }
  toString(): string {
    return `advance the clock ${this.ms} ms`;
  }
}

/** A new instance of the application starts and joins the group (ignored at the instance limit). */
export class JoinStep extends BaseStep {
  readonly type = 'join' as const;
  override check(run: ScenarioRun): string | undefined {
    return run.alive() >= run.topology.maxInstances ? 'at the instance limit' : undefined;
  }
  async run(run: ScenarioRun): Promise<void> {
    await run.start();
  }
  toString(): string {
    return 'a new instance joins';
  }
}

/** A running instance stops cleanly (commits, leaves the group). `pick` chooses among the running ones, modulo their number. */
export class LeaveStep extends BaseStep {
  readonly type = 'leave' as const;
  constructor(readonly pick: number) {
    super();
  }
  override check(run: ScenarioRun): string | undefined {
    return run.running().length === 0 ? 'no running instance' : undefined;
  }
  async run(run: ScenarioRun): Promise<void> {
    const live = run.running();
    const inst = live[this.pick % live.length]!;
    await run.stop(inst);
    run.log('left', `instance ${inst.index} left`, inst.index);
  }
  toString(): string {
    return `running instance #${this.pick} leaves cleanly`;
  }
}

/** A step that arms the chosen running instance to stop at its `atPoint`-th crash point from now (`type` says how). */
abstract class ArmStep extends BaseStep {
  abstract override readonly type: 'crash' | 'pause';
  constructor(
    readonly pick: number,
    readonly atPoint: number,
  ) {
    super();
  }
  override check(run: ScenarioRun): string | undefined {
    return run.running().length === 0 ? 'no running instance' : undefined;
  }
  async run(run: ScenarioRun): Promise<void> {
    const live = run.running();
    const inst = live[this.pick % live.length]!;
    inst.armed = this.atPoint;
    inst.armedFor = this.type;
    run.log('step', `instance ${inst.index} armed to ${this.type} at its ${this.atPoint}. crash point`, inst.index);
  }
}

/**
 * Arms a crash: the chosen running instance dies at its `atPoint`-th crash point from now. Crash
 * points are the start of each `eachMessage` call and each call it makes through its context
 * (`producer.send`/`sendBatch`, `consumer.commitOffsets`), just before the call takes effect. A
 * dead instance stops heartbeating; the group expires it after its session timeout and nothing it
 * processed but did not commit counts as committed.
 */
export class CrashStep extends ArmStep {
  readonly type = 'crash' as const;
  toString(): string {
    return `running instance #${this.pick} will crash at its ${ORDINAL(this.atPoint)} crash point`;
  }
}

/**
 * Arms a long pause (a stop-the-world GC, a VM migration): the chosen running instance stops dead
 * at its `atPoint`-th crash point, its consumer silent, so the group presumes it dead once its
 * session expires. Then a successor starts in its slot (see `ProcessorContext.slot`) and the paused
 * instance wakes up as a zombie: the call it stopped at goes ahead, and so does the rest of its
 * handler, with its old clients. Fencing (a successor's producer with the same `transactionalId`)
 * is what must make its late writes harmless.
 */
export class PauseStep extends ArmStep {
  readonly type = 'pause' as const;
  toString(): string {
    return `running instance #${this.pick} will pause at its ${ORDINAL(this.atPoint)} crash point, outlive its session and wake as a zombie`;
  }
}

/**
 * Lost acknowledgements: the next `count` Produce requests to the output topic are written, then
 * answered NOT_LEADER_OR_FOLLOWER as if the answer never came back. The producer retries what
 * is already in the log: an idempotent (or transactional) producer's retry is recognised as a
 * duplicate; a plain producer's is written twice.
 */
export class LostAckStep extends BaseStep {
  readonly type = 'lost-ack' as const;
  constructor(readonly count: number) {
    super();
  }
  async run(run: ScenarioRun): Promise<void> {
    run.cluster.injectFault({ api: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER', when: 'after', topic: run.topology.output.topic, count: this.count });
  }
  toString(): string {
    return `the next ${this.count === 1 ? 'Produce request' : `${this.count} Produce requests`} to the output topic ${this.count === 1 ? 'is' : 'are'} written but ${this.count === 1 ? 'its answer is' : 'their answers are'} lost (NOT_LEADER_OR_FOLLOWER)`;
  }
}

/** Broker faults: `stop`/`start` (clean shutdown and restart), `isolate`/`heal` (cut off from clients and replication). */
export class BrokerStep extends BaseStep {
  readonly type = 'broker' as const;
  constructor(
    readonly action: 'stop' | 'start' | 'isolate' | 'heal',
    readonly broker: number,
  ) {
    super();
  }
  override check(run: ScenarioRun): string | undefined {
    if (this.action === 'stop') {
      const up = run.cluster.brokers().filter((b) => b.status !== 'stopped');
      if (up.length <= 1 || !up.some((b) => b.nodeId === this.broker)) return `broker ${this.broker} is already stopped or the last one up`;
    } else if (this.action === 'isolate') {
      // The twin's consumers wait forever for an isolated group coordinator (it does not move), so it stays reachable.
      if (run.cluster.groups.findCoordinator(run.topology.groupId).nodeId === this.broker) return `broker ${this.broker} is the group coordinator`;
    }
    return undefined;
  }
  async run(run: ScenarioRun): Promise<void> {
    const { cluster } = run;
    ({ stop: () => cluster.stopBroker(this.broker), start: () => cluster.startBroker(this.broker), isolate: () => cluster.isolateBroker(this.broker), heal: () => cluster.healBroker(this.broker) })[
      this.action
    ]();
  }
  toString(): string {
    return `${this.action} broker ${this.broker}`;
  }
}

/**
 * A request fault (`cluster.injectFault`): the next `count` requests of one API fail with `error`,
 * refused (`before`) or applied with the answer lost (`after`: a lost Produce acknowledgement puts
 * the records in the input topic twice, as kafkajs's retry does against Kafka). The run's end
 * clears what is left.
 */
export class RequestFaultStep extends BaseStep {
  readonly type = 'request-fault' as const;
  constructor(readonly options: InjectFaultOptions) {
    super();
  }
  async run(run: ScenarioRun): Promise<void> {
    run.cluster.injectFault(this.options);
  }
  toString(): string {
    const { api, error, count = 1, when = 'before' } = this.options;
    return `the next ${count === 1 ? api : `${count} ${api} requests`} ${error === 'DISCONNECT' ? 'lose their connection' : `answer ${error}`} ${when === 'after' ? 'after being applied' : 'without being applied'}`;
  }
}

/** Adds partitions to the input topic. */
export class AddPartitionsStep extends BaseStep {
  readonly type = 'add-partitions' as const;
  constructor(readonly count: number) {
    super();
  }
  async run(run: ScenarioRun): Promise<void> {
    const topic = run.topology.input.topic;
    run.cluster.createPartitions(topic, run.cluster.describeTopic(topic).partitions.length + this.count);
    run.partitionsAdded = true;
  }
  toString(): string {
    return `add ${this.count} partition${this.count === 1 ? '' : 's'} to the input topic`;
  }
}

/** One step of a schedule. */
export type Step = ProduceStep | AdvanceStep | JoinStep | LeaveStep | CrashStep | PauseStep | BrokerStep | AddPartitionsStep | RequestFaultStep | LostAckStep;

/** A topic of a topology. */
export interface TopicLayout {
  /** Topic name. */
  readonly topic: string;
  /** Number of partitions. */
  readonly partitions: number;
  /** Replication factor (at most the number of brokers). */
  readonly replicationFactor: number;
}

/** Where a scenario runs: the cluster, the topics and the consumer group. */
export interface Topology {
  /** Brokers in the cluster. */
  readonly brokers: number;
  /** The brokers' ids, one per broker (the cluster's `brokerIds`); 1..brokers when absent. */
  readonly brokerIds?: readonly number[];
  /** The topic the processor consumes. */
  readonly input: TopicLayout;
  /** The topic the processor produces to. */
  readonly output: TopicLayout;
  /** The processor's consumer group. */
  readonly groupId: string;
  /** Instances started before the first step. */
  readonly instances: number;
  /** Most instances running at once (join steps beyond it are ignored). */
  readonly maxInstances: number;
}

/** Formats a topology on one line. */
export function formatTopology(t: Topology): string {
  const layout = (l: TopicLayout) => `${l.topic} (${l.partitions} partition${l.partitions === 1 ? '' : 's'}, RF ${l.replicationFactor})`;
  const ids = t.brokerIds === undefined ? '' : ` (ids ${t.brokerIds.join(', ')})`;
  return `${t.brokers} broker${t.brokers === 1 ? '' : 's'}${ids}, ${layout(t.input)} -> ${layout(t.output)}, group ${t.groupId} with ${t.instances} instance${t.instances === 1 ? '' : 's'} (at most ${t.maxInstances})`;
}

/** A whole scenario: where it runs, the cluster's seed and the schedule. Prints as a numbered schedule. */
export class Scenario {
  constructor(
    readonly topology: Topology,
    readonly clusterSeed: number,
    readonly steps: readonly Step[],
  ) {}
  toString(): string {
    const lines = this.steps.map((s, i) => `  ${String(i + 1).padStart(2)}. ${s.toString()}`);
    return [`Scenario: cluster seed ${this.clusterSeed}; ${formatTopology(this.topology)}; ${this.steps.length} step${this.steps.length === 1 ? '' : 's'}:`, ...lines].join('\n');
  }
  [fc.toStringMethod](): string {
    return `\n${this.toString()}\n`;
  }
}
