/** The README's "Use it like kafkajs" example, run as written. */
import { expect } from 'chai';
import { Cluster } from '../src/index.js';

describe('README example', () => {
  it('runs as written and delivers the message', async () => {
    const logged: unknown[][] = [];
    const console = { log: (...args: unknown[]): void => void logged.push(args) };

    const cluster = new Cluster({ brokers: 3, clock: 'virtual', seed: 1 });
    const kafka = cluster.kafka({ clientId: 'app' });

    const admin = kafka.admin();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3, replicationFactor: 3 }] });

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [{ key: 'customer-1', value: 'hello' }] });

    const consumer = kafka.consumer({ groupId: 'billing' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ partition, message }) => console.log(partition, message.value?.toString()) });

    await cluster.idle();
    cluster.stopBroker(1);
    await cluster.advance(45_000);

    expect(logged).to.have.length(1);
    expect(logged[0]![1]).to.equal('hello');
    await consumer.disconnect();
    cluster.close();
  });
});
