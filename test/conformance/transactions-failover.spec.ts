/**
 * Conformance: transactions across broker stops on three brokers (`@3brokers`: `npm run
 * test:kafka:3` against real Kafka). A transaction stays open while the leader of a data
 * partition, or the transaction coordinator, stops with a controlled shutdown; after the commit
 * read_committed sees every message exactly once. kafkajs retries the produce and
 * AddPartitionsToTxn requests (its send retrier) but not EndTxn, so after a coordinator stop the
 * scenarios send once more before ending the transaction: that send waits until the new
 * coordinator has loaded the transaction.
 * Two more scenarios inject request faults, so they run on the twin and kafkajs-wire targets only
 * (their titles say so); what they expect is read from kafkajs 2.2.4's producer.
 */
import { expect } from 'chai';
import type { PartitionMetadata } from 'kafkajs';
import type { Admin } from '../../client/interface.js';
import { adminOf, createTopic, latestOffsets, messages, placed, record, rejectionOf, transactionalProducerOf, transactionCoordinator, waitForLatest } from './helpers.js';
import { conformance, scenario, TARGET, type Control } from './targets.js';

const three = { brokers: 3 as const, timeout: 180_000 };

/** A topic's partitions by id, asked again until the metadata answers (it can lag for a new topic). */
async function partitionsOf(c: Control, admin: Admin, topic: string): Promise<PartitionMetadata[]> {
  let listed: PartitionMetadata[] = [];
  await c.waitUntil(
    async () => {
      listed = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions;
      return listed.every((p) => p.leader >= 0);
    },
    { message: `metadata of ${topic}` },
  );
  return [...listed].sort((a, b) => a.partitionId - b.partitionId);
}

/** Waits until no partition of `topic` is led by `stopped`. */
async function waitForLeaderMoved(c: Control, admin: Admin, topic: string, stopped: number): Promise<void> {
  await c.waitUntil(async () => (await partitionsOf(c, admin, topic)).every((p) => p.leader !== stopped && p.leader >= 0), {
    message: `leaders of ${topic} off broker ${stopped}`,
  });
}

conformance('transactions: failover (three brokers)', () => {
  scenario(
    'the leader of the data partition stops with a transaction open; the transaction goes on on the new leader, commits, and read_committed sees every message once',
    async (c) => {
      const admin = await adminOf(c);
      const topic = await createTopic(c, admin, { topic: c.name('txf-leader'), numPartitions: 1, replicationFactor: 3 });
      const producer = await transactionalProducerOf(c, c.name('txf-leader-id'));
      const tx = await producer.transaction();
      await tx.send({ topic, messages: messages(2, 'before') });
      const leader = (await partitionsOf(c, admin, topic))[0]!.leader;
      await c.stopBroker(leader);
      await waitForLeaderMoved(c, admin, topic, leader);
      await tx.send({ topic, messages: messages(2, 'after') });
      expect(await latestOffsets(admin, topic)).to.deep.equal(['0']);
      await tx.commit();
      await waitForLatest(c, admin, topic, ['5']);
      const committed = await record(c, { groupId: c.name('txf-leader-g'), topics: [topic], fromBeginning: true });
      await c.waitUntil(() => committed.seen.length >= 4, { message: '4 messages' });
      await c.settle();
      expect(placed(committed.seen)).to.deep.equal(['0:0:before-0', '0:1:before-1', '0:2:after-0', '0:3:after-1']);
    },
    three,
  );

  scenario(
    'the transaction coordinator stops with a transaction open; another broker takes the transaction over, the commit reaches every partition, read_committed sees every message once',
    async (c) => {
      const admin = await adminOf(c);
      const topic = await createTopic(c, admin, { topic: c.name('txf-coord'), numPartitions: 3, replicationFactor: 3 });
      const transactionalId = c.name('txf-coord-id');
      const producer = await transactionalProducerOf(c, transactionalId);
      const tx = await producer.transaction();
      await tx.send({ topic, messages: messages(2, 'p0', { partition: 0 }) });
      const coordinator = await transactionCoordinator(c, admin, transactionalId);
      await c.stopBroker(coordinator);
      await c.waitUntil(async () => (await transactionCoordinator(c, admin, transactionalId)) !== coordinator, { message: 'a new transaction coordinator' });
      await waitForLeaderMoved(c, admin, topic, coordinator);
      await tx.send({ topic, messages: [...messages(1, 'p1', { partition: 1 }), ...messages(2, 'p2', { partition: 2 })] });
      await tx.commit();
      await waitForLatest(c, admin, topic, ['3', '2', '3']);
      const committed = await record(c, { groupId: c.name('txf-coord-g'), topics: [topic], fromBeginning: true });
      await c.waitUntil(() => committed.seen.length >= 5, { message: '5 messages' });
      await c.settle();
      expect(placed(committed.seen)).to.deep.equal(['0:0:p0-0', '0:1:p0-1', '1:0:p1-0', '2:0:p2-0', '2:1:p2-1']);
    },
    three,
  );

  scenario(
    'the transaction coordinator stops with a transaction open, then the producer aborts through the new coordinator: read_committed sees none of it, read_uncommitted all',
    async (c) => {
      const admin = await adminOf(c);
      const topic = await createTopic(c, admin, { topic: c.name('txf-coord-abort'), numPartitions: 2, replicationFactor: 3 });
      const transactionalId = c.name('txf-coord-abort-id');
      const producer = await transactionalProducerOf(c, transactionalId);
      const tx = await producer.transaction();
      await tx.send({ topic, messages: messages(2, 'x', { partition: 0 }) });
      const coordinator = await transactionCoordinator(c, admin, transactionalId);
      await c.stopBroker(coordinator);
      await c.waitUntil(async () => (await transactionCoordinator(c, admin, transactionalId)) !== coordinator, { message: 'a new transaction coordinator' });
      await waitForLeaderMoved(c, admin, topic, coordinator);
      await tx.send({ topic, messages: messages(1, 'y', { partition: 1 }) });
      await tx.abort();
      await waitForLatest(c, admin, topic, ['3', '2']);
      const committed = await record(c, { groupId: c.name('txf-coord-abort-rc'), topics: [topic], fromBeginning: true });
      const uncommitted = await record(c, { groupId: c.name('txf-coord-abort-ru'), topics: [topic], fromBeginning: true, config: { readUncommitted: true } });
      await c.waitUntil(() => uncommitted.seen.length >= 3, { message: '3 messages read uncommitted' });
      const fetches = committed.fetches() + 3;
      await c.waitUntil(() => committed.fetches() >= fetches, { message: '3 more fetches read committed' });
      await c.settle();
      expect(committed.seen).to.deep.equal([]);
      expect(placed(uncommitted.seen)).to.deep.equal(['0:0:x-0', '0:1:x-1', '1:0:y-0']);
    },
    three,
  );

  scenario(
    'a broker stops and comes back while a transaction over three partitions (one led by each broker) is open; after the commit every partition has its data and marker once',
    async (c) => {
      const admin = await adminOf(c);
      const topic = await createTopic(c, admin, { topic: c.name('txf-restart'), numPartitions: 3, replicationFactor: 3 });
      const producer = await transactionalProducerOf(c, c.name('txf-restart-id'));
      const tx = await producer.transaction();
      const all = (tag: string) => [0, 1, 2].flatMap((partition) => messages(1, `${tag}${partition}`, { partition }));
      await tx.send({ topic, messages: all('a') });
      const partitions = await partitionsOf(c, admin, topic);
      expect(new Set(partitions.map((p) => p.leader)).size).to.equal(3);
      const stopped = partitions[0]!.leader;
      await c.stopBroker(stopped);
      await waitForLeaderMoved(c, admin, topic, stopped);
      await tx.send({ topic, messages: all('b') });
      await c.startBroker(stopped);
      await tx.send({ topic, messages: all('c') });
      await tx.commit();
      await waitForLatest(c, admin, topic, ['4', '4', '4']);
      const committed = await record(c, { groupId: c.name('txf-restart-g'), topics: [topic], fromBeginning: true });
      await c.waitUntil(() => committed.seen.length >= 9, { message: '9 messages' });
      await c.settle();
      expect(placed(committed.seen)).to.deep.equal([0, 1, 2].flatMap((p) => ['a', 'b', 'c'].map((tag, i) => `${p}:${i}:${tag}${p}-0`)));
    },
    three,
  );
});

if (TARGET !== 'kafka') {
  conformance('transactions: injected faults', () => {
    scenario('twin-only (injected fault): a lost acknowledgement of a transactional produce is retried, the broker answers the original offset, and the commit shows each message once', async (c) => {
      const admin = await adminOf(c);
      const topic = await createTopic(c, admin, { topic: c.name('txf-lost-ack'), numPartitions: 1 });
      const producer = await transactionalProducerOf(c, c.name('txf-lost-ack-id'), { retry: { retries: 5, initialRetryTime: 50 } });
      const tx = await producer.transaction();
      c.injectFault!({ api: 'Produce', error: 'DISCONNECT', when: 'after', topic, count: 1 });
      const [meta] = await tx.send({ topic, messages: messages(3, 'once') });
      expect(meta!.baseOffset).to.equal('0');
      await tx.commit();
      await waitForLatest(c, admin, topic, ['4']);
      const uncommitted = await record(c, { groupId: c.name('txf-lost-ack-ru'), topics: [topic], fromBeginning: true, config: { readUncommitted: true } });
      await c.waitUntil(() => uncommitted.seen.length >= 3, { message: '3 messages' });
      await c.settle();
      expect(placed(uncommitted.seen)).to.deep.equal(['0:0:once-0', '0:1:once-1', '0:2:once-2']);
    });

    scenario('twin-only (injected fault): kafkajs does not retry EndTxn: a commit refused with NOT_COORDINATOR rejects, and the coordinator aborts the transaction on its timeout', async (c) => {
      const admin = await adminOf(c);
      const topic = await createTopic(c, admin, { topic: c.name('txf-endtxn'), numPartitions: 1 });
      const producer = await transactionalProducerOf(c, c.name('txf-endtxn-id'), { transactionTimeout: 1000 });
      const tx = await producer.transaction();
      await tx.send({ topic, messages: messages(2, 'stuck') });
      c.injectFault!({ api: 'EndTxn', error: 'NOT_COORDINATOR', count: 1 });
      expect(await rejectionOf(tx.commit())).to.deep.equal({ name: 'KafkaJSProtocolError', type: 'NOT_COORDINATOR_FOR_GROUP', retriable: true });
      expect(tx.isActive()).to.equal(false);
      expect(await latestOffsets(admin, topic)).to.deep.equal(['0']);
      await waitForLatest(c, admin, topic, ['3']);
      const committed = await record(c, { groupId: c.name('txf-endtxn-rc'), topics: [topic], fromBeginning: true });
      const fetches = committed.fetches() + 3;
      await c.waitUntil(() => committed.fetches() >= fetches, { message: '3 more fetches' });
      await c.settle();
      expect(committed.seen).to.deep.equal([]);
    });
  });
}
