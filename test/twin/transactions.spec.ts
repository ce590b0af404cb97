import { expect } from 'chai';
import type { EachMessagePayload, Transaction } from 'kafkajs';
import { Cluster } from '../../src/index.js';
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from '../../protocol/errors.js';

type Kafka = ReturnType<Cluster['kafka']>;

/** `n` messages with values `prefix-0`, `prefix-1`, ... */
function values(n: number, prefix = 'v'): { value: string }[] {
  return Array.from({ length: n }, (_, i) => ({ value: `${prefix}-${i}` }));
}

function setup(options: { partitions?: number; brokers?: number; config?: Record<string, number | string | boolean> } = {}) {
  const cluster = new Cluster({ clock: 'virtual', seed: 11, startTime: 0, brokers: options.brokers ?? 1, config: { 'group.initial.rebalance.delay.ms': 0, ...options.config } });
  cluster.createTopic({ topic: 't', numPartitions: options.partitions ?? 1, replicationFactor: Math.min(options.brokers ?? 1, 3) });
  const kafka = cluster.kafka({ clientId: 'app' });
  return { cluster, kafka };
}

async function transactional(kafka: Kafka, transactionalId = 'tx', config: { transactionTimeout?: number; idempotent?: boolean } = {}) {
  const producer = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true, ...config });
  await producer.connect();
  return producer;
}

/** A consumer of 't' from the beginning recording `partition:offset:value`. */
async function recorder(kafka: Kafka, groupId: string, readUncommitted = false) {
  const seen: string[] = [];
  const consumer = kafka.consumer({ groupId, readUncommitted });
  await consumer.connect();
  await consumer.subscribe({ topics: ['t'], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }: EachMessagePayload) => {
      seen.push(`${partition}:${message.offset}:${message.value!.toString()}`);
    },
  });
  return { consumer, seen };
}

/** Lets the coordinator write the markers of a transaction just ended, and consumers catch up. */
async function settle(cluster: Cluster): Promise<void> {
  await cluster.advance(1);
  await cluster.idle();
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('twin client: transactions', () => {
  it('commit: read_committed consumers see the records only once committed; the marker takes an offset', async () => {
    const { cluster, kafka } = setup();
    const producer = await transactional(kafka);
    const committed = await recorder(kafka, 'rc');
    const uncommitted = await recorder(kafka, 'ru', true);
    const tx = await producer.transaction();
    expect(tx.isActive()).to.equal(true);
    const [meta] = await tx.send({ topic: 't', messages: values(3, 'c') });
    expect(meta!.baseOffset).to.equal('0');
    await cluster.idle();
    expect(committed.seen).to.deep.equal([]);
    expect(uncommitted.seen).to.deep.equal(['0:0:c-0', '0:1:c-1', '0:2:c-2']);
    const admin = kafka.admin();
    await admin.connect();
    // kafkajs's admin asks ListOffsets with READ_COMMITTED: the open transaction holds `latest` at its first offset.
    expect((await admin.fetchTopicOffsets('t')).map((p) => p.high)).to.deep.equal(['0']);
    await tx.commit();
    expect(tx.isActive()).to.equal(false);
    await settle(cluster);
    expect(committed.seen).to.deep.equal(['0:0:c-0', '0:1:c-1', '0:2:c-2']);
    expect((await admin.fetchTopicOffsets('t')).map((p) => p.high)).to.deep.equal(['4']);
    const types = cluster.events().map((e) => e.type).filter((t) => t.startsWith('txn-'));
    expect(types).to.deep.equal(['txn-begin', 'txn-marker-written', 'txn-commit']);
  });

  it('abort: read_committed never sees the records, read_uncommitted does; the next transaction of the producer commits', async () => {
    const { cluster, kafka } = setup();
    const producer = await transactional(kafka);
    const first = await producer.transaction();
    await first.sendBatch({ topicMessages: [{ topic: 't', messages: values(2, 'aborted') }] });
    await first.abort();
    const second = await producer.transaction();
    const [meta] = await cluster.drive(second.send({ topic: 't', messages: values(1, 'kept') }));
    expect(meta!.baseOffset).to.equal('3');
    await second.commit();
    await cluster.advance(1);
    const committed = await recorder(kafka, 'rc');
    const uncommitted = await recorder(kafka, 'ru', true);
    await settle(cluster);
    expect(committed.seen).to.deep.equal(['0:3:kept-0']);
    expect(uncommitted.seen).to.deep.equal(['0:0:aborted-0', '0:1:aborted-1', '0:3:kept-0']);
  });

  it('sendOffsets: the group offsets are committed with the transaction, and not by an aborted one', async () => {
    const { cluster, kafka } = setup();
    cluster.createTopic({ topic: 'in', numPartitions: 2 });
    const producer = await transactional(kafka);
    const aborted = await producer.transaction();
    await aborted.send({ topic: 't', messages: values(1, 'x') });
    await aborted.sendOffsets({ consumerGroupId: 'g', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '5' }] }] });
    await aborted.abort();
    await cluster.advance(1);
    expect(cluster.groups.offsetFetch({ groupId: 'g', topics: [{ topic: 'in', partitions: [0, 1] }] })[0]!.partitions.map((p) => p.offset)).to.deep.equal([-1, -1]);
    const tx = await producer.transaction();
    await tx.sendOffsets({ consumerGroupId: 'g', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '7' }, { partition: 1, offset: '2' }] }] });
    // Offsets alone make a transaction: EndTxn is sent.
    await tx.commit();
    await cluster.advance(1);
    expect(cluster.groups.offsetFetch({ groupId: 'g', topics: [{ topic: 'in', partitions: [0, 1] }] })[0]!.partitions.map((p) => p.offset)).to.deep.equal([7, 2]);
  });

  it("kafkajs's state machine errors: one transaction at a time, nothing after its end, no transaction without a transactional id", async () => {
    const { kafka } = setup();
    const plain = kafka.producer();
    await plain.connect();
    const noId = await rejectionOf(plain.transaction());
    expect(noId).to.be.instanceOf(KafkaJSNonRetriableError);
    expect(noId.message).to.equal('Must provide transactional id for transactional producer');
    expect(plain.isIdempotent()).to.equal(false);

    const producer = await transactional(kafka);
    expect(producer.isIdempotent()).to.equal(true);
    const tx: Transaction = await producer.transaction();
    const twice = await rejectionOf(producer.transaction());
    expect(twice.message).to.equal('There is already an ongoing transaction for this producer. Please end the transaction before beginning another.');
    await tx.send({ topic: 't', messages: values(1) });
    await tx.commit();
    for (const late of [tx.commit(), tx.abort(), tx.send({ topic: 't', messages: values(1) }), tx.sendOffsets({ consumerGroupId: 'g', topics: [] })]) {
      const e = await rejectionOf(late);
      expect(e).to.be.instanceOf(KafkaJSNonRetriableError);
      expect(e.message).to.equal('Cannot continue to use transaction once ended');
    }
    // An empty transaction ends without EndTxn.
    const empty = await producer.transaction();
    await empty.abort();
    expect(empty.isActive()).to.equal(false);
  });

  it('a second producer with the same transactional id fences the first: its writes and its commit fail with INVALID_PRODUCER_EPOCH', async () => {
    const { cluster, kafka } = setup();
    const zombie = await transactional(kafka, 'shared');
    const zombieTx = await zombie.transaction();
    await zombieTx.send({ topic: 't', messages: values(1, 'zombie') });
    const successor = await transactional(kafka, 'shared');
    // The successor's InitProducerId aborts the zombie's transaction: CONCURRENT_TRANSACTIONS, retried, until its markers are written.
    const tx = await cluster.drive(successor.transaction());
    const send = await rejectionOf(zombieTx.send({ topic: 't', messages: values(1, 'late') }));
    expect(send).to.be.instanceOf(KafkaJSProtocolError);
    expect((send as InstanceType<typeof KafkaJSProtocolError>).type).to.equal('INVALID_PRODUCER_EPOCH');
    const commit = await rejectionOf(zombieTx.commit());
    expect((commit as InstanceType<typeof KafkaJSProtocolError>).type).to.equal('INVALID_PRODUCER_EPOCH');
    await tx.send({ topic: 't', messages: values(1, 'successor') });
    await tx.commit();
    const committed = await recorder(kafka, 'rc');
    await settle(cluster);
    expect(committed.seen).to.deep.equal(['0:2:successor-0']);
    expect(cluster.events().some((e) => e.type === 'txn-abort')).to.equal(true);
  });
});
