/**
 * `kafka-twin simulate`: runs a validated scenario (see scenario.ts) on a virtual-clock cluster
 * and prints a timeline read from the cluster's event log: each generation's ownership with idle
 * members, leaders and ISR, and lag; broker faults and elections; retention; and a summary that
 * checks every acknowledged record against the final logs.
 */
import { Cluster } from '../cluster.js';
import { VirtualClock } from '../../emulator/clock.js';
import type { ClusterEvent } from '../../emulator/events.js';
import { partitionForKey } from '../../client/partitioners.js';
import { DeletionFolder, clockTime, describeEvent, generationLines } from './demo.js';
import type { ResolvedScenario } from './scenario.js';
import { painter, type Style } from './style.js';

export type { Style } from './style.js';

/** Options for {@link simulate}. */
export interface SimulateOptions {
  scenario: ResolvedScenario;
  /** Overrides the scenario's seed. */
  seed?: number;
  /** Where timeline lines go. */
  write: (line: string) => void;
  /** ANSI colours in the timeline. @defaultValue false */
  color?: boolean;
  /** Called as virtual time passes with the fraction done, 0..1. */
  progress?: (fraction: number) => void;
}

/** What a run leaves behind besides the printed timeline. */
export interface SimulationResult {
  /** The cluster's whole event log. */
  events: readonly ClusterEvent[];
  /** Cluster time at the end of the run. */
  endMs: number;
  /** Per producer: what it sent and what became of it. */
  producers: { name: string; sent: number; acknowledged: number; failed: number; lost: number; deletedByRetention: number }[];
  /** Per group: what its members processed. */
  groups: { id: string; delivered: number; duplicates: number; neverDelivered: number; lag: number }[];
}

type Consumer = ReturnType<ReturnType<Cluster['kafka']>['consumer']>;

/** Formats a span of ms compactly: 1h, 5m, 7m58s, 30s, 250ms. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  // 7m58s reads better than 478s; round spans keep their short form above.
  if (ms % 1000 === 0) return ms > 60_000 ? `${Math.floor(ms / 60_000)}m${(ms % 60_000) / 1000}s` : `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Short name of a member: its client id (member ids are `clientId-uuid`). */
export function memberName(memberId: string): string {
  return memberId.replace(/-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, '');
}

/** Runs a scenario; resolves when the run (and its summary) is printed. */
export async function simulate({ scenario, seed = scenario.seed, write, color = false, progress }: SimulateOptions): Promise<SimulationResult> {
  const paint = painter(color);
  const stamp = (ms: number) => paint('time', `[${clockTime(ms)}]`);
  const userTopic = (t: string) => !t.startsWith('__');

  const cluster = new Cluster({ brokers: scenario.brokers, clock: 'virtual', seed, config: scenario.config });
  const clock = cluster.clock;
  if (!(clock instanceof VirtualClock)) throw new Error('simulate needs the virtual clock');

  write(paint('heading', `kafka-twin simulate: ${scenario.name || '(unnamed scenario)'} (seed ${seed})`));
  if (scenario.description) write(scenario.description);
  write(
    paint(
      'dim',
      `${scenario.brokers} broker(s); ${formatDuration(scenario.durationMs)} of virtual time, producers send every ${formatDuration(scenario.tickMs)}`,
    ),
  );
  write('');

  const leadersLine = (topics: readonly string[]) =>
    topics
      .flatMap((t) =>
        cluster.describeTopic(t).partitions.map((p) => `${t}-${p.partition} ${p.leader === -1 ? 'offline' : `leader ${p.leader}`} isr [${p.isr.join(',')}]`),
      )
      .join(', ');
  const lagOf = (groupId: string) => {
    try {
      return cluster.groups.lag(groupId);
    } catch {
      return [];
    }
  };
  const lagLine = (groupId: string) => {
    const rows = lagOf(groupId).filter((r) => userTopic(r.topic));
    const total = rows.reduce((n, r) => n + (r.lag ?? 0), 0);
    return `lag ${total}${rows.length === 0 ? '' : ` (${rows.map((r) => `${r.topic}-${r.partition} ${r.lag ?? '-'}`).join(', ')})`}`;
  };

  const deletions = new DeletionFolder(write, stamp);
  const groupTopics = new Map(scenario.groups.map((g) => [g.id, g.topics]));
  cluster.onEvent((e) => {
    deletions.before(e);
    if ('topic' in e && !userTopic(e.topic)) return;
    if (e.type === 'segment-deleted') {
      deletions.hold(e);
      return;
    }
    if (e.type === 'group-assignment') {
      for (const line of generationLines(e, stamp, paint)) write(line);
      const topics = groupTopics.get(e.groupId) ?? [];
      if (topics.length > 0) write(paint('dim', `    partitions: ${leadersLine(topics)}`));
      write(paint('dim', `    ${lagLine(e.groupId)}`));
      return;
    }
    const line = describeEvent(e);
    if (line === undefined) return;
    const style: Style | undefined =
      e.type === 'high-watermark-decreased' || e.type === 'log-truncated' || (e.type === 'leader-changed' && (e.election === 'unclean' || e.leader === -1))
        ? 'loss'
        : e.type.startsWith('broker-')
          ? 'fault'
          : e.type === 'leader-changed' || e.type === 'isr-shrunk'
            ? 'election'
            : undefined;
    write(`${stamp(e.time)} ${style === undefined ? line : paint(style, line)}`);
  });

  const nameWidth = Math.max(11, ...scenario.topics.map((t) => `${t.name}-${t.partitions - 1}`.length));
  const status = (title: string) => {
    deletions.flush();
    write(`${stamp(cluster.now())} ${paint('heading', `== ${title}`)}`);
    write(`    ${'partition'.padEnd(nameWidth)}  leader  replicas  isr       log start  high watermark`);
    for (const t of scenario.topics) {
      for (const p of cluster.describeTopic(t.name).partitions) {
        const d = cluster.describePartition(t.name, p.partition);
        const cells = [
          `${t.name}-${p.partition}`.padEnd(nameWidth),
          (p.leader === -1 ? 'none' : String(p.leader)).padEnd(6),
          `[${p.replicas.join(',')}]`.padEnd(8),
          `[${p.isr.join(',')}]`.padEnd(8),
          String(d.logStartOffset).padEnd(9),
          String(d.highWatermark),
        ];
        write(`    ${cells.join('  ')}`);
      }
    }
    for (const g of scenario.groups) {
      let state = 'unknown';
      try {
        const d = cluster.groups.describeGroup(g.id);
        state = `${d.state}, ${d.members.length} member(s)`;
      } catch {
        state = 'not created yet';
      }
      write(`    group ${g.id} (${state}): ${lagLine(g.id)}`);
    }
  };

  for (const t of scenario.topics)
    cluster.createTopic({ topic: t.name, numPartitions: t.partitions, replicationFactor: t.replicationFactor, config: t.config });

  // Producers: each keeps its own record of what was acknowledged, to check against the logs at the end.
  const producers = scenario.producers.map((p) => ({
    spec: p,
    seq: 0,
    owed: 0,
    sent: 0,
    failed: 0,
    errors: new Map<string, number>(),
    acked: [] as { partition: number; offset: number; value: string }[],
    pending: 0,
  }));
  const produce = (now: number, elapsed: number) => {
    for (const p of producers) {
      const { spec } = p;
      const from = Math.max(now - elapsed, spec.fromMs);
      const to = Math.min(now, spec.untilMs);
      if (to <= from) continue;
      p.owed += ((to - from) * spec.rate) / 1000;
      const count = Math.floor(p.owed + 1e-9);
      if (count === 0) continue;
      p.owed -= count;
      const partitions = cluster.describeTopic(spec.topic).partitions.length;
      const byPartition = new Map<number, { key: string | null; value: string }[]>();
      for (let i = 0; i < count; i++) {
        const seq = p.seq++;
        const key = spec.keys > 0 ? `key-${seq % spec.keys}` : null;
        const partition = key === null ? seq % partitions : partitionForKey(key, partitions);
        const list = byPartition.get(partition) ?? [];
        list.push({ key, value: `${spec.name}#${seq}` });
        byPartition.set(partition, list);
      }
      for (const [partition, records] of [...byPartition].sort((a, b) => a[0] - b[0])) {
        p.sent += records.length;
        p.pending += records.length;
        const fail = (e: unknown) => {
          p.pending -= records.length;
          p.failed += records.length;
          const type = e instanceof Error && 'type' in e ? String((e as { type: unknown }).type) : e instanceof Error ? e.message : String(e);
          p.errors.set(type, (p.errors.get(type) ?? 0) + records.length);
        };
        try {
          cluster
            .produce({
              topic: spec.topic,
              partition,
              acks: spec.acks,
              records: records.map((r) => ({ key: r.key === null ? null : Buffer.from(r.key), value: Buffer.from(r.value) })),
            })
            .then((result) => {
              p.pending -= records.length;
              if (spec.acks === 0) return;
              records.forEach((r, i) => p.acked.push({ partition, offset: result.baseOffset + i, value: r.value }));
            }, fail);
        } catch (e) {
          fail(e);
        }
      }
    }
  };

  // Consumer groups.
  const delivered = new Map<string, Map<string, number>>();
  const running = new Map<string, Consumer>();
  const startMember = (group: ResolvedScenario['groups'][number], name: string) => {
    const seen = delivered.get(group.id) ?? new Map<string, number>();
    delivered.set(group.id, seen);
    const consumer = cluster.kafka({ clientId: name }).consumer({ groupId: group.id, sessionTimeout: group.sessionTimeoutMs });
    running.set(`${group.id}\u0000${name}`, consumer);
    void (async () => {
      await consumer.connect();
      await consumer.subscribe({ topics: group.topics, fromBeginning: group.fromBeginning });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const v = message.value?.toString() ?? '';
          seen.set(v, (seen.get(v) ?? 0) + 1);
        },
      });
    })().catch((e: unknown) => write(`${stamp(cluster.now())} ${paint('loss', `${name} failed: ${e instanceof Error ? e.message : String(e)}`)}`));
  };
  const stopMember = (groupId: string, name: string, crash: boolean) => {
    const k = `${groupId}\u0000${name}`;
    const consumer = running.get(k);
    if (consumer === undefined) return;
    running.delete(k);
    // A crash: no LeaveGroup and no final commit; the group waits for the session timeout.
    if (crash) cluster.crashConsumer(consumer);
    else consumer.stop().catch(() => undefined);
  };

  // Scheduled actions, in time order; at one time: faults, then leaves/crashes, then joins.
  type Action = { atMs: number; order: number; run: () => void; line?: string; style?: Style };
  const actions: Action[] = [];
  for (const f of scenario.faults) {
    actions.push({
      atMs: f.atMs,
      order: 0,
      run: () =>
        void {
          stop: () => cluster.stopBroker(f.broker),
          start: () => cluster.startBroker(f.broker),
          isolate: () => cluster.isolateBroker(f.broker),
          heal: () => cluster.healBroker(f.broker),
        }[f.action](),
    });
  }
  for (const g of scenario.groups) {
    for (const m of g.members) {
      actions.push({ atMs: m.joinMs, order: 2, run: () => startMember(g, m.name), line: `${m.name} starts and joins group ${g.id}`, style: 'action' });
      if (m.endMs !== undefined && m.end !== undefined) {
        const crash = m.end === 'crash';
        actions.push({
          atMs: m.endMs,
          order: 1,
          run: () => stopMember(g.id, m.name, crash),
          line: crash
            ? `${m.name} crashes: no LeaveGroup, so group ${g.id} waits for its session timeout (${formatDuration(g.sessionTimeoutMs)})`
            : `${m.name} stops and leaves group ${g.id}`,
          style: crash ? 'fault' : 'action',
        });
      }
    }
  }
  for (const p of scenario.producers) {
    actions.push({
      atMs: p.fromMs,
      order: 3,
      run: () => undefined,
      line: `producer ${p.name} starts: ${p.rate} record(s)/s to ${p.topic}, ${p.keys > 0 ? `${p.keys} key(s)` : 'no keys'}, acks=${p.acks === -1 ? 'all' : p.acks}`,
      style: 'action',
    });
  }
  actions.sort((a, b) => a.atMs - b.atMs || a.order - b.order);

  let next = 0;
  let nextStatus = scenario.statusEveryMs ?? Number.POSITIVE_INFINITY;
  let last = 0;
  const end = scenario.durationMs;
  for (;;) {
    const now = cluster.now();
    produce(now, now - last);
    last = now;
    while (next < actions.length && actions[next]!.atMs <= now) {
      const a = actions[next++]!;
      deletions.flush();
      if (a.line !== undefined) write(`${stamp(now)} ${paint(a.style ?? 'action', a.line)}`);
      a.run();
    }
    if (now >= nextStatus && now < end) {
      status('status');
      while (nextStatus <= now) nextStatus += scenario.statusEveryMs!;
    }
    progress?.(Math.min(1, now / end));
    if (now >= end) break;
    const target = Math.min(end, now - (now % scenario.tickMs) + scenario.tickMs, actions[next]?.atMs ?? end, nextStatus);
    await clock.advanceTo(target);
  }
  await clock.advance(0);
  status('end of run');

  // Summary: every acknowledged record checked against the final logs.
  const logs = new Map<string, { start: number; values: Map<number, string> } | undefined>();
  const logOf = (topic: string, partition: number) => {
    const k = `${topic}-${partition}`;
    if (!logs.has(k)) {
      try {
        const values = new Map<number, string>();
        const start = cluster.describePartition(topic, partition).logStartOffset;
        let offset = start;
        for (;;) {
          const r = cluster.fetch({ topic, partition, offset, maxBytes: 64 * 1024 * 1024 });
          if (r.records.length === 0) break;
          for (const rec of r.records) values.set(Number(rec.offset), rec.value?.toString() ?? '');
          offset = Number(r.records[r.records.length - 1]!.offset) + 1;
        }
        logs.set(k, { start, values });
      } catch {
        logs.set(k, undefined);
      }
    }
    return logs.get(k);
  };
  write('');
  write(paint('heading', '== summary'));
  const result: SimulationResult = { events: [], endMs: cluster.now(), producers: [], groups: [] };
  for (const p of producers) {
    let lost = 0;
    let deletedByRetention = 0;
    let unavailable = 0;
    for (const a of p.acked) {
      const log = logOf(p.spec.topic, a.partition);
      if (log === undefined) unavailable++;
      else if (a.offset < log.start) deletedByRetention++;
      else if (log.values.get(a.offset) !== a.value) lost++;
    }
    const errors = [...p.errors].map(([t, n]) => `${t} ${n}`).join(', ');
    write(
      `    producer ${p.spec.name} (acks=${p.spec.acks === -1 ? 'all' : p.spec.acks}): ${p.sent} sent, ${p.spec.acks === 0 ? 'no acknowledgements (acks=0)' : `${p.acked.length} acknowledged`}, ${p.failed} failed${errors ? ` (${errors})` : ''}${p.pending > 0 ? `, ${p.pending} still waiting` : ''}`,
    );
    if (p.spec.acks !== 0) {
      const verdict = `      acknowledged and later lost: ${lost}${deletedByRetention > 0 ? `; deleted by retention: ${deletedByRetention}` : ''}${unavailable > 0 ? `; on offline partitions: ${unavailable}` : ''}`;
      write(lost > 0 ? paint('loss', verdict) : paint('ok', verdict));
    }
    result.producers.push({ name: p.spec.name, sent: p.sent, acknowledged: p.acked.length, failed: p.failed, lost, deletedByRetention });
  }
  for (const g of scenario.groups) {
    const seen = delivered.get(g.id) ?? new Map<string, number>();
    let duplicates = 0;
    for (const n of seen.values()) duplicates += n - 1;
    const written = producers.filter((p) => g.topics.includes(p.spec.topic)).flatMap((p) => p.acked.map((a) => a.value));
    const neverDelivered = written.filter((v) => !seen.has(v)).length;
    const lag = lagOf(g.id)
      .filter((r) => userTopic(r.topic))
      .reduce((n, r) => n + (r.lag ?? 0), 0);
    write(
      `    group ${g.id}: ${seen.size} distinct record(s) processed, ${duplicates} processed again after a rebalance or crash; ${neverDelivered} acknowledged record(s) never processed; lag ${lag}`,
    );
    result.groups.push({ id: g.id, delivered: seen.size, duplicates, neverDelivered, lag });
  }
  write(paint('dim', `    ${cluster.events().length} events recorded; every line above came from cluster.events() and the final logs.`));
  result.events = cluster.events();
  cluster.close();
  return result;
}
