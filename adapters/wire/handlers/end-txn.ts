/**
 * EndTxn (key 26), v0–v4: commits or aborts the producer's transaction at its coordinator. The
 * answer comes once the decision is logged; the markers reach the partitions on the cluster clock
 * after it, and until then InitProducerId and AddPartitionsToTxn for the id answer
 * CONCURRENT_TRANSACTIONS (retriable), as in Kafka. v2 may answer PRODUCER_FENCED (older versions
 * INVALID_PRODUCER_EPOCH: the version goes to the engine), v3 is flexible, v4 only lets the answer
 * be TRANSACTION_ABORTABLE.
 */
import { EndTxn } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { num } from './codes.js';
import { isSilent } from './group-answers.js';

export const endTxn = handler({
  api: EndTxn,
  versions: [0, 4],
  handle(ctx, version, request) {
    if (isSilent(ctx)) return 'unreachable';
    const answer = ctx.engine.endTxn({
      transactionalId: request.transactionalId,
      producerId: num(request.producerId),
      producerEpoch: request.producerEpoch,
      committed: request.committed,
      broker: ctx.brokerId,
      version,
    });
    return { throttleTimeMs: 0, errorCode: answer.errorCode };
  },
});
