/**
 * ListTransactions (key 66), v0–v1 (flexible): the transactional ids this broker coordinates,
 * filtered by state names (unknown names come back in unknownStateFilters) and producer ids; v1's
 * duration filter keeps transactions running longer than it (KIP-994). An admin client asks every
 * broker and merges the answers.
 */
import { ListTransactions } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { big, num } from './codes.js';
import { isSilent } from './group-answers.js';

export const listTransactions = handler({
  api: ListTransactions,
  versions: [0, 1],
  handle(ctx, _version, request) {
    if (isSilent(ctx)) return 'unreachable';
    const answer = ctx.engine.listTransactions({
      broker: ctx.brokerId,
      stateFilters: request.stateFilters,
      producerIdFilters: request.producerIdFilters.map(num),
      durationFilter: num(request.durationFilter),
    });
    return {
      throttleTimeMs: 0,
      errorCode: answer.errorCode,
      unknownStateFilters: [...answer.unknownStateFilters],
      transactionStates: answer.transactionStates.map((t) => ({ transactionalId: t.transactionalId, producerId: big(t.producerId), transactionState: t.transactionState })),
    };
  },
});
