/**
 * Twin bugs the testing toolkit found, kept as plain reproductions so they stay fixed.
 */
import { expect } from 'chai';
import { Cluster } from '../../src/index.js';
import { CrashStep, LeaveStep, ProduceStep, Scenario, checkTrace, defaultTopology, runScenario } from '../../src/testing/index.js';
import * as bug2 from '../../examples/bugs/non-idempotent-side-effect.js';

describe('twin issues found by the testing toolkit', () => {
  it('a consumer whose partition leader is isolated backs off on the clock, so stop() returns and the work resumes after heal', async () => {
    const cluster = new Cluster({ brokers: 3, clock: 'virtual', seed: 4 });
    cluster.createTopic({ topic: 'input', numPartitions: 2, replicationFactor: 2 });
    cluster.createTopic({ topic: 'output', numPartitions: 1, replicationFactor: 2 });
    const kafka = cluster.kafka({ retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 } });
    const sendFailures: string[] = [];
    const start = async () => {
      const c = kafka.consumer({ groupId: 'app', sessionTimeout: 10000, heartbeatInterval: 1000, rebalanceTimeout: 10000 });
      const p = kafka.producer();
      await p.connect();
      await c.connect();
      await c.subscribe({ topics: ['input'], fromBeginning: true });
      await c.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          try {
            await p.send({ topic: 'output', messages: [{ key: message.key, value: message.value }] });
          } catch (e) {
            sendFailures.push((e as Error).name);
            throw e;
          }
          await c.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
        },
      });
      return c;
    };
    const a = await start();
    const b = await start();
    const p = kafka.producer();
    await p.connect();
    await p.send({
      topic: 'input',
      messages: [
        { key: 'k2', value: '1' },
        { key: 'k1', value: '2' },
      ],
    });
    const isolated = cluster.describeTopic('output').partitions[0]!.leader;
    cluster.isolateBroker(isolated);

    const before = cluster.now();
    await a.stop();
    // stop() waits for the batch in hand: at most the handler's send with its 3 retries (100 + 200 + 400 + 800 ms, with jitter).
    expect(cluster.now() - before).to.be.at.most(5_000);

    cluster.healBroker(isolated);
    await cluster.idle();
    const output = cluster.fetch({ topic: 'output', partition: 0, offset: 0 }).records.map((r) => r.value?.toString());
    // Every input record made it to the output at least once, and each failed send was the retries running out.
    expect(new Set(output)).to.deep.equal(new Set(['1', '2']));
    expect(sendFailures.every((n) => n === 'KafkaJSNumberOfRetriesExceeded')).to.equal(true);
    const committed = cluster.groups.offsetFetch({ groupId: 'app', topics: [{ topic: 'input', partitions: [0, 1] }] });
    // Everything the group consumed is committed (a partition that never got a record has no committed offset).
    const behind = committed[0]!.partitions.filter(
      ({ partition, offset }) => cluster.listOffsets('input', partition, 'latest').offset !== Math.max(0, Number(offset)),
    );
    expect(behind).to.deep.equal([]);
    await b.stop();
    cluster.close();
  });

  it('cluster.idle() waits out a handler whose producer.send is retrying, then sees the rest consumed', async () => {
    const zeros = () => new ProduceStep([0, 1, 2].map(() => ({ key: 'k0', value: '0' })));
    const scenario = new Scenario(defaultTopology(), 0, [
      new CrashStep(0, 1),
      new ProduceStep([
        { key: 'k3', value: '0' },
        { key: 'k0', value: '0' },
      ]),
      new LeaveStep(0),
      zeros(),
      zeros(),
      zeros(),
      zeros(),
    ]);
    const trace = await runScenario({ processor: bug2.fixed, scenario, settleMs: 60_000 });
    expect(checkTrace(trace)).to.deep.equal([]);
  });
});
