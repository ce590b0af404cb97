/**
 * `simulate --html`: one self-contained page (inline CSS, inline SVG, no scripts or external
 * resources) with a timeline over virtual time: per partition, its leader and ISR; per group and
 * partition, the member that owns it in each generation; broker faults as vertical markers.
 * The markup is XHTML-clean (every element closed, attributes quoted) so it parses as XML too.
 */
import type { ClusterEvent } from '../../emulator/events.js';
import { clockTime, formatDuration, memberName } from './timeline.js';

/** What the page shows. */
export interface HtmlTimelineInput {
  title: string;
  description: string;
  seed: number;
  durationMs: number;
  topics: readonly { name: string; partitions: number; replicationFactor: number }[];
  groups: readonly { id: string; topics: readonly string[] }[];
  events: readonly ClusterEvent[];
  /** The plain-text timeline, shown under the picture. */
  text: readonly string[];
}

interface Segment {
  from: number;
  to: number;
  label: string;
  colorKey: string;
  tip: string;
  kind: 'leader' | 'offline' | 'owner' | 'idle' | 'isr-full' | 'isr-partial';
}

/** Escapes text for HTML and XML. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Builds the page. Pure: the same input gives the same bytes. */
export function renderHtml(input: HtmlTimelineInput): string {
  const { durationMs, events } = input;
  const end = Math.max(durationMs, 1);
  const lanes: { id: string; label: string; group: string; segments: Segment[]; isr: Segment[] }[] = [];

  // Partition lanes: leader segments and ISR segments.
  for (const t of input.topics) {
    for (let p = 0; p < t.partitions; p++) {
      const segments: Segment[] = [];
      const isr: Segment[] = [];
      let leader = { since: 0, leader: -1 };
      let inSync = { since: 0, isr: [] as readonly number[] };
      const closeLeader = (at: number) => {
        if (at > leader.since || at === end)
          segments.push(
            leader.leader === -1
              ? {
                  from: leader.since,
                  to: at,
                  label: 'offline',
                  colorKey: 'offline',
                  kind: 'offline',
                  tip: `${t.name}-${p} offline ${clockTime(leader.since)}-${clockTime(at)}`,
                }
              : {
                  from: leader.since,
                  to: at,
                  label: `B${leader.leader}`,
                  colorKey: `b${leader.leader}`,
                  kind: 'leader',
                  tip: `${t.name}-${p} leader broker ${leader.leader} ${clockTime(leader.since)}-${clockTime(at)}`,
                },
          );
      };
      const closeIsr = (at: number) => {
        if (at > inSync.since)
          isr.push({
            from: inSync.since,
            to: at,
            label: `[${inSync.isr.join(',')}]`,
            colorKey: '',
            kind: inSync.isr.length >= t.replicationFactor ? 'isr-full' : 'isr-partial',
            tip: `${t.name}-${p} ISR [${inSync.isr.join(',')}] ${clockTime(inSync.since)}-${clockTime(at)}`,
          });
      };
      for (const e of events) {
        if (!('topic' in e) || e.topic !== t.name || !('partition' in e) || e.partition !== p) continue;
        if (e.type === 'leader-changed' && e.leader !== leader.leader) {
          closeLeader(e.time);
          leader = { since: e.time, leader: e.leader };
        }
        if (e.type === 'leader-changed' || e.type === 'isr-shrunk' || e.type === 'isr-expanded') {
          if (e.isr.join(',') !== inSync.isr.join(',')) {
            closeIsr(e.time);
            inSync = { since: e.time, isr: e.isr };
          }
        }
      }
      closeLeader(end);
      closeIsr(end);
      lanes.push({ id: `partition ${t.name}-${p}`, label: `${t.name}-${p}`, group: 'Leader (and ISR below) per partition', segments, isr });
    }
  }

  // A coordinator move marks the group Dead on the old coordinator, but the new one loads it as it
  // was: members keep their partitions and generation, so such a Dead ends no ownership.
  const moves = new Set(events.filter((e) => e.type === 'group-coordinator-moved').map((e) => `${e.groupId}@${e.time}`));
  const endsOwnership = (e: ClusterEvent) =>
    e.type === 'group-state-changed' && e.to !== 'Stable' && e.to !== 'CompletingRebalance' && !(e.to === 'Dead' && moves.has(`${e.groupId}@${e.time}`));

  // Ownership lanes: from each group-assignment until the group starts rebalancing again.
  for (const g of input.groups) {
    for (const topic of g.topics) {
      const partitions = input.topics.find((t) => t.name === topic)?.partitions ?? 0;
      for (let p = 0; p < partitions; p++) {
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
              tip: `${g.id}: ${topic}-${p} owned by ${owner.member} in generation ${owner.generation}, ${clockTime(owner.since)}-${clockTime(at)}`,
            });
          owner = undefined;
        };
        for (const e of events) {
          if (!('groupId' in e) || e.groupId !== g.id) continue;
          if (e.type === 'group-assignment') {
            close(e.time);
            const a = e.assignments.find((x) => (x.partitions ?? []).some((tp) => tp.topic === topic && tp.partitions.includes(p)));
            if (a !== undefined) owner = { since: e.time, member: memberName(a.memberId), generation: e.generationId };
          } else if (endsOwnership(e)) {
            close(e.time);
          }
        }
        close(end);
        lanes.push({ id: `owner ${g.id} ${topic}-${p}`, label: `${topic}-${p}`, group: groupSection(g.id), segments, isr: [] });
      }
    }
  }

  // Idle members per group: those a generation gave no partition.
  for (const g of input.groups) {
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
          tip: `${g.id}: idle in generation ${idle.generation} (${clockTime(idle.since)}-${clockTime(at)}): ${idle.names.join(', ')}`,
        });
      idle = undefined;
    };
    for (const e of events) {
      if (!('groupId' in e) || e.groupId !== g.id) continue;
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
    lanes.push({ id: `idle ${g.id}`, label: 'idle members', group: groupSection(g.id), segments, isr: [] });
  }

  // Each group's idle lane goes right after its ownership lanes (sort is stable).
  const sections = [...new Set(lanes.map((l) => l.group))];
  lanes.sort((a, b) => sections.indexOf(a.group) - sections.indexOf(b.group));

  // Colours. Brokers and members have palettes of their own, and neither uses the ISR bar's green
  // or red, so a colour means one thing per section.
  const brokers = [...new Set(lanes.flatMap((l) => l.segments.filter((s) => s.kind === 'leader').map((s) => Number(s.colorKey.slice(1)))))].sort(
    (a, b) => a - b,
  );
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

  // Room for the longest lane label (about 6.5 px a character at 11 px), at least 170 px.
  const left = Math.max(170, Math.ceil(Math.max(...lanes.map((l) => l.label.length)) * 6.5) + 16);
  const plot = 900;
  const laneH = 22;
  const isrH = 6;
  const x = (ms: number) => (left + (Math.min(ms, end) / end) * plot).toFixed(1);

  // Broker faults: labels above the plot, in as many rows as it takes for none to overlap.
  const faults = events.filter(
    (e): e is Extract<ClusterEvent, { type: 'broker-stopped' | 'broker-started' | 'broker-isolated' | 'broker-healed' }> =>
      e.type === 'broker-stopped' || e.type === 'broker-started' || e.type === 'broker-isolated' || e.type === 'broker-healed',
  );
  const faultLabel = (e: (typeof faults)[number]) => `B${e.broker} ${e.type.slice('broker-'.length)}`;
  const faultRows = placeLabels(faults.map((e) => ({ x: Number(x(e.time)), text: faultLabel(e) })));
  const faultRowCount = faultRows.length === 0 ? 0 : Math.max(...faultRows) + 1;
  const top = 24 + faultRowCount * 13;

  const body: string[] = [];
  let y = top + 6;
  let currentGroup = '';
  const groupSpans = new Map<string, { from: number; to: number }>();
  for (const lane of lanes) {
    if (lane.group !== currentGroup) {
      currentGroup = lane.group;
      y += 14;
      body.push(`<text class="section" x="4" y="${y}">${escapeXml(lane.group)}</text>`);
      y += 8;
      const id = input.groups.find((g) => lane.group === groupSection(g.id))?.id;
      if (id !== undefined) {
        // Generation numbers over the group's lanes, where each generation's assignment arrived.
        const gens = events.filter((e): e is Extract<ClusterEvent, { type: 'group-assignment' }> => e.type === 'group-assignment' && e.groupId === id);
        const rows = placeLabels(gens.map((e) => ({ x: Number(x(e.time)), text: `gen ${e.generationId}` })));
        const n = rows.length === 0 ? 0 : Math.max(...rows) + 1;
        gens.forEach((e, i) => {
          body.push(
            `<text class="genlabel" x="${x(e.time)}" y="${y + 8 + rows[i]! * 12}" text-anchor="middle">gen ${e.generationId}<title>${escapeXml(`${id}: generation ${e.generationId} assigned at ${clockTime(e.time)}`)}</title></text>`,
          );
        });
        y += n * 12 + 10;
        groupSpans.set(lane.group, { from: y, to: y });
      }
    }
    body.push(`<g class="lane" data-lane="${escapeXml(lane.id)}">`);
    body.push(`<text class="label" x="${left - 6}" y="${y + 13}" text-anchor="end">${escapeXml(lane.label)}</text>`);
    body.push(`<rect class="track" x="${left}" y="${y}" width="${plot}" height="${laneH - 4}" />`);
    for (const s of lane.segments) {
      const x0 = Number(x(s.from));
      const w = Math.max(0.5, Number(x(s.to)) - x0);
      const fill = colors.get(s.colorKey)!;
      body.push(
        `<rect class="seg ${s.kind}" x="${x0.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${laneH - 4}" fill="${fill}"><title>${escapeXml(s.tip)}</title></rect>`,
      );
      if (w > 6.5 * s.label.length + 8)
        body.push(`<text class="seglabel" x="${(x0 + 4).toFixed(1)}" y="${y + 13}" style="fill:${labelInk(fill)}">${escapeXml(s.label)}</text>`);
    }
    // Unclean elections and truncations: where acknowledged records can be lost.
    const [, partitionName] = lane.id.split(' ');
    if (lane.id.startsWith('partition ')) {
      // Retention: one mark per pass (all replicas' deletions at one time), where the log start moved.
      const passes = new Map<number, { from: number; to: number }>();
      for (const e of events)
        if (e.type === 'segment-deleted' && `${e.topic}-${e.partition}` === partitionName) {
          const pass = passes.get(e.time);
          passes.set(e.time, { from: Math.min(pass?.from ?? e.baseOffset, e.baseOffset), to: Math.max(pass?.to ?? 0, e.logStartOffset) });
        }
      for (const [time, pass] of passes) {
        const cx = Number(x(time));
        body.push(
          `<path class="retention" d="M${(cx - 4).toFixed(1)} ${y + laneH - 4} l8 0 l-4 -7 z"><title>${escapeXml(`${partitionName}: retention deleted offsets [${pass.from}, ${pass.to}) at ${clockTime(time)}; log start offset now ${pass.to}`)}</title></path>`,
        );
      }
      for (const e of events) {
        if (!('topic' in e) || !('partition' in e) || `${e.topic}-${e.partition}` !== partitionName) continue;
        const tip =
          e.type === 'leader-changed' && e.election === 'unclean'
            ? `${partitionName}: unclean election at ${clockTime(e.time)}, broker ${e.leader} was out of sync`
            : e.type === 'log-truncated'
              ? `${partitionName}: broker ${e.broker} truncated ${e.records} record(s) at ${clockTime(e.time)}`
              : undefined;
        if (tip === undefined) continue;
        const cx = Number(x(e.time));
        body.push(
          `<path class="loss" d="M${cx.toFixed(1)} ${y - 3} l5 ${laneH / 2 - 1} l-5 ${laneH / 2 - 1} l-5 ${-(laneH / 2 - 1)} z"><title>${escapeXml(tip)}</title></path>`,
        );
      }
    }
    y += laneH - 4;
    for (const s of lane.isr) {
      const x0 = Number(x(s.from));
      const w = Math.max(0.5, Number(x(s.to)) - x0);
      body.push(
        `<rect class="seg ${s.kind}" x="${x0.toFixed(1)}" y="${y + 1}" width="${w.toFixed(1)}" height="${isrH}"><title>${escapeXml(s.tip)}</title></rect>`,
      );
    }
    y += lane.isr.length > 0 ? isrH + 6 : 6;
    body.push('</g>');
    const span = groupSpans.get(lane.group);
    if (span !== undefined) span.to = y - 6;
  }
  // Thin lines where each generation starts, across its group's lanes.
  for (const g of input.groups) {
    const span = groupSpans.get(groupSection(g.id));
    if (span === undefined) continue;
    for (const e of events)
      if (e.type === 'group-assignment' && e.groupId === g.id)
        body.push(`<line class="generation" x1="${x(e.time)}" y1="${span.from - 2}" x2="${x(e.time)}" y2="${span.to + 2}" />`);
  }
  const bottom = y + 6;
  // Axis: ticks at a round step of virtual time.
  const step = tickStep(end);
  const axis: string[] = [`<line class="axis" x1="${left}" y1="${bottom}" x2="${left + plot}" y2="${bottom}" />`];
  for (let t = 0; t <= end; t += step) {
    axis.push(`<line class="tick" x1="${x(t)}" y1="${top}" x2="${x(t)}" y2="${bottom}" />`);
    axis.push(`<text class="ticklabel" x="${x(t)}" y="${bottom + 14}" text-anchor="middle">${clockTime(t)}</text>`);
  }
  axis.push(`<text class="ticklabel" x="${left + plot / 2}" y="${bottom + 30}" text-anchor="middle">virtual time (mm:ss)</text>`);
  const markers = faults.map(
    (e, i) =>
      `<g class="fault" data-fault="${e.type.slice('broker-'.length)}"><line x1="${x(e.time)}" y1="${top - 10 - faultRows[i]! * 13}" x2="${x(e.time)}" y2="${bottom}" /><text x="${x(e.time)}" y="${top - 12 - faultRows[i]! * 13}" text-anchor="middle">${escapeXml(faultLabel(e))}</text><title>${escapeXml(`broker ${e.broker} ${e.type.slice('broker-'.length)} at ${clockTime(e.time)}`)}</title></g>`,
  );
  const height = bottom + 40;

  const key = (color: string, text: string, cls = 'swatch') =>
    `<span class="key"><span class="${cls}" style="background:${color}"></span>${escapeXml(text)}</span>`;
  const used = (kind: Segment['kind']) => lanes.some((l) => l.segments.some((s) => s.kind === kind) || l.isr.some((s) => s.kind === kind));
  const hasLoss = body.some((l) => l.startsWith('<path class="loss"'));
  const hasRetention = body.some((l) => l.startsWith('<path class="retention"'));
  const legend = [
    `<p class="legend"><b>Leader per partition:</b> ${brokers.map((b) => key(colors.get(`b${b}`)!, `broker ${b}`)).join(' ')}${used('offline') ? ` ${key(OFFLINE, 'offline: no in-sync replica running')}` : ''}${hasLoss ? ` <span class="key"><span class="diamond"></span>unclean election or truncation: acknowledged records may be lost</span>` : ''}${hasRetention ? ` <span class="key"><svg class="mark" width="10" height="9" viewBox="0 0 10 9"><path d="M1 8 l8 0 l-4 -7 z" fill="#fff" stroke="#222" /></svg>retention deleted old segments: the log start offset moved</span>` : ''}</p>`,
    `<p class="legend"><b>ISR bar under it:</b> ${key(ISR_FULL, 'every replica in sync')} ${key(ISR_PARTIAL, 'ISR shrunk: a replica stopped or fell behind')}</p>`,
  ];
  if (members.length > 0)
    legend.push(
      `<p class="legend"><b>Group members:</b> ${members.map((m) => key(colors.get(`m:${m}`)!, m)).join(' ')}${used('idle') ? ` ${key(IDLE, 'idle: no partition left for it')}` : ''} <span class="key">blank: nobody owns the partition (rebalancing, or the group is empty)</span></p>`,
    );

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<title>${escapeXml(input.title)} - kafka-twin simulate</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; }
svg text { font: 11px system-ui, sans-serif; fill: #222; }
svg .section { font-weight: bold; }
svg .track { fill: #f3f3f3; }
svg .genlabel { fill: #555; font-size: 10px; }
svg .generation { stroke: #555; stroke-width: 0.75; stroke-dasharray: 3 2; }
svg .isr-full { fill: ${ISR_FULL}; }
svg .isr-partial { fill: ${ISR_PARTIAL}; }
svg .loss { fill: #ffd400; stroke: #000; stroke-width: 1.2; }
svg .retention { fill: #fff; stroke: #222; stroke-width: 1; }
svg .axis, svg .tick { stroke: #999; stroke-width: 0.5; }
svg .tick { stroke-dasharray: 2 3; }
svg .fault line { stroke: #8e44ad; stroke-width: 1.5; }
svg text.ticklabel { fill: #555; }
svg .fault text { fill: #8e44ad; }
.legend { margin: 0.2em 0; }
.key { margin-right: 1em; white-space: nowrap; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em; vertical-align: middle; }
.mark { margin: 0 0.3em 0 0.1em; vertical-align: middle; }
.diamond { display: inline-block; width: 0.6em; height: 0.6em; margin: 0 0.4em 0 0.15em; vertical-align: middle; background: #ffd400; border: 1px solid #000; transform: rotate(45deg); }
pre { background: #f7f7f7; padding: 1em; white-space: pre-wrap; font-size: 12px; }
</style>
</head>
<body>
<h1>${escapeXml(input.title)}</h1>
<p>${escapeXml(input.description)}</p>
<p>Seed ${input.seed}; ${formatDuration(durationMs)} of virtual time. Hover over a bar for its details.</p>
${legend.join('\n')}
<svg xmlns="http://www.w3.org/2000/svg" id="timeline" width="${left + plot + 30}" height="${height}" viewBox="0 0 ${left + plot + 30} ${height}">
${axis.join('\n')}
${body.join('\n')}
${markers.join('\n')}
</svg>
<h2>Timeline</h2>
<pre>${escapeXml(input.text.join('\n'))}</pre>
</body>
</html>
`;
}

const OFFLINE = '#3c3c3c';
const IDLE = '#c7c7c7';
const ISR_FULL = '#59a14f';
const ISR_PARTIAL = '#e15759';
const BROKER_PALETTE = ['#4e79a7', '#f28e2b', '#8e6bbf', '#a0cbe8', '#ffbe7d', '#9c755f', '#79706e', '#d37295'];
const MEMBER_PALETTE = ['#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#4e79a7', '#f28e2b', '#bab0ac', '#86bcb6', '#d4a6c8'];

/** The heading of a group's section; also how its lanes are grouped. */
function groupSection(groupId: string): string {
  return `Group ${groupId}: owner per partition`;
}

/** Black or white, whichever reads better on `fill` (#rrggbb). */
function labelInk(fill: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(fill.slice(i, i + 2), 16));
  return 0.299 * r! + 0.587 * g! + 0.114 * b! > 150 ? '#222' : '#fff';
}

/** A round step for axis ticks: at most about ten ticks over `end` ms. */
function tickStep(end: number): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400].map((s) => s * 1000);
  return steps.find((s) => end / s <= 10) ?? Math.ceil(end / 10);
}

/**
 * Rows for labels centred at `x`, so that no two in one row overlap (about 6.2 px a character
 * at 11 px): the first row that has room, in order.
 */
function placeLabels(items: readonly { x: number; text: string }[]): number[] {
  const rowsEnd: number[] = [];
  return items.map(({ x, text }) => {
    const half = (text.length * 6.2) / 2 + 3;
    let row = rowsEnd.findIndex((e) => e <= x - half);
    if (row === -1) row = rowsEnd.push(0) - 1;
    rowsEnd[row] = x + half;
    return row;
  });
}
