import { expect } from 'chai';
import { Cluster } from '../../src/index.js';
import { KafkaJSConnectionError, KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, protocolError } from '../../protocol/errors.js';
import { crashError, isRestartable, recoveryFor } from '../../adapters/twin/consumer/runner.js';
import { UNRECOVERABLE, withRetries } from '../../adapters/twin/retry.js';

describe("twin consumer's error policy", () => {
  it("wraps a crash's error as kafkajs's retrier does, and restarts when kafkajs would", () => {
    const boom = new Error('boom');
    const spent = crashError(boom, { retryCount: 5, retryTime: 800 });
    expect(spent).to.be.instanceOf(KafkaJSNumberOfRetriesExceeded);
    expect(spent).to.include({ message: 'boom', retriable: false, retryCount: 5, retryTime: 800 });
    expect(spent.cause).to.equal(boom);
    expect(isRestartable(spent)).to.equal(true);
    const bad = new TypeError('bad');
    const typeError = crashError(bad);
    expect(typeError).to.be.instanceOf(KafkaJSNonRetriableError);
    expect({ name: typeError.name, message: typeError.message, cause: typeError.cause }).to.deep.equal({ name: 'KafkaJSNonRetriableError', message: 'bad', cause: bad });
    expect(isRestartable(typeError)).to.equal(false);
    // A send whose retries ran out: wrapped with its own cause, which is retriable, so kafkajs restarts.
    const down = new KafkaJSConnectionError('broker down');
    const exhausted = crashError(new KafkaJSNumberOfRetriesExceeded(down, { retryCount: 5, retryTime: 100 }));
    expect(exhausted.name).to.equal('KafkaJSNonRetriableError');
    expect(exhausted.cause).to.equal(down);
    expect(isRestartable(exhausted)).to.equal(true);
    // kafkajs's runner bails out with KafkaJSNotImplemented as it is.
    const notImplemented = Object.assign(new KafkaJSNonRetriableError('Snappy compression not implemented'), { name: 'KafkaJSNotImplemented' });
    expect(crashError(notImplemented)).to.equal(notImplemented);
    expect(isRestartable(notImplemented)).to.equal(false);
  });

  it('rejoins on a rebalance, as a new member when the coordinator forgot it', () => {
    for (const type of ['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION'] as const) {
      expect(recoveryFor(protocolError(type)), type).to.deep.equal({ kind: 'rebalance' });
    }
    expect(recoveryFor(protocolError('UNKNOWN_MEMBER_ID'))).to.deep.equal({ kind: 'rejoin-as-new-member' });
  });

  it('backs off on a retriable broker error, rejoining when the coordinator is gone', () => {
    expect(recoveryFor(new KafkaJSConnectionError('broker down'))).to.deep.equal({ kind: 'back-off', rejoin: false });
    expect(recoveryFor(protocolError('LEADER_NOT_AVAILABLE'))).to.deep.equal({ kind: 'back-off', rejoin: false });
    expect(recoveryFor(protocolError('GROUP_COORDINATOR_NOT_AVAILABLE'))).to.deep.equal({ kind: 'back-off', rejoin: true });
  });

  it("retries a handler's error, restarting at once when a kafkajs error's root cause is retriable", () => {
    expect(recoveryFor(new Error('boom'))).to.deep.equal({ kind: 'retry-batch', restartNow: false });
    expect(recoveryFor('not even an Error')).to.deep.equal({ kind: 'retry-batch', restartNow: false });
    const exhausted = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('broker down'), { retryCount: 5, retryTime: 100 });
    expect(recoveryFor(exhausted)).to.deep.equal({ kind: 'retry-batch', restartNow: true });
  });

  it('crashes for good on a non-retriable kafkajs error and on every unrecoverable error, the set the retrier shares', async () => {
    expect(recoveryFor(new KafkaJSNonRetriableError('no'))).to.deep.equal({ kind: 'crash' });
    expect(recoveryFor(protocolError('INVALID_TOPIC_EXCEPTION'))).to.deep.equal({ kind: 'crash' });
    expect([...UNRECOVERABLE].sort()).to.deep.equal(['RangeError', 'ReferenceError', 'SyntaxError', 'TypeError']);
    const cluster = new Cluster({ clock: 'virtual', seed: 1 });
    for (const name of UNRECOVERABLE) {
      const error = Object.assign(new Error('bug'), { name });
      expect(recoveryFor(error), name).to.deep.equal({ kind: 'crash' });
      // The retrier gives up on the same errors at once.
      let attempts = 0;
      const rejected = await withRetries(cluster, { retries: 3 }, async () => {
        attempts++;
        throw error;
      }).catch((e: unknown) => e);
      expect(rejected, name).to.be.instanceOf(KafkaJSError);
      expect((rejected as KafkaJSError).retriable, name).to.equal(false);
      expect(attempts, name).to.equal(1);
    }
    cluster.close();
  });
});
