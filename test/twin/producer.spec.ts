import { expect } from 'chai';
import { TwinProducer } from '../../adapters/twin/producer.js';
import { KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from '../../protocol/errors.js';
import { partitionForKey } from '../../client/partitioners.js';
import { readAll, virtualCluster } from '../helpers.js';


describe('twin producer', () => {
  it('sends to the partition the key picks and answers with kafkajs RecordMetadata', async () => {
    const cluster = virtualCluster({ brokers: 3 });
    cluster.createTopic({ topic: 't', numPartitions: 5, replicationFactor: 2 });
    const producer = new TwinProducer(cluster);
    await producer.connect();
    const result = await producer.send({ topic: 't', messages: [{ key: 'user-1', value: 'a' }, { key: 'user-1', value: 'b' }, { key: 'user-2', value: 'c' }] });
    const p1 = partitionForKey('user-1', 5);
    const p2 = partitionForKey('user-2', 5);
    expect(readAll(cluster, 't', p1).slice(0, 2)).to.deep.equal(['a', 'b']);
    expect(readAll(cluster, 't', p2)).to.include('c');
    for (const r of result) expect(r).to.include.keys('topicName', 'partition', 'errorCode', 'baseOffset', 'logAppendTime', 'logStartOffset');
    expect(result.map((r) => r.partition).sort()).to.deep.equal([...new Set([p1, p2])].sort());
    expect(result.every((r) => r.errorCode === 0 && r.baseOffset === '0' && r.logAppendTime === '-1')).to.equal(true);
  });

  it('keeps headers, timestamps, string and buffer keys and values', async () => {
    const cluster = virtualCluster({ startTime: 1000 });
    cluster.createTopic({ topic: 't' });
    const producer = new TwinProducer(cluster);
    await producer.connect();
    await producer.send({ topic: 't', messages: [{ key: Buffer.from('k'), value: 'v', headers: { a: 'x', b: ['1', Buffer.from('2')] }, timestamp: '42' }, { value: null }] });
    const [first, second] = cluster.fetch({ topic: 't', partition: 0, offset: 0 }).records;
    expect(first!.timestamp).to.equal(42);
    expect(first!.headers.map((h) => `${h.key}=${h.value}`)).to.deep.equal(['a=x', 'b=1', 'b=2']);
    expect(second!.value).to.equal(null);
    expect(second!.timestamp).to.equal(1000);
  });

  it('auto-creates a topic on first send unless told not to', async () => {
    const cluster = virtualCluster({ config: { 'num.partitions': 2 } });
    const producer = new TwinProducer(cluster);
    await producer.connect();
    await producer.send({ topic: 'fresh', messages: [{ value: 'x' }] });
    expect(cluster.describeTopic('fresh').partitions).to.have.length(2);
    const strict = new TwinProducer(cluster, { allowAutoTopicCreation: false, retry: { retries: 1 } });
    await strict.connect();
    const error = await cluster.drive(strict.send({ topic: 'missing', messages: [{ value: 'x' }] }).catch((e: unknown) => e));
    expect(error).to.be.instanceOf(KafkaJSNumberOfRetriesExceeded);
    expect((error as { cause: InstanceType<typeof KafkaJSProtocolError> }).cause.type).to.equal('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('hands non-retriable broker errors back unwrapped, as kafkajs does', async () => {
    const cluster = virtualCluster();
    cluster.createTopic({ topic: 't', config: { 'max.message.bytes': 100 } });
    const producer = new TwinProducer(cluster);
    await producer.connect();
    const error = await producer.send({ topic: 't', messages: [{ value: Buffer.alloc(500) }] }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(KafkaJSProtocolError);
    expect((error as InstanceType<typeof KafkaJSProtocolError>).type).to.equal('MESSAGE_TOO_LARGE');
    const invalid = await producer.send({ topic: 'bad name', messages: [{ value: 'x' }] }).catch((e: unknown) => e);
    expect((invalid as InstanceType<typeof KafkaJSProtocolError>).type).to.equal('INVALID_TOPIC_EXCEPTION');
  });

  it('retries retriable errors on the cluster clock and gives up with KafkaJSNumberOfRetriesExceeded', async () => {
    const cluster = virtualCluster({ brokers: 3 });
    cluster.createTopic({ topic: 't', replicaAssignment: [[1, 2, 3]], config: { 'min.insync.replicas': 3 } });
    cluster.stopBroker(3);
    const producer = new TwinProducer(cluster);
    await producer.connect();
    const error = await cluster.drive(producer.send({ topic: 't', messages: [{ value: 'x' }] }).catch((e: unknown) => e));
    expect(error).to.be.instanceOf(KafkaJSNumberOfRetriesExceeded);
    expect((error as { retryCount: number }).retryCount).to.equal(5);
    expect((error as { cause: InstanceType<typeof KafkaJSProtocolError> }).cause.type).to.equal('NOT_ENOUGH_REPLICAS');
    expect(cluster.now()).to.be.greaterThan(5000);
  });

  it('succeeds once a retriable condition clears during its retries', async () => {
    const cluster = virtualCluster({ brokers: 3 });
    cluster.createTopic({ topic: 't', replicaAssignment: [[1, 2, 3]], config: { 'min.insync.replicas': 3 } });
    cluster.stopBroker(3);
    const producer = new TwinProducer(cluster);
    await producer.connect();
    const sending = producer.send({ topic: 't', messages: [{ value: 'x' }] });
    await cluster.advance(500);
    cluster.startBroker(3);
    const [meta] = await cluster.drive(sending);
    expect(meta!.baseOffset).to.equal('0');
  });

  it('returns no metadata for acks=0', async () => {
    const cluster = virtualCluster();
    cluster.createTopic({ topic: 't' });
    const producer = new TwinProducer(cluster);
    await producer.connect();
    expect(await producer.send({ topic: 't', acks: 0, messages: [{ value: 'x' }] })).to.deep.equal([]);
    expect(readAll(cluster, 't', 0)).to.deep.equal(['x']);
  });

  it('validates input and connection state like kafkajs', async () => {
    const cluster = virtualCluster();
    const producer = new TwinProducer(cluster);
    const notConnected = await producer.send({ topic: 't', messages: [{ value: 'x' }] }).catch((e: unknown) => e);
    expect(notConnected).to.be.instanceOf(KafkaJSError);
    expect((notConnected as Error).message).to.contain('disconnected');
    await producer.connect();
    for (const bad of [
      () => producer.sendBatch({ topicMessages: [{ topic: '', messages: [] }] }),
      () => producer.send({ topic: 't', messages: undefined as unknown as [] }),
      () => producer.send({ topic: 't', messages: [{} as { value: string }] }),
    ]) {
      expect(await bad().catch((e: unknown) => e)).to.be.instanceOf(KafkaJSNonRetriableError);
    }
    // A transactional id is accepted (transactions are in transactions.spec.ts); kafkajs checks nothing about it here.
    expect(new TwinProducer(cluster, { transactionalId: 'tx' }).isIdempotent()).to.equal(false);
  });

  it('merges a batch per topic and uses a custom partitioner', async () => {
    const cluster = virtualCluster();
    cluster.createTopic({ topic: 'a', numPartitions: 3 });
    cluster.createTopic({ topic: 'b', numPartitions: 3 });
    const producer = new TwinProducer(cluster, { createPartitioner: () => () => 2 });
    await producer.connect();
    const result = await producer.sendBatch({ topicMessages: [{ topic: 'a', messages: [{ value: '1' }] }, { topic: 'b', messages: [{ value: '2' }] }, { topic: 'a', messages: [{ value: '3' }] }] });
    expect(result.map((r) => `${r.topicName}-${r.partition}@${r.baseOffset}`)).to.deep.equal(['a-2@0', 'b-2@0']);
    expect(readAll(cluster, 'a', 2)).to.deep.equal(['1', '3']);
  });

  it('emits connect and disconnect instrumentation events and rejects unknown event names', async () => {
    const cluster = virtualCluster({ startTime: 7 });
    const producer = new TwinProducer(cluster);
    const seen: string[] = [];
    const remove = producer.on(producer.events.CONNECT, (e) => seen.push(`${e.type}@${e.timestamp}`));
    producer.on(producer.events.DISCONNECT, (e) => seen.push(e.type));
    await producer.connect();
    remove();
    await producer.connect();
    await producer.disconnect();
    await new Promise((r) => setImmediate(r));
    expect(seen).to.deep.equal(['producer.connect@7', 'producer.disconnect']);
    expect(() => producer.on('producer.nope' as 'producer.connect', () => undefined)).to.throw(KafkaJSNonRetriableError);
  });
});
