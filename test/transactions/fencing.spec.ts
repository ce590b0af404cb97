/**
 * Zombie fencing and the coordinator's timers: a new producer with the same transactional id
 * fences the old one and aborts its transaction; a transaction past its timeout is fenced and
 * aborted on the cleanup schedule; an idle transactional id expires.
 */
import { expect } from 'chai';
import { describeTransactions, TxnErrors } from '../../emulator/transactions/index.js';
import { FakeBroker, TestProducer } from './fake-port.js';

function setup(settings: ConstructorParameters<typeof FakeBroker>[0] = {}): FakeBroker {
  const b = new FakeBroker(settings);
  b.topics.set('orders', 3);
  return b;
}

const describe1 = (b: FakeBroker, id: string) => describeTransactions(b.coordinator, { transactionalIds: [id] }).transactionStates[0]!;

describe('transactions: fencing', () => {
  it("a new producer aborts the old one's transaction (CONCURRENT_TRANSACTIONS until its markers are written) and fences it", async () => {
    const b = setup();
    const zombie = new TestProducer(b, 'tx');
    zombie.init();
    zombie.add('orders', [0, 1]);
    const fresh = new TestProducer(b, 'tx');
    expect(fresh.init().errorCode).to.equal(TxnErrors.CONCURRENT_TRANSACTIONS);
    expect(describe1(b, 'tx').transactionState).to.equal('PrepareAbort');
    expect(fresh.init().errorCode).to.equal(TxnErrors.CONCURRENT_TRANSACTIONS);
    // The zombie's requests now carry a fenced epoch.
    expect(zombie.end(true)).to.equal(TxnErrors.PRODUCER_FENCED);
    expect(zombie.add('orders', [2])).to.equal(TxnErrors.PRODUCER_FENCED);
    await b.advance(0);
    expect(b.markers.map((m) => [m.partition, m.commit, m.producerEpoch])).to.deep.equal([
      [0, false, 1],
      [1, false, 1],
    ]);
    expect(fresh.init().errorCode).to.equal(TxnErrors.NONE);
    expect(fresh.epoch).to.equal(2);
    expect(zombie.end(true, 1)).to.equal(TxnErrors.INVALID_PRODUCER_EPOCH);
    expect(zombie.end(false)).to.equal(TxnErrors.PRODUCER_FENCED);
    expect(zombie.init({ recover: true }).errorCode).to.equal(TxnErrors.PRODUCER_FENCED);
    expect(zombie.init({ recover: true, version: 3 }).errorCode).to.equal(TxnErrors.INVALID_PRODUCER_EPOCH);
    expect(b.eventsOf('txn-fenced').map((e) => [e.fencedEpoch, e.producerEpoch, e.reason])).to.deep.equal([
      [0, 1, 'init'],
      [1, 2, 'init'],
    ]);
    expect(b.eventsOf('txn-abort').map((e) => [e.reason, e.producerEpoch])).to.deep.equal([['fenced', 1]]);
    expect(b.eventsOf('txn-commit')).to.deep.equal([]);
  });

  it('aborts a transaction past its timeout on the cleanup schedule, with a bumped epoch', async () => {
    const b = setup();
    const p = new TestProducer(b, 'tx', 15_000);
    p.init();
    const started = b.clock.now();
    p.add('orders', [0]);
    await b.advance(10_000); // first check: 10 s into a 15 s timeout
    expect(describe1(b, 'tx').transactionState).to.equal('Ongoing');
    await b.advance(10_000); // second check, at 20 s
    expect(describe1(b, 'tx').transactionState).to.equal('CompleteAbort');
    expect(b.markers.map((m) => [m.partition, m.commit, m.producerEpoch])).to.deep.equal([[0, false, 1]]);
    expect(b.eventsOf('txn-timed-out')).to.deep.equal([
      { type: 'txn-timed-out', transactionalId: 'tx', producerId: p.producerId, producerEpoch: 0, transactionTimeoutMs: 15_000, startedAt: started },
    ]);
    expect(b.eventsOf('txn-fenced').map((e) => e.reason)).to.deep.equal(['timeout']);
    const [abort] = b.eventsOf('txn-abort');
    expect([abort!.reason, abort!.durationMs]).to.deep.equal(['timeout', 20_000]);
    // The producer finds out on its next request.
    expect(p.end(true)).to.equal(TxnErrors.PRODUCER_FENCED);
    expect(p.init({ recover: true }).errorCode).to.equal(TxnErrors.PRODUCER_FENCED);
    expect(p.init().errorCode).to.equal(TxnErrors.NONE);
    expect(p.epoch).to.equal(2);
  });

  it('checks timeouts every transaction.abort.timed.out.transaction.cleanup.interval.ms', async () => {
    const b = setup({ settings: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1_000 } });
    const p = new TestProducer(b, 'tx', 2_500);
    p.init();
    p.add('orders', [0]);
    await b.advance(2_000);
    expect(describe1(b, 'tx').transactionState).to.equal('Ongoing');
    await b.advance(1_000);
    expect(describe1(b, 'tx').transactionState).to.equal('CompleteAbort');
  });

  it('expires an idle transactional id after transactional.id.expiration.ms, but not one with a transaction under way', async () => {
    const b = setup({ settings: { 'transactional.id.expiration.ms': 60_000, 'transaction.remove.expired.transaction.cleanup.interval.ms': 10_000 } });
    const idle = new TestProducer(b, 'idle');
    const busy = new TestProducer(b, 'busy', 900_000);
    idle.init();
    busy.init();
    busy.add('orders', [0]);
    const first = idle.producerId;
    await b.advance(50_000);
    expect(describe1(b, 'idle').transactionState).to.equal('Empty');
    await b.advance(10_000);
    const gone = describe1(b, 'idle');
    expect(gone.errorCode).to.equal(TxnErrors.TRANSACTIONAL_ID_NOT_FOUND);
    expect(b.eventsOf('txn-id-expired')).to.deep.equal([{ type: 'txn-id-expired', transactionalId: 'idle', producerId: first }]);
    expect(describe1(b, 'busy').transactionState).to.equal('Ongoing');
    // The id starts over with a new producer id; the expired producer's requests no longer map.
    expect(idle.add('orders', [0])).to.equal(TxnErrors.INVALID_PRODUCER_ID_MAPPING);
    idle.init();
    expect(idle.producerId).to.not.equal(first);
    expect(idle.epoch).to.equal(0);
  });
});
