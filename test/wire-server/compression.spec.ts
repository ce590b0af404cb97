/**
 * Compressed produce over the wire: unchanged kafkajs with snappy, lz4 and zstd codecs plugged in
 * (and its own gzip) produces over cluster.wire(); the broker decodes every batch (CRC checked),
 * stores the records, and a kafkajs consumer reads them back. Batches captured from librdkafka and
 * Kafka's Java producer go through a raw Produce request the same way.
 */
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import { COMPRESSION, Produce, encodeRecordBatch } from '../../protocol/wire/index.js';
import type { Cluster } from '../../src/index.js';
import { JAVA_BATCHES, LIBRDKAFKA_BATCHES } from '../wire/fixtures/produced-batches.js';
import { registerKafkajsCodecs } from '../wire/kafkajs-codecs.js';
import { RawClient, kafkaOver, realCluster } from './helpers.js';

const { CompressionTypes } = kafkajs;
const CODECS = [
  ['gzip', CompressionTypes.GZIP],
  ['snappy', CompressionTypes.Snappy],
  ['lz4', CompressionTypes.LZ4],
  ['zstd', CompressionTypes.ZSTD],
] as const;

describe('wire server: compressed record batches', () => {
  let cluster: Cluster;
  before(() => registerKafkajsCodecs());
  afterEach(() => cluster.close());

  it('kafkajs produces with gzip, snappy, lz4 and zstd over cluster.wire(); a kafkajs consumer reads every record back', async () => {
    cluster = realCluster({ brokers: 1 });
    cluster.createTopic({ topic: 'z', numPartitions: 1 });
    const kafka = kafkaOver(cluster.wire());
    const producer = kafka.producer();
    await producer.connect();
    const sent: { key: string; value: string; header: string }[] = [];
    try {
      for (const [name, type] of CODECS) {
        // Large enough for several snappy and lz4 blocks.
        const messages = Array.from({ length: 300 }, (_, i) => ({
          key: `${name}-${i}`,
          value: `${name} value ${i} `.repeat(1 + (i % 40)),
          headers: { codec: name },
        }));
        await producer.send({ topic: 'z', compression: type, acks: -1, messages });
        sent.push(...messages.map((m) => ({ key: m.key, value: m.value, header: name })));
      }
    } finally {
      await producer.disconnect();
    }
    expect(cluster.describePartition('z', 0).highWatermark).to.equal(sent.length);
    expect(cluster.fetch({ topic: 'z', partition: 0, offset: 0, maxRecords: sent.length }).records.map((r) => r.key!.toString())).to.deep.equal(
      sent.map((s) => s.key),
    );

    const consumer = kafka.consumer({ groupId: 'compressed', sessionTimeout: 6000, heartbeatInterval: 500 });
    await consumer.connect();
    const got: { key: string; value: string; header: string }[] = [];
    try {
      await consumer.subscribe({ topic: 'z', fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`consumed ${got.length} of ${sent.length}`)), 15000);
        consumer
          .run({
            eachMessage: async ({ message }) => {
              got.push({ key: message.key!.toString(), value: message.value!.toString(), header: String(message.headers!['codec']) });
              if (got.length === sent.length) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    expect(got).to.deep.equal(sent);
  });

  it('takes the batches librdkafka and the Java producer wrote, and fails a partition whose block does not decompress with CORRUPT_MESSAGE', async () => {
    cluster = realCluster({ brokers: 1 });
    cluster.createTopic({ topic: 'f', numPartitions: 1 });
    const client = await RawClient.connect(cluster);
    try {
      const fixtures = [...Object.values(LIBRDKAFKA_BATCHES), ...Object.values(JAVA_BATCHES)].map((hex) => Buffer.from(hex, 'hex'));
      const broken = encodeRecordBatch(
        { compression: COMPRESSION.zstd, records: [{ value: Buffer.from('x') }] },
        { codecs: { [COMPRESSION.zstd]: { compress: () => Buffer.from('not zstd'), decompress: () => Buffer.alloc(0) } } },
      );
      const answer = await client.request(Produce, 9, {
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: 'f', partitionData: [...fixtures.map((records) => ({ index: 0, records })), { index: 0, records: broken }] }],
      });
      const codes = answer.responses[0]!.partitionResponses.map((p) => p.errorCode);
      expect(codes).to.deep.equal([...fixtures.map(() => 0), 2]);
      const stored = cluster.fetch({ topic: 'f', partition: 0, offset: 0, maxRecords: 2000 }).records.map((r) => r.value!.toString());
      const want = ['gzip', 'snappy', 'lz4', 'zstd', 'java-gzip', 'java-snappy', 'java-lz4', 'java-zstd'].flatMap((p) =>
        Array.from({ length: 200 }, (_, i) => `${p}-value-${i + 1}`),
      );
      expect(stored).to.deep.equal(want);
    } finally {
      client.close();
    }
  });
});
