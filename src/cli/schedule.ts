/**
 * A timed run: the scenario's members, faults and producer starts become actions at given times,
 * and the virtual clock moves from one to the next in ticks, producers sending every tick and a
 * status block (leaders, ISR, lag, group states) as often as the scenario asks and at the end.
 */
import type { Cluster } from '../cluster.js';
import { VirtualClock } from '../../emulator/clock.js';
import { EngineProducer, type Members } from './clients.js';
import type { LogSizes } from './log-view.js';
import type { TimedScenario } from './scenario.js';
import type { Style } from './style.js';
import { formatDuration, lagLine, partitionTable, type Timeline } from './timeline.js';

/** Something that happens at a point of virtual time; at one time: faults, then leaves and crashes, then joins, then producer starts. */
interface Action {
  atMs: number;
  order: number;
  run: () => void;
  /** What the timeline says about it, if anything (faults speak through their events). */
  line?: string;
  style?: Style;
}

/** Every action of the scenario, in the order they happen. */
export function scheduleActions(scenario: TimedScenario, cluster: Cluster, members: Members, timeline: Timeline): Action[] {
  const actions: Action[] = [];
  for (const f of scenario.faults) {
    if (f.action === 'reassign') {
      // Its events tell the story; a refusal (cancelling none in progress) is worth a line too.
      const run = () => {
        try {
          cluster.reassignPartition(f.topic, f.partition, f.replicas);
        } catch (e) {
          timeline.write(`${timeline.stamp(cluster.now())} ${timeline.paint('fault', `reassignment of ${f.topic}-${f.partition} refused: ${e instanceof Error ? e.message : String(e)}`)}`);
        }
      };
      actions.push({ atMs: f.atMs, order: 0, run });
      continue;
    }
    const run =
      f.action === 'inject-fault'
        ? () => void cluster.injectFault(f.options)
        : f.action === 'set-latency'
          ? () => cluster.setLatency(f.broker, f.ms)
          : f.action === 'clear-faults'
            ? () => cluster.clearFaults()
            : () => void { stop: () => cluster.stopBroker(f.broker), start: () => cluster.startBroker(f.broker), isolate: () => cluster.isolateBroker(f.broker), heal: () => cluster.healBroker(f.broker) }[f.action]();
    actions.push({ atMs: f.atMs, order: 0, run });
  }
  for (const g of scenario.groups) {
    for (const m of g.members) {
      const start = () =>
        members.start(g, m.name).catch((e: unknown) => timeline.write(`${timeline.stamp(cluster.now())} ${timeline.paint('loss', `${m.name} failed: ${e instanceof Error ? e.message : String(e)}`)}`));
      actions.push({ atMs: m.joinMs, order: 2, run: () => void start(), line: `${m.name} starts and joins group ${g.id}`, style: 'action' });
      if (m.endMs === undefined || m.end === undefined) continue;
      const crash = m.end === 'crash';
      actions.push({
        atMs: m.endMs,
        order: 1,
        run: () => members.end(g.id, m.name, crash ? 'crash' : 'leave'),
        line: crash
          ? `${m.name} crashes: no LeaveGroup, so group ${g.id} waits for its session timeout (${formatDuration(g.sessionTimeoutMs)})`
          : `${m.name} stops and leaves group ${g.id}`,
        style: crash ? 'fault' : 'action',
      });
    }
  }
  for (const p of scenario.producers) {
    const keys = p.keys > 0 ? `${p.keys} key(s)` : 'no keys';
    actions.push({ atMs: p.fromMs, order: 3, run: () => undefined, line: `producer ${p.name} starts: ${p.rate} record(s)/s to ${p.topic}, ${keys}, acks=${p.acks === -1 ? 'all' : p.acks}`, style: 'action' });
  }
  return actions.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
}

/** The heading of a timed run: its name and seed, what it teaches, its size and pace. */
export function printHeading(scenario: TimedScenario, seed: number, timeline: Timeline): void {
  const { paint } = timeline;
  timeline.write(paint('heading', `kafka-twin simulate: ${scenario.name || '(unnamed scenario)'} (seed ${seed})`));
  if (scenario.description) timeline.write(scenario.description);
  const numbered = scenario.brokerIds.some((id, i) => id !== i + 1) ? ` (ids ${[...scenario.brokerIds].sort((x, y) => x - y).join(', ')})` : '';
  timeline.write(paint('dim', `${scenario.brokers} broker(s)${numbered}; ${formatDuration(scenario.durationMs)} of virtual time, producers send every ${formatDuration(scenario.tickMs)}`));
  timeline.write('');
}

/** A status block: every partition's leader, ISR, log start and high watermark, and each group's state and lag. */
export function printStatus(scenario: TimedScenario, cluster: Cluster, timeline: Timeline, title: string): void {
  timeline.write(`${timeline.stamp(cluster.now())} ${timeline.paint('heading', `== ${title}`)}`);
  for (const line of partitionTable(cluster, scenario.topics.map((t) => t.name), 'status')) timeline.write(line);
  for (const g of scenario.groups) {
    let state: string;
    try {
      const d = cluster.groups.describeGroup(g.id);
      state = `${d.state}, ${d.members.length} member(s)`;
    } catch {
      state = 'not created yet';
    }
    timeline.write(`    group ${g.id} (${state}): ${lagLine(cluster, g.id)}`);
  }
}

/**
 * Plays a timed scenario to its end: each tick the producers send what their rate owes, the
 * actions due run (their lines first), and a status block is printed when one is due.
 */
export async function playSchedule(
  scenario: TimedScenario,
  cluster: Cluster,
  timeline: Timeline,
  members: Members,
  progress: ((fraction: number) => void) | undefined,
  logSizes: LogSizes,
): Promise<EngineProducer[]> {
  const clock = cluster.clock;
  if (!(clock instanceof VirtualClock)) throw new Error('simulate needs the virtual clock');
  for (const t of scenario.topics) cluster.createTopic({ topic: t.name, numPartitions: t.partitions, replicationFactor: t.replicationFactor, config: t.config });
  const producers = scenario.producers.map((p) => new EngineProducer(p));
  const actions = scheduleActions(scenario, cluster, members, timeline);
  const end = scenario.durationMs;
  let next = 0;
  let nextStatus = scenario.statusEveryMs ?? Number.POSITIVE_INFINITY;
  let last = 0;
  for (;;) {
    const now = cluster.now();
    logSizes.sample();
    for (const p of producers) p.produce(cluster, now, now - last);
    last = now;
    for (; next < actions.length && actions[next]!.atMs <= now; next++) {
      const a = actions[next]!;
      if (a.line !== undefined) timeline.write(`${timeline.stamp(now)} ${timeline.paint(a.style ?? 'action', a.line)}`);
      a.run();
    }
    if (now >= nextStatus && now < end) {
      printStatus(scenario, cluster, timeline, 'status');
      while (nextStatus <= now) nextStatus += scenario.statusEveryMs!;
    }
    progress?.(Math.min(1, now / end));
    if (now >= end) break;
    await clock.advanceTo(Math.min(end, now - (now % scenario.tickMs) + scenario.tickMs, actions[next]?.atMs ?? end, nextStatus));
  }
  await clock.advance(0);
  logSizes.sample();
  printStatus(scenario, cluster, timeline, 'end of run');
  return producers;
}
