/**
 * `--html`: one self-contained page (inline CSS, inline SVG, no scripts or external resources)
 * with a timeline over virtual time of the lanes html-lanes.ts folds from the event log: per
 * partition, its leader and ISR; per group and partition, the member that owns it in each
 * generation; broker faults as vertical markers. The markup is XHTML-clean (every element closed,
 * attributes quoted) so it parses as XML too.
 */
import type { ClusterEvent } from '../../emulator/events.js';
import {
  IDLE,
  ISR_FULL,
  ISR_PARTIAL,
  OFFLINE,
  PARTITION_SECTION,
  TXN_ABORT,
  TXN_COMMIT,
  escapeXml,
  foldLanes,
  groupSection,
  lossMarks,
  paletteOf,
  retentionPasses,
  txnMarks,
  type Lane,
  type Palette,
  type Segment,
} from './html-lanes.js';
import { LOG_BYTES, LOG_RECORDS, drawLogLanes } from './html-logs.js';
import type { LogSizeSeries } from './log-view.js';
import { clockTime, formatDuration } from './timeline.js';

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
  /** Each partition's log size over the run, drawn in lanes of its own (none without). */
  logSizes?: readonly LogSizeSeries[];
}

export { escapeXml };

/** Builds the page. Pure: the same input gives the same bytes. */
export function renderHtml(input: HtmlTimelineInput): string {
  const end = Math.max(input.durationMs, 1);
  const lanes = foldLanes(input, end);
  const palette = paletteOf(lanes);
  const g = geometryOf(lanes, end);
  const faults = placeFaults(input.events, g);
  const drawn = drawLanes(lanes, input, g, palette, faults.top);
  const bottom = drawn.bottom;
  // Axis first, so lanes and markers are drawn over its ticks; one block of lines each.
  const svg = [drawAxis(g, faults.top, bottom), drawn.body, drawFaults(faults, g, bottom)].map((lines) => lines.join('\n'));
  return pageMarkup(input, drawLegend(lanes, palette, drawn.body), svg, g.left + g.plot + 30, bottom + 40);
}

/** Sizes, and where a point of time falls on the x axis. */
interface Geometry {
  end: number;
  left: number;
  plot: number;
  laneH: number;
  isrH: number;
  x: (ms: number) => string;
}

function geometryOf(lanes: readonly Lane[], end: number): Geometry {
  // Room for the longest lane label (about 6.5 px a character at 11 px), at least 170 px.
  const left = Math.max(170, Math.ceil(Math.max(...lanes.map((l) => l.label.length)) * 6.5) + 16);
  const plot = 900;
  return { end, left, plot, laneH: 22, isrH: 6, x: (ms) => (left + (Math.min(ms, end) / end) * plot).toFixed(1) };
}

type BrokerFault = Extract<ClusterEvent, { type: 'broker-stopped' | 'broker-started' | 'broker-isolated' | 'broker-healed' }>;

/** Broker faults: labels above the plot, in as many rows as it takes for none to overlap; `top` is where the plot starts. */
function placeFaults(events: readonly ClusterEvent[], g: Geometry): { faults: BrokerFault[]; rows: number[]; top: number } {
  const faults = events.filter(
    (e): e is BrokerFault => e.type === 'broker-stopped' || e.type === 'broker-started' || e.type === 'broker-isolated' || e.type === 'broker-healed',
  );
  const rows = placeLabels(faults.map((e) => ({ x: Number(g.x(e.time)), text: faultLabel(e) })));
  const rowCount = rows.length === 0 ? 0 : Math.max(...rows) + 1;
  return { faults, rows, top: 24 + rowCount * 13 };
}

const faultLabel = (e: BrokerFault) => `B${e.broker} ${e.type.slice('broker-'.length)}`;

/** Every lane top to bottom, a heading per section, and the generation lines across each group's lanes. */
function drawLanes(lanes: readonly Lane[], input: HtmlTimelineInput, g: Geometry, palette: Palette, top: number): { body: string[]; bottom: number } {
  const body: string[] = [];
  let y = top + 6;
  let currentGroup = '';
  const groupSpans = new Map<string, { from: number; to: number }>();
  // The log-size lanes go right under the partitions' leader lanes.
  let logsDrawn = false;
  const drawLogs = () => {
    if (!logsDrawn) y = drawLogLanes(input.logSizes ?? [], input.events, g, g.end, y, body);
    logsDrawn = true;
  };
  for (const lane of lanes) {
    if (lane.group !== currentGroup) {
      if (currentGroup === PARTITION_SECTION) drawLogs();
      currentGroup = lane.group;
      y += 14;
      body.push(`<text class="section" x="4" y="${y}">${escapeXml(lane.group)}</text>`);
      y += 8;
      const id = input.groups.find((grp) => lane.group === groupSection(grp.id))?.id;
      if (id !== undefined) {
        y = drawGenerationLabels(id, input.events, g, y, body);
        groupSpans.set(lane.group, { from: y, to: y });
      }
    }
    y = drawLane(lane, input.events, g, palette, y, body);
    const span = groupSpans.get(lane.group);
    if (span !== undefined) span.to = y - 6;
  }
  drawLogs();
  // Thin lines where each generation starts, across its group's lanes.
  for (const grp of input.groups) {
    const span = groupSpans.get(groupSection(grp.id));
    if (span === undefined) continue;
    for (const e of input.events)
      if (e.type === 'group-assignment' && e.groupId === grp.id)
        body.push(`<line class="generation" x1="${g.x(e.time)}" y1="${span.from - 2}" x2="${g.x(e.time)}" y2="${span.to + 2}" />`);
  }
  return { body, bottom: y + 6 };
}

/** Generation numbers over a group's lanes, where each generation's assignment arrived; returns the y below them. */
function drawGenerationLabels(groupId: string, events: readonly ClusterEvent[], g: Geometry, y: number, body: string[]): number {
  const gens = events.filter((e): e is Extract<ClusterEvent, { type: 'group-assignment' }> => e.type === 'group-assignment' && e.groupId === groupId);
  const rows = placeLabels(gens.map((e) => ({ x: Number(g.x(e.time)), text: `gen ${e.generationId}` })));
  const n = rows.length === 0 ? 0 : Math.max(...rows) + 1;
  gens.forEach((e, i) => {
    const tip = escapeXml(`${groupId}: generation ${e.generationId} assigned at ${clockTime(e.time)}`);
    body.push(`<text class="genlabel" x="${g.x(e.time)}" y="${y + 8 + rows[i]! * 12}" text-anchor="middle">gen ${e.generationId}<title>${tip}</title></text>`);
  });
  return y + n * 12 + 10;
}

/** One lane at `y`: its label, track, segments (labelled where they fit), marks and ISR bar; returns the y of the next. */
function drawLane(lane: Lane, events: readonly ClusterEvent[], g: Geometry, palette: Palette, y: number, body: string[]): number {
  const { left, plot, laneH, isrH } = g;
  body.push(`<g class="lane" data-lane="${escapeXml(lane.id)}">`);
  body.push(`<text class="label" x="${left - 6}" y="${y + 13}" text-anchor="end">${escapeXml(lane.label)}</text>`);
  body.push(`<rect class="track" x="${left}" y="${y}" width="${plot}" height="${laneH - 4}" />`);
  for (const s of lane.segments) {
    const [x0, w] = extent(s, g);
    const fill = palette.colors.get(s.colorKey)!;
    body.push(
      `<rect class="seg ${s.kind}" x="${x0.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${laneH - 4}" fill="${fill}"><title>${escapeXml(s.tip)}</title></rect>`,
    );
    if (w > 6.5 * s.label.length + 8) body.push(`<text class="seglabel" x="${(x0 + 4).toFixed(1)}" y="${y + 13}" style="fill:${labelInk(fill)}">${escapeXml(s.label)}</text>`);
  }
  if (lane.id.startsWith('partition ')) drawPartitionMarks(lane.id.split(' ')[1]!, events, g, y, body);
  y += laneH - 4;
  for (const s of lane.isr) {
    const [x0, w] = extent(s, g);
    body.push(`<rect class="seg ${s.kind}" x="${x0.toFixed(1)}" y="${y + 1}" width="${w.toFixed(1)}" height="${isrH}"><title>${escapeXml(s.tip)}</title></rect>`);
  }
  y += lane.isr.length > 0 ? isrH + 6 : 6;
  body.push('</g>');
  return y;
}

/** Where a segment starts and how wide it is (at least half a pixel, so an instant still shows). */
function extent(s: Segment, g: Geometry): [number, number] {
  const x0 = Number(g.x(s.from));
  return [x0, Math.max(0.5, Number(g.x(s.to)) - x0)];
}

/**
 * On a partition's lane: a triangle per retention pass, a diamond where acknowledged records may
 * be lost, and a bar where a transaction's commit or abort marker was written.
 */
function drawPartitionMarks(partitionName: string, events: readonly ClusterEvent[], g: Geometry, y: number, body: string[]): void {
  const { laneH } = g;
  for (const m of txnMarks(events, partitionName)) {
    const cx = Number(g.x(m.time));
    body.push(`<rect class="${m.commit ? 'txn-commit' : 'txn-abort'}" x="${(cx - 2).toFixed(1)}" y="${y}" width="4" height="${laneH - 4}"><title>${escapeXml(m.tip)}</title></rect>`);
  }
  for (const pass of retentionPasses(events, partitionName)) {
    const cx = Number(g.x(pass.time));
    const tip = `${partitionName}: retention deleted offsets [${pass.from}, ${pass.logStartOffset}) at ${clockTime(pass.time)}; log start offset now ${pass.logStartOffset}`;
    body.push(`<path class="retention" d="M${(cx - 4).toFixed(1)} ${y + laneH - 4} l8 0 l-4 -7 z"><title>${escapeXml(tip)}</title></path>`);
  }
  for (const { time, tip } of lossMarks(events, partitionName)) {
    const cx = Number(g.x(time));
    const half = laneH / 2 - 1;
    body.push(`<path class="loss" d="M${cx.toFixed(1)} ${y - 3} l5 ${half} l-5 ${half} l-5 ${-half} z"><title>${escapeXml(tip)}</title></path>`);
  }
}

/** The time axis: ticks at a round step of virtual time. */
function drawAxis(g: Geometry, top: number, bottom: number): string[] {
  const { left, plot, end, x } = g;
  const axis: string[] = [`<line class="axis" x1="${left}" y1="${bottom}" x2="${left + plot}" y2="${bottom}" />`];
  const step = tickStep(end);
  for (let t = 0; t <= end; t += step) {
    axis.push(`<line class="tick" x1="${x(t)}" y1="${top}" x2="${x(t)}" y2="${bottom}" />`);
    axis.push(`<text class="ticklabel" x="${x(t)}" y="${bottom + 14}" text-anchor="middle">${clockTime(t)}</text>`);
  }
  axis.push(`<text class="ticklabel" x="${left + plot / 2}" y="${bottom + 30}" text-anchor="middle">virtual time (mm:ss)</text>`);
  return axis;
}

/** A vertical marker per broker fault, its label in its row above the plot. */
function drawFaults({ faults, rows, top }: ReturnType<typeof placeFaults>, g: Geometry, bottom: number): string[] {
  return faults.map((e, i) => {
    const what = e.type.slice('broker-'.length);
    const line = `<line x1="${g.x(e.time)}" y1="${top - 10 - rows[i]! * 13}" x2="${g.x(e.time)}" y2="${bottom}" />`;
    const label = `<text x="${g.x(e.time)}" y="${top - 12 - rows[i]! * 13}" text-anchor="middle">${escapeXml(faultLabel(e))}</text>`;
    return `<g class="fault" data-fault="${what}">${line}${label}<title>${escapeXml(`broker ${e.broker} ${what} at ${clockTime(e.time)}`)}</title></g>`;
  });
}

/** A legend per section, listing only what the picture uses. */
function drawLegend(lanes: readonly Lane[], { colors, brokers, members }: Palette, body: readonly string[]): string[] {
  const key = (color: string, text: string, cls = 'swatch') => `<span class="key"><span class="${cls}" style="background:${color}"></span>${escapeXml(text)}</span>`;
  const used = (kind: Segment['kind']) => lanes.some((l) => l.segments.some((s) => s.kind === kind) || l.isr.some((s) => s.kind === kind));
  const hasLoss = body.some((l) => l.startsWith('<path class="loss"'));
  const hasRetention = body.some((l) => l.startsWith('<path class="retention"'));
  const hasCommit = body.some((l) => l.startsWith('<rect class="txn-commit"'));
  const hasAbort = body.some((l) => l.startsWith('<rect class="txn-abort"'));
  const hasLogs = body.some((l) => l.startsWith('<path class="logbytes"'));
  const hasCleaning = body.some((l) => l.startsWith('<circle class="cleaning"'));
  const offline = used('offline') ? ` ${key(OFFLINE, 'offline: no in-sync replica running')}` : '';
  const loss = hasLoss ? ` <span class="key"><span class="diamond"></span>unclean election or truncation: acknowledged records may be lost</span>` : '';
  const retention = hasRetention
    ? ` <span class="key"><svg class="mark" width="10" height="9" viewBox="0 0 10 9"><path d="M1 8 l8 0 l-4 -7 z" fill="#fff" stroke="#222" /></svg>retention deleted old segments: the log start offset moved</span>`
    : '';
  const commit = hasCommit ? ` ${key(TXN_COMMIT, 'commit marker: a transaction committed, read_committed readers see its records', 'bar')}` : '';
  const abort = hasAbort ? ` ${key(TXN_ABORT, 'abort marker: a transaction aborted, read_committed readers skip its records', 'bar')}` : '';
  const legend = [
    `<p class="legend"><b>Leader per partition:</b> ${brokers.map((b) => key(colors.get(`b${b}`)!, `broker ${b}`)).join(' ')}${offline}${loss}${retention}${commit}${abort}</p>`,
    `<p class="legend"><b>ISR bar under it:</b> ${key(ISR_FULL, 'every replica in sync')} ${key(ISR_PARTIAL, 'ISR shrunk: a replica stopped or fell behind')}</p>`,
  ];
  if (hasLogs) {
    const cleaning = hasCleaning
      ? ` <span class="key"><svg class="mark" width="9" height="9" viewBox="0 0 9 9"><circle cx="4.5" cy="4.5" r="3.5" fill="#fff" stroke="${LOG_RECORDS}" stroke-width="1.5" /></svg>cleaned: the latest record per key kept (compaction)</span>`
      : '';
    legend.push(
      `<p class="legend"><b>Log size per partition:</b> ${key(LOG_BYTES, 'bytes')} <span class="key"><span class="line" style="background:${LOG_RECORDS}"></span>records</span> <span class="key">(each scaled to its partition's largest)</span>${cleaning}</p>`,
    );
  }
  if (members.length > 0) {
    const idle = used('idle') ? ` ${key(IDLE, 'idle: no partition left for it')}` : '';
    legend.push(
      `<p class="legend"><b>Group members:</b> ${members.map((m) => key(colors.get(`m:${m}`)!, m)).join(' ')}${idle} <span class="key">blank: nobody owns the partition (rebalancing, or the group is empty)</span></p>`,
    );
  }
  return legend;
}

/** The page around the picture: styles, heading, legend, the SVG and the text timeline. */
function pageMarkup(input: HtmlTimelineInput, legend: readonly string[], svg: readonly string[], width: number, height: number): string {
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
svg .txn-commit { fill: ${TXN_COMMIT}; }
svg .txn-abort { fill: ${TXN_ABORT}; }
svg .logbytes { fill: ${LOG_BYTES}; }
svg .logrecords { fill: none; stroke: ${LOG_RECORDS}; stroke-width: 1.5; }
svg .logscale { fill: #555; font-size: 9px; }
svg .cleaning { fill: #fff; stroke: ${LOG_RECORDS}; stroke-width: 1.5; }
svg .axis, svg .tick { stroke: #999; stroke-width: 0.5; }
svg .tick { stroke-dasharray: 2 3; }
svg .fault line { stroke: #8e44ad; stroke-width: 1.5; }
svg text.ticklabel { fill: #555; }
svg .fault text { fill: #8e44ad; }
.legend { margin: 0.2em 0; }
.key { margin-right: 1em; white-space: nowrap; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em; vertical-align: middle; }
.mark { margin: 0 0.3em 0 0.1em; vertical-align: middle; }
.bar { display: inline-block; width: 0.3em; height: 1em; margin: 0 0.4em 0 0.2em; vertical-align: middle; }
.line { display: inline-block; width: 1.2em; height: 2px; margin-right: 0.3em; vertical-align: middle; }
.diamond { display: inline-block; width: 0.6em; height: 0.6em; margin: 0 0.4em 0 0.15em; vertical-align: middle; background: #ffd400; border: 1px solid #000; transform: rotate(45deg); }
pre { background: #f7f7f7; padding: 1em; white-space: pre-wrap; font-size: 12px; }
</style>
</head>
<body>
<h1>${escapeXml(input.title)}</h1>
<p>${escapeXml(input.description)}</p>
<p>Seed ${input.seed}; ${formatDuration(input.durationMs)} of virtual time. Hover over a bar for its details.</p>
${legend.join('\n')}
<svg xmlns="http://www.w3.org/2000/svg" id="timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
${svg.join('\n')}
</svg>
<h2>Timeline</h2>
<pre>${escapeXml(input.text.join('\n'))}</pre>
</body>
</html>
`;
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
