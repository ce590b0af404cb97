/**
 * A script's transactions: the `begin`, `commit` and `abort` steps of a transactional producer,
 * and how a fenced producer's refused request reads (a zombie's refusal is what the script
 * teaches, not a failure of the run).
 */
import type { ClusterEvent } from '../../emulator/events.js';
import type { ClientProducer } from './clients.js';
import type { ScriptRun, ScriptStep } from './script.js';

/**
 * The Kafka errors that refuse a fenced producer (a newer instance of its transactional id, or
 * its transaction timed out): kafkajs 2.2.4's requests are old enough to get
 * INVALID_PRODUCER_EPOCH, newer clients PRODUCER_FENCED.
 */
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

/** The Kafka error type of a kafkajs error, looking through the retrier's wrapping. */
function errorType(e: unknown): string | undefined {
  for (let x = e, depth = 0; x instanceof Error && depth < 5; x = (x as { cause?: unknown }).cause ?? (x as { originalError?: unknown }).originalError, depth++)
    if ('type' in x && typeof x.type === 'string' && x.type !== 'KAFKAJS_ERROR') return x.type;
  return undefined;
}

/**
 * Runs a producer's request; when a fenced producer is refused, writes why and returns false
 * (what a zombie sees is the lesson, not a failure of the script). Any other error fails the step.
 */
export async function refusable(r: ScriptRun, producer: ClientProducer, what: string, request: () => Promise<void>): Promise<boolean> {
  try {
    await request();
    return true;
  } catch (e) {
    const type = errorType(e);
    const id = producer.spec.transactionalId;
    if (type === undefined || id === undefined || !FENCED.has(type)) throw e;
    const fenced = r.cluster
      .events()
      .filter((x): x is Extract<ClusterEvent, { type: 'txn-fenced' }> => x.type === 'txn-fenced' && x.transactionalId === id)
      .at(-1);
    const why =
      fenced === undefined
        ? 'its producer epoch is no longer current'
        : fenced.reason === 'init'
          ? `a zombie, fenced when a newer instance of ${id} called InitProducerId`
          : 'fenced when its transaction timed out';
    const written = what === 'send' || what === 'tombstone' ? ', nothing written' : '';
    r.timeline.write(r.timeline.paint('fault', `${r.timeline.stamp(r.cluster.now())} ${producer.spec.name}: ${what} refused with ${type}${written}: ${why}`));
    return false;
  }
}

/** How long a `commit` or `abort` step waits for the coordinator to write the transaction's markers. */
const MARKER_WAIT_MS = 60_000;

/** Resolves once the transaction of `transactionalId` has ended (txn-commit or txn-abort) after event `since`. */
function markersWritten(r: ScriptRun, transactionalId: string, since: number): { promise: Promise<void>; stop: () => void } {
  let stop = () => {};
  const promise = new Promise<void>((resolve) => {
    const ended = (e: ClusterEvent) => (e.type === 'txn-commit' || e.type === 'txn-abort') && e.transactionalId === transactionalId;
    if (r.cluster.events().slice(since).some(ended)) return resolve();
    stop = r.cluster.onEvent((e) => {
      if (ended(e)) resolve();
    });
  });
  return { promise, stop: () => stop() };
}

/** `begin`, `commit` or `abort`: a transactional producer's transaction (kafkajs's `producer.transaction()`, `commit()`, `abort()`). */
export class TransactionStep implements ScriptStep {
  constructor(
    readonly action: 'begin' | 'commit' | 'abort',
    readonly producer: string,
  ) {}
  async run(r: ScriptRun): Promise<void> {
    const producer = r.producers.get(this.producer)!;
    const since = r.cluster.events().length;
    const ended = this.action === 'begin' ? undefined : markersWritten(r, producer.spec.transactionalId!, since);
    try {
      const answered = await refusable(r, producer, this.action, () => (this.action === 'begin' ? producer.begin(r.cluster) : producer[this.action]()));
      if (!answered || ended === undefined) return;
      // EndTxn is answered once the coordinator has decided; it writes the markers next. The step
      // waits for them, as every step waits for what it starts, so the next one sees the outcome.
      await r.cluster.drive(ended.promise, { maxMs: MARKER_WAIT_MS }).catch((e: unknown) => {
        if (!(e instanceof RangeError)) throw e;
        r.timeline.write(`${r.timeline.stamp(r.cluster.now())} ${producer.spec.name}: ${this.action} answered, its markers still not written after ${MARKER_WAIT_MS / 1000}s`);
      });
    } finally {
      ended?.stop();
    }
  }
  toString(): string {
    return `${this.action}: ${this.producer}`;
  }
}
