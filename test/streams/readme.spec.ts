/** The README's streams example, run as written against the twin. */
import { expect } from 'chai';
import { AutoOffsetReset, Cluster, CommitMode, StreamingClient } from '../../src/index.js';

describe('README streams example', () => {
  it('runs as written', async () => {
    const logged: unknown[][] = [];
    const console = { log: (...args: unknown[]): void => void logged.push(args) };
    const cluster = new Cluster({ clock: 'virtual', seed: 3 });
    cluster.createTopic({ topic: 'telemetry', numPartitions: 3 });

    const client = new StreamingClient(cluster.kafka());
    const car = client.getTopicProducer('telemetry').getOrCreateStream('car-42');
    car.properties.name = 'Car 42';
    car.publish({ speed: 88 });
    await car.flush();

    const topic = client.getTopicConsumer('telemetry', 'dashboards', { commitSettings: CommitMode.Manual, autoOffsetReset: AutoOffsetReset.Earliest });
    topic.on('streamReceived', (stream) => stream.on('data', (data) => console.log(stream.streamId, data.value)));
    await topic.subscribe();
    await cluster.idle();
    await topic.commit();

    expect(logged).to.deep.equal([['car-42', { speed: 88 }]]);
    await topic.close();
  });
});
