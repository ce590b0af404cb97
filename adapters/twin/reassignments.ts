/**
 * The twin admin's `alterPartitionReassignments` and `listPartitionReassignments`, as kafkajs
 * 2.2.4's admin makes them: its argument checks (with its messages), one request to the
 * controller, and its answers. kafkajs cannot cancel a reassignment: it refuses a null replica
 * list before sending anything (Kafka's tools and the wire front end can).
 */
import type { ListPartitionReassignmentsResponse, PartitionReassignment, TopicPartitions } from 'kafkajs';
import type { ListPartitionReassignmentsResult } from '../../client/interface.js';
import { KafkaJSAggregateError, KafkaJSNonRetriableError, kafkaError, NONE } from '../../protocol/errors.js';
import { kafkajsErrors } from '../../protocol/kafkajs.js';
import type { TwinCluster as Cluster } from './cluster.js';

const { KafkaJSAlterPartitionReassignmentsError } = kafkajsErrors;

function checkTopicNames(topics: readonly { topic: unknown }[]): void {
  if (topics.some(({ topic }) => typeof topic !== 'string'))
    throw new KafkaJSNonRetriableError('Invalid topics array, the topic names have to be a valid string');
  if (new Set(topics.map(({ topic }) => topic)).size < topics.length)
    throw new KafkaJSNonRetriableError('Invalid topics array, it cannot have multiple entries for the same topic');
}

/**
 * Moves partitions to new replicas. Resolves with nothing; a refused partition rejects with
 * kafkajs's KafkaJSAggregateError of KafkaJSAlterPartitionReassignmentsError (one per refused
 * partition, naming it), not retried, while the accepted ones go ahead.
 */
export async function alterPartitionReassignments(cluster: Cluster, { topics }: { topics: PartitionReassignment[]; timeout?: number }): Promise<void> {
  if (!topics || !Array.isArray(topics)) throw new KafkaJSNonRetriableError(`Invalid topics array ${String(topics)}`);
  checkTopicNames(topics);
  for (const { topic, partitionAssignment } of topics) {
    if (!partitionAssignment || !Array.isArray(partitionAssignment))
      throw new KafkaJSNonRetriableError(`Invalid partitions array: ${String(partitionAssignment)} for topic: ${topic}`);
    for (const { partition, replicas } of partitionAssignment) {
      if (partition === null || partition === undefined || typeof partition !== 'number' || partition < 0)
        throw new KafkaJSNonRetriableError(`Invalid partitions index: ${String(partition)} for topic: ${topic}`);
      if (!replicas || !Array.isArray(replicas))
        throw new KafkaJSNonRetriableError(`Invalid replica assignment: ${String(replicas)} for topic: ${topic} on partition: ${partition}`);
      if (replicas.some((r) => typeof r !== 'number' || r < 0)) {
        throw new KafkaJSNonRetriableError(
          `Invalid replica assignment: ${String(replicas)} for topic: ${topic} on partition: ${partition}. Replicas must be a non negative number`,
        );
      }
    }
  }
  const answers = cluster.alterPartitionReassignments(
    topics.map((t) => ({ name: t.topic, partitions: t.partitionAssignment.map((a) => ({ partitionIndex: a.partition, replicas: a.replicas })) })),
  );
  const refused = answers.flatMap((t) =>
    t.partitions
      .filter((p) => p.errorCode !== NONE)
      .map((p) => {
        const row = kafkaError(p.errorCode);
        const cause = { type: row.type, code: row.code, retriable: row.retriable, message: p.errorMessage ?? row.message };
        return new KafkaJSAlterPartitionReassignmentsError(cause as unknown as Error, t.name, p.partitionIndex);
      }),
  );
  if (refused.length > 0) throw new KafkaJSAggregateError('Errors altering partition reassignments', refused);
}

/**
 * The reassignments in progress: of the given topics' partitions, or of every topic. Shaped as
 * kafkajs's decoder shapes them ({@link ListPartitionReassignmentsResult}), not as its typings say.
 */
export async function listPartitionReassignments(
  cluster: Cluster,
  { topics = null }: { topics?: TopicPartitions[] | null; timeout?: number } = {},
): Promise<ListPartitionReassignmentsResponse> {
  if (topics) {
    if (!Array.isArray(topics)) throw new KafkaJSNonRetriableError(`Invalid topics array ${String(topics)}`);
    checkTopicNames(topics);
    for (const { topic, partitions } of topics) {
      if (!partitions || !Array.isArray(partitions)) throw new KafkaJSNonRetriableError(`Invalid partition array: ${String(partitions)} for topic: ${topic}`);
      if (partitions.some((p) => typeof p !== 'number' || p < 0)) {
        throw new KafkaJSNonRetriableError(
          `Invalid partition array: ${String(partitions)} for topic: ${topic}. The partition indices have to be a valid number greater than 0.`,
        );
      }
    }
  }
  const ongoing = cluster.listPartitionReassignments(topics ? topics.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })) : null);
  const answer: ListPartitionReassignmentsResult = {
    topics: ongoing.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partition: p.partitionIndex,
        replicas: [...p.replicas],
        addingReplicas: [...p.addingReplicas],
        removingReplicas: [...p.removingReplicas],
      })),
    })),
  };
  return answer as unknown as ListPartitionReassignmentsResponse;
}
