/**
 * `kafka-twin simulate` (and `demo`, which simulates the built-in scenario): runs a validated
 * scenario (see scenario.ts) on a virtual-clock cluster and prints a timeline read from the
 * cluster's event log. A timed run (schedule.ts) ends with a status block and a summary that
 * checks every acknowledged record against the final logs; a script (script.ts) says what it prints.
 */
import { Cluster } from '../cluster.js';
import type { ClusterEvent } from '../../emulator/events.js';
import { ClientProducer, Members } from './clients.js';
import type { ResolvedScenario, ScriptedScenario } from './scenario.js';
import { playSchedule, printHeading } from './schedule.js';
import { LogSizes, type LogSizeSeries } from './log-view.js';
import { Create, type Counters, type ScriptRun } from './script.js';
import { summarize, type GroupOutcome, type ProducerOutcome } from './summary.js';
import { Timeline } from './timeline.js';

/** Options for {@link simulate}. */
export interface SimulateOptions {
  scenario: ResolvedScenario;
  /** Overrides the scenario's seed. */
  seed?: number;
  /** Where timeline lines go. */
  write: (line: string) => void;
  /** ANSI colours in the timeline. @defaultValue false */
  color?: boolean;
  /** Called as virtual time passes with the fraction done, 0..1 (timed runs; a script's length is not known ahead). */
  progress?: (fraction: number) => void;
}

/** What a run leaves behind besides the printed timeline. */
export interface SimulationResult {
  /** The cluster's whole event log. */
  events: readonly ClusterEvent[];
  /** Cluster time at the end of the run. */
  endMs: number;
  /** Per producer of a timed run: what it sent and what became of it (none for a script). */
  producers: ProducerOutcome[];
  /** Per group of a timed run: what its members processed (none for a script). */
  groups: GroupOutcome[];
  /** Each partition's log size (the leader's records and bytes) over the run. */
  logSizes: LogSizeSeries[];
}

/** Runs a scenario; resolves when the run (and, for a timed run, its summary) is printed. */
export async function simulate({ scenario, seed = scenario.seed, write, color = false, progress }: SimulateOptions): Promise<SimulationResult> {
  const cluster = new Cluster({ brokerIds: scenario.brokerIds, clock: 'virtual', seed, config: scenario.config, startTime: 0 });
  try {
    const timeline = new Timeline(write, { color, narrated: scenario.script !== undefined, groupTopics: new Map(scenario.groups.map((g) => [g.id, g.topics])) });
    const members = new Members(cluster);
    const logSizes = new LogSizes(cluster, scenario.topics.map((t) => t.name));
    logSizes.follow();
    if (scenario.script !== undefined) {
      timeline.follow(cluster);
      await runScript(scenario, cluster, timeline, members, logSizes);
      return { events: cluster.events(), endMs: cluster.now(), producers: [], groups: [], logSizes: logSizes.all() };
    }
    printHeading(scenario, seed, timeline);
    timeline.follow(cluster);
    const producers = await playSchedule(scenario, cluster, timeline, members, progress, logSizes);
    const endMs = cluster.now();
    const outcome = summarize(scenario, cluster, timeline, producers, members);
    return { events: cluster.events(), endMs, ...outcome, logSizes: logSizes.all() };
  } finally {
    cluster.close();
  }
}

/** Runs a script's steps in order, each finished before the next; topics no step creates exist first. */
async function runScript(scenario: ScriptedScenario, cluster: Cluster, timeline: Timeline, members: Members, logSizes: LogSizes): Promise<void> {
  const createdByStep = new Set(scenario.script.filter((s) => s instanceof Create).map((s) => s.topic.name));
  for (const t of scenario.topics)
    if (!createdByStep.has(t.name)) cluster.createTopic({ topic: t.name, numPartitions: t.partitions, replicationFactor: t.replicationFactor, config: t.config });
  const producers = new Map(scenario.producers.map((p) => [p.name, new ClientProducer(p)]));
  const counters = (): Counters => ({ sent: [...producers.values()].reduce((n, p) => n + p.sent, 0), delivered: members.deliveredTotal() });
  const run: ScriptRun = { cluster, timeline, tickMs: scenario.tickMs, producers, members, picked: new Map(), marks: new Map(), logSizes, counters };
  logSizes.sample();
  for (const [i, step] of scenario.script.entries()) {
    try {
      await step.run(run);
      logSizes.sample();
    } catch (e) {
      throw new Error(`script[${i}] (${String(step)}) failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
}
