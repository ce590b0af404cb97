/**
 * Conformance: a consumer group's offsets inside transactions (kafkajs's `transaction.sendOffsets`,
 * TxnOffsetCommit): committed only with the transaction, dropped by an abort, and the
 * consume-transform-produce loop that gives exactly-once processing, also across a restart; and
 * where a consuming group commits its offset around a marker.
 */
import { expect } from 'chai';
import type { Consumer, Producer } from '../../client/interface.js';
import {
  adminOf,
  committedOffsets,
  createTopic,
  latestOffsets,
  messages,
  placed,
  producerOf,
  quick,
  record,
  transactionalProducerOf,
  waitForLatest,
} from './helpers.js';
import { conformance, scenario, type Control } from './targets.js';

/** A group's offsets for `topic` by partition, once they read `expected` (transactional offsets land with the commit markers). */
async function waitForCommitted(c: Control, admin: Parameters<typeof committedOffsets>[0], groupId: string, topic: string, expected: string[]): Promise<void> {
  await c.waitUntil(
    async () => {
      const committed = await committedOffsets(admin, groupId, topic);
      // Thrown, not answered false, so that a timeout names the offsets last seen.
      if (JSON.stringify(committed) !== JSON.stringify(expected)) throw new Error(`committed offsets [${committed.join(', ')}]`);
      return true;
    },
    { message: `offsets of ${groupId} on ${topic} to be [${expected.join(', ')}]` },
  );
}

/**
 * A consume-transform-produce processor: a consumer of `input` (offsets committed only through
 * transactions) that writes each value upper-cased to the same partition of `output` and commits
 * the consumed offset in the same transaction. For the value `abortAt` (once) it aborts instead,
 * and pauses the partition, as a processor that failed there would stop.
 */
async function transformer(
  c: Control,
  options: { producer: Producer; groupId: string; input: string; output: string; abortAt?: string },
): Promise<{ consumer: Consumer; committed: string[]; aborted: string[] }> {
  const consumer = c.kafka.consumer(quick(options.groupId));
  const committed: string[] = [];
  const aborted: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [options.input], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message, pause }) => {
      const value = message.value!.toString();
      const tx = await options.producer.transaction();
      await tx.send({ topic: options.output, messages: [{ value: value.toUpperCase(), partition }] });
      await tx.sendOffsets({ consumerGroupId: options.groupId, topics: [{ topic, partitions: [{ partition, offset: String(Number(message.offset) + 1) }] }] });
      if (value === options.abortAt && aborted.length === 0) {
        await tx.abort();
        aborted.push(value);
        pause();
        return;
      }
      await tx.commit();
      committed.push(value);
    },
  });
  return { consumer, committed, aborted };
}

conformance('transactions: offsets (sendOffsets)', () => {
  scenario("sendOffsets commits the group's offset only when the transaction commits; a consumer of the group then resumes there", async (c) => {
    const admin = await adminOf(c);
    const input = await createTopic(c, admin, { topic: c.name('txo-commit-in'), numPartitions: 1 });
    const output = await createTopic(c, admin, { topic: c.name('txo-commit-out'), numPartitions: 1 });
    await (await producerOf(c)).send({ topic: input, messages: messages(5, 'in') });
    const groupId = c.name('txo-commit-g');
    const producer = await transactionalProducerOf(c, c.name('txo-commit-id'));
    const tx = await producer.transaction();
    await tx.send({ topic: output, messages: messages(1, 'out') });
    await tx.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '3' }] }] });
    expect(await committedOffsets(admin, groupId, input)).to.deep.equal(['-1']);
    await tx.commit();
    await waitForCommitted(c, admin, groupId, input, ['3']);
    await waitForLatest(c, admin, output, ['2']);
    const r = await record(c, { groupId, topics: [input], fromBeginning: true });
    await c.waitUntil(() => r.seen.length >= 2, { message: '2 messages' });
    await c.settle();
    expect(r.values()).to.deep.equal(['in-3', 'in-4']);
  });

  scenario("an aborted transaction leaves the group's committed offset as it was; the next committed one moves it", async (c) => {
    const admin = await adminOf(c);
    const input = await createTopic(c, admin, { topic: c.name('txo-abort-in'), numPartitions: 1 });
    const output = await createTopic(c, admin, { topic: c.name('txo-abort-out'), numPartitions: 1 });
    await (await producerOf(c)).send({ topic: input, messages: messages(5, 'in') });
    const groupId = c.name('txo-abort-g');
    await admin.setOffsets({ groupId, topic: input, partitions: [{ partition: 0, offset: '1' }] });
    const producer = await transactionalProducerOf(c, c.name('txo-abort-id'));
    const aborted = await producer.transaction();
    await aborted.send({ topic: output, messages: messages(1, 'dropped') });
    await aborted.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '4' }] }] });
    await aborted.abort();
    await waitForLatest(c, admin, output, ['2']);
    expect(await committedOffsets(admin, groupId, input)).to.deep.equal(['1']);
    const kept = await producer.transaction();
    await kept.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '2' }] }] });
    await kept.commit();
    await waitForCommitted(c, admin, groupId, input, ['2']);
    const r = await record(c, { groupId, topics: [input], fromBeginning: true });
    await c.waitUntil(() => r.seen.length >= 3, { message: '3 messages' });
    await c.settle();
    expect(r.values()).to.deep.equal(['in-2', 'in-3', 'in-4']);
  });

  scenario('a transaction of offsets only commits them and writes no marker to any data partition', async (c) => {
    const admin = await adminOf(c);
    const input = await createTopic(c, admin, { topic: c.name('txo-only-in'), numPartitions: 2 });
    await (await producerOf(c)).send({ topic: input, messages: [...messages(3, 'a', { partition: 0 }), ...messages(2, 'b', { partition: 1 })] });
    const groupId = c.name('txo-only-g');
    const producer = await transactionalProducerOf(c, c.name('txo-only-id'));
    const tx = await producer.transaction();
    await tx.sendOffsets({
      consumerGroupId: groupId,
      topics: [
        {
          topic: input,
          partitions: [
            { partition: 0, offset: '2' },
            { partition: 1, offset: '1' },
          ],
        },
      ],
    });
    expect(tx.isActive()).to.equal(true);
    await tx.commit();
    await waitForCommitted(c, admin, groupId, input, ['2', '1']);
    expect(await latestOffsets(admin, input)).to.deep.equal(['3', '2']);
  });

  scenario('sendOffsets twice in one transaction for the same partition: the later offset is the one committed', async (c) => {
    const admin = await adminOf(c);
    const input = await createTopic(c, admin, { topic: c.name('txo-twice-in'), numPartitions: 1 });
    await (await producerOf(c)).send({ topic: input, messages: messages(6, 'in') });
    const groupId = c.name('txo-twice-g');
    const producer = await transactionalProducerOf(c, c.name('txo-twice-id'));
    const tx = await producer.transaction();
    await tx.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '2' }] }] });
    await tx.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '5' }] }] });
    await tx.commit();
    await waitForCommitted(c, admin, groupId, input, ['5']);
  });

  scenario(
    "consume-transform-produce: every input message is transformed into the output exactly once and the group's offsets end at the input's end",
    async (c) => {
      const admin = await adminOf(c);
      const input = await createTopic(c, admin, { topic: c.name('txo-loop-in'), numPartitions: 2 });
      const output = await createTopic(c, admin, { topic: c.name('txo-loop-out'), numPartitions: 2 });
      await (await producerOf(c)).send({ topic: input, messages: [...messages(3, 'p0', { partition: 0 }), ...messages(3, 'p1', { partition: 1 })] });
      const groupId = c.name('txo-loop-g');
      const producer = await transactionalProducerOf(c, c.name('txo-loop-id'));
      const t = await transformer(c, { producer, groupId, input, output });
      await c.waitUntil(() => t.committed.length >= 6, { message: '6 transactions' });
      await waitForCommitted(c, admin, groupId, input, ['3', '3']);
      // Each message its own transaction: data, marker, data, marker...
      await waitForLatest(c, admin, output, ['6', '6']);
      const r = await record(c, { groupId: c.name('txo-loop-check'), topics: [output], fromBeginning: true });
      await c.waitUntil(() => r.seen.length >= 6, { message: '6 output messages' });
      await c.settle();
      expect(r.seen.map((m) => `${m.partition}:${m.value}`).sort()).to.deep.equal(['0:P0-0', '0:P0-1', '0:P0-2', '1:P1-0', '1:P1-1', '1:P1-2']);
      expect(r.seen.every((m) => m.offset % 2 === 0)).to.equal(true);
    },
  );

  scenario(
    'consume-transform-produce across a failure: an aborted step is redone by the restarted processor, and read_committed sees each result once',
    async (c) => {
      const admin = await adminOf(c);
      const input = await createTopic(c, admin, { topic: c.name('txo-redo-in'), numPartitions: 1 });
      const output = await createTopic(c, admin, { topic: c.name('txo-redo-out'), numPartitions: 1 });
      await (await producerOf(c)).send({ topic: input, messages: messages(6, 'in') });
      const groupId = c.name('txo-redo-g');
      const transactionalId = c.name('txo-redo-id');
      const first = await transformer(c, { producer: await transactionalProducerOf(c, transactionalId), groupId, input, output, abortAt: 'in-3' });
      await c.waitUntil(() => first.aborted.length === 1, { message: 'the aborted step' });
      await waitForCommitted(c, admin, groupId, input, ['3']);
      await first.consumer.disconnect();
      expect(first.committed).to.deep.equal(['in-0', 'in-1', 'in-2']);
      const second = await transformer(c, { producer: await transactionalProducerOf(c, transactionalId), groupId, input, output });
      await c.waitUntil(() => second.committed.length >= 3, { message: '3 more transactions' });
      await waitForCommitted(c, admin, groupId, input, ['6']);
      expect(second.committed).to.deep.equal(['in-3', 'in-4', 'in-5']);
      await waitForLatest(c, admin, output, ['14']);
      const committed = await record(c, { groupId: c.name('txo-redo-rc'), topics: [output], fromBeginning: true });
      const uncommitted = await record(c, { groupId: c.name('txo-redo-ru'), topics: [output], fromBeginning: true, config: { readUncommitted: true } });
      await c.waitUntil(() => committed.seen.length >= 6 && uncommitted.seen.length >= 7, { message: '6 and 7 output messages' });
      await c.settle();
      expect(committed.values()).to.deep.equal(['IN-0', 'IN-1', 'IN-2', 'IN-3', 'IN-4', 'IN-5']);
      expect(committed.seen.map((m) => m.offset)).to.deep.equal([0, 2, 4, 8, 10, 12]);
      expect(uncommitted.values()).to.deep.equal(['IN-0', 'IN-1', 'IN-2', 'IN-3', 'IN-3', 'IN-4', 'IN-5']);
    },
  );

  scenario(
    "a read_committed group reading a committed transaction commits its offset past the commit marker (autoCommitThreshold 1: kafkajs commits the marker-only batch's offset at once)",
    async (c) => {
      const admin = await adminOf(c);
      const topic = await createTopic(c, admin, { topic: c.name('txn-group-commit'), numPartitions: 1 });
      const producer = await transactionalProducerOf(c, c.name('txn-group-commit-id'));
      const tx = await producer.transaction();
      await tx.send({ topic, messages: messages(3, 'c') });
      await tx.commit();
      await waitForLatest(c, admin, topic, ['4']);
      const groupId = c.name('txn-group-commit-g');
      const committed = await record(c, { groupId, topics: [topic], fromBeginning: true, run: { autoCommitThreshold: 1 } });
      await c.waitUntil(() => committed.seen.length >= 3, { message: '3 messages' });
      await waitForCommitted(c, admin, groupId, topic, ['4']);
      expect(committed.seen.map((m) => m.offset)).to.deep.equal([0, 1, 2]);
    },
  );

  scenario('a read_committed group that meets only an aborted transaction commits its offset past the abort marker, having received nothing', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-group-abort'), numPartitions: 1 });
    const producer = await transactionalProducerOf(c, c.name('txn-group-abort-id'));
    const tx = await producer.transaction();
    await tx.send({ topic, messages: messages(3, 'a') });
    await tx.abort();
    await waitForLatest(c, admin, topic, ['4']);
    const groupId = c.name('txn-group-abort-g');
    const committed = await record(c, { groupId, topics: [topic], fromBeginning: true, run: { autoCommitThreshold: 1 } });
    await waitForCommitted(c, admin, groupId, topic, ['4']);
    await c.settle();
    expect(committed.seen).to.deep.equal([]);
  });

  scenario('a read_uncommitted group reading a committed transaction commits its offset past the commit marker too', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-group-ru'), numPartitions: 1 });
    const producer = await transactionalProducerOf(c, c.name('txn-group-ru-id'));
    const tx = await producer.transaction();
    await tx.send({ topic, messages: messages(2, 'c') });
    await tx.commit();
    await waitForLatest(c, admin, topic, ['3']);
    const groupId = c.name('txn-group-ru-g');
    const uncommitted = await record(c, { groupId, topics: [topic], fromBeginning: true, config: { readUncommitted: true }, run: { autoCommitThreshold: 1 } });
    await c.waitUntil(() => uncommitted.seen.length >= 2, { message: '2 messages' });
    await waitForCommitted(c, admin, groupId, topic, ['3']);
    expect(placed(uncommitted.seen)).to.deep.equal(['0:0:c-0', '0:1:c-1']);
  });

  scenario(
    "with kafkajs's default auto-commit a group consuming a committed transaction commits N, not past the marker: the marker-only batch is resolved but not committed",
    async (c) => {
      const admin = await adminOf(c);
      const topic = await createTopic(c, admin, { topic: c.name('txn-group-default'), numPartitions: 1 });
      const producer = await transactionalProducerOf(c, c.name('txn-group-default-id'));
      const tx = await producer.transaction();
      await tx.send({ topic, messages: messages(3, 'c') });
      await tx.commit();
      await waitForLatest(c, admin, topic, ['4']);
      const groupId = c.name('txn-group-default-g');
      const committed = await record(c, { groupId, topics: [topic], fromBeginning: true });
      await c.waitUntil(() => committed.seen.length >= 3, { message: '3 messages' });
      await waitForCommitted(c, admin, groupId, topic, ['3']);
      const fetches = committed.fetches() + 3;
      await c.waitUntil(() => committed.fetches() >= fetches, { message: '3 more fetches' });
      await committed.consumer.disconnect();
      expect(await committedOffsets(admin, groupId, topic)).to.deep.equal(['3']);
    },
  );
});
