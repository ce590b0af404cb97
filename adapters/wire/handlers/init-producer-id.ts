/**
 * InitProducerId (key 22), v0–v5 (v2 flexible; v3's producer id and epoch, KIP-360, ask to bump
 * an existing producer's epoch, which only matters with a transactional id; v4–v5 change only
 * what errors a client may see). Without a transactional id any broker answers, with a new
 * producer id from its block and epoch 0, as Kafka does. With one it needs the transaction
 * coordinator, which the twin does not have yet: TRANSACTIONAL_ID_AUTHORIZATION_FAILED, fatal in
 * kafkajs and in Kafka's Java producer, so a transactional producer fails at once instead of
 * retrying (docs/fidelity.md).
 */
import { InitProducerId } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { isUnreachable } from './codes.js';

export const initProducerId = handler({
  api: InitProducerId,
  versions: [0, 5],
  handle(ctx, _version, request) {
    const answer = ctx.engine.initProducerId({ transactionalId: request.transactionalId, broker: ctx.brokerId });
    if (isUnreachable(answer, ctx.brokerId)) return 'unreachable';
    return { throttleTimeMs: 0, errorCode: answer.errorCode, producerId: BigInt(answer.producerId), producerEpoch: answer.producerEpoch };
  },
});
