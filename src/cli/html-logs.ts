/**
 * The page's log-size lanes: per partition, the leader's log over the run, its bytes as a shaded
 * area and its records as a line (each scaled to the partition's own largest), with a triangle
 * per retention pass and a circle per cleaning. Retention moves the log start; compaction leaves
 * the offsets and thins the log, so the two read differently here: both make the log smaller.
 */
import type { ClusterEvent } from '../../emulator/events.js';
import { escapeXml, retentionPasses } from './html-lanes.js';
import type { LogSizeSeries } from './log-view.js';
import { clockTime, formatBytes } from './timeline.js';

export const LOG_SECTION = 'Log size per partition (the leader: records, bytes)';
export const LOG_BYTES = '#a0cbe8';
export const LOG_RECORDS = '#1f4e79';

/** Where the lanes go on the page: x of a time, the plot's left edge and width. */
export interface LogGeometry {
  left: number;
  plot: number;
  x: (ms: number) => string;
}

const LANE_H = 34;
/** Room above the curves for the lane's scale. */
const HEADROOM = 11;

type Cleaning = Extract<ClusterEvent, { type: 'log-cleaned' }>;

/** Draws the section's heading and one lane per partition from `y`; returns the y below them. */
export function drawLogLanes(
  series: readonly LogSizeSeries[],
  events: readonly ClusterEvent[],
  g: LogGeometry,
  end: number,
  y: number,
  body: string[],
): number {
  if (series.length === 0) return y;
  y += 14;
  body.push(`<text class="section" x="4" y="${y}">${escapeXml(LOG_SECTION)}</text>`);
  y += 8;
  for (const s of series) y = drawLogLane(s, events, g, end, y, body);
  return y;
}

function drawLogLane(s: LogSizeSeries, events: readonly ClusterEvent[], g: LogGeometry, end: number, y: number, body: string[]): number {
  const name = `${s.topic}-${s.partition}`;
  const { left, plot } = g;
  const maxRecords = Math.max(1, ...s.samples.map((x) => x.records));
  const maxBytes = Math.max(1, ...s.samples.map((x) => x.bytes));
  const base = y + LANE_H - 4;
  const height = LANE_H - 4 - HEADROOM;
  const level = (value: number, max: number) => (base - (value / max) * height).toFixed(1);
  body.push(`<g class="lane" data-lane="${escapeXml(`log ${name}`)}">`);
  body.push(`<text class="label" x="${left - 6}" y="${y + 18}" text-anchor="end">${escapeXml(name)}</text>`);
  body.push(`<rect class="track" x="${left}" y="${y}" width="${plot}" height="${LANE_H - 4}" />`);
  if (s.samples.length > 0) {
    const last = s.samples[s.samples.length - 1]!;
    const tip = `${name}: the leader's log, at most ${maxRecords} record(s) and ${formatBytes(maxBytes)}; at the end ${last.records} record(s), ${formatBytes(last.bytes)}`;
    body.push(`<path class="logbytes" d="${steps(s, g, end, (x) => level(x.bytes, maxBytes), base.toFixed(1))}"><title>${escapeXml(tip)}</title></path>`);
    body.push(`<path class="logrecords" d="${steps(s, g, end, (x) => level(x.records, maxRecords))}"><title>${escapeXml(tip)}</title></path>`);
  }
  body.push(`<text class="logscale" x="${left + 4}" y="${y + 9}">${escapeXml(`up to ${maxRecords} records, ${formatBytes(maxBytes)}`)}</text>`);
  for (const pass of retentionPasses(events, name)) {
    const cx = Number(g.x(pass.time));
    const tip = `${name}: retention deleted offsets [${pass.from}, ${pass.logStartOffset}) at ${clockTime(pass.time)}; log start offset now ${pass.logStartOffset}`;
    body.push(`<path class="retention" d="M${(cx - 4).toFixed(1)} ${base} l8 0 l-4 -7 z"><title>${escapeXml(tip)}</title></path>`);
  }
  for (const [time, cleanings] of cleaningsOf(events, s)) {
    const what = (e: Cleaning) =>
      `below offset ${e.cleanedUpTo}, ${e.recordsBefore} → ${e.recordsAfter} records, ${formatBytes(e.bytesFreed)} freed${e.tombstonesRemoved > 0 ? `, ${e.tombstonesRemoved} tombstone(s) removed` : ''}${e.markersRemoved > 0 ? `, ${e.markersRemoved} transaction marker(s) removed` : ''}`;
    // Replicas usually clean alike; when they did not, each broker's numbers.
    const alike = cleanings.every((c) => what(c) === what(cleanings[0]!));
    const tip = alike
      ? `${name} cleaned at ${clockTime(time)} on broker ${cleanings.map((c) => c.broker).join(', ')}: ${what(cleanings[0]!)}`
      : `${name} cleaned at ${clockTime(time)}: ${cleanings.map((c) => `broker ${c.broker} ${what(c)}`).join('; ')}`;
    body.push(`<circle class="cleaning" cx="${g.x(time)}" cy="${y + HEADROOM}" r="3.5"><title>${escapeXml(tip)}</title></circle>`);
  }
  body.push('</g>');
  return y + LANE_H + 2;
}

/**
 * A step curve over the samples: each value holds until the next sample, the last until the end
 * of the run. With `floor`, a closed area down to it; otherwise a line.
 */
function steps(s: LogSizeSeries, g: LogGeometry, end: number, level: (x: LogSizeSeries['samples'][number]) => string, floor?: string): string {
  const first = s.samples[0]!;
  const parts = [floor === undefined ? `M${g.x(first.time)} ${level(first)}` : `M${g.x(first.time)} ${floor} V${level(first)}`];
  for (const x of s.samples.slice(1)) parts.push(`H${g.x(x.time)} V${level(x)}`);
  parts.push(`H${g.x(end)}`);
  if (floor !== undefined) parts.push(`V${floor} Z`);
  return parts.join(' ');
}

/** A partition's cleanings, those at one time (one per broker) together. */
function cleaningsOf(events: readonly ClusterEvent[], s: LogSizeSeries): Map<number, Cleaning[]> {
  const byTime = new Map<number, Cleaning[]>();
  for (const e of events) {
    if (e.type !== 'log-cleaned' || e.topic !== s.topic || e.partition !== s.partition) continue;
    const at = byTime.get(e.time) ?? [];
    at.push(e);
    byTime.set(e.time, at);
  }
  return byTime;
}
