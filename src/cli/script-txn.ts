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
    const why = fenced === undefined ? 'its producer epoch is no longer current' : fenced.reason === 'init' ? `a newer instance of ${id} took over (InitProducerId)` : 'its transaction timed out';
    r.timeline.write(r.timeline.paint('fault', `${r.timeline.stamp(r.cluster.now())} ${producer.spec.name}: ${what} refused with ${type}, nothing written: fenced, ${why}`));
    return false;
  }
}

/** `begin`, `commit` or `abort`: a transactional producer's transaction (kafkajs's `producer.transaction()`, `commit()`, `abort()`). */
export class TransactionStep implements ScriptStep {
  constructor(
    readonly action: 'begin' | 'commit' | 'abort',
    readonly producer: string,
  ) {}
  async run(r: ScriptRun): Promise<void> {
    const producer = r.producers.get(this.producer)!;
    await refusable(r, producer, this.action, () => (this.action === 'begin' ? producer.begin(r.cluster) : producer[this.action]()));
  }
  toString(): string {
    return `${this.action}: ${this.producer}`;
  }
}
