/**
 * Kafka's topic-name rules and rack-unaware replica placement, as pure functions the topic
 * requests (CreateTopics, CreatePartitions, Metadata's auto-creation) call.
 */
import { failure, type Failure } from '../protocol/errors.js';
import type { Random } from './random.js';

/** Kafka's limit: 249 characters, so that a partition directory name fits in 255. */
export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** INVALID_TOPIC_EXCEPTION when `name` breaks Kafka's topic-name rules; undefined when it is legal. */
export function invalidTopicName(name: unknown): Failure | undefined {
  if (typeof name !== 'string') return failure('INVALID_TOPIC_EXCEPTION', `Topic name must be a string, got ${typeof name}`);
  if (name.length === 0) return failure('INVALID_TOPIC_EXCEPTION', 'Topic name is illegal, it can\'t be empty');
  if (name === '.' || name === '..') return failure('INVALID_TOPIC_EXCEPTION', 'Topic name cannot be "." or ".."');
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return failure('INVALID_TOPIC_EXCEPTION', `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`);
  }
  if (!LEGAL.test(name)) {
    return failure('INVALID_TOPIC_EXCEPTION', `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`);
  }
  return undefined;
}

/**
 * Kafka refuses a topic whose name equals an existing one once '.' and '_' are treated alike,
 * because both map to the same metric names.
 */
export function collidingTopic(name: string, existing: Iterable<string>): string | undefined {
  const unified = name.replace(/\./g, '_');
  for (const other of existing) if (other !== name && other.replace(/\./g, '_') === unified) return other;
  return undefined;
}

/**
 * Kafka's rack-unaware replica placement: the first replica of each partition walks the broker
 * list from a random start, and the followers are placed at a shift that changes every full lap,
 * so leaders and followers both spread evenly. `fixedStartIndex` (used when adding partitions)
 * continues an existing topic's layout instead of drawing a new start.
 */
export function placeReplicas(
  brokers: readonly number[],
  partitions: number,
  replicationFactor: number,
  random: Random,
  fixedStartIndex = -1,
  startPartitionId = 0,
): number[][] {
  const n = brokers.length;
  const startIndex = fixedStartIndex >= 0 ? fixedStartIndex : random.int(n);
  let shift = fixedStartIndex >= 0 ? fixedStartIndex : random.int(n);
  const out: number[][] = [];
  for (let p = startPartitionId; p < startPartitionId + partitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const first = (p + startIndex) % n;
    const replicas = [brokers[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) replicas.push(brokers[(first + 1 + ((shift + j) % (n - 1))) % n]!);
    out.push(replicas);
  }
  return out;
}
