/**
 * Conformance: the admin client. Topic creation and deletion, metadata, offsets, configs, and the
 * errors both targets must report the same way.
 */
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import { adminOf, createTopic, messages, producerOf, record, rejectionOf, waitForLeaders } from './helpers.js';
import { conformance, scenario, type Control } from './targets.js';
import type { Admin } from '../../client/interface.js';

/** Creates a topic with a fixed name, first deleting one left over by an earlier run against the same brokers. */
async function createFixedTopic(c: Control, admin: Admin, topic: string, numPartitions: number): Promise<string> {
  if ((await admin.listTopics()).includes(topic)) {
    await admin.deleteTopics({ topics: [topic] });
    await c.waitUntil(async () => !(await admin.listTopics()).includes(topic), { message: `${topic} deleted` });
  }
  await c.waitUntil(async () => admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions }] }).catch(() => false), {
    message: `${topic} created`,
  });
  await waitForLeaders(c, admin, topic, numPartitions);
  return topic;
}

const { ConfigResourceTypes } = kafkajs;

conformance('admin: topics', () => {
  scenario('createTopics answers true, then false for a topic that exists', async (c) => {
    const admin = await adminOf(c);
    const topic = c.name('create');
    expect(await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: 2 }] })).to.equal(true);
    await waitForLeaders(c, admin, topic, 2);
    expect(await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: 2 }] })).to.equal(false);
    expect(await admin.listTopics()).to.include(topic);
  });

  scenario('createTopics with validateOnly creates nothing', async (c) => {
    const admin = await adminOf(c);
    const topic = c.name('validate');
    expect(await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic, numPartitions: 3 }] })).to.equal(true);
    await c.sleep(500);
    expect(await admin.listTopics()).not.to.include(topic);
  });

  scenario('fetchTopicMetadata: one entry per partition with leader, replicas, ISR, no offline replicas', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('md'), numPartitions: 3 });
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(topics).to.have.length(1);
    expect(topics[0]!.name).to.equal(topic);
    expect(topics[0]!.partitions.map((p) => ({ ...p })).sort((a, b) => a.partitionId - b.partitionId)).to.deep.equal(
      [0, 1, 2].map((partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 1, replicas: [1], isr: [1], offlineReplicas: [] })),
    );
  });

  scenario("partitions come in the broker's order, not by id: metadata, topic offsets, group offsets", async (c) => {
    const admin = await adminOf(c);
    const six = await createTopic(c, admin, { topic: c.name('order6'), numPartitions: 6 });
    const { topics } = await admin.fetchTopicMetadata({ topics: [six] });
    expect(topics[0]!.partitions.map((p) => p.partitionId)).to.deep.equal([1, 3, 2, 5, 0, 4]);
    expect((await admin.fetchTopicOffsets(six)).map((o) => o.partition)).to.deep.equal([1, 3, 2, 5, 0, 4]);
    // The group offsets' order hangs on the topic name's hash: this one needs a fixed name.
    const twelve = await createFixedTopic(c, admin, 'conformance.offset-order', 12);
    expect((await admin.fetchTopicMetadata({ topics: [twelve] })).topics[0]!.partitions.map((p) => p.partitionId)).to.deep.equal([
      1, 11, 10, 5, 0, 8, 3, 9, 6, 2, 7, 4,
    ]);
    const offsets = await admin.fetchOffsets({ groupId: c.name('order-g'), topics: [twelve] });
    expect(offsets[0]!.partitions.map((p) => p.partition)).to.deep.equal([1, 6, 5, 2, 4, 7, 9, 10, 3, 0, 11, 8]);
    await admin.deleteTopics({ topics: [twelve] });
  });

  scenario('fetchTopicMetadata for a topic that does not exist fails and does not create it', async (c) => {
    const admin = await adminOf(c);
    const topic = c.name('missing');
    const error = await rejectionOf(admin.fetchTopicMetadata({ topics: [topic] }));
    expect(error).to.deep.equal({ name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
    expect(await admin.listTopics()).not.to.include(topic);
  });

  scenario('fetchTopicOffsets: high and low per partition, offset = high', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('offsets'), numPartitions: 2 });
    const producer = await producerOf(c);
    await producer.send({ topic, messages: [...messages(3, 'p0', { partition: 0 }), ...messages(5, 'p1', { partition: 1 })] });
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.sort((a, b) => a.partition - b.partition)).to.deep.equal([
      { partition: 0, offset: '3', high: '3', low: '0' },
      { partition: 1, offset: '5', high: '5', low: '0' },
    ]);
  });

  scenario('fetchTopicOffsetsByTimestamp: the first offset at or after the time, else the high watermark', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('bytime'), numPartitions: 1 });
    const producer = await producerOf(c);
    // An hour ago: well inside the default retention (older records could be deleted by the retention check at any moment).
    const base = c.now() - 3_600_000;
    await producer.send({ topic, messages: [0, 1, 2, 3].map((i) => ({ value: `t${i}`, timestamp: String(base + i * 1000) })) });
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, base - 1)).to.deep.equal([{ partition: 0, offset: '0' }]);
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, base + 1500)).to.deep.equal([{ partition: 0, offset: '2' }]);
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, base + 3000)).to.deep.equal([{ partition: 0, offset: '3' }]);
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, base + 10_000)).to.deep.equal([{ partition: 0, offset: '4' }]);
    expect(await admin.fetchTopicOffsetsByTimestamp(topic)).to.deep.equal([{ partition: 0, offset: '4' }]);
  });

  scenario('createPartitions adds partitions; fewer partitions fail with INVALID_PARTITIONS', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('grow'), numPartitions: 2 });
    await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] });
    await waitForLeaders(c, admin, topic, 4);
    expect(await rejectionOf(admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] }))).to.deep.equal({
      name: 'KafkaJSProtocolError',
      type: 'INVALID_PARTITIONS',
      retriable: false,
    });
    expect(await rejectionOf(admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] }))).to.deep.equal({
      name: 'KafkaJSProtocolError',
      type: 'INVALID_PARTITIONS',
      retriable: false,
    });
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(topics[0]!.partitions).to.have.length(4);
  });

  scenario('an invalid topic name fails with INVALID_TOPIC_EXCEPTION inside an aggregate error', async (c) => {
    const admin = await adminOf(c);
    const error = await rejectionOf(admin.createTopics({ waitForLeaders: false, topics: [{ topic: 'bad name!' }] }));
    expect(error).to.deep.equal({
      name: 'KafkaJSAggregateError',
      errors: [{ name: 'KafkaJSCreateTopicError', type: 'INVALID_TOPIC_EXCEPTION', retriable: false }],
    });
    const tooLong = await rejectionOf(admin.createTopics({ waitForLeaders: false, topics: [{ topic: 'x'.repeat(250) }] }));
    expect(tooLong.errors?.map((e) => e.type)).to.deep.equal(['INVALID_TOPIC_EXCEPTION']);
  });

  scenario('a replication factor above the broker count fails with INVALID_REPLICATION_FACTOR', async (c) => {
    const admin = await adminOf(c);
    const topic = c.name('rf');
    const error = await rejectionOf(admin.createTopics({ waitForLeaders: false, topics: [{ topic, replicationFactor: c.brokers + 1 }] }));
    expect(error).to.deep.equal({
      name: 'KafkaJSAggregateError',
      errors: [{ name: 'KafkaJSCreateTopicError', type: 'INVALID_REPLICATION_FACTOR', retriable: false }],
    });
    expect(await admin.listTopics()).not.to.include(topic);
  });

  scenario('an invalid topic setting fails with INVALID_CONFIG', async (c) => {
    const admin = await adminOf(c);
    const error = await rejectionOf(
      admin.createTopics({ waitForLeaders: false, topics: [{ topic: c.name('cfg'), configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }),
    );
    expect(error).to.deep.equal({
      name: 'KafkaJSAggregateError',
      errors: [{ name: 'KafkaJSCreateTopicError', type: 'INVALID_CONFIG', retriable: false }],
    });
  });

  scenario('deleteTopics removes a topic; its name can be used again', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('del'), numPartitions: 2 });
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(4, 'old') });
    await admin.deleteTopics({ topics: [topic] });
    await c.waitUntil(async () => !(await admin.listTopics()).includes(topic), { message: `${topic} gone` });
    await c.waitUntil(async () => admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: 1 }] }).catch(() => false), {
      message: `${topic} created again`,
    });
    await waitForLeaders(c, admin, topic, 1);
    expect(await admin.fetchTopicOffsets(topic)).to.deep.equal([{ partition: 0, offset: '0', high: '0', low: '0' }]);
  });

  scenario('deleteTopics of a topic that does not exist fails once retries run out', async (c) => {
    const admin = c.kafka.admin({ retry: { retries: 1, initialRetryTime: 100 } });
    await admin.connect();
    const error = await rejectionOf(admin.deleteTopics({ topics: [c.name('nope')] }));
    expect(error.name).to.equal('KafkaJSNumberOfRetriesExceeded');
    expect(error.cause).to.deep.equal({ name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
  });

  scenario('deleteTopicRecords moves the low offset; consumers from the beginning start there', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('trunc'), numPartitions: 1 });
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(6, 'r') });
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '4' }] });
    expect(await admin.fetchTopicOffsets(topic)).to.deep.equal([{ partition: 0, offset: '6', high: '6', low: '4' }]);
    const r = await record(c, { groupId: c.name('trunc-g'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => r.seen.length === 2, { message: '2 messages' });
    expect(r.values()).to.deep.equal(['r-4', 'r-5']);
  });

  scenario('describeCluster lists every broker and a controller among them', async (c) => {
    const admin = await adminOf(c);
    const d = await admin.describeCluster();
    expect(d.brokers.map((b) => b.nodeId).sort()).to.deep.equal(Array.from({ length: c.brokers }, (_, i) => i + 1));
    expect(d.brokers.every((b) => typeof b.host === 'string' && Number.isInteger(b.port))).to.equal(true);
    expect(d.brokers.map((b) => b.nodeId)).to.include(d.controller);
    expect(d.clusterId).to.match(/^[A-Za-z0-9_-]{22}$/);
  });
});

conformance('admin: configs', () => {
  scenario('describeConfigs reports a setting given at creation as a topic override', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('cfg'), numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '123456' }] });
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'max.message.bytes'] }],
    });
    expect(described.resources).to.have.length(1);
    const resource = described.resources[0]!;
    expect({ errorCode: resource.errorCode, resourceName: resource.resourceName, resourceType: resource.resourceType }).to.deep.equal({
      errorCode: 0,
      resourceName: topic,
      resourceType: ConfigResourceTypes.TOPIC,
    });
    const entries = resource.configEntries.map((e) => ({
      configName: e.configName,
      configValue: e.configValue,
      isDefault: e.isDefault,
      configSource: e.configSource,
      readOnly: e.readOnly,
      isSensitive: e.isSensitive,
    }));
    expect(entries.sort((a, b) => a.configName.localeCompare(b.configName))).to.deep.equal([
      { configName: 'max.message.bytes', configValue: '1048588', isDefault: true, configSource: 5, readOnly: false, isSensitive: false },
      { configName: 'retention.ms', configValue: '123456', isDefault: false, configSource: 1, readOnly: false, isSensitive: false },
    ]);
  });

  scenario("alterConfigs replaces a topic's settings: what is not named goes back to the default", async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, {
      topic: c.name('alter'),
      numPartitions: 1,
      configEntries: [
        { name: 'retention.ms', value: '123456' },
        { name: 'max.message.bytes', value: '50000' },
      ],
    });
    const result = await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '654321' }] }],
    });
    expect(result).to.deep.equal({ resources: [{ errorCode: 0, errorMessage: null, resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }] });
    await c.waitUntil(
      async () => {
        const d = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'max.message.bytes'] }],
        });
        const values = Object.fromEntries(d.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
        return values['retention.ms'] === '654321' && values['max.message.bytes'] === '1048588';
      },
      { message: 'the new settings to be described' },
    );
  });

  scenario('alterConfigs with validateOnly changes nothing', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('alter-v'), numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '123456' }] });
    await admin.alterConfigs({
      validateOnly: true,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '1000' }] }],
    });
    await c.sleep(500);
    const d = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }],
    });
    expect(d.resources[0]!.configEntries.map((e) => e.configValue)).to.deep.equal(['123456']);
  });
});
