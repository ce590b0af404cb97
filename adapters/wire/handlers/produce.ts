/**
 * Produce (key 0), v3+ (record batches, magic 2). Each partition's batches are decoded and handed
 * to the engine as one write, sent to this broker (so leadership and reachability are the
 * engine's checks); a batch that does not decode (bad CRC, garbled record, codec missing) fails
 * that partition alone with CORRUPT_MESSAGE or UNSUPPORTED_COMPRESSION_TYPE, as Kafka's log
 * validation does. acks=0 gets no response at all. From v10 a partition refused with
 * NOT_LEADER_OR_FOLLOWER names its current leader (KIP-951, see leaders.ts); v11 only lets the
 * answer be TRANSACTION_ABORTABLE, which needs transactions. An idempotent or transactional
 * producer's batch hands its producer id, epoch, base sequence and transactional flag to the
 * engine, which answers a retried batch with its original offsets; such a partition must carry
 * exactly one batch (Kafka's rule for v3+, INVALID_RECORD otherwise).
 */
import type { ProduceRequest, ProduceResult } from '../../../emulator/engine.js';
import type { ProduceRecord } from '../../../emulator/records.js';
import { decodeRecordBatches, Produce, recordPosition, WireDecodeError } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { LeaderHints, PRODUCE_HINTED } from './leaders.js';
import { big, code, isUnreachable, num } from './codes.js';

export const produce = handler({
  api: Produce,
  versions: [3, 11],
  async handle(ctx, version, request) {
    const { engine, brokerId } = ctx;
    const answers: (ProduceResult | Promise<ProduceResult>)[] = [];
    for (const t of request.topicData) {
      for (const p of t.partitionData) {
        const decoded = recordsOf(p.records);
        if (typeof decoded === 'number') {
          answers.push({ topic: t.name, partition: p.index, errorCode: decoded, errorMessage: null, baseOffset: -1, logAppendTime: -1, logStartOffset: -1 });
        } else {
          answers.push(engine.produce({ topic: t.name, partition: p.index, ...decoded, acks: request.acks, timeout: request.timeoutMs, broker: brokerId }));
        }
      }
    }
    const results = await Promise.all(answers);
    if (results.some((r) => isUnreachable(r, brokerId))) return 'unreachable';
    if (request.acks === 0) return null;
    let i = 0;
    const hints = new LeaderHints(ctx);
    const response = {
      responses: request.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map(() => {
          const r = results[i++]!;
          return {
            ...(version >= 10 && PRODUCE_HINTED.has(r.errorCode) ? { currentLeader: hints.hint(r.topic, r.partition) } : {}),
            index: r.partition,
            errorCode: r.errorCode,
            baseOffset: big(r.baseOffset),
            logAppendTimeMs: big(r.logAppendTime),
            logStartOffset: big(r.logStartOffset),
            errorMessage: r.errorCode === 0 ? null : r.errorMessage,
          };
        }),
      })),
      throttleTimeMs: 0,
    };
    return { ...response, nodeEndpoints: hints.endpoints() };
  },
});

type Decoded = Pick<ProduceRequest, 'records' | 'producerId' | 'producerEpoch' | 'baseSequence' | 'isTransactional'>;

/** A partition's records and producer fields for the engine, or the error code that fails the partition. */
function recordsOf(bytes: Buffer | null): Decoded | number {
  let batches;
  try {
    batches = decodeRecordBatches(bytes);
  } catch (e) {
    if (e instanceof WireDecodeError) return code(e.errorName);
    throw e;
  }
  const records: ProduceRecord[] = [];
  for (const batch of batches) {
    for (const r of batch.records) {
      records.push({ key: r.key, value: r.value, headers: r.headers, timestamp: num(recordPosition(batch, r).timestamp) });
    }
  }
  const first = batches[0];
  if (first === undefined || (first.producerId < 0n && !first.isTransactional)) return { records };
  if (batches.length > 1) return INVALID_RECORD;
  return { records, producerId: num(first.producerId), producerEpoch: first.producerEpoch, baseSequence: first.baseSequence, isTransactional: first.isTransactional };
}

const INVALID_RECORD = code('INVALID_RECORD');
