/**
 * The text timeline that `demo` and `simulate` print, in one place: how an event reads, a
 * generation's ownership table, retention passes folded to one line, the partition tables, lag
 * and leader lines, and {@link Timeline}, which follows a cluster's event log and writes it.
 * The HTML page (html.ts) reads time, names and retention passes through the same functions.
 */
import type { Cluster } from '../cluster.js';
import type { ClusterEvent } from '../../emulator/events.js';
import { painter, type Style } from './style.js';

type Assignment = Extract<ClusterEvent, { type: 'group-assignment' }>;
export type SegmentDeleted = Extract<ClusterEvent, { type: 'segment-deleted' }>;

/** Formats cluster time as mm:ss from the start of the run. */
export function clockTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Formats a span of ms compactly: 1h, 5m, 7m58s, 30s, 250ms. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  // 7m58s reads better than 478s; round spans keep their short form above.
  if (ms % 1000 === 0) return ms > 60_000 ? `${Math.floor(ms / 60_000)}m${(ms % 60_000) / 1000}s` : `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A size in bytes for people: 712 B, 3.4 KiB, 11 KiB, 2.5 MiB (one decimal below 10 of the unit). */
export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) < 1024) return `${bytes} B`;
  const [value, unit] = Math.abs(bytes) < 1024 * 1024 ? [bytes / 1024, 'KiB'] : [bytes / (1024 * 1024), 'MiB'];
  return `${Math.abs(value) < 10 ? value.toFixed(1) : Math.round(value)} ${unit}`;
}

/** Short name of a member: its client id (member ids are `clientId-uuid`). */
export function memberName(memberId: string): string {
  return memberId.replace(/-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, '');
}

/** Internal topics (`__consumer_offsets`): their own replication would drown the story. Null (an event naming no topic): false. */
export function isInternalTopic(topic: string | null): boolean {
  return topic !== null && topic.startsWith('__');
}

const at = (e: { topic: string; partition: number }) => `${e.topic}-${e.partition}`;

/** One line of text for an event, or undefined for events too fine-grained for the timeline. */
export function describeEvent(e: ClusterEvent): string | undefined {
  switch (e.type) {
    case 'broker-started':
      return `broker ${e.broker} started`;
    case 'broker-stopped':
      return `broker ${e.broker} stopped`;
    case 'broker-isolated':
      return `broker ${e.broker} cut off from the network`;
    case 'broker-healed':
      return `broker ${e.broker} back on the network`;
    case 'topic-created':
      return `topic ${e.topic} created: ${e.partitions} partitions x ${e.replicationFactor} replicas${INTERNAL_ROLES[e.topic] ?? ''}`;
    case 'topic-deleted':
      return `topic ${e.topic} deleted`;
    case 'partitions-created':
      return `topic ${e.topic} grew from ${e.from} to ${e.to} partitions`;
    case 'topic-config-changed':
      return `topic ${e.topic} config changed: ${JSON.stringify(e.config)}`;
    case 'leader-changed':
      if (e.leader === -1) return `${at(e)} is offline: no in-sync replica is running`;
      if (e.previousLeader === -1 && e.leaderEpoch === 0) return undefined;
      return `${at(e)} leader ${e.previousLeader === -1 ? '(none)' : e.previousLeader} -> ${e.leader} (${e.election} election, epoch ${e.leaderEpoch})`;
    case 'isr-shrunk':
      return `${at(e)} ISR shrank to [${e.isr.join(',')}] (broker ${e.removed.join(',')}: ${e.reason.replace('-', ' ')})`;
    case 'isr-expanded':
      return `${at(e)} ISR grew to [${e.isr.join(',')}] (broker ${e.added} caught up)`;
    case 'log-truncated':
      return `${at(e)} broker ${e.broker} truncated its log from ${e.from} to ${e.to}: ${e.records} record(s) discarded`;
    case 'high-watermark-decreased':
      return `${at(e)} high watermark went back from ${e.from} to ${e.to}: acknowledged records lost`;
    case 'segment-deleted':
      return `${at(e)} broker ${e.broker} deleted segment [${e.baseOffset}, ${e.endOffset}) by ${e.reason}; log start offset now ${e.logStartOffset}`;
    case 'records-deleted':
      return `${at(e)} records deleted up to ${e.logStartOffset}`;
    case 'reassignment-started':
    case 'reassignment-completed':
    case 'reassignment-cancelled':
      return describeReassignment(e);
    case 'log-cleaned':
      return `${at(e)} cleaned on broker ${e.broker}: ${e.recordsBefore} → ${e.recordsAfter} records, ${formatBytes(e.bytesFreed)} freed${e.tombstonesRemoved > 0 ? `, ${e.tombstonesRemoved} tombstone(s) removed` : ''}${e.markersRemoved > 0 ? `, ${e.markersRemoved} transaction marker(s) removed` : ''}`;
    case 'group-member-left':
      return `${memberName(e.memberId)} left group ${e.groupId}`;
    case 'group-member-expired':
      return `${memberName(e.memberId)} removed from group ${e.groupId} (${e.reason})`;
    case 'group-coordinator-moved':
      return `group ${e.groupId}'s coordinator moved from broker ${e.from} to broker ${e.to} (leader of __consumer_offsets-${e.partition})`;
    case 'fault-injected':
    case 'fault-fired':
      return describeFault(e);
    case 'producer-id-allocated':
    case 'duplicate-batch':
    case 'txn-begin':
    case 'txn-commit':
    case 'txn-abort':
    case 'txn-fenced':
    case 'txn-timed-out':
    case 'txn-coordinator-moved':
    case 'txn-id-expired':
      return describeExactlyOnce(e);
    case 'latency-set':
      return e.ms === 0 ? `broker ${e.broker} answers without delay again` : `broker ${e.broker} answers every request ${formatDuration(e.ms)} late`;
    case 'faults-cleared':
      return `faults cleared (${e.faults} pending fault(s)${e.latencies.length === 0 ? '' : `, latency of broker ${e.latencies.join(',')}`})`;
    default:
      // Segment rolls and the finer consumer-group events are not part of the timeline.
      return undefined;
  }
}

/** What the internal topics a narrated timeline shows are for. */
const INTERNAL_ROLES: Record<string, string> = {
  __consumer_offsets: ' (consumer groups live on the leaders of its partitions)',
  __transaction_state: ' (transaction coordinators live on the leaders of its partitions)',
};

type ExactlyOnceEvent = Extract<
  ClusterEvent,
  { type: 'producer-id-allocated' | 'duplicate-batch' | 'txn-begin' | 'txn-commit' | 'txn-abort' | 'txn-fenced' | 'txn-timed-out' | 'txn-coordinator-moved' | 'txn-id-expired' }
>;

const partitionList = (ps: readonly { topic: string; partition: number }[]) => ps.map(at).join(', ') || 'no partitions';
const ABORTED_BY = { client: 'by the producer', timeout: 'by the coordinator: it ran past its timeout', fenced: 'by the coordinator: a new instance fenced the producer' } as const;

/** Producer ids, idempotent retries and transactions in words. */
function describeExactlyOnce(e: ExactlyOnceEvent): string {
  switch (e.type) {
    case 'producer-id-allocated':
      return `broker ${e.broker} gave producer id ${e.producerId} (epoch ${e.producerEpoch}) to ${e.transactionalId === null ? 'an idempotent producer' : `transactional id ${e.transactionalId}`}`;
    case 'duplicate-batch':
      return `${at(e)} duplicate batch (producer id ${e.producerId}, sequence ${e.baseSequence}): the retry answered with its original offsets from ${e.baseOffset}, written once`;
    case 'txn-begin':
      return `${e.transactionalId}: transaction began (producer id ${e.producerId}, epoch ${e.producerEpoch}) on ${partitionList(e.partitions)}`;
    case 'txn-commit':
      return `${e.transactionalId}: transaction committed after ${formatDuration(e.durationMs)}, commit markers on ${partitionList(e.partitions)}: read_committed readers see its records now`;
    case 'txn-abort':
      return `${e.transactionalId}: transaction aborted after ${formatDuration(e.durationMs)} (${ABORTED_BY[e.reason]}), abort markers on ${partitionList(e.partitions)}: read_committed readers skip its records`;
    case 'txn-fenced':
      return `${e.transactionalId}: producer epoch ${e.fencedEpoch} fenced (now ${e.newProducerId === e.producerId ? '' : `producer id ${e.newProducerId}, `}epoch ${e.producerEpoch}) ${e.reason === 'init' ? 'by InitProducerId of a new instance' : 'as its transaction timed out'}: its requests are refused`;
    case 'txn-timed-out':
      return `${e.transactionalId}: transaction open since ${clockTime(e.startedAt)}, past its timeout of ${formatDuration(e.transactionTimeoutMs)}: the coordinator aborts it`;
    case 'txn-coordinator-moved':
      return e.to === -1
        ? `${e.transactionalId} has no transaction coordinator: __transaction_state-${e.partition} is offline`
        : `${e.transactionalId}'s transaction coordinator moved from ${e.from === -1 ? 'none' : `broker ${e.from}`} to broker ${e.to} (leader of __transaction_state-${e.partition}; transaction ${e.state})`;
    case 'txn-id-expired':
      return `transactional id ${e.transactionalId} expired: idle longer than transactional.id.expiration.ms`;
  }
}

type ReassignmentEvent = Extract<ClusterEvent, { type: 'reassignment-started' | 'reassignment-completed' | 'reassignment-cancelled' }>;

/** A partition reassignment's step in words. */
function describeReassignment(e: ReassignmentEvent): string {
  const list = (ids: readonly number[]) => `[${ids.join(',')}]`;
  if (e.type === 'reassignment-started') {
    const moves = [e.adding.length > 0 ? `adding ${list(e.adding)}` : '', e.removing.length > 0 ? `removing ${list(e.removing)}` : ''].filter((x) => x !== '');
    return `${at(e)} reassignment to ${list(e.target)} started: replicas ${list(e.replicas)}${moves.length > 0 ? `, ${moves.join(', ')}` : ''}`;
  }
  const removed = e.removed.length > 0 ? `, ${list(e.removed)} ${e.type === 'reassignment-cancelled' ? 'dropped' : 'removed'}` : '';
  const leader = e.leader === -1 ? 'no leader' : `leader ${e.leader}`;
  return `${at(e)} reassignment ${e.type === 'reassignment-completed' ? 'completed' : 'cancelled'}: replicas ${list(e.replicas)}, ISR ${list(e.isr)}, ${leader}${removed}`;
}

type FaultEvent = Extract<ClusterEvent, { type: 'fault-injected' | 'fault-fired' }>;

/** A fault in words: what it does to which requests, injected (the next ones) or fired (this one). */
function describeFault(e: FaultEvent): string {
  const fired = e.type === 'fault-fired';
  const where = e.topic === null ? '' : e.partition === null ? ` to ${e.topic}` : ` to ${e.topic}-${e.partition}`;
  const on = e.broker === null ? '' : ` on broker ${e.broker}`;
  const request = fired ? `${e.api}${where}${on}` : `${e.type === 'fault-injected' && e.count > 1 ? `next ${e.count} ${e.api} requests` : `next ${e.api}`}${where}${on}`;
  let outcome: string;
  if (e.error === 'DISCONNECT') outcome = e.when === 'before' ? 'connection closed before applying' : 'applied, then the connection closed (lost acknowledgement)';
  else outcome = e.when === 'before' ? `refused with ${e.error}, nothing applied` : `answered ${e.error} after applying (lost acknowledgement)`;
  return fired ? `fault: ${request} ${outcome}` : `fault injected: the ${request}: ${outcome}`;
}

/** How an event's line is coloured: losses first, then faults, then elections. */
export function eventStyle(e: ClusterEvent): Style | undefined {
  if (e.type === 'high-watermark-decreased' || e.type === 'log-truncated' || (e.type === 'leader-changed' && (e.election === 'unclean' || e.leader === -1)))
    return 'loss';
  if (e.type.startsWith('broker-') || e.type.startsWith('fault') || e.type === 'latency-set' || e.type === 'txn-fenced' || e.type === 'txn-timed-out') return 'fault';
  if (e.type === 'txn-commit' || e.type === 'duplicate-batch') return 'ok';
  if (e.type === 'leader-changed' || e.type === 'isr-shrunk') return 'election';
  return undefined;
}

/** The ownership table of one generation, from a `group-assignment` event. */
export function describeGeneration(e: Assignment): string[] {
  const lines = [`[${clockTime(e.time)}] group ${e.groupId}, generation ${e.generationId}:`];
  const sorted = [...e.assignments].sort((a, b) => memberName(a.memberId).localeCompare(memberName(b.memberId)));
  for (const a of sorted) {
    // Partitions in order, whatever order the assignor listed them in.
    const owned = [...(a.partitions ?? [])]
      .sort((x, y) => (x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : 0))
      .flatMap((t) => [...t.partitions].sort((x, y) => x - y).map((p) => `${t.topic}-${p}`));
    lines.push(`    ${memberName(a.memberId).padEnd(12)} ${owned.length === 0 ? '(idle: more instances than partitions)' : owned.join(', ')}`);
  }
  return lines;
}

/** A generation's ownership table, its heading and idle members styled. */
export function generationLines(e: Assignment, stamp: (ms: number) => string, paint: (style: Style, text: string) => string): string[] {
  const [head, ...rest] = describeGeneration(e);
  return [`${stamp(e.time)} ${paint('generation', head!.slice(head!.indexOf(']') + 2))}`, ...rest.map((line) => (line.includes('(idle') ? paint('idle', line) : line))];
}

/**
 * The lines of one event on its own, for a live log (`serve`): a generation's ownership table, or
 * {@link describeEvent}'s line, stamped and styled; none for the finer events. A whole run's
 * {@link Timeline} adds context (lag, leaders) and folds retention passes; a live log cannot wait.
 */
export function eventLines(e: ClusterEvent, stamp: (ms: number) => string, paint: (style: Style, text: string) => string): string[] {
  if (e.type === 'group-assignment') return generationLines(e, stamp, paint);
  const line = describeEvent(e);
  if (line === undefined) return [];
  const style = eventStyle(e);
  return [`${stamp(e.time)} ${style === undefined ? line : paint(style, line)}`];
}

/** The segment deletions of one retention check on one partition, folded. */
export interface RetentionPass {
  time: number;
  topic: string;
  partition: number;
  segments: number;
  /** First offset deleted. */
  from: number;
  /** End (exclusive) of the last segment deleted. */
  to: number;
  /** The log start offset after the pass. */
  logStartOffset: number;
  reason: SegmentDeleted['reason'];
}

/** Folds the deletions of one pass (same time and partition, oldest segment first) into one. */
export function foldRetentionPass(deletions: readonly SegmentDeleted[]): RetentionPass {
  const first = deletions[0]!;
  return {
    time: first.time,
    topic: first.topic,
    partition: first.partition,
    segments: deletions.length,
    from: Math.min(...deletions.map((d) => d.baseOffset)),
    to: Math.max(...deletions.map((d) => d.endOffset)),
    logStartOffset: Math.max(...deletions.map((d) => d.logStartOffset)),
    reason: first.reason,
  };
}

/**
 * Holds back the segment deletions of one retention pass on one replica (same time, partition and
 * broker) so they are written as one line: one check can delete dozens of segments at once.
 */
export class RetentionFolder {
  private held: SegmentDeleted[] = [];

  constructor(
    private readonly write: (line: string) => void,
    private readonly stamp: (ms: number) => string,
  ) {}

  /** Writes what is held unless `e` continues the same pass; call it first for every event, in order. */
  before(e: ClusterEvent): void {
    const prev = this.held[0];
    if (prev === undefined) return;
    if (e.type !== 'segment-deleted' || e.time !== prev.time || e.topic !== prev.topic || e.partition !== prev.partition || e.broker !== prev.broker)
      this.flush();
  }

  hold(e: SegmentDeleted): void {
    this.held.push(e);
  }

  /** Writes the held pass, if any. */
  flush(): void {
    if (this.held.length === 0) return;
    const pass = foldRetentionPass(this.held);
    this.write(
      `${this.stamp(pass.time)} ${pass.topic}-${pass.partition} broker ${this.held[0]!.broker} deleted ${pass.segments} segment(s), offsets [${pass.from}, ${pass.to}), by ${pass.reason}; log start offset now ${pass.logStartOffset}`,
    );
    this.held = [];
  }
}

/**
 * A partition's last stable offset: where read_committed reads stop, held back by the first
 * offset of its oldest open transaction (the high watermark when none is open); '-' without a leader.
 * Read from the engine, below request faults: a look is not a request.
 */
export function lastStableOffset(cluster: Cluster, topic: string, partition: number): string {
  const answer = cluster.engine.listOffsets(topic, partition, 'latest', undefined, 'read_committed');
  return answer.errorCode === 0 ? String(answer.offset) : '-';
}

/**
 * A table of partitions: leader, replicas, ISR, log start and high watermark, and with
 * `lastStable` (a script with transactional producers) the last stable offset. `story` (a
 * script's table of one topic) names partitions by number; `status` (a timed run's) by topic and number.
 */
export function partitionTable(cluster: Cluster, topics: readonly string[], layout: 'story' | 'status', lastStable = false): string[] {
  const story = layout === 'story';
  const indent = story ? '  ' : '    ';
  const rows = topics.flatMap((topic) => cluster.describeTopic(topic).partitions.map((p) => ({ topic, p, d: cluster.describePartition(topic, p.partition) })));
  const names = rows.map(({ topic, p }) => (story ? String(p.partition) : `${topic}-${p.partition}`));
  const nameWidth = story ? 9 : Math.max(11, ...names.map((n) => n.length));
  // A partition being reassigned lists more replicas than its replication factor: the columns widen.
  const replicasWidth = Math.max(8, ...rows.map(({ p }) => `[${p.replicas.join(',')}]`.length));
  const isrWidth = Math.max(story ? 6 : 8, ...rows.map(({ p }) => `[${p.isr.join(',')}]`.length));
  const lines = [
    `${indent}${'partition'.padEnd(nameWidth)}  leader  ${'replicas'.padEnd(replicasWidth)}  ${'isr'.padEnd(isrWidth)}  log start  high watermark${lastStable ? '  last stable offset' : ''}`,
  ];
  rows.forEach(({ topic, p, d }, i) => {
    const cells = [
      names[i]!.padEnd(nameWidth),
      (p.leader === -1 ? 'none' : String(p.leader)).padEnd(6),
      `[${p.replicas.join(',')}]`.padEnd(replicasWidth),
      `[${p.isr.join(',')}]`.padEnd(isrWidth),
      String(d.logStartOffset).padEnd(9),
      lastStable ? String(d.highWatermark).padEnd(14) : String(d.highWatermark),
      ...(lastStable ? [lastStableOffset(cluster, topic, p.partition)] : []),
    ];
    lines.push(`${indent}${cells.join('  ')}`);
  });
  return lines;
}

/** A group's lag rows on the scenario's own topics; none for a group the coordinator does not know yet. */
export function lagRows(cluster: Cluster, groupId: string): ReturnType<Cluster['groups']['lag']> {
  try {
    return cluster.groups.lag(groupId).filter((r) => !isInternalTopic(r.topic));
  } catch {
    return [];
  }
}

/** `lag N (t-0 n, t-1 m)`; `whenEmpty` follows the total when the group has nothing to show. */
export function lagLine(cluster: Cluster, groupId: string, whenEmpty = ''): string {
  const rows = lagRows(cluster, groupId);
  const total = rows.reduce((n, r) => n + (r.lag ?? 0), 0);
  return `lag ${total}${rows.length === 0 ? whenEmpty : ` (${rows.map((r) => `${r.topic}-${r.partition} ${r.lag ?? '-'}`).join(', ')})`}`;
}

/** Each partition's leader and ISR on one line: what a generation works against. */
export function leadersLine(cluster: Cluster, topics: readonly string[]): string {
  return topics
    .flatMap((t) => cluster.describeTopic(t).partitions.map((p) => `${t}-${p.partition} ${p.leader === -1 ? 'offline' : `leader ${p.leader}`} isr [${p.isr.join(',')}]`))
    .join(', ');
}

/** How a {@link Timeline} tells its story. */
export interface TimelineOptions {
  /** ANSI colours. */
  color: boolean;
  /**
   * A script's narrated timeline: it also shows where groups live (the creation of
   * `__consumer_offsets`) and says when a group has committed nothing yet.
   */
  narrated: boolean;
  /** The topics of each group, for the leaders line under each generation. */
  groupTopics: ReadonlyMap<string, readonly string[]>;
}

/** The printed timeline of one run: the cluster's events as they happen, and the lines a run adds. */
export class Timeline {
  readonly paint: (style: Style, text: string) => string;
  private readonly retention: RetentionFolder;

  constructor(
    private readonly out: (line: string) => void,
    private readonly options: TimelineOptions,
  ) {
    this.paint = painter(options.color);
    this.retention = new RetentionFolder(out, (ms) => this.stamp(ms));
  }

  /** `[mm:ss]`, dimmed. */
  stamp(ms: number): string {
    return this.paint('time', `[${clockTime(ms)}]`);
  }

  /** Writes a line after the retention pass in hand, so the two never interleave. */
  write(line: string): void {
    this.retention.flush();
    this.out(line);
  }

  /** Writes the lines of a cluster's events from now on. */
  follow(cluster: Cluster): void {
    cluster.onEvent((e) => this.onEvent(cluster, e));
  }

  private onEvent(cluster: Cluster, e: ClusterEvent): void {
    this.retention.before(e);
    if ('topic' in e && isInternalTopic(e.topic) && !(this.options.narrated && e.type === 'topic-created')) return;
    if (e.type === 'segment-deleted') return this.retention.hold(e);
    if (e.type === 'group-assignment') return this.generation(cluster, e);
    const line = describeEvent(e);
    if (line === undefined) return;
    const style = eventStyle(e);
    this.out(`${this.stamp(e.time)} ${style === undefined ? line : this.paint(style, line)}`);
  }

  private generation(cluster: Cluster, e: Assignment): void {
    for (const line of generationLines(e, (ms) => this.stamp(ms), this.paint)) this.out(line);
    const topics = this.options.groupTopics.get(e.groupId) ?? [];
    if (topics.length > 0) this.out(this.paint('dim', `    partitions: ${leadersLine(cluster, topics)}`));
    this.out(this.paint('dim', `    ${lagLine(cluster, e.groupId, this.options.narrated ? ' (nothing committed yet)' : '')}`));
  }
}
