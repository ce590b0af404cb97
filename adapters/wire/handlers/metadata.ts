/**
 * Metadata (key 3). Brokers are the running ones at the addresses this connection's transport
 * advertises; a partition without a leader is LEADER_NOT_AVAILABLE with leader -1. Topic ids
 * (v10+) are the engine's, as 16-byte uuids (see `wireTopicId`); asking by id alone finds the
 * topic whose id matches, else UNKNOWN_TOPIC_ID. Auto-creation follows the request's flag from
 * v4 and is always asked for before, as Kafka reads those versions. A topic's partitions come in
 * the order a 3.9 broker lists them (its hash set's, see `inKafkaMetadataOrder`), not by index:
 * kafkajs hands that order on to its assigners and partitioner.
 */
import type { TopicMetadata } from '../../../emulator/engine.js';
import { inKafkaMetadataOrder } from '../../../protocol/hashing.js';
import { Metadata } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { code, UNKNOWN_TOPIC_ID, wireTopicId } from './codes.js';

const LEADER_NOT_AVAILABLE = code('LEADER_NOT_AVAILABLE');

export const metadata = handler({
  api: Metadata,
  versions: [0, 12],
  handle(ctx, version, request) {
    const { engine } = ctx;
    const all = request.topics === null || (version === 0 && request.topics.length === 0);
    let names: string[] | undefined;
    const unknownIds: string[] = [];
    if (!all) {
      names = [];
      for (const t of request.topics!) {
        if (t.name !== null) names.push(t.name);
        else {
          const name = engine.topicNames().find((n) => wireTopicId(engine.describeTopic(n).topicId) === t.topicId);
          if (name === undefined) unknownIds.push(t.topicId);
          else names.push(name);
        }
      }
    }
    const answer = engine.metadata(names, { allowAutoTopicCreation: version < 4 || request.allowAutoTopicCreation });
    return {
      throttleTimeMs: 0,
      brokers: answer.brokers.map((b) => ({ nodeId: b.nodeId, ...ctx.addressOf(b.nodeId), rack: null })),
      clusterId: answer.clusterId,
      controllerId: answer.controllerId,
      topics: [...answer.topics.map((t) => topic(t)), ...unknownIds.map((topicId) => ({ errorCode: UNKNOWN_TOPIC_ID, name: null, topicId, partitions: [] }))],
    };
  },
});

function topic(t: TopicMetadata) {
  return {
    errorCode: t.errorCode,
    name: t.name,
    topicId: wireTopicId(t.topicId),
    isInternal: t.isInternal,
    partitions: metadataOrder(t.partitions).map((p) => ({
      errorCode: p.leader === -1 ? LEADER_NOT_AVAILABLE : 0,
      partitionIndex: p.partition,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: p.replicas,
      isrNodes: p.isr,
      offlineReplicas: p.offlineReplicas,
    })),
  };
}

/* The engine hands out the same frozen partition list until a topic's metadata changes, so the
 * order (a hash over every partition's replicas and ISR) is worked out once per change, not per
 * request: clients ask for metadata often, and this was ~5% of a produce run's CPU. */
const ordered = new WeakMap<TopicMetadata['partitions'], TopicMetadata['partitions']>();
function metadataOrder(partitions: TopicMetadata['partitions']): TopicMetadata['partitions'] {
  let order = ordered.get(partitions);
  if (order === undefined) {
    order = inKafkaMetadataOrder(partitions);
    ordered.set(partitions, order);
  }
  return order;
}
