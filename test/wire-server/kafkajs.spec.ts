/** Unchanged kafkajs over `cluster.wire()`: admin calls and the producer, read back through the engine. */
import { expect } from 'chai';
import { inKafkaMetadataOrder } from '../../protocol/hashing.js';
import type { Cluster } from '../../src/index.js';
import { kafkaOver, realCluster } from './helpers.js';

describe('wire server: kafkajs over cluster.wire()', () => {
  let cluster: Cluster;
  afterEach(() => cluster.close());

  it('admin: createTopics, listTopics, fetchTopicMetadata, fetchTopicOffsets, deleteTopicRecords, describeConfigs', async () => {
    cluster = realCluster({ brokers: 3 });
    const admin = kafkaOver(cluster.wire()).admin();
    await admin.connect();
    try {
      expect(
        await admin.createTopics({
          topics: [{ topic: 'orders', numPartitions: 3, replicationFactor: 2, configEntries: [{ name: 'retention.ms', value: '60000' }] }],
        }),
      ).to.equal(true);
      expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] })).to.equal(false);
      expect(await admin.listTopics()).to.deep.equal(['orders']);
      const meta = await admin.fetchTopicMetadata({ topics: ['orders'] });
      const described = cluster.describeTopic('orders');
      expect(meta.topics[0]!.partitions.map((p) => ({ partitionId: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr }))).to.deep.equal(
        inKafkaMetadataOrder(described.partitions).map((p) => ({ partitionId: p.partition, leader: p.leader, replicas: [...p.replicas], isr: [...p.isr] })),
      );
      await cluster.produce({
        topic: 'orders',
        partition: 1,
        records: [{ value: Buffer.from('a') }, { value: Buffer.from('b') }, { value: Buffer.from('c') }],
        acks: -1,
      });
      const offsets = await admin.fetchTopicOffsets('orders');
      expect(offsets.find((o) => o.partition === 1)).to.include({ offset: '3', high: '3', low: '0' });
      await admin.deleteTopicRecords({ topic: 'orders', partitions: [{ partition: 1, offset: '2' }] });
      expect(cluster.describePartition('orders', 1).logStartOffset).to.equal(2);
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2, name: 'orders', configNames: ['retention.ms', 'cleanup.policy'] }],
      });
      const entries = configs.resources[0]!.configEntries;
      expect(entries.find((e) => e.configName === 'retention.ms')).to.include({ configValue: '60000', isDefault: false });
      expect(entries.find((e) => e.configName === 'cleanup.policy')).to.include({ configValue: 'delete', isDefault: true });
      const broker = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: 4, name: '1', configNames: ['num.partitions'] }] });
      expect(broker.resources[0]!.configEntries[0]).to.include({ configName: 'num.partitions', configValue: '1', readOnly: true });
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'orders', configEntries: [{ name: 'retention.ms', value: '120000' }] }] });
      expect(cluster.topicConfig('orders')['retention.ms']).to.equal(120000);
      await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 5 }] });
      expect(cluster.describeTopic('orders').partitions).to.have.length(5);
      await admin.deleteTopics({ topics: ['orders'] });
      expect(cluster.hasTopic('orders')).to.equal(false);
    } finally {
      await admin.disconnect();
    }
  });

  it('producer: keys, headers, several partitions, acks 0, 1 and -1, read back through the engine', async () => {
    cluster = realCluster({ brokers: 3 });
    cluster.createTopic({ topic: 'events', numPartitions: 3, replicationFactor: 3 });
    const producer = kafkaOver(cluster.wire()).producer();
    await producer.connect();
    try {
      const [r] = await producer.send({
        topic: 'events',
        acks: -1,
        messages: [
          { partition: 0, key: 'k0', value: 'v0', headers: { trace: 'abc', n: Buffer.from([1, 2]) }, timestamp: '1700000000000' },
          { partition: 2, key: null, value: 'v2' },
          { partition: 0, key: 'k1', value: 'v1' },
        ],
      });
      expect(r!.errorCode).to.equal(0);
      await producer.send({ topic: 'events', acks: 1, messages: [{ partition: 1, value: 'one' }] });
      await producer.send({ topic: 'events', acks: 0, messages: [{ partition: 1, value: 'zero' }] });
      // acks=0 has no answer to wait for: a later request on the same connection is answered after it.
      await producer.send({ topic: 'events', acks: 1, messages: [{ partition: 1, value: 'after' }] });
      const p0 = cluster.fetch({ topic: 'events', partition: 0, offset: 0 }).records;
      expect(p0.map((x) => [x.key?.toString() ?? null, x.value?.toString()])).to.deep.equal([
        ['k0', 'v0'],
        ['k1', 'v1'],
      ]);
      expect(p0[0]!.timestamp).to.equal(1700000000000);
      expect(p0[0]!.headers.map((h) => [h.key, [...h.value!]])).to.deep.equal([
        ['trace', [...Buffer.from('abc')]],
        ['n', [1, 2]],
      ]);
      expect(cluster.fetch({ topic: 'events', partition: 2, offset: 0 }).records.map((x) => [x.key, x.value?.toString()])).to.deep.equal([[null, 'v2']]);
      expect(cluster.fetch({ topic: 'events', partition: 1, offset: 0 }).records.map((x) => x.value?.toString())).to.deep.equal(['one', 'zero', 'after']);
      // An acks=0 write right before disconnecting is still written: the broker serves what it read before the close.
      await producer.send({ topic: 'events', acks: 0, messages: [{ partition: 2, value: 'last' }] });
    } finally {
      await producer.disconnect();
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(cluster.fetch({ topic: 'events', partition: 2, offset: 0 }).records.map((x) => x.value?.toString())).to.deep.equal(['v2', 'last']);
  });
});
