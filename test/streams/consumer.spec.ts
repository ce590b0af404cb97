import { expect } from 'chai';
import { AutoOffsetReset, CommitMode, StreamEndType, type StreamConsumer, type StreamData, type TopicConsumer } from '../../src/streams/index.js';
import { committed, counterIds, setup } from './helpers.js';

type Env = ReturnType<typeof setup>;

/** Records every stream event of a topic consumer. */
function record<T>(consumer: TopicConsumer<T>) {
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
  return { log, data, streams };
}

async function publish(env: Env, streams: Record<string, unknown[]>, topic = 't') {
  const producer = env.client.getTopicProducer(topic);
  for (const [id, values] of Object.entries(streams)) for (const v of values) producer.getOrCreateStream(id).publish(v);
  await producer.close();
}

describe('streams: topic consumer', () => {
  it('streamReceived once per stream, then data in order, with properties and end', async () => {
    const env = setup({ partitions: 2 });
    const consumer = env.client.getTopicConsumer('t', 'g', { autoOffsetReset: AutoOffsetReset.Earliest });
    const { log, data, streams } = record(consumer);
    const producer = env.client.getTopicProducer('t');
    const s = producer.createStream('car');
    s.properties.name = 'Car';
    s.properties.metadata.colour = 'red';
    s.publish(1, { timestamp: 5, headers: { h: 'v' } });
    s.publish(2);
    await s.close(StreamEndType.Aborted);
    await consumer.subscribe();
    await env.cluster.idle();
    expect(log).to.deep.equal(['received car', 'properties car Car', 'data car 1', 'data car 2', 'closed car Aborted']);
    expect(streams[0]!.properties.metadata).to.deep.equal({ colour: 'red' });
    expect(streams[0]!.endType).to.equal('Aborted');
    expect(data[0]!.timestamp).to.equal(5);
    expect(data[0]!.headers.h!.toString()).to.equal('v');
    expect(Object.keys(data[0]!.headers)).to.deep.equal(['h']);
    expect(data[0]!.partition).to.equal(streams[0]!.partition);
    expect(data.map((d) => d.offset)).to.deep.equal([1, 2]);
    expect(consumer.activeStreams).to.deep.equal([]);
    await consumer.close();
  });

  it('a stream id reopened after its end is received as a new stream', async () => {
    const env = setup({ partitions: 1 });
    const consumer = env.client.getTopicConsumer('t', 'g', { autoOffsetReset: AutoOffsetReset.Earliest });
    const { log } = record(consumer);
    const producer = env.client.getTopicProducer('t');
    producer.createStream('s').publish('a');
    await producer.getStream('s')!.close();
    producer.createStream('s').publish('b');
    await producer.flush();
    await consumer.subscribe();
    await env.cluster.idle();
    expect(log).to.deep.equal(['received s', 'data s "a"', 'closed s Closed', 'received s', 'data s "b"']);
  });

  it('messages without a key belong to the "default" stream; a custom deserializer', async () => {
    const env = setup({ partitions: 1 });
    const producer = env.kafka.producer();
    await producer.connect();
    await producer.send({ topic: 't', messages: [{ value: 'plain' }] });
    const consumer = env.client.getTopicConsumer<string>('t', 'g', {
      autoOffsetReset: AutoOffsetReset.Earliest,
      deserializer: (b) => b.toString().toUpperCase(),
    });
    const { data } = record(consumer);
    await consumer.subscribe();
    await env.cluster.idle();
    expect(data.map((d) => [d.streamId, d.value])).to.deep.equal([['default', 'PLAIN']]);
  });

  it('async listeners are awaited: the next message waits for them', async () => {
    const env = setup({ partitions: 1 });
    await publish(env, { s: [1, 2, 3] });
    const consumer = env.client.getTopicConsumer<number>('t', 'g', { autoOffsetReset: AutoOffsetReset.Earliest });
    const log: string[] = [];
    consumer.on('streamReceived', (stream) => {
      stream.on('data', async (d) => {
        log.push(`start ${d.value}`);
        await new Promise((r) => setImmediate(r));
        log.push(`end ${d.value}`);
      });
    });
    await consumer.subscribe();
    await env.cluster.idle();
    expect(log).to.deep.equal(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('once listeners run once', async () => {
    const env = setup({ partitions: 1 });
    await publish(env, { s: [1, 2] });
    const consumer = env.client.getTopicConsumer<number>('t', 'g', { autoOffsetReset: AutoOffsetReset.Earliest });
    const seen: number[] = [];
    consumer.once('streamReceived', (stream) => void stream.once('data', (d) => void seen.push(d.value)));
    await consumer.subscribe();
    await env.cluster.idle();
    expect(seen).to.deep.equal([1]);
  });

  describe('autoOffsetReset', () => {
    it('Latest (default) reads only what is produced after joining', async () => {
      const env = setup({ partitions: 2 });
      await publish(env, { a: ['old'] });
      const consumer = env.client.getTopicConsumer('t', 'g');
      const { data } = record(consumer);
      await consumer.subscribe();
      await env.cluster.idle();
      await publish(env, { a: ['new'] });
      await env.cluster.idle();
      expect(data.map((d) => d.value)).to.deep.equal(['new']);
    });

    it('Earliest reads everything retained', async () => {
      const env = setup({ partitions: 2 });
      await publish(env, { a: ['old'], b: ['older'] });
      const consumer = env.client.getTopicConsumer('t', 'g', { autoOffsetReset: AutoOffsetReset.Earliest });
      const { data } = record(consumer);
      await consumer.subscribe();
      await env.cluster.idle();
      expect(data.map((d) => d.value).sort()).to.deep.equal(['old', 'older']);
    });

    it('Error fails clearly when the group has no committed offset, and works once it has', async () => {
      const env = setup({ partitions: 2 });
      await publish(env, { a: [1], b: [2], c: [3], d: [4] });
      const strict = env.client.getTopicConsumer('t', 'g', { autoOffsetReset: AutoOffsetReset.Error });
      let error: unknown;
      await strict.subscribe().catch((e: unknown) => (error = e));
      expect(String(error)).to.match(/No committed offset for consumer group "g" on topic "t" partition\(s\) 0, 1, and autoOffsetReset is Error/);

      const first = env.client.getTopicConsumer('t', 'g', { autoOffsetReset: AutoOffsetReset.Earliest });
      await first.subscribe();
      await env.cluster.idle();
      await first.close();
      await publish(env, { a: [5] });
      const again = env.client.getTopicConsumer('t', 'g', { autoOffsetReset: AutoOffsetReset.Error });
      const { data } = record(again);
      await again.subscribe();
      await env.cluster.idle();
      expect(data.map((d) => d.value)).to.deep.equal([5]);
    });

    it('Error without a consumer group fails clearly', async () => {
      const env = setup();
      const consumer = env.client.getTopicConsumer('t', undefined, { autoOffsetReset: AutoOffsetReset.Error });
      let error: unknown;
      await consumer.subscribe().catch((e: unknown) => (error = e));
      expect(String(error)).to.match(/needs a consumer group/);
    });
  });

  describe('without a consumer group', () => {
    it('reads every partition from the reset point, independently of other such consumers; commit() fails clearly', async () => {
      const env = setup({ partitions: 3 });
      await publish(env, Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`s${i}`, [i]])));
      const one = env.client.getTopicConsumer('t', undefined, { autoOffsetReset: AutoOffsetReset.Earliest, idGenerator: counterIds('a') });
      const two = env.client.getTopicConsumer('t', undefined, { autoOffsetReset: AutoOffsetReset.Earliest, idGenerator: counterIds('b') });
      const r1 = record(one);
      const r2 = record(two);
      await one.subscribe();
      await two.subscribe();
      await env.cluster.idle();
      expect(r1.data.map((d) => d.value).sort()).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(r2.data.map((d) => d.value).sort()).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(one.groupId).to.equal('kafka-twin-streams-private-a-0');
      let error: unknown;
      await one.commit().catch((e: unknown) => (error = e));
      expect(String(error)).to.match(/commit\(\) needs a consumer group/);
      expect(committed(env.cluster, one.groupId, 't')).to.deep.equal([-1, -1, -1]);
      await one.close();
      await two.close();
      // The private groups are removed on close.
      const groups = env.cluster.groups.listGroups().map((g: { groupId: string }) => g.groupId);
      expect(groups).to.not.include(one.groupId);
    });
  });

  describe('commit settings', () => {
    it('Automatic by default: commits on close', async () => {
      const env = setup({ partitions: 1 });
      await publish(env, { s: [1, 2, 3] });
      const consumer = env.client.getTopicConsumer('t', 'g', { autoOffsetReset: AutoOffsetReset.Earliest });
      await consumer.subscribe();
      await env.cluster.idle();
      expect(committed(env.cluster, 'g', 't')).to.deep.equal([-1]);
      await consumer.close();
      expect(committed(env.cluster, 'g', 't')).to.deep.equal([3]);
    });

    it('commitEvery: commits after every N processed messages, with committing / committed events', async () => {
      const env = setup({ partitions: 1 });
      await publish(env, { s: [1, 2, 3, 4, 5, 6, 7] });
      const consumer = env.client.getTopicConsumer('t', 'g', {
        autoOffsetReset: AutoOffsetReset.Earliest,
        commitSettings: { commitEvery: 3, commitIntervalMs: null },
      });
      const events: string[] = [];
      consumer.on('committing', (o) => void events.push(`committing ${JSON.stringify(o)}`));
      consumer.on('committed', (o) => void events.push(`committed ${JSON.stringify(o)}`));
      await consumer.subscribe();
      await env.cluster.idle();
      expect(committed(env.cluster, 'g', 't')).to.deep.equal([6]);
      expect(events).to.deep.equal([
        'committing [{"partition":0,"offset":3}]',
        'committed [{"partition":0,"offset":3}]',
        'committing [{"partition":0,"offset":6}]',
        'committed [{"partition":0,"offset":6}]',
      ]);
    });

    it('commitIntervalMs: commits when that much time passed since the last commit', async () => {
      const env = setup({ partitions: 1 });
      const consumer = env.client.getTopicConsumer('t', 'g', { commitSettings: { commitEvery: null, commitIntervalMs: 1000 }, now: () => env.cluster.now() });
      await consumer.subscribe();
      await env.cluster.idle();
      await publish(env, { s: [1] });
      await env.cluster.idle();
      expect(committed(env.cluster, 'g', 't')).to.deep.equal([-1]);
      await env.cluster.advance(1000);
      await publish(env, { s: [2] });
      await env.cluster.idle();
      expect(committed(env.cluster, 'g', 't')).to.deep.equal([2]);
    });

    it('Automatic defaults: every 5000 messages, or 5000 ms, whichever comes first', async () => {
      const env = setup({ partitions: 1 });
      const byCount = env.client.getTopicConsumer('t', 'count', { autoOffsetReset: AutoOffsetReset.Earliest, now: () => 0 });
      await publish(env, { s: Array.from({ length: 5003 }, (_, i) => i) });
      await byCount.subscribe();
      await env.cluster.idle();
      expect(committed(env.cluster, 'count', 't')).to.deep.equal([5000]);

      const byTime = env.client.getTopicConsumer('t', 'time', { now: () => env.cluster.now() });
      await byTime.subscribe();
      await env.cluster.idle();
      await publish(env, { s: [1] });
      await env.cluster.idle();
      expect(committed(env.cluster, 'time', 't')).to.deep.equal([-1]);
      await env.cluster.advance(4999);
      await publish(env, { s: [2] });
      await env.cluster.idle();
      expect(committed(env.cluster, 'time', 't')).to.deep.equal([-1]);
      await env.cluster.advance(1);
      await publish(env, { s: [3] });
      await env.cluster.idle();
      expect(committed(env.cluster, 'time', 't')).to.deep.equal([5006]);
    });

    it('rejects unknown settings clearly', () => {
      const env = setup();
      expect(() => env.client.getTopicConsumer('t', 'g', { commitSettings: 'Sometimes' as never })).to.throw(/Unknown commitSettings/);
      expect(() => env.client.getTopicConsumer('t', 'g', { commitSettings: { commitEvery: -1 } })).to.throw(/commitEvery must be/);
      expect(() => env.client.getTopicConsumer('t', 'g', { autoOffsetReset: 'Middle' as never })).to.throw(/Unknown autoOffsetReset/);
    });

    it('autoCommitEnabled false is manual', async () => {
      const env = setup({ partitions: 1 });
      await publish(env, { s: [1, 2, 3] });
      const consumer = env.client.getTopicConsumer('t', 'g', {
        autoOffsetReset: AutoOffsetReset.Earliest,
        commitSettings: { autoCommitEnabled: false, commitEvery: 1 },
      });
      await consumer.subscribe();
      await env.cluster.idle();
      await consumer.close();
      expect(committed(env.cluster, 'g', 't')).to.deep.equal([-1]);
    });

    it('Manual: nothing is committed until commit(), which commits what was delivered (including the message in hand)', async () => {
      const env = setup({ partitions: 1 });
      await publish(env, { s: [1, 2, 3, 4] });
      const consumer = env.client.getTopicConsumer<number>('t', 'g', { autoOffsetReset: AutoOffsetReset.Earliest, commitSettings: CommitMode.Manual });
      consumer.on('streamReceived', (stream: StreamConsumer<number>) =>
        stream.on('data', async (d: StreamData<number>) => {
          if (d.value === 2) await consumer.commit();
        }),
      );
      await consumer.subscribe();
      await env.cluster.idle();
      expect(committed(env.cluster, 'g', 't')).to.deep.equal([2]);
      await consumer.close();
      expect(committed(env.cluster, 'g', 't')).to.deep.equal([2]);
    });

    it('commit() before subscribe() fails clearly', async () => {
      const env = setup();
      let error: unknown;
      await env.client
        .getTopicConsumer('t', 'g')
        .commit()
        .catch((e: unknown) => (error = e));
      expect(String(error)).to.match(/before subscribe/);
    });
  });

  describe('groups and revocation', () => {
    it('a second instance takes some partitions: the first gets revoking, then streamsRevoked with exactly those streams', async () => {
      const env = setup({ partitions: 2 });
      const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
      await publish(env, Object.fromEntries(ids.map((id) => [id, [1]])));
      const first = env.client.getTopicConsumer('t', 'g', { autoOffsetReset: AutoOffsetReset.Earliest });
      const r1 = record(first);
      const revoked: string[][] = [];
      let revoking = 0;
      first.on('revoking', () => void revoking++);
      first.on('streamsRevoked', (streams) => void revoked.push(streams.map((s) => s.streamId).sort()));
      await first.subscribe();
      await env.cluster.idle();
      expect(r1.streams.map((s) => s.streamId).sort()).to.deep.equal(ids);

      const second = env.client.getTopicConsumer('t', 'g', { autoOffsetReset: AutoOffsetReset.Earliest });
      const r2 = record(second);
      await second.subscribe();
      await env.cluster.idle();
      expect(revoking).to.be.greaterThan(0);
      const moved = r2.streams.map((s) => s.streamId).sort();
      expect(moved.length).to.be.greaterThan(0);
      expect(revoked).to.deep.equal([moved]);
      expect(first.activeStreams.map((s) => s.streamId).sort()).to.deep.equal(ids.filter((id) => !moved.includes(id)));
      // At least once: the second instance may read again what the first processed after its last
      // commit (the commit on revocation is best effort), but only for the streams it now owns.
      for (const d of r2.data) expect(moved).to.include(d.streamId);
      await first.close();
      await second.close();
    });

    it('a topic with N partitions is processed by at most N instances of a group; the rest stay idle', async () => {
      const env = setup({ partitions: 3 });
      const instances = Array.from({ length: 4 }, () => env.client.getTopicConsumer('t', 'g'));
      const recorders = instances.map(record);
      for (const i of instances) await i.subscribe();
      await env.cluster.idle();
      await publish(env, Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`s${i}`, [i]])));
      await env.cluster.idle();
      const counts = recorders.map((r) => r.data.length);
      expect(counts.reduce((a, b) => a + b)).to.equal(30);
      expect(counts.filter((c) => c === 0)).to.have.length(1);
      for (const i of instances) await i.close();
    });
  });
});
