/**
 * Unchanged kafkajs 2.2.4 running transactions over `cluster.wire()`: a transactional producer
 * (FindCoordinator key type 1, InitProducerId, AddPartitionsToTxn, transactional Produce,
 * AddOffsetsToTxn, TxnOffsetCommit, EndTxn, all at kafkajs's v1) and read_committed consumers
 * (Fetch isolation level 1: last stable offset and aborted transactions) against the engine.
 */
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import type { Cluster } from '../../src/index.js';
import { kafkaOver, realCluster } from './helpers.js';

type Kafka = InstanceType<typeof kafkajs.Kafka>;

/** Every value a read_committed (or read_uncommitted) consumer of `groupId` reads from `topic`, until `expected` have arrived. */
async function consumeAll(kafka: Kafka, topic: string, groupId: string, expected: number, readUncommitted = false): Promise<string[]> {
  const consumer = kafka.consumer({ groupId, readUncommitted, maxWaitTimeInMs: 50, sessionTimeout: 6000, heartbeatInterval: 500 });
  await consumer.connect();
  const seen: string[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${seen.length} of ${expected}: ${seen.join(',')}`)), 10000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.push(message.value!.toString());
            if (seen.length >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    // Anything past `expected` (an aborted record leaking through) would arrive in the same fetch.
    await new Promise((r) => setTimeout(r, 150));
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('wire server: kafkajs transactions over cluster.wire()', () => {
  let cluster: Cluster;
  afterEach(() => cluster.close());

  it('commits and aborts: read_committed consumers see only the committed records, read_uncommitted ones see all', async () => {
    cluster = realCluster({ brokers: 3 });
    cluster.createTopic({ topic: 'orders', numPartitions: 2, replicationFactor: 3 });
    const kafka = kafkaOver(cluster.wire());
    const producer = kafka.producer({ transactionalId: 'orders-tx', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const t1 = await producer.transaction();
      await t1.send({ topic: 'orders', messages: [{ partition: 0, value: 'c1' }, { partition: 1, value: 'c2' }] });
      await t1.commit();
      const t2 = await producer.transaction();
      await t2.send({ topic: 'orders', messages: [{ partition: 0, value: 'a1' }, { partition: 1, value: 'a2' }] });
      await t2.abort();
      const t3 = await producer.transaction();
      await t3.send({ topic: 'orders', messages: [{ partition: 0, value: 'c3' }] });
      await t3.commit();
    } finally {
      await producer.disconnect();
    }
    expect((await consumeAll(kafka, 'orders', 'committed-reader', 3)).sort()).to.deep.equal(['c1', 'c2', 'c3']);
    expect((await consumeAll(kafka, 'orders', 'dirty-reader', 5, true)).sort()).to.deep.equal(['a1', 'a2', 'c1', 'c2', 'c3']);
    const types = cluster.events().map((e) => e.type);
    expect(types.filter((t) => t === 'txn-commit')).to.have.length(2);
    expect(types.filter((t) => t === 'txn-abort')).to.have.length(1);
  });

  it('consume-transform-produce: sendOffsets commits the group offsets with the transaction, and not when it aborts', async () => {
    cluster = realCluster({ brokers: 3 });
    cluster.createTopic({ topic: 'in', numPartitions: 1, replicationFactor: 3 });
    cluster.createTopic({ topic: 'out', numPartitions: 1, replicationFactor: 3 });
    const kafka = kafkaOver(cluster.wire());
    const admin = kafka.admin();
    const producer = kafka.producer({ transactionalId: 'etl', idempotent: true, maxInFlightRequests: 1 });
    await Promise.all([admin.connect(), producer.connect()]);
    try {
      const aborted = await producer.transaction();
      await aborted.send({ topic: 'out', messages: [{ value: 'x' }] });
      await aborted.sendOffsets({ consumerGroupId: 'etl-group', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '5' }] }] });
      await aborted.abort();
      expect(await admin.fetchOffsets({ groupId: 'etl-group', topics: ['in'] })).to.deep.equal([{ topic: 'in', partitions: [{ partition: 0, offset: '-1', metadata: null }] }]);
      const committed = await producer.transaction();
      await committed.send({ topic: 'out', messages: [{ value: 'y' }] });
      await committed.sendOffsets({ consumerGroupId: 'etl-group', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '7' }] }] });
      await committed.commit();
      // The offsets land when the commit's markers are written, on the next cluster tick.
      let offsets;
      for (let i = 0; i < 50; i++) {
        offsets = await admin.fetchOffsets({ groupId: 'etl-group', topics: ['in'] });
        if (offsets[0]!.partitions[0]!.offset === '7') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(offsets![0]!.partitions[0]!.offset).to.equal('7');
    } finally {
      await Promise.all([admin.disconnect(), producer.disconnect()]);
    }
    expect(await consumeAll(kafka, 'out', 'out-reader', 1)).to.deep.equal(['y']);
  });

  it('fences: a second producer with the same transactional id fences the first, whose commit fails (INVALID_PRODUCER_EPOCH at kafkajs’s v1)', async () => {
    cluster = realCluster({ brokers: 1 });
    cluster.createTopic({ topic: 't' });
    const kafka = kafkaOver(cluster.wire());
    const zombie = kafka.producer({ transactionalId: 'shared', idempotent: true, maxInFlightRequests: 1 });
    const successor = kafka.producer({ transactionalId: 'shared', idempotent: true, maxInFlightRequests: 1 });
    await zombie.connect();
    await successor.connect();
    try {
      const old = await zombie.transaction();
      await old.send({ topic: 't', messages: [{ value: 'zombie' }] });
      // The successor's InitProducerId aborts the open transaction (CONCURRENT_TRANSACTIONS until its markers are written; kafkajs retries).
      const next = await successor.transaction();
      await next.send({ topic: 't', messages: [{ value: 'successor' }] });
      await next.commit();
      const error = await old.commit().then(
        () => undefined,
        (e: unknown) => e as { type?: string; name?: string },
      );
      expect(error, 'the zombie commit must fail').to.not.equal(undefined);
      expect(error!.type).to.equal('INVALID_PRODUCER_EPOCH');
    } finally {
      await Promise.all([zombie.disconnect(), successor.disconnect()]);
    }
    expect(await consumeAll(kafka, 't', 'reader', 1)).to.deep.equal(['successor']);
    expect(cluster.events().filter((e) => e.type === 'txn-abort').map((e) => (e as { reason: string }).reason)).to.deep.equal(['fenced']);
  });
});
