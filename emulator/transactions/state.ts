/**
 * One transactional id as its coordinator holds it (Kafka's `TransactionMetadata`): producer id
 * and epoch, the transaction under way with its partitions, and the state machine of Kafka 3.9's
 * `TransactionState` (transaction protocol version 1: PrepareAbort only from Ongoing or
 * PrepareEpochFence). Request handling lives in requests.ts, markers in markers.ts.
 *
 * Kafka writes every transition to `__transaction_state` and applies it when the write is
 * replicated; the twin applies it at once, so Kafka's "pending state" collapses to one case: a
 * transaction in PrepareCommit/PrepareAbort has its completion pending until its markers are
 * written (Kafka's `pendingState = Some(Complete*)` while markers are in flight).
 */
import type { TxnOffset } from './port.js';
import type { TxnAbortReason, TxnTopicPartition } from './events.js';

/**
 * The states of a transaction, as Kafka's `TransactionState` documents them: what moves a
 * transaction out of each.
 */
export const TransactionStates = {
  /** No transaction under way (just initialized). transition: AddPartitionsToTxn / AddOffsetsToTxn => Ongoing. */
  Empty: 'Empty',
  /**
   * A transaction has started.
   * transition: EndTxn commit => PrepareCommit; EndTxn abort => PrepareAbort;
   *             AddPartitionsToTxn / AddOffsetsToTxn => Ongoing;
   *             timeout or InitProducerId from a new producer => PrepareEpochFence.
   */
  Ongoing: 'Ongoing',
  /** The commit is decided. transition: markers written on every partition => CompleteCommit. */
  PrepareCommit: 'PrepareCommit',
  /** The abort is decided. transition: markers written on every partition => CompleteAbort. */
  PrepareAbort: 'PrepareAbort',
  /** The commit is done. transition: InitProducerId => Empty; AddPartitionsToTxn => Ongoing; expiration => Dead. */
  CompleteCommit: 'CompleteCommit',
  /** The abort is done. transition: InitProducerId => Empty; AddPartitionsToTxn => Ongoing; expiration => Dead. */
  CompleteAbort: 'CompleteAbort',
  /** The transactional id expired and is being removed. Final. */
  Dead: 'Dead',
  /** The epoch is being bumped to fence the current producer; the transaction is aborted next. transition: => PrepareAbort. */
  PrepareEpochFence: 'PrepareEpochFence',
} as const;

/** A transaction's state; see {@link TransactionStates}. */
export type TransactionState = (typeof TransactionStates)[keyof typeof TransactionStates];

/** Every state, in Kafka's id order (the order DescribeTransactions and ListTransactions know them by). */
export const ALL_TRANSACTION_STATES: readonly TransactionState[] = Object.values(TransactionStates);

/**
 * The states a transaction must be in to move to each state, declared once (Kafka 3.9's
 * `validPreviousStates`). {@link TransactionMetadata.transitionTo} enforces it.
 */
export const VALID_PREVIOUS_STATES: { readonly [S in TransactionState]: readonly TransactionState[] } = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  Dead: ['Empty', 'CompleteAbort', 'CompleteCommit'],
  PrepareEpochFence: ['Ongoing'],
};

/** States in which a transactional id may expire (Kafka's `isExpirationAllowed`). */
export const EXPIRATION_ALLOWED: ReadonlySet<TransactionState> = new Set<TransactionState>(['Empty', 'CompleteCommit', 'CompleteAbort']);

/** RecordBatch.NO_PRODUCER_ID / NO_PRODUCER_EPOCH. */
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
/** Short.MaxValue: the largest producer epoch. */
export const MAX_PRODUCER_EPOCH = 32767;

/**
 * Kafka never hands out Short.MaxValue, so it can always fence the current producer with one more
 * bump: from Short.MaxValue - 1 on, InitProducerId draws a new producer id instead.
 */
export function isEpochExhausted(epoch: number): boolean {
  return epoch >= MAX_PRODUCER_EPOCH - 1;
}

/** One state move, as the coordinator's optional observer sees it. */
export interface TransactionTransition {
  readonly transactionalId: string;
  readonly from: TransactionState;
  readonly to: TransactionState;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** A transactional id and its transaction (Kafka's `TransactionMetadata`). */
export class TransactionMetadata {
  producerId: number;
  /** The producer id before the last rotation (epochs ran out), for a retried InitProducerId. */
  lastProducerId = NO_PRODUCER_ID;
  producerEpoch = NO_PRODUCER_EPOCH;
  /** The epoch before the last bump by the same producer, for a retried InitProducerId (KIP-360). */
  lastProducerEpoch = NO_PRODUCER_EPOCH;
  txnTimeoutMs: number;
  private current: TransactionState = 'Empty';
  /** Partitions of the transaction under way (shrinks as markers are written, as Kafka's does). */
  private readonly partitions = new Map<string, TxnTopicPartition>();
  /** Every partition of the transaction as decided, for the completion event. */
  decided: readonly TxnTopicPartition[] = [];
  /** When the first partition was added; -1 while no transaction is under way. */
  txnStartTimestamp = -1;
  /** When anything last changed; expiration counts from it. */
  txnLastUpdateTimestamp: number;
  /** Groups added with AddOffsetsToTxn. */
  readonly groups = new Set<string>();
  /** Offsets of TxnOffsetCommit held until the marker, by group then partition. */
  readonly pendingOffsets = new Map<string, Map<string, TxnOffset>>();
  /** Why the transaction under way is being aborted (set with PrepareAbort). */
  abortReason: TxnAbortReason = 'client';
  /** Set when a marker write answered that a newer coordinator owns the transaction: sending stops. */
  markersFenced = false;

  constructor(
    readonly transactionalId: string,
    /** The `__transaction_state` partition it lives in. */
    readonly partition: number,
    producerId: number,
    txnTimeoutMs: number,
    now: number,
    private readonly observe?: (t: TransactionTransition) => void,
  ) {
    this.producerId = producerId;
    this.txnTimeoutMs = txnTimeoutMs;
    this.txnLastUpdateTimestamp = now;
  }

  get state(): TransactionState {
    return this.current;
  }

  /** Moves to `next`; an illegal move is a coordinator bug and throws, naming both states. */
  transitionTo(next: TransactionState): void {
    if (!VALID_PREVIOUS_STATES[next].includes(this.current)) {
      throw new Error(
        `invariant: transactional id ${this.transactionalId} cannot move from ${this.current} to ${next} (legal from: ${VALID_PREVIOUS_STATES[next].join(', ')})`,
      );
    }
    const from = this.current;
    this.current = next;
    this.observe?.({ transactionalId: this.transactionalId, from, to: next });
  }

  /** Kafka's `pendingTransitionInProgress`: the completion of a decided transaction awaits its markers. */
  get completionPending(): boolean {
    return this.current === 'PrepareCommit' || this.current === 'PrepareAbort';
  }

  /** The transaction's partitions, in the order they were added. */
  topicPartitions(): TxnTopicPartition[] {
    return [...this.partitions.values()];
  }

  hasPartition(topic: string, partition: number): boolean {
    return this.partitions.has(key(topic, partition));
  }

  addPartitions(added: readonly TxnTopicPartition[]): void {
    for (const tp of added) {
      const k = key(tp.topic, tp.partition);
      if (!this.partitions.has(k)) this.partitions.set(k, { topic: tp.topic, partition: tp.partition });
    }
  }

  /** A marker was written (Kafka's `removePartition`); only while the completion is pending. */
  removePartition(topic: string, partition: number): void {
    if (!this.completionPending) throw new Error(`invariant: removing ${topic}-${partition} from ${this.transactionalId} in state ${this.current}`);
    this.partitions.delete(key(topic, partition));
  }

  /** Forgets the transaction's partitions, groups and held offsets (the transaction is over). */
  clearTransaction(): void {
    this.partitions.clear();
    this.groups.clear();
    this.pendingOffsets.clear();
  }

  /** Holds a TxnOffsetCommit's offset for `groupId` until the marker. */
  holdOffset(groupId: string, offset: TxnOffset): void {
    let held = this.pendingOffsets.get(groupId);
    if (held === undefined) this.pendingOffsets.set(groupId, (held = new Map()));
    held.set(key(offset.topic, offset.partition), offset);
  }
}
