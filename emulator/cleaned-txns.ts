/**
 * What the cleaner tracks of transactions while it walks a log in offset order, as Kafka's
 * CleanedTransactionMetadata: the aborted transactions it is inside (from the aborted-transaction
 * index of the segments it walks), and the producers whose committed transaction it has seen a
 * batch of. From that:
 * - a batch of an aborted transaction is discarded whole;
 * - an abort marker can be discarded once the walk saw no batch of its transaction (its records
 *   went in an earlier cleaning); while one was seen, the marker stays and so does the aborted
 *   transaction's index entry (the "cleaned index"); an index entry whose marker the walk passes
 *   without a batch of its transaction is dropped;
 * - a commit marker can be discarded once the walk saw no batch of its transaction.
 * "Can be discarded" starts the marker's delete horizon; the cleaner removes it at the first
 * cleaning at or after it (KIP-534, as tombstones).
 *
 * Kafka keeps the batch holding an active producer's last sequence as an empty batch (no records,
 * its offsets and producer fields kept; RETAIN_EMPTY), and its walk reads that batch like any
 * other, which keeps its transaction's marker; the cleaning that finds it no longer its
 * producer's last reads it once more and then drops it. The twin keeps no empty batches: it walks
 * the log's notes of them ({@link EmptiedBatch}) at their offsets, and keeps or drops each note as
 * Kafka keeps or drops the batch.
 */
import type { EmptiedBatch } from './log.js';
import type { AbortedTransaction, ProducerStateManager } from './producers.js';
import { markerOf, type RecordBatch } from './records.js';

export class CleanedTransactions {
  /** Aborted transactions of the walked segments, by first offset: entered as the walk reaches them. */
  private readonly aborted: AbortedTransaction[];
  private nextAborted = 0;
  /** Producer id to the aborted transaction the walk is inside, and whether it saw a batch of it. */
  private readonly ongoingAborted = new Map<number, { readonly txn: AbortedTransaction; observed: boolean }>();
  /** Producers whose committed transaction the walk saw a batch of, until its marker. */
  private readonly ongoingCommitted = new Set<number>();
  private readonly emptied: readonly EmptiedBatch[];
  private nextEmptied = 0;
  /** The emptied batches that stay after this cleaning: still their producer's last, or beyond the walk. */
  private readonly keptEmptied: EmptiedBatch[] = [];
  /** The aborted transactions whose marker stays because the walk saw their data: the cleaned index. */
  readonly retained: AbortedTransaction[] = [];

  /**
   * @param from base offset of the first segment: what lies below went with its segment
   * @param upTo the end of the walk (the first offset not cleaned)
   */
  constructor(
    private readonly state: ProducerStateManager,
    emptied: readonly EmptiedBatch[],
    from: number,
    private readonly upTo: number,
    private readonly now: number,
    private readonly expirationMs: number,
  ) {
    this.aborted = state.abortedTransactions(from, upTo).sort((a, b) => a.firstOffset - b.firstOffset);
    this.emptied = emptied.filter((b) => b.lastOffset >= from);
  }

  /** A data batch the walk reaches (Kafka's onBatchRead): true when it belongs to an aborted transaction and goes whole. */
  onBatch(batch: RecordBatch): boolean {
    this.passEmptied(batch.baseOffset);
    return this.read(batch.producerId, batch.isTransactional, batch.lastOffset);
  }

  /** A control batch the walk reaches (Kafka's onControlBatchRead): true when no batch of its transaction is left, so its delete horizon may start. */
  onMarker(batch: RecordBatch): boolean {
    this.passEmptied(batch.baseOffset);
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
   * A data batch this cleaning removes every record of: Kafka keeps it empty while it holds its
   * producer's last sequence (the batch of the producer's last data offset; the twin's batch may
   * be a part of that one, as the twin splits batches around removed records).
   */
  onEmptied(batch: RecordBatch): void {
    if (batch.producerId >= 0 && this.holdsLastSequence(batch.producerId, batch.baseOffset, batch.lastOffset)) {
      this.keptEmptied.push({ baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, producerId: batch.producerId, isTransactional: batch.isTransactional });
    }
  }

  /** The emptied batches after this cleaning, in offset order: the log's new notes. */
  emptiedAfter(): EmptiedBatch[] {
    this.passEmptied(this.upTo);
    for (let i = this.nextEmptied; i < this.emptied.length; i++) this.keptEmptied.push(this.emptied[i]!);
    return this.keptEmptied.sort((a, b) => a.baseOffset - b.baseOffset);
  }

  private holdsLastSequence(producerId: number, baseOffset: number, lastOffset: number): boolean {
    const entry = this.state.entry(producerId, this.now, this.expirationMs);
    const last = entry?.batches[entry.batches.length - 1];
    return last !== undefined && last.firstOffset <= lastOffset && baseOffset <= last.lastOffset;
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

  /** Reads the emptied batches before `offset`; each stays only while it holds its producer's last sequence. */
  private passEmptied(offset: number): void {
    for (;;) {
      const emptied = this.emptied[this.nextEmptied];
      if (emptied === undefined || emptied.baseOffset >= offset || emptied.baseOffset >= this.upTo) return;
      this.nextEmptied++;
      this.read(emptied.producerId, emptied.isTransactional, emptied.lastOffset);
      if (this.holdsLastSequence(emptied.producerId, emptied.baseOffset, emptied.lastOffset)) this.keptEmptied.push(emptied);
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
