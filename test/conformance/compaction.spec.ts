/**
 * Conformance: log compaction. Compacted topics with small segments (`segment.ms` 100, so each
 * send 150 ms after the previous one rolls a segment) and `min.cleanable.dirty.ratio` 0.01, so
 * the broker's cleaner (every `log.cleaner.backoff.ms`, 1 s on both targets) cleans as soon as a
 * closed segment is dirty. Cleaning is observed by reading the log again and again from offset 0
 * with one consumer (seek), polling until the records read show it, never by sleeping a guess.
 */
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import type { IHeaders } from 'kafkajs';
import type { Admin, Producer } from '../../client/interface.js';
import { adminOf, createTopic, producerOf, record, rejectionOf, type Received, type Recorder } from './helpers.js';
import { conformance, scenario, type Control } from './targets.js';

const { ConfigResourceTypes } = kafkajs;

const SMALL_SEGMENTS = [
  { name: 'segment.ms', value: '100' },
  { name: 'min.cleanable.dirty.ratio', value: '0.01' },
];

/** Creates a one-partition topic with `cleanup.policy` and small segments. */
async function compactedTopic(c: Control, admin: Admin, prefix: string, extra: { name: string; value: string }[] = [], policy = 'compact'): Promise<string> {
  return createTopic(c, admin, { topic: c.name(prefix), numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: policy }, ...SMALL_SEGMENTS, ...extra] });
}

type Pair = readonly [key: string, value: string | null];

/** Sends each group of records as one batch, 150 ms apart, so that each lands in a segment of its own. */
async function sendBatches(c: Control, producer: Producer, topic: string, batches: readonly (readonly Pair[])[], headers?: IHeaders): Promise<void> {
  for (const batch of batches) {
    await c.sleep(150);
    await producer.send({ topic, messages: batch.map(([key, value]) => ({ key, value, ...(headers ? { headers } : {}) })) });
  }
}

/** A record as a scenario compares it: offset, key and value. */
const brief = (m: Received) => `${m.offset}:${m.key}=${m.value === null ? 'null' : m.value}`;

/** Reads a partition from offset 0 to its end, as often as asked, with one consumer that seeks back. */
class LogReader {
  private constructor(
    private readonly c: Control,
    private readonly admin: Admin,
    private readonly topic: string,
    private readonly r: Recorder,
  ) {}

  static async of(c: Control, admin: Admin, topic: string): Promise<LogReader> {
    const r = await record(c, { groupId: c.name(`${topic}-reader`), topics: [topic], fromBeginning: true });
    return new LogReader(c, admin, topic, r);
  }

  /** One full read from offset 0: what a consumer starting there sees now. */
  async pass(): Promise<Received[]> {
    const end = Number((await this.admin.fetchTopicOffsets(this.topic))[0]!.high);
    const caughtUp = () => this.r.seen.length > 0 && this.r.seen[this.r.seen.length - 1]!.offset >= end - 1;
    await this.c.waitUntil(caughtUp, { message: `the reader at the end of ${this.topic} (${end})` });
    const start = this.r.seen.length;
    this.r.consumer.seek({ topic: this.topic, partition: 0, offset: '0' });
    await this.c.waitUntil(() => this.r.seen.length > start && caughtUp(), { message: `a read of ${this.topic} from 0 to ${end}` });
    return this.r.seen.slice(start);
  }

  /** Reads again until `predicate` holds for a full read (the cleaner runs meanwhile); returns that read. */
  async until(predicate: (records: string[]) => boolean, message: string, timeoutMs = 60_000): Promise<string[]> {
    const deadline = this.c.now() + timeoutMs;
    for (;;) {
      const records = (await this.pass()).map(brief);
      if (predicate(records)) return records;
      if (this.c.now() > deadline) throw new Error(`${this.c.target}: still waiting for ${message} after ${timeoutMs} ms; last read: ${records.join(' ')}`);
      await this.c.sleep(500);
    }
  }

  /** Reads until the log holds exactly `expected`. */
  async toEqual(expected: string[], message: string): Promise<void> {
    const got = await this.until((records) => JSON.stringify(records) === JSON.stringify(expected), message);
    expect(got).to.deep.equal(expected);
  }
}

conformance('compaction', () => {
  scenario('the cleaner keeps the last value of each key at its original offset; readers from 0 see the gaps', async (c) => {
    const admin = await adminOf(c);
    const topic = await compactedTopic(c, admin, 'compact');
    const producer = await producerOf(c);
    await sendBatches(c, producer, topic, [[['a', '1'], ['b', '1']], [['a', '2'], ['c', '1']], [['b', '2']], [['a', '3']], [['z', 'roll']]]);
    const reader = await LogReader.of(c, admin, topic);
    await reader.toEqual(['3:c=1', '4:b=2', '5:a=3', '6:z=roll'], 'the duplicates cleaned away');
  });

  scenario('cleaning leaves ListOffsets alone: the low watermark stays 0, the high watermark the log end', async (c) => {
    const admin = await adminOf(c);
    const topic = await compactedTopic(c, admin, 'offsets');
    const producer = await producerOf(c);
    await sendBatches(c, producer, topic, [[['k', '1']], [['k', '2']], [['k', '3']], [['z', 'roll']]]);
    const reader = await LogReader.of(c, admin, topic);
    await reader.toEqual(['2:k=3', '3:z=roll'], 'k cleaned');
    expect(await admin.fetchTopicOffsets(topic)).to.deep.equal([{ partition: 0, offset: '4', high: '4', low: '0' }]);
  });

  scenario('a record without a key is refused on a compacted topic with INVALID_RECORD, and nothing of its batch is written', async (c) => {
    const admin = await adminOf(c);
    const topic = await compactedTopic(c, admin, 'keyless');
    const producer = await producerOf(c);
    expect(await rejectionOf(producer.send({ topic, messages: [{ key: 'k', value: 'with' }, { value: 'without' }] }))).to.deep.equal({
      name: 'KafkaJSProtocolError',
      type: 'INVALID_RECORD',
      retriable: false,
    });
    expect(await admin.fetchTopicOffsets(topic)).to.deep.equal([{ partition: 0, offset: '0', high: '0', low: '0' }]);
    const [meta] = await producer.send({ topic, messages: [{ key: 'k', value: 'with' }] });
    expect(meta!.baseOffset).to.equal('0');
  });

  scenario('compact,delete refuses keyless records too', async (c) => {
    const admin = await adminOf(c);
    const topic = await compactedTopic(c, admin, 'keyless-cd', [], 'compact,delete');
    const producer = await producerOf(c);
    expect((await rejectionOf(producer.send({ topic, messages: [{ value: 'without' }] }))).type).to.equal('INVALID_RECORD');
  });

  scenario('describeConfigs reports the compaction settings given at creation', async (c) => {
    const admin = await adminOf(c);
    const topic = await compactedTopic(c, admin, 'describe', [
      { name: 'delete.retention.ms', value: '1234' },
      { name: 'min.compaction.lag.ms', value: '50' },
      { name: 'max.compaction.lag.ms', value: '600000' },
    ], 'compact,delete');
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configNames: ['cleanup.policy', 'delete.retention.ms', 'min.compaction.lag.ms', 'max.compaction.lag.ms', 'min.cleanable.dirty.ratio'],
        },
      ],
    });
    const values = Object.fromEntries(described.resources[0]!.configEntries.map((e) => [e.configName, [e.configValue, e.isDefault]]));
    expect(values).to.deep.equal({
      'cleanup.policy': ['compact,delete', false],
      'delete.retention.ms': ['1234', false],
      'min.compaction.lag.ms': ['50', false],
      'max.compaction.lag.ms': ['600000', false],
      'min.cleanable.dirty.ratio': ['0.01', false],
    });
  });

  scenario('an unknown cleanup.policy fails with INVALID_CONFIG', async (c) => {
    const admin = await adminOf(c);
    const error = await rejectionOf(
      admin.createTopics({ waitForLeaders: false, topics: [{ topic: c.name('badpolicy'), configEntries: [{ name: 'cleanup.policy', value: 'compact,shred' }] }] }),
    );
    expect(error).to.deep.equal({ name: 'KafkaJSAggregateError', errors: [{ name: 'KafkaJSCreateTopicError', type: 'INVALID_CONFIG', retriable: false }] });
  });

  scenario('min.compaction.lag.ms above max.compaction.lag.ms fails with INVALID_CONFIG', async (c) => {
    const admin = await adminOf(c);
    const error = await rejectionOf(
      admin.createTopics({
        waitForLeaders: false,
        topics: [
          {
            topic: c.name('badlag'),
            configEntries: [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'min.compaction.lag.ms', value: '10000' },
              { name: 'max.compaction.lag.ms', value: '5000' },
            ],
          },
        ],
      }),
    );
    expect(error).to.deep.equal({ name: 'KafkaJSAggregateError', errors: [{ name: 'KafkaJSCreateTopicError', type: 'INVALID_CONFIG', retriable: false }] });
  });

  scenario('a tombstone stays (a null value) until delete.retention.ms after the cleaning that kept it, then a cleaning removes it', async (c) => {
    const admin = await adminOf(c);
    const topic = await compactedTopic(c, admin, 'tombstone', [{ name: 'delete.retention.ms', value: '1000' }]);
    const producer = await producerOf(c);
    await sendBatches(c, producer, topic, [[['a', '1']], [['b', '1']], [['a', null]], [['r', '1']]]);
    const reader = await LogReader.of(c, admin, topic);
    await reader.toEqual(['1:b=1', '2:a=null', '3:r=1'], 'a=1 cleaned, its tombstone kept');
    // No cleaning runs without new dirty data: the tombstone is still there well past its horizon.
    await c.sleep(2000);
    expect((await reader.pass()).map(brief)).to.deep.equal(['1:b=1', '2:a=null', '3:r=1']);
    await sendBatches(c, producer, topic, [[['r', '2']], [['r', '3']]]);
    await reader.toEqual(['1:b=1', '4:r=2', '5:r=3'], 'the tombstone removed by the next cleaning');
  });

  scenario('kept records keep their timestamps and headers', async (c) => {
    const admin = await adminOf(c);
    const topic = await compactedTopic(c, admin, 'meta');
    const producer = await producerOf(c);
    const timestamp = String(c.now() - 60_000);
    await c.sleep(150);
    await producer.send({ topic, messages: [{ key: 'k', value: 'old', timestamp }] });
    await c.sleep(150);
    await producer.send({ topic, messages: [{ key: 'k', value: 'new', timestamp, headers: { h: 'x' } }, { key: 'j', value: 'j', timestamp }] });
    await sendBatches(c, producer, topic, [[['z', 'roll']]]);
    const reader = await LogReader.of(c, admin, topic);
    await reader.until((records) => records[0] === '1:k=new', 'k=old cleaned');
    const [k] = await reader.pass();
    expect({ offset: k!.offset, timestamp: k!.timestamp, h: k!.headers?.h?.toString() }).to.deep.equal({ offset: 1, timestamp, h: 'x' });
  });

  scenario('a consumer whose position falls inside a removed range continues at the next record', async (c) => {
    const admin = await adminOf(c);
    const topic = await compactedTopic(c, admin, 'gap');
    const producer = await producerOf(c);
    await sendBatches(c, producer, topic, [[['a', '1'], ['a', '2'], ['a', '3']], [['b', '1']], [['a', '4']], [['z', 'roll']]]);
    const reader = await LogReader.of(c, admin, topic);
    await reader.toEqual(['3:b=1', '4:a=4', '5:z=roll'], 'a cleaned');
    const r = await record(c, { groupId: c.name('gap-g'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => r.seen.length === 3, { message: 'three records' });
    r.consumer.seek({ topic, partition: 0, offset: '1' });
    await c.waitUntil(() => r.seen.length === 6, { message: 'three records again' });
    expect(r.seen.map(brief)).to.deep.equal(['3:b=1', '4:a=4', '5:z=roll', '3:b=1', '4:a=4', '5:z=roll']);
  });

  scenario('alterConfigs switches a delete topic to compact: keyless records are refused from then on, and duplicates get cleaned', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('switch'), numPartitions: 1, configEntries: SMALL_SEGMENTS });
    const producer = await producerOf(c);
    await sendBatches(c, producer, topic, [[['k', '1']], [['k', '2']], [['j', '1']]]);
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, ...SMALL_SEGMENTS] }],
    });
    // Kafka applies the new policy when the broker publishes the change: wait until it describes it,
    // so that the keyless probe below does not land in the log first (the cleaner would drop it).
    const policy = async () =>
      (await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }] }))
        .resources[0]!.configEntries[0]!.configValue;
    await c.waitUntil(async () => (await policy()) === 'compact', { message: 'cleanup.policy=compact described' });
    await c.waitUntil(async () => (await rejectionOf(producer.send({ topic, messages: [{ value: 'keyless' }] }))).type === 'INVALID_RECORD', {
      message: 'keyless records refused',
    });
    await sendBatches(c, producer, topic, [[['z', 'roll']]]);
    const reader = await LogReader.of(c, admin, topic);
    await reader.toEqual(['1:k=2', '2:j=1', '3:z=roll'], 'k=1 cleaned');
  });

  scenario('min.compaction.lag.ms keeps duplicates uncleaned until their segments are old enough', async (c) => {
    const admin = await adminOf(c);
    const topic = await compactedTopic(c, admin, 'lag', [{ name: 'min.compaction.lag.ms', value: '4000' }]);
    const producer = await producerOf(c);
    await sendBatches(c, producer, topic, [[['k', '1']], [['k', '2']], [['z', 'roll']]]);
    const reader = await LogReader.of(c, admin, topic);
    // Several cleaner runs (one a second) pass before the lag does.
    await c.sleep(2000);
    expect((await reader.pass()).map(brief)).to.deep.equal(['0:k=1', '1:k=2', '2:z=roll']);
    await reader.toEqual(['1:k=2', '2:z=roll'], 'k=1 cleaned once old enough');
  });

  scenario('compact,delete: retention.ms deletes old segments of a compacted topic as well; the log start moves', async (c) => {
    const admin = await adminOf(c);
    // segment.bytes 100: one batch per segment, and the cleaner never merges two (a merged segment
    // would be as young as its newest record).
    const topic = await compactedTopic(c, admin, 'cd', [{ name: 'retention.ms', value: '3600000' }, { name: 'segment.bytes', value: '100' }], 'compact,delete');
    const producer = await producerOf(c);
    const old = String(c.now() - 2 * 3_600_000);
    await c.sleep(150);
    await producer.send({ topic, messages: [{ key: 'a', value: 'old', timestamp: old }] });
    await c.sleep(150);
    await producer.send({ topic, messages: [{ key: 'b', value: 'old', timestamp: old }] });
    await sendBatches(c, producer, topic, [[['c', 'new']], [['z', 'roll']]]);
    await c.waitUntil(async () => (await admin.fetchTopicOffsets(topic))[0]!.low === '2', { message: 'the old segments deleted', timeoutMs: 30_000 });
    const reader = await LogReader.of(c, admin, topic);
    expect((await reader.pass()).map(brief)).to.deep.equal(['2:c=new', '3:z=roll']);
  });

  scenario(
    'every broker cleans its own replica: after the leader stops, the new leader serves the same compacted log',
    async (c) => {
      const admin = await adminOf(c);
      const topic = await createTopic(c, admin, {
        topic: c.name('replicas'),
        numPartitions: 1,
        replicationFactor: 3,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }, ...SMALL_SEGMENTS, { name: 'min.insync.replicas', value: '2' }],
      });
      const producer = await producerOf(c);
      await sendBatches(c, producer, topic, [[['a', '1'], ['b', '1']], [['a', '2']], [['b', '2']], [['z', 'roll']]]);
      const expected = ['2:a=2', '3:b=2', '4:z=roll'];
      await (await LogReader.of(c, admin, topic)).toEqual(expected, 'the leader\'s copy cleaned');
      const leaderOf = async () => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions[0]!.leader;
      const leader = await leaderOf();
      await c.stopBroker(leader);
      await c.waitUntil(async () => {
        const now = await leaderOf();
        return now >= 0 && now !== leader;
      }, { message: 'a new leader' });
      await (await LogReader.of(c, admin, topic)).toEqual(expected, 'the new leader\'s own copy cleaned');
    },
    { brokers: 3, timeout: 180_000 },
  );

  scenario('a compact-only topic keeps records older than retention.ms', async (c) => {
    const admin = await adminOf(c);
    const topic = await compactedTopic(c, admin, 'conly', [{ name: 'retention.ms', value: '3600000' }]);
    const producer = await producerOf(c);
    const old = String(c.now() - 2 * 3_600_000);
    await c.sleep(150);
    await producer.send({ topic, messages: [{ key: 'a', value: 'old', timestamp: old }] });
    await sendBatches(c, producer, topic, [[['a', 'new']], [['z', 'roll']]]);
    const reader = await LogReader.of(c, admin, topic);
    // The cleaner has run (a=old is gone), and retention has had its checks (one a second), yet nothing else went.
    await reader.toEqual(['1:a=new', '2:z=roll'], 'a=old cleaned');
    await c.sleep(2000);
    expect((await reader.pass()).map(brief)).to.deep.equal(['1:a=new', '2:z=roll']);
    expect((await admin.fetchTopicOffsets(topic))[0]!.low).to.equal('0');
  });
});
