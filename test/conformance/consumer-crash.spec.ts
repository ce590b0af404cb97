/**
 * Conformance: how a consumer crashes and what its commits do, as kafkajs 2.2.4 behaves. A
 * handler's failure never rejects run(): the consumer stops (STOP, DISCONNECT), asks
 * `retry.restartOnFailure` when it may restart, and reports CRASH with the error kafkajs's retrier
 * wrapped. eachBatch's `commitOffsetsIfNecessary` applies the interval and threshold even with
 * autoCommit off, and commits the offsets it is given; `commitOffsets` before the first join
 * commits nothing.
 */
import { expect } from 'chai';
import type { EachBatchPayload } from 'kafkajs';
import type { Consumer } from '../../client/interface.js';
import { adminOf, createTopic, messages, producerOf, quick, shapeOf, type ErrorShape } from './helpers.js';
import { conformance, scenario, type Control } from './targets.js';

type Crash = { error: ErrorShape; restart: boolean; sameError: boolean };

/** A consumer of `topic` whose handler is `eachMessage`; records the events that matter to a crash. */
async function crashing(
  c: Control,
  topic: string,
  groupId: string,
  eachMessage: (value: string) => Promise<void>,
  retry: { retries: number; restartOnFailure?: (e: Error) => Promise<boolean> },
): Promise<{ consumer: Consumer; crashes: Crash[]; events: string[]; asked: Error[] }> {
  const asked: Error[] = [];
  const restartOnFailure = retry.restartOnFailure;
  const consumer = c.kafka.consumer(
    quick(groupId, {
      retry: {
        retries: retry.retries,
        initialRetryTime: 100,
        ...(restartOnFailure === undefined
          ? {}
          : {
              restartOnFailure: (e: Error) => {
                asked.push(e);
                return restartOnFailure(e);
              },
            }),
      },
    }),
  );
  const crashes: Crash[] = [];
  const events: string[] = [];
  consumer.on(consumer.events.STOP, () => void events.push('stop'));
  consumer.on(consumer.events.DISCONNECT, () => void events.push('disconnect'));
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    events.push('crash');
    crashes.push({ error: shapeOf(payload.error), restart: payload.restart, sameError: asked.length === 0 || asked[asked.length - 1] === payload.error });
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => eachMessage(String(message.value)) });
  return { consumer, crashes, events, asked };
}

async function committed(c: Control, groupId: string, topic: string): Promise<string> {
  const admin = await adminOf(c);
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return t!.partitions[0]!.offset;
}

conformance('consumer crashes and commits', () => {
  scenario('a handler error whose retries ran out: STOP, DISCONNECT, then CRASH with KafkaJSNumberOfRetriesExceeded; restartOnFailure says no', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('crash-retries'), numPartitions: 1 });
    const producer = await producerOf(c);
    const calls: string[] = [];
    const { crashes, events, asked } = await crashing(
      c,
      topic,
      c.name('crash-retries-g'),
      async (value) => {
        calls.push(value);
        throw new Error('boom');
      },
      { retries: 1, restartOnFailure: async () => false },
    );
    await producer.send({ topic, messages: messages(1, 'm') });
    await c.waitUntil(() => crashes.length === 1, { message: 'a crash' });
    expect(crashes[0]).to.deep.equal({
      error: { name: 'KafkaJSNumberOfRetriesExceeded', retriable: false, cause: { name: 'Error' } },
      restart: false,
      sameError: true,
    });
    expect(asked).to.have.length(1);
    expect(asked[0]!.message).to.equal('boom');
    expect(events).to.deep.equal(['stop', 'disconnect', 'crash']);
    // The first attempt and one retry; then no restart.
    await c.sleep(1500);
    expect(calls).to.deep.equal(['m-0', 'm-0']);
  });

  scenario(
    'a TypeError in the handler: CRASH with KafkaJSNonRetriableError, no restart, restartOnFailure not asked; run() from the listener consumes again, as one member',
    async (c) => {
      const admin = await adminOf(c);
      const topic = await createTopic(c, admin, { topic: c.name('crash-type'), numPartitions: 1 });
      const groupId = c.name('crash-type-g');
      const producer = await producerOf(c);
      const seen: string[] = [];
      let restarted: Promise<void> | undefined;
      const { consumer, crashes, asked } = await crashing(
        c,
        topic,
        groupId,
        async () => {
          throw new TypeError('bad');
        },
        { retries: 3, restartOnFailure: async () => true },
      );
      // Once: kafkajs's run() from inside the listener first crashes itself ("Not connected", with a
      // restart: its cluster is still disconnecting), then consumes after that restart; the twin's starts at once.
      consumer.on(consumer.events.CRASH, () => {
        if (restarted !== undefined) return;
        restarted = consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
      });
      await producer.send({ topic, messages: messages(1, 'm') });
      await c.waitUntil(() => crashes.length >= 1, { message: 'a crash' });
      expect(crashes[0]).to.deep.equal({
        error: { name: 'KafkaJSNonRetriableError', retriable: false, cause: { name: 'TypeError' } },
        restart: false,
        sameError: true,
      });
      // (On kafkajs the listener's run() crashes once more, with a retriable error, and that one is asked about.)
      expect(asked.map((e) => e.message)).to.not.include('bad');
      await restarted;
      await c.waitUntil(() => seen.length === 1, { message: 'the message, read again' });
      await producer.send({ topic, messages: messages(1, 'n') });
      await c.waitUntil(() => seen.length === 2, { message: 'a second message' });
      await c.sleep(1000);
      expect(seen).to.deep.equal(['m-0', 'n-0']);
      const description = await consumer.describeGroup();
      expect({ state: description.state, members: description.members.length }).to.deep.equal({ state: 'Stable', members: 1 });
    },
  );

  scenario('restartOnFailure saying yes (or rejecting): CRASH with restart, and the restarted consumer reads the message again', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('crash-restart'), numPartitions: 1 });
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(1, 'm') });
    for (const answer of [async () => true, async () => Promise.reject(new Error('callback failed'))]) {
      const calls: string[] = [];
      const { crashes, asked, consumer } = await crashing(
        c,
        topic,
        c.name('crash-restart-g'),
        async (value) => {
          calls.push(value);
          if (calls.length === 1) throw new Error('once');
        },
        { retries: 0, restartOnFailure: answer },
      );
      await c.waitUntil(() => calls.length === 2, { message: 'the message, read again after the restart' });
      expect(crashes.map((x) => ({ name: x.error.name, restart: x.restart }))).to.deep.equal([{ name: 'KafkaJSNumberOfRetriesExceeded', restart: true }]);
      expect(asked).to.have.length(1);
      expect(calls).to.deep.equal(['m-0', 'm-0']);
      await consumer.disconnect();
    }
  });

  scenario('commitOffsets right after an unawaited run() resolves and commits nothing', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('early-commit'), numPartitions: 1 });
    const groupId = c.name('early-commit-g');
    const consumer = c.kafka.consumer(quick(groupId));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const running = consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    await consumer.commitOffsets([{ topic, partition: 0, offset: '5' }]);
    await running;
    await c.sleep(500);
    expect(await committed(c, groupId, topic)).to.equal('-1');
  });

  scenario("eachBatch's commitOffsetsIfNecessary with autoCommit off: the threshold still commits, and given offsets are committed as they are", async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('if-necessary'), numPartitions: 1 });
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(5, 'm') });
    const run = async (groupId: string, eachBatch: (payload: EachBatchPayload) => Promise<void>, threshold: number | null) => {
      const consumer = c.kafka.consumer(quick(groupId));
      let lastOffset = '';
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        autoCommitThreshold: threshold,
        eachBatch: async (payload) => {
          await eachBatch(payload);
          lastOffset = payload.batch.lastOffset();
        },
      });
      await c.waitUntil(() => lastOffset === '4', { message: 'the 5 messages' });
      await consumer.disconnect();
      return committed(c, groupId, topic);
    };
    // Three resolved past the committed offset (none: the start) reach the threshold; four and five do not reach it again.
    const byThreshold = await run(
      c.name('if-necessary-t'),
      async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        for (const m of batch.messages) {
          resolveOffset(m.offset);
          await commitOffsetsIfNecessary();
        }
      },
      3,
    );
    expect(byThreshold).to.equal('3');
    // No interval or threshold: nothing is due.
    const neither = await run(
      c.name('if-necessary-n'),
      async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        for (const m of batch.messages) resolveOffset(m.offset);
        await commitOffsetsIfNecessary();
      },
      null,
    );
    expect(neither).to.equal('-1');
    const given = await run(
      c.name('if-necessary-g'),
      async ({ commitOffsetsIfNecessary }) => {
        await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition: 0, offset: '2' }] }] });
      },
      null,
    );
    expect(given).to.equal('2');
  });
});
