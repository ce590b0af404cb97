/**
 * The group API handlers of the wire front end, without sockets: each request is framed by our
 * encoder and read back by our decoder as a broker would, handed to the handler, and its response
 * framed by our encoder and read by kafkajs 2.2.4's own decoder and `parse` (what a kafkajs client
 * sees: the values, or the error it throws). Versions kafkajs has no module for (FindCoordinator
 * v3–v4) are read back by our decoder.
 */
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { Engine } from '../../emulator/engine.js';
import { decodeAssignment, encodeMemberAssignment, encodeMemberMetadata } from '../../protocol/consumer-protocol.js';
import { kafkaError } from '../../protocol/errors.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, type ApiSchema, type RequestInput, type RequestOf } from '../../protocol/wire/index.js';
import type { Handler, WireContext } from '../../adapters/wire/handler.js';
import { GROUP_HANDLERS } from '../../adapters/wire/handlers/groups.js';

const require = createRequire(import.meta.url);
type R = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const KAFKAJS_DIR: Record<number, string> = {
  8: 'offsetCommit',
  9: 'offsetFetch',
  10: 'findCoordinator',
  11: 'joinGroup',
  12: 'heartbeat',
  13: 'leaveGroup',
  14: 'syncGroup',
  15: 'describeGroups',
  16: 'listGroups',
  42: 'deleteGroups',
};
const code = (type: string): number => kafkaError(type).code;

/** What a client gets: kafkajs's decoded response, and what its `parse` returned or threw. */
interface Outcome {
  readonly decoded: R;
  readonly parsed?: R;
  readonly error?: R;
}

function handlerOf(key: number): Handler {
  const h = GROUP_HANDLERS.find((x) => x.api.key === key);
  if (h === undefined) throw new Error(`no handler for API key ${key}`);
  return h;
}

function contextFor(engine: Engine, brokerId: number): WireContext {
  return { engine, brokerId, clientId: 'app', clientHost: '/10.0.0.7', addressOf: (id) => ({ host: `twin-${id}`, port: 19090 + id }) };
}

/** A request through the codec both ways, the handler, and its response through kafkajs's decoder. */
async function call<A extends ApiSchema>(api: A, version: number, ctx: WireContext, body: RequestInput<A>): Promise<Outcome | 'unreachable' | null> {
  const frame = encodeRequest(api, version, { correlationId: 7, clientId: ctx.clientId }, body as never);
  const request = decodeRequest(frame.subarray(4));
  expect(request.api.key).to.equal(api.key);
  const handler = handlerOf(api.key);
  expect(version).to.be.within(handler.versions[0], handler.versions[1]);
  const result = await handler.handle(ctx, version, request.body as RequestOf<ApiSchema>);
  if (result === null || result === 'unreachable') return result;
  const response = encodeResponse(api, version, 7, result as never);
  let mod: { decode(b: Buffer): Promise<R>; parse(d: R): Promise<R> };
  try {
    mod = require(`kafkajs/src/protocol/requests/${KAFKAJS_DIR[api.key]}/v${version}/response.js`);
  } catch {
    const { correlationId, body: decoded } = decodeResponse(api, version, response.subarray(4));
    expect(correlationId).to.equal(7);
    return { decoded: decoded as R };
  }
  // kafkajs's connection hands its decoder the bytes after the size and the correlation id.
  const decoded = await mod.decode(response.subarray(8));
  try {
    return { decoded, parsed: await mod.parse(decoded) };
  } catch (error) {
    return { decoded, error: error as R };
  }
}

/** `call` for a request that must be answered. */
async function answered<A extends ApiSchema>(api: A, version: number, ctx: WireContext, body: RequestInput<A>): Promise<Outcome> {
  const outcome = await call(api, version, ctx, body);
  if (outcome === null || outcome === 'unreachable') throw new Error(`expected an answer, got ${String(outcome)}`);
  return outcome;
}

function newEngine(brokers = 3): Engine {
  const engine = new Engine({ brokers, clock: 'virtual', seed: 1 });
  engine.createTopic({ topic: 't', numPartitions: 3, replicationFactor: 1 });
  return engine;
}

/** The coordinator of `groupId` and a broker that is not. */
function brokersFor(engine: Engine, groupId: string): { coordinator: number; other: number } {
  const coordinator = engine.groupCoordinator.findCoordinator(groupId).nodeId;
  const other = engine.brokers().find((b) => b.nodeId !== coordinator)!.nodeId;
  return { coordinator, other };
}

const SUBSCRIPTION = encodeMemberMetadata(1, ['t']);
const joinBody = (groupId: string, memberId: string) => ({
  groupId,
  sessionTimeoutMs: 30000,
  rebalanceTimeoutMs: 60000,
  memberId,
  groupInstanceId: null,
  protocolType: 'consumer',
  protocols: [{ name: 'RoundRobinAssigner', metadata: SUBSCRIPTION }],
});

// The API descriptions, looked up through the handlers so the spec checks what the registry gets.
const api = {
  offsetCommit: handlerOf(8).api as typeof import('../../protocol/wire/index.js').OffsetCommit,
  offsetFetch: handlerOf(9).api as typeof import('../../protocol/wire/index.js').OffsetFetch,
  findCoordinator: handlerOf(10).api as typeof import('../../protocol/wire/index.js').FindCoordinator,
  joinGroup: handlerOf(11).api as typeof import('../../protocol/wire/index.js').JoinGroup,
  heartbeat: handlerOf(12).api as typeof import('../../protocol/wire/index.js').Heartbeat,
  leaveGroup: handlerOf(13).api as typeof import('../../protocol/wire/index.js').LeaveGroup,
  syncGroup: handlerOf(14).api as typeof import('../../protocol/wire/index.js').SyncGroup,
  describeGroups: handlerOf(15).api as typeof import('../../protocol/wire/index.js').DescribeGroups,
  listGroups: handlerOf(16).api as typeof import('../../protocol/wire/index.js').ListGroups,
  deleteGroups: handlerOf(42).api as typeof import('../../protocol/wire/index.js').DeleteGroups,
};

describe('wire server: group API handlers', () => {
  it('GROUP_HANDLERS serves each group API key once, within what its description has', () => {
    expect(GROUP_HANDLERS.map((h) => [h.api.key, ...h.versions])).to.deep.equal([
      [8, 0, 9],
      [9, 1, 9],
      [10, 0, 6],
      [11, 0, 8],
      [12, 0, 4],
      [13, 0, 5],
      [14, 0, 5],
      [15, 0, 5],
      [16, 0, 5],
      [42, 0, 2],
    ]);
  });

  describe('FindCoordinator', () => {
    it('answers the group coordinator at its advertised address, from any broker (v0–v2 read by kafkajs)', async () => {
      const engine = newEngine();
      const { coordinator, other } = brokersFor(engine, 'g');
      for (const version of [0, 1, 2]) {
        const { parsed } = await answered(api.findCoordinator, version, contextFor(engine, other), { key: 'g', keyType: 0 });
        expect(parsed!.errorCode).to.equal(0);
        expect(parsed!.coordinator).to.deep.equal({ nodeId: coordinator, host: `twin-${coordinator}`, port: 19090 + coordinator });
        if (version >= 1) expect(parsed!.errorMessage).to.equal('NONE');
      }
    });

    it('v3 (flexible) answers one key, v4 a batch of keys each with its own answer', async () => {
      const engine = newEngine();
      const { coordinator } = brokersFor(engine, 'g');
      const h = brokersFor(engine, 'h').coordinator;
      const v3 = await answered(api.findCoordinator, 3, contextFor(engine, 1), { key: 'g', keyType: 0 });
      expect(v3.decoded).to.include({ errorCode: 0, nodeId: coordinator, host: `twin-${coordinator}`, port: 19090 + coordinator });
      const v4 = await answered(api.findCoordinator, 4, contextFor(engine, 1), { keyType: 0, coordinatorKeys: ['g', 'h'] });
      expect(v4.decoded.coordinators).to.deep.equal([
        { key: 'g', nodeId: coordinator, host: `twin-${coordinator}`, port: 19090 + coordinator, errorCode: 0, errorMessage: 'NONE' },
        { key: 'h', nodeId: h, host: `twin-${h}`, port: 19090 + h, errorCode: 0, errorMessage: 'NONE' },
      ]);
    });

    it('a key type Kafka 3.9 does not know is INVALID_REQUEST; share groups (key type 2) are INVALID_REQUEST before v6, COORDINATOR_NOT_AVAILABLE at v6', async () => {
      const engine = newEngine();
      const { decoded, error } = await answered(api.findCoordinator, 1, contextFor(engine, 1), { key: 'x', keyType: 3 });
      expect(decoded).to.deep.include({ errorCode: code('INVALID_REQUEST'), coordinator: { nodeId: -1, host: '', port: -1 } });
      expect(decoded.errorMessage).to.match(/key type 3/i);
      expect(error!.type).to.equal('INVALID_REQUEST');
      const v5 = await answered(api.findCoordinator, 5, contextFor(engine, 1), { keyType: 2, coordinatorKeys: ['s'] });
      expect(v5.decoded.coordinators[0]).to.include({ key: 's', errorCode: code('INVALID_REQUEST'), nodeId: -1 });
      const v6 = await answered(api.findCoordinator, 6, contextFor(engine, 1), { keyType: 2, coordinatorKeys: ['s'] });
      expect(v6.decoded.coordinators[0]).to.include({ key: 's', errorCode: code('GROUP_COORDINATOR_NOT_AVAILABLE'), nodeId: -1 });
    });

    it('GROUP_COORDINATOR_NOT_AVAILABLE while the group’s __consumer_offsets partition has no leader', async () => {
      const engine = new Engine({ brokers: 2, clock: 'virtual', seed: 1 });
      engine.stopBroker(2);
      expect(engine.groupCoordinator.findCoordinator('g').nodeId).to.equal(1); // created on broker 1 alone
      engine.startBroker(2);
      engine.stopBroker(1);
      const { decoded, error } = await answered(api.findCoordinator, 2, contextFor(engine, 2), { key: 'g', keyType: 0 });
      expect(decoded).to.deep.include({ errorCode: code('GROUP_COORDINATOR_NOT_AVAILABLE'), coordinator: { nodeId: -1, host: '', port: -1 } });
      expect(decoded.errorMessage).to.match(/no leader/);
      expect(error!.type).to.equal('GROUP_COORDINATOR_NOT_AVAILABLE');
    });
  });

  describe('the cycle of two members: join → sync → heartbeat → commit → fetch offsets → leave', () => {
    it('is answered as a Kafka broker answers kafkajs', async () => {
      const engine = newEngine();
      const { coordinator } = brokersFor(engine, 'g');
      const ctx = contextFor(engine, coordinator);

      // JoinGroup v4+ without a member id: MEMBER_ID_REQUIRED, carrying the id to rejoin with.
      const first = await answered(api.joinGroup, 5, ctx, joinBody('g', ''));
      expect(first.decoded).to.include({ errorCode: code('MEMBER_ID_REQUIRED'), generationId: -1, groupProtocol: '', leaderId: '' });
      expect(first.decoded.memberId).to.match(/^app-/);
      expect(first.error).to.include({ name: 'KafkaJSMemberIdRequired', type: 'MEMBER_ID_REQUIRED', memberId: first.decoded.memberId });
      const second = await answered(api.joinGroup, 4, ctx, joinBody('g', ''));
      expect(second.error).to.include({ type: 'MEMBER_ID_REQUIRED', memberId: second.decoded.memberId });
      const [a, b] = [first.decoded.memberId as string, second.decoded.memberId as string];
      expect(a).to.not.equal(b);

      // The coordinator parks both joins until the join phase ends: group.initial.rebalance.delay.ms
      // (3 s), extended once by the second member's arrival, as Kafka's InitialDelayedJoin does.
      const start = engine.now();
      let settled = 0;
      const joinA = answered(api.joinGroup, 5, ctx, joinBody('g', a)).finally(() => settled++);
      const joinB = answered(api.joinGroup, 4, ctx, joinBody('g', b)).finally(() => settled++);
      await engine.advance(2999);
      expect(settled).to.equal(0);
      const [joinedA, joinedB] = (await engine.drive(Promise.all([joinA, joinB]))).map((o) => o.parsed!) as [R, R];
      expect(engine.now() - start).to.equal(6000);
      expect(joinedA).to.include({ errorCode: 0, generationId: 1, groupProtocol: 'RoundRobinAssigner', leaderId: a, memberId: a });
      expect(joinedB).to.include({ errorCode: 0, generationId: 1, groupProtocol: 'RoundRobinAssigner', leaderId: a, memberId: b });
      expect(joinedA.members.map((m: R) => [m.memberId, m.groupInstanceId, Buffer.compare(m.memberMetadata, SUBSCRIPTION)])).to.have.deep.members([
        [a, null, 0],
        [b, null, 0],
      ]);
      expect(joinedB.members).to.deep.equal([]);

      // SyncGroup: the follower waits for the leader's assignments, then each gets its own.
      const assignmentA = encodeMemberAssignment(1, { t: [0, 1] });
      const assignmentB = encodeMemberAssignment(1, { t: [2] });
      const syncB = answered(api.syncGroup, 1, ctx, { groupId: 'g', generationId: 1, memberId: b, assignments: [] });
      const syncA = await answered(api.syncGroup, 3, ctx, {
        groupId: 'g',
        generationId: 1,
        memberId: a,
        groupInstanceId: null,
        assignments: [
          { memberId: a, assignment: assignmentA },
          { memberId: b, assignment: assignmentB },
        ],
      });
      expect(syncA.parsed!.errorCode).to.equal(0);
      expect(decodeAssignment(syncA.parsed!.memberAssignment)).to.deep.equal([{ topic: 't', partitions: [0, 1] }]);
      expect(decodeAssignment((await syncB).parsed!.memberAssignment)).to.deep.equal([{ topic: 't', partitions: [2] }]);

      for (const version of [0, 1, 2, 3]) {
        const beat = await answered(api.heartbeat, version, ctx, { groupId: 'g', generationId: 1, memberId: version % 2 === 0 ? a : b, groupInstanceId: null });
        expect(beat.parsed!.errorCode).to.equal(0);
      }

      // OffsetCommit v2 (a retention time, read and not used) and v5.
      const commitA = await answered(api.offsetCommit, 2, ctx, {
        groupId: 'g',
        generationIdOrMemberEpoch: 1,
        memberId: a,
        retentionTimeMs: 86_400_000n,
        topics: [
          {
            name: 't',
            partitions: [
              { partitionIndex: 0, committedOffset: 5n, committedMetadata: 'a-was-here' },
              { partitionIndex: 1, committedOffset: 7n, committedMetadata: null },
            ],
          },
        ],
      });
      expect(commitA.parsed!.responses).to.deep.equal([
        {
          topic: 't',
          partitions: [
            { partition: 0, errorCode: 0 },
            { partition: 1, errorCode: 0 },
          ],
        },
      ]);
      const commitB = await answered(api.offsetCommit, 5, ctx, {
        groupId: 'g',
        generationIdOrMemberEpoch: 1,
        memberId: b,
        topics: [{ name: 't', partitions: [{ partitionIndex: 2, committedOffset: 9007199254740991n, committedMetadata: '' }] }],
      });
      expect(commitB.parsed!.responses).to.deep.equal([{ topic: 't', partitions: [{ partition: 2, errorCode: 0 }] }]);

      // OffsetFetch: v1 by partition; v3 with null topics (every committed offset); int64 as kafkajs reads it.
      const fetched = await answered(api.offsetFetch, 1, ctx, {
        groupId: 'g',
        topics: [
          { name: 't', partitionIndexes: [1, 0, 2] },
          { name: 'u', partitionIndexes: [0] },
        ],
      });
      expect(fetched.parsed!.responses).to.deep.equal([
        {
          topic: 't',
          partitions: [
            { partition: 1, offset: '7', metadata: '', errorCode: 0 },
            { partition: 0, offset: '5', metadata: 'a-was-here', errorCode: 0 },
            { partition: 2, offset: '9007199254740991', metadata: '', errorCode: 0 },
          ],
        },
        { topic: 'u', partitions: [{ partition: 0, offset: '-1', metadata: '', errorCode: 0 }] },
      ]);
      for (const version of [2, 3, 4]) {
        const all = await answered(api.offsetFetch, version, ctx, { groupId: 'g', topics: null });
        expect(all.parsed!.errorCode).to.equal(0);
        expect(all.parsed!.responses).to.deep.equal([
          {
            topic: 't',
            partitions: [
              { partition: 0, offset: '5', metadata: 'a-was-here', errorCode: 0 },
              { partition: 1, offset: '7', metadata: '', errorCode: 0 },
              { partition: 2, offset: '9007199254740991', metadata: '', errorCode: 0 },
            ],
          },
        ]);
      }

      // DescribeGroups and ListGroups see the Stable group.
      for (const version of [0, 1, 2]) {
        const described = await answered(api.describeGroups, version, ctx, { groups: ['g', 'nobody'] });
        const [g, nobody] = described.parsed!.groups as R[];
        expect(g).to.include({ errorCode: 0, groupId: 'g', state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' });
        expect(g!.members.map((m: R) => [m.memberId, m.clientId, m.clientHost])).to.have.deep.members([
          [a, 'app', '/10.0.0.7'],
          [b, 'app', '/10.0.0.7'],
        ]);
        const memberA = g!.members.find((m: R) => m.memberId === a);
        expect(Buffer.compare(memberA.memberMetadata, SUBSCRIPTION)).to.equal(0);
        expect(Buffer.compare(memberA.memberAssignment, assignmentA)).to.equal(0);
        expect(nobody).to.deep.equal({ errorCode: 0, groupId: 'nobody', state: 'Dead', protocolType: '', protocol: '', members: [] });
        const listed = await answered(api.listGroups, version, ctx, {});
        expect(listed.parsed!.errorCode).to.equal(0);
        expect(listed.parsed!.groups).to.deep.equal([{ groupId: 'g', protocolType: 'consumer' }]);
      }

      // LeaveGroup v3: a code per member; kafkajs throws the first member's error.
      const left = await answered(api.leaveGroup, 3, ctx, {
        groupId: 'g',
        members: [
          { memberId: b, groupInstanceId: null },
          { memberId: 'stranger', groupInstanceId: null },
        ],
      });
      expect(left.decoded).to.deep.include({
        errorCode: 0,
        members: [
          { memberId: b, groupInstanceId: null, errorCode: 0 },
          { memberId: 'stranger', groupInstanceId: null, errorCode: code('UNKNOWN_MEMBER_ID') },
        ],
      });
      expect(left.error!.type).to.equal('UNKNOWN_MEMBER_ID');
      // The rest of the group learns of the rebalance from its heartbeat.
      const beat = await answered(api.heartbeat, 1, ctx, { groupId: 'g', generationId: 1, memberId: a });
      expect(beat.error!.type).to.equal('REBALANCE_IN_PROGRESS');
      for (const version of [0, 1, 2]) {
        const leave = await answered(api.leaveGroup, version, ctx, { groupId: 'g', memberId: version === 0 ? a : 'gone' });
        if (version === 0) expect(leave.parsed!.errorCode).to.equal(0);
        else expect(leave.error!.type).to.equal('UNKNOWN_MEMBER_ID');
      }

      // The empty group can be deleted, with its offsets.
      for (const version of [0, 1]) {
        const deleted = await answered(api.deleteGroups, version, ctx, { groupsNames: ['g'] });
        const expected = version === 0 ? 0 : code('GROUP_ID_NOT_FOUND');
        expect(deleted.parsed!.results.map((r: R) => [r.groupId, r.errorCode])).to.deep.equal([['g', expected]]);
      }
      const gone = await answered(api.offsetFetch, 2, ctx, { groupId: 'g', topics: null });
      expect(gone.parsed!.responses).to.deep.equal([]);
    });

    // v0 decodes a rebalance timeout of -1, which the coordinator would refuse: the join
    // succeeding shows the session timeout stood in for it.
    it('JoinGroup v0 joins in one round trip, the session timeout standing for the rebalance timeout', async () => {
      const engine = newEngine(1);
      const ctx = contextFor(engine, 1);
      const joining = answered(api.joinGroup, 0, ctx, { ...joinBody('solo', ''), sessionTimeoutMs: 12000 });
      await engine.advance(3000);
      const joined = (await joining).parsed!;
      expect(joined).to.include({ errorCode: 0, generationId: 1, groupProtocol: 'RoundRobinAssigner' });
      expect(joined.leaderId).to.equal(joined.memberId);
      const described = engine.groupCoordinator.describeGroup('solo');
      expect(described.state).to.equal('CompletingRebalance');
      // A wrong generation is answered at once, with an empty assignment.
      const stale = await answered(api.syncGroup, 0, ctx, { groupId: 'solo', generationId: 9, memberId: joined.memberId, assignments: [] });
      expect(stale.decoded).to.deep.include({ errorCode: code('ILLEGAL_GENERATION') });
      expect(stale.decoded.memberAssignment).to.have.length(0);
      expect(stale.error!.type).to.equal('ILLEGAL_GENERATION');
    });
  });

  describe('OffsetCommit answers per partition', () => {
    it('unknown partitions, metadata too large and the group’s verdict, each partition with its code', async () => {
      const engine = newEngine(1);
      const ctx = contextFor(engine, 1);
      const mixed = await answered(api.offsetCommit, 3, ctx, {
        groupId: 'simple',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: [
          {
            name: 't',
            partitions: [
              { partitionIndex: 0, committedOffset: 1n, committedMetadata: null },
              { partitionIndex: 9, committedOffset: 1n, committedMetadata: null },
              { partitionIndex: 1, committedOffset: 2n, committedMetadata: 'x'.repeat(4097) },
            ],
          },
          { name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] },
        ],
      });
      const codes = (mixed.decoded.responses as R[]).flatMap((t) => t.partitions.map((p: R) => `${t.topic}-${p.partition}:${p.errorCode}`));
      expect(codes).to.have.members([
        't-0:0',
        `t-9:${code('UNKNOWN_TOPIC_OR_PARTITION')}`,
        `t-1:${code('OFFSET_METADATA_TOO_LARGE')}`,
        `nope-0:${code('UNKNOWN_TOPIC_OR_PARTITION')}`,
      ]);
      expect(mixed.error!.type).to.equal('UNKNOWN_TOPIC_OR_PARTITION');

      // v0 commits without group management; a stale generation is refused on every known partition.
      const v0 = await answered(api.offsetCommit, 0, ctx, {
        groupId: 'simple',
        topics: [{ name: 't', partitions: [{ partitionIndex: 2, committedOffset: 3n, committedMetadata: null }] }],
      });
      expect(v0.parsed!.responses).to.deep.equal([{ topic: 't', partitions: [{ partition: 2, errorCode: 0 }] }]);
      const stale = await answered(api.offsetCommit, 1, ctx, {
        groupId: 'simple',
        generationIdOrMemberEpoch: 4,
        memberId: 'm',
        topics: [
          {
            name: 't',
            partitions: [
              { partitionIndex: 0, committedOffset: 1n, commitTimestamp: 1234n, committedMetadata: null },
              { partitionIndex: 7, committedOffset: 1n, committedMetadata: null },
            ],
          },
        ],
      });
      expect(stale.decoded.responses).to.deep.equal([
        {
          topic: 't',
          partitions: [
            { partition: 7, errorCode: code('UNKNOWN_TOPIC_OR_PARTITION') },
            { partition: 0, errorCode: code('UNKNOWN_MEMBER_ID') },
          ],
        },
      ]);

      // An offset the engine cannot hold exactly refuses the whole request, on every partition.
      const huge = await answered(api.offsetCommit, 4, ctx, {
        groupId: 'simple',
        memberId: '',
        topics: [
          {
            name: 't',
            partitions: [
              { partitionIndex: 0, committedOffset: 2n ** 62n, committedMetadata: null },
              { partitionIndex: 1, committedOffset: 1n, committedMetadata: null },
            ],
          },
        ],
      });
      expect(huge.decoded.responses).to.deep.equal([
        {
          topic: 't',
          partitions: [
            { partition: 0, errorCode: code('INVALID_REQUEST') },
            { partition: 1, errorCode: code('INVALID_REQUEST') },
          ],
        },
      ]);
      const after = await answered(api.offsetFetch, 1, ctx, { groupId: 'simple', topics: [{ name: 't', partitionIndexes: [0, 1, 2] }] });
      expect(after.parsed!.responses[0].partitions.map((p: R) => p.offset)).to.deep.equal(['1', '-1', '3']);
    });
  });

  describe('NOT_COORDINATOR from a broker that is not the group’s coordinator', () => {
    it('every group request but FindCoordinator and ListGroups', async () => {
      const engine = newEngine();
      const { coordinator, other } = brokersFor(engine, 'g');
      const ctx = contextFor(engine, other);
      const NOT = code('NOT_COORDINATOR_FOR_GROUP');

      const join = await answered(api.joinGroup, 2, ctx, joinBody('g', ''));
      expect(join.decoded).to.include({ errorCode: NOT, generationId: -1 });
      expect(join.error!.type).to.equal('NOT_COORDINATOR_FOR_GROUP');
      expect((await answered(api.syncGroup, 2, ctx, { groupId: 'g', generationId: 1, memberId: 'm', assignments: [] })).decoded.errorCode).to.equal(NOT);
      expect((await answered(api.heartbeat, 2, ctx, { groupId: 'g', generationId: 1, memberId: 'm' })).decoded.errorCode).to.equal(NOT);
      expect((await answered(api.leaveGroup, 1, ctx, { groupId: 'g', memberId: 'm' })).decoded.errorCode).to.equal(NOT);
      const leave3 = await answered(api.leaveGroup, 3, ctx, { groupId: 'g', members: [{ memberId: 'm', groupInstanceId: null }] });
      expect(leave3.decoded).to.deep.include({ errorCode: NOT, members: [] });
      expect(leave3.error!.type).to.equal('NOT_COORDINATOR_FOR_GROUP');

      const commit = await answered(api.offsetCommit, 5, ctx, {
        groupId: 'g',
        memberId: '',
        topics: [
          {
            name: 't',
            partitions: [
              { partitionIndex: 0, committedOffset: 1n, committedMetadata: null },
              { partitionIndex: 1, committedOffset: 1n, committedMetadata: null },
            ],
          },
        ],
      });
      expect(commit.decoded.responses).to.deep.equal([
        {
          topic: 't',
          partitions: [
            { partition: 0, errorCode: NOT },
            { partition: 1, errorCode: NOT },
          ],
        },
      ]);
      expect(commit.error!.type).to.equal('NOT_COORDINATOR_FOR_GROUP');

      // OffsetFetch v1 has no top-level code: every requested partition carries it.
      const fetch1 = await answered(api.offsetFetch, 1, ctx, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 2] }] });
      expect(fetch1.decoded.responses).to.deep.equal([
        {
          topic: 't',
          partitions: [
            { partition: 0, offset: '-1', metadata: '', errorCode: NOT },
            { partition: 2, offset: '-1', metadata: '', errorCode: NOT },
          ],
        },
      ]);
      expect(fetch1.error!.type).to.equal('NOT_COORDINATOR_FOR_GROUP');
      const fetch2 = await answered(api.offsetFetch, 2, ctx, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] });
      expect(fetch2.decoded).to.deep.equal({ responses: [], errorCode: NOT });
      expect(fetch2.error!.type).to.equal('NOT_COORDINATOR_FOR_GROUP');

      const described = await answered(api.describeGroups, 1, ctx, { groups: ['g'] });
      expect(described.decoded.groups).to.deep.equal([{ errorCode: NOT, groupId: 'g', state: '', protocolType: '', protocol: '', members: [] }]);
      expect(described.error!.type).to.equal('NOT_COORDINATOR_FOR_GROUP');
      const deleted = await answered(api.deleteGroups, 1, ctx, { groupsNames: ['g'] });
      expect(deleted.parsed!.results.map((r: R) => [r.groupId, r.errorCode, r.error?.type])).to.deep.equal([['g', NOT, 'NOT_COORDINATOR_FOR_GROUP']]);

      // A group lives on its coordinator only: the other broker lists none of it.
      await answered(api.offsetCommit, 2, contextFor(engine, coordinator), {
        groupId: 'g',
        memberId: '',
        topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }],
      });
      expect((await answered(api.listGroups, 0, ctx, {})).parsed!.groups).to.deep.equal([]);
      expect((await answered(api.listGroups, 0, contextFor(engine, coordinator), {})).parsed!.groups).to.deep.equal([{ groupId: 'g', protocolType: '' }]);
    });
  });

  describe('a stopped or isolated broker does not answer', () => {
    for (const fault of ['stopped', 'isolated'] as const) {
      it(`every group API on a ${fault} broker is 'unreachable'`, async () => {
        const engine = newEngine();
        const { other } = brokersFor(engine, 'g');
        if (fault === 'stopped') engine.stopBroker(other);
        else engine.isolateBroker(other);
        const ctx = contextFor(engine, other);
        const commitTopics = [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }];
        const outcomes = [
          await call(api.findCoordinator, 0, ctx, { key: 'g' }),
          await call(api.findCoordinator, 4, ctx, { keyType: 0, coordinatorKeys: [] }),
          await call(api.joinGroup, 5, ctx, joinBody('g', '')),
          await call(api.syncGroup, 3, ctx, { groupId: 'g', generationId: 1, memberId: 'm', assignments: [] }),
          await call(api.heartbeat, 3, ctx, { groupId: 'g', generationId: 1, memberId: 'm' }),
          await call(api.leaveGroup, 2, ctx, { groupId: 'g', memberId: 'm' }),
          await call(api.leaveGroup, 3, ctx, { groupId: 'g', members: [] }),
          await call(api.offsetCommit, 5, ctx, { groupId: 'g', memberId: '', topics: commitTopics }),
          await call(api.offsetFetch, 4, ctx, { groupId: 'g', topics: null }),
          await call(api.describeGroups, 2, ctx, { groups: ['g'] }),
          await call(api.listGroups, 2, ctx, {}),
          await call(api.deleteGroups, 1, ctx, { groupsNames: ['g'] }),
        ];
        expect(outcomes).to.deep.equal(new Array(outcomes.length).fill('unreachable'));
      });
    }
  });

  it('LeaveGroup v3 with no members answers no members', async () => {
    const engine = newEngine(1);
    const none = await answered(api.leaveGroup, 3, contextFor(engine, 1), { groupId: 'g', members: [] });
    expect(none.parsed).to.deep.include({ errorCode: 0, members: [] });
  });
});
