import { Cluster } from '../../src/index.js';
import type { Kafka } from '../../client/interface.js';
import { StreamingClient } from '../../src/streams/index.js';

/** A virtual-clock cluster with one topic, and a streaming client over its kafkajs-shaped client. */
export function setup({ partitions = 3, topics = ['t'], seed = 1 }: { partitions?: number; topics?: string[]; seed?: number } = {}) {
  const cluster = new Cluster({ clock: 'virtual', seed, config: { 'group.initial.rebalance.delay.ms': 0 } });
  for (const topic of topics) cluster.createTopic({ topic, numPartitions: partitions });
  const kafka = cluster.kafka({ clientId: 'streams' });
  // Only the shared interface, nothing twin-specific: the streams API must run on real kafkajs too.
  const shared: Kafka = { producer: (c) => kafka.producer(c), consumer: (c) => kafka.consumer(c), admin: (c) => kafka.admin(c) };
  const client = new StreamingClient(shared);
  return { cluster, kafka, client };
}

/** Committed offsets of a group on a topic, by partition (-1: none). */
export function committed(cluster: Cluster, groupId: string, topic: string): number[] {
  const res = cluster.groups.offsetFetch({ groupId, topics: [{ topic, partitions: cluster.describeTopic(topic).partitions.map((p) => p.partition) }] });
  return res[0]!.partitions.map((p) => Number(p.offset));
}
