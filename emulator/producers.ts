/**
 * Producer state, one per replica log (Kafka's ProducerStateManager with ProducerAppendInfo and
 * ProducerStateEntry): per producer id, its epoch, the sequence and offset metadata of its last
 * five batches, its last write time, its coordinator epoch and the first offset of its open
 * transaction; per log, the open transactions and the aborted-transaction index.
 *
 * Every replica builds its state from the batches it appends, the leader's and the followers'
 * alike, so a new leader already has it; only the leader validates (origin CLIENT), as in Kafka.
 * A batch removed by retention or DeleteRecords leaves its producer's entry in place (Kafka keeps
 * the state since KIP-360); a truncation rebuilds what it cut from the batches that remain.
 */
import { failure, type Failure } from '../protocol/errors.js';
import { incrementSequence, lastSequenceOf, markerOf, NO_PRODUCER_EPOCH, NO_SEQUENCE, type RecordBatch } from './records.js';

/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN: how many batches a retry is recognised among. */
export const BATCHES_TO_RETAIN = 5;

/** One appended batch, as a producer's entry remembers it. */
export interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly timestamp: number;
}

/** What a replica knows of one producer. */
export interface ProducerEntry {
  readonly producerId: number;
  epoch: number;
  /** The last batches, oldest first, at most {@link BATCHES_TO_RETAIN}. */
  batches: BatchMetadata[];
  /** Largest timestamp of its last write (a data batch or a marker): `producer.id.expiration.ms` counts from it. */
  lastTimestamp: number;
  /** Last offset it wrote here, data or marker (what a truncation compares with). */
  lastOffset: number;
  coordinatorEpoch: number;
  /** First offset of its open transaction, -1 when none is open. */
  txnFirstOffset: number;
}

/** An aborted transaction in the index: a read_committed reader drops its producer's records in `[firstOffset, lastOffset]`. */
export interface AbortedTransaction {
  readonly producerId: number;
  readonly firstOffset: number;
  /** Offset of its abort marker. */
  readonly lastOffset: number;
}

/** A batch as the leader validates it before the append. */
export interface ProducerAppend {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly count: number;
  readonly isTransactional: boolean;
}

export class ProducerStateManager {
  private readonly entries = new Map<number, ProducerEntry>();
  /** Open transactions: producer id to first offset. */
  private readonly open = new Map<number, number>();
  /** The aborted-transaction index, in marker order. */
  private readonly abortedIndex: AbortedTransaction[] = [];

  /** The producer's entry, unless it expired: Kafka drops an entry without an open transaction `producer.id.expiration.ms` after its last write. */
  entry(producerId: number, now: number, expirationMs: number): ProducerEntry | undefined {
    const entry = this.entries.get(producerId);
    if (entry === undefined) return undefined;
    if (entry.txnFirstOffset < 0 && now - entry.lastTimestamp >= expirationMs) {
      this.entries.delete(producerId);
      return undefined;
    }
    return entry;
  }

  /** Every producer known here (expired ones included until looked up), by producer id. */
  producers(): ProducerEntry[] {
    return [...this.entries.values()].sort((a, b) => a.producerId - b.producerId);
  }

  /**
   * The leader's checks of a client's batch, in Kafka 3.9's order (UnifiedLog.analyzeAndValidateProducerState,
   * then ProducerAppendInfo): a retry of one of the producer's last five batches is a duplicate,
   * answered with the original offsets and not written again; an older epoch is
   * INVALID_PRODUCER_EPOCH; a sequence that does not follow the last one is
   * OUT_OF_ORDER_SEQUENCE_NUMBER; a non-transactional batch inside an open transaction is
   * INVALID_TXN_STATE. A producer unknown here (new, or expired) may start at any sequence: Kafka
   * 3.9 no longer answers UNKNOWN_PRODUCER_ID on the append path.
   */
  check(batch: ProducerAppend, partition: string, offset: number, now: number, expirationMs: number): { duplicate: BatchMetadata } | Failure | undefined {
    const entry = this.entry(batch.producerId, now, expirationMs);
    if (entry === undefined) return undefined;
    const lastSeq = incrementSequence(batch.baseSequence, batch.count - 1);
    if (entry.epoch === batch.producerEpoch) {
      const duplicate = entry.batches.find((b) => b.firstSeq === batch.baseSequence && b.lastSeq === lastSeq);
      if (duplicate !== undefined) return { duplicate };
    }
    if (batch.producerEpoch < entry.epoch) {
      return failure(
        'INVALID_PRODUCER_EPOCH',
        `Epoch of producer ${batch.producerId} at offset ${offset} in ${partition} is ${batch.producerEpoch}, which is smaller than the last seen epoch ${entry.epoch}`,
      );
    }
    if (batch.producerEpoch !== entry.epoch) {
      if (batch.baseSequence !== 0 && entry.epoch !== NO_PRODUCER_EPOCH) {
        return failure(
          'OUT_OF_ORDER_SEQUENCE_NUMBER',
          `Invalid sequence number for new epoch of producer ${batch.producerId} at offset ${offset} in partition ${partition}: ${batch.producerEpoch} (request epoch), ${batch.baseSequence} (seq. number), ${entry.epoch} (current producer epoch)`,
        );
      }
    } else {
      const currentLastSeq = entry.batches.length > 0 ? entry.batches[entry.batches.length - 1]!.lastSeq : NO_SEQUENCE;
      const inSequence = batch.baseSequence === currentLastSeq + 1 || (batch.baseSequence === 0 && currentLastSeq === INT32_MAX);
      if (entry.epoch !== NO_PRODUCER_EPOCH && !inSequence) {
        return failure(
          'OUT_OF_ORDER_SEQUENCE_NUMBER',
          `Out of order sequence number for producer ${batch.producerId} at offset ${offset} in partition ${partition}: ${batch.baseSequence} (incoming seq. number), ${currentLastSeq} (current end sequence number)`,
        );
      }
    }
    if (entry.txnFirstOffset >= 0 && !batch.isTransactional) {
      return failure('INVALID_TXN_STATE', `Expected transactional write from producer ${batch.producerId} at offset ${offset} in partition ${partition}`);
    }
    return undefined;
  }

  /**
   * The checks of a transaction marker from the coordinator: an older producer epoch is
   * INVALID_PRODUCER_EPOCH (Kafka's WriteTxnMarkers answers a fenced producer so), an older
   * coordinator epoch TRANSACTION_COORDINATOR_FENCED.
   */
  checkMarker(producerId: number, producerEpoch: number, coordinatorEpoch: number, partition: string, offset: number): Failure | undefined {
    const entry = this.entries.get(producerId);
    if (entry === undefined) return undefined;
    if (producerEpoch < entry.epoch) {
      return failure(
        'INVALID_PRODUCER_EPOCH',
        `Epoch of producer ${producerId} at offset ${offset} in ${partition} is ${producerEpoch}, which is smaller than the last seen epoch ${entry.epoch}`,
      );
    }
    if (entry.coordinatorEpoch > coordinatorEpoch) {
      return failure(
        'TRANSACTION_COORDINATOR_FENCED',
        `Invalid coordinator epoch for producerId ${producerId} at offset ${offset} in partition ${partition}: ${coordinatorEpoch} (zombie), ${entry.coordinatorEpoch} (current)`,
      );
    }
    return undefined;
  }

  /** Takes an appended batch into the state (every replica, for every batch it appends). */
  apply(batch: RecordBatch): void {
    const producerId = batch.producerId;
    if (producerId < 0) return;
    let entry = this.entries.get(producerId);
    if (entry === undefined) {
      entry = { producerId, epoch: NO_PRODUCER_EPOCH, batches: [], lastTimestamp: -1, lastOffset: -1, coordinatorEpoch: -1, txnFirstOffset: -1 };
      this.entries.set(producerId, entry);
    }
    if (batch.producerEpoch !== entry.epoch && batch.producerEpoch >= entry.epoch) {
      // As ProducerStateEntry.maybeUpdateProducerEpoch: a new epoch forgets the old one's batches.
      entry.epoch = batch.producerEpoch;
      entry.batches = [];
    }
    entry.lastTimestamp = batch.maxTimestamp;
    entry.lastOffset = batch.lastOffset;
    if (batch.isControl) {
      const marker = markerOf(batch);
      // An empty control batch is a transaction the cleaner has removed; nothing to do.
      if (marker === undefined) return;
      entry.coordinatorEpoch = marker.coordinatorEpoch;
      if (entry.txnFirstOffset >= 0) {
        if (!marker.commit) this.abortedIndex.push({ producerId, firstOffset: entry.txnFirstOffset, lastOffset: batch.baseOffset });
        this.open.delete(producerId);
        entry.txnFirstOffset = -1;
      }
      return;
    }
    if (batch.baseSequence >= 0) {
      entry.batches.push({ firstSeq: batch.baseSequence, lastSeq: lastSequenceOf(batch), firstOffset: batch.baseOffset, lastOffset: batch.lastOffset, timestamp: batch.maxTimestamp });
      if (entry.batches.length > BATCHES_TO_RETAIN) entry.batches.shift();
    }
    if (batch.isTransactional && entry.txnFirstOffset < 0) {
      entry.txnFirstOffset = batch.baseOffset;
      this.open.set(producerId, batch.baseOffset);
    }
  }

  /** First offset of the earliest open transaction (Kafka's firstUnstableOffset); undefined when none is open. */
  firstUnstableOffset(): number | undefined {
    let first: number | undefined;
    for (const offset of this.open.values()) if (first === undefined || offset < first) first = offset;
    return first;
  }

  /** Whether a producer has a transaction open here. */
  hasOpenTransaction(producerId: number): boolean {
    return this.open.has(producerId);
  }

  /** The aborted transactions overlapping `[from, upTo)` (Kafka's collectAbortedTransactions), in marker order. */
  abortedTransactions(from: number, upTo: number): AbortedTransaction[] {
    return this.abortedIndex.filter((t) => t.lastOffset >= from && t.firstOffset < upTo);
  }

  /** Whether record offset `offset` of `producerId`'s transactional batch belongs to an aborted transaction. */
  isAborted(producerId: number, offset: number): boolean {
    return this.abortedIndex.some((t) => t.producerId === producerId && t.firstOffset <= offset && offset <= t.lastOffset);
  }

  /**
   * After a cleaning of the log below `upTo`: the aborted transactions whose marker lies there are
   * the cleaner's `retained` ones only (Kafka writes the cleaned segments a new transaction index).
   */
  replaceAbortedBelow(upTo: number, retained: readonly AbortedTransaction[]): void {
    for (let i = this.abortedIndex.length - 1; i >= 0; i--) if (this.abortedIndex[i]!.lastOffset < upTo) this.abortedIndex.splice(i, 1);
    this.abortedIndex.push(...retained);
    this.abortedIndex.sort((a, b) => a.lastOffset - b.lastOffset);
  }

  /** Forgets everything (a replica restarting its log from scratch: Kafka's truncateFullyAndStartAt). */
  clear(): void {
    this.entries.clear();
    this.open.clear();
    this.abortedIndex.length = 0;
  }

  /**
   * After a truncation to `cut`: as Kafka reloads its latest snapshot below the cut and replays
   * the log from there, producers whose last write is below the cut keep their entry, the others
   * are rebuilt from the batches `remaining` (the log after the cut), and aborted transactions
   * whose marker went are forgotten.
   */
  truncateTo(cut: number, remaining: readonly RecordBatch[]): void {
    const replay = new Set<number>();
    for (const [id, entry] of this.entries) {
      if (entry.lastOffset >= cut) {
        replay.add(id);
        this.entries.delete(id);
        this.open.delete(id);
      }
    }
    for (let i = this.abortedIndex.length - 1; i >= 0; i--) if (this.abortedIndex[i]!.lastOffset >= cut) this.abortedIndex.splice(i, 1);
    if (replay.size === 0) return;
    // Rebuilt from scratch, the replayed producers' aborted transactions would be indexed twice.
    const before = this.abortedIndex.filter((t) => replay.has(t.producerId));
    for (const t of before) this.abortedIndex.splice(this.abortedIndex.indexOf(t), 1);
    for (const batch of remaining) if (replay.has(batch.producerId)) this.apply(batch);
    this.abortedIndex.sort((a, b) => a.lastOffset - b.lastOffset);
  }
}

const INT32_MAX = 2147483647;
