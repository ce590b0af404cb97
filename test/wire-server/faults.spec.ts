/**
 * Bad input closes one connection and nothing else; a stopped broker refuses connections until it
 * starts again; an isolated broker goes silent until healed; the real clock is required.
 */
import { expect } from 'chai';
import { ApiVersions, decodeResponse, encodeRecordBatches, encodeRequest, Metadata, Produce } from '../../protocol/wire/index.js';
import { Cluster } from '../../src/index.js';
import type { WireEvent } from '../../src/cluster.js';
import { kafkaOver, RawClient, realCluster } from './helpers.js';

describe('wire server: bad input and faults', () => {
  let cluster: Cluster;
  afterEach(() => cluster.close());

  it('a garbled frame closes that connection only: another client keeps working and the engine is unchanged', async () => {
    cluster = realCluster();
    cluster.createTopic({ topic: 't', numPartitions: 1, replicationFactor: 1 });
    const events: WireEvent[] = [];
    cluster.onWireEvent((e) => events.push(e));
    const producer = kafkaOver(cluster.wire()).producer();
    await producer.connect();
    const bad = await RawClient.connect(cluster);
    const before = JSON.stringify([cluster.describePartition('t', 0), cluster.topicNames()]);
    const frame = encodeRequest(
      Produce,
      7,
      { correlationId: 1, clientId: 'bad' },
      { acks: 1, timeoutMs: 100, topicData: [{ name: 't', partitionData: [{ index: 0, records: null }] }] },
    );
    // Cut the topic array's length to a huge count: the body no longer parses.
    frame.writeInt32BE(0x7ffffff0, frame.length - 19);
    bad.write(frame);
    expect(await bad.closed()).to.equal(true);
    expect(JSON.stringify([cluster.describePartition('t', 0), cluster.topicNames()])).to.equal(before);
    expect(events).to.have.length(1);
    expect(events[0]).to.include({ type: 'connection-closed', broker: 1, reason: 'bad-frame' });
    await producer.send({ topic: 't', messages: [{ value: 'still here' }] });
    expect(cluster.fetch({ topic: 't', partition: 0, offset: 0 }).records.map((r) => r.value!.toString())).to.deep.equal(['still here']);
    await producer.disconnect();
  });

  it('a truncated frame, trailing bytes, an unknown API key, an unserved version and an oversize frame each close the connection', async () => {
    cluster = realCluster();
    const reasons: string[] = [];
    cluster.onWireEvent((e) => reasons.push(e.reason));
    const api = (correlationId: number) => encodeRequest(ApiVersions, 2, { correlationId, clientId: 'x' }, {});
    const frames: Buffer[] = [];
    // Truncated: the size says 3 bytes, too short for a header.
    frames.push(Buffer.from([0, 0, 0, 3, 0, 18, 0]));
    // Trailing bytes after a whole request.
    const trailing = Buffer.concat([api(1), Buffer.from([1, 2, 3])]);
    trailing.writeInt32BE(trailing.length - 4, 0);
    frames.push(trailing);
    // API key 999, then Produce v2 (message sets: not served), then Metadata v13 (not described).
    for (const [key, version] of [
      [999, 0],
      [0, 2],
      [3, 13],
    ] as const) {
      // Metadata v13 would be flexible: its header ends with an (empty) tagged-field count.
      const size = key === 3 ? 11 : 10;
      const f = Buffer.alloc(4 + size);
      f.writeInt32BE(size, 0);
      f.writeInt16BE(key, 4);
      f.writeInt16BE(version, 6);
      f.writeInt32BE(7, 8);
      f.writeInt16BE(-1, 12);
      frames.push(f);
    }
    // Over socket.request.max.bytes.
    frames.push(Buffer.from([0x06, 0x40, 0x00, 0x01]));
    frames.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    for (const f of frames) {
      const c = await RawClient.connect(cluster);
      c.write(f);
      expect(await c.closed(), f.subarray(0, 8).toString('hex')).to.equal(true);
    }
    expect(reasons).to.deep.equal(['bad-frame', 'bad-frame', 'unsupported-api', 'unsupported-api', 'unsupported-api', 'frame-too-large', 'frame-too-large']);
    const ok = await RawClient.connect(cluster);
    expect(await ok.request(Metadata, 1, { topics: null })).to.include({ controllerId: 1 });
    ok.close();
  });

  it('requests on a connection are answered in order, each after the one before', async () => {
    cluster = realCluster({ brokers: 3 });
    cluster.createTopic({ topic: 'slow', replicaAssignment: [[1, 2, 3]] });
    const c = await RawClient.connect(cluster);
    // An acks=all write that waits: broker 2 is cut off, and min ISR is only reached once it leaves the ISR.
    cluster.isolateBroker(2);
    const frames = [
      encodeRequest(
        Produce,
        7,
        { correlationId: 1, clientId: 'o' },
        {
          acks: -1,
          timeoutMs: 150,
          topicData: [{ name: 'slow', partitionData: [{ index: 0, records: encodeRecordBatches([{ records: [{ value: Buffer.from('w') }] }]) }] }],
        },
      ),
      encodeRequest(ApiVersions, 0, { correlationId: 2, clientId: 'o' }, {}),
      encodeRequest(Metadata, 0, { correlationId: 3, clientId: 'o' }, { topics: [] }),
    ];
    c.write(Buffer.concat(frames));
    const started = Date.now();
    const first = decodeResponse(Produce, 7, await c.next());
    expect(first.correlationId).to.equal(1);
    expect(first.body.responses[0]!.partitionResponses[0]!.errorCode).to.equal(7);
    expect(Date.now() - started).to.be.at.least(100);
    expect([(await c.next()).readInt32BE(0), (await c.next()).readInt32BE(0)]).to.deep.equal([2, 3]);
    c.close();
  });

  it('a stopped broker closes its connections and refuses new ones until it starts again; kafkajs reconnects', async () => {
    cluster = realCluster({ brokers: 2 });
    cluster.createTopic({ topic: 's', replicaAssignment: [[2, 1]] });
    const open = await RawClient.connect(cluster, 2);
    cluster.stopBroker(2);
    expect(await open.closed()).to.equal(true);
    let refused: unknown;
    await RawClient.connect(cluster, 2).catch((e: unknown) => (refused = e));
    expect(refused).to.include({ code: 'ECONNREFUSED' });
    let unknown: unknown;
    const s = cluster.wire().socketFactory({ host: 'nowhere', port: 1, ssl: {}, onConnect: () => undefined });
    s.on('error', (e) => (unknown = e));
    await new Promise((r) => setTimeout(r, 10));
    expect(unknown).to.include({ code: 'ENOTFOUND' });
    // kafkajs follows the leader to broker 1.
    const producer = kafkaOver(cluster.wire()).producer();
    await producer.connect();
    await producer.send({ topic: 's', acks: 1, messages: [{ value: 'while 2 is down' }] });
    cluster.startBroker(2);
    const back = await RawClient.connect(cluster, 2);
    expect((await back.request(Metadata, 1, { topics: null })).brokers.map((b) => b.nodeId)).to.deep.equal([1, 2]);
    back.close();
    await producer.disconnect();
  });

  it('an isolated broker answers nothing and takes no connection until healed', async () => {
    cluster = realCluster();
    const c = await RawClient.connect(cluster);
    cluster.isolateBroker(1);
    c.write(encodeRequest(ApiVersions, 1, { correlationId: 1, clientId: 'i' }, {}));
    const answer = c.next();
    const silent = await Promise.race([answer.then(() => 'answered'), new Promise((r) => setTimeout(() => r('silent'), 80))]);
    expect(silent).to.equal('silent');
    let connected = false;
    cluster.wire().socketFactory({ host: 'broker-1', port: 9092, ssl: {}, onConnect: () => (connected = true) });
    await new Promise((r) => setTimeout(r, 30));
    expect(connected).to.equal(false);
    cluster.healBroker(1);
    // The request sent while cut off was lost; the next one is answered.
    c.write(encodeRequest(ApiVersions, 1, { correlationId: 2, clientId: 'i' }, {}));
    expect((await answer).readInt32BE(0)).to.equal(2);
    c.close();
  });

  it('wire(), listen() and onWireEvent() need the real clock', async () => {
    cluster = new Cluster({ clock: 'virtual' });
    expect(() => cluster.wire()).to.throw(/needs the real clock.*new Cluster\(\{ clock: 'real' \}\)/);
    expect(() => cluster.onWireEvent(() => {})).to.throw(/real clock/);
    let error: unknown;
    await cluster.listen().catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/listen\(\) needs the real clock/);
  });
});
