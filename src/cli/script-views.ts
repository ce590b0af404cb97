/**
 * A script's steps that show the cluster's state: a topic's partition table, a partition's log,
 * a group's committed offsets or lag. With transactional producers in the script, offsets are
 * shown with the last stable offset (where read_committed reads stop) beside the high watermark.
 */
import { logLines } from './log-view.js';
import type { ScriptRun, ScriptStep } from './script.js';
import { lagRows, lastStableOffset, partitionTable } from './timeline.js';

/** Whether the script has transactional producers: its offset tables then show the last stable offset too. */
export const transactional = (r: ScriptRun) => [...r.producers.values()].some((p) => p.spec.transactionalId !== undefined);

export class Partitions implements ScriptStep {
  constructor(readonly topic: string) {}
  run(r: ScriptRun): void {
    for (const line of partitionTable(r.cluster, [this.topic], 'story', transactional(r))) r.timeline.write(line);
  }
  toString(): string {
    return `partitions: ${this.topic}`;
  }
}

export class Log implements ScriptStep {
  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}
  run(r: ScriptRun): void {
    for (const line of logLines(r.cluster, this.topic, this.partition)) r.timeline.write(line);
  }
  toString(): string {
    return `log: ${this.topic}-${this.partition}`;
  }
}

export class Offsets implements ScriptStep {
  constructor(
    readonly show: 'committed' | 'lag',
    readonly group: string,
  ) {}
  run(r: ScriptRun): void {
    const lso = transactional(r);
    for (const p of lagRows(r.cluster, this.group)) {
      const offsets = `high watermark ${p.highWatermark}${lso ? `, last stable offset ${lastStableOffset(r.cluster, p.topic, p.partition)}` : ''}`;
      r.timeline.write(`  ${p.topic}-${p.partition}: committed offset ${p.committedOffset}, ${this.show === 'lag' ? `lag ${p.lag}` : offsets}`);
    }
  }
  toString(): string {
    return `${this.show}: ${this.group}`;
  }
}
