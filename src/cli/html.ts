/**
 * `simulate --html`: one self-contained page (inline CSS, inline SVG, no scripts or external
 * resources) with a timeline over virtual time: per partition, its leader and ISR; per group and
 * partition, the member that owns it in each generation; broker faults as vertical markers.
 * The markup is XHTML-clean (every element closed, attributes quoted) so it parses as XML too.
 */
import type { ClusterEvent } from '../../emulator/events.js';
import { clockTime } from './demo.js';
import { formatDuration, memberName } from './simulate.js';

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

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac', '#e15759'];

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
          } else if (e.type === 'group-state-changed' && e.to !== 'Stable' && e.to !== 'CompletingRebalance') {
            close(e.time);
          }
        }
        close(end);
        lanes.push({ id: `owner ${g.id} ${topic}-${p}`, label: `${topic}-${p}`, group: `Group ${g.id}: owner per partition`, segments, isr: [] });
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
      } else if (e.type === 'group-state-changed' && e.to !== 'Stable' && e.to !== 'CompletingRebalance') close(e.time);
    }
    close(end);
    lanes.push({ id: `idle ${g.id}`, label: 'idle members', group: `Group ${g.id}: owner per partition`, segments, isr: [] });
  }

  // Each group's idle lane goes right after its ownership lanes (sort is stable).
  const sections = [...new Set(lanes.map((l) => l.group))];
  lanes.sort((a, b) => sections.indexOf(a.group) - sections.indexOf(b.group));

  // Colours: brokers and members in order of first appearance.
  const colors = new Map<string, string>([
    ['offline', '#d62728'],
    ['idle', '#9e9e9e'],
  ]);
  const colorOf = (key: string) => {
    if (!colors.has(key)) colors.set(key, PALETTE[(colors.size - 2) % PALETTE.length]!);
    return colors.get(key)!;
  };

  const left = 170;
  const plot = 900;
  const laneH = 22;
  const isrH = 6;
  const x = (ms: number) => (left + (Math.min(ms, end) / end) * plot).toFixed(1);
  const body: string[] = [];
  let y = 30;
  let currentGroup = '';
  for (const lane of lanes) {
    if (lane.group !== currentGroup) {
      currentGroup = lane.group;
      y += 14;
      body.push(`<text class="section" x="4" y="${y}">${escapeXml(lane.group)}</text>`);
      y += 8;
    }
    body.push(`<g class="lane" data-lane="${escapeXml(lane.id)}">`);
    body.push(`<text class="label" x="${left - 6}" y="${y + 15}" text-anchor="end">${escapeXml(lane.label)}</text>`);
    body.push(`<rect class="track" x="${left}" y="${y}" width="${plot}" height="${laneH - 4}" />`);
    for (const s of lane.segments) {
      const x0 = Number(x(s.from));
      const w = Math.max(0.5, Number(x(s.to)) - x0);
      const fill = colorOf(s.colorKey);
      body.push(
        `<rect class="seg ${s.kind}" x="${x0.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${laneH - 4}" fill="${fill}"><title>${escapeXml(s.tip)}</title></rect>`,
      );
      if (w > 8 * s.label.length) body.push(`<text class="seglabel" x="${(x0 + 4).toFixed(1)}" y="${y + 13}">${escapeXml(s.label)}</text>`);
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
  }
  const top = 24;
  const bottom = y + 6;
  // Axis and fault markers.
  const axis: string[] = [`<line class="axis" x1="${left}" y1="${bottom}" x2="${left + plot}" y2="${bottom}" />`];
  const ticks = 10;
  for (let i = 0; i <= ticks; i++) {
    const t = Math.round((end * i) / ticks);
    axis.push(`<line class="tick" x1="${x(t)}" y1="${top}" x2="${x(t)}" y2="${bottom}" />`);
    axis.push(`<text class="ticklabel" x="${x(t)}" y="${bottom + 14}" text-anchor="middle">${clockTime(t)}</text>`);
  }
  const markers: string[] = [];
  for (const e of events) {
    if (e.type === 'broker-stopped' || e.type === 'broker-started' || e.type === 'broker-isolated' || e.type === 'broker-healed') {
      const verb = e.type.slice('broker-'.length);
      markers.push(
        `<g class="fault" data-fault="${verb}"><line x1="${x(e.time)}" y1="${top - 10}" x2="${x(e.time)}" y2="${bottom}" /><text x="${x(e.time)}" y="${top - 12}" text-anchor="middle">B${e.broker} ${verb}</text><title>${escapeXml(`broker ${e.broker} ${verb} at ${clockTime(e.time)}`)}</title></g>`,
      );
    }
  }
  const height = bottom + 24;
  const legend = [...colors]
    .filter(([k]) => (k !== 'offline' && k !== 'idle') || lanes.some((l) => l.segments.some((s) => s.kind === k)))
    .map(
      ([k, c]) =>
        `<span class="key"><span class="swatch" style="background:${c}"></span>${escapeXml(k === 'offline' ? 'offline (no leader)' : k === 'idle' ? 'idle members' : k.startsWith('b') ? `broker ${k.slice(1)}` : k.slice(2))}</span>`,
    )
    .join(' ');

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<title>${escapeXml(input.title)} - kafka-twin simulate</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; }
svg text { font: 11px system-ui, sans-serif; }
svg .section { font-weight: bold; }
svg .track { fill: #f3f3f3; }
svg .seglabel { fill: #fff; }
svg .isr-full { fill: #59a14f; }
svg .isr-partial { fill: #e15759; }
svg .axis, svg .tick { stroke: #999; stroke-width: 0.5; }
svg .tick { stroke-dasharray: 2 3; }
svg .fault line { stroke: #8e44ad; stroke-width: 1.5; }
svg .fault text { fill: #8e44ad; }
.key { margin-right: 1em; white-space: nowrap; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em; vertical-align: middle; }
pre { background: #f7f7f7; padding: 1em; overflow-x: auto; font-size: 12px; }
</style>
</head>
<body>
<h1>${escapeXml(input.title)}</h1>
<p>${escapeXml(input.description)}</p>
<p>Seed ${input.seed}; ${formatDuration(durationMs)} of virtual time. Bars under each partition: ISR, <span style="color:#59a14f">green</span> when every replica is in sync, <span style="color:#e15759">red</span> when some are not. Hover for details.</p>
<p class="legend">${legend}</p>
<svg xmlns="http://www.w3.org/2000/svg" id="timeline" width="${left + plot + 20}" height="${height}" viewBox="0 0 ${left + plot + 20} ${height}">
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
