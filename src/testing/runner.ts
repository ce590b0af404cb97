/**
 * The scenario runner: plays a schedule against a processor on a fresh twin with the virtual
 * clock and returns a trace of what was produced, delivered, processed, committed and assigned.
 * Four named phases: begin (topics, instances), play the steps, settle (heal, restart, drain),
 * and read the trace out.
 */
import { readLog, readTopic } from './output-log.js';
import { ScenarioRun } from './scenario-run.js';
import type { Scenario, Step } from './steps.js';
import type { Processor, Trace } from './trace.js';

/** Options of {@link runScenario}. */
export interface RunScenarioOptions {
  /** The application under test. */
  processor: Processor;
  /** What to run. */
  scenario: Scenario;
  /**
   * Broker settings (Kafka's names).
   * @defaultValue `{}`
   */
  brokerConfig?: Record<string, string | number | boolean>;
  /**
   * Most cluster time the final settling may take, in ms.
   * @defaultValue 600000
   */
  settleMs?: number;
}

/** Runs one scenario on a fresh twin (virtual clock, the scenario's cluster seed) and returns its trace. */
export async function runScenario(options: RunScenarioOptions): Promise<Trace> {
  const { processor, scenario, brokerConfig = {}, settleMs = 600_000 } = options;
  const run = new ScenarioRun(scenario.topology, processor, scenario.clusterSeed, brokerConfig);
  try {
    await run.begin();
    await playSteps(run, scenario.steps);
    await settle(run, settleMs);
    return await readTrace(run, scenario);
  } finally {
    run.close();
  }
}

/** Plays each step in order (or logs why it is skipped), reaping crashed instances whose session expired after each. */
async function playSteps(run: ScenarioRun, steps: readonly Step[]): Promise<void> {
  run.observeCommitted(0);
  for (const [i, step] of steps.entries()) {
    await playStep(run, step, i + 1);
    await run.reapExpired(false);
    run.observeCommitted(i + 1);
  }
}

async function playStep(run: ScenarioRun, step: Step, n: number): Promise<void> {
  run.log('step', `${n}. ${step.toString()}`);
  const skipped = step.check(run);
  if (skipped !== undefined) return void run.log('skipped', `step ${n}: ${skipped}`);
  await step.run(run, n);
}

/** The end: faults healed, crashed instances expired, at least one instance running, everything consumed. */
async function settle(run: ScenarioRun, settleMs: number): Promise<void> {
  const { cluster } = run;
  const sessionTimeout = run.consumerConfig.sessionTimeout;
  for (const inst of run.instances) inst.armed = undefined;
  for (const b of cluster.brokers()) {
    cluster.healBroker(b.nodeId);
    cluster.startBroker(b.nodeId);
  }
  if (cluster.faults().length > 0) cluster.clearFaults();
  if (run.instances.some((i) => i.status === 'frozen' || i.status === 'paused')) await cluster.advance(sessionTimeout + 1);
  await run.reapExpired(true);
  if (run.running().length === 0) {
    run.log('final', 'no instance left: one restarts from the committed offsets');
    await run.start();
  } else if (run.partitionsAdded) {
    // The twin's consumers do not refresh metadata, so a rebalance must pick up added partitions: restart one instance.
    const inst = run.running()[0]!;
    await run.stop(inst);
    run.log('final', `instance ${inst.index} restarts to pick up added partitions`, inst.index);
    await run.start();
  }
  // A member that died without leaving (a crash, or a leave the coordinator lost in a failover) is only expired after
  // its session timeout, and cluster.idle() does not wait for that: let two session timeouts pass, settling after each.
  for (let round = 0; round < 2; round++) {
    await cluster.idle({ maxMs: settleMs });
    await cluster.advance(sessionTimeout + 1);
  }
  await cluster.idle({ maxMs: settleMs });
  await settleZombiesAndTransactions(run, settleMs);
  // Instances may have died while settling (a consumer that gave up on an error): as a supervisor would, start one
  // more while none runs, a few times at most.
  for (let restarts = 0; restarts < 3 && run.running().length === 0; restarts++) {
    run.log('final', 'no instance left while settling: one restarts from the committed offsets');
    await run.start();
    await cluster.idle({ maxMs: settleMs });
    await cluster.advance(sessionTimeout + 1);
    await cluster.idle({ maxMs: settleMs });
    await settleZombiesAndTransactions(run, settleMs);
  }
  run.log('final', 'settled');
}

const OPEN_TRANSACTION_STATES = ['Ongoing', 'PrepareCommit', 'PrepareAbort'];

/**
 * Zombies finish what they were doing, and no transaction stays open: one its producer abandoned
 * (a crashed or fenced instance's) is aborted by the coordinator once it times out, which takes
 * the clock past the transaction timeout and the coordinator's next abort check.
 */
async function settleZombiesAndTransactions(run: ScenarioRun, settleMs: number): Promise<void> {
  const { cluster } = run;
  const deadline = cluster.now() + settleMs;
  for (;;) {
    const zombies = run.zombieWork();
    const open = cluster.engine.listTransactions({ stateFilters: OPEN_TRANSACTION_STATES }).transactionStates;
    if ((zombies.length === 0 && open.length === 0) || cluster.now() >= deadline) break;
    await cluster.advance(zombies.length > 0 ? 1000 : 10_000);
    await cluster.idle({ maxMs: settleMs });
  }
  if (run.zombieWork().length > 0) run.log('final', `a zombie's handler still runs after ${settleMs} ms`);
  const open = cluster.engine.listTransactions({ stateFilters: OPEN_TRANSACTION_STATES }).transactionStates;
  if (open.length > 0) run.log('final', `transactions still open after ${settleMs} ms: ${open.map((t) => `${t.transactionalId} (${t.transactionState})`).join(', ')}`);
}

/** Reads the topics and the committed offsets, stops what still runs, and names each member's instance in the trace. */
async function readTrace(run: ScenarioRun, scenario: Scenario): Promise<Trace> {
  const t = scenario.topology;
  const engine = run.cluster.engine;
  const inputs = readTopic(engine, t.input.topic);
  const outputs = readTopic(engine, t.output.topic);
  const committedOutputs = readTopic(engine, t.output.topic, 'read_committed');
  const outputLog = readLog(engine, t.output.topic, run.cluster.events());
  run.observeCommitted(scenario.steps.length + 1);
  const fetched = run.cluster.groups.offsetFetch({ groupId: t.groupId, topics: [{ topic: t.input.topic }] });
  const finalCommitted = new Map<number, number>();
  for (const p of fetched[0]?.partitions ?? []) if (Number(p.offset) >= 0) finalCommitted.set(p.partition, Number(p.offset));
  for (const inst of run.running()) await run.stop(inst);
  await run.inputProducer.disconnect();
  const instanceOf = (memberId: string) => run.memberInstance.get(memberId);
  const generations = run.generations.map((g) => ({ ...g, assignments: g.assignments.map((a) => ({ ...a, instance: instanceOf(a.memberId) })) }));
  const commits = run.commits.map((c) => ({ ...c, instance: instanceOf(c.memberId) }));
  return { scenario, inputs, outputs, committedOutputs, outputLog, committedViews: run.committedViews, deliveries: run.deliveries, commits, generations, lifecycle: run.lifecycle, finalCommitted, events: run.cluster.events() };
}
