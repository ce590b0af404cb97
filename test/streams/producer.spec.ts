import { expect } from 'chai';
import { partitionForKey } from '../../src/partitioners.js';
import { STREAM_MESSAGE_TYPE_HEADER, StreamEndType } from '../../src/streams/index.js';
import { counterIds, records, setup } from './helpers.js';

describe('streams: topic producer', () => {
  it('createStream without an id uses the idGenerator; getStream and getOrCreateStream find open streams', async () => {
    const { client } = setup();
    const producer = client.getTopicProducer('t', { idGenerator: counterIds('s') });
    const a = producer.createStream();
    const b = producer.createStream();
    expect([a.streamId, b.streamId]).to.deep.equal(['s-0', 's-1']);
    expect(producer.getStream('s-0')).to.equal(a);
    expect(producer.getStream('nope')).to.equal(undefined);
    expect(producer.getOrCreateStream('s-1')).to.equal(b);
    const c = producer.getOrCreateStream('car-1');
    expect(c.streamId).to.equal('car-1');
    expect(producer.getStream('car-1')).to.equal(c);
    expect(() => producer.createStream('car-1')).to.throw(/already open/);
    await producer.close();
  });

  it('the default id generator makes distinct UUIDs', () => {
    const { client } = setup();
    const producer = client.getTopicProducer('t');
    const ids = new Set(Array.from({ length: 20 }, () => producer.createStream().streamId));
    expect(ids.size).to.equal(20);
    for (const id of ids) expect(id).to.match(/^[0-9a-f-]{36}$/);
  });

  it('by default a stream id is the message key: every message of a stream lands on murmur2(id) % partitions', async () => {
    const { cluster, client } = setup({ partitions: 5 });
    const producer = client.getTopicProducer<number>('t');
    const ids = Array.from({ length: 12 }, (_, i) => `stream-${i}`);
    for (let i = 0; i < 10; i++) for (const id of ids) producer.getOrCreateStream(id).publish(i);
    await producer.flush();
    const recs = records(cluster, 't');
    expect(recs).to.have.length(120);
    for (const r of recs) expect(r.partition).to.equal(partitionForKey(r.key!, 5));
    for (const id of ids) {
      const values = recs.filter((r) => r.key === id).map((r) => JSON.parse(r.value) as number);
      expect(values).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    await producer.close();
  });

  it('streams spread roughly evenly over partitions as their number grows', async () => {
    const { cluster, client } = setup({ partitions: 4 });
    const producer = client.getTopicProducer('t', { idGenerator: counterIds('vehicle') });
    for (let i = 0; i < 400; i++) producer.createStream().publish({ i });
    await producer.flush();
    const perPartition = [0, 1, 2, 3].map((p) => records(cluster, 't').filter((r) => r.partition === p).length);
    for (const n of perPartition) expect(n).to.be.within(70, 130);
  });

  it('a custom partitioner picks each stream partition once, from (topic, streamId, partitionCount)', async () => {
    const { cluster, client } = setup({ partitions: 3 });
    const calls: [string, string, number][] = [];
    const producer = client.getTopicProducer('t', {
      partitioner: (topic, streamId, count) => {
        calls.push([topic, streamId, count]);
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
    expect(calls).to.deep.equal([
      ['t', 'a', 3],
      ['t', 'b', 3],
    ]);
    const recs = records(cluster, 't');
    expect(recs.filter((r) => r.key === 'a').map((r) => r.partition)).to.deep.equal([0, 0, 0]);
    expect(recs.filter((r) => r.key === 'b').map((r) => r.partition)).to.deep.equal([2, 2, 2]);
  });

  it('publish sends value (JSON by default), timestamp and headers, marked as data', async () => {
    const { cluster, client } = setup({ partitions: 1 });
    const producer = client.getTopicProducer('t');
    producer.createStream('s').publish({ speed: 42 }, { timestamp: new Date(1_000), headers: { unit: 'kmh' } });
    producer.getStream('s')!.publish([1, 2], { timestamp: 2_000 });
    await producer.flush();
    const [first, second] = records(cluster, 't');
    expect(JSON.parse(first!.value)).to.deep.equal({ speed: 42 });
    expect(first!.headers).to.deep.equal({ unit: 'kmh', [STREAM_MESSAGE_TYPE_HEADER]: 'data' });
    expect(JSON.parse(second!.value)).to.deep.equal([1, 2]);
    const stored = cluster.fetch({ topic: 't', partition: 0, offset: 0 }).records.map((r) => r.timestamp);
    expect(stored).to.deep.equal([1_000, 2_000]);
  });

  it('a custom serializer', async () => {
    const { cluster, client } = setup({ partitions: 1 });
    const producer = client.getTopicProducer<number>('t', { serializer: (n) => `n=${n}` });
    producer.createStream('s').publish(7);
    await producer.flush();
    expect(records(cluster, 't')[0]!.value).to.equal('n=7');
  });

  it('properties are sent as a properties message, before the next data, only when changed', async () => {
    const { cluster, client } = setup({ partitions: 1 });
    const producer = client.getTopicProducer('t');
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
    const recs = records(cluster, 't');
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

  for (const endType of [StreamEndType.Closed, StreamEndType.Aborted, StreamEndType.Terminated]) {
    it(`close(${endType}) sends an end message; the stream is then closed and forgotten`, async () => {
      const { cluster, client } = setup({ partitions: 1 });
      const producer = client.getTopicProducer('t');
      const stream = producer.createStream('s');
      stream.publish(1);
      await stream.close(endType);
      const recs = records(cluster, 't');
      expect(recs.map((r) => r.headers[STREAM_MESSAGE_TYPE_HEADER])).to.deep.equal(['data', 'end']);
      expect(JSON.parse(recs[1]!.value)).to.deep.equal({ endType });
      expect(() => stream.publish(2)).to.throw(/closed/);
      expect(producer.getStream('s')).to.equal(undefined);
      expect(producer.createStream('s')).to.not.equal(stream);
    });
  }

  it('close() defaults to Closed; a closed topic producer rejects new streams', async () => {
    const { cluster, client } = setup({ partitions: 1 });
    const producer = client.getTopicProducer('t');
    await producer.createStream('s').close();
    expect(JSON.parse(records(cluster, 't')[0]!.value)).to.deep.equal({ endType: 'Closed' });
    await producer.close();
    expect(() => producer.createStream('x')).to.throw(/closed/);
  });

  it('flush() rejects with a send failure', async () => {
    const { client } = setup({ partitions: 1 });
    const producer = client.getTopicProducer('t');
    const s = producer.createStream('s');
    // A message without a value makes kafkajs's send fail before anything is written.
    (s as unknown as { topicProducer: { enqueue: (...a: unknown[]) => void } }).topicProducer.enqueue(s, 'data', undefined);
    let error: unknown;
    await producer.flush().catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/without value/);
    await producer.flush();
  });
});
