/**
 * Conformance: the streams API (src/streams) over the shared interface, on the twin and on real
 * Kafka. Stream producers (ids, partitions, properties, ends, serializers), topic consumers
 * (events, offset reset, commit modes, consumer groups and revocation), and the pipeline example.
 *
 * Times that the commit rules read come from a clock the scenario sets (`now` option), so the
 * scenarios never depend on how fast a real broker answers.
 */
import { expect } from 'chai';
import type { ConsumerConfig } from 'kafkajs';
import { clean, startCleaningStep, type CleanReading, type RawReading } from '../../examples/pipeline/cleaning.js';
import { partitionForKey } from '../../client/partitioners.js';
import {
  AutoOffsetReset,
  CommitMode,
  STREAM_MESSAGE_TYPE_HEADER,
  StreamEndType,
  StreamingClient,
  type StreamConsumer,
  type StreamData,
  type TopicConsumer,
  type TopicConsumerOptions,
} from '../../src/streams/index.js';
import type { Admin } from '../../client/interface.js';
import { adminOf, createTopic, producerOf, quick, record, waitForGroup } from './helpers.js';
import { conformance, scenario, type Control } from './targets.js';

/** Quick long polls and heartbeats, so closing and rebalancing do not wait seconds on real Kafka. */
const { groupId: _unused, ...FAST } = quick('unused');
const fast: Omit<ConsumerConfig, 'groupId'> = FAST;

/** A topic of `partitions` partitions, an admin and a streaming client over the scenario's interface. */
async function setup(c: Control, prefix: string, partitions: number) {
  const admin = await adminOf(c);
  const topic = await createTopic(c, admin, { topic: c.name(prefix), numPartitions: partitions });
  return { admin, topic, client: new StreamingClient(c.kafka) };
}

/** A topic consumer with quick settings (and Earliest unless told otherwise). */
function consumerOf<T>(client: StreamingClient, topic: string, group: string | undefined, options: TopicConsumerOptions<T> = {}): TopicConsumer<T> {
  return client.getTopicConsumer<T>(topic, group, { autoOffsetReset: AutoOffsetReset.Earliest, consumerConfig: fast, ...options });
}

/** Records every stream event of a topic consumer. */
function recordStreams<T>(consumer: TopicConsumer<T>) {
  const log: string[] = [];
  const data: StreamData<T>[] = [];
  const streams: StreamConsumer<T>[] = [];
  consumer.on('streamReceived', (stream) => {
    streams.push(stream);
    log.push(`received ${stream.streamId}`);
    stream.on('data', (d) => {
      data.push(d);
      log.push(`data ${stream.streamId} ${JSON.stringify(d.value)}`);
    });
    stream.on('propertiesChanged', (p) => void log.push(`properties ${stream.streamId} ${p.name ?? ''}`));
    stream.on('closed', (end) => void log.push(`closed ${stream.streamId} ${end}`));
  });
  return { log, data, streams, values: () => data.map((d) => d.value) };
}

/** Publishes `values` to each stream of `streams` and flushes. */
async function publish(client: StreamingClient, topic: string, streams: Record<string, unknown[]>): Promise<void> {
  const producer = client.getTopicProducer(topic);
  for (const [id, values] of Object.entries(streams)) for (const v of values) producer.getOrCreateStream(id).publish(v);
  await producer.close();
}

/** A stored message as a plain kafkajs consumer reads it: what the stream producer wrote on the wire. */
interface Raw {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
  timestamp: number;
  headers: Record<string, string>;
}

/** Reads the first `count` messages of `topic` with a plain consumer, ordered by partition and offset. */
async function rawRecords(c: Control, topic: string, count: number): Promise<Raw[]> {
  const r = await record(c, { groupId: c.name('raw'), topics: [topic], fromBeginning: true });
  await c.waitUntil(() => r.seen.length >= count, { message: `${count} messages on ${topic}` });
  await r.consumer.disconnect();
  return r.seen
    .map((m) => ({
      partition: m.partition,
      offset: m.offset,
      key: m.key,
      value: m.value ?? '',
      timestamp: Number(m.timestamp),
      headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])),
    }))
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** The committed offsets of `groupId` on `topic`, by partition (-1: none). */
async function committed(admin: Admin, groupId: string, topic: string): Promise<number[]> {
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (offsets[0]?.partitions ?? []).sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
}

/** The message of a rejection. */
async function failureOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return String(e);
  }
  throw new Error('expected a rejection, but the promise resolved');
}

conformance('streams: topic producer', () => {
  scenario('createStream without an id uses the idGenerator; getStream and getOrCreateStream find open streams', async (c) => {
    const { topic, client } = await setup(c, 'ids', 1);
    let n = 0;
    const producer = client.getTopicProducer(topic, { idGenerator: () => `s-${n++}` });
    const a = producer.createStream();
    const b = producer.createStream();
    expect([a.streamId, b.streamId]).to.deep.equal(['s-0', 's-1']);
    expect(producer.getStream('s-0')).to.equal(a);
    expect(producer.getStream('nope')).to.equal(undefined);
    expect(producer.getOrCreateStream('s-1')).to.equal(b);
    const car = producer.getOrCreateStream('car-1');
    expect(car.streamId).to.equal('car-1');
    expect(producer.getStream('car-1')).to.equal(car);
    expect(() => producer.createStream('car-1')).to.throw(/already open/);
    // The default generator makes distinct UUIDs.
    const uuids = new Set(Array.from({ length: 20 }, () => client.getTopicProducer(topic).createStream().streamId));
    expect(uuids.size).to.equal(20);
    for (const id of uuids) expect(id).to.match(/^[0-9a-f-]{36}$/);
    await producer.close();
  });

  scenario('by default a stream id is the message key: every message of a stream lands on murmur2(id) % partitions, in order', async (c) => {
    const { topic, client } = await setup(c, 'keyed', 5);
    const producer = client.getTopicProducer<number>(topic);
    const ids = Array.from({ length: 12 }, (_, i) => `stream-${i}`);
    for (let i = 0; i < 5; i++) for (const id of ids) producer.getOrCreateStream(id).publish(i);
    await producer.close();
    const recs = await rawRecords(c, topic, 60);
    expect(recs).to.have.length(60);
    for (const r of recs) expect(r.partition).to.equal(partitionForKey(r.key!, 5));
    for (const id of ids) expect(recs.filter((r) => r.key === id).map((r) => JSON.parse(r.value) as number)).to.deep.equal([0, 1, 2, 3, 4]);
  });

  scenario('streams spread roughly evenly over partitions as their number grows', async (c) => {
    const { topic, client } = await setup(c, 'spread', 4);
    let n = 0;
    const producer = client.getTopicProducer(topic, { idGenerator: () => `vehicle-${n++}` });
    for (let i = 0; i < 400; i++) producer.createStream().publish({ i });
    await producer.close();
    const recs = await rawRecords(c, topic, 400);
    for (const p of [0, 1, 2, 3]) expect(recs.filter((r) => r.partition === p).length).to.be.within(70, 130);
  });

  scenario('a custom partitioner picks each stream partition once, from (topic, streamId, partitionCount)', async (c) => {
    const { topic, client } = await setup(c, 'custom-partitioner', 3);
    const calls: [string, string, number][] = [];
    const producer = client.getTopicProducer(topic, {
      partitioner: (t, streamId, count) => {
        calls.push([t, streamId, count]);
        return streamId === 'b' ? 2 : 0;
      },
    });
    const a = producer.createStream('a');
    const b = producer.createStream('b');
    for (let i = 0; i < 3; i++) {
      a.publish(i);
      b.publish(i);
      await producer.flush();
    }
    await producer.close();
    expect(calls).to.deep.equal([
      [topic, 'a', 3],
      [topic, 'b', 3],
    ]);
    const recs = await rawRecords(c, topic, 6);
    expect(recs.filter((r) => r.key === 'a').map((r) => r.partition)).to.deep.equal([0, 0, 0]);
    expect(recs.filter((r) => r.key === 'b').map((r) => r.partition)).to.deep.equal([2, 2, 2]);
  });

  scenario('publish sends value (JSON by default), timestamp and headers, marked as data; a custom serializer', async (c) => {
    const { topic, client } = await setup(c, 'publish', 1);
    // Recent timestamps: records from 1970 would fall to time-based retention at once.
    const t = c.now() - 60_000;
    const producer = client.getTopicProducer(topic);
    producer.createStream('s').publish({ speed: 42 }, { timestamp: new Date(t + 1_000), headers: { unit: 'kmh' } });
    producer.getStream('s')!.publish([1, 2], { timestamp: t + 2_000 });
    await producer.close();
    const custom = client.getTopicProducer<number>(topic, { serializer: (n) => `n=${n}` });
    custom.createStream('t').publish(7, { timestamp: t + 3_000 });
    await custom.close();
    const [first, second, third] = await rawRecords(c, topic, 3);
    expect(JSON.parse(first!.value)).to.deep.equal({ speed: 42 });
    expect(first!.headers).to.deep.equal({ unit: 'kmh', [STREAM_MESSAGE_TYPE_HEADER]: 'data' });
    expect(JSON.parse(second!.value)).to.deep.equal([1, 2]);
    expect(third!.value).to.equal('n=7');
    expect([first, second, third].map((r) => r!.timestamp)).to.deep.equal([t + 1_000, t + 2_000, t + 3_000]);
  });

  scenario('properties are sent as a properties message, before the next data, only when changed', async (c) => {
    const { topic, client } = await setup(c, 'properties', 1);
    const producer = client.getTopicProducer(topic);
    const stream = producer.createStream('car-1');
    stream.properties.name = 'Car 1';
    stream.properties.location = '/cars/1';
    stream.properties.metadata.model = 'T';
    stream.properties.parents.push('raw-car-1');
    stream.properties.timeOfRecording = new Date('2026-01-02T03:04:05.000Z');
    stream.publish(1);
    stream.publish(2);
    stream.properties.name = 'Car one';
    await stream.flush();
    await stream.flush();
    await producer.close();
    const recs = await rawRecords(c, topic, 4);
    expect(recs.map((r) => r.headers[STREAM_MESSAGE_TYPE_HEADER])).to.deep.equal(['properties', 'data', 'data', 'properties']);
    expect(JSON.parse(recs[0]!.value)).to.deep.equal({
      name: 'Car 1',
      location: '/cars/1',
      metadata: { model: 'T' },
      parents: ['raw-car-1'],
      timeOfRecording: '2026-01-02T03:04:05.000Z',
    });
    expect(JSON.parse(recs[3]!.value).name).to.equal('Car one');
  });

  scenario('close(endType) sends an end message (Closed by default); the stream is then closed and forgotten', async (c) => {
    const { topic, client } = await setup(c, 'ends', 1);
    const producer = client.getTopicProducer(topic);
    const ends = [StreamEndType.Closed, StreamEndType.Aborted, StreamEndType.Terminated, undefined];
    for (const [i, endType] of ends.entries()) {
      const stream = producer.createStream(`s${i}`);
      stream.publish(i);
      await stream.close(endType);
      expect(() => stream.publish(2)).to.throw(/closed/);
      expect(producer.getStream(`s${i}`)).to.equal(undefined);
      expect(producer.createStream(`s${i}`)).to.not.equal(stream);
    }
    await producer.close();
    expect(() => producer.createStream('x')).to.throw(/closed/);
    const recs = await rawRecords(c, topic, 8);
    expect(recs.map((r) => [r.key, r.headers[STREAM_MESSAGE_TYPE_HEADER], JSON.parse(r.value)])).to.deep.equal([
      ['s0', 'data', 0],
      ['s0', 'end', { endType: 'Closed' }],
      ['s1', 'data', 1],
      ['s1', 'end', { endType: 'Aborted' }],
      ['s2', 'data', 2],
      ['s2', 'end', { endType: 'Terminated' }],
      ['s3', 'data', 3],
      ['s3', 'end', { endType: 'Closed' }],
    ]);
  });

  scenario('flush() rejects with a send failure, once', async (c) => {
    const { topic, client } = await setup(c, 'flush-failure', 1);
    const producer = client.getTopicProducer(topic);
    const s = producer.createStream('s');
    // A message without a value makes kafkajs's send fail before anything is written.
    (s as unknown as { topicProducer: { enqueue: (...a: unknown[]) => void } }).topicProducer.enqueue(s, 'data', undefined);
    expect(await failureOf(producer.flush())).to.match(/without value/);
    await producer.flush();
    await producer.close();
  });
});

conformance('streams: topic consumer', () => {
  scenario('streamReceived once per stream, then properties, data in order (value, timestamp, headers, partition, offset) and end', async (c) => {
    const { topic, client } = await setup(c, 'events', 2);
    const producer = client.getTopicProducer(topic);
    const s = producer.createStream('car');
    s.properties.name = 'Car';
    s.properties.metadata.colour = 'red';
    const t = c.now() - 60_000;
    s.publish(1, { timestamp: t, headers: { h: 'v' } });
    s.publish(2);
    await s.close(StreamEndType.Aborted);
    await producer.close();
    const consumer = consumerOf(client, topic, c.name('events-g'));
    const { log, data, streams } = recordStreams(consumer);
    await consumer.subscribe();
    await c.waitUntil(() => log.length === 5, { message: '5 stream events' });
    expect(log).to.deep.equal(['received car', 'properties car Car', 'data car 1', 'data car 2', 'closed car Aborted']);
    expect(streams[0]!.properties.metadata).to.deep.equal({ colour: 'red' });
    expect(streams[0]!.endType).to.equal('Aborted');
    expect(data[0]!.timestamp).to.equal(t);
    expect(data[0]!.headers.h!.toString()).to.equal('v');
    expect(Object.keys(data[0]!.headers)).to.deep.equal(['h']);
    expect(data[0]!.partition).to.equal(partitionForKey('car', 2));
    expect(data.map((d) => d.offset)).to.deep.equal([1, 2]);
    expect(consumer.activeStreams).to.deep.equal([]);
    await consumer.close();
  });

  scenario('a stream id reopened after its end is received as a new stream', async (c) => {
    const { topic, client } = await setup(c, 'reopen', 1);
    const producer = client.getTopicProducer(topic);
    producer.createStream('s').publish('a');
    await producer.getStream('s')!.close();
    producer.createStream('s').publish('b');
    await producer.close();
    const consumer = consumerOf(client, topic, c.name('reopen-g'));
    const { log } = recordStreams(consumer);
    await consumer.subscribe();
    await c.waitUntil(() => log.length === 5, { message: '5 stream events' });
    expect(log).to.deep.equal(['received s', 'data s "a"', 'closed s Closed', 'received s', 'data s "b"']);
  });

  scenario('messages without a key belong to the "default" stream; a custom deserializer', async (c) => {
    const { topic, client } = await setup(c, 'no-key', 1);
    const producer = await producerOf(c);
    await producer.send({ topic, messages: [{ value: 'plain' }] });
    const consumer = consumerOf<string>(client, topic, c.name('no-key-g'), { deserializer: (b) => b.toString().toUpperCase() });
    const { data } = recordStreams(consumer);
    await consumer.subscribe();
    await c.waitUntil(() => data.length === 1, { message: 'a message' });
    expect(data.map((d) => [d.streamId, d.value])).to.deep.equal([['default', 'PLAIN']]);
  });

  scenario('async listeners are awaited: the next message waits for them; once listeners run once', async (c) => {
    const { topic, client } = await setup(c, 'async', 1);
    await publish(client, topic, { s: [1, 2, 3] });
    const consumer = consumerOf<number>(client, topic, c.name('async-g'));
    const log: string[] = [];
    const once: number[] = [];
    consumer.once('streamReceived', (stream) => void stream.once('data', (d) => void once.push(d.value)));
    consumer.on('streamReceived', (stream) => {
      stream.on('data', async (d) => {
        log.push(`start ${d.value}`);
        await new Promise((r) => setImmediate(r));
        log.push(`end ${d.value}`);
      });
    });
    await consumer.subscribe();
    await c.waitUntil(() => log.length === 6, { message: '3 messages handled' });
    expect(log).to.deep.equal(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    expect(once).to.deep.equal([1]);
  });

  scenario('autoOffsetReset Latest (the default) reads only what is produced after it started reading', async (c) => {
    const { topic, client } = await setup(c, 'latest', 2);
    await publish(client, topic, { a: ['old'], b: ['old'] });
    const consumer = client.getTopicConsumer<string | number>(topic, c.name('latest-g'), { consumerConfig: fast });
    const { data } = recordStreams(consumer);
    await consumer.subscribe();
    // Where Latest starts is fixed by the consumer's first fetch, which subscribe() does not wait
    // for: publish probes until one arrives, then the message under test.
    const probes = client.getTopicProducer<number>(topic);
    let sent = 0;
    await c.waitUntil(
      async () => {
        if (data.length > 0) return true;
        probes.getOrCreateStream('probe').publish(sent++);
        await probes.flush();
        return false;
      },
      { message: 'a probe' },
    );
    await publish(client, topic, { a: ['new'] });
    const received = () => data.filter((d) => d.streamId === 'probe').map((d) => d.value as number);
    await c.waitUntil(() => data.some((d) => d.value === 'new') && received().includes(sent - 1), { message: 'the new message and the last probe' });
    await probes.close();
    // The probes received are the last ones sent, in order.
    const probesReceived = received();
    expect(probesReceived).to.deep.equal(Array.from({ length: probesReceived.length }, (_, i) => sent - probesReceived.length + i));
    expect(data.filter((d) => d.streamId !== 'probe').map((d) => d.value)).to.deep.equal(['new']);
  });

  scenario('autoOffsetReset Earliest reads everything retained', async (c) => {
    const { topic, client } = await setup(c, 'earliest', 2);
    await publish(client, topic, { a: ['old'], b: ['older'] });
    const consumer = consumerOf(client, topic, c.name('earliest-g'));
    const { data } = recordStreams(consumer);
    await consumer.subscribe();
    await c.waitUntil(() => data.length === 2, { message: '2 messages' });
    expect(data.map((d) => d.value).sort()).to.deep.equal(['old', 'older']);
  });

  scenario('autoOffsetReset Error fails clearly when the group has no committed offset, and works once it has', async (c) => {
    const { topic, client } = await setup(c, 'error', 2);
    const group = c.name('error-g');
    await publish(client, topic, { a: [1], b: [2], c: [3], d: [4] });
    const strict = consumerOf(client, topic, group, { autoOffsetReset: AutoOffsetReset.Error });
    expect(await failureOf(strict.subscribe())).to.include(
      `No committed offset for consumer group "${group}" on topic "${topic}" partition(s) 0, 1, and autoOffsetReset is Error`,
    );

    const first = consumerOf(client, topic, group, { now: () => 0 });
    const r1 = recordStreams(first);
    await first.subscribe();
    await c.waitUntil(() => r1.data.length === 4, { message: '4 messages' });
    await first.close();
    await publish(client, topic, { a: [5] });
    const again = consumerOf(client, topic, group, { autoOffsetReset: AutoOffsetReset.Error });
    const r2 = recordStreams(again);
    await again.subscribe();
    await c.waitUntil(() => r2.data.length > 0, { message: 'a message' });
    await c.settle();
    expect(r2.values()).to.deep.equal([5]);
  });

  scenario('autoOffsetReset Error without a consumer group fails clearly', async (c) => {
    const { topic, client } = await setup(c, 'error-no-group', 1);
    const consumer = client.getTopicConsumer(topic, undefined, { autoOffsetReset: AutoOffsetReset.Error });
    expect(await failureOf(consumer.subscribe())).to.match(/needs a consumer group/);
  });

  scenario('without a consumer group: every partition from the reset point, independently of other such consumers; commit() fails clearly', async (c) => {
    const { admin, topic, client } = await setup(c, 'no-group', 3);
    await publish(client, topic, Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`s${i}`, [i]])));
    const prefix = c.name('private');
    const one = consumerOf(client, topic, undefined, { idGenerator: () => `${prefix}-a` });
    const two = consumerOf(client, topic, undefined, { idGenerator: () => `${prefix}-b` });
    const r1 = recordStreams(one);
    const r2 = recordStreams(two);
    await one.subscribe();
    await two.subscribe();
    await c.waitUntil(() => r1.data.length === 9 && r2.data.length === 9, { message: '9 messages for each consumer' });
    expect(r1.values().sort()).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(r2.values().sort()).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(one.groupId).to.equal(`kafka-twin-streams-private-${prefix}-a`);
    expect(await failureOf(one.commit())).to.match(/commit\(\) needs a consumer group/);
    expect(await committed(admin, one.groupId, topic)).to.deep.equal([-1, -1, -1]);
    await one.close();
    await two.close();
    // The private groups are removed on close.
    const { groups } = await admin.listGroups();
    expect(groups.map((g) => g.groupId)).to.not.include.members([one.groupId, two.groupId]);
  });

  scenario('commit settings that make no sense, and commit() before subscribe(), fail clearly', async (c) => {
    const { topic, client } = await setup(c, 'bad-settings', 1);
    expect(() => client.getTopicConsumer(topic, 'g', { commitSettings: 'Sometimes' as never })).to.throw(/Unknown commitSettings/);
    expect(() => client.getTopicConsumer(topic, 'g', { commitSettings: { commitEvery: -1 } })).to.throw(/commitEvery must be/);
    expect(() => client.getTopicConsumer(topic, 'g', { autoOffsetReset: 'Middle' as never })).to.throw(/Unknown autoOffsetReset/);
    expect(await failureOf(client.getTopicConsumer(topic, 'g').commit())).to.match(/before subscribe/);
  });

  scenario('CommitMode.Automatic (the default) commits what was processed on close', async (c) => {
    const { admin, topic, client } = await setup(c, 'auto-close', 1);
    const group = c.name('auto-close-g');
    await publish(client, topic, { s: [1, 2, 3] });
    // The clock stands still, so only the count (5000) could trigger a commit before close.
    const consumer = consumerOf(client, topic, group, { now: () => 0 });
    const { data } = recordStreams(consumer);
    await consumer.subscribe();
    await c.waitUntil(() => data.length === 3, { message: '3 messages' });
    expect(await committed(admin, group, topic)).to.deep.equal([-1]);
    await consumer.close();
    expect(await committed(admin, group, topic)).to.deep.equal([3]);
  });

  scenario('commitEvery commits after every N processed messages, with committing and committed events', async (c) => {
    const { admin, topic, client } = await setup(c, 'every', 1);
    const group = c.name('every-g');
    await publish(client, topic, { s: [1, 2, 3, 4, 5, 6, 7] });
    const consumer = consumerOf(client, topic, group, { commitSettings: { commitEvery: 3, commitIntervalMs: null } });
    const events: string[] = [];
    consumer.on('committing', (o) => void events.push(`committing ${JSON.stringify(o)}`));
    consumer.on('committed', (o) => void events.push(`committed ${JSON.stringify(o)}`));
    const { data } = recordStreams(consumer);
    await consumer.subscribe();
    await c.waitUntil(() => data.length === 7 && events.length === 4, { message: '7 messages and 2 commits' });
    expect(await committed(admin, group, topic)).to.deep.equal([6]);
    expect(events).to.deep.equal([
      'committing [{"partition":0,"offset":3}]',
      'committed [{"partition":0,"offset":3}]',
      'committing [{"partition":0,"offset":6}]',
      'committed [{"partition":0,"offset":6}]',
    ]);
  });

  scenario('commitIntervalMs commits at the first message processed once that much time passed since the last commit', async (c) => {
    const { admin, topic, client } = await setup(c, 'interval', 1);
    const group = c.name('interval-g');
    let now = 0;
    const consumer = consumerOf(client, topic, group, { commitSettings: { commitEvery: null, commitIntervalMs: 1000 }, now: () => now });
    const { data } = recordStreams(consumer);
    await consumer.subscribe();
    await publish(client, topic, { s: [1] });
    await c.waitUntil(() => data.length === 1, { message: 'a message' });
    now = 999;
    await publish(client, topic, { s: [2] });
    await c.waitUntil(() => data.length === 2, { message: '2 messages' });
    expect(await committed(admin, group, topic)).to.deep.equal([-1]);
    now = 1000;
    await publish(client, topic, { s: [3] });
    await c.waitUntil(async () => (await committed(admin, group, topic))[0] === 3, { message: 'a commit' });
  });

  scenario('CommitMode.Automatic defaults: every 5000 messages, or 5000 ms, whichever comes first', async (c) => {
    const { admin, topic, client } = await setup(c, 'defaults', 1);
    const byCount = consumerOf(client, topic, c.name('count-g'), { now: () => 0 });
    const counted = recordStreams(byCount);
    await publish(client, topic, { s: Array.from({ length: 5003 }, (_, i) => i) });
    await byCount.subscribe();
    await c.waitUntil(() => counted.data.length === 5003, { message: '5003 messages' });
    expect(await committed(admin, byCount.groupId, topic)).to.deep.equal([5000]);

    let now = 0;
    const byTime = consumerOf(client, topic, c.name('time-g'), { now: () => now });
    const timed = recordStreams(byTime);
    await byTime.subscribe();
    await c.waitUntil(() => timed.data.length === 5003, { message: '5003 messages' });
    expect(await committed(admin, byTime.groupId, topic)).to.deep.equal([5000]);
    now = 4999;
    await publish(client, topic, { s: [1] });
    await c.waitUntil(() => timed.data.length === 5004, { message: '5004 messages' });
    expect(await committed(admin, byTime.groupId, topic)).to.deep.equal([5000]);
    now = 5000;
    await publish(client, topic, { s: [2] });
    await c.waitUntil(async () => (await committed(admin, byTime.groupId, topic))[0] === 5005, { message: 'a commit by time' });
  });

  scenario('autoCommitEnabled false is manual', async (c) => {
    const { admin, topic, client } = await setup(c, 'auto-off', 1);
    const group = c.name('auto-off-g');
    await publish(client, topic, { s: [1, 2, 3] });
    const consumer = consumerOf(client, topic, group, { commitSettings: { autoCommitEnabled: false, commitEvery: 1 } });
    const { data } = recordStreams(consumer);
    await consumer.subscribe();
    await c.waitUntil(() => data.length === 3, { message: '3 messages' });
    await consumer.close();
    expect(await committed(admin, group, topic)).to.deep.equal([-1]);
  });

  scenario('CommitMode.Manual: nothing is committed until commit(), which commits what was delivered (including the message in hand)', async (c) => {
    const { admin, topic, client } = await setup(c, 'manual', 1);
    const group = c.name('manual-g');
    await publish(client, topic, { s: [1, 2, 3, 4] });
    const consumer = consumerOf<number>(client, topic, group, { commitSettings: CommitMode.Manual });
    const { data } = recordStreams(consumer);
    consumer.on('streamReceived', (stream: StreamConsumer<number>) =>
      stream.on('data', async (d: StreamData<number>) => {
        if (d.value === 2) await consumer.commit();
      }),
    );
    await consumer.subscribe();
    await c.waitUntil(() => data.length === 4, { message: '4 messages' });
    expect(await committed(admin, group, topic)).to.deep.equal([2]);
    await consumer.close();
    expect(await committed(admin, group, topic)).to.deep.equal([2]);
  });

  scenario('a second instance takes some partitions: the first gets revoking, then streamsRevoked with exactly those streams', async (c) => {
    const { admin, topic, client } = await setup(c, 'revoke', 2);
    const group = c.name('revoke-g');
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    await publish(client, topic, Object.fromEntries(ids.map((id) => [id, [1]])));
    const first = consumerOf<number>(client, topic, group);
    const r1 = recordStreams(first);
    const revoked: string[][] = [];
    let revoking = 0;
    first.on('revoking', () => void revoking++);
    first.on('streamsRevoked', (streams) => void revoked.push(streams.map((s) => s.streamId).sort()));
    await first.subscribe();
    await c.waitUntil(() => r1.data.length === 6, { message: '6 messages' });
    expect(r1.streams.map((s) => s.streamId).sort()).to.deep.equal(ids);

    const second = consumerOf<number>(client, topic, group);
    const r2 = recordStreams(second);
    await second.subscribe();
    expect(await waitForGroup(c, admin, group, topic, 2, 2)).to.deep.equal([[0], [1]]);
    await c.waitUntil(() => revoked.length > 0, { message: 'streamsRevoked' });
    expect(revoking).to.be.greaterThan(0);
    const movedPartition = partitionForKey(revoked[0]![0]!, 2);
    const moved = ids.filter((id) => partitionForKey(id, 2) === movedPartition);
    expect(revoked).to.deep.equal([moved]);
    expect(first.activeStreams.map((s) => s.streamId).sort()).to.deep.equal(ids.filter((id) => !moved.includes(id)));
    // Every stream goes on where its partition now is: the ones the first instance lost, on the second.
    await publish(client, topic, Object.fromEntries(ids.map((id) => [id, [2]])));
    const fresh = (r: { data: StreamData<number>[] }) => r.data.filter((d) => d.value === 2).map((d) => d.streamId);
    await c.waitUntil(() => fresh(r1).length + fresh(r2).length === 6, { message: '6 more messages' });
    await c.settle();
    expect(fresh(r2).sort()).to.deep.equal(moved);
    expect(fresh(r1).sort()).to.deep.equal(ids.filter((id) => !moved.includes(id)));
    expect(revoked, 'one revocation only').to.have.length(1);
    // At least once: the second instance may read again what the first processed after its last
    // commit (the commit on revocation is best effort), but only for the streams it now owns.
    for (const d of r2.data) expect(moved).to.include(d.streamId);
    await first.close();
    await second.close();
  });

  scenario('a topic with N partitions is processed by at most N instances of a group; the rest stay idle', async (c) => {
    const { admin, topic, client } = await setup(c, 'idle-instances', 3);
    const group = c.name('idle-instances-g');
    const instances = Array.from({ length: 4 }, () => client.getTopicConsumer<number>(topic, group, { consumerConfig: fast }));
    const recorders = instances.map((i) => recordStreams(i));
    for (const i of instances) await i.subscribe();
    await waitForGroup(c, admin, group, topic, 4, 3);
    await publish(client, topic, Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`s${i}`, [i]])));
    await c.waitUntil(() => recorders.reduce((n, r) => n + r.data.length, 0) === 30, { message: '30 messages' });
    await c.settle();
    const counts = recorders.map((r) => r.data.length);
    expect(counts.reduce((a, b) => a + b)).to.equal(30);
    expect(counts.filter((n) => n === 0)).to.have.length(1);
    for (const i of instances) await i.close();
  });
});

conformance('streams: the pipeline example (raw -> cleaning step -> clean)', () => {
  scenario('two instances of the step: every stream cleaned, in order, with properties and ends', async (c) => {
    const admin = await adminOf(c);
    const rawTopic = await createTopic(c, admin, { topic: c.name('raw-readings'), numPartitions: 3 });
    const cleanTopic = await createTopic(c, admin, { topic: c.name('clean-readings'), numPartitions: 3 });
    const client = new StreamingClient(c.kafka);
    const options = { rawTopic, cleanTopic, consumerGroup: c.name('cleaning-step'), consumerConfig: fast };
    const steps = [await startCleaningStep(client, options), await startCleaningStep(client, options)];
    await waitForGroup(c, admin, options.consumerGroup, rawTopic, 2, 3);
    const handled = steps.map(() => new Set<string>());
    steps.forEach((step, i) => step.input.on('streamReceived', (s) => void handled[i]!.add(s.streamId)));
    // What downstream sees.
    const sink = consumerOf<CleanReading>(client, cleanTopic, c.name('dashboard'));
    const seen = new Map<string, number[]>();
    const ends = new Map<string, string>();
    const parents = new Map<string, string[]>();
    const names = new Map<string, string | undefined>();
    sink.on('streamReceived', (s) => {
      s.on('data', ({ value }: StreamData<CleanReading>) => void seen.set(s.streamId, [...(seen.get(s.streamId) ?? []), value.celsius]));
      s.on('propertiesChanged', (p) => {
        parents.set(s.streamId, p.parents);
        names.set(s.streamId, p.name);
      });
      s.on('closed', (end) => void ends.set(s.streamId, end));
    });
    await sink.subscribe();

    const sensors = client.getTopicProducer<RawReading>(rawTopic);
    const expected = new Map<string, number[]>();
    const t = c.now() - 60_000;
    for (let s = 0; s < 8; s++) {
      const stream = sensors.createStream(`sensor-${s}`);
      stream.properties.name = `Sensor ${s}`;
      for (let i = 0; i < 10; i++) {
        const raw: RawReading = i % 4 === 3 ? { value: null, unit: 'C' } : { value: s * 10 + i, unit: 'C' };
        stream.publish(raw, { timestamp: t + i });
        const cleaned = clean(raw);
        if (cleaned) expected.set(stream.streamId, [...(expected.get(stream.streamId) ?? []), cleaned.celsius]);
      }
      if (s % 2 === 0) await stream.close(s === 4 ? StreamEndType.Aborted : StreamEndType.Closed);
    }
    await sensors.flush();
    const total = [...expected.values()].reduce((n, v) => n + v.length, 0);
    // The step flushes its output when it commits, or when a stream ends; flush the rest as a
    // caller would before reading the result.
    await c.waitUntil(
      async () => {
        await Promise.all(steps.map((step) => step.output.flush()));
        return [...seen.values()].reduce((n, v) => n + v.length, 0) === total && ends.size === 4;
      },
      { message: `${total} clean readings and 4 ends` },
    );
    expect(new Map([...seen].sort())).to.deep.equal(new Map([...expected].sort()));
    expect(Object.fromEntries([...ends].sort())).to.deep.equal({ 'sensor-0': 'Closed', 'sensor-2': 'Closed', 'sensor-4': 'Aborted', 'sensor-6': 'Closed' });
    for (const [id, p] of parents) expect(p).to.deep.equal([id]);
    for (const [id, name] of names) expect(name).to.equal(`Sensor ${id.slice('sensor-'.length)}`);
    // Both instances did part of the work, each stream on one instance only.
    for (const h of handled) expect(h.size).to.be.greaterThan(0);
    expect(handled[0]!.size + handled[1]!.size).to.equal(8);
    for (const step of steps) await step.close();
    await sink.close();
    await sensors.close();
  });
});
