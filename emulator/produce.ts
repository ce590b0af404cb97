/**
 * Produce, as a partition leader handles it (Kafka's Partition.appendRecordsToLeader): the checks
 * in Kafka 3.9's order (acks, the partition, its leader, min.insync.replicas for acks=all, each
 * record, the batch's size), the append, and for acks=all the wait in the produce purgatory.
 * Each partition gets its own answer, as in Kafka's ProduceResponse; a rejected write appends
 * nothing.
 */
import { failure, NONE, type Failure } from '../protocol/errors.js';
import { hasPolicy } from './config.js';
import { delayProduce } from './purgatory.js';
import { packBatch, type ProduceRecord, type RecordBatch } from './records.js';
import { appendToReplica, replicate } from './replication.js';
import { checkLeader, effectiveMinIsr, failed, isUnreachable, partitionOf, type Answer, type EngineState, type Partition } from './state.js';

/** A produce request for one partition. */
export interface ProduceRequest {
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
  readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly records: readonly ProduceRecord[] }[];
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
  let appended: { p: Partition; batch: RecordBatch } | Failure;
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
  const { p, batch } = appended;
  const result: ProduceResult = {
    topic: request.topic,
    partition: request.partition,
    errorCode: NONE,
    errorMessage: null,
    baseOffset: batch.baseOffset,
    logAppendTime: batch.timestampType === 'LogAppendTime' ? batch.maxTimestamp : -1,
    logStartOffset: p.replicaStates.get(p.leader)!.log.logStartOffset,
  };
  const requiredOffset = batch.lastOffset + 1;
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
  return Promise.all(request.partitions.map(({ topic, partition, records }) => produce(s, { topic, partition, records, acks, timeout, broker })));
}

function refused(request: ProduceRequest, error: Failure): ProduceResult {
  return { topic: request.topic, partition: request.partition, ...error, baseOffset: -1, logAppendTime: -1, logStartOffset: -1 };
}

function append(s: EngineState, request: ProduceRequest, acks: number): { p: Partition; batch: RecordBatch } | Failure {
  if (acks !== 0 && acks !== 1 && acks !== -1) return failure('INVALID_REQUIRED_ACKS', `acks must be -1, 0 or 1, got ${String(acks)}`);
  const p = partitionOf(s, request.topic, request.partition);
  if (failed(p)) return p;
  const notLeader = checkLeader(s, p, request.broker);
  if (notLeader !== undefined) return notLeader;
  const records = request.records;
  if (!Array.isArray(records) || records.length === 0) return failure('INVALID_REQUEST', 'A produce request needs at least one record');
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
  const leader = p.replicaStates.get(p.leader)!;
  // The batch copies the records' bytes, as a broker's log does: what was sent is what is read.
  const meta = { baseOffset: leader.log.logEndOffset, leaderEpoch: p.leaderEpoch, timestampType: logAppendTime ? 'LogAppendTime' : 'CreateTime' } as const;
  let refusal: Failure | undefined;
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
    return refusal === undefined;
  });
  if (batch === undefined) return refusal!;
  appendToReplica(s, p, leader, batch);
  replicate(s, p);
  return { p, batch };
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
