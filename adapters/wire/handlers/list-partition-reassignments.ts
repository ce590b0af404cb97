/**
 * ListPartitionReassignments (key 46): the reassignments in progress, of the partitions asked for
 * or (null topics) of every topic. Partitions not being reassigned, and unknown ones, are left out.
 */
import { ListPartitionReassignments } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';

export const listPartitionReassignments = handler({
  api: ListPartitionReassignments,
  versions: [0, 0],
  handle(ctx, _version, request) {
    const ongoing = ctx.engine.listPartitionReassignments(
      request.topics === null ? null : request.topics.map((t) => ({ name: t.name, partitionIndexes: t.partitionIndexes })),
    );
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      topics: ongoing.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          replicas: [...p.replicas],
          addingReplicas: [...p.addingReplicas],
          removingReplicas: [...p.removingReplicas],
        })),
      })),
    };
  },
});
