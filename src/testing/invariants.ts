/**
 * Invariants over a trace. Each returns `undefined` when it holds and a readable message when not.
 */
import type { Delivery, Trace, TraceRecord } from './trace.js';

/** A named check of a trace. */
export interface Invariant {
  /** Short name, used in failure reports. */
  readonly name: string;
  /** `undefined` when the trace satisfies it, otherwise what went wrong. */
  check(trace: Trace): string | undefined;
}

const MAX_LISTED = 5;
const at = (topic: string, partition: number, offset: number) => `${topic}-${partition}@${offset}`;
const who = (d: Delivery) => `instance ${d.instance} (generation ${d.generationId})`;
const list = (items: readonly string[]) => items.slice(0, MAX_LISTED).join('; ') + (items.length > MAX_LISTED ? `; ... ${items.length - MAX_LISTED} more` : '');

function completedOffsets(trace: Trace): Map<string, number> {
  // For each input record, the seq at which it was first processed.
  const first = new Map<string, number>();
  for (const d of trace.deliveries) {
    if (d.completedSeq === undefined) continue;
    const k = `${d.partition}:${d.offset}`;
    if (!first.has(k) || first.get(k)! > d.completedSeq) first.set(k, d.completedSeq);
  }
  return first;
}

/** Every record of the input topic was processed (its handler returned) at least once. */
export const processedAtLeastOnce: Invariant = {
  name: 'processed at least once',
  check(trace) {
    const done = completedOffsets(trace);
    const missing = trace.inputs.filter((r) => !done.has(`${r.partition}:${r.offset}`));
    if (missing.length === 0) return undefined;
    const describe = (r: TraceRecord) => {
      const tries = trace.deliveries.filter((d) => d.partition === r.partition && d.offset === r.offset);
      const how = tries.length === 0 ? 'never delivered' : `delivered to ${tries.map((d) => `${who(d)}${d.crashed ? ' which crashed' : d.error ? ` which threw "${d.error}"` : ''}`).join(', ')}`;
      return `${at(r.topic, r.partition, r.offset)} (${r.key}=${r.value}) ${how}; committed offset at the end ${trace.finalCommitted.get(r.partition) ?? 'none'}`;
    };
    return `${missing.length} of ${trace.inputs.length} input records were never processed: ${list(missing.map(describe))}`;
  },
};

/** After every (re)start of a partition's consumption, the first offset delivered is at or below the committed offset: nothing is skipped. */
export const noGapsAfterRestart: Invariant = {
  name: 'no gaps after a restart',
  check(trace) {
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const d of trace.deliveries) {
      const span = `${d.instance}/${d.memberId}/${d.generationId}/${d.partition}`;
      if (seen.has(span)) continue;
      seen.add(span);
      let committed = 0;
      let commitSeq = -1;
      for (const c of trace.commits) {
        if (c.seq > d.seq) break;
        for (const o of c.offsets) if (o.partition === d.partition) ((committed = o.offset), (commitSeq = c.seq));
      }
      if (d.offset > committed) {
        problems.push(`${who(d)} started partition ${d.partition} at offset ${d.offset} but the committed offset was ${committed}${commitSeq < 0 ? ' (none: earliest)' : ''}: offsets ${committed}..${d.offset - 1} skipped`);
      }
    }
    return problems.length === 0 ? undefined : `consumption resumed past the committed offset: ${list(problems)}`;
  },
};

/** Within each member's ownership of a partition, offsets are delivered in order, one after another (a message that threw may be retried). */
export const orderPerPartition: Invariant = {
  name: 'order per partition',
  check(trace) {
    const last = new Map<string, Delivery>();
    const problems: string[] = [];
    for (const d of trace.deliveries) {
      const span = `${d.instance}/${d.memberId}/${d.generationId}/${d.partition}`;
      const prev = last.get(span);
      last.set(span, d);
      if (prev === undefined || d.offset === prev.offset + 1) continue;
      if (prev.error !== undefined && d.offset <= prev.offset) continue;
      problems.push(`${who(d)} got ${at(d.topic, d.partition, d.offset)} right after offset ${prev.offset}`);
    }
    return problems.length === 0 ? undefined : `records of a partition were delivered out of order or with holes: ${list(problems)}`;
  },
};

/** No partition is assigned to two members of one generation, nor delivered to two members tagged with the same generation. */
export const noDoubleOwnership: Invariant = {
  name: 'no partition owned twice in a generation',
  check(trace) {
    const problems: string[] = [];
    for (const g of trace.generations) {
      const owner = new Map<number, string>();
      for (const a of g.assignments) {
        for (const p of a.partitions) {
          if (owner.has(p)) problems.push(`generation ${g.generationId} assigns partition ${p} to ${owner.get(p)} and to ${a.memberId}`);
          owner.set(p, a.memberId);
        }
      }
    }
    const consumers = new Map<string, Set<string>>();
    for (const d of trace.deliveries) {
      if (d.generationId < 0) continue;
      const k = `${d.generationId}/${d.partition}`;
      const set = consumers.get(k) ?? new Set<string>();
      set.add(`instance ${d.instance}`);
      consumers.set(k, set);
    }
    for (const [k, set] of consumers) {
      if (set.size > 1) {
        const [g, p] = k.split('/');
        problems.push(`partition ${p} was consumed by ${[...set].join(' and ')} in generation ${g}`);
      }
    }
    return problems.length === 0 ? undefined : list(problems);
  },
};

/**
 * A committed offset is never ahead of processing: when offset N is committed, every record below N has been processed
 * (or is being processed by the committing instance's handler, which then returns).
 */
export const committedNotAhead: Invariant = {
  name: 'committed offset not ahead of processing',
  check(trace) {
    const done = completedOffsets(trace);
    const byPartition = new Map<number, number[]>();
    for (const r of trace.inputs) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r.offset]);
    const problems: string[] = [];
    for (const c of trace.commits) {
      for (const { partition, offset } of c.offsets) {
        // A record counts as processed at a commit when its handler had returned, or when the committing instance was
        // running its handler then and that call later returned (a handler committing its own record as its last act).
        const inFlight = (o: number) =>
          trace.deliveries.some((d) => d.partition === partition && d.offset === o && d.instance === c.instance && d.seq < c.seq && d.completedSeq !== undefined);
        const pending = (byPartition.get(partition) ?? []).filter((o) => o < offset && !((done.get(`${partition}:${o}`) ?? Infinity) < c.seq) && !inFlight(o));
        if (pending.length > 0) {
          problems.push(
            `instance ${c.instance ?? '?'} (generation ${c.generationId}) committed partition ${partition} at offset ${offset} at ${c.time} ms while offset${pending.length > 1 ? 's' : ''} ${pending.join(', ')} ${pending.length > 1 ? 'were' : 'was'} not processed yet`,
          );
        }
      }
    }
    return problems.length === 0 ? undefined : list(problems);
  },
};

/** A record of the expected output. */
export interface ExpectedRecord {
  readonly key: string | null;
  readonly value: string | null;
}

/** A pure model of a deterministic processor: the input records (by partition, then offset) to the output it should produce. */
export type OutputModel = (inputs: readonly TraceRecord[]) => readonly ExpectedRecord[];

/** Options of {@link outputMatchesModel}. */
export interface OutputMatchesModelOptions {
  /**
   * Which view of the output topic is compared: what a `read_committed` consumer sees (no record of
   * an aborted or open transaction), or a `read_uncommitted` one (every record in the log). The
   * two differ only for transactional producers.
   * @defaultValue 'read_committed'
   */
  view?: 'read_committed' | 'read_uncommitted';
  /**
   * `set`: the output holds exactly the model's records, duplicates allowed (at-least-once);
   * `exact`: the same records the same number of times (exactly-once).
   * @defaultValue 'set'
   */
  compare?: 'set' | 'exact';
}

/** The output topic holds what the pure `model` says the processor produces for the inputs. */
export function outputMatchesModel(model: OutputModel, options: OutputMatchesModelOptions = {}): Invariant {
  const { compare = 'set', view = 'read_committed' } = options;
  return {
    name: 'output equals the model',
    check(trace) {
      const fmt = (r: ExpectedRecord) => `${r.key}=${r.value}`;
      const count = (rs: readonly ExpectedRecord[]) => {
        const m = new Map<string, number>();
        for (const r of rs) m.set(fmt(r), (m.get(fmt(r)) ?? 0) + 1);
        return m;
      };
      const expected = count(model(trace.inputs));
      const outputs = view === 'read_committed' ? trace.committedOutputs : trace.outputs;
      const actual = count(outputs);
      const missing: string[] = [];
      const extra: string[] = [];
      for (const [k, n] of expected) {
        const got = actual.get(k) ?? 0;
        if (got === 0 || (compare === 'exact' && got < n)) missing.push(compare === 'exact' ? `${k} (x${n - got})` : k);
      }
      for (const [k, n] of actual) {
        const want = expected.get(k) ?? 0;
        if (want === 0 || (compare === 'exact' && n > want)) extra.push(compare === 'exact' ? `${k} (x${n - want})` : k);
      }
      if (missing.length === 0 && extra.length === 0) return undefined;
      const parts = [];
      if (missing.length > 0) parts.push(`missing ${missing.length}: ${list(missing)}`);
      if (extra.length > 0) parts.push(`unexpected ${extra.length}: ${list(extra)}`);
      return `the output topic differs from the model (${compare} comparison, ${view}, ${outputs.length} output records for ${trace.inputs.length} inputs): ${parts.join('; ')}`;
    },
  };
}

/**
 * Exactly-once, as a `read_committed` consumer of the output topic sees it: each input's output (by
 * the pure `model`, which maps the inputs to the records they should produce) is there exactly
 * once at the end, nothing is missing, and no record of an aborted transaction was ever visible,
 * after any step or at the end. The log itself is read too (as a `read_uncommitted` consumer would,
 * with each record's fate from the transaction markers written to its partition): aborted
 * records are expected there (a crashed, paused or fenced instance's work) but must never reach a
 * `read_committed` reader, and no transaction may be left open at the end. A record that was
 * visible to `read_committed` once must stay so.
 */
export function exactlyOnce(model: OutputModel): Invariant {
  return {
    name: 'exactly once',
    check(trace) {
      const fmt = (r: ExpectedRecord) => `${r.key}=${r.value}`;
      const where = (r: TraceRecord) => at(r.topic, r.partition, r.offset);
      const expected = new Map<string, number>();
      for (const r of model(trace.inputs)) expected.set(fmt(r), (expected.get(fmt(r)) ?? 0) + 1);
      const seen = new Map<string, TraceRecord[]>();
      for (const r of trace.committedOutputs) seen.set(fmt(r), [...(seen.get(fmt(r)) ?? []), r]);
      const problems: string[] = [];
      for (const [k, rs] of seen) {
        const want = expected.get(k) ?? 0;
        if (rs.length > want) problems.push(want === 0 ? `${k} is not the output of any input (at ${rs.map(where).join(', ')})` : `${k} appears ${rs.length} times, expected ${want} (at ${rs.map(where).join(', ')})`);
      }
      for (const [k, n] of expected) {
        const got = seen.get(k)?.length ?? 0;
        if (got < n) problems.push(`${k} is missing${n > 1 ? ` ${n - got} of ${n} times` : ''}`);
      }
      const fate = new Map(trace.outputLog.map((r) => [`${r.partition}:${r.offset}`, r]));
      const visibleAtEnd = new Set(trace.committedOutputs.map((r) => `${r.partition}:${r.offset}`));
      for (const r of trace.outputLog) {
        if (r.fate === 'open') problems.push(`${where(r)} (${r.key}=${r.value}) belongs to a transaction still open at the end`);
        if (r.fate === 'aborted' && visibleAtEnd.has(`${r.partition}:${r.offset}`)) problems.push(`${where(r)} (${r.key}=${r.value}) of an aborted transaction is visible to read_committed`);
      }
      const reported = new Set<string>();
      for (const v of trace.committedViews) {
        for (const po of v.visible) {
          if (visibleAtEnd.has(po) || reported.has(po)) continue;
          reported.add(po);
          const r = fate.get(po);
          const what = r === undefined ? `output-${po.replace(':', '@')} (gone from the log)` : `${where(r)} (${r.key}=${r.value}${r.fate === 'aborted' ? ', of an aborted transaction' : ''})`;
          problems.push(`${what} was visible to read_committed ${v.afterStep === 0 ? 'before the first step' : `after step ${v.afterStep}`} but not at the end`);
        }
      }
      if (problems.length === 0) return undefined;
      const aborted = trace.outputLog.filter((r) => r.fate === 'aborted').length;
      return `the read_committed view of the output topic (${trace.committedOutputs.length} records for ${trace.inputs.length} inputs; ${trace.outputLog.length} in the log, ${aborted} of them aborted) is not exactly once: ${list(problems)}`;
    },
  };
}

/** The invariants that hold for any correct at-least-once processor: every one above but the model. */
export const defaultInvariants: readonly Invariant[] = [processedAtLeastOnce, noGapsAfterRestart, orderPerPartition, noDoubleOwnership, committedNotAhead];

/** Checks a trace; returns one message per broken invariant (empty when all hold). */
export function checkTrace(trace: Trace, invariants: readonly Invariant[] = defaultInvariants): string[] {
  const failures: string[] = [];
  for (const inv of invariants) {
    const message = inv.check(trace);
    if (message !== undefined) failures.push(`[${inv.name}] ${message}`);
  }
  return failures;
}

/** Options of {@link formatTrace}. */
export interface FormatTraceOptions {
  /**
   * Most lines.
   * @defaultValue 80
   */
  maxLines?: number;
}

/** A readable timeline of a trace: steps, instance lifecycle, generations, commits and deliveries, in order. */
export function formatTrace(trace: Trace, options: FormatTraceOptions = {}): string {
  const { maxLines = 80 } = options;
  const rows: { seq: number; line: string }[] = [];
  for (const l of trace.lifecycle) rows.push({ seq: l.seq, line: `${l.time} ms  ${l.kind === 'step' ? 'step' : l.kind}: ${l.detail}` });
  for (const g of trace.generations) {
    rows.push({ seq: g.seq, line: `${g.time} ms  generation ${g.generationId}: ${g.assignments.map((a) => `instance ${a.instance ?? '?'} <- [${a.partitions.join(',')}]`).join(', ')}` });
  }
  for (const c of trace.commits) rows.push({ seq: c.seq, line: `${c.time} ms  instance ${c.instance ?? '?'} committed ${c.offsets.map((o) => `p${o.partition}@${o.offset}`).join(', ')}` });
  for (const d of trace.deliveries) {
    const end = (d.crashed ? ' -> crashed' : d.error ? ` -> threw ${d.error}` : d.completedSeq !== undefined ? '' : ' -> unfinished') + (d.zombie ? ' (as a zombie)' : '');
    rows.push({ seq: d.seq, line: `${d.time} ms  instance ${d.instance} processes p${d.partition}@${d.offset} ${d.key}=${d.value}${end}` });
  }
  rows.sort((a, b) => a.seq - b.seq);
  const lines = rows.map((r) => `    ${r.line}`);
  const shown = lines.length > maxLines ? [...lines.slice(0, maxLines - 1), `    ... ${lines.length - maxLines + 1} more lines`] : lines;
  const out = trace.outputs.map((r) => `${r.key}=${r.value}`).join(', ');
  const lines2 = [`  Timeline:`, ...shown, `  Output topic: ${out || '(empty)'}`];
  if (trace.outputLog.some((r) => r.transactional)) {
    const fates = trace.outputLog.map((r) => `${r.key}=${r.value}${r.fate === 'committed' || r.fate === 'none' ? '' : ` (${r.fate})`}`).join(', ');
    lines2[lines2.length - 1] = `  Output topic log (read_uncommitted): ${fates || '(empty)'}`;
    lines2.push(`  Output topic, read_committed: ${trace.committedOutputs.map((r) => `${r.key}=${r.value}`).join(', ') || '(empty)'}`);
  }
  return lines2.join('\n');
}
