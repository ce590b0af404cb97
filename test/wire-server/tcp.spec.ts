/** listen(): the same brokers over real TCP sockets on 127.0.0.1, for unchanged kafkajs. */
import { expect } from 'chai';
import { createConnection } from 'node:net';
import kafkajs from 'kafkajs';
import type { Cluster } from '../../src/index.js';
import { kafkaOver, realCluster } from './helpers.js';

const { KafkaJSError } = kafkajs;

function canConnect(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const s = createConnection({ host: host!, port: Number(port) }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('wire server: listen() over TCP', () => {
  let cluster: Cluster;
  afterEach(() => cluster.close());

  it('kafkajs over ephemeral ports: admin, producer, metadata advertising the listening addresses', async () => {
    cluster = realCluster({ brokers: 2 });
    const { brokers } = await cluster.listen();
    expect(brokers).to.have.length(2);
    for (const b of brokers) expect(b).to.match(/^127\.0\.0\.1:\d+$/);
    const kafka = kafkaOver({ brokers: [brokers[0]!] });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'tcp', numPartitions: 2, replicationFactor: 2 }] });
    const described = await admin.describeCluster();
    expect(described.brokers.map((b) => `${b.host}:${b.port}`).sort()).to.deep.equal([...brokers].sort());
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'tcp',
      messages: [
        { partition: 0, key: 'a', value: '1' },
        { partition: 1, key: 'b', value: '2' },
      ],
    });
    expect(cluster.fetch({ topic: 'tcp', partition: 1, offset: 0 }).records.map((r) => r.value!.toString())).to.deep.equal(['2']);
    await producer.disconnect();
    await admin.disconnect();
    let again: unknown;
    await cluster.listen().catch((e: unknown) => (again = e));
    expect(String(again)).to.match(/already listening/);
  });

  it('a stopped broker refuses TCP connections and listens again on the same port when it starts', async () => {
    cluster = realCluster({ brokers: 2 });
    const { brokers } = await cluster.listen({ host: '127.0.0.1' });
    cluster.stopBroker(2);
    expect(await canConnect(brokers[1]!)).to.equal(false);
    const admin = kafkaOver({ brokers: [brokers[1]!] }).admin();
    let error: unknown;
    await admin.connect().catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(KafkaJSError);
    expect(String((error as { originalError?: unknown }).originalError ?? error)).to.match(/ECONNREFUSED|Connection/);
    cluster.startBroker(2);
    await new Promise((r) => setTimeout(r, 20));
    expect(await canConnect(brokers[1]!)).to.equal(true);
    expect(await canConnect(brokers[0]!)).to.equal(true);
  });

  it('`port` places the brokers on consecutive ports and `ports` one by one; close() stops every listener', async () => {
    cluster = realCluster({ brokers: 2 });
    let free = 0;
    let brokers: string[] | undefined;
    for (let attempt = 1; brokers === undefined; attempt++) {
      const probe = realCluster({ brokers: 1 });
      free = Number((await probe.listen()).brokers[0]!.split(':')[1]);
      probe.close();
      await new Promise((r) => setTimeout(r, 10));
      try {
        brokers = (await cluster.listen({ port: free })).brokers;
      } catch (e) {
        // The port after the free one may belong to another process on a shared machine: probe again.
        if (attempt === 5 || !String(e).includes('EADDRINUSE')) throw e;
        cluster.close();
        cluster = realCluster({ brokers: 2 });
      }
    }
    expect(brokers).to.deep.equal([`127.0.0.1:${free}`, `127.0.0.1:${free + 1}`]);
    cluster.close();
    await new Promise((r) => setTimeout(r, 10));
    expect(await canConnect(brokers[0]!)).to.equal(false);
    cluster = realCluster({ brokers: 2 });
    let error: unknown;
    await cluster.listen({ ports: [free] }).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/one port per broker/);
    const listened = await cluster.listen({ ports: [free + 1, free] });
    expect(listened.brokers).to.deep.equal([`127.0.0.1:${free + 1}`, `127.0.0.1:${free}`]);
  });
});
