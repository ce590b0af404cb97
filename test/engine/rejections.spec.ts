/**
 * "A bad call never corrupts state": for any cluster state reached by valid calls, any rejected
 * request leaves every topic, partition, replica log, config and the event log as they were.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Cluster } from '../../src/index.js';
import { KafkaJSError } from '../../protocol/errors.js';

function snapshot(cluster: Cluster): string {
  return JSON.stringify({
    topics: cluster.topicNames().map((t) => ({
      meta: cluster.describeTopic(t),
      config: cluster.describeTopicConfig(t),
      partitions: cluster.describeTopic(t).partitions.map((p) => cluster.describePartition(t, p.partition)),
    })),
    brokers: cluster.brokers(),
    events: cluster.events().length,
  });
}

type BadCall = { name: string; call: (c: Cluster) => unknown };

const badCalls: BadCall[] = [
  { name: 'illegal topic name', call: (c) => c.createTopic({ topic: 'a b' }) },
  { name: 'existing topic', call: (c) => c.createTopic({ topic: 't', numPartitions: 9 }) },
  { name: 'colliding topic', call: (c) => c.createTopic({ topic: 'x_y' }) },
  { name: 'zero partitions', call: (c) => c.createTopic({ topic: 'n', numPartitions: 0 }) },
  { name: 'replication factor too high', call: (c) => c.createTopic({ topic: 'n', replicationFactor: 4 }) },
  { name: 'bad topic config', call: (c) => c.createTopic({ topic: 'n', config: { 'retention.ms': 'x' } }) },
  { name: 'fewer partitions', call: (c) => c.createPartitions('t', 1) },
  { name: 'partitions of unknown topic', call: (c) => c.createPartitions('nope', 5) },
  { name: 'delete unknown topic', call: (c) => c.deleteTopic('nope') },
  { name: 'bad config change', call: (c) => c.alterTopicConfig('t', { 'segment.bytes': 1, 'retention.ms': 5 }) },
  { name: 'oversize message', call: (c) => c.produce({ topic: 't', partition: 0, records: [{ value: Buffer.alloc(2_000_000) }] }) },
  { name: 'unknown partition', call: (c) => c.produce({ topic: 't', partition: 99, records: [{ value: null }] }) },
  { name: 'bad acks', call: (c) => c.produce({ topic: 't', partition: 0, acks: 5, records: [{ value: null }] }) },
  { name: 'produce to a follower', call: (c) => c.produce({ topic: 't', partition: 0, broker: c.describeTopic('t').partitions[0]!.replicas[1]!, records: [{ value: null }] }) },
  { name: 'fetch out of range', call: (c) => c.fetch({ topic: 't', partition: 0, offset: 10_000 }) },
  { name: 'delete records past the high watermark', call: (c) => c.deleteRecords('t', 0, 10_000) },
  { name: 'bad offset spec', call: (c) => c.listOffsets('t', 0, { timestamp: Number.NaN }) },
];

describe('rejected requests', () => {
  it('leave the cluster exactly as it was, whatever state it is in', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 5 })), { maxLength: 8 }),
        fc.constantFrom(...badCalls),
        async (seed, writes, bad) => {
          const cluster = new Cluster({ brokers: 3, clock: 'virtual', seed, config: { 'min.insync.replicas': 1 } });
          cluster.createTopic({ topic: 't', numPartitions: 3, replicationFactor: 2 });
          cluster.createTopic({ topic: 'x.y' });
          for (const [partition, n] of writes) {
            await cluster.produce({ topic: 't', partition, records: Array.from({ length: n }, (_, i) => ({ value: Buffer.from(String(i)) })) });
          }
          const before = snapshot(cluster);
          let error: unknown;
          try {
            await bad.call(cluster);
          } catch (e) {
            error = e;
          }
          expect(error, bad.name).to.be.instanceOf(KafkaJSError);
          expect(snapshot(cluster), bad.name).to.equal(before);
        },
      ),
      { numRuns: 150 },
    );
  });
});
