/**
 * The transaction coordinator wired into the engine: InitProducerId with a transactional id,
 * AddPartitionsToTxn, transactional produce, AddOffsetsToTxn and TxnOffsetCommit through the
 * group coordinator, EndTxn writing markers on the partitions' leaders, read_committed visibility,
 * fencing, timeouts on the cluster clock, and coordinator failover with a transaction open.
 */
import { expect } from 'chai';
import { Engine } from '../../emulator/engine.js';
import type { ClusterEvent } from '../../emulator/events.js';
import { visibleRanges } from '../../emulator/fetch.js';
import { readRecords } from '../../emulator/records.js';
import { TRANSACTION_STATE_TOPIC } from '../../emulator/transactions/index.js';
import { values } from '../helpers.js';

function engine(brokers = 1, config: Record<string, string | number | boolean> = {}): Engine {
  return new Engine({ brokers, clock: 'virtual', seed: 11, config });
}

function eventsOf<T extends ClusterEvent['type']>(e: Engine, type: T): Extract<ClusterEvent, { type: T }>[] {
  return e.events().filter((x): x is Extract<ClusterEvent, { type: T }> => x.type === type);
}

function visible(e: Engine, topic: string, partition: number, isolationLevel: 'read_committed' | 'read_uncommitted'): string[] {
  const result = e.fetchRanges({ topic, partition, offset: 0, isolationLevel });
  return readRecords(visibleRanges(result)).map((r) => r.value!.toString());
}

/** A transactional producer on the engine, as a client drives it. */
class Txn {
  producerId = -1;
  producerEpoch = -1;
  private sequences = new Map<string, number>();
  constructor(
    readonly e: Engine,
    readonly id: string,
    readonly timeoutMs = 60000,
  ) {}

  init(): number {
    const a = this.e.initProducerId({ transactionalId: this.id, transactionTimeoutMs: this.timeoutMs });
    if (a.errorCode === 0) {
      this.producerId = a.producerId;
      this.producerEpoch = a.producerEpoch;
      this.sequences.clear();
    }
    return a.errorCode;
  }

  add(topic: string, partition: number): number {
    const a = this.e.addPartitionsToTxn({ transactionalId: this.id, producerId: this.producerId, producerEpoch: this.producerEpoch, topics: [{ topic, partitions: [partition] }] });
    return a.results[0]!.partitions[0]!.errorCode;
  }

  async send(topic: string, partition: number, n: number, prefix: string): Promise<number> {
    const key = `${topic}-${partition}`;
    const baseSequence = this.sequences.get(key) ?? 0;
    const r = await this.e.produce({
      topic,
      partition,
      records: values(n, prefix),
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      baseSequence,
      isTransactional: true,
      acks: -1,
    });
    if (r.errorCode === 0) this.sequences.set(key, baseSequence + n);
    return r.errorCode;
  }

  /** `version` 1 is kafkajs's (INVALID_PRODUCER_EPOCH where newer versions answer PRODUCER_FENCED). */
  end(committed: boolean, version?: number): number {
    const request = { transactionalId: this.id, producerId: this.producerId, producerEpoch: this.producerEpoch, committed };
    return this.e.endTxn(version === undefined ? request : { ...request, version }).errorCode ?? 0;
  }
}

describe('engine: transactions', () => {
  it('commits: the records become visible to read_committed once the markers are written, and the LSO moves past the marker', async () => {
    const e = engine();
    e.createTopic({ topic: 't', numPartitions: 2 });
    const p = new Txn(e, 'tx-a');
    expect(p.init()).to.equal(0);
    expect(e.hasTopic(TRANSACTION_STATE_TOPIC)).to.equal(true);
    expect([p.add('t', 0), p.add('t', 1)]).to.deep.equal([0, 0]);
    expect([await p.send('t', 0, 3, 'a'), await p.send('t', 1, 2, 'b')]).to.deep.equal([0, 0]);
    expect(visible(e, 't', 0, 'read_committed')).to.deep.equal([]);
    expect(visible(e, 't', 0, 'read_uncommitted')).to.deep.equal(['a-0', 'a-1', 'a-2']);
    expect(p.end(true)).to.equal(0);
    await e.advance(1);
    expect(visible(e, 't', 0, 'read_committed')).to.deep.equal(['a-0', 'a-1', 'a-2']);
    expect(visible(e, 't', 1, 'read_committed')).to.deep.equal(['b-0', 'b-1']);
    expect(e.listOffsets('t', 0, 'latest', undefined, 'read_committed').offset).to.equal(4);
    const types = e.events().map((x) => x.type).filter((t) => t.startsWith('txn-'));
    expect(types).to.deep.equal(['txn-begin', 'txn-marker-written', 'txn-marker-written', 'txn-commit']);
  });

  it('aborts: read_committed never sees the records, read_uncommitted does; the next transaction of the producer commits', async () => {
    const e = engine();
    e.createTopic({ topic: 't' });
    const p = new Txn(e, 'tx-b');
    p.init();
    p.add('t', 0);
    await p.send('t', 0, 2, 'x');
    expect(p.end(false)).to.equal(0);
    await e.advance(1);
    p.add('t', 0);
    await p.send('t', 0, 1, 'y');
    p.end(true);
    await e.advance(1);
    expect(visible(e, 't', 0, 'read_committed')).to.deep.equal(['y-0']);
    expect(visible(e, 't', 0, 'read_uncommitted')).to.deep.equal(['x-0', 'x-1', 'y-0']);
    expect(eventsOf(e, 'txn-abort').map((x) => x.reason)).to.deep.equal(['client']);
  });

  it('fences: a second InitProducerId aborts the open transaction (CONCURRENT_TRANSACTIONS until the markers are written) and the zombie is refused', async () => {
    const e = engine();
    e.createTopic({ topic: 't' });
    const zombie = new Txn(e, 'tx-c');
    zombie.init();
    zombie.add('t', 0);
    await zombie.send('t', 0, 2, 'z');
    const fresh = new Txn(e, 'tx-c');
    expect(fresh.init()).to.equal(51);
    await e.advance(1);
    expect(fresh.init()).to.equal(0);
    expect(fresh.producerId).to.equal(zombie.producerId);
    expect(fresh.producerEpoch).to.equal(zombie.producerEpoch + 2);
    expect(await zombie.send('t', 0, 1, 'late')).to.equal(47);
    expect([zombie.end(true), zombie.end(true, 1)]).to.deep.equal([90, 47]);
    expect(visible(e, 't', 0, 'read_committed')).to.deep.equal([]);
    // One bump aborts the zombie's transaction, the next gives the new instance its epoch.
    expect(eventsOf(e, 'txn-fenced').map((x) => [x.reason, x.fencedEpoch])).to.deep.equal([
      ['init', zombie.producerEpoch],
      ['init', zombie.producerEpoch + 1],
    ]);
  });

  it('aborts a transaction open past its timeout on the coordinator\'s schedule', async () => {
    const e = engine();
    e.createTopic({ topic: 't' });
    const p = new Txn(e, 'tx-d', 5000);
    p.init();
    p.add('t', 0);
    await p.send('t', 0, 1, 'slow');
    await e.advance(5000);
    expect(eventsOf(e, 'txn-timed-out')).to.have.length(0);
    await e.advance(10000);
    expect(eventsOf(e, 'txn-timed-out')).to.have.length(1);
    expect(eventsOf(e, 'txn-abort').map((x) => x.reason)).to.deep.equal(['timeout']);
    expect(p.end(true, 1)).to.equal(47);
    expect(e.listOffsets('t', 0, 'latest', undefined, 'read_committed').offset).to.equal(2);
  });

  it('commits offsets with the transaction: held until the marker reaches the group, dropped on abort; requireStable answers UNSTABLE_OFFSET_COMMIT meanwhile', async () => {
    const e = engine();
    e.createTopic({ topic: 'in' });
    e.createTopic({ topic: 'out' });
    const p = new Txn(e, 'tx-e');
    p.init();
    const offsets = (offset: number) => ({
      transactionalId: 'tx-e',
      groupId: 'g',
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      topics: [{ topic: 'in', partitions: [{ partition: 0, committedOffset: offset }] }],
    });
    const fetchOffset = (requireStable = false) => e.groupCoordinator.offsetFetch({ groupId: 'g', topics: [{ topic: 'in', partitions: [0] }], requireStable }).topics[0]!.partitions[0]!;
    p.add('out', 0);
    expect(e.txnOffsetCommit(offsets(5)).topics[0]!.partitions[0]!.errorCode).to.equal(48);
    expect(e.addOffsetsToTxn({ transactionalId: 'tx-e', producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'g' }).errorCode).to.equal(0);
    expect(e.txnOffsetCommit(offsets(5)).topics[0]!.partitions[0]!.errorCode).to.equal(0);
    expect(fetchOffset()).to.include({ offset: -1, errorCode: 0 });
    expect(fetchOffset(true)).to.include({ offset: -1, errorCode: 88 });
    p.end(false);
    await e.advance(1);
    expect(fetchOffset(true)).to.include({ offset: -1, errorCode: 0 });
    e.addOffsetsToTxn({ transactionalId: 'tx-e', producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'g' });
    e.txnOffsetCommit(offsets(7));
    p.end(true);
    await e.advance(1);
    expect(fetchOffset(true)).to.include({ offset: 7, errorCode: 0 });
    expect(eventsOf(e, 'group-offsets-committed').at(-1)).to.include({ groupId: 'g', producerId: p.producerId });
  });

  it('keeps a transaction across a coordinator failover and writes its markers on the partitions\' new leaders', async () => {
    const e = engine(3, { 'transaction.state.log.num.partitions': 1 });
    e.createTopic({ topic: 't', numPartitions: 1, replicationFactor: 3 });
    const p = new Txn(e, 'tx-f');
    p.init();
    p.add('t', 0);
    expect(await p.send('t', 0, 2, 'f')).to.equal(0);
    const coordinator = e.findTransactionCoordinator({ transactionalId: 'tx-f' }).nodeId;
    e.stopBroker(coordinator);
    const moved = e.findTransactionCoordinator({ transactionalId: 'tx-f' });
    expect(moved.errorCode).to.equal(0);
    expect(moved.nodeId).to.not.equal(coordinator);
    expect(p.end(true)).to.equal(0);
    await e.advance(1000);
    expect(visible(e, 't', 0, 'read_committed')).to.deep.equal(['f-0', 'f-1']);
    expect(e.describeTransactions({ transactionalIds: ['tx-f'] }).transactionStates[0]).to.include({ transactionState: 'CompleteCommit' });
  });

  it('answers NOT_COORDINATOR from a broker that does not coordinate the id, and TxnOffsetCommit from a broker that does not coordinate the group', () => {
    const e = engine(3, { 'transaction.state.log.num.partitions': 1, 'offsets.topic.num.partitions': 1 });
    const found = e.findTransactionCoordinator({ transactionalId: 'tx-g' });
    const other = [1, 2, 3].find((b) => b !== found.nodeId)!;
    expect(e.initProducerId({ transactionalId: 'tx-g', broker: other }).errorCode).to.equal(16);
    const p = e.initProducerId({ transactionalId: 'tx-g', broker: found.nodeId });
    const group = e.groupCoordinator.findCoordinator('g').nodeId;
    const notGroup = [1, 2, 3].find((b) => b !== group)!;
    const answer = e.txnOffsetCommit({
      broker: notGroup,
      transactionalId: 'tx-g',
      groupId: 'g',
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      topics: [{ topic: 'x', partitions: [{ partition: 0, committedOffset: 1 }] }],
    });
    expect(answer.topics[0]!.partitions[0]!.errorCode).to.equal(16);
  });

  it('verifies a write that would open a transaction on a partition (KIP-890): not added INVALID_TXN_STATE, an old epoch INVALID_PRODUCER_EPOCH, while completing NOT_ENOUGH_REPLICAS', async () => {
    const e = engine();
    e.createTopic({ topic: 't', numPartitions: 2 });
    const p = new Txn(e, 'tx-v');
    p.init();
    expect(await p.send('t', 0, 1, 'unadded')).to.equal(48);
    p.add('t', 0);
    expect(await p.send('t', 0, 1, 'a')).to.equal(0);
    p.end(false);
    // The abort's markers are not written yet: a write opening a transaction on t-1 cannot be verified.
    expect(await p.send('t', 1, 1, 'during')).to.equal(19);
    await e.advance(1);
    // A late write after the abort (no AddPartitionsToTxn) would open a transaction no marker ends: refused.
    expect(await p.send('t', 0, 1, 'late')).to.equal(48);
    expect(e.listOffsets('t', 0, 'latest', undefined, 'read_committed').offset).to.equal(e.listOffsets('t', 0, 'latest').offset);
    const fresh = new Txn(e, 'tx-v');
    fresh.init();
    expect(await p.send('t', 1, 1, 'zombie')).to.equal(47);
  });

  it('writes a new marker for a new transaction even when the answer for an earlier marker of the same producer and epoch was never collected', async () => {
    const e = engine(2, { 'min.insync.replicas': 1 });
    e.createTopic({ topic: 't', numPartitions: 1, replicationFactor: 2 });
    const { producerId } = e.initProducerId();
    const write = (baseSequence: number) =>
      e.produce({ topic: 't', partition: 0, records: values(1, `s${baseSequence}`), producerId, producerEpoch: 0, baseSequence, isTransactional: true, acks: 1 });
    const marker = { topic: 't', partition: 0, producerId, producerEpoch: 0, coordinatorEpoch: 0, commit: true };
    const port = e.transactionCoordinator.port;
    expect((await write(0)).errorCode).to.equal(0);
    const follower = e.describeTopic('t').partitions[0]!.replicas.find((b) => b !== e.describeTopic('t').partitions[0]!.leader)!;
    e.isolateBroker(follower);
    // Appended, but the isolated follower holds the high watermark back: asked again later.
    expect(port.writeTxnMarkers([marker])).to.deep.equal([7]);
    await e.advance(60_000);
    // The write settled (the ISR shrank) and nobody collected its answer; the producer's next transaction:
    expect((await write(1)).errorCode).to.equal(0);
    expect(port.writeTxnMarkers([marker])).to.deep.equal([0]);
    const markers = e.events().filter((x) => x.type === 'txn-marker-written');
    expect(markers.map((x) => (x as { offset: number }).offset)).to.deep.equal([1, 3]);
  });
});
