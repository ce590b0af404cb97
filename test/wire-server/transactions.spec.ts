/**
 * The transaction API handlers of the wire front end, without sockets, as groups.spec.ts does it:
 * each request framed by our encoder and read back by our decoder as a broker would, handed to
 * the registry's handler, and its response framed by our encoder and read by kafkajs 2.2.4's own
 * decoder and `parse` where kafkajs has that version (v0–v1 of the transaction APIs, v0–v2 of
 * FindCoordinator: what a kafkajs client sees, values or the error it throws); by our decoder for
 * the newer versions Kafka's Java clients send and for DescribeTransactions and ListTransactions.
 */
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { Engine } from '../../emulator/engine.js';
import { kafkaError } from '../../protocol/errors.js';
import {
  AddOffsetsToTxn,
  AddPartitionsToTxn,
  decodeRequest,
  decodeResponse,
  DescribeProducers,
  DescribeTransactions,
  encodeRecordBatch,
  encodeRequest,
  encodeResponse,
  EndTxn,
  Fetch,
  FindCoordinator,
  InitProducerId,
  ListTransactions,
  OffsetFetch,
  Produce,
  TxnOffsetCommit,
  WriteTxnMarkers,
  type ApiSchema,
  type RequestInput,
  type RequestOf,
} from '../../protocol/wire/index.js';
import type { WireContext } from '../../adapters/wire/handler.js';
import { apiVersionRanges, handlerFor } from '../../adapters/wire/handlers/index.js';

const require = createRequire(import.meta.url);
type R = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const KAFKAJS_DIR: Record<number, string> = { 10: 'findCoordinator', 22: 'initProducerId', 24: 'addPartitionsToTxn', 25: 'addOffsetsToTxn', 26: 'endTxn', 28: 'txnOffsetCommit' };
const code = (type: string): number => kafkaError(type).code;
const PRODUCER_FENCED = 90;
const TRANSACTIONAL_ID_NOT_FOUND = 105;

interface Outcome {
  readonly decoded: R;
  readonly parsed?: R;
  readonly error?: R;
}

function contextFor(engine: Engine, brokerId: number): WireContext {
  return { engine, brokerId, clientId: 'app', clientHost: '/10.0.0.7', addressOf: (id) => ({ host: `twin-${id}`, port: 19090 + id }) };
}

/** A request through the codec both ways, the registry's handler, and its response through kafkajs's decoder (ours where kafkajs has none). */
async function call<A extends ApiSchema>(api: A, version: number, ctx: WireContext, body: RequestInput<A>): Promise<Outcome | 'unreachable' | null> {
  const frame = encodeRequest(api, version, { correlationId: 7, clientId: ctx.clientId }, body as never);
  const request = decodeRequest(frame.subarray(4));
  const handler = handlerFor(api.key)!;
  expect(version, `${api.name} v${version} served`).to.be.within(handler.versions[0], handler.versions[1]);
  const result = await handler.handle(ctx, version, request.body as RequestOf<ApiSchema>);
  if (result === null || result === 'unreachable') return result;
  const response = encodeResponse(api, version, 7, result as never);
  let mod: { decode(b: Buffer): Promise<R>; parse(d: R): Promise<R> } | undefined;
  try {
    mod = KAFKAJS_DIR[api.key] === undefined ? undefined : require(`kafkajs/src/protocol/requests/${KAFKAJS_DIR[api.key]}/v${version}/response.js`);
  } catch {
    mod = undefined;
  }
  if (mod === undefined) {
    const { correlationId, body: decoded } = decodeResponse(api, version, response.subarray(4));
    expect(correlationId).to.equal(7);
    return { decoded: decoded as R };
  }
  const decoded = await mod.decode(response.subarray(8));
  try {
    return { decoded, parsed: await mod.parse(decoded) };
  } catch (error) {
    return { decoded, error: error as R };
  }
}

async function answered<A extends ApiSchema>(api: A, version: number, ctx: WireContext, body: RequestInput<A>): Promise<Outcome> {
  const outcome = await call(api, version, ctx, body);
  if (outcome === null || outcome === 'unreachable') throw new Error(`expected an answer, got ${String(outcome)}`);
  return outcome;
}

function newEngine(brokers = 3): Engine {
  const engine = new Engine({ brokers, clock: 'virtual', seed: 5 });
  engine.createTopic({ topic: 't', numPartitions: 2, replicationFactor: 1 });
  return engine;
}

/** The transaction coordinator of `id`, and a broker that is not. */
function coordinatorOf(engine: Engine, id: string): { coordinator: number; other: number } {
  const coordinator = engine.findTransactionCoordinator({ transactionalId: id }).nodeId;
  return { coordinator, other: engine.brokers().find((b) => b.nodeId !== coordinator)!.nodeId };
}

/** A transactional batch of `values` as a producer writes it. */
function txnBatch(producerId: number, producerEpoch: number, baseSequence: number, values: string[]): Buffer {
  return encodeRecordBatch({
    isTransactional: true,
    producerId: BigInt(producerId),
    producerEpoch,
    baseSequence,
    baseTimestamp: 1_700_000_000_000n,
    maxTimestamp: 1_700_000_000_000n,
    records: values.map((v) => ({ timestampDelta: 0, key: null, value: Buffer.from(v), headers: [] })),
  });
}

/** Produce v7 (kafkajs's newest) of one transactional batch to `t` partition `partition`, on its leader. */
async function produceTxn(engine: Engine, producer: { producerId: number; producerEpoch: number }, partition: number, sequence: number, values: string[]): Promise<number> {
  const leader = engine.describeTopic('t').partitions[partition]!.leader;
  const { decoded } = await answered(Produce, 7, contextFor(engine, leader), {
    transactionalId: 'tx',
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: 't', partitionData: [{ index: partition, records: txnBatch(producer.producerId, producer.producerEpoch, sequence, values) }] }],
  });
  return decoded.responses[0].partitionResponses[0].errorCode as number;
}

/** Fetch v4 (the first with isolation levels) of `t` partition `partition`, through our decoder. */
async function fetchFrom(engine: Engine, partition: number, isolationLevel: 0 | 1): Promise<R> {
  const leader = engine.describeTopic('t').partitions[partition]!.leader;
  const { decoded } = await answered(Fetch, 4, contextFor(engine, leader), {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel,
    topics: [{ topic: 't', partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
  });
  return decoded.responses[0].partitions[0] as R;
}

describe('wire server: transaction API handlers', () => {
  it('ApiVersions advertises the transaction APIs with Kafka 3.9’s client ranges (AddPartitionsToTxn up to v3: v4+ is broker-to-broker)', () => {
    const ranges = new Map(apiVersionRanges().map((r) => [r.apiKey, [r.minVersion, r.maxVersion]]));
    expect(Object.fromEntries([10, 22, 24, 25, 26, 28, 65, 66].map((k) => [k, ranges.get(k)]))).to.deep.equal({
      10: [0, 6],
      22: [0, 5],
      24: [0, 3],
      25: [0, 4],
      26: [0, 4],
      28: [0, 4],
      65: [0, 0],
      66: [0, 1],
    });
  });

  describe('FindCoordinator with key type 1', () => {
    it('answers the transaction coordinator at its advertised address from any broker, in every served version', async () => {
      const engine = newEngine();
      const { coordinator, other } = coordinatorOf(engine, 'tx');
      const address = { nodeId: coordinator, host: `twin-${coordinator}`, port: 19090 + coordinator };
      for (const version of [1, 2]) {
        const { parsed } = await answered(FindCoordinator, version, contextFor(engine, other), { key: 'tx', keyType: 1 });
        expect(parsed!.coordinator, `v${version}`).to.deep.equal(address);
      }
      const v3 = await answered(FindCoordinator, 3, contextFor(engine, other), { key: 'tx', keyType: 1 });
      expect(v3.decoded).to.include({ errorCode: 0, errorMessage: 'NONE', ...address });
      const u = coordinatorOf(engine, 'ux').coordinator;
      for (const version of [4, 5, 6]) {
        const { decoded } = await answered(FindCoordinator, version, contextFor(engine, other), { keyType: 1, coordinatorKeys: ['tx', 'ux', ''] });
        expect(decoded.coordinators, `v${version}`).to.have.length(3);
        expect(decoded.coordinators[0]).to.deep.equal({ key: 'tx', ...address, errorCode: 0, errorMessage: 'NONE' });
        expect(decoded.coordinators[1]).to.include({ key: 'ux', nodeId: u, host: `twin-${u}`, port: 19090 + u, errorCode: 0 });
        // Each key is answered on its own: an empty transactional id fails alone.
        expect(decoded.coordinators[2]).to.include({ key: '', nodeId: -1, errorCode: code('INVALID_REQUEST') });
      }
    });

    it('a stopped broker stays silent; while the id’s __transaction_state partition has no leader the answer is COORDINATOR_NOT_AVAILABLE (retriable)', async () => {
      const engine = new Engine({ brokers: 2, clock: 'virtual', seed: 5 });
      engine.stopBroker(2);
      // Created while broker 1 runs alone: every __transaction_state partition has broker 1 as its only replica.
      expect(engine.findTransactionCoordinator({ transactionalId: 'tx' }).nodeId).to.equal(1);
      engine.startBroker(2);
      engine.stopBroker(1);
      const { decoded, error } = await answered(FindCoordinator, 2, contextFor(engine, 2), { key: 'tx', keyType: 1 });
      expect(decoded).to.deep.include({ errorCode: code('GROUP_COORDINATOR_NOT_AVAILABLE'), coordinator: { nodeId: -1, host: '', port: -1 } });
      expect(decoded.errorMessage).to.match(/no leader/);
      expect(error!.retriable).to.equal(true);
      expect(await call(FindCoordinator, 2, contextFor(engine, 1), { key: 'tx', keyType: 1 })).to.equal('unreachable');
      expect(await call(FindCoordinator, 4, contextFor(engine, 1), { keyType: 1, coordinatorKeys: ['tx'] })).to.equal('unreachable');
    });
  });

  describe('a transaction at kafkajs’s versions (v1): init → add partitions → produce → add offsets → txn offset commit → end', () => {
    it('commits: read_committed sees the records once the markers are written, the group its offsets; other brokers answer NOT_COORDINATOR', async () => {
      const engine = newEngine();
      const { coordinator, other } = coordinatorOf(engine, 'tx');
      const ctx = contextFor(engine, coordinator);

      const misrouted = await answered(InitProducerId, 1, contextFor(engine, other), { transactionalId: 'tx', transactionTimeoutMs: 30000 });
      expect(misrouted.error).to.include({ type: 'NOT_COORDINATOR_FOR_GROUP', retriable: true }); // kafkajs's name for NOT_COORDINATOR (16)
      const init = await answered(InitProducerId, 1, ctx, { transactionalId: 'tx', transactionTimeoutMs: 30000 });
      expect(init.parsed).to.include({ errorCode: 0, producerEpoch: 0 });
      const producer = { producerId: Number(init.parsed!.producerId), producerEpoch: init.parsed!.producerEpoch as number };
      const ids = { transactionalId: 'tx', producerId: BigInt(producer.producerId), producerEpoch: producer.producerEpoch };

      const added = await answered(AddPartitionsToTxn, 1, ctx, {
        v3AndBelowTransactionalId: 'tx',
        v3AndBelowProducerId: ids.producerId,
        v3AndBelowProducerEpoch: ids.producerEpoch,
        v3AndBelowTopics: [{ name: 't', partitions: [0, 1] }],
      });
      expect(added.parsed!.errors).to.deep.equal([
        {
          topic: 't',
          partitionErrors: [
            { partition: 0, errorCode: 0 },
            { partition: 1, errorCode: 0 },
          ],
        },
      ]);
      expect(await produceTxn(engine, producer, 0, 0, ['a', 'b'])).to.equal(0);
      expect(await produceTxn(engine, producer, 1, 0, ['c'])).to.equal(0);

      const group = engine.groupCoordinator.findCoordinator('g').nodeId;
      expect((await answered(AddOffsetsToTxn, 1, ctx, { ...ids, groupId: 'g' })).parsed).to.include({ errorCode: 0 });
      const offsets = { ...ids, groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 12n, committedMetadata: 'm' }] }] };
      const notGroupCoordinator = engine.brokers().find((b) => b.nodeId !== group)!.nodeId;
      const wrong = await answered(TxnOffsetCommit, 1, contextFor(engine, notGroupCoordinator), offsets);
      expect(wrong.error).to.include({ type: 'NOT_COORDINATOR_FOR_GROUP' }); // kafkajs's name for code 16
      const committedOffsets = await answered(TxnOffsetCommit, 1, contextFor(engine, group), offsets);
      expect(committedOffsets.parsed!.topics).to.deep.equal([{ topic: 't', partitions: [{ partition: 0, errorCode: 0 }] }]);

      const pending = await fetchFrom(engine, 0, 1);
      expect(pending.lastStableOffset).to.equal(0n);
      expect(pending.records === null || pending.records.length === 0).to.equal(true);
      // OffsetFetch v7 requireStable: the pending transactional commit is unstable (retriable); v6 answers what is committed.
      const stable = await answered(OffsetFetch, 7, contextFor(engine, group), { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }], requireStable: true });
      expect(stable.decoded.topics[0].partitions[0]).to.include({ errorCode: code('UNSTABLE_OFFSET_COMMIT'), committedOffset: -1n });
      const v6 = await answered(OffsetFetch, 6, contextFor(engine, group), { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] });
      expect(v6.decoded.topics[0].partitions[0]).to.include({ errorCode: 0, committedOffset: -1n });

      expect((await answered(EndTxn, 1, contextFor(engine, other), { ...ids, committed: true })).error).to.include({ type: 'NOT_COORDINATOR_FOR_GROUP' });
      expect((await answered(EndTxn, 1, ctx, { ...ids, committed: true })).parsed).to.include({ errorCode: 0 });
      await engine.advance(1);

      const done = await fetchFrom(engine, 0, 1);
      expect(done.lastStableOffset).to.equal(3n); // two records and the commit marker
      expect(done.abortedTransactions).to.deep.equal([]);
      const after = await answered(OffsetFetch, 7, contextFor(engine, group), { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }], requireStable: true });
      expect(after.decoded.topics[0].partitions[0]).to.include({ errorCode: 0, committedOffset: 12n, metadata: 'm' });
    });

    it('aborts: Fetch read_committed names the aborted transaction, read_uncommitted does not', async () => {
      const engine = newEngine();
      const { coordinator } = coordinatorOf(engine, 'tx');
      const ctx = contextFor(engine, coordinator);
      const init = await answered(InitProducerId, 1, ctx, { transactionalId: 'tx', transactionTimeoutMs: 30000 });
      const producer = { producerId: Number(init.parsed!.producerId), producerEpoch: init.parsed!.producerEpoch as number };
      const ids = { transactionalId: 'tx', producerId: BigInt(producer.producerId), producerEpoch: producer.producerEpoch };
      await answered(AddPartitionsToTxn, 0, ctx, { v3AndBelowTransactionalId: 'tx', v3AndBelowProducerId: ids.producerId, v3AndBelowProducerEpoch: ids.producerEpoch, v3AndBelowTopics: [{ name: 't', partitions: [0] }] });
      expect(await produceTxn(engine, producer, 0, 0, ['x', 'y'])).to.equal(0);
      expect((await answered(EndTxn, 0, ctx, { ...ids, committed: false })).parsed).to.include({ errorCode: 0 });
      await engine.advance(1);
      const committed = await fetchFrom(engine, 0, 1);
      expect(committed.lastStableOffset).to.equal(3n);
      expect(committed.abortedTransactions).to.deep.equal([{ producerId: ids.producerId, firstOffset: 0n }]);
      expect((await fetchFrom(engine, 0, 0)).abortedTransactions).to.equal(null);
    });
  });

  describe('fencing answers by version', () => {
    it('INVALID_PRODUCER_EPOCH below the version that has PRODUCER_FENCED, PRODUCER_FENCED from it', async () => {
      const engine = newEngine();
      const { coordinator } = coordinatorOf(engine, 'tx');
      const ctx = contextFor(engine, coordinator);
      const first = await answered(InitProducerId, 1, ctx, { transactionalId: 'tx', transactionTimeoutMs: 30000 });
      const second = await answered(InitProducerId, 1, ctx, { transactionalId: 'tx', transactionTimeoutMs: 30000 });
      expect(second.parsed).to.include({ producerId: first.parsed!.producerId, producerEpoch: 1 });
      const zombie = { transactionalId: 'tx', producerId: BigInt(first.parsed!.producerId as string), producerEpoch: 0 };
      const add = (v: number) =>
        answered(AddPartitionsToTxn, v, ctx, { v3AndBelowTransactionalId: 'tx', v3AndBelowProducerId: zombie.producerId, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 't', partitions: [0] }] });
      const v1 = await add(1);
      expect(v1.error).to.include({ type: 'INVALID_PRODUCER_EPOCH' });
      for (const v of [2, 3]) expect((await add(v)).decoded.resultsByTopicV3AndBelow[0].resultsByPartition[0].errorCode, `v${v}`).to.equal(PRODUCER_FENCED);
      expect((await answered(AddOffsetsToTxn, 1, ctx, { ...zombie, groupId: 'g' })).error).to.include({ type: 'INVALID_PRODUCER_EPOCH' });
      expect((await answered(AddOffsetsToTxn, 4, ctx, { ...zombie, groupId: 'g' })).decoded.errorCode).to.equal(PRODUCER_FENCED);
      expect((await answered(EndTxn, 1, ctx, { ...zombie, committed: true })).error).to.include({ type: 'INVALID_PRODUCER_EPOCH' });
      for (const v of [2, 3, 4]) expect((await answered(EndTxn, v, ctx, { ...zombie, committed: true })).decoded.errorCode, `v${v}`).to.equal(PRODUCER_FENCED);
    });

    it('InitProducerId v3+ (KIP-360): the current producer bumps its own epoch; a stale one is fenced (PRODUCER_FENCED at v4+, INVALID_PRODUCER_EPOCH at v3)', async () => {
      const engine = newEngine();
      const { coordinator } = coordinatorOf(engine, 'tx');
      const ctx = contextFor(engine, coordinator);
      const first = (await answered(InitProducerId, 5, ctx, { transactionalId: 'tx', transactionTimeoutMs: 30000 })).decoded;
      expect(first).to.include({ errorCode: 0, producerEpoch: 0 });
      const bumped = (await answered(InitProducerId, 4, ctx, { transactionalId: 'tx', transactionTimeoutMs: 30000, producerId: first.producerId, producerEpoch: 0 })).decoded;
      expect(bumped).to.include({ errorCode: 0, producerId: first.producerId, producerEpoch: 1 });
      const stale = { transactionalId: 'tx', transactionTimeoutMs: 30000, producerId: first.producerId + 1000n, producerEpoch: 0 };
      expect((await answered(InitProducerId, 4, ctx, stale)).decoded).to.include({ errorCode: PRODUCER_FENCED, producerId: -1n, producerEpoch: -1 });
      expect((await answered(InitProducerId, 3, ctx, stale)).decoded.errorCode).to.equal(code('INVALID_PRODUCER_EPOCH'));
      // Without a transactional id: an idempotent producer's id from any broker.
      const idempotent = (await answered(InitProducerId, 5, contextFor(engine, 1), { transactionalId: null, transactionTimeoutMs: 0 })).decoded;
      expect(idempotent).to.include({ errorCode: 0, producerEpoch: 0 });
      expect(idempotent.producerId).to.not.equal(first.producerId);
    });
  });

  it('TxnOffsetCommit v3+ checks the consumer’s generation and member as OffsetCommit does (KIP-447)', async () => {
    const engine = newEngine();
    const { coordinator } = coordinatorOf(engine, 'tx');
    const ctx = contextFor(engine, coordinator);
    const init = (await answered(InitProducerId, 4, ctx, { transactionalId: 'tx', transactionTimeoutMs: 30000 })).decoded;
    const ids = { transactionalId: 'tx', producerId: init.producerId as bigint, producerEpoch: init.producerEpoch as number };
    expect((await answered(AddOffsetsToTxn, 3, ctx, { ...ids, groupId: 'g' })).decoded.errorCode).to.equal(0);
    const group = contextFor(engine, engine.groupCoordinator.findCoordinator('g').nodeId);
    const topics = [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 4n, committedLeaderEpoch: 2, committedMetadata: null }] }];
    const ghost = await answered(TxnOffsetCommit, 3, group, { ...ids, groupId: 'g', generationId: 3, memberId: 'ghost', groupInstanceId: null, topics });
    expect(ghost.decoded.topics[0].partitions[0].errorCode).to.be.oneOf([code('UNKNOWN_MEMBER_ID'), code('ILLEGAL_GENERATION')]);
    const plain = await answered(TxnOffsetCommit, 4, group, { ...ids, groupId: 'g', topics });
    expect(plain.decoded.topics).to.deep.equal([{ name: 't', partitions: [{ partitionIndex: 1, errorCode: 0 }] }]);
  });

  describe('DescribeTransactions (v0) and ListTransactions (v0–v1)', () => {
    it('describe: the state, timeout, start time, producer and partitions from the coordinator; NOT_COORDINATOR elsewhere; TRANSACTIONAL_ID_NOT_FOUND for an unknown id', async () => {
      const engine = newEngine();
      const { coordinator, other } = coordinatorOf(engine, 'tx');
      const ctx = contextFor(engine, coordinator);
      const init = (await answered(InitProducerId, 4, ctx, { transactionalId: 'tx', transactionTimeoutMs: 45000 })).decoded;
      await engine.advance(10);
      await answered(AddPartitionsToTxn, 3, ctx, { v3AndBelowTransactionalId: 'tx', v3AndBelowProducerId: init.producerId, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 't', partitions: [1, 0] }] });
      const startedAt = engine.clock.now();
      const { decoded } = await answered(DescribeTransactions, 0, ctx, { transactionalIds: ['tx', 'nobody'] });
      const [tx, nobody] = decoded.transactionStates as R[];
      expect(tx).to.deep.include({
        errorCode: 0,
        transactionalId: 'tx',
        transactionState: 'Ongoing',
        transactionTimeoutMs: 45000,
        transactionStartTimeMs: BigInt(startedAt),
        producerId: init.producerId,
        producerEpoch: 0,
      });
      expect(tx!.topics).to.have.length(1);
      expect(tx!.topics[0].topic).to.equal('t');
      expect([...tx!.topics[0].partitions].sort()).to.deep.equal([0, 1]);
      expect(nobody).to.include({ transactionalId: 'nobody' });
      expect(nobody!.errorCode).to.be.oneOf([TRANSACTIONAL_ID_NOT_FOUND, code('NOT_COORDINATOR')]);
      const elsewhere = (await answered(DescribeTransactions, 0, contextFor(engine, other), { transactionalIds: ['tx'] })).decoded;
      expect(elsewhere.transactionStates[0]).to.include({ transactionalId: 'tx', errorCode: code('NOT_COORDINATOR') });
      expect(await call(DescribeTransactions, 0, contextFor(engine, coordinator), { transactionalIds: [] })).to.deep.equal({ decoded: { throttleTimeMs: 0, transactionStates: [] } });
    });

    it('list: what each broker coordinates, by state and producer id; unknown states are named back; v1’s duration filter', async () => {
      const engine = newEngine(1);
      const ctx = contextFor(engine, 1);
      const a = (await answered(InitProducerId, 4, ctx, { transactionalId: 'a', transactionTimeoutMs: 60000 })).decoded;
      const b = (await answered(InitProducerId, 4, ctx, { transactionalId: 'b', transactionTimeoutMs: 60000 })).decoded;
      await answered(AddPartitionsToTxn, 3, ctx, { v3AndBelowTransactionalId: 'b', v3AndBelowProducerId: b.producerId, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 't', partitions: [0] }] });
      await engine.advance(1000);
      const all = (await answered(ListTransactions, 0, ctx, { stateFilters: [], producerIdFilters: [] })).decoded;
      expect(all).to.include({ errorCode: 0 });
      expect(all.unknownStateFilters).to.deep.equal([]);
      expect([...all.transactionStates].sort((x: R, y: R) => (x.transactionalId < y.transactionalId ? -1 : 1))).to.deep.equal([
        { transactionalId: 'a', producerId: a.producerId, transactionState: 'Empty' },
        { transactionalId: 'b', producerId: b.producerId, transactionState: 'Ongoing' },
      ]);
      const ongoing = (await answered(ListTransactions, 0, ctx, { stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [] })).decoded;
      expect(ongoing.unknownStateFilters).to.deep.equal(['Bogus']);
      expect(ongoing.transactionStates.map((t: R) => t.transactionalId)).to.deep.equal(['b']);
      const byProducer = (await answered(ListTransactions, 1, ctx, { stateFilters: [], producerIdFilters: [a.producerId] })).decoded;
      expect(byProducer.transactionStates.map((t: R) => t.transactionalId)).to.deep.equal(['a']);
      const longRunning = (await answered(ListTransactions, 1, ctx, { stateFilters: ['Ongoing'], producerIdFilters: [], durationFilter: 500n })).decoded;
      expect(longRunning.transactionStates.map((t: R) => t.transactionalId)).to.deep.equal(['b']);
      // As Kafka's listTransactionStates: an Empty transaction's start time is -1, so any duration filter lets it through.
      const tooLong = (await answered(ListTransactions, 1, ctx, { stateFilters: [], producerIdFilters: [], durationFilter: 5000n })).decoded;
      expect(tooLong.transactionStates.map((t: R) => t.transactionalId)).to.deep.equal(['a']);
    });
  });

  describe('DescribeProducers and WriteTxnMarkers (kafka-transactions.sh describe-producers, find-hanging, abort)', () => {
    it('advertises Kafka 3.9\'s ranges: WriteTxnMarkers v0-1, DescribeProducers v0', () => {
      const ranges = new Map(apiVersionRanges().map((r) => [r.apiKey, [r.minVersion, r.maxVersion]]));
      expect([ranges.get(27), ranges.get(61)]).to.deep.equal([
        [0, 1],
        [0, 0],
      ]);
    });

    it('a transaction no coordinator knows: described by its partition\'s replica, aborted by hand with WriteTxnMarkers on the leader', async () => {
      const engine = newEngine();
      expect(await produceTxn(engine, { producerId: 77, producerEpoch: 0 }, 0, 0, ['a', 'b'])).to.equal(0);
      const leader = engine.describeTopic('t').partitions[0]!.leader;
      const other = engine.brokers().find((b) => b.nodeId !== leader)!.nodeId;
      const describe = async (broker: number, topic = 't') =>
        (await answered(DescribeProducers, 0, contextFor(engine, broker), { topics: [{ name: topic, partitionIndexes: [0] }] })).decoded.topics[0].partitions[0] as R;
      const before = await describe(leader);
      expect(before).to.deep.include({ partitionIndex: 0, errorCode: 0, errorMessage: null });
      expect(before.activeProducers).to.have.length(1);
      expect(before.activeProducers[0]).to.deep.include({ producerId: 77n, producerEpoch: 0, lastSequence: 1, coordinatorEpoch: -1, currentTxnStartOffset: 0n });
      expect(before.activeProducers[0].lastTimestamp).to.equal(1_700_000_000_000n);
      // Replication factor 1: another broker holds no replica.
      expect(await describe(other)).to.deep.include({ errorCode: code('NOT_LEADER_FOR_PARTITION'), activeProducers: [] });
      expect((await describe(leader, 'nope')).errorCode).to.equal(code('UNKNOWN_TOPIC_OR_PARTITION'));

      const abort = (broker: number, version: number) =>
        answered(WriteTxnMarkers, version, contextFor(engine, broker), {
          markers: [{ producerId: 77n, producerEpoch: 0, transactionResult: false, topics: [{ name: 't', partitionIndexes: [0] }], coordinatorEpoch: 0 }],
        });
      expect((await abort(other, 1)).decoded).to.deep.equal({ markers: [{ producerId: 77n, topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: code('NOT_LEADER_FOR_PARTITION') }] }] }] });
      expect((await fetchFrom(engine, 0, 1)).lastStableOffset).to.equal(0n);
      expect((await abort(leader, 0)).decoded.markers[0].topics[0].partitions[0].errorCode).to.equal(0);
      const fetched = await fetchFrom(engine, 0, 1);
      expect([fetched.lastStableOffset, fetched.abortedTransactions]).to.deep.equal([3n, [{ producerId: 77n, firstOffset: 0n }]]);
      expect((await describe(leader)).activeProducers[0]).to.deep.include({ coordinatorEpoch: 0, currentTxnStartOffset: -1n });
    });
  });

  it('a stopped broker answers none of the transaction APIs', async () => {
    const engine = newEngine(2);
    engine.stopBroker(2);
    const ctx = contextFor(engine, 2);
    const ids = { transactionalId: 'tx', producerId: 1n, producerEpoch: 0 };
    expect(await call(InitProducerId, 4, ctx, { transactionalId: 'tx', transactionTimeoutMs: 1000 })).to.equal('unreachable');
    expect(await call(InitProducerId, 4, ctx, { transactionalId: null, transactionTimeoutMs: 1000 })).to.equal('unreachable');
    expect(await call(AddPartitionsToTxn, 3, ctx, { v3AndBelowTransactionalId: 'tx', v3AndBelowProducerId: 1n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 't', partitions: [0] }] })).to.equal('unreachable');
    expect(await call(AddOffsetsToTxn, 3, ctx, { ...ids, groupId: 'g' })).to.equal('unreachable');
    expect(await call(EndTxn, 3, ctx, { ...ids, committed: true })).to.equal('unreachable');
    expect(await call(TxnOffsetCommit, 3, ctx, { ...ids, groupId: 'g', topics: [] })).to.equal('unreachable');
    expect(await call(DescribeTransactions, 0, ctx, { transactionalIds: ['tx'] })).to.equal('unreachable');
    expect(await call(ListTransactions, 1, ctx, { stateFilters: [], producerIdFilters: [] })).to.equal('unreachable');
    expect(await call(DescribeProducers, 0, ctx, { topics: [{ name: 't', partitionIndexes: [0] }] })).to.equal('unreachable');
    const marker = { producerId: 1n, producerEpoch: 0, transactionResult: true, topics: [{ name: 't', partitionIndexes: [0] }], coordinatorEpoch: 0 };
    expect(await call(WriteTxnMarkers, 1, ctx, { markers: [marker] })).to.equal('unreachable');
  });
});
