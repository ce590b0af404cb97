/**
 * Conformance: retention. Old segments are deleted on the broker's retention check; the log start
 * offset moves; newer segments stay.
 */
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import { adminOf, createTopic, messages, producerOf, record } from './helpers.js';
import { conformance, scenario } from './targets.js';

const { ConfigResourceTypes } = kafkajs;

conformance('retention', () => {
  scenario('retention.ms deletes a closed segment of old records and keeps the newer segment', async (c) => {
    const admin = await adminOf(c);
    // Small segments: each batch below (about 120 bytes) fits in one, two do not.
    const topic = await createTopic(c, admin, { topic: c.name('segments'), numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '200' }] });
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(5, 'old', { timestamp: String(c.now() - 2 * 3_600_000) }) });
    await producer.send({ topic, messages: messages(5, 'new') });
    expect(await admin.fetchTopicOffsets(topic)).to.deep.equal([{ partition: 0, offset: '10', high: '10', low: '0' }]);
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: [
            { name: 'segment.bytes', value: '200' },
            { name: 'retention.ms', value: '3600000' },
          ],
        },
      ],
    });
    await c.waitUntil(async () => (await admin.fetchTopicOffsets(topic))[0]!.low !== '0', { message: 'the old segment deleted', timeoutMs: 30_000 });
    expect(await admin.fetchTopicOffsets(topic)).to.deep.equal([{ partition: 0, offset: '10', high: '10', low: '5' }]);
    const r = await record(c, { groupId: c.name('segments-g'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => r.seen.length === 5, { message: 'the kept records' });
    await c.settle();
    expect(r.values()).to.deep.equal(['new-0', 'new-1', 'new-2', 'new-3', 'new-4']);
  });

  scenario('records within retention are never deleted by the retention check', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, {
      topic: c.name('keep'),
      numPartitions: 1,
      configEntries: [
        { name: 'retention.ms', value: '3600000' },
        { name: 'segment.bytes', value: '200' },
      ],
    });
    const producer = await producerOf(c);
    for (let i = 0; i < 3; i++) await producer.send({ topic, messages: messages(3, `b${i}`, { timestamp: String(c.now() - 60_000) }) });
    // Several retention checks (one a second) pass.
    await c.sleep(3000);
    expect(await admin.fetchTopicOffsets(topic)).to.deep.equal([{ partition: 0, offset: '9', high: '9', low: '0' }]);
  });
});
