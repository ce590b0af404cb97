/**
 * OffsetFetch (key 9), v1–v9 (v0 read offsets kept in ZooKeeper, which Kafka 3.9 no longer has).
 * v5 answers each offset's leader epoch: -1, since the coordinator keeps none. v6 is flexible.
 * v7's requireStable asks the coordinator to answer UNSTABLE_OFFSET_COMMIT (retriable) for a
 * partition whose transactional offset commit still awaits its transaction's marker. v8 asks for several groups at once, each answered as one v7 request would be,
 * with the group's own code; v9 adds the KIP-848 member id and epoch, which a classic group does
 * not check. A code per partition; from v2 a top-level code too, and a null topic list asks for every offset
 * the group has committed. A failure of the whole request is, as Kafka's
 * `OffsetFetchRequest.getErrorResponse` writes it, the top-level code with no topics from v2, and
 * before v2 (no top-level code) the code on every requested partition with offset -1. Kafka
 * never answers a null metadata (it stores a commit's null metadata as "" and answers "" where
 * nothing was committed), so neither does this. Asked for given partitions, Kafka answers them in
 * the order of its Scala map (see `inOffsetFetchOrder`), grouped by topic.
 */
import { inOffsetFetchOrder } from '../../../protocol/hashing.js';
import { OffsetFetch } from '../../../protocol/wire/index.js';
import type { OffsetFetchAnswer, OffsetFetchPartitionAnswer } from '../../../emulator/groups/messages.js';
import { handler, type WireContext } from '../handler.js';
import { isUnreachable } from './group-answers.js';

export const offsetFetchHandler = handler({
  api: OffsetFetch,
  versions: [1, 9],
  handle(ctx, version, request) {
    if (version >= 8) {
      const groups = [];
      for (const g of request.groups) {
        const answer = fetchGroup(ctx, g.groupId, g.topics, request.requireStable);
        if (isUnreachable(answer)) return 'unreachable';
        groups.push({ groupId: g.groupId, topics: wireTopics(answer, g.topics), errorCode: answer.errorCode });
      }
      return { throttleTimeMs: 0, groups };
    }
    const answer = fetchGroup(ctx, request.groupId, request.topics, request.requireStable);
    if (isUnreachable(answer)) return 'unreachable';
    const { errorCode } = answer;
    if (errorCode !== 0 && version < 2) {
      return {
        topics: (request.topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, metadata: '', errorCode })),
        })),
      };
    }
    return { throttleTimeMs: 0, topics: wireTopics(answer, request.topics), errorCode };
  },
});

type Requested = readonly { readonly name: string; readonly partitionIndexes: readonly number[] }[] | null;

/** One group's offsets; `requireStable` is false before v7 (the field's default). */
function fetchGroup(ctx: WireContext, groupId: string, topics: Requested, requireStable: boolean): OffsetFetchAnswer {
  return ctx.engine.groupCoordinator.offsetFetch({
    broker: ctx.brokerId,
    groupId,
    requireStable,
    ...(topics !== null ? { topics: topics.map((t) => ({ topic: t.name, partitions: t.partitionIndexes })) } : {}),
  });
}

/** All committed offsets in the coordinator's order, or the requested ones in Kafka's hash order. */
function wireTopics(answer: OffsetFetchAnswer, requested: Requested) {
  return requested === null
    ? answer.topics.map(({ topic, partitions }) => ({ name: topic, partitions: partitions.map(wirePartition) }))
    : inHashOrder(answer.topics);
}

const wirePartition = (p: OffsetFetchPartitionAnswer) => ({
  partitionIndex: p.partition,
  committedOffset: BigInt(p.offset),
  metadata: p.metadata ?? '',
  errorCode: p.errorCode,
});

/** The answer's partitions (in request order) as Kafka lists them: its hash order, grouped by topic in first-seen order. */
function inHashOrder(topics: OffsetFetchAnswer['topics']) {
  const pairs = topics.flatMap(({ topic, partitions }) => partitions.map((p) => ({ topic, partition: p.partition, p })));
  const out: { name: string; partitions: ReturnType<typeof wirePartition>[] }[] = [];
  for (const { topic, p } of inOffsetFetchOrder(pairs)) {
    let entry = out.find((t) => t.name === topic);
    if (entry === undefined) out.push((entry = { name: topic, partitions: [] }));
    entry.partitions.push(wirePartition(p));
  }
  return out;
}
