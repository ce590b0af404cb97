/**
 * Conformance: one consumer. Starting offsets, commits and restarts, seek, pause/resume,
 * eachBatch, message shape, failures in the handler.
 */
import { expect } from 'chai';
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { adminOf, createTopic, messages, producerOf, quick, record } from './helpers.js';
import { conformance, scenario } from './targets.js';

conformance('consumer', () => {
  scenario('fromBeginning reads what was written before the consumer joined', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('begin'), numPartitions: 1 });
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(5, 'old') });
    const r = await record(c, { groupId: c.name('begin-g'), topics: [topic], fromBeginning: true });
    await producer.send({ topic, messages: messages(2, 'new') });
    await c.waitUntil(() => r.seen.length === 7, { message: '7 messages' });
    expect(r.values()).to.deep.equal(['old-0', 'old-1', 'old-2', 'old-3', 'old-4', 'new-0', 'new-1']);
  });

  scenario('latest (the default) reads only what is written after its first fetch', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('latest'), numPartitions: 1 });
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(5, 'old') });
    const r = await record(c, { groupId: c.name('latest-g'), topics: [topic] });
    await producer.send({ topic, messages: messages(2, 'new') });
    await c.waitUntil(() => r.seen.length === 2, { message: '2 messages' });
    await c.settle();
    expect(r.values()).to.deep.equal(['new-0', 'new-1']);
    expect(r.seen.map((m) => m.offset)).to.deep.equal([5, 6]);
  });

  scenario('commits as it goes; a restarted consumer of the group resumes after the committed offsets', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('resume'), numPartitions: 2 });
    const groupId = c.name('resume-g');
    const producer = await producerOf(c);
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `a${i}`, partition: i % 2 })) });
    const first = await record(c, { groupId, topics: [topic], fromBeginning: true });
    await c.waitUntil(() => first.seen.length === 10, { message: '10 messages' });
    await first.consumer.disconnect();
    expect(await admin.fetchOffsets({ groupId, topics: [topic] })).to.deep.equal([
      {
        topic,
        partitions: [
          { partition: 0, offset: '5', metadata: null },
          { partition: 1, offset: '5', metadata: null },
        ],
      },
    ]);
    await producer.send({ topic, messages: Array.from({ length: 4 }, (_, i) => ({ value: `b${i}`, partition: i % 2 })) });
    const second = await record(c, { groupId, topics: [topic], fromBeginning: true });
    await c.waitUntil(() => second.seen.length === 4, { message: '4 messages' });
    await c.settle();
    expect(second.values().sort()).to.deep.equal(['b0', 'b1', 'b2', 'b3']);
  });

  scenario('commitOffsets with autoCommit off: the committed offset and its metadata are what a restart uses', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('manual'), numPartitions: 1 });
    const groupId = c.name('manual-g');
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(6, 'm') });
    const first = await record(c, { groupId, topics: [topic], fromBeginning: true, run: { autoCommit: false } });
    await c.waitUntil(() => first.seen.length === 6, { message: '6 messages' });
    await first.consumer.commitOffsets([{ topic, partition: 0, offset: '3', metadata: 'checkpoint' }]);
    await first.consumer.disconnect();
    expect(await admin.fetchOffsets({ groupId, topics: [topic] })).to.deep.equal([
      { topic, partitions: [{ partition: 0, offset: '3', metadata: 'checkpoint' }] },
    ]);
    const second = await record(c, { groupId, topics: [topic], fromBeginning: true, run: { autoCommit: false } });
    await c.waitUntil(() => second.seen.length === 3, { message: '3 messages' });
    await c.settle();
    expect(second.values()).to.deep.equal(['m-3', 'm-4', 'm-5']);
  });

  scenario('stop() then run() again continues after what was processed', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('stoprun'), numPartitions: 1 });
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(3, 'a') });
    const r = await record(c, { groupId: c.name('stoprun-g'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => r.seen.length === 3, { message: '3 messages' });
    await r.consumer.stop();
    await producer.send({ topic, messages: messages(2, 'b') });
    await r.consumer.run({
      eachMessage: async ({ message }) =>
        void r.seen.push({
          topic,
          partition: 0,
          offset: Number(message.offset),
          key: null,
          value: String(message.value),
          timestamp: message.timestamp,
          headers: message.headers,
        }),
    });
    await c.waitUntil(() => r.seen.length === 5, { message: '5 messages' });
    await c.settle();
    expect(r.values()).to.deep.equal(['a-0', 'a-1', 'a-2', 'b-0', 'b-1']);
  });

  scenario('seek goes back to an offset and reads again from there', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('seek'), numPartitions: 1 });
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(6, 's') });
    const r = await record(c, { groupId: c.name('seek-g'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => r.seen.length === 6, { message: '6 messages' });
    r.consumer.seek({ topic, partition: 0, offset: '2' });
    await c.waitUntil(() => r.seen.length === 10, { message: '4 messages read again' });
    await c.settle();
    expect(r.seen.map((m) => m.offset)).to.deep.equal([0, 1, 2, 3, 4, 5, 2, 3, 4, 5]);
  });

  scenario("after a seek (autoCommit), the group's committed offset follows what was read again", async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('seekc'), numPartitions: 1 });
    const groupId = c.name('seekc-g');
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(5, 's') });
    const r = await record(c, { groupId, topics: [topic], fromBeginning: true });
    await c.waitUntil(() => r.seen.length === 5, { message: '5 messages' });
    r.consumer.seek({ topic, partition: 0, offset: '4' });
    await c.waitUntil(() => r.seen.length === 6, { message: 'the sought message' });
    await r.consumer.disconnect();
    expect(await admin.fetchOffsets({ groupId, topics: [topic] })).to.deep.equal([{ topic, partitions: [{ partition: 0, offset: '5', metadata: null }] }]);
  });

  scenario('pause stops delivery from a partition, paused() lists it, resume delivers what was held back', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('pause'), numPartitions: 2 });
    const producer = await producerOf(c);
    const r = await record(c, { groupId: c.name('pause-g'), topics: [topic], fromBeginning: true });
    r.consumer.pause([{ topic, partitions: [0] }]);
    expect(r.consumer.paused()).to.deep.equal([{ topic, partitions: [0] }]);
    await producer.send({
      topic,
      messages: [
        { value: 'p0', partition: 0 },
        { value: 'p1', partition: 1 },
      ],
    });
    await c.waitUntil(() => r.seen.length === 1, { message: 'the unpaused partition' });
    await c.settle();
    expect(r.values()).to.deep.equal(['p1']);
    r.consumer.resume([{ topic, partitions: [0] }]);
    expect(r.consumer.paused()).to.deep.equal([]);
    await c.waitUntil(() => r.seen.length === 2, { message: 'the resumed partition' });
    expect(r.values()).to.deep.equal(['p1', 'p0']);
  });

  scenario('pause from inside eachMessage holds the rest of the batch until resumed', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('pause-in'), numPartitions: 1 });
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(4, 'x') });
    const consumer = c.kafka.consumer(quick(c.name('pause-in-g')));
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, pause }) => {
        seen.push(String(message.value));
        if (String(message.value) === 'x-1') pause();
      },
    });
    await c.waitUntil(() => seen.length === 2, { message: 'two messages' });
    await c.settle();
    expect(seen).to.deep.equal(['x-0', 'x-1']);
    expect(consumer.paused()).to.deep.equal([{ topic, partitions: [0] }]);
    consumer.resume([{ topic }]);
    await c.waitUntil(() => seen.length === 4, { message: 'the rest' });
    expect(seen).to.deep.equal(['x-0', 'x-1', 'x-2', 'x-3']);
  });

  scenario("eachBatch gets one batch with kafkajs's fields and offsets", async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('batch'), numPartitions: 1 });
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(5, 'b') });
    const consumer = c.kafka.consumer(quick(c.name('batch-g')));
    const batches: Record<string, unknown>[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }: EachBatchPayload) => {
        batches.push({
          topic: batch.topic,
          partition: batch.partition,
          highWatermark: batch.highWatermark,
          offsets: batch.messages.map((m) => m.offset),
          isEmpty: batch.isEmpty(),
          firstOffset: batch.firstOffset(),
          lastOffset: batch.lastOffset(),
          offsetLag: batch.offsetLag(),
          offsetLagLow: batch.offsetLagLow(),
        });
      },
    });
    await c.waitUntil(() => batches.length === 1, { message: 'a batch' });
    await c.settle();
    expect(batches).to.deep.equal([
      {
        topic,
        partition: 0,
        highWatermark: '5',
        offsets: ['0', '1', '2', '3', '4'],
        isEmpty: false,
        firstOffset: '0',
        lastOffset: '4',
        offsetLag: '0',
        offsetLagLow: '4',
      },
    ]);
  });

  scenario("a message has kafkajs's fields: buffers, string offset and timestamp, attributes 0", async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('shape'), numPartitions: 1 });
    const producer = await producerOf(c);
    const timestamp = String(c.now() - 60_000);
    await producer.send({ topic, messages: [{ key: 'k', value: 'v', timestamp, headers: { h: 'x' } }] });
    const consumer = c.kafka.consumer(quick(c.name('shape-g')));
    const got: KafkaMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
    await c.waitUntil(() => got.length === 1, { message: 'a message' });
    const m = got[0]!;
    expect({
      key: Buffer.isBuffer(m.key) ? String(m.key) : m.key,
      value: Buffer.isBuffer(m.value) ? String(m.value) : m.value,
      timestamp: m.timestamp,
      attributes: m.attributes,
      offset: m.offset,
      headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])),
    }).to.deep.equal({ key: 'k', value: 'v', timestamp, attributes: 0, offset: '0', headers: { h: 'x' } });
  });

  scenario('subscribing with a RegExp consumes every existing topic it matches', async (c) => {
    const admin = await adminOf(c);
    const prefix = c.name('re');
    const a = await createTopic(c, admin, { topic: `${prefix}.a`, numPartitions: 1 });
    const b = await createTopic(c, admin, { topic: `${prefix}.b`, numPartitions: 1 });
    await createTopic(c, admin, { topic: `${prefix}-other`, numPartitions: 1 });
    const producer = await producerOf(c);
    await producer.sendBatch({
      topicMessages: [
        { topic: a, messages: [{ value: 'a' }] },
        { topic: b, messages: [{ value: 'b' }] },
        { topic: `${prefix}-other`, messages: [{ value: 'other' }] },
      ],
    });
    const escaped = prefix.replace(/[-.]/g, '\\$&');
    const r = await record(c, { groupId: c.name('re-g'), topics: [new RegExp(`^${escaped}\\.`)], fromBeginning: true });
    await c.waitUntil(() => r.seen.length === 2, { message: 'both matching topics' });
    await c.settle();
    expect(r.seen.map((m) => m.topic).sort()).to.deep.equal([a, b]);
  });

  scenario('an error in eachMessage retries from the failed message; nothing before it comes again', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('fail'), numPartitions: 1 });
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(4, 'f') });
    let failures = 0;
    const attempts: string[] = [];
    const r = await record(c, {
      groupId: c.name('fail-g'),
      topics: [topic],
      fromBeginning: true,
      config: { retry: { retries: 5, initialRetryTime: 100 } },
      onMessage: (m) => {
        attempts.push(m.value!);
        if (m.value === 'f-2' && failures++ < 2) throw new Error('handler failed');
      },
    });
    await c.waitUntil(() => r.seen.length === 4, { message: 'all four processed' });
    await c.settle();
    expect(r.values()).to.deep.equal(['f-0', 'f-1', 'f-2', 'f-3']);
    expect(attempts).to.deep.equal(['f-0', 'f-1', 'f-2', 'f-2', 'f-2', 'f-3']);
  });
});
