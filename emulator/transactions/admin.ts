/**
 * The admin view of transactions (Kafka's `handleDescribeTransactions` and
 * `TransactionStateManager.listTransactionStates`): DescribeTransactions answers per transactional
 * id from its coordinator; ListTransactions lists what one broker coordinates (or, without a
 * broker, every coordinator), with Kafka's state, producer id and duration filters.
 */
import { NONE } from '../../protocol/errors.js';
import type { TransactionCoordinator } from './coordinator.js';
import {
  txnFailure,
  type DescribeTransactionsAnswer,
  type DescribeTransactionsRequest,
  type ListTransactionsAnswer,
  type ListTransactionsRequest,
  type TransactionDescription,
} from './messages.js';
import { ALL_TRANSACTION_STATES, type TransactionState } from './state.js';

function describeFailure(transactionalId: string, errorCode: number, errorMessage: string | null): TransactionDescription {
  return {
    errorCode,
    errorMessage,
    transactionalId,
    transactionState: '',
    transactionTimeoutMs: 0,
    transactionStartTimeMs: -1,
    producerId: -1,
    producerEpoch: -1,
    topics: [],
  };
}

function describeOne(c: TransactionCoordinator, transactionalId: string, broker: number | undefined): TransactionDescription {
  const failed = (errorCode: number, errorMessage: string | null): TransactionDescription => describeFailure(transactionalId, errorCode, errorMessage);
  if (transactionalId.length === 0) {
    const f = txnFailure('INVALID_REQUEST', 'The transactional id must not be empty');
    return failed(f.errorCode, f.errorMessage);
  }
  const routed = c.route(transactionalId, broker);
  if ('errorCode' in routed) return failed(routed.errorCode, routed.errorMessage);
  const txn = c.get(transactionalId);
  // A Dead id is being expired: Kafka answers as if it were gone.
  if (txn === undefined || txn.state === 'Dead') {
    const f = txnFailure('TRANSACTIONAL_ID_NOT_FOUND', `Transactional id ${transactionalId} is not known to its coordinator`);
    return failed(f.errorCode, f.errorMessage);
  }
  const topics = new Map<string, number[]>();
  for (const { topic, partition } of txn.topicPartitions()) {
    let partitions = topics.get(topic);
    if (partitions === undefined) topics.set(topic, (partitions = []));
    partitions.push(partition);
  }
  return {
    errorCode: NONE,
    errorMessage: null,
    transactionalId,
    transactionState: txn.state,
    transactionTimeoutMs: txn.txnTimeoutMs,
    transactionStartTimeMs: txn.txnStartTimestamp,
    producerId: txn.producerId,
    producerEpoch: txn.producerEpoch,
    topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
  };
}

/** DescribeTransactions: each id's state from its coordinator (NOT_COORDINATOR when `broker` is not it). */
export function describeTransactions(c: TransactionCoordinator, request: DescribeTransactionsRequest): DescribeTransactionsAnswer {
  if (request.broker !== undefined) {
    const down = c.checkReachable(request.broker);
    if (down !== undefined) {
      return { transactionStates: request.transactionalIds.map((id) => describeFailure(id, down.errorCode, down.errorMessage)) };
    }
  }
  return { transactionStates: request.transactionalIds.map((id) => describeOne(c, id, request.broker)) };
}

/**
 * ListTransactions: unknown state names come back in `unknownStateFilters` (and, being the only
 * filter, match nothing, as in Kafka); Dead ids are never listed; a duration filter keeps only
 * transactions that started more than that long ago.
 */
export function listTransactions(c: TransactionCoordinator, request: ListTransactionsRequest): ListTransactionsAnswer {
  if (request.broker !== undefined) {
    const down = c.checkReachable(request.broker);
    if (down !== undefined) return { ...down, unknownStateFilters: [], transactionStates: [] };
  }
  const stateNames = request.stateFilters ?? [];
  const producerIds = new Set(request.producerIdFilters ?? []);
  const duration = request.durationFilter ?? -1;
  const states = new Set<TransactionState>();
  const unknownStateFilters: string[] = [];
  for (const name of stateNames) {
    const state = ALL_TRANSACTION_STATES.find((s) => s === name);
    if (state === undefined) unknownStateFilters.push(name);
    else states.add(state);
  }
  const now = c.port.clock.now();
  const transactionStates = c
    .loaded(request.broker)
    .filter(
      (txn) =>
        txn.state !== 'Dead' &&
        (producerIds.size === 0 || producerIds.has(txn.producerId)) &&
        (stateNames.length === 0 || states.has(txn.state)) &&
        !(duration >= 0 && now - txn.txnStartTimestamp <= duration),
    )
    .map((txn) => ({ transactionalId: txn.transactionalId, producerId: txn.producerId, transactionState: txn.state }));
  return { errorCode: NONE, errorMessage: null, unknownStateFilters, transactionStates };
}
