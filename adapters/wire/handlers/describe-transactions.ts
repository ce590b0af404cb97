/**
 * DescribeTransactions (key 65), v0 (flexible): each transactional id's state from its
 * coordinator. An admin client sends each id to the broker FindCoordinator named; this broker
 * answers NOT_COORDINATOR for an id it does not coordinate, TRANSACTIONAL_ID_NOT_FOUND for one it
 * does not know, and Kafka's state names (Empty, Ongoing, PrepareCommit, CompleteAbort, …).
 */
import { DescribeTransactions } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { big } from './codes.js';
import { isSilent } from './group-answers.js';

export const describeTransactions = handler({
  api: DescribeTransactions,
  versions: [0, 0],
  handle(ctx, _version, request) {
    if (isSilent(ctx)) return 'unreachable';
    const answer = ctx.engine.describeTransactions({ transactionalIds: request.transactionalIds, broker: ctx.brokerId });
    return {
      throttleTimeMs: 0,
      transactionStates: answer.transactionStates.map((d) => ({
        errorCode: d.errorCode,
        transactionalId: d.transactionalId,
        transactionState: d.transactionState,
        transactionTimeoutMs: d.transactionTimeoutMs,
        transactionStartTimeMs: big(d.transactionStartTimeMs),
        producerId: big(d.producerId),
        producerEpoch: d.producerEpoch,
        topics: d.topics.map((t) => ({ topic: t.topic, partitions: [...t.partitions] })),
      })),
    };
  },
});
