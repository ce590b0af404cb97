/**
 * WriteTxnMarkers (key 27), v0–v1 (v1 flexible): appends each marker to the partitions named, on
 * this broker as their leader (origin COORDINATOR, acks=all), and answers per partition once each
 * append is on the in-sync replicas: NOT_LEADER_OR_FOLLOWER from a broker that does not lead the
 * partition, UNKNOWN_TOPIC_OR_PARTITION for one that does not exist, INVALID_PRODUCER_EPOCH for an
 * older producer epoch, TRANSACTION_COORDINATOR_FENCED for an older coordinator epoch. The twin's
 * coordinator writes its markers through the engine; over the wire this is an admin client's
 * abortTransaction (kafka-transactions.sh abort).
 */
import { WriteTxnMarkers } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { num } from './codes.js';
import { isSilent } from './group-answers.js';

export const writeTxnMarkers = handler({
  api: WriteTxnMarkers,
  versions: [0, 1],
  async handle(ctx, _version, request) {
    if (isSilent(ctx)) return 'unreachable';
    const markers = await Promise.all(
      request.markers.map(async (m) => ({
        producerId: m.producerId,
        topics: await Promise.all(
          m.topics.map(async (t) => ({
            name: t.name,
            partitions: await Promise.all(
              t.partitionIndexes.map(async (partition) => {
                const answer = await ctx.engine.writeTxnMarker({
                  topic: t.name,
                  partition,
                  producerId: num(m.producerId),
                  producerEpoch: m.producerEpoch,
                  coordinatorEpoch: m.coordinatorEpoch,
                  commit: m.transactionResult,
                  broker: ctx.brokerId,
                });
                return { partitionIndex: partition, errorCode: answer.errorCode };
              }),
            ),
          })),
        ),
      })),
    );
    return { markers };
  },
});
