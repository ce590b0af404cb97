/**
 * AddOffsetsToTxn (key 25), v0–v4: sent to the transactional id's coordinator before a
 * TxnOffsetCommit, it adds the group's `__consumer_offsets` partition to the transaction. v2 may
 * answer PRODUCER_FENCED (older versions INVALID_PRODUCER_EPOCH: the version goes to the engine),
 * v3 is flexible, v4 only lets the answer be TRANSACTION_ABORTABLE.
 */
import { AddOffsetsToTxn } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { num } from './codes.js';
import { isSilent } from './group-answers.js';

export const addOffsetsToTxn = handler({
  api: AddOffsetsToTxn,
  versions: [0, 4],
  handle(ctx, version, request) {
    if (isSilent(ctx)) return 'unreachable';
    const answer = ctx.engine.addOffsetsToTxn({
      transactionalId: request.transactionalId,
      producerId: num(request.producerId),
      producerEpoch: request.producerEpoch,
      groupId: request.groupId,
      broker: ctx.brokerId,
      version,
    });
    return { throttleTimeMs: 0, errorCode: answer.errorCode };
  },
});
