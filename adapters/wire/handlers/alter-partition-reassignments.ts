/**
 * AlterPartitionReassignments (key 45): moves each partition to its target replicas, or cancels
 * its reassignment in progress (null replicas). Any broker takes it, as a KRaft broker forwards it
 * to the controller; each partition answers its own error.
 */
import { AlterPartitionReassignments } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';

export const alterPartitionReassignments = handler({
  api: AlterPartitionReassignments,
  versions: [0, 0],
  handle(ctx, _version, request) {
    const answers = ctx.engine.alterPartitionReassignments(
      request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, replicas: p.replicas })) })),
    );
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      responses: answers.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: p.errorCode,
          errorMessage: p.errorCode === 0 ? null : p.errorMessage,
        })),
      })),
    };
  },
});
