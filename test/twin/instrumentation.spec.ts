import { expect } from 'chai';
import { Instrumentation } from '../../adapters/twin/instrumentation.js';

describe('twin: instrumentation events', () => {
  const names = { CONNECT: 'test.connect', JOIN: 'test.join' };

  it('calls listeners synchronously inside emit, as kafkajs does, stamped with the client clock', () => {
    const events = new Instrumentation(names, () => 42);
    const seen: string[] = [];
    events.on(names.JOIN, (e) => void seen.push(`${e.type}@${e.timestamp} ${JSON.stringify(e.payload)}`));
    events.emit(names.JOIN, { memberId: 'm' });
    // Before any microtask: a listener that acts on the event (say, commits on a rebalance) runs
    // before the client goes on.
    expect(seen).to.deep.equal(['test.join@42 {"memberId":"m"}']);
  });

  it('a listener that throws or rejects neither breaks emit nor stops the other listeners', async () => {
    const events = new Instrumentation(names, () => 0);
    const seen: number[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      events.on(names.CONNECT, () => {
        throw new Error('thrown');
      });
      events.on(names.CONNECT, () => Promise.reject(new Error('rejected')) as unknown as void);
      events.on(names.CONNECT, () => void seen.push(1));
      expect(() => events.emit(names.CONNECT, {})).to.not.throw();
      expect(seen).to.deep.equal([1]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).to.deep.equal([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('removes a listener with the function on() returns, and rejects unknown event names', () => {
    const events = new Instrumentation(names, () => 0);
    const seen: string[] = [];
    const remove = events.on(names.CONNECT, (e) => void seen.push(e.type));
    events.emit(names.CONNECT, {});
    remove();
    events.emit(names.CONNECT, {});
    expect(seen).to.deep.equal(['test.connect']);
    expect(() => events.on('test.nope', () => undefined)).to.throw(/Event name should be one of CONNECT, JOIN/);
  });
});
