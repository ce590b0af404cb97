/**
 * TxnOffsetCommit (key 28), v0–v4: a transactional producer's offsets for a consumer group, sent
 * to the GROUP's coordinator (NOT_COORDINATOR from any other broker); they become the group's
 * committed offsets when the transaction commits. v2 carries each offset's leader epoch (kept by
 * the transaction, not by the coordinator's offsets, see OffsetCommit), v3 is flexible and adds the
 * consumer's generation, member id and group instance id (KIP-447), which the coordinator checks
 * as it checks an OffsetCommit's; before v3 they read as -1, '' and null (no check). v4 only lets
 * the answer be TRANSACTION_ABORTABLE. One code per partition.
 */
import { TxnOffsetCommit } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { num } from './codes.js';
import { isSilent } from './group-answers.js';

export const txnOffsetCommit = handler({
  api: TxnOffsetCommit,
  versions: [0, 4],
  handle(ctx, _version, request) {
    if (isSilent(ctx)) return 'unreachable';
    const answer = ctx.engine.txnOffsetCommit({
      transactionalId: request.transactionalId,
      groupId: request.groupId,
      producerId: num(request.producerId),
      producerEpoch: request.producerEpoch,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      topics: request.topics.map((t) => ({
        topic: t.name,
        partitions: t.partitions.map((p) => ({
          partition: p.partitionIndex,
          committedOffset: num(p.committedOffset),
          committedLeaderEpoch: p.committedLeaderEpoch,
          committedMetadata: p.committedMetadata,
        })),
      })),
      broker: ctx.brokerId,
    });
    return {
      throttleTimeMs: 0,
      topics: answer.topics.map((t) => ({
        name: t.topic,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })),
      })),
    };
  },
});
