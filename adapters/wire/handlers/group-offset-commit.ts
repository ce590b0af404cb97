/**
 * OffsetCommit (key 8), v0–v9 (v6 carries each offset's leader epoch, which the coordinator does
 * not keep; v7 the group.instance.id; v8 is flexible; v9, for KIP-848 consumer groups, is v8
 * again and a classic group reads its generation from the same field), answered per partition as Kafka 3.9: unknown partitions
 * UNKNOWN_TOPIC_OR_PARTITION, the group's verdict (NOT_COORDINATOR, ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS) on every other partition, OFFSET_METADATA_TOO_LARGE
 * per partition. v0 has no generation or member: it commits as a consumer without group
 * management (generation -1). The v1 commit timestamp and the v2–v4 retention time are read and
 * not used: the coordinator stamps every commit with the cluster's time and expires offsets by
 * `offsets.retention.ms`, so the two could only show in when an offset expires. An offset the engine cannot hold exactly (beyond 2^53) is
 * refused for the whole request, and a refusal of the whole request goes to every partition, as
 * Kafka's `OffsetCommitRequest.getErrorResponse` writes it (the response has no top-level code).
 */
import { OffsetCommit } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { isUnreachable } from './group-answers.js';

export const offsetCommitHandler = handler({
  api: OffsetCommit,
  versions: [0, 9],
  handle(ctx, _version, request) {
    const answer = ctx.engine.groupCoordinator.offsetCommit({
      broker: ctx.brokerId,
      groupId: request.groupId,
      generationId: request.generationIdOrMemberEpoch,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      topics: request.topics.map((t) => ({
        topic: t.name,
        partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, offset: Number(p.committedOffset), metadata: p.committedMetadata })),
      })),
    });
    if (isUnreachable(answer)) return 'unreachable';
    if (answer.errorCode !== 0) {
      const { errorCode } = answer;
      return {
        throttleTimeMs: 0,
        topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
      };
    }
    return {
      throttleTimeMs: 0,
      topics: answer.topics.map((t) => ({
        name: t.topic,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })),
      })),
    };
  },
});
