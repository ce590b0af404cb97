/**
 * What the cleaner tracks of transactions while it walks a log in offset order, as Kafka's
 * CleanedTransactionMetadata: the aborted transactions it is inside (from the aborted-transaction
 * index), and the producers whose committed transaction it has seen a batch of. From that:
 * - a batch of an aborted transaction is discarded whole;
 * - an abort marker can be discarded once the walk saw no batch of its transaction (its records
 *   went in an earlier cleaning); while one was seen, the marker stays and so does the aborted
 *   transaction's index entry (the "cleaned index"); an index entry whose marker the walk passes
 *   without a batch of its transaction is dropped;
 * - a commit marker can be discarded once the walk saw no batch of its transaction.
 * "Can be discarded" starts the marker's delete horizon; the cleaner removes it at the first
 * cleaning at or after it (KIP-534, as tombstones).
 *
 * Kafka keeps the batch holding an active producer's last sequence as an empty batch (no
 * records, its offsets and producer fields kept) so that a replica rebuilding producer state
 * finds the sequence; the walk reads such a batch like any other, which keeps its transaction's
 * marker. The twin does not keep empty batches: it walks a "phantom" at the last offset each
 * active producer wrote data at, where no batch holds it any more, with the same effect on markers.
 */
import type { AbortedTransaction, ProducerStateManager } from './producers.js';
import { markerOf, type RecordBatch } from './records.js';

/** An active producer's last data offset, as an empty batch Kafka would keep there. */
interface Phantom {
  readonly offset: number;
  readonly producerId: number;
  readonly isTransactional: boolean;
}

export class CleanedTransactions {
  /** Aborted transactions overlapping the walk, by first offset: entered as the walk reaches them. */
  private readonly aborted: AbortedTransaction[];
  private nextAborted = 0;
  /** Producer id to the aborted transaction the walk is inside, and whether it saw a batch of it. */
  private readonly ongoingAborted = new Map<number, { readonly txn: AbortedTransaction; observed: boolean }>();
  /** Producers whose committed transaction the walk saw a batch of, until its marker. */
  private readonly ongoingCommitted = new Set<number>();
  private readonly phantoms: Phantom[];
  private nextPhantom = 0;
  /** The aborted transactions whose marker stays because the walk saw their data: the cleaned index. */
  readonly retained: AbortedTransaction[] = [];

  /**
   * @param state the replica's producer state (its aborted-transaction index and active producers)
   * @param upTo the end of the walk (the first offset not cleaned)
   */
  constructor(
    private readonly state: ProducerStateManager,
    upTo: number,
    private readonly now: number,
    private readonly expirationMs: number,
  ) {
    this.aborted = state.abortedTransactions(0, upTo).sort((a, b) => a.firstOffset - b.firstOffset);
    const phantoms: Phantom[] = [];
    for (const producer of state.producers()) {
      const entry = state.entry(producer.producerId, now, expirationMs);
      const last = entry?.batches[entry.batches.length - 1];
      if (last !== undefined && last.lastOffset < upTo) phantoms.push({ offset: last.lastOffset, producerId: producer.producerId, isTransactional: last.isTransactional });
    }
    this.phantoms = phantoms.sort((a, b) => a.offset - b.offset);
  }

  /** A data batch the walk reaches (Kafka's onBatchRead): true when it belongs to an aborted transaction and goes whole. */
  onBatch(batch: RecordBatch): boolean {
    this.passPhantoms(batch);
    return this.read(batch.producerId, batch.isTransactional, batch.lastOffset);
  }

  /** A control batch the walk reaches (Kafka's onControlBatchRead): true when no batch of its transaction is left, so its delete horizon may start. */
  onMarker(batch: RecordBatch): boolean {
    this.passPhantoms(batch);
    this.enterAbortedUpTo(batch.lastOffset);
    const marker = markerOf(batch);
    if (marker === undefined) return true;
    const producerId = batch.producerId;
    if (marker.commit) return !this.ongoingCommitted.delete(producerId);
    const aborted = this.ongoingAborted.get(producerId);
    this.ongoingAborted.delete(producerId);
    if (aborted?.observed) {
      this.retained.push(aborted.txn);
      return false;
    }
    return true;
  }

  /**
   * Whether a marker whose horizon has passed still stays: the last entry of an active producer
   * that has no data batch since its epoch began (Kafka keeps it, as an empty batch, for the
   * epoch it carries: fencing needs it).
   */
  keepsProducerEpoch(batch: RecordBatch): boolean {
    const entry = this.state.entry(batch.producerId, this.now, this.expirationMs);
    return entry !== undefined && entry.batches.length === 0 && entry.epoch === batch.producerEpoch;
  }

  private read(producerId: number, isTransactional: boolean, lastOffset: number): boolean {
    this.enterAbortedUpTo(lastOffset);
    if (!isTransactional) return false;
    const aborted = this.ongoingAborted.get(producerId);
    if (aborted !== undefined) {
      aborted.observed = true;
      return true;
    }
    this.ongoingCommitted.add(producerId);
    return false;
  }

  /** Reads the phantoms before `batch` (a phantom inside it is the batch itself, still there). */
  private passPhantoms(batch: RecordBatch): void {
    for (;;) {
      const phantom = this.phantoms[this.nextPhantom];
      if (phantom === undefined || phantom.offset > batch.lastOffset) return;
      this.nextPhantom++;
      if (phantom.offset < batch.baseOffset) this.read(phantom.producerId, phantom.isTransactional, phantom.offset);
    }
  }

  private enterAbortedUpTo(offset: number): void {
    for (;;) {
      const txn = this.aborted[this.nextAborted];
      if (txn === undefined || txn.firstOffset > offset) return;
      this.nextAborted++;
      if (!this.ongoingAborted.has(txn.producerId)) this.ongoingAborted.set(txn.producerId, { txn, observed: false });
    }
  }
}
