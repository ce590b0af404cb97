/**
 * DescribeTransactions and ListTransactions as an admin client sees them: each id's state,
 * producer, timeout and partitions; lists filtered by state (unknown names reported), producer id,
 * duration, and the broker asked; settings parsed under Kafka's names.
 */
import { expect } from 'chai';
import { DEFAULT_TXN_SETTINGS, describeTransactions, listTransactions, parseTxnSettings, TxnErrors } from '../../emulator/transactions/index.js';
import { FakeBroker, TestProducer } from './fake-port.js';

async function cluster(): Promise<{ b: FakeBroker; ongoing: TestProducer; committed: TestProducer; empty: TestProducer }> {
  const b = new FakeBroker();
  b.topics.set('orders', 2);
  const ongoing = new TestProducer(b, 'ongoing', 30_000);
  const committed = new TestProducer(b, 'committed');
  const empty = new TestProducer(b, 'empty');
  for (const p of [ongoing, committed, empty]) p.init();
  committed.add('orders', [1]);
  committed.end(true);
  await b.advance(0);
  await b.advance(1_000);
  ongoing.add('orders', [0, 1]);
  await b.advance(2_000);
  return { b, ongoing, committed, empty };
}

describe('transactions: admin', () => {
  it('describes each id, and answers TRANSACTIONAL_ID_NOT_FOUND and INVALID_REQUEST per id', async () => {
    const { b, ongoing } = await cluster();
    const [d, unknown, blank] = describeTransactions(b.coordinator, { transactionalIds: ['ongoing', 'nobody', ''] }).transactionStates;
    expect(d).to.deep.equal({
      errorCode: 0,
      errorMessage: null,
      transactionalId: 'ongoing',
      transactionState: 'Ongoing',
      transactionTimeoutMs: 30_000,
      transactionStartTimeMs: b.clock.now() - 2_000,
      producerId: ongoing.producerId,
      producerEpoch: 0,
      topics: [{ topic: 'orders', partitions: [0, 1] }],
    });
    expect([unknown!.errorCode, unknown!.transactionState]).to.deep.equal([TxnErrors.TRANSACTIONAL_ID_NOT_FOUND, '']);
    expect(blank!.errorCode).to.equal(TxnErrors.INVALID_REQUEST);
    const done = describeTransactions(b.coordinator, { transactionalIds: ['committed', 'empty'] }).transactionStates;
    expect(done.map((x) => [x.transactionState, x.topics.length])).to.deep.equal([
      ['CompleteCommit', 0],
      ['Empty', 0],
    ]);
    expect(done[1]!.transactionStartTimeMs).to.equal(-1);
  });

  it('lists with state, producer id and duration filters, reporting unknown state names', async () => {
    const { b, committed } = await cluster();
    const ids = (answer: ReturnType<typeof listTransactions>): string[] => answer.transactionStates.map((t) => t.transactionalId).sort();
    expect(ids(listTransactions(b.coordinator, {}))).to.deep.equal(['committed', 'empty', 'ongoing']);
    expect(ids(listTransactions(b.coordinator, { stateFilters: ['Ongoing', 'Empty'] }))).to.deep.equal(['empty', 'ongoing']);
    expect(ids(listTransactions(b.coordinator, { producerIdFilters: [committed.producerId] }))).to.deep.equal(['committed']);
    const unknown = listTransactions(b.coordinator, { stateFilters: ['Nope'] });
    expect([unknown.unknownStateFilters, unknown.transactionStates]).to.deep.equal([['Nope'], []]);
    // Started more than 1.5 s ago: the ongoing one (2 s) and the committed one (3 s). Kafka compares
    // against the start time alone, so the Empty one (start -1) passes every duration filter.
    expect(ids(listTransactions(b.coordinator, { durationFilter: 1_500 }))).to.deep.equal(['committed', 'empty', 'ongoing']);
    expect(ids(listTransactions(b.coordinator, { durationFilter: 2_500 }))).to.deep.equal(['committed', 'empty']);
  });

  it('lists per broker only the ids it coordinates, and gives no answer from a stopped broker', async () => {
    const { b } = await cluster();
    const perBroker = [1, 2, 3].flatMap((broker) => listTransactions(b.coordinator, { broker }).transactionStates.map((t) => t.transactionalId));
    expect(perBroker.sort()).to.deep.equal(['committed', 'empty', 'ongoing']);
    b.brokerList[0]!.status = 'stopped';
    expect(listTransactions(b.coordinator, { broker: 1 }).errorCode).to.equal(TxnErrors.NETWORK_EXCEPTION);
    const described = describeTransactions(b.coordinator, { transactionalIds: ['ongoing'], broker: 1 }).transactionStates[0]!;
    expect(described.errorCode).to.equal(TxnErrors.NETWORK_EXCEPTION);
  });

  it("parses the settings under Kafka's names, with Kafka's defaults", () => {
    expect(DEFAULT_TXN_SETTINGS).to.deep.equal({
      'transaction.state.log.num.partitions': 50,
      'transaction.state.log.replication.factor': 3,
      'transaction.state.log.min.isr': 2,
      'transaction.max.timeout.ms': 900000,
      'transactional.id.expiration.ms': 604800000,
      'transaction.abort.timed.out.transaction.cleanup.interval.ms': 10000,
      'transaction.remove.expired.transaction.cleanup.interval.ms': 3600000,
    });
    expect(parseTxnSettings({ 'transaction.max.timeout.ms': '60000' })).to.include({ 'transaction.max.timeout.ms': 60000 });
    expect(parseTxnSettings({ 'transaction.max.timeout': 1 })).to.deep.equal({
      errorCode: 40,
      errorMessage: 'Unknown transaction coordinator setting transaction.max.timeout',
    });
    const bad = parseTxnSettings({ 'transaction.state.log.replication.factor': 40000 });
    expect(bad).to.have.property('errorCode', 40);
    expect(bad).to.have.property('errorMessage').that.contains('transaction.state.log.replication.factor');
  });
});
