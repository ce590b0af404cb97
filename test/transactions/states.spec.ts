/**
 * The transaction state machine: the declared table is Kafka 3.9's, an illegal move throws, and
 * the coordinator's requests, markers and timers make every legal move between them.
 */
import { expect } from 'chai';
import { ALL_TRANSACTION_STATES, TransactionMetadata, VALID_PREVIOUS_STATES, type TransactionState } from '../../emulator/transactions/index.js';
import { FakeBroker, TestProducer } from './fake-port.js';

describe('transactions: states', () => {
  it("declares Kafka 3.9's states and legal previous states (transaction protocol v1)", () => {
    expect(ALL_TRANSACTION_STATES).to.deep.equal([
      'Empty',
      'Ongoing',
      'PrepareCommit',
      'PrepareAbort',
      'CompleteCommit',
      'CompleteAbort',
      'Dead',
      'PrepareEpochFence',
    ]);
    expect(VALID_PREVIOUS_STATES).to.deep.equal({
      Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
      Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
      PrepareCommit: ['Ongoing'],
      PrepareAbort: ['Ongoing', 'PrepareEpochFence'],
      CompleteCommit: ['PrepareCommit'],
      CompleteAbort: ['PrepareAbort'],
      Dead: ['Empty', 'CompleteAbort', 'CompleteCommit'],
      PrepareEpochFence: ['Ongoing'],
    });
  });

  it('throws on every illegal move, naming both states, and leaves the state as it was', () => {
    let illegal = 0;
    for (const from of ALL_TRANSACTION_STATES) {
      for (const to of ALL_TRANSACTION_STATES) {
        if (VALID_PREVIOUS_STATES[to].includes(from)) continue;
        const txn = at(from);
        expect(() => txn.transitionTo(to), `${from} -> ${to}`).to.throw(`cannot move from ${from} to ${to}`);
        expect(txn.state).to.equal(from);
        illegal++;
      }
    }
    expect(illegal).to.equal(64 - 16);
  });

  it('makes every legal move through requests, markers and timers', async () => {
    const b = new FakeBroker({ settings: { 'transactional.id.expiration.ms': 60_000, 'transaction.remove.expired.transaction.cleanup.interval.ms': 10_000 } });
    b.topics.set('t', 2);
    const p = new TestProducer(b, 'a', 5_000);
    p.init(); // (new) Empty
    p.init(); // Empty -> Empty
    p.add('t', [0]); // Empty -> Ongoing
    p.add('t', [1]); // Ongoing -> Ongoing
    p.end(true); // Ongoing -> PrepareCommit
    await b.advance(0); // PrepareCommit -> CompleteCommit
    p.add('t', [0]); // CompleteCommit -> Ongoing
    p.end(false); // Ongoing -> PrepareAbort
    await b.advance(0); // PrepareAbort -> CompleteAbort
    p.add('t', [0]); // CompleteAbort -> Ongoing
    p.init(); // Ongoing -> PrepareEpochFence -> PrepareAbort (a new producer fences the transaction)
    await b.advance(0);
    p.init(); // CompleteAbort -> Empty
    p.add('t', [0]);
    p.end(true);
    await b.advance(0);
    p.init(); // CompleteCommit -> Empty
    p.add('t', [0]);
    await b.advance(10_000); // timed out: Ongoing -> PrepareEpochFence -> PrepareAbort -> CompleteAbort
    const q = new TestProducer(b, 'b');
    const r = new TestProducer(b, 'c');
    q.init(); // stays Empty
    r.init();
    r.add('t', [0]);
    r.end(true);
    await b.advance(0); // c: CompleteCommit
    await b.advance(70_000); // a (CompleteAbort), b (Empty), c (CompleteCommit) -> Dead
    expect(
      b
        .eventsOf('txn-id-expired')
        .map((e) => e.transactionalId)
        .sort(),
    ).to.deep.equal(['a', 'b', 'c']);
    const seen = new Set(b.transitions.map((t) => `${t.from}->${t.to}`));
    const legal = ALL_TRANSACTION_STATES.flatMap((to) => VALID_PREVIOUS_STATES[to].map((from) => `${from}->${to}`));
    expect([...legal].filter((m) => !seen.has(m))).to.deep.equal([]);
    expect([...seen].filter((m) => !legal.includes(m))).to.deep.equal([]);
  });
});

/** A transaction driven into `state` by legal moves only. */
function at(state: TransactionState): TransactionMetadata {
  const txn = new TransactionMetadata('x', 0, 1, 1000, 0);
  const paths: Record<TransactionState, TransactionState[]> = {
    Empty: [],
    Ongoing: ['Ongoing'],
    PrepareCommit: ['Ongoing', 'PrepareCommit'],
    PrepareAbort: ['Ongoing', 'PrepareAbort'],
    CompleteCommit: ['Ongoing', 'PrepareCommit', 'CompleteCommit'],
    CompleteAbort: ['Ongoing', 'PrepareAbort', 'CompleteAbort'],
    Dead: ['Dead'],
    PrepareEpochFence: ['Ongoing', 'PrepareEpochFence'],
  };
  for (const s of paths[state]) txn.transitionTo(s);
  return txn;
}
