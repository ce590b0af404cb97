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

  it('transactionTimeout: the coordinator aborts a transaction left open; the producer then fails with INVALID_PRODUCER_EPOCH and stays in COMMITTING', async () => {
    const { cluster, kafka } = setup();
    const producer = await transactional(kafka, 'slow', { transactionTimeout: 1000 });
    const tx = await producer.transaction();
    await tx.send({ topic: 't', messages: values(2, 'slow') });
    // The coordinator looks for expired transactions every transaction.abort.timed.out.transaction.cleanup.interval.ms (10 s).
    await cluster.advance(10_001);
    const aborted = cluster.events().find((e) => e.type === 'txn-abort');
    expect(aborted).to.include({ transactionalId: 'slow', reason: 'timeout' });
    const send = await rejectionOf(tx.send({ topic: 't', messages: values(1, 'late') }));
    expect((send as InstanceType<typeof KafkaJSProtocolError>).type).to.equal('INVALID_PRODUCER_EPOCH');
    const commit = await rejectionOf(tx.commit());
    expect(commit).to.be.instanceOf(KafkaJSProtocolError);
    expect(commit.message).to.equal(
      "Producer attempted an operation with an old epoch. Either there is a newer producer with the same transactionalId, or the producer's transaction has been expired by the broker",
    );
    expect(tx.isActive()).to.equal(false);
    // As kafkajs: the failed EndTxn leaves the state machine in COMMITTING, which no method leaves.
    const again = await rejectionOf(producer.transaction());
    expect(again).to.be.instanceOf(KafkaJSNonRetriableError);
    expect(again.message).to.equal('Transaction state exception: Cannot call "beginTransaction" in state "COMMITTING"');
    const committed = await recorder(kafka, 'rc');
    await settle(cluster);
    expect(committed.seen).to.deep.equal([]);
  });

  it('retries CONCURRENT_TRANSACTIONS on InitProducerId with the client retry policy, and gives up after its retries', async () => {
    const { cluster, kafka } = setup();
    const producer = await transactional(kafka, 'busy');
    cluster.injectFault({ api: 'InitProducerId', error: 'CONCURRENT_TRANSACTIONS', count: 2 });
    const before = cluster.now();
    const tx = await cluster.drive(producer.transaction());
    expect(cluster.faults()).to.deep.equal([]);
    // Two backoffs of kafkajs's retrier (300 ms, then about 600 ms, with jitter).
    expect(cluster.now() - before).to.be.within(240 + 2 * 240 * 0.8, 360 + 2 * 360 * 1.2);
    await tx.send({ topic: 't', messages: values(1) });
    await tx.commit();

    const impatient = cluster.kafka({ clientId: 'impatient', retry: { retries: 2, initialRetryTime: 10 } });
    cluster.injectFault({ api: 'InitProducerId', error: 'CONCURRENT_TRANSACTIONS', count: 3 });
    const other = impatient.producer({ transactionalId: 'other' });
    await other.connect();
    const error = await rejectionOf(cluster.drive(other.transaction()));
    expect(error.name).to.equal('KafkaJSNumberOfRetriesExceeded');
    expect((error as Error & { cause?: { type?: string } }).cause?.type).to.equal('CONCURRENT_TRANSACTIONS');
    // The producer id was never initialized: the next transaction() asks again.
    const tx2 = await cluster.drive(other.transaction());
    expect(tx2.isActive()).to.equal(true);
  });

  it('a send right after a commit retries the CONCURRENT_TRANSACTIONS of AddPartitionsToTxn until the markers are written', async () => {
    const { cluster, kafka } = setup();
    const producer = await transactional(kafka);
    const first = await producer.transaction();
    await first.send({ topic: 't', messages: values(1, 'a') });
    await first.commit();
    const second = await producer.transaction();
    const before = cluster.now();
    const [meta] = await cluster.drive(second.send({ topic: 't', messages: values(1, 'b') }));
    expect(cluster.now()).to.be.greaterThan(before);
    expect(meta!.baseOffset).to.equal('2');
    await second.commit();
    const committed = await recorder(kafka, 'rc');
    await settle(cluster);
    expect(committed.seen).to.deep.equal(['0:0:a-0', '0:2:b-0']);
  });

  it('the transaction coordinator stops mid-transaction on a 3-broker cluster: the transaction goes on through the new coordinator and commits', async () => {
    const { cluster, kafka } = setup({ brokers: 3, partitions: 3 });
    const producer = await transactional(kafka, 'moving');
    const tx = await producer.transaction();
    await tx.sendBatch({ topicMessages: [{ topic: 't', messages: [0, 1, 2].map((partition) => ({ partition, value: `before-${partition}` })) }] });
    const coordinator = cluster.findTransactionCoordinator('moving').nodeId;
    cluster.stopBroker(coordinator);
    const moved = cluster.findTransactionCoordinator('moving').nodeId;
    expect(moved).to.not.equal(coordinator);
    await cluster.drive(tx.sendBatch({ topicMessages: [{ topic: 't', messages: [0, 1, 2].map((partition) => ({ partition, value: `after-${partition}` })) }] }));
    await cluster.drive(tx.commit());
    const committed = await recorder(kafka, 'rc');
    await settle(cluster);
    expect([...committed.seen].sort()).to.deep.equal(['0:0:before-0', '0:1:after-0', '1:0:before-1', '1:1:after-1', '2:0:before-2', '2:1:after-2']);
    expect(cluster.events().some((e) => e.type === 'txn-coordinator-moved')).to.equal(true);
  });

  it('producer.send outside a transaction on a transactional producer writes plain (idempotent) data, visible at once, as kafkajs', async () => {
    const { cluster, kafka } = setup();
    const producer = await transactional(kafka);
    const tx = await producer.transaction();
    await tx.send({ topic: 't', messages: values(1, 'inside') });
    await producer.send({ topic: 't', messages: values(1, 'outside') });
    const uncommitted = await recorder(kafka, 'ru', true);
    await cluster.idle();
    expect(uncommitted.seen).to.deep.equal(['0:0:inside-0', '0:1:outside-0']);
    await tx.commit();
    const committed = await recorder(kafka, 'rc');
    await settle(cluster);
    expect(committed.seen).to.deep.equal(['0:0:inside-0', '0:1:outside-0']);
    // Two producer ids: the idempotent one from connect(), the transactional one from transaction().
    const allocated = cluster.events().filter((e) => e.type === 'producer-id-allocated');
    expect(allocated.map((e) => (e as { transactionalId: string | null }).transactionalId)).to.deep.equal([null, 'tx']);
  });

  it("kafkajs's checks on sendOffsets and a refused EndTxn: an AssertionError without a group; NOT_COORDINATOR on commit is not retried and leaves COMMITTING", async () => {
    const { cluster, kafka } = setup();
    const producer = await transactional(kafka);
    const tx = await producer.transaction();
    const missing = await rejectionOf(tx.sendOffsets({ consumerGroupId: '', topics: [] }));
    expect(missing.name).to.equal('AssertionError');
    expect(missing.message).to.equal('Missing consumerGroupId');
    await tx.send({ topic: 't', messages: values(1) });
    cluster.injectFault({ api: 'EndTxn', error: 'NOT_COORDINATOR' });
    const refused = await rejectionOf(tx.commit());
    expect((refused as InstanceType<typeof KafkaJSProtocolError>).type).to.equal('NOT_COORDINATOR_FOR_GROUP');
    expect(tx.isActive()).to.equal(false);
    expect((await rejectionOf(tx.commit())).message).to.equal('Cannot continue to use transaction once ended');
  });

  it('consume-transform-produce: offsets sent by a transaction count as committed for a consumer of the same client, which commits nothing itself', async () => {
    const { cluster, kafka } = setup();
    cluster.createTopic({ topic: 'out' });
    const producer = kafka.producer({ createPartitioner: undefined });
    await producer.connect();
    await producer.send({ topic: 't', messages: values(4, 'in') });
    const processor = await transactional(kafka, 'processor');
    const consumer = kafka.consumer({ groupId: 'g' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }: EachMessagePayload) => {
        const tx = await processor.transaction();
        await tx.send({ topic: 'out', messages: [{ value: `${message.value!.toString()}!` }] });
        await tx.sendOffsets({ consumerGroupId: 'g', topics: [{ topic, partitions: [{ partition, offset: String(Number(message.offset) + 1) }] }] });
        await tx.commit();
      },
    });
    await cluster.idle();
    await cluster.advance(1);
    await cluster.idle();
    const commits = cluster.events().filter((e) => e.type === 'group-offsets-committed' && e.groupId === 'g');
    expect(commits.map((e) => (e as unknown as { offsets: { offset: number }[] }).offsets[0]!.offset)).to.deep.equal([1, 2, 3, 4]);
    // Each came with a transaction's commit marker; the consumer's own auto-commit had nothing to send.
    expect(commits.every((e) => (e as { producerId?: number }).producerId !== undefined)).to.equal(true);
  });
});
