/**
 * Request-level fault injection (`cluster.injectFault`, `setLatency`, `clearFaults`) on the twin
 * client and on the wire front end under unchanged kafkajs: a refused request changes nothing, a
 * lost answer (`when: 'after'`) leaves the write in the log and the producer's retry writes it
 * again, DISCONNECT is a closed connection kafkajs recovers from.
 */
import { expect } from 'chai';
import { Cluster, KafkaJSConnectionError, KafkaJSProtocolError, type ClusterEvent, type InjectFaultOptions } from '../src/index.js';
import { defaults, encodeResponse, inVersions, type ApiSchema, type Field, JoinGroup, Metadata, Produce, Fetch, encodeRecordBatches } from '../protocol/wire/index.js';
import { errorResponse, namedIn, withErrors } from '../adapters/wire/error-response.js';
import { HANDLERS } from '../adapters/wire/handlers/index.js';
import { readAll, virtualCluster } from './helpers.js';
import { kafkaOver, RawClient, realCluster } from './wire-server/helpers.js';

const faultEvents = (cluster: Cluster) => cluster.events().filter((e) => e.type.startsWith('fault') || e.type === 'latency-set');
type Fired = Extract<ClusterEvent, { type: 'fault-fired' }>;
const fired = (cluster: Cluster) => cluster.events().filter((e): e is Fired => e.type === 'fault-fired');

describe('fault injection: the twin client', () => {
  async function producerOn(cluster: Cluster) {
    const producer = cluster.kafka({ retry: { retries: 5, initialRetryTime: 100 } }).producer();
    await producer.connect();
    return producer;
  }

  it("'after' on Produce: the record is in the log, the answer is lost, and the producer's retry writes it again", async () => {
    const cluster = virtualCluster();
    cluster.createTopic({ topic: 'rides' });
    cluster.injectFault({ api: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER', when: 'after', topic: 'rides' });
    const producer = await producerOn(cluster);
    await producer.send({ topic: 'rides', messages: [{ value: 'ride-1' }] });
    expect(readAll(cluster, 'rides', 0)).to.deep.equal(['ride-1', 'ride-1']);
    const [injected, fire] = faultEvents(cluster);
    expect(injected).to.include({ type: 'fault-injected', api: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER', when: 'after', count: 1, topic: 'rides', partition: null, broker: null });
    expect(fire).to.include({ type: 'fault-fired', api: 'Produce', when: 'after', broker: 1, topic: 'rides', partition: 0, remaining: 0 });
    expect(cluster.faults()).to.deep.equal([]);
  });

  it("'before' on Produce: refused, nothing written; the retry writes the record once", async () => {
    const cluster = virtualCluster();
    cluster.createTopic({ topic: 'rides' });
    cluster.injectFault({ api: 'Produce', error: 'NOT_LEADER_FOR_PARTITION' });
    const producer = await producerOn(cluster);
    await producer.send({ topic: 'rides', messages: [{ value: 'ride-1' }] });
    expect(readAll(cluster, 'rides', 0)).to.deep.equal(['ride-1']);
    expect(fired(cluster)).to.have.length(1);
    expect(fired(cluster)[0]).to.include({ error: 'NOT_LEADER_OR_FOLLOWER', when: 'before' });
  });

  it("a non-retriable error surfaces as kafkajs's error class, and nothing is written", async () => {
    const cluster = virtualCluster();
    cluster.createTopic({ topic: 'rides' });
    cluster.injectFault({ api: 'Produce', error: 'MESSAGE_TOO_LARGE' });
    const producer = await producerOn(cluster);
    const error = await producer.send({ topic: 'rides', messages: [{ value: 'x' }] }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(KafkaJSProtocolError);
    expect(error).to.include({ type: 'MESSAGE_TOO_LARGE', retriable: false });
    expect(readAll(cluster, 'rides', 0)).to.deep.equal([]);
  });

  it('counts down: a fault with count 3 fires three times, then the request goes through', async () => {
    const cluster = virtualCluster();
    cluster.createTopic({ topic: 'rides' });
    cluster.injectFault({ api: 'Produce', error: 'REQUEST_TIMED_OUT', count: 3 });
    expect(cluster.faults()).to.have.length(1);
    expect(cluster.faults()[0]).to.include({ remaining: 3, when: 'before', error: 'REQUEST_TIMED_OUT' });
    const producer = await producerOn(cluster);
    await producer.send({ topic: 'rides', messages: [{ value: 'x' }] });
    expect(fired(cluster).map((e) => e.remaining)).to.deep.equal([2, 1, 0]);
    expect(readAll(cluster, 'rides', 0)).to.deep.equal(['x']);
    expect(cluster.faults()).to.deep.equal([]);
  });

  it('scopes by topic, partition and broker: other requests pass untouched', async () => {
    const cluster = virtualCluster({ brokers: 3 });
    cluster.createTopic({ topic: 'a', numPartitions: 3, replicationFactor: 1 });
    cluster.createTopic({ topic: 'b', numPartitions: 1, replicationFactor: 1 });
    const leader2 = cluster.describeTopic('a').partitions.find((p) => p.partition === 2)!.leader;
    const otherBroker = [1, 2, 3].find((b) => cluster.describeTopic('a').partitions.every((p) => p.leader !== b) && b !== cluster.describeTopic('b').partitions[0]!.leader);
    cluster.injectFault({ api: 'Produce', error: 'MESSAGE_TOO_LARGE', topic: 'b', count: 5 });
    cluster.injectFault({ api: 'Produce', error: 'MESSAGE_TOO_LARGE', topic: 'a', partition: 2 });
    if (otherBroker !== undefined) cluster.injectFault({ api: 'Produce', error: 'MESSAGE_TOO_LARGE', broker: otherBroker });
    await cluster.produce({ topic: 'a', partition: 0, records: [{ value: Buffer.from('0') }] });
    await cluster.produce({ topic: 'a', partition: 1, records: [{ value: Buffer.from('1') }] });
    const refused = await cluster.produce({ topic: 'a', partition: 2, records: [{ value: Buffer.from('2') }] }).catch((e: unknown) => e);
    expect(refused).to.include({ type: 'MESSAGE_TOO_LARGE' });
    expect(fired(cluster).at(-1)).to.include({ topic: 'a', partition: 2, broker: leader2 });
    await cluster.produce({ topic: 'a', partition: 2, records: [{ value: Buffer.from('2') }] });
    expect([0, 1, 2].map((p) => readAll(cluster, 'a', p))).to.deep.equal([['0'], ['1'], ['2']]);
    expect(await cluster.produce({ topic: 'b', partition: 0, records: [{ value: Buffer.from('b') }] }).catch((e: unknown) => (e as Error).name)).to.equal('KafkaJSProtocolError');
    expect(cluster.faults().map((f) => [f.topic, f.remaining])).to.deep.equal(otherBroker === undefined ? [['b', 4]] : [['b', 4], [null, 1]]);
  });

  it('scopes by broker: only requests sent to that broker', async () => {
    const cluster = virtualCluster({ brokers: 2 });
    cluster.createTopic({ topic: 't', replicaAssignment: [[1], [2]] });
    const leaders = cluster.describeTopic('t').partitions.map((p) => p.leader);
    const [on, off] = [leaders[0]!, leaders[1]!];
    expect(on).to.not.equal(off);
    cluster.injectFault({ api: 'ListOffsets', error: 'LEADER_NOT_AVAILABLE', broker: on });
    expect(cluster.listOffsets('t', 1, 'latest').offset).to.equal(0);
    expect(() => cluster.listOffsets('t', 0, 'latest')).to.throw(KafkaJSProtocolError, /leader/i);
    expect(fired(cluster)[0]).to.include({ api: 'ListOffsets', broker: on, topic: null });
  });

  it('clearFaults removes pending faults and latencies, and says so in the event log', async () => {
    const cluster = virtualCluster({ brokers: 2 });
    cluster.createTopic({ topic: 'rides' });
    cluster.injectFault({ api: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER', when: 'after' });
    cluster.setLatency(2, 50);
    cluster.clearFaults();
    expect(cluster.faults()).to.deep.equal([]);
    const producer = await producerOn(cluster);
    await producer.send({ topic: 'rides', messages: [{ value: 'once' }] });
    expect(readAll(cluster, 'rides', 0)).to.deep.equal(['once']);
    expect(faultEvents(cluster).map((e) => e.type)).to.deep.equal(['fault-injected', 'latency-set', 'faults-cleared']);
    expect(cluster.events().find((e) => e.type === 'faults-cleared')).to.include({ faults: 1 });
    expect(cluster.events().find((e) => e.type === 'faults-cleared')).to.deep.include({ latencies: [2] });
  });

  it('latency delays the answers of one broker on the virtual clock', async () => {
    const cluster = virtualCluster();
    cluster.createTopic({ topic: 'rides' });
    const producer = await producerOn(cluster);
    const t0 = cluster.now();
    await cluster.drive(producer.send({ topic: 'rides', messages: [{ value: 'fast' }] }));
    expect(cluster.now() - t0).to.equal(0);
    cluster.setLatency(1, 750);
    await cluster.drive(producer.send({ topic: 'rides', messages: [{ value: 'slow' }] }));
    expect(cluster.now() - t0).to.equal(750);
    expect(cluster.events().at(-1)).to.include({ type: 'latency-set', broker: 1, ms: 750 });
  });

  it('DISCONNECT: a KafkaJSConnectionError the producer retries; after applying, the retry duplicates', async () => {
    const cluster = virtualCluster();
    cluster.createTopic({ topic: 'rides' });
    cluster.injectFault({ api: 'Produce', error: 'DISCONNECT' });
    const direct = await cluster.produce({ topic: 'rides', partition: 0, records: [{ value: Buffer.from('x') }] }).catch((e: unknown) => e);
    expect(direct).to.be.instanceOf(KafkaJSConnectionError);
    expect(direct).to.include({ retriable: true });
    cluster.injectFault({ api: 'Produce', error: 'DISCONNECT', when: 'after' });
    const producer = await producerOn(cluster);
    await producer.send({ topic: 'rides', messages: [{ value: 'y' }] });
    expect(readAll(cluster, 'rides', 0)).to.deep.equal(['y', 'y']);
  });

  it('group requests: a JoinGroup refused with NOT_COORDINATOR; the consumer finds its coordinator again and joins', async () => {
    const cluster = virtualCluster();
    cluster.createTopic({ topic: 'rides' });
    await cluster.produce({ topic: 'rides', partition: 0, records: [{ value: Buffer.from('r') }] });
    cluster.injectFault({ api: 'JoinGroup', error: 'NOT_COORDINATOR', count: 2 });
    const kafka = cluster.kafka();
    const consumer = kafka.consumer({ groupId: 'g' });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'rides', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
    await cluster.idle();
    expect(seen).to.deep.equal(['r']);
    expect(fired(cluster).map((e) => e.api)).to.deep.equal(['JoinGroup', 'JoinGroup']);
    await consumer.disconnect();
  });

  it('refuses bad options with an error naming the problem', () => {
    const cluster = virtualCluster({ brokers: 2 });
    const bad = (o: unknown) => () => cluster.injectFault(o as InjectFaultOptions);
    expect(bad({ api: 'Produse', error: 'NOT_LEADER_OR_FOLLOWER' })).to.throw(RangeError, /unknown api "Produse"; expected one of .*JoinGroup.*Produce/);
    expect(bad({ api: 'Produce', error: 'NOT_A_THING' })).to.throw(RangeError, /unknown error "NOT_A_THING"/);
    expect(bad({ api: 'Produce', error: 'NONE' })).to.throw(RangeError, /unknown error/);
    expect(bad({ api: 'Produce', error: 'DISCONNECT', count: 0 })).to.throw(RangeError, /count must be a positive integer, got 0/);
    expect(bad({ api: 'Produce', error: 'DISCONNECT', count: 1.5 })).to.throw(RangeError, /count/);
    expect(bad({ api: 'Produce', error: 'DISCONNECT', broker: 3 })).to.throw(RangeError, /no broker 3/);
    expect(bad({ api: 'Produce', error: 'DISCONNECT', partition: 0 })).to.throw(RangeError, /partition needs a topic/);
    expect(bad({ api: 'Produce', error: 'DISCONNECT', when: 'during' })).to.throw(RangeError, /when must be 'before' or 'after'/);
    expect(bad({ api: 'Produce', error: 'DISCONNECT', brokers: 1 })).to.throw(RangeError, /unknown option 'brokers'/);
    expect(() => cluster.setLatency(5, 10)).to.throw(RangeError, /no broker 5/);
    expect(() => cluster.setLatency(1, -1)).to.throw(RangeError, /non-negative integer/);
    expect(cluster.events().filter((e) => e.type.startsWith('fault'))).to.deep.equal([]);
  });
});

describe('fault injection: the wire front end, under kafkajs', function () {
  this.timeout(20_000);
  let cluster: Cluster;
  afterEach(() => cluster.close());

  it("'after' on Produce: kafkajs retries the lost acknowledgement and the record is written twice; 'before': once", async () => {
    cluster = realCluster();
    cluster.createTopic({ topic: 'rides' });
    const producer = kafkaOver(cluster.wire()).producer();
    await producer.connect();
    cluster.injectFault({ api: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER', when: 'after', topic: 'rides', partition: 0 });
    await producer.send({ topic: 'rides', messages: [{ value: 'a' }] });
    expect(readAll(cluster, 'rides', 0)).to.deep.equal(['a', 'a']);
    cluster.injectFault({ api: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER' });
    await producer.send({ topic: 'rides', messages: [{ value: 'b' }] });
    expect(readAll(cluster, 'rides', 0)).to.deep.equal(['a', 'a', 'b']);
    expect(fired(cluster).map((e) => [e.when, e.broker, e.topic, e.partition])).to.deep.equal([
      ['after', 1, 'rides', 0],
      ['before', 1, null, null],
    ]);
    await producer.disconnect();
  });

  it('a non-retriable error reaches kafkajs as its protocol error', async () => {
    cluster = realCluster();
    cluster.createTopic({ topic: 'rides' });
    const producer = kafkaOver(cluster.wire()).producer();
    await producer.connect();
    cluster.injectFault({ api: 'Produce', error: 'INVALID_RECORD' });
    const error = await producer.send({ topic: 'rides', messages: [{ value: 'x' }] }).catch((e: unknown) => e);
    expect((error as Error).name).to.equal('KafkaJSProtocolError');
    expect(error).to.include({ type: 'INVALID_RECORD' });
    expect(readAll(cluster, 'rides', 0)).to.deep.equal([]);
    await producer.disconnect();
  });

  it('DISCONNECT closes the connection; kafkajs reconnects and the send succeeds', async () => {
    cluster = realCluster();
    cluster.createTopic({ topic: 'rides' });
    const reasons: string[] = [];
    cluster.onWireEvent((e) => reasons.push(e.reason));
    const producer = kafkaOver(cluster.wire()).producer();
    await producer.connect();
    cluster.injectFault({ api: 'Produce', error: 'DISCONNECT' });
    await producer.send({ topic: 'rides', messages: [{ value: 'x' }] });
    expect(readAll(cluster, 'rides', 0)).to.deep.equal(['x']);
    expect(reasons).to.deep.equal(['injected-fault']);
    await producer.disconnect();
  });

  it('a JoinGroup fault: the consumer rejoins and consumes', async () => {
    cluster = realCluster();
    cluster.createTopic({ topic: 'rides' });
    await cluster.produce({ topic: 'rides', partition: 0, records: [{ value: Buffer.from('r') }] });
    cluster.injectFault({ api: 'JoinGroup', error: 'COORDINATOR_NOT_AVAILABLE' });
    const consumer = kafkaOver(cluster.wire()).consumer({ groupId: 'g', sessionTimeout: 6000, heartbeatInterval: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'rides', fromBeginning: true });
    const got = new Promise<string>((resolve) => void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }));
    expect(await got).to.equal('r');
    expect(fired(cluster).map((e) => [e.api, e.error])).to.deep.equal([['JoinGroup', 'COORDINATOR_NOT_AVAILABLE']]);
    await consumer.disconnect();
  });

  it('latency delays each answer of the broker, in order', async () => {
    cluster = realCluster();
    cluster.createTopic({ topic: 'rides' });
    const raw = await RawClient.connect(cluster);
    cluster.setLatency(1, 150);
    const start = Date.now();
    const answers = await Promise.all([1, 2, 3].map(() => raw.request(Metadata, 9, { topics: [{ name: 'rides' }] })));
    expect(Date.now() - start).to.be.at.least(3 * 150 - 20);
    expect(answers.map((a) => a.topics[0]!.name)).to.deep.equal(['rides', 'rides', 'rides']);
  });

  it("raw answers: 'before' puts the error on every partition named and writes nothing; 'after' only on the fault's partition", async () => {
    cluster = realCluster();
    cluster.createTopic({ topic: 't', numPartitions: 2 });
    const raw = await RawClient.connect(cluster);
    const records = () => encodeRecordBatches([{ records: [{ value: Buffer.from('v') }] }]);
    const body = () => ({ acks: 1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [0, 1].map((index) => ({ index, records: records() })) }] });
    cluster.injectFault({ api: 'Produce', error: 'NOT_ENOUGH_REPLICAS', topic: 't', partition: 1 });
    const refused = await raw.request(Produce, 9, body());
    expect(refused.responses[0]!.partitionResponses.map((p) => [p.index, p.errorCode, p.baseOffset])).to.deep.equal([
      [0, 19, -1n],
      [1, 19, -1n],
    ]);
    expect([readAll(cluster, 't', 0), readAll(cluster, 't', 1)]).to.deep.equal([[], []]);
    cluster.injectFault({ api: 'Produce', error: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', topic: 't', partition: 1, when: 'after' });
    const lost = await raw.request(Produce, 9, body());
    expect(lost.responses[0]!.partitionResponses.map((p) => [p.index, p.errorCode])).to.deep.equal([
      [0, 0],
      [1, 20],
    ]);
    expect([readAll(cluster, 't', 0), readAll(cluster, 't', 1)]).to.deep.equal([['v'], ['v']]);
  });
});

/** A request naming one of everything: topic 't', partition 0, one element in every array. */
function sample(fields: readonly Field[], version: number): Record<string, unknown> {
  const value = (t: Field['type']): unknown => {
    if (t === 'string') return 't';
    if (t === 'int32' || t === 'int16' || t === 'int8') return 0;
    if (typeof t === 'string') return undefined;
    if (t.kind === 'struct') return sample(t.fields, version);
    return [value(t.of)].filter((x) => x !== undefined);
  };
  return Object.fromEntries(fields.filter((f) => inVersions(f.versions, version)).map((f) => [f.name, value(f.type)]));
}

describe('fault injection: error answers built from the schemas', () => {
  it('every served API and version has an error answer that encodes, its code where the response carries one', () => {
    for (const h of HANDLERS) {
      const api = h.api as ApiSchema;
      for (let v = h.versions[0]; v <= h.versions[1]; v++) {
        const body = errorResponse(api, v, sample(api.request.fields, v), 15, () => undefined);
        expect(body, `${api.name} v${v}`).to.not.equal(undefined);
        expect(JSON.stringify(body, (_, x: unknown) => (typeof x === 'bigint' ? String(x) : x)), `${api.name} v${v}`).to.include('"errorCode":15');
        expect(() => encodeResponse(api, v, 1, body as never), `${api.name} v${v}`).to.not.throw();
      }
    }
    // Metadata for every topic names none: no place for the error, so the connection closes instead.
    expect(errorResponse(Metadata, 9, { topics: null }, 15, () => undefined)).to.equal(undefined);
  });

  it('mirrors the topics and partitions a request names', () => {
    const fetch = { topics: [{ topic: 'a', partitions: [{ partition: 3, fetchOffset: 0n }] }], forgottenTopicsData: [] };
    expect(namedIn(fetch, () => undefined)).to.deep.equal({ topics: [], partitions: [{ topic: 'a', partition: 3 }] });
    const answer = errorResponse(Fetch, 11, fetch, 6, () => undefined) as { responses: { topic: string; partitions: { partitionIndex: number; errorCode: number }[] }[]; errorCode: number };
    expect(answer.responses).to.have.length(1);
    expect(answer.responses[0]).to.deep.include({ topic: 'a' });
    expect(answer.responses[0]!.partitions[0]).to.include({ partitionIndex: 3, errorCode: 6 });
    expect(answer.errorCode).to.equal(0);
    const metadata = errorResponse(Metadata, 9, { topics: [{ name: 'x' }, { name: 'y' }] }, 5, () => undefined) as { topics: { name: string; errorCode: number }[] };
    expect(metadata.topics.map((t) => [t.name, t.errorCode])).to.deep.equal([
      ['x', 5],
      ['y', 5],
    ]);
    const join = errorResponse(JoinGroup, 5, defaults(JoinGroup.request, 5) as Record<string, unknown>, 14, () => undefined);
    expect(join).to.include({ errorCode: 14 });
    const lost = withErrors(Metadata, 9, { topics: [{ name: 'x', errorCode: 0, partitions: [{ partitionIndex: 0, errorCode: 0 }] }, { name: 'y', errorCode: 0 }] }, 3, (t) => t === 'y', () => undefined) as {
      topics: { name: string; errorCode: number; partitions?: { errorCode: number }[] }[];
    };
    expect(lost.topics.map((t) => [t.name, t.errorCode])).to.deep.equal([
      ['x', 0],
      ['y', 3],
    ]);
    expect(lost.topics[0]!.partitions![0]!.errorCode).to.equal(0);
  });
});
