/**
 * Coordinator placement and failover: requests to a broker that is not the coordinator get
 * NOT_COORDINATOR, a partition without a leader COORDINATOR_NOT_AVAILABLE, an unreachable broker
 * no answer; when the leader of a `__transaction_state` partition moves, its transactions move
 * with it and the new coordinator writes the markers still pending, at its own epoch.
 */
import { expect } from 'chai';
import { describeTransactions, endTxn, findTransactionCoordinator, initProducerId, TxnErrors } from '../../emulator/transactions/index.js';
import { sendMarkers } from '../../emulator/transactions/markers.js';
import { partitionForGroup } from '../../protocol/hashing.js';
import { FakeBroker, TestProducer } from './fake-port.js';

function setup(): { b: FakeBroker; p: TestProducer; partition: number; leader: number; other: number } {
  const b = new FakeBroker();
  b.topics.set('orders', 3);
  const p = new TestProducer(b, 'tx');
  p.init();
  const partition = partitionForGroup('tx', 5);
  const leader = findTransactionCoordinator(b.coordinator, { transactionalId: 'tx' }).nodeId;
  return { b, p, partition, leader, other: leader === 1 ? 2 : 1 };
}

const stateOf = (b: FakeBroker): string => describeTransactions(b.coordinator, { transactionalIds: ['tx'] }).transactionStates[0]!.transactionState;

describe('transactions: placement and failover', () => {
  it("answers NOT_COORDINATOR from a broker that does not lead the id's partition", () => {
    const { b, p, leader, other } = setup();
    const ids = { transactionalId: 'tx', producerId: p.producerId, producerEpoch: p.epoch };
    expect(initProducerId(b.coordinator, { transactionalId: 'tx', transactionTimeoutMs: 1000, broker: other }).errorCode).to.equal(TxnErrors.NOT_COORDINATOR);
    expect(endTxn(b.coordinator, { ...ids, committed: true, broker: other }).errorCode).to.equal(TxnErrors.NOT_COORDINATOR);
    expect(endTxn(b.coordinator, { ...ids, committed: true, broker: leader }).errorCode).to.equal(TxnErrors.INVALID_TXN_STATE);
    const described = describeTransactions(b.coordinator, { transactionalIds: ['tx'], broker: other }).transactionStates[0]!;
    expect(described.errorCode).to.equal(TxnErrors.NOT_COORDINATOR);
  });

  it('gives no answer from a stopped broker, and routes past it once the partition moves', () => {
    const { b, partition, leader, other } = setup();
    b.brokerList.find((x) => x.nodeId === leader)!.status = 'stopped';
    const answer = initProducerId(b.coordinator, { transactionalId: 'tx', transactionTimeoutMs: 1000 });
    expect(answer.errorCode).to.equal(TxnErrors.NETWORK_EXCEPTION);
    b.moveLeader(partition, other);
    expect(initProducerId(b.coordinator, { transactionalId: 'tx', transactionTimeoutMs: 1000 }).errorCode).to.equal(TxnErrors.NONE);
    expect(() => initProducerId(b.coordinator, { transactionalId: 'tx', transactionTimeoutMs: 1000, broker: 9 })).to.throw(RangeError, 'unknown broker 9');
  });

  it('keeps an Ongoing transaction across a move; the new coordinator completes it', async () => {
    const { b, p, partition, leader, other } = setup();
    p.add('orders', [0, 1]);
    b.moveLeader(partition, other);
    expect(b.eventsOf('txn-coordinator-moved')).to.deep.equal([
      { type: 'txn-coordinator-moved', transactionalId: 'tx', partition, from: leader, to: other, coordinatorEpoch: 1, state: 'Ongoing' },
    ]);
    expect(stateOf(b)).to.equal('Ongoing');
    expect(
      endTxn(b.coordinator, { transactionalId: 'tx', producerId: p.producerId, producerEpoch: p.epoch, committed: true, broker: leader }).errorCode,
    ).to.equal(TxnErrors.NOT_COORDINATOR);
    expect(
      endTxn(b.coordinator, { transactionalId: 'tx', producerId: p.producerId, producerEpoch: p.epoch, committed: true, broker: other }).errorCode,
    ).to.equal(TxnErrors.NONE);
    await b.advance(0);
    expect(b.markers.map((m) => [m.partition, m.coordinatorEpoch])).to.deep.equal([
      [0, 1],
      [1, 1],
    ]);
    expect(stateOf(b)).to.equal('CompleteCommit');
  });

  it('stops writing markers when the partition loses its leader; the next leader writes those still pending, each once', async () => {
    const { b, p, partition, other } = setup();
    p.add('orders', [0, 1, 2]);
    b.refusing.add('orders-2');
    p.end(true);
    await b.advance(0);
    expect(b.markers.map((m) => m.partition)).to.deep.equal([0, 1]);
    b.moveLeader(partition, -1);
    expect(findTransactionCoordinator(b.coordinator, { transactionalId: 'tx' }).errorCode).to.equal(TxnErrors.COORDINATOR_NOT_AVAILABLE);
    expect(p.end(true)).to.equal(TxnErrors.COORDINATOR_NOT_AVAILABLE);
    b.refusing.clear();
    await b.advance(1_000);
    expect(b.markers.map((m) => m.partition)).to.deep.equal([0, 1]);
    expect(describeTransactions(b.coordinator, { transactionalIds: ['tx'] }).transactionStates[0]!.errorCode).to.equal(TxnErrors.COORDINATOR_NOT_AVAILABLE);
    expect(b.coordinator.get('tx')!.state).to.equal('PrepareCommit');
    b.moveLeader(partition, other);
    expect(b.markers.map((m) => [m.partition, m.coordinatorEpoch])).to.deep.equal([
      [0, 0],
      [1, 0],
      [2, 2],
    ]);
    expect(stateOf(b)).to.equal('CompleteCommit');
    expect(b.eventsOf('txn-commit')).to.have.length(1);
  });

  it('keeps the transactional ids of other partitions where they are', () => {
    const { b, partition } = setup();
    const elsewhere = ['a', 'b', 'c', 'd', 'e', 'f'].find((id) => partitionForGroup(id, 5) !== partition)!;
    new TestProducer(b, elsewhere).init();
    b.moveLeader(partition, -1);
    expect(describeTransactions(b.coordinator, { transactionalIds: [elsewhere] }).transactionStates[0]!.transactionState).to.equal('Empty');
    expect(b.eventsOf('txn-coordinator-moved').map((e) => e.transactionalId)).to.deep.equal(['tx']);
  });

  it('answers FindCoordinator from any reachable broker even when the coordinator is cut off from clients', () => {
    const { b, leader, other } = setup();
    b.brokerList.find((x) => x.nodeId === leader)!.status = 'isolated';
    const found = findTransactionCoordinator(b.coordinator, { transactionalId: 'tx', broker: other });
    expect([found.errorCode, found.nodeId]).to.deep.equal([TxnErrors.NONE, leader]);
    expect(findTransactionCoordinator(b.coordinator, { transactionalId: 'tx', broker: leader }).errorCode).to.equal(TxnErrors.NETWORK_EXCEPTION);
    expect(initProducerId(b.coordinator, { transactionalId: 'tx', transactionTimeoutMs: 1000 }).errorCode).to.equal(TxnErrors.NETWORK_EXCEPTION);
  });

  it('stops writing markers when a partition answers that a newer coordinator owns the transaction, until the next election', async () => {
    const { b, p, partition, other } = setup();
    p.add('orders', [0, 1]);
    b.answering.set('orders-1', TxnErrors.TRANSACTION_COORDINATOR_FENCED);
    p.end(false);
    await b.advance(1_000);
    expect(b.refused.map((m) => m.partition)).to.deep.equal([1]);
    expect(b.coordinator.get('tx')!.state).to.equal('PrepareAbort');
    b.answering.clear();
    b.moveLeader(partition, other);
    expect(b.markers.map((m) => [m.partition, m.commit])).to.deep.equal([
      [0, false],
      [1, false],
    ]);
    expect(stateOf(b)).to.equal('CompleteAbort');
  });

  it('treats a marker answer no broker gives (CORRUPT_MESSAGE) as a broken port', () => {
    const { b, p } = setup();
    p.add('orders', [0]);
    b.answering.set('orders-0', TxnErrors.CORRUPT_MESSAGE);
    p.end(true);
    // Sent directly rather than from the clock's timer, so the error reaches the test.
    expect(() => sendMarkers(b.coordinator, b.coordinator.get('tx')!)).to.throw('WriteTxnMarkers answered CORRUPT_MESSAGE (2) for orders-0');
  });
});
