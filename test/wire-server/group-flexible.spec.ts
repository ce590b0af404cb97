/**
 * The group APIs at the flexible versions Kafka 3.9's Java clients negotiate (JoinGroup v8,
 * SyncGroup v5, Heartbeat v4, LeaveGroup v5, OffsetCommit v9, OffsetFetch v8–v9 batched,
 * DescribeGroups v5, ListGroups v5, DeleteGroups v2): each request through the codec both ways
 * and the handler, answered as Kafka 3.9's KafkaApis and group coordinator answer them.
 */
import { expect } from 'chai';
import { Engine } from '../../emulator/engine.js';
import { decodeAssignment, encodeMemberAssignment, encodeMemberMetadata } from '../../protocol/consumer-protocol.js';
import { kafkaError } from '../../protocol/errors.js';
import {
  DeleteGroups,
  DescribeGroups,
  Heartbeat,
  JoinGroup,
  LeaveGroup,
  ListGroups,
  OffsetCommit,
  OffsetFetch,
  SyncGroup,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type ApiSchema,
  type RequestInput,
  type RequestOf,
} from '../../protocol/wire/index.js';
import type { WireContext } from '../../adapters/wire/handler.js';
import { GROUP_HANDLERS } from '../../adapters/wire/handlers/groups.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a decoded response, read field by field
type R = any;
const code = (type: string): number => kafkaError(type).code;

/** A request encoded and decoded, handled, and its response encoded and decoded, in `version`. */
async function call<A extends ApiSchema>(api: A, version: number, ctx: WireContext, body: RequestInput<A>): Promise<R> {
  const frame = encodeRequest(api, version, { correlationId: 3, clientId: ctx.clientId }, body as never);
  const request = decodeRequest(frame.subarray(4));
  const handler = GROUP_HANDLERS.find((h) => h.api.key === api.key)!;
  expect(version).to.be.within(handler.versions[0], handler.versions[1]);
  const result = await handler.handle(ctx, version, request.body as RequestOf<ApiSchema>);
  if (result === null || result === 'unreachable') throw new Error(`expected an answer, got ${String(result)}`);
  return decodeResponse(api, version, encodeResponse(api, version, 3, result as never).subarray(4)).body;
}

const SUBSCRIPTION = encodeMemberMetadata(1, ['t']);

describe('wire server: group APIs at the flexible versions of Kafka 3.9 clients', () => {
  let engine: Engine;
  let ctx: WireContext;
  beforeEach(() => {
    engine = new Engine({ brokers: 3, clock: 'virtual', seed: 1 });
    engine.createTopic({ topic: 't', numPartitions: 3, replicationFactor: 1 });
    const coordinator = engine.groupCoordinator.findCoordinator('g').nodeId;
    ctx = { engine, brokerId: coordinator, clientId: 'java', clientHost: '/10.0.0.9', addressOf: (id) => ({ host: `twin-${id}`, port: 19090 + id }) };
  });

  const join = (memberId: string, reason: string | null = null) =>
    call(JoinGroup, 8, ctx, {
      groupId: 'g',
      sessionTimeoutMs: 45000,
      rebalanceTimeoutMs: 300000,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: SUBSCRIPTION }],
      reason,
    });

  /** One member, joined and synced at the top versions; returns its id. */
  async function stableMember(): Promise<string> {
    const first = await join('');
    expect(first).to.include({ errorCode: code('MEMBER_ID_REQUIRED'), generationId: -1, protocolType: null, protocolName: null });
    const memberId = first.memberId as string;
    const joined = await engine.drive(join(memberId, 'rebalance failed due to MemberIdRequiredException'));
    expect(joined).to.include({
      errorCode: 0,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      leader: memberId,
      memberId,
      skipAssignment: false,
    });
    expect(joined.members.map((m: R) => m.memberId)).to.deep.equal([memberId]);
    const synced = await call(SyncGroup, 5, ctx, {
      groupId: 'g',
      generationId: 1,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [{ memberId, assignment: encodeMemberAssignment(3, { t: [0, 1, 2] }) }],
    });
    expect(synced).to.include({ errorCode: 0, protocolType: 'consumer', protocolName: 'range' });
    expect(decodeAssignment(synced.assignment)).to.deep.equal([{ topic: 't', partitions: [0, 1, 2] }]);
    return memberId;
  }

  it('join (v8), sync (v5), heartbeat (v4), commit (v9), fetch several groups at once (v8, v9), leave with a reason (v5)', async () => {
    const memberId = await stableMember();
    expect(await call(Heartbeat, 4, ctx, { groupId: 'g', generationId: 1, memberId, groupInstanceId: null })).to.deep.equal({
      throttleTimeMs: 0,
      errorCode: 0,
    });

    const committed = await call(OffsetCommit, 9, ctx, {
      groupId: 'g',
      generationIdOrMemberEpoch: 1,
      memberId,
      groupInstanceId: null,
      topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 42n, committedLeaderEpoch: 0, committedMetadata: 'm' }] }],
    });
    expect(committed.topics).to.deep.equal([{ name: 't', partitions: [{ partitionIndex: 1, errorCode: 0 }] }]);
    const stale = await call(OffsetCommit, 8, ctx, {
      groupId: 'g',
      generationIdOrMemberEpoch: 7,
      memberId,
      groupInstanceId: null,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    expect(stale.topics[0].partitions[0].errorCode).to.equal(code('ILLEGAL_GENERATION'));

    for (const version of [8, 9]) {
      const fetched = await call(OffsetFetch, version, ctx, {
        groups: [
          { groupId: 'g', memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [1, 2] }] },
          { groupId: 'g', memberId: null, memberEpoch: -1, topics: null },
        ],
        requireStable: true,
      });
      const p1 = { partitionIndex: 1, committedOffset: 42n, committedLeaderEpoch: -1, metadata: 'm', errorCode: 0 };
      const p2 = { partitionIndex: 2, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 };
      expect(fetched.groups).to.have.length(2);
      expect(fetched.groups[0]).to.deep.include({ groupId: 'g', errorCode: 0 });
      expect(fetched.groups[0].topics).to.have.length(1);
      expect(fetched.groups[0].topics[0].partitions).to.have.deep.members([p1, p2]);
      expect(fetched.groups[1]).to.deep.equal({ groupId: 'g', errorCode: 0, topics: [{ name: 't', partitions: [p1] }] });
    }
    // A group another broker coordinates is answered NOT_COORDINATOR for that group alone.
    const other = engine.brokers().find((b) => b.nodeId !== ctx.brokerId)!.nodeId;
    const elsewhere = await call(OffsetFetch, 8, { ...ctx, brokerId: other }, { groups: [{ groupId: 'g', topics: null }], requireStable: false });
    expect(elsewhere.groups).to.deep.equal([{ groupId: 'g', errorCode: code('NOT_COORDINATOR'), topics: [] }]);

    const left = await call(LeaveGroup, 5, ctx, { groupId: 'g', members: [{ memberId, groupInstanceId: null, reason: 'the consumer is being closed' }] });
    expect(left).to.deep.equal({ throttleTimeMs: 0, errorCode: 0, members: [{ memberId, groupInstanceId: null, errorCode: 0 }] });
  });

  it('SyncGroup v5 without its protocol type or name: INCONSISTENT_GROUP_PROTOCOL, before the coordinator', async () => {
    const memberId = await stableMember();
    const body = { groupId: 'g', generationId: 1, memberId, groupInstanceId: null, assignments: [] };
    for (const names of [
      { protocolType: null, protocolName: 'range' },
      { protocolType: 'consumer', protocolName: null },
    ]) {
      expect(await call(SyncGroup, 5, ctx, { ...body, ...names })).to.deep.include({
        errorCode: code('INCONSISTENT_GROUP_PROTOCOL'),
        protocolType: null,
        protocolName: null,
      });
    }
    // v4 has neither field: the coordinator answers.
    expect(await call(SyncGroup, 4, ctx, body)).to.include({ errorCode: 0 });
    // v5 naming another protocol: the coordinator's own INCONSISTENT_GROUP_PROTOCOL.
    expect(await call(SyncGroup, 5, ctx, { ...body, protocolType: 'consumer', protocolName: 'roundrobin' })).to.include({
      errorCode: code('INCONSISTENT_GROUP_PROTOCOL'),
    });
  });

  it('DescribeGroups v5 answers authorized operations when asked (READ, DELETE, DESCRIBE without an authorizer); ListGroups v5 filters by state and type', async () => {
    const memberId = await stableMember();
    const asked = await call(DescribeGroups, 5, ctx, { groups: ['g', 'nobody'], includeAuthorizedOperations: true });
    expect(asked.groups[0]).to.include({
      errorCode: 0,
      groupId: 'g',
      groupState: 'Stable',
      protocolType: 'consumer',
      protocolData: 'range',
      authorizedOperations: (1 << 3) | (1 << 6) | (1 << 8),
    });
    expect(asked.groups[0].members.map((m: R) => [m.memberId, m.groupInstanceId, m.clientId, m.clientHost])).to.deep.equal([
      [memberId, null, 'java', '/10.0.0.9'],
    ]);
    expect(asked.groups[1]).to.include({ groupId: 'nobody', groupState: 'Dead', authorizedOperations: (1 << 3) | (1 << 6) | (1 << 8) });
    const unasked = await call(DescribeGroups, 5, ctx, { groups: ['g'], includeAuthorizedOperations: false });
    expect(unasked.groups[0].authorizedOperations).to.equal(-2147483648);

    const list = (statesFilter: string[], typesFilter: string[]) => call(ListGroups, 5, ctx, { statesFilter, typesFilter });
    const stable = [{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' }];
    expect((await list([], [])).groups).to.deep.equal(stable);
    expect((await list(['stable'], ['Classic'])).groups).to.deep.equal(stable);
    expect((await list(['Empty', 'PreparingRebalance'], [])).groups).to.deep.equal([]);
    expect((await list([], ['consumer'])).groups).to.deep.equal([]);
    // v4 has no type: the decoder fills in the description's default.
    expect((await call(ListGroups, 4, ctx, { statesFilter: ['Stable'] })).groups).to.deep.equal([
      { groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: '' },
    ]);

    await call(LeaveGroup, 5, ctx, { groupId: 'g', members: [{ memberId, groupInstanceId: null, reason: null }] });
    expect((await call(DeleteGroups, 2, ctx, { groupsNames: ['g', 'nobody'] })).results).to.deep.equal([
      { groupId: 'g', errorCode: 0 },
      { groupId: 'nobody', errorCode: code('GROUP_ID_NOT_FOUND') },
    ]);
  });
});
