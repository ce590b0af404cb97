/**
 * The concepts page's checkpointing example, in TypeScript:
 *
 *     topic_consumer = client.get_topic_consumer("{topic}", "{your-consumer-group-id}", commit_settings=CommitMode.Manual)
 *     topic_consumer.commit()
 */
import { expect } from 'chai';
import { AutoOffsetReset, CommitMode, type StreamData } from '../../src/streams/index.js';
import { committed, setup } from './helpers.js';

describe('streams: the checkpointing example', () => {
  it('manual commits after processing; a restart resumes there; another group id starts from its own reset point', async () => {
    const { cluster, client } = setup({ partitions: 1, topics: ['readings'] });
    const producer = client.getTopicProducer<number>('readings');
    const sensor = producer.createStream('sensor-1');

    // As written on the page, with Earliest so the rows published before it joined are read.
    const topicConsumer = client.getTopicConsumer<number>('readings', 'my-model', {
      commitSettings: CommitMode.Manual,
      autoOffsetReset: AutoOffsetReset.Earliest,
    });
    const rows: number[] = [];
    topicConsumer.on('streamReceived', (stream) => {
      stream.on('data', async ({ value }: StreamData<number>) => {
        rows.push(value);
        // Done processing a set of rows: checkpoint.
        if (rows.length % 3 === 0) await topicConsumer.commit();
      });
    });
    for (let i = 0; i < 7; i++) sensor.publish(i);
    await producer.flush();
    await topicConsumer.subscribe();
    await cluster.idle();
    expect(rows).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
    expect(committed(cluster, 'my-model', 'readings')).to.deep.equal([6]);
    await topicConsumer.close();
    expect(committed(cluster, 'my-model', 'readings'), 'a manual consumer does not commit on close').to.deep.equal([6]);

    // The same group resumes after its last checkpoint: row 6 again, then new rows.
    sensor.publish(7);
    await producer.flush();
    const restarted = client.getTopicConsumer<number>('readings', 'my-model', { commitSettings: CommitMode.Manual });
    const again: number[] = [];
    restarted.on('streamReceived', (stream) => stream.on('data', ({ value }: StreamData<number>) => void again.push(value)));
    await restarted.subscribe();
    await cluster.idle();
    expect(again).to.deep.equal([6, 7]);
    await restarted.close();

    // Another consumer group id starts from the offset it specifies: Latest by default.
    const other = client.getTopicConsumer<number>('readings', 'debugging-locally');
    const fresh: number[] = [];
    other.on('streamReceived', (stream) => stream.on('data', ({ value }: StreamData<number>) => void fresh.push(value)));
    await other.subscribe();
    await cluster.idle();
    sensor.publish(8);
    await producer.flush();
    await cluster.idle();
    expect(fresh).to.deep.equal([8]);
    expect(committed(cluster, 'my-model', 'readings'), 'its commits are its own').to.deep.equal([6]);
    await other.close();
    expect(committed(cluster, 'debugging-locally', 'readings')).to.deep.equal([9]);
  });
});
