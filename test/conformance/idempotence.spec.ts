/**
 * Conformance: idempotent producers (kafkajs's `idempotent: true`) and isolation levels on
 * non-transactional data. The lost-acknowledgement scenario needs an injected fault, so it runs
 * on the twin and kafkajs-wire targets only (its title says so).
 */
import { expect } from 'chai';
import { adminOf, createTopic, messages, producerOf, record, rejectionOf } from './helpers.js';
import { conformance, scenario, TARGET } from './targets.js';

conformance('idempotence', () => {
  scenario('an idempotent producer sends in order; base offsets count from 0 and a consumer reads every message once', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('idem-order'), numPartitions: 1 });
    const producer = await producerOf(c, { idempotent: true });
    const bases: string[] = [];
    for (let i = 0; i < 4; i++) bases.push(...(await producer.send({ topic, messages: messages(3, `b${i}`) })).map((m) => String(m.baseOffset)));
    expect(bases).to.deep.equal(['0', '3', '6', '9']);
    const r = await record(c, { groupId: c.name('idem-order-g'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => r.seen.length >= 12, { message: '12 messages' });
    await c.settle();
    expect(r.seen.map((m) => m.offset)).to.deep.equal(Array.from({ length: 12 }, (_, i) => i));
    expect(r.values()).to.deep.equal([0, 1, 2, 3].flatMap((i) => [0, 1, 2].map((j) => `b${i}-${j}`)));
  });

  scenario('an idempotent producer refuses acks other than -1 with kafkajs\'s non-retriable error', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('idem-acks'), numPartitions: 1 });
    const producer = await producerOf(c, { idempotent: true });
    for (const acks of [0, 1]) {
      const error = await producer.send({ topic, acks, messages: messages(1, 'x') }).catch((e: unknown) => e as Error);
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).name).to.equal('KafkaJSNonRetriableError');
      expect((error as Error).message).to.equal("Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees");
    }
    expect(await rejectionOf(producer.send({ topic, acks: 1, messages: messages(1, 'y') }))).to.deep.equal({ name: 'KafkaJSNonRetriableError', retriable: false });
    expect((await admin.fetchTopicOffsets(topic)).map((o) => o.high)).to.deep.equal(['0']);
  });

  scenario('read_committed and read_uncommitted consumers see the same non-transactional data, plain and idempotent', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('idem-isolation'), numPartitions: 2 });
    const plain = await producerOf(c);
    const idempotent = await producerOf(c, { idempotent: true });
    await plain.send({ topic, messages: messages(3, 'plain', { partition: 0 }) });
    await idempotent.send({ topic, messages: messages(3, 'idem', { partition: 1 }) });
    await plain.send({ topic, messages: messages(2, 'plain-more', { partition: 1 }) });
    const committed = await record(c, { groupId: c.name('idem-rc'), topics: [topic], fromBeginning: true });
    const uncommitted = await record(c, { groupId: c.name('idem-ru'), topics: [topic], fromBeginning: true, config: { readUncommitted: true } });
    await c.waitUntil(() => committed.seen.length >= 8 && uncommitted.seen.length >= 8, { message: '8 messages for each consumer' });
    await c.settle();
    const view = (seen: typeof committed.seen) => seen.map((m) => `${m.partition}:${m.offset}:${m.value}`).sort();
    expect(view(committed.seen)).to.deep.equal(view(uncommitted.seen));
    expect(view(committed.seen)).to.have.length(8);
  });

  scenario('ListOffsets latest answers the end of the log after idempotent writes (the last stable offset: no transaction is open)', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('idem-latest'), numPartitions: 1 });
    const producer = await producerOf(c, { idempotent: true });
    await producer.send({ topic, messages: messages(5, 'a') });
    await producer.send({ topic, messages: messages(2, 'b') });
    expect((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.low, o.high, o.offset])).to.deep.equal([[0, '0', '7', '7']]);
  });

  if (TARGET !== 'kafka') {
    scenario('twin-only (injected fault): a lost acknowledgement is retried and the broker answers the original offset, writing no duplicate', async (c) => {
      const admin = await adminOf(c);
      const topic = await createTopic(c, admin, { topic: c.name('idem-lost-ack'), numPartitions: 1 });
      const producer = await producerOf(c, { idempotent: true, retry: { retries: 5, initialRetryTime: 50 } });
      await producer.send({ topic, messages: messages(2, 'first') });
      c.injectFault!({ api: 'Produce', error: 'DISCONNECT', when: 'after', topic, count: 2 });
      const [meta] = await producer.send({ topic, messages: messages(3, 'lost') });
      expect(meta!.baseOffset).to.equal('2');
      await producer.send({ topic, messages: messages(1, 'last') });
      expect((await admin.fetchTopicOffsets(topic)).map((o) => o.high)).to.deep.equal(['6']);
      const r = await record(c, { groupId: c.name('idem-lost-ack-g'), topics: [topic], fromBeginning: true });
      await c.waitUntil(() => r.seen.length >= 6, { message: '6 messages' });
      await c.settle();
      expect(r.values()).to.deep.equal(['first-0', 'first-1', 'lost-0', 'lost-1', 'lost-2', 'last-0']);
    });
  }
});
