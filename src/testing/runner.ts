/**
 * The scenario runner: plays a schedule against a processor on a fresh twin with the virtual
 * clock and returns a trace of what was produced, delivered, processed, committed and assigned.
 * Four named phases: begin (topics, instances), play the steps, settle (heal, restart, drain),
 * and read the trace out.
 */
import { ScenarioRun } from './scenario-run.js';
import type { Scenario, Step } from './steps.js';
import type { Processor, Trace, TraceRecord } from './trace.js';

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
  for (const [i, step] of steps.entries()) {
    await playStep(run, step, i + 1);
    await run.reapExpired(false);
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
  if (run.instances.some((i) => i.status === 'frozen')) await cluster.advance(sessionTimeout + 1);
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
  run.log('final', 'settled');
}

/** Every record of a topic, partition by partition. */
function readTopic(run: ScenarioRun, topic: string): TraceRecord[] {
  const out: TraceRecord[] = [];
  for (const { partition } of run.cluster.describeTopic(topic).partitions) {
    let offset = 0;
    for (;;) {
      const r = run.cluster.fetch({ topic, partition, offset });
      for (const rec of r.records) {
        out.push({
          topic,
          partition,
          offset: rec.offset,
          key: rec.key?.toString() ?? null,
          value: rec.value?.toString() ?? null,
          headers: Object.fromEntries(rec.headers.map((h) => [h.key, h.value?.toString() ?? ''])),
          timestamp: rec.timestamp,
        });
      }
      if (r.records.length === 0 || r.records[r.records.length - 1]!.offset + 1 >= r.highWatermark) break;
      offset = r.records[r.records.length - 1]!.offset + 1;
    }
  }
  return out;
}

/** Reads the topics and the committed offsets, stops what still runs, and names each member's instance in the trace. */
async function readTrace(run: ScenarioRun, scenario: Scenario): Promise<Trace> {
  const t = scenario.topology;
  const inputs = readTopic(run, t.input.topic);
  const outputs = readTopic(run, t.output.topic);
  const fetched = run.cluster.groups.offsetFetch({ groupId: t.groupId, topics: [{ topic: t.input.topic }] });
  const finalCommitted = new Map<number, number>();
  for (const p of fetched[0]?.partitions ?? []) if (Number(p.offset) >= 0) finalCommitted.set(p.partition, Number(p.offset));
  for (const inst of run.running()) await run.stop(inst);
  await run.inputProducer.disconnect();
  const instanceOf = (memberId: string) => run.memberInstance.get(memberId);
  const generations = run.generations.map((g) => ({ ...g, assignments: g.assignments.map((a) => ({ ...a, instance: instanceOf(a.memberId) })) }));
  const commits = run.commits.map((c) => ({ ...c, instance: instanceOf(c.memberId) }));
  return { scenario, inputs, outputs, deliveries: run.deliveries, commits, generations, lifecycle: run.lifecycle, finalCommitted, events: run.cluster.events() };
}
