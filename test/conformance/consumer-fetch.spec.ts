/**
 * Conformance: what one fetch brings, and the codecs a send needs. `minBytes`: a fetch with less
 * waits up to `maxWaitTimeInMs` for more; `maxBytes`: the limit over the partitions of one fetch,
 * the first batch coming whole even when bigger. A send compressed with Snappy, LZ4 or ZSTD and no
 * codec registered fails with kafkajs's KafkaJSNotImplemented.
 */
import { createRequire } from 'node:module';
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import { adminOf, createTopic, producerOf, quick, rejectionOf } from './helpers.js';
import { conformance, scenario, type Control } from './targets.js';

const { CompressionTypes } = kafkajs;
/** kafkajs's codec table, global to its module; its typings index it by literal types only. */
const CompressionCodecs = kafkajs.CompressionCodecs as unknown as Record<number, () => unknown>;

/** A consumer of `topic` from the beginning that notes when each fetch started and when each batch came, by fetch. */
async function timing(c: Control, topic: string, groupId: string, config: { minBytes?: number; maxBytes?: number; maxWaitTimeInMs: number }) {
  const consumer = c.kafka.consumer(quick(groupId, config));
  const fetchStarts: number[] = [];
  const batches: { partition: number; at: number; fetch: number; count: number }[] = [];
  consumer.on(consumer.events.FETCH_START, () => void fetchStarts.push(c.now()));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => void batches.push({ partition: batch.partition, at: c.now(), fetch: fetchStarts.length, count: batch.messages.length }),
  });
  return { consumer, fetchStarts, batches };
}

conformance('consumer fetch sizes and codecs', () => {
  scenario('a fetch with less than minBytes waits maxWaitTimeInMs, one with enough answers at once', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('min-bytes'), numPartitions: 1 });
    const producer = await producerOf(c);
    await producer.send({ topic, messages: [{ value: 'small' }] });
    const short = await timing(c, topic, c.name('min-bytes-g'), { minBytes: 100_000, maxWaitTimeInMs: 2_000 });
    await c.waitUntil(() => short.batches.length > 0, { message: 'the message, after the long poll' });
    const first = short.batches[0]!;
    const waited = first.at - short.fetchStarts[first.fetch - 1]!;
    expect(waited).to.be.at.least(1_900);
    await short.consumer.disconnect();
    // Enough data for minBytes from the start: the same long poll answers at once.
    await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ value: `${i}`.padEnd(200, '.') })) });
    const enough = await timing(c, topic, c.name('min-bytes-g'), { minBytes: 1_000, maxWaitTimeInMs: 5_000 });
    await c.waitUntil(() => enough.batches.length > 0, { message: 'the messages' });
    expect(enough.batches[0]!.at - enough.fetchStarts[enough.batches[0]!.fetch - 1]!).to.be.below(2_500);
  });

  scenario('maxBytes limits one fetch over its partitions; the first batch comes whole even when bigger', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('max-bytes'), numPartitions: 3 });
    const producer = await producerOf(c);
    // One batch of about 3 KB per partition.
    for (const partition of [0, 1, 2])
      await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `${i}`.padEnd(300, '.'), partition })) });
    const fetchesOf = async (maxBytes: number) => {
      const t = await timing(c, topic, c.name('max-bytes-g'), { maxBytes, maxWaitTimeInMs: 100 });
      await c.waitUntil(() => t.batches.reduce((n, b) => n + b.count, 0) === 30, { message: 'the 30 messages' });
      await t.consumer.disconnect();
      return { fetches: new Set(t.batches.map((b) => b.fetch)).size, batches: t.batches.length };
    };
    // Room for all three: one fetch. Room for one batch (or less than one): a fetch per partition.
    expect(await fetchesOf(10 * 1024 * 1024)).to.deep.equal({ fetches: 1, batches: 3 });
    expect(await fetchesOf(4_000)).to.deep.equal({ fetches: 3, batches: 3 });
    expect(await fetchesOf(500)).to.deep.equal({ fetches: 3, batches: 3 });
  });

  scenario('a send compressed with Snappy, LZ4 or ZSTD and no codec registered fails with KafkaJSNotImplemented', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('no-codec'), numPartitions: 1 });
    const producer = await producerOf(c);
    const types = [CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD];
    // Other specs of the same process may have registered codecs (the table is global): take kafkajs's own
    // unregistered entries from a fresh copy of its module for the while.
    const require = createRequire(import.meta.url);
    const path = require.resolve('kafkajs/src/protocol/message/compression');
    const cached = require.cache[path];
    delete require.cache[path];
    const pristine = (require(path) as { Codecs: Record<number, () => unknown> }).Codecs;
    if (cached !== undefined) require.cache[path] = cached;
    const registered = types.map((t) => CompressionCodecs[t]);
    types.forEach((t) => (CompressionCodecs[t] = pristine[t]));
    try {
      const failures = [];
      for (const compression of types) {
        const shape = await rejectionOf(producer.send({ topic, compression, messages: [{ value: 'm' }] }));
        const message = await producer.send({ topic, compression, messages: [{ value: 'm' }] }).then(
          () => '',
          (e: Error) => e.message,
        );
        failures.push({ ...shape, message });
      }
      expect(failures).to.deep.equal([
        { name: 'KafkaJSNotImplemented', retriable: false, message: 'Snappy compression not implemented' },
        { name: 'KafkaJSNotImplemented', retriable: false, message: 'LZ4 compression not implemented' },
        { name: 'KafkaJSNotImplemented', retriable: false, message: 'ZSTD compression not implemented' },
      ]);
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets[0]!.high).to.equal('0');
    } finally {
      types.forEach((t, i) => (CompressionCodecs[t] = registered[i]!));
    }
  });
});
