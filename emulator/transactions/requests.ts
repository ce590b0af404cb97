/**
 * The transaction requests a producer sends, as Kafka 3.9's `TransactionCoordinator` answers them
 * (transaction protocol version 1): FindCoordinator for a transactional id, InitProducerId,
 * AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, and TxnOffsetCommit's check against the
 * transaction. Each takes the coordinator and the request's data and answers Kafka's error codes
 * as data. Fencing answers PRODUCER_FENCED, or INVALID_PRODUCER_EPOCH to versions older than the
 * one that added it, as Kafka's request handlers do.
 */
import { isFailure, type ErrorPart, type Failure } from '../../protocol/errors.js';
import type { TransactionCoordinator } from './coordinator.js';
import { decide, fenceAndAbort } from './markers.js';
import {
  fencedForVersion,
  NEWEST_VERSION,
  OK,
  PRODUCER_FENCED_SINCE,
  txnFailure,
  type AddOffsetsToTxnRequest,
  type AddPartitionsToTxnAnswer,
  type AddPartitionsToTxnRequest,
  type EndTxnRequest,
  type FindCoordinatorAnswer,
  type FindTxnCoordinatorRequest,
  type InitProducerIdAnswer,
  type InitProducerIdRequest,
  type TxnOffsetCommitAnswer,
  type TxnOffsetCommitRequest,
  type TxnRequestBase,
} from './messages.js';
import { CONSUMER_OFFSETS_TOPIC } from './port.js';
import { isEpochExhausted, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, type TransactionMetadata } from './state.js';
import type { TxnTopicPartition } from './events.js';

/** FindCoordinator with key type 1 (transaction): the leader of the id's `__transaction_state` partition, creating the topic on first use. */
export function findTransactionCoordinator(c: TransactionCoordinator, request: FindTxnCoordinatorRequest): FindCoordinatorAnswer {
  const fail = (f: Failure): FindCoordinatorAnswer => ({ ...f, nodeId: -1, host: '', port: -1 });
  if (typeof request.transactionalId !== 'string' || request.transactionalId.length === 0) {
    return fail(txnFailure('INVALID_REQUEST', `A transactional id must be a non-empty string, got ${JSON.stringify(request.transactionalId)}`));
  }
  if (request.broker !== undefined) {
    const down = c.checkReachable(request.broker);
    if (down !== undefined) return fail(down);
  }
  // Any broker answers FindCoordinator, from its metadata.
  const found = c.coordinatorFor(request.transactionalId);
  if ('errorCode' in found) return fail(found);
  const node = c.port.brokers().find((b) => b.nodeId === found.leader)!;
  return { ...OK, nodeId: node.nodeId, host: node.host, port: node.port };
}

/** A new producer id from `broker`'s block, recorded. */
function allocate(c: TransactionCoordinator, broker: number, transactionalId: string | null): number {
  const producerId = c.port.allocateProducerId(broker);
  c.record({ type: 'producer-id-allocated', broker, producerId, producerEpoch: 0, transactionalId });
  return producerId;
}

const initFailure = (f: Failure): InitProducerIdAnswer => ({ ...f, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });

/**
 * InitProducerId. Without a transactional id: a new producer id at epoch 0. With one: a new id
 * (epoch 0) for an unknown transactional id; otherwise the epoch is bumped, which fences the
 * previous producer, or a new producer id is drawn when the epochs ran out. An Ongoing transaction
 * is fenced and aborted first and the answer is CONCURRENT_TRANSACTIONS, so the producer retries
 * once the abort's markers are written. v3+ carries the producer's own id and epoch (KIP-360): a
 * retry, or a producer recovering, keeps its place unless another instance took it.
 */
export function initProducerId(c: TransactionCoordinator, request: InitProducerIdRequest): InitProducerIdAnswer {
  const version = request.version ?? NEWEST_VERSION.InitProducerId;
  const { transactionalId, transactionTimeoutMs } = request;
  if (transactionalId === null) {
    if (request.broker !== undefined) {
      const down = c.checkReachable(request.broker);
      if (down !== undefined) return initFailure(down);
    }
    const broker = request.broker ?? c.port.brokers().find((b) => b.status === 'running')?.nodeId;
    if (broker === undefined) return initFailure(txnFailure('COORDINATOR_NOT_AVAILABLE', 'No broker is running'));
    return { ...OK, producerId: allocate(c, broker, null), producerEpoch: 0 };
  }
  if (transactionalId.length === 0) return initFailure(txnFailure('INVALID_REQUEST', 'The transactional id must not be empty'));
  const max = c.settings['transaction.max.timeout.ms'];
  if (!Number.isInteger(transactionTimeoutMs) || transactionTimeoutMs <= 0 || transactionTimeoutMs > max) {
    return initFailure(
      txnFailure('INVALID_TRANSACTION_TIMEOUT', `The transaction timeout ${transactionTimeoutMs} ms is not in (0, ${max}] (transaction.max.timeout.ms)`),
    );
  }
  const givenId = request.producerId ?? NO_PRODUCER_ID;
  const givenEpoch = request.producerEpoch ?? NO_PRODUCER_EPOCH;
  if ((givenId === NO_PRODUCER_ID) !== (givenEpoch === NO_PRODUCER_EPOCH)) {
    return initFailure(txnFailure('INVALID_REQUEST', `Producer id ${givenId} and epoch ${givenEpoch} must both be set or both be -1`));
  }
  const expected = givenId === NO_PRODUCER_ID ? undefined : { producerId: givenId, epoch: givenEpoch };
  const routed = c.route(transactionalId, request.broker);
  if ('errorCode' in routed) return initFailure(routed);

  let txn = c.get(transactionalId);
  if (txn === undefined) {
    txn = c.create(transactionalId, allocate(c, c.leaderOf(routed.partition), transactionalId), transactionTimeoutMs);
  }
  const answer = initExisting(c, txn, transactionTimeoutMs, expected);
  return isFailure(answer) ? initFailure(fencedForVersion(answer, version, PRODUCER_FENCED_SINCE.InitProducerId)) : answer;
}

function initExisting(
  c: TransactionCoordinator,
  txn: TransactionMetadata,
  timeoutMs: number,
  expected: { producerId: number; epoch: number } | undefined,
): InitProducerIdAnswer | Failure {
  const id = txn.transactionalId;
  if (txn.completionPending) {
    return txnFailure(
      'CONCURRENT_TRANSACTIONS',
      `The ${txn.state === 'PrepareCommit' ? 'commit' : 'abort'} of transactional id ${id} is still writing its markers`,
    );
  }
  // Fence unless the metadata was just created, the producer id is the current one (its epoch is
  // checked below), or it is the previous one with its epochs spent (a retried rotation).
  if (
    expected !== undefined &&
    !(
      txn.producerEpoch === NO_PRODUCER_EPOCH ||
      expected.producerId === txn.producerId ||
      (expected.producerId === txn.lastProducerId && isEpochExhausted(expected.epoch))
    )
  ) {
    return txnFailure('PRODUCER_FENCED', `Producer id ${expected.producerId} is not the current producer id ${txn.producerId} of transactional id ${id}`);
  }
  if (txn.state === 'Ongoing') {
    fenceAndAbort(c, txn, 'fenced');
    return txnFailure('CONCURRENT_TRANSACTIONS', `Transactional id ${id} had a transaction under way: it is being aborted, retry`);
  }
  if (txn.state !== 'Empty' && txn.state !== 'CompleteCommit' && txn.state !== 'CompleteAbort') {
    throw new Error(`invariant: transactional id ${id} found in state ${txn.state}, which no request may see`);
  }
  const previousId = txn.producerId;
  const previousEpoch = txn.producerEpoch;
  if (isEpochExhausted(txn.producerEpoch) && (expected === undefined || expected.epoch === txn.producerEpoch)) {
    const producerId = allocate(c, c.leaderOf(txn.partition), id);
    txn.lastProducerId = previousId;
    txn.lastProducerEpoch = expected !== undefined ? txn.producerEpoch : NO_PRODUCER_EPOCH;
    txn.producerId = producerId;
    txn.producerEpoch = 0;
  } else {
    // Kafka's prepareIncrementProducerEpoch.
    if (expected === undefined) {
      txn.lastProducerEpoch = NO_PRODUCER_EPOCH;
      txn.producerEpoch += 1;
    } else if (txn.producerEpoch === NO_PRODUCER_EPOCH || expected.epoch === txn.producerEpoch) {
      if (isEpochExhausted(txn.producerEpoch)) throw new Error(`invariant: no epoch left to bump for producer id ${txn.producerId}`);
      txn.lastProducerEpoch = txn.producerEpoch;
      txn.producerEpoch += 1;
    } else if (expected.epoch !== txn.lastProducerEpoch) {
      return txnFailure(
        'PRODUCER_FENCED',
        `Producer epoch ${expected.epoch} is neither the current epoch ${txn.producerEpoch} nor the previous one ${txn.lastProducerEpoch} of transactional id ${id}`,
      );
    }
    // expected.epoch === lastProducerEpoch: a retry of a bump that succeeded; the epoch stays.
    // Every InitProducerId transition records the producer id it leaves as the last one.
    txn.lastProducerId = txn.producerId;
  }
  txn.transitionTo('Empty');
  txn.txnTimeoutMs = timeoutMs;
  txn.clearTransaction();
  txn.txnStartTimestamp = -1;
  txn.txnLastUpdateTimestamp = c.port.clock.now();
  if (previousEpoch !== NO_PRODUCER_EPOCH && (txn.producerId !== previousId || txn.producerEpoch !== previousEpoch)) {
    c.record({
      type: 'txn-fenced',
      transactionalId: id,
      producerId: previousId,
      fencedEpoch: previousEpoch,
      producerEpoch: txn.producerEpoch,
      newProducerId: txn.producerId,
      reason: 'init',
    });
  }
  return { ...OK, producerId: txn.producerId, producerEpoch: txn.producerEpoch };
}

/**
 * The checks AddPartitionsToTxn, AddOffsetsToTxn and EndTxn share: the id is known, the producer
 * id is its current one, and the epoch is current. Undefined when the request may go on.
 */
function checkProducer(txn: TransactionMetadata | undefined, request: TxnRequestBase): Failure | undefined {
  const id = request.transactionalId;
  if (txn === undefined) return txnFailure('INVALID_PRODUCER_ID_MAPPING', `Transactional id ${id} is not known to its coordinator; call InitProducerId first`);
  if (txn.producerId !== request.producerId) {
    return txnFailure('INVALID_PRODUCER_ID_MAPPING', `Producer id ${request.producerId} is not the producer id ${txn.producerId} of transactional id ${id}`);
  }
  if (txn.producerEpoch !== request.producerEpoch) {
    return txnFailure(
      'PRODUCER_FENCED',
      `Producer epoch ${request.producerEpoch} of transactional id ${id} is fenced: the current epoch is ${txn.producerEpoch}`,
    );
  }
  return undefined;
}

/** Adds partitions to the transaction (Kafka's `handleAddPartitionsToTransaction`): Ongoing from now on. */
function addToTransaction(c: TransactionCoordinator, request: TxnRequestBase, partitions: readonly TxnTopicPartition[]): ErrorPart {
  if (request.transactionalId.length === 0) return txnFailure('INVALID_REQUEST', 'The transactional id must not be empty');
  const routed = c.route(request.transactionalId, request.broker);
  if ('errorCode' in routed) return routed;
  const txn = c.get(request.transactionalId);
  const bad = checkProducer(txn, request);
  if (bad !== undefined) return bad;
  const t = txn!;
  if (t.completionPending) {
    return txnFailure('CONCURRENT_TRANSACTIONS', `The previous transaction of transactional id ${t.transactionalId} is still writing its markers (${t.state})`);
  }
  if (t.state === 'Ongoing' && partitions.every((tp) => t.hasPartition(tp.topic, tp.partition))) return OK;
  const starting = t.state !== 'Ongoing';
  const now = c.port.clock.now();
  t.transitionTo('Ongoing');
  if (starting) t.txnStartTimestamp = now;
  t.addPartitions(partitions);
  t.txnLastUpdateTimestamp = now;
  if (starting) {
    c.record({
      type: 'txn-begin',
      transactionalId: t.transactionalId,
      producerId: t.producerId,
      producerEpoch: t.producerEpoch,
      partitions: t.topicPartitions(),
    });
  }
  return OK;
}

/**
 * AddPartitionsToTxn (v0-v3: one transaction per request). Partitions of topics that do not exist
 * get UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED, as Kafka's handler
 * answers before asking the coordinator; otherwise every partition gets the coordinator's answer.
 */
export function addPartitionsToTxn(c: TransactionCoordinator, request: AddPartitionsToTxnRequest): AddPartitionsToTxnAnswer {
  const version = request.version ?? NEWEST_VERSION.AddPartitionsToTxn;
  const unknown = new Set<string>();
  for (const { topic, partitions } of request.topics) {
    const count = c.port.partitionCount(topic);
    for (const p of partitions) if (count === undefined || !Number.isInteger(p) || p < 0 || p >= count) unknown.add(`${topic}\u0000${p}`);
  }
  const each = (code: (topic: string, partition: number) => ErrorPart): AddPartitionsToTxnAnswer => ({
    results: request.topics.map(({ topic, partitions }) => ({ topic, partitions: partitions.map((partition) => ({ partition, ...code(topic, partition) })) })),
  });
  if (request.broker !== undefined) {
    const down = c.checkReachable(request.broker);
    if (down !== undefined) return each(() => down);
  }
  if (unknown.size > 0) {
    return each((topic, partition) =>
      unknown.has(`${topic}\u0000${partition}`)
        ? txnFailure('UNKNOWN_TOPIC_OR_PARTITION', `${topic}-${partition} does not exist`)
        : txnFailure('OPERATION_NOT_ATTEMPTED', `Not added: other partitions of the request do not exist`),
    );
  }
  const partitions = request.topics.flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition })));
  let answer = addToTransaction(c, request, partitions);
  if (isFailure(answer)) answer = fencedForVersion(answer, version, PRODUCER_FENCED_SINCE.AddPartitionsToTxn);
  return each(() => answer);
}

/** AddOffsetsToTxn: adds the group's `__consumer_offsets` partition to the transaction, so its offsets commit with it. */
export function addOffsetsToTxn(c: TransactionCoordinator, request: AddOffsetsToTxnRequest): ErrorPart {
  const version = request.version ?? NEWEST_VERSION.AddOffsetsToTxn;
  if (request.transactionalId.length === 0) return txnFailure('INVALID_REQUEST', 'The transactional id must not be empty');
  const partition = c.port.offsetsPartitionFor(request.groupId);
  const answer = addToTransaction(c, request, [{ topic: CONSUMER_OFFSETS_TOPIC, partition }]);
  if (!isFailure(answer)) {
    c.get(request.transactionalId)!.groups.add(request.groupId);
    return answer;
  }
  return fencedForVersion(answer, version, PRODUCER_FENCED_SINCE.AddOffsetsToTxn);
}

/**
 * TxnOffsetCommit, which the engine routes to the group's coordinator first (this function does
 * not route). The group coordinator's checks come from the port; then the transaction is checked
 * as Kafka's partition verification does (KIP-890: the group's partition must be in the Ongoing
 * transaction), and the offsets are held until the transaction's marker reaches the group's
 * partition. Every partition gets the same code.
 */
export function txnOffsetCommit(c: TransactionCoordinator, request: TxnOffsetCommitRequest): TxnOffsetCommitAnswer {
  const each = (part: ErrorPart): TxnOffsetCommitAnswer => ({
    topics: request.topics.map(({ topic, partitions }) => ({ topic, partitions: partitions.map(({ partition }) => ({ partition, ...part })) })),
  });
  const id = request.transactionalId;
  if (typeof id !== 'string' || id.length === 0) return each(txnFailure('INVALID_REQUEST', 'The transactional id must not be empty'));
  const group = c.port.checkTxnOffsetCommit({
    groupId: request.groupId,
    generationId: request.generationId ?? -1,
    memberId: request.memberId ?? '',
    groupInstanceId: request.groupInstanceId ?? null,
  });
  if (isFailure(group)) return each(group);
  // The group coordinator asks the transaction coordinator broker to broker: clients' reachability does not matter.
  const found = c.coordinatorFor(id);
  if ('errorCode' in found) return each(found);
  const txn = c.get(id);
  if (txn === undefined || txn.producerId !== request.producerId) {
    return each(txnFailure('INVALID_PRODUCER_ID_MAPPING', `Producer id ${request.producerId} is not the producer id of transactional id ${id}`));
  }
  if (txn.producerEpoch !== request.producerEpoch) {
    return each(
      txnFailure(
        'INVALID_PRODUCER_EPOCH',
        `Producer epoch ${request.producerEpoch} of transactional id ${id} is fenced: the current epoch is ${txn.producerEpoch}`,
      ),
    );
  }
  if (txn.completionPending) return each(txnFailure('CONCURRENT_TRANSACTIONS', `The transaction of ${id} is being completed (${txn.state})`));
  const offsetsPartition = c.port.offsetsPartitionFor(request.groupId);
  if (txn.state !== 'Ongoing' || !txn.hasPartition(CONSUMER_OFFSETS_TOPIC, offsetsPartition)) {
    return each(
      txnFailure(
        'INVALID_TXN_STATE',
        `Group ${request.groupId} (${CONSUMER_OFFSETS_TOPIC}-${offsetsPartition}) is not in the transaction of ${id}; call AddOffsetsToTxn first`,
      ),
    );
  }
  for (const { topic, partitions } of request.topics) {
    for (const p of partitions) {
      txn.holdOffset(request.groupId, {
        topic,
        partition: p.partition,
        offset: p.committedOffset,
        leaderEpoch: p.committedLeaderEpoch ?? -1,
        metadata: p.committedMetadata ?? null,
      });
    }
  }
  txn.txnLastUpdateTimestamp = c.port.clock.now();
  return each(OK);
}

/**
 * EndTxn (Kafka's `handleEndTransaction`): from Ongoing, the commit or abort is decided and the
 * answer is success at once; the markers follow. A retried EndTxn with the same result as the
 * completed transaction succeeds; while the markers of the previous one are being written the
 * answer is CONCURRENT_TRANSACTIONS; anything else is INVALID_TXN_STATE.
 */
export function endTxn(c: TransactionCoordinator, request: EndTxnRequest): ErrorPart {
  const version = request.version ?? NEWEST_VERSION.EndTxn;
  const answer = endTransaction(c, request);
  return isFailure(answer) ? fencedForVersion(answer, version, PRODUCER_FENCED_SINCE.EndTxn) : answer;
}

function endTransaction(c: TransactionCoordinator, request: EndTxnRequest): ErrorPart {
  const id = request.transactionalId;
  if (id.length === 0) return txnFailure('INVALID_REQUEST', 'The transactional id must not be empty');
  const routed = c.route(id, request.broker);
  if ('errorCode' in routed) return routed;
  const txn = c.get(id);
  const bad = checkProducer(txn, request);
  if (bad !== undefined) return bad;
  const t = txn!;
  const result = request.committed ? 'commit' : 'abort';
  const invalid = (): Failure => txnFailure('INVALID_TXN_STATE', `Cannot ${result} transactional id ${id} in state ${t.state}`);
  // Kafka checks its pending completion before the state: a second EndTxn of either result waits.
  if (t.completionPending)
    return txnFailure('CONCURRENT_TRANSACTIONS', `The ${t.state === 'PrepareCommit' ? 'commit' : 'abort'} of ${id} is still writing its markers`);
  switch (t.state) {
    case 'Ongoing':
      decide(c, t, request.committed, 'client');
      return OK;
    case 'CompleteCommit':
      return request.committed ? OK : invalid();
    case 'CompleteAbort':
      return request.committed ? invalid() : OK;
    case 'Empty':
      return invalid();
    default:
      throw new Error(`invariant: transactional id ${id} found in state ${t.state}, which no request may see`);
  }
}
