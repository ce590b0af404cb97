/**
 * The end of a timed run: every acknowledged record checked against the final logs (kept, lost,
 * deleted by retention, or compacted away), and per group what its members processed, twice, or never.
 */
import type { Cluster } from '../cluster.js';
import type { EngineProducer, Members } from './clients.js';
import type { TimedScenario } from './scenario.js';
import { lagRows, type Timeline } from './timeline.js';

/** What became of one producer's records. */
export interface ProducerOutcome {
  name: string;
  sent: number;
  acknowledged: number;
  failed: number;
  lost: number;
  deletedByRetention: number;
  /** Removed by the log cleaner of a compacted topic: the log holds a later record of its key. */
  compactedAway: number;
}

/** What one group's members processed. */
export interface GroupOutcome {
  id: string;
  delivered: number;
  duplicates: number;
  neverDelivered: number;
  lag: number;
}

/** A partition's final log: its start, the value at each offset, and each key's last offset. */
type FinalLog = { start: number; values: Map<number, string>; lastOfKey: Map<string, number> } | undefined;

/** Reads each partition's final log once, from its log start offset; undefined for a partition that cannot be read (offline). */
function finalLogs(cluster: Cluster): (topic: string, partition: number) => FinalLog {
  const logs = new Map<string, FinalLog>();
  const read = (topic: string, partition: number): FinalLog => {
    try {
      const values = new Map<number, string>();
      const lastOfKey = new Map<string, number>();
      const start = cluster.describePartition(topic, partition).logStartOffset;
      for (let offset = start; ; ) {
        const r = cluster.fetch({ topic, partition, offset, maxBytes: 64 * 1024 * 1024 });
        if (r.records.length === 0) break;
        for (const rec of r.records) {
          values.set(Number(rec.offset), rec.value?.toString() ?? '');
          if (rec.key !== null) lastOfKey.set(rec.key.toString(), Number(rec.offset));
        }
        offset = Number(r.records[r.records.length - 1]!.offset) + 1;
      }
      return { start, values, lastOfKey };
    } catch {
      return undefined;
    }
  };
  return (topic, partition) => {
    const k = `${topic}-${partition}`;
    if (!logs.has(k)) logs.set(k, read(topic, partition));
    return logs.get(k);
  };
}

/** One producer's lines: what it sent and what the logs kept of what was acknowledged. */
function summarizeProducer(p: EngineProducer, logOf: (topic: string, partition: number) => FinalLog, timeline: Timeline): ProducerOutcome {
  let lost = 0;
  let deletedByRetention = 0;
  let compactedAway = 0;
  let unavailable = 0;
  for (const a of p.acked) {
    const log = logOf(p.spec.topic, a.partition);
    if (log === undefined) unavailable++;
    else if (a.offset < log.start) deletedByRetention++;
    else if (log.values.get(a.offset) === a.value) continue;
    // Nothing at its offset any more, and a later record of its key kept: the cleaner's doing. A
    // truncated record is either gone past the end or replaced by another at the same offset.
    else if (!log.values.has(a.offset) && a.key !== null && (log.lastOfKey.get(a.key) ?? -1) > a.offset) compactedAway++;
    else lost++;
  }
  const { spec } = p;
  const errors = [...p.errors].map(([t, n]) => `${t} ${n}`).join(', ');
  const acknowledged = spec.acks === 0 ? 'no acknowledgements (acks=0)' : `${p.acked.length} acknowledged`;
  timeline.write(
    `    producer ${spec.name} (acks=${spec.acks === -1 ? 'all' : spec.acks}): ${p.sent} sent, ${acknowledged}, ${p.failed} failed${errors ? ` (${errors})` : ''}${p.pending > 0 ? `, ${p.pending} still waiting` : ''}`,
  );
  if (spec.acks !== 0) {
    const compacted = compactedAway > 0 ? `; compacted away (a later record of the key kept): ${compactedAway}` : '';
    const verdict = `      acknowledged and later lost: ${lost}${deletedByRetention > 0 ? `; deleted by retention: ${deletedByRetention}` : ''}${compacted}${unavailable > 0 ? `; on offline partitions: ${unavailable}` : ''}`;
    timeline.write(timeline.paint(lost > 0 ? 'loss' : 'ok', verdict));
  }
  return { name: spec.name, sent: p.sent, acknowledged: p.acked.length, failed: p.failed, lost, deletedByRetention, compactedAway };
}

/** Prints the summary of a timed run and returns its numbers. */
export function summarize(
  scenario: TimedScenario,
  cluster: Cluster,
  timeline: Timeline,
  producers: readonly EngineProducer[],
  members: Members,
): { producers: ProducerOutcome[]; groups: GroupOutcome[] } {
  timeline.write('');
  timeline.write(timeline.paint('heading', '== summary'));
  const logOf = finalLogs(cluster);
  const producerOutcomes = producers.map((p) => summarizeProducer(p, logOf, timeline));
  const groups = scenario.groups.map((g): GroupOutcome => {
    const seen = members.delivered.get(g.id) ?? new Map<string, number>();
    let duplicates = 0;
    for (const n of seen.values()) duplicates += n - 1;
    const written = producers.filter((p) => g.topics.includes(p.spec.topic)).flatMap((p) => p.acked.map((a) => a.value));
    const neverDelivered = written.filter((v) => !seen.has(v)).length;
    const lag = lagRows(cluster, g.id).reduce((n, r) => n + (r.lag ?? 0), 0);
    timeline.write(
      `    group ${g.id}: ${seen.size} distinct record(s) processed, ${duplicates} processed again after a rebalance or crash; ${neverDelivered} acknowledged record(s) never processed; lag ${lag}`,
    );
    return { id: g.id, delivered: seen.size, duplicates, neverDelivered, lag };
  });
  timeline.write(timeline.paint('dim', `    ${cluster.events().length} events recorded; every line above came from cluster.events() and the final logs.`));
  return { producers: producerOutcomes, groups };
}
