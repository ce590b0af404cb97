/**
 * Every request kafkajs 2.2.4 can send, in every version it has, framed by kafkajs itself
 * (size, header v1, body): our frame reader and request decoder read it to the values kafkajs was
 * given, and our encoder writes those values back to the very same bytes.
 */
import { expect } from 'chai';
import {
  AddOffsetsToTxn,
  AddPartitionsToTxn,
  AlterConfigs,
  AlterPartitionReassignments,
  ApiVersions,
  CreateAcls,
  CreatePartitions,
  CreateTopics,
  DeleteAcls,
  DeleteGroups,
  DeleteRecords,
  DeleteTopics,
  DescribeAcls,
  DescribeConfigs,
  DescribeGroups,
  EndTxn,
  Fetch,
  FindCoordinator,
  FrameReader,
  Heartbeat,
  InitProducerId,
  JoinGroup,
  LeaveGroup,
  ListGroups,
  ListOffsets,
  ListPartitionReassignments,
  Metadata,
  OffsetCommit,
  OffsetFetch,
  Produce,
  SaslAuthenticate,
  SaslHandshake,
  SyncGroup,
  TxnOffsetCommit,
  decode,
  decodeRequest,
  encode,
  encodeRecordBatch,
  encodeRequest,
  type ApiSchema,
} from '../../protocol/wire/index.js';
import { present, require } from './helpers.js';

type Encoder = { readonly buffer: Buffer };
interface Definition {
  readonly versions: readonly string[];
  protocol(o: { version: number }): (args: unknown) => { request: unknown };
}
const { requests } = require('kafkajs/src/protocol/requests/index.js') as { requests: Record<string, Definition> };
const frameRequest = require('kafkajs/src/protocol/request.js') as (o: { correlationId: number; clientId: string; request: unknown }) => Promise<Encoder>;
const MessageSet = require('kafkajs/src/protocol/messageSet/index.js') as (o: object) => Encoder;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: bigint | number | string): unknown };

interface RequestCase {
  readonly api: ApiSchema;
  /** kafkajs's name for the API in its request table. */
  readonly kafkajs: string;
  readonly label?: string;
  readonly args: (version: number) => unknown;
  /** What our decoder must read, in our field names; fields a version lacks are not compared. */
  readonly expected: (version: number) => Record<string, unknown>;
}

const T0 = 1_700_000_000_000;
const messages = [
  { key: 'k1', value: 'v1', headers: { trace: 'abc' }, timestamp: T0 + 5 },
  { key: null, value: 'v2', timestamp: T0 },
];
const acl = { resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:bob', host: '*', operation: 3, permissionType: 3 };
const aclFilter = {
  resourceTypeFilter: 2,
  resourceNameFilter: 'orders',
  patternTypeFilter: 3,
  principalFilter: 'User:bob',
  hostFilter: '*',
  operation: 3,
  permissionType: 3,
};
const txn = { transactionalId: 'tx-1', producerId: Long.fromValue(4242), producerEpoch: 3 };
const sasl = Buffer.from('\0bob\0secret');

/** The records of a produce request as kafkajs writes them: a v2 batch from v3, message sets before. */
function produceRecords(version: number): Buffer {
  if (version <= 1) return MessageSet({ messageVersion: 0, entries: messages }).buffer;
  if (version === 2) return MessageSet({ messageVersion: 1, compression: 0, entries: messages }).buffer;
  return encodeRecordBatch({
    partitionLeaderEpoch: 0,
    isTransactional: true,
    baseTimestamp: BigInt(T0),
    maxTimestamp: BigInt(T0 + 5),
    producerId: 4242n,
    producerEpoch: 3,
    baseSequence: 10,
    records: messages.map((m) => ({
      timestampDelta: m.timestamp - T0,
      key: m.key === null ? null : Buffer.from(m.key),
      value: Buffer.from(m.value),
      headers: Object.entries(m.headers ?? {}).map(([key, value]) => ({ key, value: Buffer.from(value) })),
    })),
  });
}

const CASES: readonly RequestCase[] = [
  {
    api: Produce,
    kafkajs: 'Produce',
    args: () => ({
      acks: -1,
      timeout: 30000,
      compression: 0,
      ...txn,
      topicData: [{ topic: 'orders', partitions: [{ partition: 2, firstSequence: 10, messages }] }],
    }),
    expected: (v) => ({
      transactionalId: 'tx-1',
      acks: -1,
      timeoutMs: 30000,
      topicData: [{ name: 'orders', partitionData: [{ index: 2, records: produceRecords(v) }] }],
    }),
  },
  {
    api: Fetch,
    kafkajs: 'Fetch',
    args: () => ({
      replicaId: -1,
      maxWaitTime: 5000,
      minBytes: 1,
      maxBytes: 10485760,
      isolationLevel: 0,
      sessionId: 17,
      sessionEpoch: 3,
      forgottenTopics: [{ topic: 'gone', partitions: [1, 2] }],
      rackId: 'rack-a',
      topics: [{ topic: 'orders', partitions: [{ partition: 4, currentLeaderEpoch: 6, fetchOffset: '42', logStartOffset: 7, maxBytes: 1048576 }] }],
    }),
    expected: () => ({
      replicaId: -1,
      maxWaitMs: 5000,
      minBytes: 1,
      maxBytes: 10485760,
      isolationLevel: 0,
      sessionId: 17,
      sessionEpoch: 3,
      topics: [{ topic: 'orders', partitions: [{ partition: 4, currentLeaderEpoch: 6, fetchOffset: 42n, logStartOffset: 7n, partitionMaxBytes: 1048576 }] }],
      forgottenTopicsData: [{ topic: 'gone', partitions: [1, 2] }],
      rackId: 'rack-a',
    }),
  },
  {
    api: ListOffsets,
    kafkajs: 'ListOffsets',
    args: () => ({
      replicaId: -1,
      isolationLevel: 1,
      topics: [
        {
          topic: 'orders',
          partitions: [
            { partition: 0, timestamp: -1 },
            { partition: 3, timestamp: T0 },
          ],
        },
      ],
    }),
    expected: () => ({
      replicaId: -1,
      isolationLevel: 1,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 },
            { partitionIndex: 3, timestamp: BigInt(T0), maxNumOffsets: 1 },
          ],
        },
      ],
    }),
  },
  {
    api: Metadata,
    kafkajs: 'Metadata',
    args: () => ({ topics: ['orders', 'audit'], allowAutoTopicCreation: false }),
    expected: () => ({ topics: [{ name: 'orders' }, { name: 'audit' }], allowAutoTopicCreation: false }),
  },
  {
    api: Metadata,
    kafkajs: 'Metadata',
    label: 'all topics',
    args: () => ({ topics: [], allowAutoTopicCreation: true }),
    expected: (v) => ({ topics: v === 0 ? [] : null, allowAutoTopicCreation: true }),
  },
  {
    api: OffsetCommit,
    kafkajs: 'OffsetCommit',
    args: () => ({
      groupId: 'g',
      groupGenerationId: 4,
      memberId: 'm-1',
      retentionTime: 86400000,
      topics: [
        {
          topic: 'orders',
          partitions: [
            { partition: 1, offset: '100', metadata: 'meta', timestamp: T0 },
            { partition: 2, offset: '7', timestamp: T0 + 1 },
          ],
        },
      ],
    }),
    expected: () => ({
      groupId: 'g',
      generationIdOrMemberEpoch: 4,
      memberId: 'm-1',
      retentionTimeMs: 86400000n,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 1, committedOffset: 100n, commitTimestamp: BigInt(T0), committedMetadata: 'meta' },
            { partitionIndex: 2, committedOffset: 7n, commitTimestamp: BigInt(T0 + 1), committedMetadata: null },
          ],
        },
      ],
    }),
  },
  {
    api: OffsetFetch,
    kafkajs: 'OffsetFetch',
    args: () => ({ groupId: 'g', topics: [{ topic: 'orders', partitions: [{ partition: 0 }, { partition: 2 }] }] }),
    expected: () => ({ groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [0, 2] }] }),
  },
  {
    api: FindCoordinator,
    kafkajs: 'GroupCoordinator',
    args: () => ({ groupId: 'tx-1', coordinatorType: 1 }),
    expected: () => ({ key: 'tx-1', keyType: 1 }),
  },
  {
    api: JoinGroup,
    kafkajs: 'JoinGroup',
    args: () => ({
      groupId: 'g',
      sessionTimeout: 30000,
      rebalanceTimeout: 60000,
      memberId: '',
      groupInstanceId: 'inst-1',
      protocolType: 'consumer',
      groupProtocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 2]) }],
    }),
    expected: () => ({
      groupId: 'g',
      sessionTimeoutMs: 30000,
      rebalanceTimeoutMs: 60000,
      memberId: '',
      groupInstanceId: 'inst-1',
      protocolType: 'consumer',
      protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 2]) }],
    }),
  },
  {
    api: Heartbeat,
    kafkajs: 'Heartbeat',
    args: () => ({ groupId: 'g', groupGenerationId: 4, memberId: 'm-1', groupInstanceId: 'inst-1' }),
    expected: () => ({ groupId: 'g', generationId: 4, memberId: 'm-1', groupInstanceId: 'inst-1' }),
  },
  {
    api: LeaveGroup,
    kafkajs: 'LeaveGroup',
    args: () => ({ groupId: 'g', memberId: 'm-1', groupInstanceId: 'inst-1' }),
    expected: () => ({ groupId: 'g', memberId: 'm-1', members: [{ memberId: 'm-1', groupInstanceId: 'inst-1' }] }),
  },
  {
    api: SyncGroup,
    kafkajs: 'SyncGroup',
    args: () => ({
      groupId: 'g',
      generationId: 4,
      memberId: 'm-1',
      groupInstanceId: 'inst-1',
      groupAssignment: [{ memberId: 'm-1', memberAssignment: Buffer.from([9, 9]) }],
    }),
    expected: () => ({
      groupId: 'g',
      generationId: 4,
      memberId: 'm-1',
      groupInstanceId: 'inst-1',
      assignments: [{ memberId: 'm-1', assignment: Buffer.from([9, 9]) }],
    }),
  },
  { api: DescribeGroups, kafkajs: 'DescribeGroups', args: () => ({ groupIds: ['g1', 'g2'] }), expected: () => ({ groups: ['g1', 'g2'] }) },
  { api: ListGroups, kafkajs: 'ListGroups', args: () => ({}), expected: () => ({}) },
  { api: SaslHandshake, kafkajs: 'SaslHandshake', args: () => ({ mechanism: 'PLAIN' }), expected: () => ({ mechanism: 'PLAIN' }) },
  { api: ApiVersions, kafkajs: 'ApiVersions', args: () => ({}), expected: () => ({}) },
  {
    api: CreateTopics,
    kafkajs: 'CreateTopics',
    args: () => ({
      topics: [
        {
          topic: 't',
          numPartitions: 3,
          replicationFactor: 2,
          replicaAssignment: [{ partition: 0, replicas: [1, 2] }],
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
      timeout: 5000,
      validateOnly: true,
    }),
    expected: () => ({
      topics: [
        {
          name: 't',
          numPartitions: 3,
          replicationFactor: 2,
          assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }],
          configs: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
      timeoutMs: 5000,
      validateOnly: true,
    }),
  },
  {
    api: DeleteTopics,
    kafkajs: 'DeleteTopics',
    args: () => ({ topics: ['a', 'b'], timeout: 5000 }),
    expected: () => ({ topicNames: ['a', 'b'], timeoutMs: 5000 }),
  },
  {
    api: DeleteRecords,
    kafkajs: 'DeleteRecords',
    args: () => ({ topics: [{ topic: 't', partitions: [{ partition: 0, offset: '55' }] }], timeout: 5000 }),
    expected: () => ({ topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: 55n }] }], timeoutMs: 5000 }),
  },
  {
    api: InitProducerId,
    kafkajs: 'InitProducerId',
    args: () => ({ transactionalId: 'tx-1', transactionTimeout: 60000 }),
    expected: () => ({ transactionalId: 'tx-1', transactionTimeoutMs: 60000 }),
  },
  {
    api: AddPartitionsToTxn,
    kafkajs: 'AddPartitionsToTxn',
    args: () => ({ ...txn, topics: [{ topic: 't', partitions: [0, 1] }] }),
    expected: () => ({
      v3AndBelowTransactionalId: 'tx-1',
      v3AndBelowProducerId: 4242n,
      v3AndBelowProducerEpoch: 3,
      v3AndBelowTopics: [{ name: 't', partitions: [0, 1] }],
    }),
  },
  {
    api: AddOffsetsToTxn,
    kafkajs: 'AddOffsetsToTxn',
    args: () => ({ ...txn, groupId: 'g' }),
    expected: () => ({ transactionalId: 'tx-1', producerId: 4242n, producerEpoch: 3, groupId: 'g' }),
  },
  {
    api: EndTxn,
    kafkajs: 'EndTxn',
    args: () => ({ ...txn, transactionResult: true }),
    expected: () => ({ transactionalId: 'tx-1', producerId: 4242n, producerEpoch: 3, committed: true }),
  },
  {
    api: TxnOffsetCommit,
    kafkajs: 'TxnOffsetCommit',
    args: () => ({ ...txn, groupId: 'g', topics: [{ topic: 't', partitions: [{ partition: 0, offset: '9', metadata: null }] }] }),
    expected: () => ({
      transactionalId: 'tx-1',
      groupId: 'g',
      producerId: 4242n,
      producerEpoch: 3,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 9n, committedMetadata: null }] }],
    }),
  },
  { api: DescribeAcls, kafkajs: 'DescribeAcls', args: () => acl, expected: () => aclFilter },
  { api: CreateAcls, kafkajs: 'CreateAcls', args: () => ({ creations: [acl] }), expected: () => ({ creations: [acl] }) },
  { api: DeleteAcls, kafkajs: 'DeleteAcls', args: () => ({ filters: [acl] }), expected: () => ({ filters: [aclFilter] }) },
  {
    api: DescribeConfigs,
    kafkajs: 'DescribeConfigs',
    args: () => ({ resources: [{ type: 2, name: 'orders', configNames: ['retention.ms'] }], includeSynonyms: true }),
    expected: () => ({ resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms'] }], includeSynonyms: true }),
  },
  {
    api: AlterConfigs,
    kafkajs: 'AlterConfigs',
    args: () => ({ resources: [{ type: 2, name: 'orders', configEntries: [{ name: 'retention.ms', value: '1000' }] }], validateOnly: true }),
    expected: () => ({ resources: [{ resourceType: 2, resourceName: 'orders', configs: [{ name: 'retention.ms', value: '1000' }] }], validateOnly: true }),
  },
  {
    api: SaslAuthenticate,
    kafkajs: 'SaslAuthenticate',
    // kafkajs's SASL mechanisms hand over the token already size-prefixed, as SASL v0 frames were.
    args: () => ({ authBytes: Buffer.concat([Buffer.from([0, 0, 0, sasl.length]), sasl]) }),
    expected: () => ({ authBytes: sasl }),
  },
  {
    api: CreatePartitions,
    kafkajs: 'CreatePartitions',
    args: () => ({
      topicPartitions: [
        {
          topic: 't',
          count: 6,
          assignments: [
            [1, 2],
            [2, 3],
          ],
        },
        { topic: 'u', count: 2 },
      ],
      timeout: 5000,
      validateOnly: false,
    }),
    expected: () => ({
      topics: [
        { name: 't', count: 6, assignments: [{ brokerIds: [1, 2] }, { brokerIds: [2, 3] }] },
        { name: 'u', count: 2, assignments: null },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    }),
  },
  { api: DeleteGroups, kafkajs: 'DeleteGroups', args: () => ['g1', 'g2'], expected: () => ({ groupsNames: ['g1', 'g2'] }) },
  {
    api: AlterPartitionReassignments,
    kafkajs: 'AlterPartitionReassignments',
    args: () => ({ topics: [{ topic: 't', partitionAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }], timeout: 5000 }),
    expected: () => ({ timeoutMs: 5000, topics: [{ name: 't', partitions: [{ partitionIndex: 0, replicas: [1, 2, 3] }] }] }),
  },
  {
    api: ListPartitionReassignments,
    kafkajs: 'ListPartitionReassignments',
    args: () => ({ topics: [{ topic: 't', partitions: [0, 1] }], timeout: 5000 }),
    expected: () => ({ timeoutMs: 5000, topics: [{ name: 't', partitionIndexes: [0, 1] }] }),
  },
];

describe("wire codec against kafkajs's request encoders", () => {
  it('covers every API kafkajs 2.2.4 implements', () => {
    const implemented = Object.entries(requests)
      .filter(([, d]) => d.versions.length > 0)
      .map(([name]) => name);
    expect([...new Set(CASES.map((c) => c.kafkajs))].sort()).to.deep.equal(implemented.sort());
  });

  for (const c of CASES) {
    const versions = requests[c.kafkajs]!.versions.map(Number);
    it(`${c.api.name}${c.label === undefined ? '' : ` (${c.label})`} v${versions.join(', v')}`, async () => {
      for (const version of versions) {
        const { request } = requests[c.kafkajs]!.protocol({ version })(c.args(version));
        const frame = (await frameRequest({ correlationId: 77, clientId: 'wire-spec', request })).buffer;
        const frames = new FrameReader().push(frame);
        expect(frames, `v${version}`).to.have.lengthOf(1);
        const { header, api, body } = decodeRequest(frames[0]!);
        expect(header, `v${version}`).to.deep.equal({ requestApiKey: c.api.key, requestApiVersion: version, correlationId: 77, clientId: 'wire-spec' });
        expect(api).to.equal(c.api);
        const fields = c.api.request.fields;
        // The expectations name what kafkajs was told; every other field must hold its default,
        // which is what the expectation reads back as (a topic id kafkajs never sends, say).
        const expected = decode(c.api.request, version, encode(c.api.request, version, c.expected(version) as never));
        expect(present(fields, version, body), `v${version}`).to.deep.equal(present(fields, version, expected));
        const again = encodeRequest(c.api, version, { correlationId: 77, clientId: 'wire-spec' }, body as never);
        expect(again.toString('hex'), `v${version} re-encoded`).to.equal(frame.toString('hex'));
      }
    });
  }
});
