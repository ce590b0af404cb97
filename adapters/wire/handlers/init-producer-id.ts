/**
 * InitProducerId (key 22), v0–v5 (v2 flexible; v3's producer id and epoch, KIP-360, let a
 * producer bump its own epoch after an error; v4 may answer PRODUCER_FENCED, v5 only widens what
 * a client may see). Without a transactional id any broker answers, with a new producer id from
 * its block and epoch 0; with one, the transaction coordinator answers (NOT_COORDINATOR from any
 * other broker), bumping the epoch and fencing an older instance. The request version goes to the
 * engine, which answers a version before 4 INVALID_PRODUCER_EPOCH where v4+ gets PRODUCER_FENCED,
 * as Kafka's handler does.
 */
import { InitProducerId } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { isUnreachable, num } from './codes.js';
import { isSilent } from './group-answers.js';

export const initProducerId = handler({
  api: InitProducerId,
  versions: [0, 5],
  handle(ctx, version, request) {
    if (isSilent(ctx)) return 'unreachable';
    const answer = ctx.engine.initProducerId({
      transactionalId: request.transactionalId,
      transactionTimeoutMs: request.transactionTimeoutMs,
      // Before v3 the fields do not exist and decode as -1: "no current producer id".
      producerId: num(request.producerId),
      producerEpoch: request.producerEpoch,
      broker: ctx.brokerId,
      version,
    });
    if (isUnreachable(answer, ctx.brokerId)) return 'unreachable';
    return { throttleTimeMs: 0, errorCode: answer.errorCode, producerId: BigInt(answer.producerId), producerEpoch: answer.producerEpoch };
  },
});
