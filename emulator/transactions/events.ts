/**
 * The events the transaction coordinator records through its port, as the engine's event log
 * takes them (without `seq` and `time`, which the log adds); emulator/events.ts's `ClusterEvent`
 * includes them.
 */

/** A partition of a transaction. */
export interface TxnTopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Why a transaction was aborted: the producer asked, it ran past its timeout, or a new producer with its id fenced it. */
export type TxnAbortReason = 'client' | 'timeout' | 'fenced';

/** Every kind of event the transaction coordinator records. */
export type TxnEvent =
  /**
   * InitProducerId drew a new producer id (epoch 0) from `broker`'s block: for a transactional id,
   * or (null) for an idempotent producer.
   */
  | {
      readonly type: 'producer-id-allocated';
      readonly broker: number;
      readonly producerId: number;
      readonly producerEpoch: number;
      readonly transactionalId: string | null;
    }
  /** The first partition (or group) of a transaction was added: Empty/Complete* → Ongoing. */
  | {
      readonly type: 'txn-begin';
      readonly transactionalId: string;
      readonly producerId: number;
      readonly producerEpoch: number;
      readonly partitions: readonly TxnTopicPartition[];
    }
  /** Every marker of a committed transaction is written: PrepareCommit → CompleteCommit. */
  | {
      readonly type: 'txn-commit';
      readonly transactionalId: string;
      readonly producerId: number;
      readonly producerEpoch: number;
      readonly partitions: readonly TxnTopicPartition[];
      /** From the first AddPartitionsToTxn to the last marker. */
      readonly durationMs: number;
    }
  /** Every marker of an aborted transaction is written: PrepareAbort → CompleteAbort. */
  | {
      readonly type: 'txn-abort';
      readonly transactionalId: string;
      readonly producerId: number;
      readonly producerEpoch: number;
      readonly partitions: readonly TxnTopicPartition[];
      readonly durationMs: number;
      readonly reason: TxnAbortReason;
    }
  /**
   * The producer epoch moved past one a producer held: InitProducerId (a new instance, or the same
   * one recovering) or a timed-out transaction. Requests at `fencedEpoch` are refused from now on.
   */
  | {
      readonly type: 'txn-fenced';
      readonly transactionalId: string;
      readonly producerId: number;
      readonly fencedEpoch: number;
      /** The epoch now current; with a new producer id when the epochs of the old one ran out. */
      readonly producerEpoch: number;
      readonly newProducerId: number;
      readonly reason: 'init' | 'timeout';
    }
  /** A transaction ran past its timeout: the coordinator bumps the epoch and aborts it. */
  | {
      readonly type: 'txn-timed-out';
      readonly transactionalId: string;
      readonly producerId: number;
      readonly producerEpoch: number;
      readonly transactionTimeoutMs: number;
      readonly startedAt: number;
    }
  /** The leader of the transactional id's `__transaction_state` partition changed (to: -1 when none). */
  | {
      readonly type: 'txn-coordinator-moved';
      readonly transactionalId: string;
      readonly partition: number;
      readonly from: number;
      readonly to: number;
      readonly coordinatorEpoch: number;
      readonly state: string;
    }
  /** A transactional id idle for `transactional.id.expiration.ms` was removed (Dead). */
  | { readonly type: 'txn-id-expired'; readonly transactionalId: string; readonly producerId: number };
