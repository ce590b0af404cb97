/**
 * Idempotent producers and the log side of transactions, on `Engine` directly (answers as data):
 * InitProducerId, sequence and epoch checks as Kafka 3.9's ProducerAppendInfo, duplicates answered
 * with their original offsets, producer state across leader changes, expiry and DeleteRecords,
 * transaction markers, the last stable offset, the aborted-transaction index, read_committed
 * fetches and ListOffsets, and the cleaner's bounds. Properties: lost acknowledgements with
 * retries append every sequence exactly once; read_committed never sees open or aborted data.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Engine, type ProduceRequest } from '../../emulator/engine.js';
import type { ClusterEvent } from '../../emulator/events.js';
import { visibleRanges } from '../../emulator/fetch.js';
import { readRecords } from '../../emulator/records.js';
import { kafkaError } from '../../protocol/errors.js';
import { values, virtualCluster } from '../helpers.js';
import { kafkaOver, realCluster } from '../wire-server/helpers.js';

const code = (type: string) => kafkaError(type).code;

function engine(brokers = 1, config: Record<string, string | number | boolean> = {}): Engine {
  return new Engine({ brokers, clock: 'virtual', seed: 7, config });
}

/** An idempotent write of `n` records to t-0. */
function idem(producerId: number, producerEpoch: number, baseSequence: number, n: number, prefix = 'v', extra: Partial<ProduceRequest> = {}): ProduceRequest {
  return { topic: 't', partition: 0, records: values(n, prefix), producerId, producerEpoch, baseSequence, ...extra };
}

function eventsOf<T extends ClusterEvent['type']>(e: Engine, type: T): Extract<ClusterEvent, { type: T }>[] {
  return e.events().filter((x): x is Extract<ClusterEvent, { type: T }> => x.type === type);
}

/** What an application reads of t-0 from `offset` at an isolation level: values, markers and aborted records dropped as clients drop them. */
function visible(e: Engine, isolationLevel: 'read_committed' | 'read_uncommitted', offset = 0): string[] {
  const result = e.fetchRanges({ topic: 't', partition: 0, offset, isolationLevel });
  expect(result.errorMessage).to.equal(null);
  return readRecords(visibleRanges(result)).map((r) => r.value!.toString());
}

describe('engine: idempotent producers', () => {
  describe('InitProducerId', () => {
    it('gives each idempotent producer a new id at epoch 0, from per-broker blocks of 1000 starting at 0', () => {
      const e = engine(2);
      const first = e.initProducerId();
      const second = e.initProducerId({ broker: 1 });
      const onTwo = e.initProducerId({ broker: 2 });
      const thirdOnOne = e.initProducerId({ broker: 1 });
      expect([first, second, onTwo, thirdOnOne].map((a) => [a.errorCode, a.producerId, a.producerEpoch])).to.deep.equal([
        [0, 0, 0],
        [0, 1, 0],
        [0, 1000, 0],
        [0, 2, 0],
      ]);
      expect(eventsOf(e, 'producer-id-allocated').map((x) => [x.broker, x.producerId])).to.deep.equal([
        [1, 0],
        [1, 1],
        [2, 1000],
        [1, 2],
      ]);
    });

    it('is the same for the same seed and calls (deterministic)', () => {
      const ids = () => {
        const e = engine(3);
        return [e.initProducerId({ broker: 3 }), e.initProducerId(), e.initProducerId({ broker: 3 })].map((a) => a.producerId);
      };
      expect(ids()).to.deep.equal([0, 1000, 1]).and.to.deep.equal(ids());
    });

    it('sends a transactional id to the transaction coordinator (a producer id at epoch 0, recorded with the id), and is not answered by a stopped broker', () => {
      const e = engine(2);
      const answer = e.initProducerId({ transactionalId: 'tx-1' });
      expect(answer).to.include({ errorCode: 0, producerEpoch: 0 });
      expect(eventsOf(e, 'producer-id-allocated').map((x) => [x.producerId, x.transactionalId])).to.deep.equal([[answer.producerId, 'tx-1']]);
      expect(e.initProducerId({ transactionalId: 'tx-1' })).to.include({ errorCode: 0, producerId: answer.producerId, producerEpoch: 1 });
      e.stopBroker(2);
      expect(e.initProducerId({ broker: 2 })).to.include({ errorCode: 13, broker: 2, producerId: -1 });
      expect(eventsOf(e, 'producer-id-allocated')).to.have.length(1);
    });
  });

  describe('sequence numbers', () => {
    it('stores the producer fields with the batch and answers a retry of one of the last five batches with its original offsets, writing nothing', async () => {
      const e = engine();
      e.createTopic({ topic: 't' });
      const { producerId } = e.initProducerId();
      const offsets: number[] = [];
      for (let i = 0; i < 5; i++) offsets.push((await e.produce(idem(producerId, 0, i * 2, 2, `b${i}`))).baseOffset);
      expect(offsets).to.deep.equal([0, 2, 4, 6, 8]);
      const retried = await e.produce(idem(producerId, 0, 2, 2, 'b1-again'));
      expect(retried).to.include({ errorCode: 0, baseOffset: 2 });
      expect(e.listOffsets('t', 0, 'latest').offset).to.equal(10);
      expect(eventsOf(e, 'duplicate-batch').map((x) => [x.producerId, x.baseSequence, x.baseOffset])).to.deep.equal([[producerId, 2, 2]]);
      const [batch] = e.fetchRanges({ topic: 't', partition: 0, offset: 4 }).ranges;
      expect(batch!.batch).to.include({ producerId, producerEpoch: 0, baseSequence: 4, isTransactional: false, isControl: false });
      expect(e.producerStates('t', 0)).to.have.length(1);
      expect(e.producerStates('t', 0)[0]!.batches.map((b) => [b.firstSeq, b.lastSeq, b.firstOffset, b.lastOffset])).to.deep.equal([
        [0, 1, 0, 1],
        [2, 3, 2, 3],
        [4, 5, 4, 5],
        [6, 7, 6, 7],
        [8, 9, 8, 9],
      ]);
    });

    it('answers a retry older than the last five batches, and a gap, OUT_OF_ORDER_SEQUENCE_NUMBER with Kafka\'s words', async () => {
      const e = engine();
      e.createTopic({ topic: 't' });
      for (let i = 0; i < 6; i++) await e.produce(idem(0, 0, i, 1));
      const old = await e.produce(idem(0, 0, 0, 1));
      expect(old).to.include({ errorCode: code('OUT_OF_ORDER_SEQUENCE_NUMBER'), baseOffset: -1 });
      expect(old.errorMessage).to.equal('Out of order sequence number for producer 0 at offset 6 in partition t-0: 0 (incoming seq. number), 5 (current end sequence number)');
      expect((await e.produce(idem(0, 0, 7, 1))).errorCode).to.equal(code('OUT_OF_ORDER_SEQUENCE_NUMBER'));
      expect((await e.produce(idem(0, 0, 6, 1))).baseOffset).to.equal(6);
      expect(e.listOffsets('t', 0, 'latest').offset).to.equal(7);
    });

    it('accepts any first sequence from a producer it does not know (Kafka 3.9 answers no UNKNOWN_PRODUCER_ID on append)', async () => {
      const e = engine();
      e.createTopic({ topic: 't' });
      expect(await e.produce(idem(42, 3, 17, 2))).to.include({ errorCode: 0, baseOffset: 0 });
      expect((await e.produce(idem(42, 3, 19, 1))).baseOffset).to.equal(2);
    });

    it('refuses an older epoch with INVALID_PRODUCER_EPOCH, a new epoch not starting at 0 with OUT_OF_ORDER_SEQUENCE_NUMBER, and takes a new epoch from 0', async () => {
      const e = engine();
      e.createTopic({ topic: 't' });
      await e.produce(idem(5, 1, 0, 1));
      const older = await e.produce(idem(5, 0, 1, 1));
      expect(older).to.include({ errorCode: code('INVALID_PRODUCER_EPOCH') });
      expect(older.errorMessage).to.equal('Epoch of producer 5 at offset 1 in t-0 is 0, which is smaller than the last seen epoch 1');
      expect((await e.produce(idem(5, 2, 1, 1))).errorCode).to.equal(code('OUT_OF_ORDER_SEQUENCE_NUMBER'));
      expect((await e.produce(idem(5, 2, 0, 1))).baseOffset).to.equal(1);
      // The old epoch's batches are forgotten: its retry is now fenced, not a duplicate.
      expect((await e.produce(idem(5, 1, 0, 1))).errorCode).to.equal(code('INVALID_PRODUCER_EPOCH'));
    });

    it('checks the batch itself first: an oversize retry is MESSAGE_TOO_LARGE, and bad producer fields are INVALID_RECORD', async () => {
      const e = engine();
      e.createTopic({ topic: 't', config: { 'max.message.bytes': 200 } });
      await e.produce(idem(1, 0, 0, 1));
      expect((await e.produce({ ...idem(1, 0, 0, 1), records: [{ value: Buffer.alloc(500) }] })).errorCode).to.equal(code('MESSAGE_TOO_LARGE'));
      expect((await e.produce(idem(1, 0, -1, 1))).errorCode).to.equal(code('INVALID_RECORD'));
      expect((await e.produce(idem(1, 70000, 1, 1))).errorCode).to.equal(code('INVALID_RECORD'));
    });

    it('answers a retry with acks=all only once the original batch is replicated', async () => {
      const e = engine(2);
      e.createTopic({ topic: 't', replicaAssignment: [[1, 2]] });
      await e.produce(idem(1, 0, 0, 1));
      const retry = await e.produce({ ...idem(1, 0, 0, 1), acks: -1 });
      expect(retry).to.include({ errorCode: 0, baseOffset: 0 });
    });
  });

  describe('producer state and the log', () => {
    it('moves with leadership: a new leader built the state from the batches it replicated', async () => {
      const e = engine(3);
      e.createTopic({ topic: 't', replicaAssignment: [[1, 2, 3]] });
      await e.produce(idem(9, 0, 0, 3));
      await e.produce(idem(9, 0, 3, 2));
      e.stopBroker(1);
      const leader = e.describeTopic('t').partitions[0]!.leader;
      expect(leader).to.not.equal(1);
      expect(await e.produce(idem(9, 0, 3, 2))).to.include({ errorCode: 0, baseOffset: 3 });
      expect((await e.produce(idem(9, 0, 6, 1))).errorCode).to.equal(code('OUT_OF_ORDER_SEQUENCE_NUMBER'));
      expect((await e.produce(idem(9, 0, 5, 1))).baseOffset).to.equal(5);
    });

    it('forgets a producer producer.id.expiration.ms after its last write; its retry is then written again', async () => {
      const e = engine(1, { 'producer.id.expiration.ms': 10_000 });
      e.createTopic({ topic: 't' });
      await e.produce(idem(3, 0, 0, 1));
      await e.advance(9_999);
      expect((await e.produce(idem(3, 0, 0, 1))).baseOffset).to.equal(0);
      await e.produce(idem(3, 0, 1, 1));
      await e.advance(10_000);
      expect(await e.produce(idem(3, 0, 1, 1))).to.include({ errorCode: 0, baseOffset: 2 });
      expect(e.config['producer.id.expiration.ms']).to.equal(10_000);
      expect(engine().config['producer.id.expiration.ms']).to.equal(86_400_000);
    });

    it('keeps a producer\'s state when DeleteRecords removes its batches', async () => {
      const e = engine();
      e.createTopic({ topic: 't' });
      await e.produce(idem(4, 0, 0, 2));
      await e.produce({ topic: 't', partition: 0, records: values(3, 'plain') });
      expect(e.deleteRecords('t', 0, 5).lowWatermark).to.equal(5);
      expect((await e.produce(idem(4, 0, 5, 1))).errorCode).to.equal(code('OUT_OF_ORDER_SEQUENCE_NUMBER'));
      expect(await e.produce(idem(4, 0, 0, 2))).to.include({ errorCode: 0, baseOffset: 0 });
      expect((await e.produce(idem(4, 0, 2, 1))).baseOffset).to.equal(5);
    });

    it('rebuilds what a truncation cut: a follower that lost a batch in an unclean election no longer knows it', async () => {
      const e = engine(2, { 'unclean.leader.election.enable': true });
      e.createTopic({ topic: 't', replicaAssignment: [[1, 2]] });
      await e.produce(idem(8, 0, 0, 1));
      e.isolateBroker(2);
      await e.advance(30_000);
      await e.produce({ ...idem(8, 0, 1, 1), acks: 1 });
      e.stopBroker(1);
      e.healBroker(2);
      await e.advance(0);
      expect(e.describeTopic('t').partitions[0]!.leader).to.equal(2);
      // Broker 2 never had sequence 1: the retry is a new write at its log end.
      expect(await e.produce({ ...idem(8, 0, 1, 1), acks: 1 })).to.include({ errorCode: 0, baseOffset: 1 });
      e.startBroker(1);
      await e.advance(0);
      expect(eventsOf(e, 'log-truncated').some((x) => x.broker === 1)).to.equal(true);
      // Broker 1 leads again (the preferred leader): its state was rebuilt from the batch it replicated after the cut.
      await e.advance(300_000);
      expect(e.describeTopic('t').partitions[0]!.leader).to.equal(1);
      expect((await e.produce({ ...idem(8, 0, 1, 1), acks: 1 })).baseOffset).to.equal(1);
      expect((await e.produce({ ...idem(8, 0, 2, 1), acks: 1 })).baseOffset).to.equal(2);
    });
  });
});

describe('engine: the log side of transactions', () => {
  async function openTxn(e: Engine, producerId: number, seq: number, n: number, prefix: string): Promise<number> {
    const r = await e.produce(idem(producerId, 0, seq, n, prefix, { isTransactional: true }));
    expect(r.errorMessage).to.equal(null);
    return r.baseOffset;
  }

  it('holds the last stable offset at the first offset of the earliest open transaction; a commit marker takes an offset and releases it', async () => {
    const e = engine();
    e.createTopic({ topic: 't' });
    await e.produce({ topic: 't', partition: 0, records: values(2, 'plain') });
    await openTxn(e, 1, 0, 2, 'tx');
    await e.produce({ topic: 't', partition: 0, records: values(1, 'after') });
    const open = e.fetch({ topic: 't', partition: 0, offset: 0, isolationLevel: 'read_committed' });
    expect([open.highWatermark, open.lastStableOffset]).to.deep.equal([5, 2]);
    expect(open.records.map((r) => r.offset)).to.deep.equal([0, 1]);
    expect(open.abortedTransactions).to.deep.equal([]);
    expect(e.fetch({ topic: 't', partition: 0, offset: 0 }).abortedTransactions).to.equal(null);
    expect(visible(e, 'read_uncommitted')).to.deep.equal(['plain-0', 'plain-1', 'tx-0', 'tx-1', 'after-0']);
    expect(e.listOffsets('t', 0, 'latest', undefined, 'read_committed').offset).to.equal(2);
    expect(e.listOffsets('t', 0, 'latest').offset).to.equal(5);
    expect(e.listOffsets('t', 0, { timestamp: 0 }, undefined, 'read_committed').offset).to.equal(0);

    const marker = await e.writeTxnMarker({ topic: 't', partition: 0, producerId: 1, producerEpoch: 0, coordinatorEpoch: 3, commit: true });
    expect(marker).to.include({ errorCode: 0, offset: 5 });
    expect(e.listOffsets('t', 0, 'latest', undefined, 'read_committed').offset).to.equal(6);
    expect(visible(e, 'read_committed')).to.deep.equal(['plain-0', 'plain-1', 'tx-0', 'tx-1', 'after-0']);
    const control = e.fetch({ topic: 't', partition: 0, offset: 5 }).records;
    expect(control).to.have.length(1);
    expect(control[0]).to.include({ offset: 5, isControl: true });
    // Kafka's EndTransactionMarker: key version 0 + type 1 (commit), value version 0 + coordinator epoch.
    expect(control[0]!.key!.toString('hex')).to.equal('00000001');
    expect(control[0]!.value!.toString('hex')).to.equal('000000000003');
    expect(eventsOf(e, 'txn-marker-written').map((x) => [x.producerId, x.commit, x.offset, x.firstOffset])).to.deep.equal([[1, true, 5, 2]]);
  });

  it('indexes an aborted transaction: read_committed gets it with the fetch and drops its records, read_uncommitted sees them', async () => {
    const e = engine();
    e.createTopic({ topic: 't' });
    await openTxn(e, 1, 0, 2, 'aborted');
    await openTxn(e, 2, 0, 1, 'kept');
    await e.produce(idem(1, 0, 2, 1, 'aborted-more', { isTransactional: true }));
    await e.writeTxnMarker({ topic: 't', partition: 0, producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, commit: false });
    expect(e.listOffsets('t', 0, 'latest', undefined, 'read_committed').offset).to.equal(2);
    await e.writeTxnMarker({ topic: 't', partition: 0, producerId: 2, producerEpoch: 0, coordinatorEpoch: 0, commit: true });
    const committed = e.fetchRanges({ topic: 't', partition: 0, offset: 0, isolationLevel: 'read_committed' });
    expect(committed.lastStableOffset).to.equal(6);
    expect(committed.abortedTransactions).to.deep.equal([{ producerId: 1, firstOffset: 0 }]);
    expect(visible(e, 'read_committed')).to.deep.equal(['kept-0']);
    expect(visible(e, 'read_uncommitted')).to.deep.equal(['aborted-0', 'aborted-1', 'kept-0', 'aborted-more-0']);
    // A read past the aborted transaction is not told of it.
    expect(e.fetchRanges({ topic: 't', partition: 0, offset: 5, isolationLevel: 'read_committed' }).abortedTransactions).to.deep.equal([]);
  });

  it('describes each replica\'s producers (DescribeProducers): epoch, last sequence and write, coordinator epoch, open transaction', async () => {
    const e = engine(3);
    e.createTopic({ topic: 't', replicaAssignment: [[1, 2]] });
    await e.produce(idem(7, 0, 0, 3, 'plain'));
    await openTxn(e, 9, 0, 2, 'open');
    await e.advance(100);
    const leader = e.describeProducers({ topic: 't', partition: 0 });
    expect(leader.errorCode).to.equal(0);
    expect(leader.activeProducers.map((x) => [x.producerId, x.producerEpoch, x.lastSequence, x.coordinatorEpoch, x.currentTxnStartOffset])).to.deep.equal([
      [7, 0, 2, -1, -1],
      [9, 0, 1, -1, 3],
    ]);
    // The follower answers from its own copy; a broker without a replica, and an unknown partition, are refused.
    expect(e.describeProducers({ topic: 't', partition: 0, broker: 2 }).activeProducers).to.deep.equal(leader.activeProducers);
    expect(e.describeProducers({ topic: 't', partition: 0, broker: 3 }).errorCode).to.equal(code('NOT_LEADER_FOR_PARTITION'));
    expect(e.describeProducers({ topic: 't', partition: 1 }).errorCode).to.equal(code('UNKNOWN_TOPIC_OR_PARTITION'));
    // A marker from broker 2 (not the leader) is refused; from the leader it ends the transaction, with its coordinator epoch.
    const marker = { topic: 't', partition: 0, producerId: 9, producerEpoch: 0, coordinatorEpoch: 0, commit: false };
    expect((await e.writeTxnMarker({ ...marker, broker: 2 })).errorCode).to.equal(code('NOT_LEADER_FOR_PARTITION'));
    expect((await e.writeTxnMarker({ ...marker, broker: 1 })).offset).to.equal(5);
    expect(e.describeProducers({ topic: 't', partition: 0 }).activeProducers[1]).to.include({ coordinatorEpoch: 0, currentTxnStartOffset: -1 });
  });

  it('leaves expired producers out of DescribeProducers', async () => {
    const e = engine(1, { 'producer.id.expiration.ms': 1000 });
    e.createTopic({ topic: 't' });
    await e.produce(idem(7, 0, 0, 1));
    expect(e.describeProducers({ topic: 't', partition: 0 }).activeProducers).to.have.length(1);
    await e.advance(1000);
    expect(e.describeProducers({ topic: 't', partition: 0 }).activeProducers).to.deep.equal([]);
  });

  it('never puts the last stable offset below the log start: DeleteRecords past an open transaction\'s first offset moves it up', async () => {
    const e = engine();
    e.createTopic({ topic: 't' });
    await e.produce({ topic: 't', partition: 0, records: values(2, 'before') });
    await openTxn(e, 1, 0, 2, 'open');
    await e.produce({ topic: 't', partition: 0, records: values(2, 'later') });
    expect(e.listOffsets('t', 0, 'latest', undefined, 'read_committed').offset).to.equal(2);
    expect(e.deleteRecords('t', 0, 3).errorMessage).to.equal(null);
    expect(e.listOffsets('t', 0, 'latest', undefined, 'read_committed').offset).to.equal(3);
    const r = e.fetchRanges({ topic: 't', partition: 0, offset: 3, isolationLevel: 'read_committed' });
    expect([r.lastStableOffset, r.logStartOffset]).to.deep.equal([3, 3]);
    expect(visible(e, 'read_committed', 3)).to.deep.equal([]);
    await e.writeTxnMarker({ topic: 't', partition: 0, producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, commit: true });
    expect(e.listOffsets('t', 0, 'latest', undefined, 'read_committed').offset).to.equal(7);
    expect(visible(e, 'read_committed', 3)).to.deep.equal(['open-1', 'later-0', 'later-1']);
  });

  it('refuses a plain write inside an open transaction, and fenced markers, with Kafka\'s codes', async () => {
    const e = engine();
    e.createTopic({ topic: 't' });
    await openTxn(e, 1, 0, 1, 'tx');
    expect((await e.produce(idem(1, 0, 1, 1))).errorCode).to.equal(code('INVALID_TXN_STATE'));
    await e.writeTxnMarker({ topic: 't', partition: 0, producerId: 1, producerEpoch: 0, coordinatorEpoch: 5, commit: true });
    const zombie = await e.writeTxnMarker({ topic: 't', partition: 0, producerId: 1, producerEpoch: 0, coordinatorEpoch: 4, commit: false });
    expect(zombie).to.include({ errorCode: code('TRANSACTION_COORDINATOR_FENCED'), offset: -1 });
    await e.produce(idem(1, 2, 0, 1, 'new-epoch'));
    expect((await e.writeTxnMarker({ topic: 't', partition: 0, producerId: 1, producerEpoch: 1, coordinatorEpoch: 5, commit: true })).errorCode).to.equal(
      code('INVALID_PRODUCER_EPOCH'),
    );
    expect((await e.writeTxnMarker({ topic: 'nope', partition: 0, producerId: 1, producerEpoch: 2, coordinatorEpoch: 5, commit: true })).errorCode).to.equal(
      code('UNKNOWN_TOPIC_OR_PARTITION'),
    );
  });

  it('keeps open transactions, and the aborted index, on a new leader', async () => {
    const e = engine(2);
    e.createTopic({ topic: 't', replicaAssignment: [[1, 2]] });
    await openTxn(e, 1, 0, 1, 'a');
    await e.writeTxnMarker({ topic: 't', partition: 0, producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, commit: false });
    await openTxn(e, 2, 0, 1, 'open');
    e.stopBroker(1);
    expect(e.describeTopic('t').partitions[0]!.leader).to.equal(2);
    const r = e.fetchRanges({ topic: 't', partition: 0, offset: 0, isolationLevel: 'read_committed' });
    expect([r.lastStableOffset, r.abortedTransactions]).to.deep.equal([2, [{ producerId: 1, firstOffset: 0 }]]);
  });

  it('the cleaner stops at the last stable offset, drops aborted records (which shadow no key) and keeps markers', async () => {
    const e = new Engine({ clock: 'virtual', seed: 7, config: { 'log.cleaner.backoff.ms': 1000 } });
    e.createTopic({ topic: 't', config: { 'cleanup.policy': 'compact', 'segment.ms': 100, 'min.cleanable.dirty.ratio': 0.01 } });
    const write = async (request: ProduceRequest) => {
      expect((await e.produce(request)).errorMessage).to.equal(null);
      await e.advance(200);
    };
    const keyed = (k: string, v: string) => [{ key: Buffer.from(k), value: Buffer.from(v) }];
    await write({ topic: 't', partition: 0, records: keyed('a', '1') });
    await write({ topic: 't', partition: 0, records: keyed('a', 'aborted'), producerId: 1, producerEpoch: 0, baseSequence: 0, isTransactional: true });
    await e.writeTxnMarker({ topic: 't', partition: 0, producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, commit: false });
    await e.advance(200);
    await write({ topic: 't', partition: 0, records: keyed('b', '1') });
    await write({ topic: 't', partition: 0, records: keyed('b', 'open'), producerId: 2, producerEpoch: 0, baseSequence: 0, isTransactional: true });
    await write({ topic: 't', partition: 0, records: keyed('b', '2') });
    await write({ topic: 't', partition: 0, records: keyed('c', '1') });
    await e.advance(2000);
    const cleaned = eventsOf(e, 'log-cleaned');
    expect(cleaned.length).to.be.greaterThan(0);
    expect(Math.max(...cleaned.map((x) => x.cleanedUpTo))).to.be.at.most(4);
    const left = e.fetch({ topic: 't', partition: 0, offset: 0 }).records.map((r) => (r.isControl ? `${r.offset}:marker` : `${r.offset}:${r.key}=${r.value}`));
    expect(left).to.deep.equal(['0:a=1', '2:marker', '3:b=1', '4:b=open', '5:b=2', '6:c=1']);
  });
});

describe('engine: producer properties', () => {
  it('with lost acknowledgements and retries, an idempotent producer appends every sequence exactly once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ size: fc.integer({ min: 1, max: 4 }), lostAcks: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 3 }),
        async (sends, brokers) => {
          const cluster = virtualCluster({ brokers });
          cluster.createTopic({ topic: 't', numPartitions: 1, replicationFactor: brokers });
          const producer = cluster.kafka().producer({ idempotent: true, retry: { retries: 10, initialRetryTime: 10 } });
          await cluster.drive(producer.connect());
          const expected: string[] = [];
          for (const [i, { size, lostAcks }] of sends.entries()) {
            if (lostAcks > 0) cluster.injectFault({ api: 'Produce', error: 'DISCONNECT', when: 'after', count: lostAcks });
            const messages = Array.from({ length: size }, (_, j) => ({ value: `m${i}-${j}` }));
            const [meta] = await cluster.drive(producer.send({ topic: 't', messages }));
            expect(Number(meta!.baseOffset)).to.equal(expected.length);
            expected.push(...messages.map((m) => m.value));
          }
          const read = cluster.fetch({ topic: 't', partition: 0, offset: 0 }).records.map((r) => r.value!.toString());
          expect(read).to.deep.equal(expected);
          // Every lost acknowledgement was retried, and every retry recognised as a duplicate.
          const lost = sends.reduce((n, x) => n + x.lostAcks, 0);
          expect(cluster.events().filter((x) => x.type === 'duplicate-batch')).to.have.length(lost);
          cluster.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('read_committed never sees open or aborted data, and sees every committed record below the last stable offset', async () => {
    type Op = { kind: 'plain' } | { kind: 'txn'; producer: number } | { kind: 'end'; producer: number; commit: boolean };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.constant<Op>({ kind: 'plain' }),
      fc.integer({ min: 0, max: 2 }).map((producer): Op => ({ kind: 'txn', producer })),
      fc.record({ producer: fc.integer({ min: 0, max: 2 }), commit: fc.boolean() }).map((x): Op => ({ kind: 'end', ...x })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const e = engine();
        e.createTopic({ topic: 't' });
        const status = new Map<string, 'plain' | 'open' | 'committed' | 'aborted'>();
        const offsetOf = new Map<string, number>();
        const openValues = new Map<number, string[]>();
        const sequences = new Map<number, number>();
        for (const [i, o] of ops.entries()) {
          if (o.kind === 'plain') {
            const v = `p${i}`;
            offsetOf.set(v, (await e.produce({ topic: 't', partition: 0, records: [{ value: Buffer.from(v) }] })).baseOffset);
            status.set(v, 'plain');
          } else if (o.kind === 'txn') {
            const v = `t${o.producer}-${i}`;
            const seq = sequences.get(o.producer) ?? 0;
            const r = await e.produce({ topic: 't', partition: 0, records: [{ value: Buffer.from(v) }], producerId: o.producer, producerEpoch: 0, baseSequence: seq, isTransactional: true });
            expect(r.errorMessage).to.equal(null);
            sequences.set(o.producer, seq + 1);
            offsetOf.set(v, r.baseOffset);
            status.set(v, 'open');
            openValues.set(o.producer, [...(openValues.get(o.producer) ?? []), v]);
          } else {
            const r = await e.writeTxnMarker({ topic: 't', partition: 0, producerId: o.producer, producerEpoch: 0, coordinatorEpoch: 0, commit: o.commit });
            expect(r.errorMessage).to.equal(null);
            for (const v of openValues.get(o.producer) ?? []) status.set(v, o.commit ? 'committed' : 'aborted');
            openValues.delete(o.producer);
          }
          const result = e.fetchRanges({ topic: 't', partition: 0, offset: 0, isolationLevel: 'read_committed' });
          const seen = readRecords(visibleRanges(result)).map((r) => r.value!.toString());
          for (const v of seen) expect(status.get(v), v).to.be.oneOf(['plain', 'committed']);
          const shouldSee = [...status].filter(([v, s]) => (s === 'plain' || s === 'committed') && offsetOf.get(v)! < result.lastStableOffset).map(([v]) => v);
          expect(seen).to.deep.equal(shouldSee);
          const firstOpen = Math.min(...[...status].filter(([, s]) => s === 'open').map(([v]) => offsetOf.get(v)!));
          expect(result.lastStableOffset).to.equal(Math.min(firstOpen, result.highWatermark));
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('engine: transactions as unchanged kafkajs reads them over the wire', () => {
  it('a read_committed kafkajs consumer gets committed and plain records only, a read_uncommitted one the aborted too, neither the markers', async () => {
    const cluster = realCluster({ config: { 'group.initial.rebalance.delay.ms': 0 } });
    const e = cluster.engine;
    e.createTopic({ topic: 't' });
    const write = async (request: ProduceRequest) => expect((await e.produce(request)).errorMessage).to.equal(null);
    await write({ topic: 't', partition: 0, records: values(1, 'plain') });
    await write(idem(1, 0, 0, 2, 'aborted', { isTransactional: true }));
    await write(idem(2, 0, 0, 1, 'committed', { isTransactional: true }));
    await write({ topic: 't', partition: 0, records: values(1, 'later') });
    await e.writeTxnMarker({ topic: 't', partition: 0, producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, commit: false });
    await write(idem(3, 0, 0, 1, 'open', { isTransactional: true }));
    await e.writeTxnMarker({ topic: 't', partition: 0, producerId: 2, producerEpoch: 0, coordinatorEpoch: 0, commit: true });
    const kafka = kafkaOver(cluster.wire());
    const read = async (groupId: string, readUncommitted: boolean, expected: number) => {
      const consumer = kafka.consumer({ groupId, readUncommitted, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
      const seen: string[] = [];
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: ['t'], fromBeginning: true });
        await consumer.run({ eachMessage: async ({ message }) => void seen.push(`${message.offset}:${message.value!.toString()}`) });
        const deadline = Date.now() + 15_000;
        while (seen.length < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
        // A little longer: nothing more may come.
        await new Promise((resolve) => setTimeout(resolve, 300));
      } finally {
        await consumer.disconnect();
      }
      return seen;
    };
    try {
      // The open transaction (offset 7) holds read_committed readers at the last stable offset.
      expect(await read('rc', false, 3)).to.deep.equal(['0:plain-0', '3:committed-0', '4:later-0']);
      expect(await read('ru', true, 6)).to.deep.equal(['0:plain-0', '1:aborted-0', '2:aborted-1', '3:committed-0', '4:later-0', '6:open-0']);
    } finally {
      cluster.close();
    }
  });
});

describe('engine: transactions as the twin consumer reads them', () => {
  it('read_committed (the default) gets committed and plain records, waits at an open transaction without spinning, and never hands out markers', async () => {
    const cluster = virtualCluster({ config: { 'group.initial.rebalance.delay.ms': 0 } });
    const e = cluster.engine;
    e.createTopic({ topic: 't' });
    await e.produce({ topic: 't', partition: 0, records: values(1, 'plain') });
    await e.produce(idem(1, 0, 0, 2, 'aborted', { isTransactional: true }));
    await e.writeTxnMarker({ topic: 't', partition: 0, producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, commit: false });
    await e.produce(idem(2, 0, 0, 1, 'open', { isTransactional: true }));
    const read = async (groupId: string, readUncommitted: boolean) => {
      const consumer = cluster.kafka().consumer({ groupId, readUncommitted });
      const seen: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topics: ['t'], fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(`${message.offset}:${message.value!.toString()}`) });
      await cluster.advance(10_000);
      return { consumer, seen };
    };
    const committed = await read('rc', false);
    const uncommitted = await read('ru', true);
    expect(committed.seen).to.deep.equal(['0:plain-0']);
    expect(uncommitted.seen).to.deep.equal(['0:plain-0', '1:aborted-0', '2:aborted-1', '4:open-0']);
    await e.writeTxnMarker({ topic: 't', partition: 0, producerId: 2, producerEpoch: 0, coordinatorEpoch: 0, commit: true });
    await e.produce({ topic: 't', partition: 0, records: values(1, 'after') });
    await cluster.advance(10_000);
    expect(committed.seen).to.deep.equal(['0:plain-0', '4:open-0', '6:after-0']);
    await cluster.drive(committed.consumer.disconnect());
    await cluster.drive(uncommitted.consumer.disconnect());
    cluster.close();
  });
});
