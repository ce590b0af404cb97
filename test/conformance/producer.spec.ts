/**
 * Conformance: producing. RecordMetadata, partitioning, order, headers, nulls, timestamps, acks.
 */
import { expect } from 'chai';
import { adminOf, createTopic, messages, producerOf, record, rejectionOf } from './helpers.js';
import { conformance, scenario } from './targets.js';

conformance('producer', () => {
  scenario('send answers one RecordMetadata per partition, base offsets counting from 0', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('meta'), numPartitions: 1 });
    const producer = await producerOf(c);
    expect(await producer.send({ topic, messages: messages(3, 'a') })).to.deep.equal([
      { topicName: topic, partition: 0, errorCode: 0, baseOffset: '0', logAppendTime: '-1', logStartOffset: '0' },
    ]);
    expect(await producer.send({ topic, messages: messages(2, 'b') })).to.deep.equal([
      { topicName: topic, partition: 0, errorCode: 0, baseOffset: '3', logAppendTime: '-1', logStartOffset: '0' },
    ]);
  });

  scenario('sendBatch over two topics answers per topic and partition', async (c) => {
    const admin = await adminOf(c);
    const a = await createTopic(c, admin, { topic: c.name('batch-a'), numPartitions: 2 });
    const b = await createTopic(c, admin, { topic: c.name('batch-b'), numPartitions: 1 });
    const producer = await producerOf(c);
    const result = await producer.sendBatch({
      topicMessages: [
        {
          topic: a,
          messages: [
            { value: 'a0', partition: 0 },
            { value: 'a1', partition: 1 },
            { value: 'a2', partition: 1 },
          ],
        },
        { topic: b, messages: [{ value: 'b0' }] },
      ],
    });
    const byPartition = result.map((r) => [r.topicName, r.partition, r.baseOffset, r.errorCode]).sort((x, y) => String(x).localeCompare(String(y)));
    expect(byPartition).to.deep.equal([
      [a, 0, '0', 0],
      [a, 1, '0', 0],
      [b, 0, '0', 0],
    ]);
  });

  scenario('messages to one partition are stored and delivered in order', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('order'), numPartitions: 3 });
    const producer = await producerOf(c);
    for (let i = 0; i < 5; i++) await producer.send({ topic, messages: Array.from({ length: 20 }, (_, j) => ({ value: `m${i * 20 + j}`, partition: 1 })) });
    const r = await record(c, { groupId: c.name('order-g'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => r.seen.length === 100, { message: '100 messages' });
    expect(r.seen.map((m) => m.partition)).to.deep.equal(Array(100).fill(1));
    expect(r.seen.map((m) => m.offset)).to.deep.equal(Array.from({ length: 100 }, (_, i) => i));
    expect(r.values()).to.deep.equal(Array.from({ length: 100 }, (_, i) => `m${i}`));
  });

  scenario('a key lands on the same partition on both (murmur2, six partitions)', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('keys'), numPartitions: 6 });
    const producer = await producerOf(c);
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'user-1', 'user-2', 'user-3', 'order-42', '', '0'];
    const placed: Record<string, number> = {};
    for (const key of keys) {
      const [meta] = await producer.send({ topic, messages: [{ key, value: key }] });
      placed[key] = meta!.partition;
    }
    expect(placed).to.deep.equal({
      alpha: 4,
      beta: 2,
      gamma: 4,
      delta: 2,
      epsilon: 1,
      zeta: 1,
      eta: 0,
      theta: 4,
      'user-1': 2,
      'user-2': 2,
      'user-3': 5,
      'order-42': 0,
      '': 3,
      '0': 2,
    });
    // The same key twice goes to the same partition.
    const again = await producer.send({ topic, messages: [{ key: 'alpha', value: 'again' }] });
    expect(again[0]!.partition).to.equal(placed.alpha);
  });

  scenario('unkeyed messages without a partition are spread over every partition', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('spread'), numPartitions: 3 });
    const producer = await producerOf(c);
    const result = await producer.send({ topic, messages: messages(30, 'u') });
    expect(result.map((r) => r.partition).sort()).to.deep.equal([0, 1, 2]);
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.map((o) => Number(o.high)).reduce((s, n) => s + n, 0)).to.equal(30);
    expect(offsets.every((o) => Number(o.high) === 10)).to.equal(true);
  });

  scenario('headers round-trip: strings and buffers come back as buffers, repeated keys as arrays', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('headers'), numPartitions: 1 });
    const producer = await producerOf(c);
    await producer.send({
      topic,
      messages: [{ value: 'h', headers: { 'trace-id': 'abc', bin: Buffer.from([0, 1, 2]), multi: ['x', 'y'], empty: '' } }, { value: 'none' }],
    });
    const r = await record(c, { groupId: c.name('headers-g'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => r.seen.length === 2, { message: '2 messages' });
    const h = r.seen[0]!.headers!;
    expect(Object.keys(h).sort()).to.deep.equal(['bin', 'empty', 'multi', 'trace-id']);
    expect(Buffer.isBuffer(h['trace-id'])).to.equal(true);
    expect(String(h['trace-id'])).to.equal('abc');
    expect([...(h.bin as Buffer)]).to.deep.equal([0, 1, 2]);
    expect(Array.isArray(h.multi)).to.equal(true);
    expect((h.multi as Buffer[]).map(String)).to.deep.equal(['x', 'y']);
    expect(String(h.empty)).to.equal('');
    expect(r.seen[1]!.headers).to.deep.equal({});
  });

  scenario('null values and null keys are kept as null', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('nulls'), numPartitions: 1 });
    const producer = await producerOf(c);
    await producer.send({ topic, messages: [{ key: 'k', value: null }, { key: null, value: 'v' }, { value: '' }] });
    const r = await record(c, { groupId: c.name('nulls-g'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => r.seen.length === 3, { message: '3 messages' });
    expect(r.seen.map((m) => [m.key, m.value])).to.deep.equal([
      ['k', null],
      [null, 'v'],
      [null, ''],
    ]);
  });

  scenario('timestamps: a given CreateTime is kept, a missing one is the send time', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('ts'), numPartitions: 1 });
    const producer = await producerOf(c);
    const given = String(c.now() - 3_600_000);
    const before = c.now();
    await producer.send({ topic, messages: [{ value: 'given', timestamp: given }, { value: 'now' }] });
    const after = c.now();
    const r = await record(c, { groupId: c.name('ts-g'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => r.seen.length === 2, { message: '2 messages' });
    expect(r.seen[0]!.timestamp).to.equal(given);
    const t = Number(r.seen[1]!.timestamp);
    expect(t).to.be.within(before - 1, after + 1);
  });

  scenario('LogAppendTime: the broker stamps the batch and reports it in RecordMetadata', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, {
      topic: c.name('lat'),
      numPartitions: 1,
      configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
    });
    const producer = await producerOf(c);
    const before = c.now();
    const [meta] = await producer.send({ topic, messages: [{ value: 'x', timestamp: String(c.now() - 3_600_000) }] });
    const after = c.now();
    expect(Number(meta!.logAppendTime)).to.be.within(before - 1, after + 1);
    const r = await record(c, { groupId: c.name('lat-g'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => r.seen.length === 1, { message: '1 message' });
    expect(r.seen[0]!.timestamp).to.equal(meta!.logAppendTime);
  });

  scenario('acks=0 answers nothing, acks=1 answers like acks=-1; every message is stored', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('acks'), numPartitions: 1 });
    const producer = await producerOf(c);
    expect(await producer.send({ topic, acks: 0, messages: [{ value: 'zero' }] })).to.deep.equal([]);
    const one = await producer.send({ topic, acks: 1, messages: [{ value: 'one' }] });
    expect(one).to.deep.equal([{ topicName: topic, partition: 0, errorCode: 0, baseOffset: '1', logAppendTime: '-1', logStartOffset: '0' }]);
    await c.waitUntil(async () => (await admin.fetchTopicOffsets(topic))[0]!.high === '2', { message: 'two messages stored' });
  });

  scenario('sending to a topic that does not exist creates it (auto.create.topics.enable) with one partition', async (c) => {
    const admin = await adminOf(c);
    const producer = await producerOf(c);
    const topic = c.name('auto');
    const [meta] = await producer.send({ topic, messages: [{ value: 'first' }] });
    expect(meta).to.include({ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' });
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(topics[0]!.partitions.map((p) => p.partitionId)).to.deep.equal([0]);
  });

  scenario('a message larger than max.message.bytes fails with MESSAGE_TOO_LARGE, not retried', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('big'), numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '1000' }] });
    const producer = await producerOf(c);
    expect(await rejectionOf(producer.send({ topic, messages: [{ value: 'x'.repeat(2000) }] }))).to.deep.equal({
      name: 'KafkaJSProtocolError',
      type: 'MESSAGE_TOO_LARGE',
      retriable: false,
    });
    // A message that fits still goes through.
    const [meta] = await producer.send({ topic, messages: [{ value: 'x'.repeat(100) }] });
    expect(meta!.baseOffset).to.equal('0');
  });

  scenario('a batch larger than segment.bytes fails with RECORD_LIST_TOO_LARGE, not retried; nothing is written', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('seg'), numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '200' }] });
    const producer = await producerOf(c);
    expect(await rejectionOf(producer.send({ topic, messages: messages(20, 'a-rather-long-value') }))).to.deep.equal({
      name: 'KafkaJSProtocolError',
      type: 'RECORD_LIST_TOO_LARGE',
      retriable: false,
    });
    expect(await admin.fetchTopicOffsets(topic)).to.deep.equal([{ partition: 0, offset: '0', high: '0', low: '0' }]);
    await producer.send({ topic, messages: messages(2, 'small') });
    expect((await admin.fetchTopicOffsets(topic))[0]!.high).to.equal('2');
  });

  scenario('a disconnected producer refuses to send', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('disc'), numPartitions: 1 });
    const producer = await producerOf(c);
    await producer.disconnect();
    expect(await rejectionOf(producer.send({ topic, messages: [{ value: 'x' }] }))).to.deep.equal({ name: 'KafkaJSError', retriable: true });
  });
});
