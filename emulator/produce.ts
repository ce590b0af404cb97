/**
 * Produce, as a partition leader handles it (Kafka's Partition.appendRecordsToLeader): the checks
 * in Kafka 3.9's order (acks, the partition, its leader, min.insync.replicas for acks=all, each
 * record, the batch's size), the append, and for acks=all the wait in the produce purgatory.
 * Each partition gets its own answer, as in Kafka's ProduceResponse; a rejected write appends
 * nothing.
 */
import { failure, NONE, unreachable, type Failure } from '../protocol/errors.js';
import { hasPolicy } from './config.js';
import { delayProduce } from './purgatory.js';
import { markerRecord, packBatch, type ProduceRecord, type ProducerFields } from './records.js';
import type { BatchMetadata } from './producers.js';
import type { TxnMarker } from './transactions/port.js';
import { appendToReplica, replicate } from './replication.js';
import { allocateProducerId, brokerOf, checkLeader, effectiveMinIsr, failed, isUnreachable, partitionOf, type Answer, type EngineState, type Partition } from './state.js';

/**
 * A produce request for one partition. An idempotent producer's batch carries its producer id,
 * epoch and the sequence number of its first record (`producerId`, `producerEpoch`,
 * `baseSequence`; -1 or omitted for a plain producer), and a transactional one `isTransactional`.
 */
export interface ProduceRequest extends Omit<ProducerFields, 'isControl'> {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly ProduceRecord[];
  /**
   * 0: fire and forget; 1: the leader has it; -1 (all): every in-sync replica has it.
   * @defaultValue -1
   */
  readonly acks?: number;
  /**
   * How long an acks=all write waits for the in-sync replicas, in cluster ms.
   * @defaultValue 30000
   */
  readonly timeout?: number;
  /** The broker the request is sent to; the current leader when omitted. */
  readonly broker?: number;
}

/**
 * Produce's answer for one partition. On an error before the append, the offsets are -1, as
 * Kafka answers; an error after it (the acks=all wait timed out, the ISR shrank below
 * min.insync.replicas, the leader moved) keeps the offsets of the written batch, as Kafka's
 * delayed produce does.
 */
export interface ProduceResult extends Answer {
  readonly topic: string;
  readonly partition: number;
  /** Offset of the first record written; -1 for acks=0 and on an error before the append. */
  readonly baseOffset: number;
  /** The broker's append time under LogAppendTime, else -1. */
  readonly logAppendTime: number;
  readonly logStartOffset: number;
}

/** Kafka's Produce request: one acks and timeout, sent to one broker, for any number of partitions. */
export interface ProduceManyRequest {
  readonly partitions: readonly (Omit<ProducerFields, 'isControl'> & { readonly topic: string; readonly partition: number; readonly records: readonly ProduceRecord[] })[];
  /** @defaultValue -1 */
  readonly acks?: number;
  /** @defaultValue 30000 */
  readonly timeout?: number;
  /** The broker the request is sent to; each partition's current leader when omitted. */
  readonly broker?: number;
}

/**
 * Writes records to a partition's leader. acks=0 answers at once with no error: Kafka sends no
 * response, so only a broker that cannot be reached is seen. acks=1 answers once the leader has
 * appended; acks=-1 first needs at least `min.insync.replicas` in the ISR (else
 * NOT_ENOUGH_REPLICAS, nothing written) and answers once every in-sync replica has the records
 * (REQUEST_TIMED_OUT after `timeout`). Never rejects, except for a broker id the cluster does
 * not have (a RangeError).
 */
export function produce(s: EngineState, request: ProduceRequest): Promise<ProduceResult> {
  const acks = request.acks ?? -1;
  let appended: Appended | Failure;
  try {
    appended = append(s, request, acks);
  } catch (e) {
    return Promise.reject(e);
  }
  if (acks === 0) {
    if (failed(appended) && isUnreachable(appended)) return Promise.resolve(refused(request, appended));
    return Promise.resolve({ topic: request.topic, partition: request.partition, errorCode: NONE, errorMessage: null, baseOffset: -1, logAppendTime: -1, logStartOffset: -1 });
  }
  if (failed(appended)) return Promise.resolve(refused(request, appended));
  const { p } = appended;
  const result: ProduceResult = {
    topic: request.topic,
    partition: request.partition,
    errorCode: NONE,
    errorMessage: null,
    baseOffset: appended.baseOffset,
    logAppendTime: appended.logAppendTime,
    logStartOffset: p.replicaStates.get(p.leader)!.log.logStartOffset,
  };
  const requiredOffset = appended.lastOffset + 1;
  if (acks === 1 || p.highWatermark >= requiredOffset) return Promise.resolve(result);
  return new Promise<ProduceResult>((resolve) => {
    delayProduce(s, p, requiredOffset, request.timeout ?? 30000, (error) =>
      resolve(error === undefined ? result : { ...result, errorCode: error.errorCode, errorMessage: error.errorMessage }),
    );
  });
}

/** Kafka's Produce request over many partitions: answers every partition, in the order asked. */
export function produceMany(s: EngineState, request: ProduceManyRequest): Promise<ProduceResult[]> {
  const { acks, timeout, broker } = request;
  return Promise.all(request.partitions.map((x) => produce(s, { ...x, acks, timeout, broker })));
}

function refused(request: ProduceRequest, error: Failure): ProduceResult {
  return { topic: request.topic, partition: request.partition, ...error, baseOffset: -1, logAppendTime: -1, logStartOffset: -1 };
}

/**
 * What the leader's log did with a write: appended a batch, or (an idempotent producer's retry)
 * found it among the producer's last batches and answers its original offsets, as Kafka's
 * UnifiedLog.append does (with the duplicate's timestamp as its log append time).
 */
interface Appended {
  readonly p: Partition;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly logAppendTime: number;
}

function append(s: EngineState, request: ProduceRequest, acks: number): Appended | Failure {
  if (acks !== 0 && acks !== 1 && acks !== -1) return failure('INVALID_REQUIRED_ACKS', `acks must be -1, 0 or 1, got ${String(acks)}`);
  const p = partitionOf(s, request.topic, request.partition);
  if (failed(p)) return p;
  const notLeader = checkLeader(s, p, request.broker);
  if (notLeader !== undefined) return notLeader;
  const records = request.records;
  if (!Array.isArray(records) || records.length === 0) return failure('INVALID_REQUEST', 'A produce request needs at least one record');
  const leader = p.replicaStates.get(p.leader)!;
  const producer = producerFieldsOf(request, records.length, `${p.topic.name}-${p.index}`);
  // As Kafka's ReplicaManager: a write that would open a transaction here is verified with the
  // coordinator (KIP-890) before the partition looks at it.
  if (!failed(producer) && producer.isTransactional && !leader.log.producerState.hasOpenTransaction(producer.producerId)) {
    const unverified = s.txnCoordinator?.verifyTransactionalWrite(producer.producerId, producer.producerEpoch, p.topic.name, p.index);
    if (unverified !== undefined) return unverified;
  }
  const config = p.topic.config;
  // As Kafka's Partition.appendRecordsToLeader: the ISR is checked before the log validates the batch.
  if (acks === -1 && p.isr.length < effectiveMinIsr(p)) {
    return failure(
      'NOT_ENOUGH_REPLICAS',
      `The size of the current ISR [${p.isr.join(', ')}] is insufficient to satisfy the min.isr requirement of ${effectiveMinIsr(p)} for partition ${p.topic.name}-${p.index}`,
    );
  }
  const now = s.clock.now();
  const logAppendTime = config['message.timestamp.type'] === 'LogAppendTime';
  const timestamps = p.arena.float64(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as ProduceRecord | null;
    const key = r?.key ?? null;
    const value = r?.value ?? null;
    if (r === null || typeof r !== 'object' || (key !== null && !Buffer.isBuffer(key)) || (value !== null && !Buffer.isBuffer(value))) {
      return failure('INVALID_RECORD', `Record ${i} of ${p.topic.name}-${p.index}: key and value must be Buffers or null`);
    }
    let timestamp = r.timestamp;
    if (logAppendTime || timestamp === undefined || timestamp < 0) timestamp = now;
    else if (!Number.isSafeInteger(timestamp)) return failure('INVALID_TIMESTAMP', `Record ${i} has timestamp ${String(timestamp)}, which is not an integer number of ms`);
    timestamps[i] = timestamp;
  }
  if (failed(producer)) return producer;
  // The batch copies the records' bytes, as a broker's log does: what was sent is what is read.
  const meta = { baseOffset: leader.log.logEndOffset, leaderEpoch: p.leaderEpoch, timestampType: logAppendTime ? 'LogAppendTime' : 'CreateTime', ...producer } as const;
  let refusal: Failure | undefined;
  let duplicate: BatchMetadata | undefined;
  const batch = packBatch(p.arena, records, timestamps, meta, (size) => {
    if (size > config['max.message.bytes']) {
      refusal = failure(
        'MESSAGE_TOO_LARGE',
        `The message is ${size} bytes when serialized which is larger than ${config['max.message.bytes']}, the value of the max.message.bytes configuration of topic ${p.topic.name}.`,
      );
    } else if (size > config['segment.bytes']) {
      // As Kafka's UnifiedLog.append: a batch must fit in one segment.
      refusal = failure(
        'RECORD_LIST_TOO_LARGE',
        `Message batch size is ${size} bytes in append to partition ${p.topic.name}-${p.index} which exceeds the maximum configured segment size of ${config['segment.bytes']}.`,
      );
    } else if (hasPolicy(config['cleanup.policy'], 'compact')) {
      // As Kafka: the size checks (UnifiedLog.analyzeAndValidateRecords) come before LogValidator's key check.
      refusal = keylessRecordErrors(records, `${p.topic.name}-${p.index}`);
    }
    if (refusal === undefined && producer.producerId >= 0) {
      // As UnifiedLog.append: the producer's state is checked after the batch itself, before anything is written.
      const checked = leader.log.producerState.check(
        { ...producer, count: records.length },
        `${p.topic.name}-${p.index}`,
        meta.baseOffset,
        now,
        s.config['producer.id.expiration.ms'],
      );
      if (checked !== undefined && 'duplicate' in checked) duplicate = checked.duplicate;
      else refusal = checked;
    }
    return refusal === undefined && duplicate === undefined;
  });
  if (duplicate !== undefined) {
    s.log.record({
      type: 'duplicate-batch',
      topic: p.topic.name,
      partition: p.index,
      producerId: producer.producerId,
      producerEpoch: producer.producerEpoch,
      baseSequence: producer.baseSequence,
      baseOffset: duplicate.firstOffset,
    });
    return { p, baseOffset: duplicate.firstOffset, lastOffset: duplicate.lastOffset, logAppendTime: duplicate.timestamp };
  }
  if (batch === undefined) return refusal!;
  appendToReplica(s, p, leader, batch);
  replicate(s, p);
  return { p, baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, logAppendTime: batch.timestampType === 'LogAppendTime' ? batch.maxTimestamp : -1 };
}

/**
 * A request's producer fields, checked: all -1 (a plain producer) or a producer id and epoch
 * with a sequence number, as Kafka's DefaultRecordBatch holds them (int64, int16, int32).
 */
function producerFieldsOf(
  request: ProduceRequest,
  count: number,
  partition: string,
): { producerId: number; producerEpoch: number; baseSequence: number; isTransactional: boolean } | Failure {
  const producerId = request.producerId ?? -1;
  const producerEpoch = request.producerEpoch ?? -1;
  const baseSequence = request.baseSequence ?? -1;
  const isTransactional = request.isTransactional ?? false;
  if (producerId === -1 && !isTransactional) return { producerId, producerEpoch: -1, baseSequence: -1, isTransactional };
  if (!Number.isSafeInteger(producerId) || producerId < 0) {
    return failure('INVALID_RECORD', `A transactional batch to ${partition} needs a producer id, got ${String(producerId)}`);
  }
  if (!Number.isInteger(producerEpoch) || producerEpoch < 0 || producerEpoch > 32767) {
    return failure('INVALID_RECORD', `Producer ${producerId}'s batch to ${partition} has epoch ${String(producerEpoch)}: an int16 from 0 is needed`);
  }
  if (!Number.isInteger(baseSequence) || baseSequence < 0 || baseSequence > 2147483647) {
    // Kafka's LogValidator: "Invalid sequence number ... for batch from producer" is an InvalidRecordException.
    return failure('INVALID_RECORD', `Producer ${producerId}'s batch to ${partition} has base sequence ${String(baseSequence)}: an int32 from 0 is needed (${count} record(s))`);
  }
  return { producerId, producerEpoch, baseSequence, isTransactional };
}

/** InitProducerId's answer: the producer id and epoch, or the error and -1. */
export interface InitProducerIdAnswer extends Answer {
  readonly producerId: number;
  readonly producerEpoch: number;
}

/**
 * InitProducerId without a transactional id (an idempotent producer): any broker answers with a
 * new producer id from its block and epoch 0, whatever id and epoch the request names (Kafka's
 * TransactionCoordinator.handleInitProducerId: "blindly accept"). The engine sends requests with a
 * transactional id to the transaction coordinator instead.
 */
export function initIdempotentProducerId(s: EngineState, request: { readonly broker?: number }): InitProducerIdAnswer {
  const broker = request.broker ?? s.brokers.find((b) => b.running && !b.isolated)?.id;
  if (broker === undefined) return { ...failure('GROUP_COORDINATOR_NOT_AVAILABLE', 'No broker is running'), producerId: -1, producerEpoch: -1 };
  const b = brokerOf(s, broker);
  if (!b.running) return { ...unreachable(broker, 'stopped'), producerId: -1, producerEpoch: -1 };
  if (b.isolated) return { ...unreachable(broker, 'isolated from the network'), producerId: -1, producerEpoch: -1 };
  const producerId = allocateProducerId(s, broker);
  s.log.record({ type: 'producer-id-allocated', broker, producerId, producerEpoch: 0, transactionalId: null });
  return { errorCode: NONE, errorMessage: null, producerId, producerEpoch: 0 };
}

/** A transaction marker for one partition, as the transaction coordinator's WriteTxnMarkers sends it. */
export interface TxnMarkerRequest extends TxnMarker {
  /** The broker the request is sent to (WriteTxnMarkers from an admin client); the current leader when omitted. */
  readonly broker?: number;
  /**
   * How long the write waits for the in-sync replicas, in cluster ms.
   * @defaultValue 30000
   */
  readonly timeout?: number;
}

/** A marker's answer for one partition: its offset, or the error and -1. */
export interface TxnMarkerResult extends Answer {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * Appends a commit or abort marker to a partition's leader (Kafka's WriteTxnMarkers, origin
 * COORDINATOR): one control batch holding one control record, key version+type and value
 * version+coordinator epoch, taking one offset. It ends the producer's open transaction there:
 * an abort enters the aborted-transaction index, and the last stable offset moves on. Answers
 * once every in-sync replica has it, as an acks=all write (REQUEST_TIMED_OUT after `timeout`);
 * INVALID_PRODUCER_EPOCH for an older producer epoch, TRANSACTION_COORDINATOR_FENCED for an older
 * coordinator epoch, NOT_ENOUGH_REPLICAS below min.insync.replicas.
 */
export function writeTxnMarker(s: EngineState, request: TxnMarkerRequest): Promise<TxnMarkerResult> {
  return new Promise((resolve) => {
    const appended = appendTxnMarker(s, request, (result) => resolve(result));
    if (appended !== 'waiting') resolve(appended);
  });
}

/**
 * {@link writeTxnMarker} for the transaction coordinator, which polls: the answer at once when the
 * marker is refused or already on every in-sync replica; otherwise `'waiting'`, and `onReplicated`
 * is called with the final answer.
 */
export function appendTxnMarker(s: EngineState, request: TxnMarkerRequest, onReplicated: (result: TxnMarkerResult) => void): TxnMarkerResult | 'waiting' {
  const { topic, partition } = request;
  const refuse = (f: Failure): TxnMarkerResult => ({ topic, partition, ...f, offset: -1 });
  const p = partitionOf(s, topic, partition);
  if (failed(p)) return refuse(p);
  const notLeader = checkLeader(s, p, request.broker);
  if (notLeader !== undefined) return refuse(notLeader);
  const { producerId, producerEpoch, coordinatorEpoch, commit } = request;
  if (!Number.isSafeInteger(producerId) || producerId < 0 || !Number.isInteger(producerEpoch) || producerEpoch < 0 || producerEpoch > 32767) {
    return refuse(failure('INVALID_REQUEST', `A transaction marker needs a producer id and an int16 epoch, got ${String(producerId)} and ${String(producerEpoch)}`));
  }
  if (!Number.isInteger(coordinatorEpoch) || coordinatorEpoch < 0) return refuse(failure('INVALID_REQUEST', `Coordinator epoch must be an integer from 0, got ${String(coordinatorEpoch)}`));
  if (p.isr.length < effectiveMinIsr(p)) {
    return refuse(
      failure(
        'NOT_ENOUGH_REPLICAS',
        `The size of the current ISR [${p.isr.join(', ')}] is insufficient to satisfy the min.isr requirement of ${effectiveMinIsr(p)} for partition ${p.topic.name}-${p.index}`,
      ),
    );
  }
  const leader = p.replicaStates.get(p.leader)!;
  const log = leader.log;
  const name = `${p.topic.name}-${p.index}`;
  const fenced = log.producerState.checkMarker(producerId, producerEpoch, coordinatorEpoch, name, log.logEndOffset);
  if (fenced !== undefined) return refuse(fenced);
  const now = s.clock.now();
  const firstOffset = log.producerState.hasOpenTransaction(producerId) ? (log.producerState.entry(producerId, now, Infinity)?.txnFirstOffset ?? -1) : -1;
  const batch = packBatch(p.arena, [markerRecord(commit, coordinatorEpoch)], Float64Array.of(now), {
    baseOffset: log.logEndOffset,
    leaderEpoch: p.leaderEpoch,
    timestampType: 'CreateTime',
    producerId,
    producerEpoch,
    isTransactional: true,
    isControl: true,
  });
  appendToReplica(s, p, leader, batch);
  s.log.record({ type: 'txn-marker-written', topic, partition, producerId, producerEpoch, coordinatorEpoch, commit, offset: batch.baseOffset, firstOffset });
  replicate(s, p);
  const result: TxnMarkerResult = { topic, partition, errorCode: NONE, errorMessage: null, offset: batch.baseOffset };
  if (p.highWatermark > batch.baseOffset) return result;
  delayProduce(s, p, batch.baseOffset + 1, request.timeout ?? 30000, (error) =>
    onReplicated(error === undefined ? result : { ...result, errorCode: error.errorCode, errorMessage: error.errorMessage }),
  );
  return 'waiting';
}

/**
 * Kafka's LogValidator on a compacted topic: every record without a key is a record error, and
 * the batch is refused with INVALID_RECORD and processRecordErrors' message (at most three shown).
 */
function keylessRecordErrors(records: readonly ProduceRecord[], partition: string): Failure | undefined {
  const errors: string[] = [];
  for (let i = 0; i < records.length; i++) {
    if ((records[i]!.key ?? null) === null) {
      errors.push(`RecordError(batchIndex=${i}, message='Compacted topic cannot accept message without key in topic partition ${partition}.')`);
    }
  }
  if (errors.length === 0) return undefined;
  return failure(
    'INVALID_RECORD',
    `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: [${errors.slice(0, 3).join(', ')}]`,
  );
}

/** One producer a partition's leader knows, as DescribeProducers reports it (Kafka's UnifiedLog.activeProducers). */
export interface ActiveProducer {
  readonly producerId: number;
  readonly producerEpoch: number;
  /** Sequence of its last record here, -1 when it has no batch since its epoch began. */
  readonly lastSequence: number;
  /** Timestamp of its last write here, data or marker. */
  readonly lastTimestamp: number;
  /** Coordinator epoch of its last marker here, -1 before any. */
  readonly coordinatorEpoch: number;
  /** First offset of its open transaction here, -1 when none is open. */
  readonly currentTxnStartOffset: number;
}

export interface DescribeProducersRequest {
  readonly topic: string;
  readonly partition: number;
  /** The broker the request is sent to; the current leader when omitted. */
  readonly broker?: number;
}

/** DescribeProducers' answer for one partition: its leader's active producers, by producer id, or the error and none. */
export interface DescribeProducersAnswer extends Answer {
  readonly topic: string;
  readonly partition: number;
  readonly activeProducers: readonly ActiveProducer[];
}

/**
 * DescribeProducers for one partition (KIP-664): what a replica's producer state holds of each
 * producer not expired (`producer.id.expiration.ms`) — the broker's own replica, leader or
 * follower, as Kafka's Partition.activeProducerState reads its local log; the leader's when no
 * broker is named. UNKNOWN_TOPIC_OR_PARTITION for a partition that does not exist,
 * NOT_LEADER_OR_FOLLOWER from a broker without a replica of it.
 */
export function describeProducers(s: EngineState, request: DescribeProducersRequest): DescribeProducersAnswer {
  const { topic, partition } = request;
  const refuse = (f: Failure): DescribeProducersAnswer => ({ topic, partition, ...f, activeProducers: [] });
  const p = partitionOf(s, topic, partition);
  if (failed(p)) return refuse(p);
  let brokerId = p.leader;
  if (request.broker === undefined) {
    const noLeader = checkLeader(s, p, undefined);
    if (noLeader !== undefined) return refuse(noLeader);
  } else {
    const broker = brokerOf(s, request.broker);
    if (!broker.running) return refuse(unreachable(broker.id, 'stopped'));
    brokerId = broker.id;
  }
  const replica = p.replicaStates.get(brokerId);
  if (replica === undefined) return refuse(failure('NOT_LEADER_FOR_PARTITION', `Broker ${brokerId} holds no replica of ${topic}-${partition}`));
  const state = replica.log.producerState;
  const now = s.clock.now();
  const activeProducers: ActiveProducer[] = [];
  for (const { producerId } of state.producers()) {
    const entry = state.entry(producerId, now, s.config['producer.id.expiration.ms']);
    if (entry === undefined) continue;
    const last = entry.batches[entry.batches.length - 1];
    activeProducers.push({
      producerId,
      producerEpoch: entry.epoch,
      lastSequence: last === undefined ? -1 : last.lastSeq,
      lastTimestamp: entry.lastTimestamp,
      coordinatorEpoch: entry.coordinatorEpoch,
      currentTxnStartOffset: entry.txnFirstOffset,
    });
  }
  return { topic, partition, errorCode: NONE, errorMessage: null, activeProducers };
}
