import { createRequire } from 'node:module';
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import { Cluster } from '../../src/index.js';

const { CompressionTypes } = kafkajs;
/** kafkajs's codec table, global to its module; its typings index it by literal types only. */
const CompressionCodecs = kafkajs.CompressionCodecs as unknown as Record<number, () => unknown>;

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** Registers `codec` (or a factory) for Snappy while `body` runs, then puts back what was there (other specs register real ones). */
async function withSnappy(codec: Codec | (() => Codec), body: () => Promise<void>): Promise<void> {
  const before = CompressionCodecs[CompressionTypes.Snappy];
  CompressionCodecs[CompressionTypes.Snappy] = typeof codec === 'function' ? codec : () => codec;
  try {
    await body();
  } finally {
    CompressionCodecs[CompressionTypes.Snappy] = before!;
  }
}

/** A codec that reverses the bytes, and logs its calls. */
function reversing(calls: string[]): Codec {
  return {
    async compress(encoder) {
      calls.push(`compress ${encoder.buffer.length}`);
      return Buffer.from(encoder.buffer).reverse();
    },
    async decompress(buffer) {
      calls.push(`decompress ${buffer.length}`);
      return Buffer.from(buffer).reverse();
    },
  };
}

function setup() {
  const cluster = new Cluster({ clock: 'virtual', seed: 3 });
  cluster.createTopic({ topic: 't', numPartitions: 2 });
  return { cluster, kafka: cluster.kafka() };
}

describe('twin client: compression codecs', () => {
  it("calls the registered codec's compress once per partition on send and its decompress once per batch on fetch", async () => {
    const calls: string[] = [];
    await withSnappy(reversing(calls), async () => {
      const { cluster, kafka } = setup();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: 't',
        compression: CompressionTypes.Snappy,
        messages: [
          { value: 'a', partition: 0 },
          { value: 'b', partition: 0 },
          { value: 'c', partition: 1 },
        ],
      });
      // The records block kafkajs compresses: an int32 count, then each record (here 8 bytes for a 1-byte value).
      expect(calls).to.deep.equal(['compress 20', 'compress 12']);
      const seen: string[] = [];
      const consumer = kafka.consumer({ groupId: 'g' });
      await consumer.connect();
      await consumer.subscribe({ topics: ['t'], fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
      await cluster.idle();
      expect(seen.sort()).to.deep.equal(['a', 'b', 'c']);
      expect(calls.slice(2).sort()).to.deep.equal(['decompress 12', 'decompress 20']);
      await consumer.disconnect();
    });
  });

  it('a send fails with what compress throws, as it is, and writes nothing', async () => {
    const broken: Codec = {
      compress: async () => Promise.reject(new Error('compress is broken')),
      decompress: async (b) => b,
    };
    await withSnappy(broken, async () => {
      const { cluster, kafka } = setup();
      const producer = kafka.producer();
      await producer.connect();
      const error = await producer.send({ topic: 't', compression: CompressionTypes.Snappy, messages: [{ value: 'a' }] }).catch((e: Error) => e);
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.equal('compress is broken');
      expect(cluster.describePartition('t', 0).highWatermark + cluster.describePartition('t', 1).highWatermark).to.equal(0);
    });
  });

  it('a codec whose decompress garbles its data makes the consumer fail the fetch, retry, and crash with a restart', async () => {
    const garbling: Codec = {
      compress: async (encoder) => Buffer.from(encoder.buffer),
      decompress: async (buffer) => Buffer.concat([buffer, Buffer.from([0])]),
    };
    await withSnappy(garbling, async () => {
      const { cluster, kafka } = setup();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 't', compression: CompressionTypes.Snappy, messages: [{ value: 'a', partition: 0 }] });
      const consumer = kafka.consumer({ groupId: 'g', retry: { retries: 1, initialRetryTime: 100 } });
      const crashes: { name: string; cause: string; restart: boolean }[] = [];
      consumer.on(
        consumer.events.CRASH,
        (e) => void crashes.push({ name: e.payload.error.name, cause: String((e.payload.error.cause as Error).message), restart: e.payload.restart }),
      );
      const seen: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topics: ['t'], fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
      await cluster.advance(2_000);
      expect(seen).to.deep.equal([]);
      expect(crashes[0]).to.deep.include({ name: 'KafkaJSNumberOfRetriesExceeded', restart: true });
      expect(crashes[0]!.cause).to.match(/decompressed the batch at offset 0 of t-0 to 13 bytes other than the 12 it compressed/);
      await consumer.disconnect();
    });
  });

  it('a batch sent compressed and fetched once the codec is gone crashes the consumer with KafkaJSNotImplemented, unwrapped, without a restart', async () => {
    const { cluster, kafka } = setup();
    await withSnappy(reversing([]), async () => {
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 't', compression: CompressionTypes.Snappy, messages: [{ value: 'a', partition: 0 }] });
    });
    // kafkajs's own unregistered entry (from a fresh copy of its module), as a process that never registered one has it.
    const require = createRequire(import.meta.url);
    const path = require.resolve('kafkajs/src/protocol/message/compression');
    const cached = require.cache[path];
    delete require.cache[path];
    const pristine = (require(path) as { Codecs: Record<number, () => unknown> }).Codecs[CompressionTypes.Snappy]!;
    if (cached !== undefined) require.cache[path] = cached;
    await withSnappy(pristine as () => Codec, async () => {
      const consumer = kafka.consumer({ groupId: 'g' });
      const crashes: { name: string; message: string; restart: boolean }[] = [];
      consumer.on(
        consumer.events.CRASH,
        (e) => void crashes.push({ name: e.payload.error.name, message: e.payload.error.message, restart: e.payload.restart }),
      );
      await consumer.connect();
      await consumer.subscribe({ topics: ['t'], fromBeginning: true });
      await consumer.run({ eachMessage: async () => undefined });
      await cluster.advance(1_000);
      expect(crashes).to.deep.equal([{ name: 'KafkaJSNotImplemented', message: 'Snappy compression not implemented', restart: false }]);
      await consumer.disconnect();
    });
  });
});
