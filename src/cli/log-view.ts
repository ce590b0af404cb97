/**
 * A partition's log as the CLI shows it: a script's `log` step prints the leader's segments and
 * the records in each (how compaction leaves the latest record per key, at its old offset; which
 * records a transaction aborted or holds open, and its markers), and
 * {@link LogSizes} follows every partition's record count and bytes over a run for the page's
 * log-size lanes. Both read the engine directly, below the request faults a scenario injects: a
 * look at the log is not a request and must not use up a fault meant for a client.
 */
import type { Cluster } from '../cluster.js';
import type { ClusterEvent } from '../../emulator/events.js';
import { markerOf, readRecords, type FetchedRecord, type RecordRange } from '../../emulator/records.js';
import { formatBytes } from './timeline.js';

/** Records listed per segment before the rest are only counted. */
const MAX_LISTED = 60;
const LINE_WIDTH = 100;

/** The lines of a `log` step: the leader's log of one partition, segment by segment, with its records. */
export function logLines(cluster: Cluster, topic: string, partition: number): string[] {
  const d = cluster.engine.describePartition(topic, partition);
  const replica = d.replicaStates.find((r) => r.broker === d.leader);
  if (replica === undefined) return [`  ${topic}-${partition} has no leader: its log cannot be read`];
  // Everything the leader holds; a script's sends are acknowledged, so that is all below the high watermark.
  const answer = cluster.engine.fetchRanges({ topic, partition, offset: replica.logStartOffset, maxBytes: Number.MAX_SAFE_INTEGER });
  const records = withTransactions(answer.ranges);
  const lines = [
    `  ${topic}-${partition} on broker ${d.leader} (the leader): offsets [${replica.logStartOffset}, ${replica.logEndOffset}), ${records.length} record(s), ${formatBytes(replica.size)} in ${replica.segments.length} segment(s)`,
  ];
  let next = 0;
  replica.segments.forEach((segment, i) => {
    const inSegment: string[] = [];
    for (; next < records.length && records[next]!.offset < segment.endOffset; next++) inSegment.push(describeRecord(records[next]!));
    const active = i === replica.segments.length - 1 ? ', active' : '';
    lines.push(`    segment [${segment.baseOffset}, ${segment.endOffset})${active}: ${inSegment.length} record(s), ${formatBytes(segment.size)}`);
    const listed = inSegment.slice(0, MAX_LISTED);
    if (inSegment.length > MAX_LISTED) listed.push(`(${inSegment.length - MAX_LISTED} more)`);
    lines.push(...columns(listed, '      '));
  });
  return lines;
}

/** A record of the log, with what became of its transaction if it is in one. */
type LoggedRecord = FetchedRecord & { txn?: 'commit marker' | 'abort marker' | 'aborted' | 'open' };

/**
 * The records of `ranges` in order, each transactional one with its transaction's fate: ended by
 * its producer's next marker in the log (aborted, or committed and unmarked), or still open.
 */
function withTransactions(ranges: readonly RecordRange[]): LoggedRecord[] {
  const out: LoggedRecord[] = [];
  ranges.forEach((range, i) => {
    const { batch } = range;
    let txn: LoggedRecord['txn'];
    if (batch.isControl) txn = markerOf(batch)?.commit === false ? 'abort marker' : 'commit marker';
    else if (batch.isTransactional) {
      const end = ranges.slice(i + 1).find((x) => x.batch.isControl && x.batch.producerId === batch.producerId);
      txn = end === undefined ? 'open' : markerOf(end.batch)?.commit === false ? 'aborted' : undefined;
    }
    for (const r of readRecords([range])) out.push(txn === undefined ? r : { ...r, txn });
  });
  return out;
}

/** `12 user-2=v12`, `13 user-3 (tombstone)`, `14 (no key)=v14`; `15 (commit marker)`, `9 key-1=v9 (aborted)`. */
function describeRecord(r: LoggedRecord): string {
  if (r.txn === 'commit marker' || r.txn === 'abort marker') return `${r.offset} (${r.txn})`;
  const key = r.key === null ? '(no key)' : r.key.toString();
  const record = r.value === null ? `${r.offset} ${key} (tombstone)` : `${r.offset} ${key}=${r.value.toString()}`;
  return r.txn === undefined ? record : `${record} (${r.txn})`;
}

/** Items in aligned columns, as many to a line as fit in {@link LINE_WIDTH}. */
function columns(items: readonly string[], indent: string): string[] {
  if (items.length === 0) return [];
  const width = Math.max(...items.map((s) => s.length)) + 2;
  const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent.length) / width));
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += perLine)
    lines.push(
      indent +
        items
          .slice(i, i + perLine)
          .map((s) => s.padEnd(width))
          .join('')
          .trimEnd(),
    );
  return lines;
}

/** One partition's log size at a point of time: the leader's records and bytes. */
export interface LogSizeSample {
  time: number;
  records: number;
  bytes: number;
}

/** A partition's log size over a run. */
export interface LogSizeSeries {
  topic: string;
  partition: number;
  samples: LogSizeSample[];
}

// Events after which a leader's log may hold less, or another broker leads: sampled at once, so a
// cleaning or a retention pass shows at its own time rather than at the next tick.
const LOG_CHANGES: ReadonlySet<ClusterEvent['type']> = new Set(['log-cleaned', 'segment-deleted', 'records-deleted', 'log-truncated', 'leader-changed']);

/**
 * Follows the size of every partition of the given topics: sampled when a run asks (every tick
 * of a timed run, every tick of a script's sends and after each step) and at once after events
 * that shrink a log. A sample equal to the one before is not kept.
 */
export class LogSizes {
  private readonly series = new Map<string, LogSizeSeries>();
  /**
   * Per partition, the records counted so far: below the high watermark `upTo` of leader `leader`
   * from log start `start`. A tick's sample counts only what was appended since (a whole count
   * per tick would make a long run quadratic); a shrinking event, a new leader or log start, or a
   * high watermark going back counts again from the start.
   */
  private readonly counted = new Map<string, { leader: number; start: number; upTo: number; records: number }>();

  constructor(
    private readonly cluster: Cluster,
    private readonly topics: readonly string[],
  ) {}

  /** Samples after every event that may shrink a log of these topics. */
  follow(): void {
    this.cluster.onEvent((e) => {
      if (LOG_CHANGES.has(e.type) && 'topic' in e && 'partition' in e && e.topic !== null && e.partition !== null && this.topics.includes(e.topic))
        this.sampleOne(e.topic, e.partition, true);
    });
  }

  /** Samples every partition of the topics that exist now. */
  sample(): void {
    for (const topic of this.topics) {
      if (!this.cluster.hasTopic(topic)) continue;
      for (const p of this.cluster.describeTopic(topic).partitions) this.sampleOne(topic, p.partition, false);
    }
  }

  /** Every partition's samples, in the order of the topics. */
  all(): LogSizeSeries[] {
    return [...this.series.values()].sort((a, b) => this.topics.indexOf(a.topic) - this.topics.indexOf(b.topic) || a.partition - b.partition);
  }

  private sampleOne(topic: string, partition: number, recount: boolean): void {
    const d = this.cluster.engine.describePartition(topic, partition);
    const leader = d.replicaStates.find((r) => r.broker === d.leader);
    if (leader === undefined) return;
    const key = `${topic}-${partition}`;
    let c = this.counted.get(key);
    if (recount || c === undefined || c.leader !== d.leader || c.start !== leader.logStartOffset || d.highWatermark < c.upTo)
      c = { leader: d.leader, start: leader.logStartOffset, upTo: leader.logStartOffset, records: 0 };
    if (d.highWatermark > c.upTo) {
      const answer = this.cluster.engine.fetchRanges({ topic, partition, offset: c.upTo, maxBytes: Number.MAX_SAFE_INTEGER });
      for (const r of answer.ranges) c.records += r.to - r.from;
      c.upTo = d.highWatermark;
    }
    this.counted.set(key, c);
    const records = c.records;
    const series = this.series.get(key) ?? { topic, partition, samples: [] };
    this.series.set(key, series);
    const sample = { time: this.cluster.now(), records, bytes: leader.size };
    const last = series.samples[series.samples.length - 1];
    if (last !== undefined && last.records === sample.records && last.bytes === sample.bytes) return;
    if (last !== undefined && last.time === sample.time) series.samples[series.samples.length - 1] = sample;
    else series.samples.push(sample);
  }
}
