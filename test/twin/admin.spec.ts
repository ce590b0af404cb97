import { expect } from 'chai';
import kafkajs from 'kafkajs';
import { TwinAdminTopics } from '../../adapters/twin/admin.js';
import { KafkaJSCreateTopicError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from '../../protocol/errors.js';
import { virtualCluster } from '../helpers.js';

const { KafkaJSAggregateError, ConfigResourceTypes } = kafkajs;


describe('twin admin: topics, configs, cluster', () => {
  it('creates topics, answering false when they all exist already', async () => {
    const cluster = virtualCluster({ brokers: 3 });
    const admin = new TwinAdminTopics(cluster);
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: 'a', numPartitions: 3, replicationFactor: 2, configEntries: [{ name: 'retention.ms', value: '1000' }] }, { topic: 'b' }] })).to.equal(true);
    expect(cluster.describeTopic('a').partitions).to.have.length(3);
    expect(cluster.topicConfig('a')['retention.ms']).to.equal(1000);
    expect(await admin.createTopics({ topics: [{ topic: 'a' }] })).to.equal(false);
    expect(await admin.createTopics({ topics: [{ topic: 'c', replicaAssignment: [{ partition: 1, replicas: [2, 3] }, { partition: 0, replicas: [3, 1] }] }] })).to.equal(true);
    expect(cluster.describeTopic('c').partitions.map((p) => p.replicas)).to.deep.equal([
      [3, 1],
      [2, 3],
    ]);
    expect(await admin.createTopics({ validateOnly: true, topics: [{ topic: 'd' }] })).to.equal(true);
    expect(cluster.hasTopic('d')).to.equal(false);
    expect((await admin.listTopics()).sort()).to.deep.equal(['a', 'b', 'c']);
  });

  it('rejects bad topics with an aggregate of KafkaJSCreateTopicError, still creating the good ones', async () => {
    const cluster = virtualCluster({ brokers: 1 });
    const admin = new TwinAdminTopics(cluster);
    const error = await admin
      .createTopics({ topics: [{ topic: 'ok' }, { topic: 'bad name' }, { topic: 'rf', replicationFactor: 3 }, { topic: 'cfg', configEntries: [{ name: 'nope', value: '1' }] }] })
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(KafkaJSAggregateError);
    const errors = (error as { errors: InstanceType<typeof KafkaJSCreateTopicError>[] }).errors;
    expect(errors.map((e) => [e.topic, e.type])).to.deep.equal([
      ['bad name', 'INVALID_TOPIC_EXCEPTION'],
      ['rf', 'INVALID_REPLICATION_FACTOR'],
      ['cfg', 'INVALID_CONFIG'],
    ]);
    expect(errors.every((e) => e instanceof KafkaJSCreateTopicError && e instanceof KafkaJSProtocolError)).to.equal(true);
    expect(cluster.hasTopic('ok')).to.equal(true);
  });

  it('validates createTopics input like kafkajs', async () => {
    const admin = new TwinAdminTopics(virtualCluster());
    const bad: unknown[] = [
      undefined,
      [{ topic: 1 }],
      [{ topic: 'x' }, { topic: 'x' }],
      [{ topic: 'x', configEntries: {} }],
      [{ topic: 'x', configEntries: [null] }],
      [{ topic: 'x', configEntries: [{ name: 'a', value: 1 }] }],
    ];
    for (const topics of bad) expect(await admin.createTopics({ topics } as never).catch((e: unknown) => e), JSON.stringify(topics)).to.be.instanceOf(KafkaJSNonRetriableError);
  });

  it('deletes topics; an unknown one is retried and ends in KafkaJSNumberOfRetriesExceeded', async () => {
    const cluster = virtualCluster();
    cluster.createTopic({ topic: 'gone' });
    const admin = new TwinAdminTopics(cluster, { retry: { retries: 2 } });
    await admin.deleteTopics({ topics: ['gone'] });
    expect(cluster.hasTopic('gone')).to.equal(false);
    const error = await cluster.drive(admin.deleteTopics({ topics: ['gone'] }).catch((e: unknown) => e));
    expect(error).to.be.instanceOf(KafkaJSNumberOfRetriesExceeded);
    expect(await admin.deleteTopics({ topics: [1] as unknown as string[] }).catch((e: unknown) => e)).to.be.instanceOf(KafkaJSNonRetriableError);
    const locked = new TwinAdminTopics(virtualCluster({ config: { 'delete.topic.enable': false } }));
    await locked.createTopics({ topics: [{ topic: 'x' }] });
    const disabled = await locked.deleteTopics({ topics: ['x'] }).catch((e: unknown) => e);
    expect((disabled as InstanceType<typeof KafkaJSProtocolError>).type).to.equal('INVALID_REQUEST');
  });

  it('adds partitions and rejects decreasing them with INVALID_PARTITIONS', async () => {
    const cluster = virtualCluster();
    const admin = new TwinAdminTopics(cluster);
    await admin.createTopics({ topics: [{ topic: 't', numPartitions: 2 }] });
    await admin.createPartitions({ topicPartitions: [{ topic: 't', count: 4 }], validateOnly: true });
    expect(cluster.describeTopic('t').partitions).to.have.length(2);
    expect(await admin.createPartitions({ topicPartitions: [{ topic: 't', count: 4 }] })).to.equal(undefined);
    expect(cluster.describeTopic('t').partitions).to.have.length(4);
    const error = await admin.createPartitions({ topicPartitions: [{ topic: 't', count: 3 }] }).catch((e: unknown) => e);
    expect((error as InstanceType<typeof KafkaJSProtocolError>).type).to.equal('INVALID_PARTITIONS');
    for (const topicPartitions of [undefined, [], [{ topic: 5, count: 1 }], [{ topic: 't', count: 5 }, { topic: 't', count: 6 }]]) {
      expect(await admin.createPartitions({ topicPartitions } as never).catch((e: unknown) => e)).to.be.instanceOf(KafkaJSNonRetriableError);
    }
  });

  it('fetches metadata, offsets and offsets by timestamp in kafkajs shapes', async () => {
    const cluster = virtualCluster({ brokers: 2 });
    const admin = new TwinAdminTopics(cluster);
    await admin.createTopics({ topics: [{ topic: 't', numPartitions: 2, replicationFactor: 2 }] });
    await cluster.produce({ topic: 't', partition: 0, records: [100, 200, 300].map((timestamp) => ({ value: null, timestamp })) });
    cluster.deleteRecords('t', 0, 1);
    const { topics } = await admin.fetchTopicMetadata({ topics: ['t'] });
    expect(topics[0]!.name).to.equal('t');
    expect(topics[0]!.partitions[0]).to.include.keys('partitionErrorCode', 'partitionId', 'leader', 'replicas', 'isr', 'offlineReplicas');
    expect(await admin.fetchTopicOffsets('t')).to.deep.equal([
      { partition: 0, offset: '3', high: '3', low: '1' },
      { partition: 1, offset: '0', high: '0', low: '0' },
    ]);
    expect(await admin.fetchTopicOffsetsByTimestamp('t', 150)).to.deep.equal([
      { partition: 0, offset: '1' },
      { partition: 1, offset: '0' },
    ]);
    expect(await admin.fetchTopicOffsetsByTimestamp('t', 999)).to.deep.equal([
      { partition: 0, offset: '3' },
      { partition: 1, offset: '0' },
    ]);
    expect((await admin.fetchTopicMetadata()).topics.map((t) => t.name)).to.deep.equal(['t']);
    // kafkajs's admin never auto-creates: an unknown topic rejects at once, unretried (as real Kafka answers it).
    const unknown = await admin.fetchTopicMetadata({ topics: ['auto'] }).catch((e: unknown) => e);
    expect(unknown).to.be.instanceOf(KafkaJSProtocolError);
    expect((unknown as InstanceType<typeof KafkaJSProtocolError>).type).to.equal('UNKNOWN_TOPIC_OR_PARTITION');
    expect(cluster.hasTopic('auto')).to.equal(false);
    for (const bad of [() => admin.fetchTopicOffsets(''), () => admin.fetchTopicOffsetsByTimestamp(''), () => admin.fetchTopicMetadata({ topics: [''] })]) {
      expect(await bad().catch((e: unknown) => e)).to.be.instanceOf(KafkaJSNonRetriableError);
    }
    const strict = new TwinAdminTopics(cluster, { retry: { retries: 0 } });
    expect(await strict.fetchTopicOffsets('missing').catch((e: unknown) => e)).to.be.instanceOf(KafkaJSNumberOfRetriesExceeded);
  });

  it('describes the cluster', async () => {
    const cluster = virtualCluster({ brokers: 3 });
    cluster.stopBroker(1);
    const admin = new TwinAdminTopics(cluster);
    const described = await admin.describeCluster();
    expect(described.brokers.map((b) => b.nodeId)).to.deep.equal([2, 3]);
    expect(described.controller).to.equal(2);
    expect(described.clusterId).to.equal(cluster.clusterId);
  });

  it('describes and replaces topic configs (non-incremental, as AlterConfigs is)', async () => {
    const cluster = virtualCluster();
    const admin = new TwinAdminTopics(cluster);
    await admin.createTopics({ topics: [{ topic: 't', configEntries: [{ name: 'retention.ms', value: '1000' }] }] });
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 't', configNames: ['retention.ms', 'segment.bytes'] }] });
    // In Kafka 3.9's order, which lists segment.bytes before retention.ms.
    expect(described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue, e.isDefault, e.configSource])).to.deep.equal([
      ['segment.bytes', '1073741824', true, 5],
      ['retention.ms', '1000', false, 1],
    ]);
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 't', configEntries: [{ name: 'segment.bytes', value: '2048' }] }] });
    expect(cluster.topicConfig('t')['segment.bytes']).to.equal(2048);
    expect(cluster.topicConfig('t')['retention.ms']).to.equal(604800000);
    await admin.alterConfigs({ validateOnly: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 't', configEntries: [] }] });
    expect(cluster.topicConfig('t')['segment.bytes']).to.equal(2048);
    const bad = await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 't', configEntries: [{ name: 'retention.ms', value: 'x' }] }] }).catch((e: unknown) => e);
    expect((bad as InstanceType<typeof KafkaJSProtocolError>).type).to.equal('INVALID_CONFIG');
    const broker = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configNames: ['num.partitions'] }] });
    expect(broker.resources[0]!.configEntries[0]).to.include({ configName: 'num.partitions', configValue: '1' });
    for (const resources of [undefined, [], [{ type: 99, name: 't' }], [{ type: ConfigResourceTypes.TOPIC, name: '' }]]) {
      expect(await admin.describeConfigs({ includeSynonyms: false, resources } as never).catch((e: unknown) => e)).to.be.instanceOf(KafkaJSNonRetriableError);
    }
    expect(await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [] }] }).catch((e: unknown) => e)).to.be.instanceOf(
      KafkaJSNonRetriableError,
    );
  });

  it('deletes records up to an offset', async () => {
    const cluster = virtualCluster();
    const admin = new TwinAdminTopics(cluster);
    await admin.createTopics({ topics: [{ topic: 't' }] });
    await cluster.produce({ topic: 't', partition: 0, records: [{ value: null }, { value: null }, { value: null }] });
    await admin.deleteTopicRecords({ topic: 't', partitions: [{ partition: 0, offset: '2' }] });
    expect((await admin.fetchTopicOffsets('t'))[0]!.low).to.equal('2');
    await admin.deleteTopicRecords({ topic: 't', partitions: [{ partition: 0, offset: '-1' }] });
    expect((await admin.fetchTopicOffsets('t'))[0]!.low).to.equal('3');
    expect(await admin.deleteTopicRecords({ topic: '', partitions: [] }).catch((e: unknown) => e)).to.be.instanceOf(KafkaJSNonRetriableError);
  });

  it('emits connect and disconnect events', async () => {
    const cluster = virtualCluster();
    const admin = new TwinAdminTopics(cluster);
    const seen: string[] = [];
    admin.on(admin.events.CONNECT, (e: { type: string }) => seen.push(e.type));
    admin.on(admin.events.DISCONNECT, (e: { type: string }) => seen.push(e.type));
    await admin.connect();
    await admin.disconnect();
    await new Promise((r) => setImmediate(r));
    expect(seen).to.deep.equal(['admin.connect', 'admin.disconnect']);
  });
});
