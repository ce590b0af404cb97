/**
 * The transaction coordinator (issue 13, exactly-once) as one module behind {@link TxnPort}:
 * what the engine imports when it wires it in.
 */
export { TransactionCoordinator, type TransactionCoordinatorOptions } from './coordinator.js';
export { findTransactionCoordinator, initProducerId, addPartitionsToTxn, addOffsetsToTxn, txnOffsetCommit, endTxn } from './requests.js';
export { describeTransactions, listTransactions } from './admin.js';
export { MARKER_RETRY_BACKOFF_MS } from './markers.js';
export * from './messages.js';
export type { TxnEvent, TxnAbortReason, TxnTopicPartition } from './events.js';
export * from './port.js';
export * from './settings.js';
export * from './state.js';
