/**
 * What the `--html` page draws, folded from the event log: one lane per partition (its leader over
 * time, its ISR under it), one per group and partition (the member that owns it in each
 * generation), one per group for idle members; the colours that mean one thing per section; and
 * the marks on a partition's lane (retention passes, unclean elections and truncations).
 */
import type { ClusterEvent } from '../../emulator/events.js';
import { clockTime, foldRetentionPass, memberName, type RetentionPass, type SegmentDeleted } from './timeline.js';

/** Escapes text for HTML and XML. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A span of a lane. */
export interface Segment {
  from: number;
  to: number;
  label: string;
  colorKey: string;
  tip: string;
  kind: 'leader' | 'offline' | 'owner' | 'idle' | 'isr-full' | 'isr-partial';
}

/** A row of the picture: its spans, and for a partition its ISR spans. */
export interface Lane {
  id: string;
  label: string;
  /** The section it is drawn in. */
  group: string;
  segments: Segment[];
  isr: Segment[];
}

/** The layout the page shows. */
export interface LaneInput {
  topics: readonly { name: string; partitions: number; replicationFactor: number }[];
  groups: readonly { id: string; topics: readonly string[] }[];
  events: readonly ClusterEvent[];
}

export const PARTITION_SECTION = 'Leader (and ISR below) per partition';

/** The heading of a group's section; also how its lanes are grouped. */
export function groupSection(groupId: string): string {
  return `Group ${groupId}: owner per partition`;
}

/** Every lane, partitions first, then each group's ownership lanes followed by its idle lane. */
export function foldLanes(input: LaneInput, end: number): Lane[] {
  const lanes: Lane[] = [];
  for (const t of input.topics) for (let p = 0; p < t.partitions; p++) lanes.push(partitionLane(t, p, input.events, end));
  const endsOwnership = ownershipEnd(input.events);
  for (const g of input.groups)
    for (const topic of g.topics) {
      const partitions = input.topics.find((t) => t.name === topic)?.partitions ?? 0;
      for (let p = 0; p < partitions; p++) lanes.push(ownerLane(g.id, topic, p, input.events, end, endsOwnership));
    }
  for (const g of input.groups) lanes.push(idleLane(g.id, input.events, end, endsOwnership));
  // Each group's idle lane goes right after its ownership lanes (sort is stable).
  const sections = [...new Set(lanes.map((l) => l.group))];
  return lanes.sort((a, b) => sections.indexOf(a.group) - sections.indexOf(b.group));
}

/** A partition's leader segments and ISR segments, from its elections and ISR changes. */
function partitionLane(t: LaneInput['topics'][number], p: number, events: readonly ClusterEvent[], end: number): Lane {
  const segments: Segment[] = [];
  const isr: Segment[] = [];
  let leader = { since: 0, leader: -1 };
  let inSync = { since: 0, isr: [] as readonly number[] };
  const span = (from: number, to: number) => `${clockTime(from)}-${clockTime(to)}`;
  const closeLeader = (at: number) => {
    if (at <= leader.since && at !== end) return;
    const { since } = leader;
    segments.push(
      leader.leader === -1
        ? { from: since, to: at, label: 'offline', colorKey: 'offline', kind: 'offline', tip: `${t.name}-${p} offline ${span(since, at)}` }
        : { from: since, to: at, label: `B${leader.leader}`, colorKey: `b${leader.leader}`, kind: 'leader', tip: `${t.name}-${p} leader broker ${leader.leader} ${span(since, at)}` },
    );
  };
  const closeIsr = (at: number) => {
    if (at <= inSync.since) return;
    const label = `[${inSync.isr.join(',')}]`;
    const kind = inSync.isr.length >= t.replicationFactor ? 'isr-full' : 'isr-partial';
    isr.push({ from: inSync.since, to: at, label, colorKey: '', kind, tip: `${t.name}-${p} ISR ${label} ${span(inSync.since, at)}` });
  };
  for (const e of events) {
    if (!('topic' in e) || e.topic !== t.name || !('partition' in e) || e.partition !== p) continue;
    if (e.type === 'leader-changed' && e.leader !== leader.leader) {
      closeLeader(e.time);
      leader = { since: e.time, leader: e.leader };
    }
    // A reassignment's end removes replicas from the ISR without an isr-shrunk of its own.
    const isrEvent =
      e.type === 'leader-changed' || e.type === 'isr-shrunk' || e.type === 'isr-expanded' || e.type === 'reassignment-completed' || e.type === 'reassignment-cancelled';
    if (isrEvent && e.isr.join(',') !== inSync.isr.join(',')) {
      closeIsr(e.time);
      inSync = { since: e.time, isr: e.isr };
    }
  }
  closeLeader(end);
  closeIsr(end);
  return { id: `partition ${t.name}-${p}`, label: `${t.name}-${p}`, group: PARTITION_SECTION, segments, isr };
}

/**
 * Whether an event ends a generation's ownership: the group starts rebalancing or empties. A
 * coordinator move marks the group Dead on the old coordinator, but the new one loads it as it
 * was: members keep their partitions and generation, so such a Dead ends no ownership.
 */
function ownershipEnd(events: readonly ClusterEvent[]): (e: ClusterEvent) => boolean {
  const moves = new Set(events.filter((e) => e.type === 'group-coordinator-moved').map((e) => `${e.groupId}@${e.time}`));
  return (e) => e.type === 'group-state-changed' && e.to !== 'Stable' && e.to !== 'CompletingRebalance' && !(e.to === 'Dead' && moves.has(`${e.groupId}@${e.time}`));
}

/** A group's owner of one partition: from each assignment until the group rebalances again. */
function ownerLane(groupId: string, topic: string, p: number, events: readonly ClusterEvent[], end: number, endsOwnership: (e: ClusterEvent) => boolean): Lane {
  const segments: Segment[] = [];
  let owner: { since: number; member: string; generation: number } | undefined;
  const close = (at: number) => {
    if (owner !== undefined && at >= owner.since)
      segments.push({
        from: owner.since,
        to: at,
        label: owner.member,
        colorKey: `m:${owner.member}`,
        kind: 'owner',
        tip: `${groupId}: ${topic}-${p} owned by ${owner.member} in generation ${owner.generation}, ${clockTime(owner.since)}-${clockTime(at)}`,
      });
    owner = undefined;
  };
  for (const e of events) {
    if (!('groupId' in e) || e.groupId !== groupId) continue;
    if (e.type === 'group-assignment') {
      close(e.time);
      const a = e.assignments.find((x) => (x.partitions ?? []).some((tp) => tp.topic === topic && tp.partitions.includes(p)));
      if (a !== undefined) owner = { since: e.time, member: memberName(a.memberId), generation: e.generationId };
    } else if (endsOwnership(e)) close(e.time);
  }
  close(end);
  return { id: `owner ${groupId} ${topic}-${p}`, label: `${topic}-${p}`, group: groupSection(groupId), segments, isr: [] };
}

/** A group's idle members: those a generation gave no partition. */
function idleLane(groupId: string, events: readonly ClusterEvent[], end: number, endsOwnership: (e: ClusterEvent) => boolean): Lane {
  const segments: Segment[] = [];
  let idle: { since: number; names: string[]; generation: number } | undefined;
  const close = (at: number) => {
    if (idle !== undefined && idle.names.length > 0 && at >= idle.since)
      segments.push({
        from: idle.since,
        to: at,
        label: idle.names.join(', '),
        colorKey: 'idle',
        kind: 'idle',
        tip: `${groupId}: idle in generation ${idle.generation} (${clockTime(idle.since)}-${clockTime(at)}): ${idle.names.join(', ')}`,
      });
    idle = undefined;
  };
  for (const e of events) {
    if (!('groupId' in e) || e.groupId !== groupId) continue;
    if (e.type === 'group-assignment') {
      close(e.time);
      const names = e.assignments
        .filter((a) => (a.partitions ?? []).every((tp) => tp.partitions.length === 0))
        .map((a) => memberName(a.memberId))
        .sort();
      idle = { since: e.time, names, generation: e.generationId };
    } else if (endsOwnership(e)) close(e.time);
  }
  close(end);
  return { id: `idle ${groupId}`, label: 'idle members', group: groupSection(groupId), segments, isr: [] };
}

export const OFFLINE = '#3c3c3c';
/** Transaction markers on a partition's lane: darker than the ISR bar's green and red, so they read apart. */
export const TXN_COMMIT = '#006d2c';
export const TXN_ABORT = '#a50f15';
export const IDLE = '#c7c7c7';
export const ISR_FULL = '#59a14f';
export const ISR_PARTIAL = '#e15759';
const BROKER_PALETTE = ['#4e79a7', '#f28e2b', '#8e6bbf', '#a0cbe8', '#ffbe7d', '#9c755f', '#79706e', '#d37295'];
const MEMBER_PALETTE = ['#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#4e79a7', '#f28e2b', '#bab0ac', '#86bcb6', '#d4a6c8'];

/** The page's colours by segment colour key, and the brokers and members the legends list. */
export interface Palette {
  colors: Map<string, string>;
  brokers: number[];
  members: string[];
}

/**
 * Colours. Brokers and members have palettes of their own, and neither uses the ISR bar's green
 * or red, so a colour means one thing per section.
 */
export function paletteOf(lanes: readonly Lane[]): Palette {
  const leaders = lanes.flatMap((l) => l.segments.filter((s) => s.kind === 'leader').map((s) => Number(s.colorKey.slice(1))));
  const brokers = [...new Set(leaders)].sort((a, b) => a - b);
  // Members in the order they first owned a partition (then by name), as the legend lists them.
  const firstOwned = new Map<string, number>();
  for (const l of lanes) for (const s of l.segments) if (s.kind === 'owner') firstOwned.set(s.label, Math.min(s.from, firstOwned.get(s.label) ?? Infinity));
  const members = [...firstOwned].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([m]) => m);
  const colors = new Map<string, string>([
    ['offline', OFFLINE],
    ['idle', IDLE],
  ]);
  brokers.forEach((b, i) => colors.set(`b${b}`, BROKER_PALETTE[i % BROKER_PALETTE.length]!));
  members.forEach((m, i) => colors.set(`m:${m}`, MEMBER_PALETTE[i % MEMBER_PALETTE.length]!));
  return { colors, brokers, members };
}

/** A partition's retention passes: every replica's deletions at one time, folded into one mark. */
export function retentionPasses(events: readonly ClusterEvent[], partitionName: string): RetentionPass[] {
  const byTime = new Map<number, SegmentDeleted[]>();
  for (const e of events) {
    if (e.type !== 'segment-deleted' || `${e.topic}-${e.partition}` !== partitionName) continue;
    const pass = byTime.get(e.time) ?? [];
    pass.push(e);
    byTime.set(e.time, pass);
  }
  return [...byTime.values()].map(foldRetentionPass);
}

/** Where acknowledged records may be lost on a partition: unclean elections and truncations, with their tips. */
export function lossMarks(events: readonly ClusterEvent[], partitionName: string): { time: number; tip: string }[] {
  const marks: { time: number; tip: string }[] = [];
  for (const e of events) {
    if (!('topic' in e) || !('partition' in e) || `${e.topic}-${e.partition}` !== partitionName) continue;
    if (e.type === 'leader-changed' && e.election === 'unclean')
      marks.push({ time: e.time, tip: `${partitionName}: unclean election at ${clockTime(e.time)}, broker ${e.leader} was out of sync` });
    else if (e.type === 'log-truncated') marks.push({ time: e.time, tip: `${partitionName}: broker ${e.broker} truncated ${e.records} record(s) at ${clockTime(e.time)}` });
  }
  return marks;
}

type MarkerWritten = Extract<ClusterEvent, { type: 'txn-marker-written' }>;

/**
 * Where transactions ended on a partition: a mark per commit or abort marker written to it, with
 * the transactional id (from the producer id it was given) and the offsets the transaction held.
 */
export function txnMarks(events: readonly ClusterEvent[], partitionName: string): { time: number; commit: boolean; tip: string }[] {
  const idOf = new Map<number, string>();
  const marks: { time: number; commit: boolean; tip: string }[] = [];
  for (const e of events) {
    if (e.type === 'producer-id-allocated' && e.transactionalId !== null) idOf.set(e.producerId, e.transactionalId);
    if (e.type !== 'txn-marker-written' || `${e.topic}-${e.partition}` !== partitionName) continue;
    marks.push({ time: e.time, commit: e.commit, tip: markerTip(e, idOf.get(e.producerId), partitionName) });
  }
  return marks;
}

function markerTip(e: MarkerWritten, transactionalId: string | undefined, partitionName: string): string {
  const who = transactionalId === undefined ? `producer id ${e.producerId}` : `${transactionalId} (producer id ${e.producerId})`;
  const held = e.firstOffset === -1 ? 'it wrote no records here' : `its records from offset ${e.firstOffset} are ${e.commit ? 'visible to' : 'skipped by'} read_committed readers`;
  return `${partitionName}: ${e.commit ? 'commit' : 'abort'} marker of ${who} at offset ${e.offset}, ${clockTime(e.time)}; ${held}`;
}
