/**
 * DescribeProducers (key 61), v0 (flexible): each partition's active producers from this broker's
 * own replica, leader or follower (an admin client sends to the leader unless told a broker id,
 * as kafka-transactions.sh describe-producers --broker-id does). A broker without a replica
 * answers NOT_LEADER_OR_FOLLOWER, an unknown partition UNKNOWN_TOPIC_OR_PARTITION; Kafka sets no
 * error message on either.
 */
import { DescribeProducers } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { big } from './codes.js';
import { isSilent } from './group-answers.js';

export const describeProducers = handler({
  api: DescribeProducers,
  versions: [0, 0],
  handle(ctx, _version, request) {
    if (isSilent(ctx)) return 'unreachable';
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partition) => {
          const answer = ctx.engine.describeProducers({ topic: t.name, partition, broker: ctx.brokerId });
          return {
            partitionIndex: partition,
            errorCode: answer.errorCode,
            errorMessage: null,
            activeProducers: answer.activeProducers.map((x) => ({
              producerId: big(x.producerId),
              producerEpoch: x.producerEpoch,
              lastSequence: x.lastSequence,
              lastTimestamp: big(x.lastTimestamp),
              coordinatorEpoch: x.coordinatorEpoch,
              currentTxnStartOffset: big(x.currentTxnStartOffset),
            })),
          };
        }),
      })),
    };
  },
});
