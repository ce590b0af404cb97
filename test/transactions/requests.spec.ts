/**
 * The transaction requests one at a time against the coordinator over a fake broker:
 * InitProducerId (new ids, epoch bumps, KIP-360 recovery, epoch exhaustion), AddPartitionsToTxn's
 * per-partition errors, AddOffsetsToTxn and TxnOffsetCommit's held offsets, EndTxn's answers in
 * every state, and the markers that end a transaction.
 */
import { expect } from 'chai';
import {
  CONSUMER_OFFSETS_TOPIC,
  describeTransactions,
  findTransactionCoordinator,
  initProducerId,
  TRANSACTION_STATE_TOPIC,
  TxnErrors,
} from '../../emulator/transactions/index.js';
import { FakeBroker, OFFSETS_PARTITIONS, TestProducer } from './fake-port.js';
import { partitionForGroup } from '../../protocol/hashing.js';

function setup(): { b: FakeBroker; p: TestProducer } {
  const b = new FakeBroker();
  b.topics.set('orders', 3);
  b.topics.set('audit', 1);
  return { b, p: new TestProducer(b, 'tx-1') };
}

const stateOf = (b: FakeBroker, id: string): string => describeTransactions(b.coordinator, { transactionalIds: [id] }).transactionStates[0]!.transactionState;

describe('transactions: requests', () => {
  describe('FindCoordinator (key type 1)', () => {
    it("creates __transaction_state and answers the leader of the id's partition", () => {
      const { b } = setup();
      const answer = findTransactionCoordinator(b.coordinator, { transactionalId: 'tx-1' });
      expect(answer.errorCode).to.equal(TxnErrors.NONE);
      expect(b.topics.get(TRANSACTION_STATE_TOPIC)).to.equal(5);
      const partition = partitionForGroup('tx-1', 5);
      expect(answer.nodeId).to.equal(b.brokerList[partition % 3]!.nodeId);
      expect(answer.port).to.equal(b.brokerList[partition % 3]!.port);
    });

    it('answers INVALID_REQUEST for an empty id and COORDINATOR_NOT_AVAILABLE while the partition has no leader', () => {
      const { b } = setup();
      expect(findTransactionCoordinator(b.coordinator, { transactionalId: '' }).errorCode).to.equal(TxnErrors.INVALID_REQUEST);
      findTransactionCoordinator(b.coordinator, { transactionalId: 'tx-1' });
      b.moveLeader(partitionForGroup('tx-1', 5), -1);
      const answer = findTransactionCoordinator(b.coordinator, { transactionalId: 'tx-1' });
      expect(answer.errorCode).to.equal(TxnErrors.COORDINATOR_NOT_AVAILABLE);
      expect(answer.nodeId).to.equal(-1);
    });
  });

  describe('InitProducerId', () => {
    it('gives an idempotent producer (no transactional id) a new producer id at epoch 0', () => {
      const { b } = setup();
      const a = initProducerId(b.coordinator, { transactionalId: null, transactionTimeoutMs: 0 });
      const c = initProducerId(b.coordinator, { transactionalId: null, transactionTimeoutMs: 0 });
      expect([a.errorCode, a.producerEpoch, c.producerEpoch]).to.deep.equal([0, 0, 0]);
      expect(c.producerId).to.equal(a.producerId + 1);
      expect(b.eventsOf('producer-id-allocated').map((e) => e.transactionalId)).to.deep.equal([null, null]);
      expect(b.topics.has(TRANSACTION_STATE_TOPIC)).to.equal(false);
    });

    it('refuses an empty transactional id and a timeout outside (0, transaction.max.timeout.ms]', () => {
      const { b } = setup();
      expect(initProducerId(b.coordinator, { transactionalId: '', transactionTimeoutMs: 1000 }).errorCode).to.equal(TxnErrors.INVALID_REQUEST);
      for (const t of [0, -1, 900_001]) {
        const answer = initProducerId(b.coordinator, { transactionalId: 'x', transactionTimeoutMs: t });
        expect(answer.errorCode, `timeout ${t}`).to.equal(TxnErrors.INVALID_TRANSACTION_TIMEOUT);
        expect(answer.errorMessage).to.contain('transaction.max.timeout.ms');
        expect([answer.producerId, answer.producerEpoch]).to.deep.equal([-1, -1]);
      }
      expect(initProducerId(b.coordinator, { transactionalId: 'x', transactionTimeoutMs: 900_000 }).errorCode).to.equal(TxnErrors.NONE);
    });

    it('answers INVALID_REQUEST when only one of producer id and epoch is given', () => {
      const { b } = setup();
      const answer = initProducerId(b.coordinator, { transactionalId: 'x', transactionTimeoutMs: 1000, producerId: 5, producerEpoch: -1 });
      expect(answer.errorCode).to.equal(TxnErrors.INVALID_REQUEST);
    });

    it('draws a producer id for a new transactional id, then bumps the epoch on each init, fencing the previous one', () => {
      const { b, p } = setup();
      expect(p.init().errorCode).to.equal(TxnErrors.NONE);
      expect(p.epoch).to.equal(0);
      const first = p.producerId;
      expect(b.eventsOf('producer-id-allocated')).to.deep.equal([
        { type: 'producer-id-allocated', broker: b.coordinator.leaderOf(b.coordinator.partitionFor('tx-1')!), producerId: first, producerEpoch: 0, transactionalId: 'tx-1' },
      ]);
      expect(b.eventsOf('txn-fenced')).to.deep.equal([]);
      p.init();
      expect([p.producerId, p.epoch]).to.deep.equal([first, 1]);
      expect(b.eventsOf('txn-fenced')).to.deep.equal([
        { type: 'txn-fenced', transactionalId: 'tx-1', producerId: first, fencedEpoch: 0, producerEpoch: 1, newProducerId: first, reason: 'init' },
      ]);
    });

    it('lets a producer recover with its own id and epoch (KIP-360), and a retry of that keeps the epoch', () => {
      const { b, p } = setup();
      p.init();
      p.init();
      const stale = { id: p.producerId, epoch: p.epoch };
      expect(p.init({ recover: true }).producerEpoch).to.equal(2);
      // The answer was lost: the producer retries with the epoch it still holds (now the last epoch).
      const retry = initProducerId(b.coordinator, { transactionalId: 'tx-1', transactionTimeoutMs: 60_000, producerId: stale.id, producerEpoch: stale.epoch });
      expect([retry.errorCode, retry.producerEpoch]).to.deep.equal([TxnErrors.NONE, 2]);
      const older = initProducerId(b.coordinator, { transactionalId: 'tx-1', transactionTimeoutMs: 60_000, producerId: stale.id, producerEpoch: 0 });
      expect(older.errorCode).to.equal(TxnErrors.PRODUCER_FENCED);
      const v3 = initProducerId(b.coordinator, { transactionalId: 'tx-1', transactionTimeoutMs: 60_000, producerId: stale.id, producerEpoch: 0, version: 3 });
      expect(v3.errorCode).to.equal(TxnErrors.INVALID_PRODUCER_EPOCH);
      const otherId = initProducerId(b.coordinator, { transactionalId: 'tx-1', transactionTimeoutMs: 60_000, producerId: 1, producerEpoch: 0 });
      expect(otherId.errorCode).to.equal(TxnErrors.PRODUCER_FENCED);
    });

    it('draws a new producer id when the epochs run out, and answers a retry of that with the new id', function () {
      this.timeout(60_000);
      const { b, p } = setup();
      p.init();
      const first = p.producerId;
      while (p.epoch < 32766) expect(p.init().errorCode).to.equal(TxnErrors.NONE);
      expect(p.producerId).to.equal(first);
      const exhausted = { id: p.producerId, epoch: p.epoch };
      p.init({ recover: true });
      expect(p.producerId).to.not.equal(first);
      expect(p.epoch).to.equal(0);
      expect(b.eventsOf('producer-id-allocated').at(-1)).to.deep.equal({
        type: 'producer-id-allocated',
        broker: b.coordinator.leaderOf(b.coordinator.partitionFor('tx-1')!),
        producerId: p.producerId,
        producerEpoch: 0,
        transactionalId: 'tx-1',
      });
      const retry = initProducerId(b.coordinator, {
        transactionalId: 'tx-1',
        transactionTimeoutMs: 60_000,
        producerId: exhausted.id,
        producerEpoch: exhausted.epoch,
      });
      expect([retry.errorCode, retry.producerId, retry.producerEpoch]).to.deep.equal([TxnErrors.NONE, p.producerId, 0]);
    });
  });

  describe('AddPartitionsToTxn', () => {
    it('answers INVALID_PRODUCER_ID_MAPPING before InitProducerId and for another producer id', () => {
      const { p } = setup();
      expect(p.add('orders', [0])).to.equal(TxnErrors.INVALID_PRODUCER_ID_MAPPING);
      p.init();
      p.producerId += 1;
      expect(p.add('orders', [0])).to.equal(TxnErrors.INVALID_PRODUCER_ID_MAPPING);
    });

    it('answers UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist and OPERATION_NOT_ATTEMPTED for the others', () => {
      const { b, p } = setup();
      p.init();
      const answer = p.addAll([
        { topic: 'orders', partitions: [0, 7] },
        { topic: 'nope', partitions: [0] },
        { topic: 'audit', partitions: [0] },
      ]);
      expect(answer.results.map((t) => [t.topic, t.partitions.map((x) => [x.partition, x.errorCode])])).to.deep.equal([
        [
          'orders',
          [
            [0, TxnErrors.OPERATION_NOT_ATTEMPTED],
            [7, TxnErrors.UNKNOWN_TOPIC_OR_PARTITION],
          ],
        ],
        ['nope', [[0, TxnErrors.UNKNOWN_TOPIC_OR_PARTITION]]],
        ['audit', [[0, TxnErrors.OPERATION_NOT_ATTEMPTED]]],
      ]);
      expect(stateOf(b, 'tx-1')).to.equal('Empty');
    });

    it('starts the transaction once (txn-begin) and adds partitions while it is Ongoing', async () => {
      const { b, p } = setup();
      p.init();
      await b.advance(5);
      const start = b.clock.now();
      expect(p.add('orders', [0, 1])).to.equal(TxnErrors.NONE);
      expect(p.add('orders', [1])).to.equal(TxnErrors.NONE);
      expect(p.add('audit', [0])).to.equal(TxnErrors.NONE);
      expect(b.eventsOf('txn-begin')).to.have.length(1);
      expect(b.eventsOf('txn-begin')[0]!.partitions).to.deep.equal([
        { topic: 'orders', partition: 0 },
        { topic: 'orders', partition: 1 },
      ]);
      const d = describeTransactions(b.coordinator, { transactionalIds: ['tx-1'] }).transactionStates[0]!;
      expect(d.transactionState).to.equal('Ongoing');
      expect(d.topics).to.deep.equal([
        { topic: 'orders', partitions: [0, 1] },
        { topic: 'audit', partitions: [0] },
      ]);
      expect(d.transactionStartTimeMs).to.equal(start);
    });
  });

  describe('AddOffsetsToTxn and TxnOffsetCommit', () => {
    it("adds the group's __consumer_offsets partition and holds the offsets until the commit marker", async () => {
      const { b, p } = setup();
      p.init();
      expect(p.commitOffsets('g', 'orders', { 0: 5 })).to.equal(TxnErrors.INVALID_TXN_STATE);
      expect(p.addOffsets('g')).to.equal(TxnErrors.NONE);
      const offsetsPartition = partitionForGroup('g', OFFSETS_PARTITIONS);
      const d = describeTransactions(b.coordinator, { transactionalIds: ['tx-1'] }).transactionStates[0]!;
      expect(d.topics).to.deep.equal([{ topic: CONSUMER_OFFSETS_TOPIC, partitions: [offsetsPartition] }]);
      expect(p.commitOffsets('g', 'orders', { 0: 5, 1: 7 })).to.equal(TxnErrors.NONE);
      expect(p.commitOffsets('g', 'orders', { 0: 6 })).to.equal(TxnErrors.NONE);
      expect(p.end(true)).to.equal(TxnErrors.NONE);
      expect(b.handed).to.deep.equal([]);
      await b.advance(0);
      expect(b.handed).to.have.length(1);
      expect(b.handed[0]!.commit).to.equal(true);
      expect(b.handed[0]!.offsets.map((o) => [o.partition, o.offset])).to.deep.equal([
        [0, 6],
        [1, 7],
      ]);
      expect(b.markers.map((m) => [m.topic, m.partition, m.commit])).to.deep.equal([[CONSUMER_OFFSETS_TOPIC, offsetsPartition, true]]);
    });

    it("drops the held offsets with an abort, and passes on the group coordinator's refusal", async () => {
      const { b, p } = setup();
      p.init();
      p.addOffsets('g');
      b.groupCheck = { errorCode: 22, errorMessage: 'illegal generation' };
      expect(p.commitOffsets('g', 'orders', { 0: 5 })).to.equal(22);
      b.groupCheck = { errorCode: 0 };
      expect(p.commitOffsets('g', 'orders', { 0: 5 })).to.equal(TxnErrors.NONE);
      p.end(false);
      await b.advance(0);
      expect(b.handed.map((h) => [h.groupId, h.commit, h.offsets.length])).to.deep.equal([['g', false, 1]]);
    });

    it('refuses a stale epoch with INVALID_PRODUCER_EPOCH and an unknown producer with INVALID_PRODUCER_ID_MAPPING', () => {
      const { b, p } = setup();
      p.init();
      p.addOffsets('g');
      const zombie = new TestProducer(b, 'tx-1');
      zombie.producerId = p.producerId;
      zombie.epoch = p.epoch - 1;
      expect(zombie.commitOffsets('g', 'orders', { 0: 1 })).to.equal(TxnErrors.INVALID_PRODUCER_EPOCH);
      zombie.producerId = 1;
      expect(zombie.commitOffsets('g', 'orders', { 0: 1 })).to.equal(TxnErrors.INVALID_PRODUCER_ID_MAPPING);
    });
  });

  describe('EndTxn', () => {
    it('answers INVALID_TXN_STATE with no transaction under way', () => {
      const { p } = setup();
      p.init();
      expect(p.end(true)).to.equal(TxnErrors.INVALID_TXN_STATE);
      expect(p.end(false)).to.equal(TxnErrors.INVALID_TXN_STATE);
    });

    it('decides at once, writes a marker per partition, then completes; retries of the same result succeed', async () => {
      const { b, p } = setup();
      p.init();
      p.add('orders', [0, 2]);
      p.add('audit', [0]);
      expect(p.end(true)).to.equal(TxnErrors.NONE);
      expect(stateOf(b, 'tx-1')).to.equal('PrepareCommit');
      expect(b.markers).to.deep.equal([]);
      // The markers are being written: every request of this producer waits.
      expect(p.end(true)).to.equal(TxnErrors.CONCURRENT_TRANSACTIONS);
      expect(p.end(false)).to.equal(TxnErrors.CONCURRENT_TRANSACTIONS);
      expect(p.add('orders', [1])).to.equal(TxnErrors.CONCURRENT_TRANSACTIONS);
      expect(p.init().errorCode).to.equal(TxnErrors.CONCURRENT_TRANSACTIONS);
      await b.advance(0);
      expect(b.markers.map((m) => `${m.topic}-${m.partition}:${m.commit}@${m.producerEpoch}/${m.coordinatorEpoch}`)).to.deep.equal([
        'orders-0:true@0/0',
        'orders-2:true@0/0',
        'audit-0:true@0/0',
      ]);
      expect(stateOf(b, 'tx-1')).to.equal('CompleteCommit');
      expect(p.end(true)).to.equal(TxnErrors.NONE);
      expect(p.end(false)).to.equal(TxnErrors.INVALID_TXN_STATE);
      const [commit] = b.eventsOf('txn-commit');
      expect(commit!.partitions).to.have.length(3);
      expect(commit!.producerId).to.equal(p.producerId);
      // The next transaction starts from CompleteCommit.
      expect(p.add('orders', [1])).to.equal(TxnErrors.NONE);
      expect(p.end(false)).to.equal(TxnErrors.NONE);
      await b.advance(0);
      expect(p.end(false)).to.equal(TxnErrors.NONE);
      expect(p.end(true)).to.equal(TxnErrors.INVALID_TXN_STATE);
      expect(b.eventsOf('txn-abort').map((e) => [e.reason, e.partitions])).to.deep.equal([['client', [{ topic: 'orders', partition: 1 }]]]);
    });

    it('retries a marker a partition refused, after the backoff, and writes each marker once', async () => {
      const { b, p } = setup();
      p.init();
      p.add('orders', [0, 1]);
      b.refusing.add('orders-1');
      p.end(true);
      await b.advance(0);
      expect(b.markers.map((m) => m.partition)).to.deep.equal([0]);
      expect(stateOf(b, 'tx-1')).to.equal('PrepareCommit');
      await b.advance(100);
      expect(b.refused.map((m) => m.partition)).to.deep.equal([1, 1]);
      b.refusing.clear();
      await b.advance(100);
      expect(b.markers.map((m) => m.partition)).to.deep.equal([0, 1]);
      expect(stateOf(b, 'tx-1')).to.equal('CompleteCommit');
    });

    it('drops the marker of a partition whose topic was deleted', async () => {
      const { b, p } = setup();
      p.init();
      p.add('orders', [0]);
      p.add('audit', [0]);
      p.end(true);
      b.topics.delete('audit');
      await b.advance(0);
      expect(b.markers.map((m) => m.topic)).to.deep.equal(['orders']);
      expect(stateOf(b, 'tx-1')).to.equal('CompleteCommit');
    });

    it('maps PRODUCER_FENCED to INVALID_PRODUCER_EPOCH below v2 of AddPartitionsToTxn, AddOffsetsToTxn and EndTxn', () => {
      const { b, p } = setup();
      p.init();
      const zombie = new TestProducer(b, 'tx-1');
      zombie.producerId = p.producerId;
      zombie.epoch = p.epoch;
      p.init();
      expect([zombie.add('orders', [0], 1), zombie.add('orders', [0], 2)]).to.deep.equal([TxnErrors.INVALID_PRODUCER_EPOCH, TxnErrors.PRODUCER_FENCED]);
      expect([zombie.addOffsets('g', 1), zombie.addOffsets('g', 2)]).to.deep.equal([TxnErrors.INVALID_PRODUCER_EPOCH, TxnErrors.PRODUCER_FENCED]);
      expect([zombie.end(true, 1), zombie.end(true, 2)]).to.deep.equal([TxnErrors.INVALID_PRODUCER_EPOCH, TxnErrors.PRODUCER_FENCED]);
    });
  });
});
