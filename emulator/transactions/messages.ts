/**
 * The requests and answers of the transaction APIs as the coordinator takes and answers them
 * (FindCoordinator key type 1, InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn,
 * TxnOffsetCommit, EndTxn, DescribeTransactions, ListTransactions): Kafka's message data, with the
 * error codes where Kafka's responses carry them. A failed answer is data, never an exception.
 */
import type { ErrorPart, Failure } from '../../protocol/errors.js';
import type { TransactionState } from './state.js';

/**
 * The error codes these APIs answer with, under Kafka's names. protocol/errors.ts has no row yet
 * for PRODUCER_FENCED (90) or TRANSACTIONAL_ID_NOT_FOUND (105), so the codes are listed here.
 */
export const TxnErrors = {
  NONE: 0,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  RECORD_LIST_TOO_LARGE: 18,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  INVALID_REQUIRED_ACKS: 21,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  INVALID_TRANSACTION_TIMEOUT: 50,
  CONCURRENT_TRANSACTIONS: 51,
  TRANSACTION_COORDINATOR_FENCED: 52,
  OPERATION_NOT_ATTEMPTED: 55,
  KAFKA_STORAGE_ERROR: 56,
  PRODUCER_FENCED: 90,
  TRANSACTIONAL_ID_NOT_FOUND: 105,
} as const;

export type TxnErrorName = keyof typeof TxnErrors;

/** The answer's error part for `name`, with `detail` naming the problem. */
export function txnFailure(name: Exclude<TxnErrorName, 'NONE'>, detail: string): Failure {
  return { errorCode: TxnErrors[name], errorMessage: detail };
}

export const OK: ErrorPart = { errorCode: TxnErrors.NONE, errorMessage: null };

/**
 * Clients older than the version that added PRODUCER_FENCED get INVALID_PRODUCER_EPOCH instead, as
 * Kafka's request handlers answer (kafkajs 2.2.4 sends v1 of every transaction API).
 */
export function fencedForVersion(part: Failure, version: number, firstVersionWithFenced: number): Failure {
  if (part.errorCode !== TxnErrors.PRODUCER_FENCED || version >= firstVersionWithFenced) return part;
  return { errorCode: TxnErrors.INVALID_PRODUCER_EPOCH, errorMessage: part.errorMessage };
}

/** The first version of each API that may answer PRODUCER_FENCED. */
export const PRODUCER_FENCED_SINCE = { InitProducerId: 4, AddPartitionsToTxn: 2, AddOffsetsToTxn: 2, EndTxn: 2 } as const;
/** The newest version of each API the coordinator answers as Kafka 3.9 does. */
export const NEWEST_VERSION = { InitProducerId: 5, AddPartitionsToTxn: 3, AddOffsetsToTxn: 4, EndTxn: 4, TxnOffsetCommit: 4 } as const;

/** Who sent a request: the broker it reached (undefined: the twin client, routed to the coordinator). */
export interface Addressed {
  readonly broker?: number;
}

// ---------------------------------------------------------------- FindCoordinator

export interface FindTxnCoordinatorRequest extends Addressed {
  readonly transactionalId: string;
}

export interface FindCoordinatorAnswer extends ErrorPart {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

// ---------------------------------------------------------------- InitProducerId

export interface InitProducerIdRequest extends Addressed {
  /** null: an idempotent producer, which only needs a producer id. */
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
  /** v3+: the producer's current id and epoch when it recovers (KIP-360); -1 when it has none. */
  readonly producerId?: number;
  readonly producerEpoch?: number;
  /** The request's version (the newest when absent). */
  readonly version?: number;
}

export interface InitProducerIdAnswer extends ErrorPart {
  /** -1 on failure. */
  readonly producerId: number;
  /** -1 on failure. */
  readonly producerEpoch: number;
}

// ---------------------------------------------------------------- AddPartitionsToTxn

export interface TxnRequestBase extends Addressed {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly version?: number;
}

export interface AddPartitionsToTxnRequest extends TxnRequestBase {
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly number[] }[];
}

/** One topic of an AddPartitionsToTxn answer: an error code per partition (v0-v3 have no other). */
export interface AddPartitionsToTxnTopicResult {
  readonly topic: string;
  readonly partitions: readonly ({ readonly partition: number } & ErrorPart)[];
}

export interface AddPartitionsToTxnAnswer {
  readonly results: readonly AddPartitionsToTxnTopicResult[];
}

// ---------------------------------------------------------------- AddOffsetsToTxn

export interface AddOffsetsToTxnRequest extends TxnRequestBase {
  readonly groupId: string;
}

// ---------------------------------------------------------------- TxnOffsetCommit

export interface TxnOffsetCommitRequest {
  readonly transactionalId: string;
  readonly groupId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** v3+; -1, '' and null otherwise. */
  readonly generationId?: number;
  readonly memberId?: string;
  readonly groupInstanceId?: string | null;
  readonly topics: readonly {
    readonly topic: string;
    readonly partitions: readonly {
      readonly partition: number;
      readonly committedOffset: number;
      readonly committedLeaderEpoch?: number;
      readonly committedMetadata?: string | null;
    }[];
  }[];
}

export interface TxnOffsetCommitAnswer {
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly ({ readonly partition: number } & ErrorPart)[] }[];
}

// ---------------------------------------------------------------- EndTxn

export interface EndTxnRequest extends TxnRequestBase {
  /** true: commit; false: abort. */
  readonly committed: boolean;
}

// ---------------------------------------------------------------- DescribeTransactions / ListTransactions

export interface DescribeTransactionsRequest extends Addressed {
  readonly transactionalIds: readonly string[];
}

export interface TransactionDescription extends ErrorPart {
  readonly transactionalId: string;
  /** '' on failure. */
  readonly transactionState: TransactionState | '';
  readonly transactionTimeoutMs: number;
  /** -1 while no transaction is under way. */
  readonly transactionStartTimeMs: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly number[] }[];
}

export interface DescribeTransactionsAnswer {
  readonly transactionStates: readonly TransactionDescription[];
}

export interface ListTransactionsRequest extends Addressed {
  /** State names; empty: every state. */
  readonly stateFilters?: readonly string[];
  /** Empty: every producer id. */
  readonly producerIdFilters?: readonly number[];
  /** v1 (KIP-994): only transactions running longer than this; -1: all. */
  readonly durationFilter?: number;
}

export interface ListTransactionsAnswer extends ErrorPart {
  readonly unknownStateFilters: readonly string[];
  readonly transactionStates: readonly { readonly transactionalId: string; readonly producerId: number; readonly transactionState: TransactionState }[];
}
