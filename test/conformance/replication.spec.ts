/**
 * Conformance: replication on three brokers. Replica placement, acks=all against the ISR, broker
 * stops and restarts, no loss of acknowledged messages. Every scenario here needs three brokers
 * (`@3brokers`: `npm run test:kafka:3` against real Kafka).
 */
import { expect } from 'chai';
import type { PartitionMetadata } from 'kafkajs';
import type { Admin } from '../../client/interface.js';
import { adminOf, createTopic, messages, producerOf, record, rejectionOf, waitForLeaders } from './helpers.js';
import { conformance, scenario, type Control } from './targets.js';

/**
 * A topic's partitions, sorted by id. The admin asks a random broker, whose metadata can lag the
 * controller's for a moment (UNKNOWN_TOPIC_OR_PARTITION for a new topic): asked again until it answers.
 */
async function partitionsOf(c: Control, admin: Admin, topic: string): Promise<PartitionMetadata[]> {
  let listed: PartitionMetadata[] = [];
  await c.waitUntil(
    async () => {
      listed = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions;
      return true;
    },
    { message: `metadata of ${topic}` },
  );
  return [...listed].sort((a, b) => a.partitionId - b.partitionId);
}

/** Waits until every partition of `topic` has all its replicas in sync again. */
async function waitForFullIsr(c: Control, admin: Admin, topic: string): Promise<void> {
  await c.waitUntil(async () => (await partitionsOf(c, admin, topic)).every((p) => p.isr.length === p.replicas.length && p.leader >= 0), {
    message: `every replica of ${topic} back in sync`,
  });
}

const three = { brokers: 3 as const, timeout: 180_000 };

conformance('replication (three brokers)', () => {
  scenario(
    'replication factor 3: three distinct replicas per partition, all in sync, the leader among them, leaders spread',
    async (c) => {
      const admin = await adminOf(c);
      const topic = await createTopic(c, admin, { topic: c.name('rf3'), numPartitions: 3, replicationFactor: 3 });
      const ps = await partitionsOf(c, admin, topic);
      for (const p of ps) {
        expect([...p.replicas].sort()).to.deep.equal([1, 2, 3]);
        expect([...p.isr].sort()).to.deep.equal([1, 2, 3]);
        expect(p.replicas).to.include(p.leader);
        expect(p.leader).to.equal(p.replicas[0]);
        expect(p.offlineReplicas).to.deep.equal([]);
        expect(p.partitionErrorCode).to.equal(0);
      }
      expect(new Set(ps.map((p) => p.leader)).size).to.equal(3);
    },
    three,
  );

  scenario(
    "an explicit replica assignment is kept: the first replica leads, and metadata lists the partitions in the broker's order",
    async (c) => {
      const admin = await adminOf(c);
      const topic = c.name('assigned');
      const replicaAssignment = [
        { partition: 0, replicas: [2, 3, 1] },
        { partition: 1, replicas: [3, 1, 2] },
        { partition: 2, replicas: [1, 2, 3] },
        { partition: 3, replicas: [2, 1, 3] },
      ];
      await admin.createTopics({ waitForLeaders: false, topics: [{ topic, replicaAssignment }] });
      await waitForFullIsr(c, admin, topic);
      let listed: PartitionMetadata[] = [];
      await c.waitUntil(async () => (listed = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions).length === 4, {
        message: `metadata of ${topic}`,
      });
      expect(listed.map((p) => [p.partitionId, p.leader, p.replicas, p.isr])).to.deep.equal([
        [2, 1, [1, 2, 3], [1, 2, 3]],
        [3, 2, [2, 1, 3], [2, 1, 3]],
        [1, 3, [3, 1, 2], [3, 1, 2]],
        [0, 2, [2, 3, 1], [2, 3, 1]],
      ]);
    },
    three,
  );

  scenario(
    'acks=all with fewer in-sync replicas than min.insync.replicas fails with NOT_ENOUGH_REPLICAS; acks=1 writes, but the high watermark waits for the ISR',
    async (c) => {
      const admin = await adminOf(c);
      const topic = await createTopic(c, admin, {
        topic: c.name('minisr'),
        numPartitions: 1,
        replicationFactor: 3,
        configEntries: [
          { name: 'min.insync.replicas', value: '3' },
          { name: 'max.message.bytes', value: '1000' },
        ],
      });
      const producer = await producerOf(c, { retry: { retries: 1, initialRetryTime: 100 } });
      expect((await producer.send({ topic, messages: [{ value: 'all-in-sync' }] }))[0]!.baseOffset).to.equal('0');
      // Stop a follower: the partition keeps its leader, its ISR shrinks to two.
      const leader = (await partitionsOf(c, admin, topic))[0]!.leader;
      const stopped = [1, 2, 3].find((b) => b !== leader)!;
      await c.stopBroker(stopped);
      await c.waitUntil(async () => (await partitionsOf(c, admin, topic))[0]!.isr.length === 2, { message: 'the ISR to shrink to two' });
      const error = await rejectionOf(producer.send({ topic, acks: -1, messages: [{ value: 'needs-three' }] }));
      expect(error).to.deep.equal({
        name: 'KafkaJSNumberOfRetriesExceeded',
        retriable: false,
        cause: { name: 'KafkaJSProtocolError', type: 'NOT_ENOUGH_REPLICAS', retriable: true },
      });
      // The ISR is checked before the batch: an oversize message gets NOT_ENOUGH_REPLICAS too.
      expect(await rejectionOf(producer.send({ topic, acks: -1, messages: [{ value: 'x'.repeat(2000) }] }))).to.deep.equal({
        name: 'KafkaJSNumberOfRetriesExceeded',
        retriable: false,
        cause: { name: 'KafkaJSProtocolError', type: 'NOT_ENOUGH_REPLICAS', retriable: true },
      });
      expect(await rejectionOf(producer.send({ topic, acks: 1, messages: [{ value: 'x'.repeat(2000) }] }))).to.deep.equal({
        name: 'KafkaJSProtocolError',
        type: 'MESSAGE_TOO_LARGE',
        retriable: false,
      });
      const [one] = await producer.send({ topic, acks: 1, messages: [{ value: 'leader-only' }] });
      expect(one!.baseOffset).to.equal('1');
      // Written, but below min.insync.replicas the high watermark stays (Kafka 3.7+): nobody can read it yet.
      await c.sleep(2000);
      expect((await admin.fetchTopicOffsets(topic))[0]!.high).to.equal('1');
      await c.startBroker(stopped);
      await c.waitUntil(async () => (await admin.fetchTopicOffsets(topic))[0]!.high === '2', { message: 'the high watermark at 2 once the ISR is whole' });
    },
    three,
  );

  scenario(
    'stopping the leader loses no acknowledged message; a running consumer reads them all, in order',
    async (c) => {
      const admin = await adminOf(c);
      const topic = await createTopic(c, admin, {
        topic: c.name('failover'),
        numPartitions: 1,
        replicationFactor: 3,
        configEntries: [{ name: 'min.insync.replicas', value: '2' }],
      });
      const r = await record(c, { groupId: c.name('failover-g'), topics: [topic], fromBeginning: true });
      const producer = await producerOf(c);
      const acked: string[] = [];
      for (let i = 0; i < 20; i++) {
        await producer.send({ topic, acks: -1, messages: [{ value: `m${i}` }] });
        acked.push(`m${i}`);
      }
      const leader = (await partitionsOf(c, admin, topic))[0]!.leader;
      await c.stopBroker(leader);
      for (let i = 20; i < 40; i++) {
        await producer.send({ topic, acks: -1, messages: [{ value: `m${i}` }] });
        acked.push(`m${i}`);
      }
      const after = (await partitionsOf(c, admin, topic))[0]!;
      expect(after.leader).not.to.equal(leader);
      expect(after.isr).not.to.include(leader);
      await c.waitUntil(() => new Set(r.values()).size === 40, { message: 'all forty messages at the consumer', timeoutMs: 90_000 });
      // Duplicates may come with a retry; what was acknowledged is all there, in order.
      const unique = r.values().filter((v, i, all) => all.indexOf(v) === i);
      expect(unique).to.deep.equal(acked);
      // A fresh reader from the beginning sees the same log.
      const fresh = await record(c, { groupId: c.name('failover-h'), topics: [topic], fromBeginning: true });
      await c.waitUntil(() => new Set(fresh.values()).size === 40, { message: 'the whole log again', timeoutMs: 90_000 });
      expect(fresh.values().filter((v, i, all) => all.indexOf(v) === i)).to.deep.equal(acked);
    },
    three,
  );

  scenario(
    'a stopped broker leaves the ISR and the broker list; started again, it catches up and rejoins the ISR',
    async (c) => {
      const admin = await adminOf(c);
      const topic = await createTopic(c, admin, { topic: c.name('restart'), numPartitions: 2, replicationFactor: 3 });
      const producer = await producerOf(c);
      await producer.send({ topic, messages: messages(10, 'before') });
      await c.stopBroker(2);
      // On real Kafka the ISR change and broker 2's fencing (its replicas offline) reach the metadata in separate updates.
      // Each broker answers metadata from its own cache, so a second request may reach one that has
      // not caught up yet: the checks below look at the answer that showed the change.
      let down: PartitionMetadata[] = [];
      await c.waitUntil(
        async () => {
          down = await partitionsOf(c, admin, topic);
          return down.every((p) => !p.isr.includes(2) && (p.offlineReplicas ?? []).includes(2));
        },
        { message: 'broker 2 out of every ISR and offline' },
      );
      for (const p of down) {
        expect([...p.isr].sort()).to.deep.equal([1, 3]);
        expect(p.leader).not.to.equal(2);
        expect([...p.replicas].sort()).to.deep.equal([1, 2, 3]);
        expect(p.offlineReplicas).to.deep.equal([2]);
      }
      // (Right after an election a broker can answer metadata with LEADER_NOT_AVAILABLE for a moment.)
      await c.waitUntil(
        async () =>
          (await admin.describeCluster()).brokers
            .map((b) => b.nodeId)
            .sort()
            .join() === '1,3',
        { message: 'brokers 1 and 3 listed' },
      );
      await producer.send({ topic, messages: messages(10, 'while-down') });
      await c.startBroker(2);
      await waitForFullIsr(c, admin, topic);
      await c.waitUntil(
        async () =>
          (await admin.describeCluster()).brokers
            .map((b) => b.nodeId)
            .sort()
            .join() === '1,2,3',
        { message: 'all three brokers listed' },
      );
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.reduce((n, o) => n + Number(o.high), 0)).to.equal(20);
    },
    three,
  );

  scenario(
    'a stopped broker still counts for placement: replication factor 3 puts it last, offline, out of the ISR; 2 avoids it; 4 is too many',
    async (c) => {
      const admin = await adminOf(c);
      await c.stopBroker(3);
      await c.waitUntil(async () => (await admin.describeCluster()).brokers.length === 2, { message: 'broker 3 gone from the cluster' });
      const rf3 = await createTopic(c, admin, { topic: c.name('rf3-down'), numPartitions: 3, replicationFactor: 3 });
      for (const p of await partitionsOf(c, admin, rf3)) {
        expect(p.replicas[2]).to.equal(3);
        expect([...p.isr].sort()).to.deep.equal([1, 2]);
        expect(p.offlineReplicas).to.deep.equal([3]);
        expect(p.leader).to.equal(p.replicas[0]);
      }
      await admin.createPartitions({ topicPartitions: [{ topic: rf3, count: 5 }] });
      await waitForLeaders(c, admin, rf3, 5);
      for (const p of await partitionsOf(c, admin, rf3)) expect(p.replicas[2]).to.equal(3);
      const rf2 = await createTopic(c, admin, { topic: c.name('rf2-down'), numPartitions: 4, replicationFactor: 2 });
      for (const p of await partitionsOf(c, admin, rf2)) expect([...p.replicas].sort()).to.deep.equal([1, 2]);
      const error = await rejectionOf(admin.createTopics({ waitForLeaders: false, topics: [{ topic: c.name('rf4'), replicationFactor: 4 }] }));
      expect(error).to.deep.equal({
        name: 'KafkaJSAggregateError',
        errors: [{ name: 'KafkaJSCreateTopicError', type: 'INVALID_REPLICATION_FACTOR', retriable: false }],
      });
    },
    three,
  );

  scenario(
    "an offline partition anywhere fails the admin's all-topic metadata calls with LEADER_NOT_AVAILABLE (kafkajs), until its broker is back",
    async (c) => {
      const setup = await adminOf(c);
      const offline = c.name('offline');
      const healthy = await createTopic(c, setup, { topic: c.name('healthy'), numPartitions: 1, replicationFactor: 2 });
      await setup.createTopics({ waitForLeaders: false, topics: [{ topic: offline, replicaAssignment: [{ partition: 0, replicas: [3] }] }] });
      await waitForLeaders(c, setup, offline, 1);
      try {
        await c.stopBroker(3);
        // Fresh clients: kafkajs's answers depend on what a client has cached.
        const fresh = () => {
          const admin = c.kafka.admin({ retry: { retries: 1, initialRetryTime: 100 } });
          return admin.connect().then(() => admin);
        };
        const unavailable = {
          name: 'KafkaJSNumberOfRetriesExceeded',
          retriable: false,
          cause: { name: 'KafkaJSProtocolError', type: 'LEADER_NOT_AVAILABLE', retriable: true },
        };
        let admin = await fresh();
        await c.waitUntil(async () => (await rejectionOf(admin.describeCluster())).cause?.type === 'LEADER_NOT_AVAILABLE', {
          message: 'the partition offline',
        });
        expect(await rejectionOf(admin.describeCluster())).to.deep.equal(unavailable);
        expect(await rejectionOf(admin.listTopics())).to.deep.equal(unavailable);
        expect(await rejectionOf(admin.fetchTopicMetadata())).to.deep.equal(unavailable);
        admin = await fresh();
        expect(await rejectionOf(admin.fetchTopicMetadata({ topics: [offline] }))).to.deep.equal(unavailable);
        admin = await fresh();
        const { topics } = await admin.fetchTopicMetadata({ topics: [healthy] });
        expect(topics.map((t) => t.name)).to.deep.equal([healthy]);
        await c.startBroker(3);
        admin = await fresh();
        await c.waitUntil(async () => (await admin.describeCluster()).brokers.length === 3, { message: 'the cluster whole again' });
        expect(await admin.listTopics()).to.include(offline);
      } finally {
        // Real Kafka is shared by the scenarios of a run: no offline partition may outlive this one.
        await c.startBroker(3);
        await setup.deleteTopics({ topics: [offline] });
      }
    },
    three,
  );
});
