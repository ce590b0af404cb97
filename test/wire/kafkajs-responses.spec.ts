/**
 * Every response kafkajs 2.2.4 can read, in every version it has: values generated from our
 * descriptions, framed by our encoder, read by kafkajs's own decoder (and, with error codes at 0,
 * its `parse`) to what we put in, field for field under kafkajs's names. kafkajs gets the bytes
 * after the correlation id, as its connection hands them over — so for the flexible
 * (Alter|List)PartitionReassignments it also reads our response header v1's tagged fields.
 */
import fc from 'fast-check';
import * as wire from '../../protocol/wire/index.js';
import { COMPRESSION, encodeRecordBatches, encodeResponse, type ApiSchema } from '../../protocol/wire/index.js';
import { THROTTLE, expectContains, noErrors, noUnsupportedVersion, require, str, structArb } from './helpers.js';

type R = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface ResponseModule {
  decode(bytes: Buffer): Promise<unknown>;
  parse(decoded: unknown): Promise<unknown>;
}

interface ResponseCase {
  readonly api: ApiSchema;
  /** kafkajs's folder under src/protocol/requests. */
  readonly dir: string;
  readonly versions: readonly number[];
  /** What kafkajs's decoder must return for our value `r`, in kafkajs's names. */
  readonly kafkajs: (v: number, r: R) => R;
  readonly override?: (v: number) => Record<string, fc.Arbitrary<unknown>>;
}

const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
const throttle = (v: number, from: number, r: R): R => (v >= from ? { [THROTTLE]: r.throttleTimeMs } : {});
const byTopic = (a: { topic: string }, b: { topic: string }): number => a.topic.localeCompare(b.topic);

// Fetch records: nothing, or two batches (one gzip), with or without a partial batch after them.
const T0 = 1_700_000_000_000n;
const batches = encodeRecordBatches([
  {
    baseOffset: 100n,
    baseTimestamp: T0,
    records: [
      { key: Buffer.from('a'), value: Buffer.from('x'), headers: [{ key: 'h', value: Buffer.from('v') }] },
      { value: Buffer.from('y'), timestampDelta: 3n },
    ],
  },
  { baseOffset: 102n, baseTimestamp: T0 + 10n, compression: COMPRESSION.gzip, records: [{ key: Buffer.from('b'), value: Buffer.from('z') }] },
]);
const withPartialTail = Buffer.concat([batches, batches.subarray(0, 70)]);
const fetched = [
  { offset: '100', timestamp: str(T0), key: Buffer.from('a'), value: Buffer.from('x'), headers: { h: Buffer.from('v') }, magicByte: 2, isControlRecord: false },
  { offset: '101', timestamp: str(T0 + 3n), key: null, value: Buffer.from('y'), headers: {}, magicByte: 2, isControlRecord: false },
  { offset: '102', timestamp: str(T0 + 10n), key: Buffer.from('b'), value: Buffer.from('z'), headers: {}, magicByte: 2, isControlRecord: false },
];
const messagesOf = (records: Buffer | null): R[] => (records === batches || records === withPartialTail ? fetched : []);

const DEFAULT_CONFIG = 5;
/** kafkajs's guess at a v0 config's source, which v0 does not carry. */
const v0Source = (isDefault: boolean, resourceType: number): number => (isDefault ? DEFAULT_CONFIG : resourceType === 4 ? 4 : resourceType === 2 ? 1 : 0);
const acl = (a: R): R => ({ principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType });

const CASES: readonly ResponseCase[] = [
  {
    api: wire.Produce,
    dir: 'produce',
    versions: range(0, 7),
    kafkajs: (v, r) => ({
      topics: r.responses.map((t: R) => ({
        topicName: t.name,
        partitions: t.partitionResponses.map((p: R) => ({
          partition: p.index,
          errorCode: p.errorCode,
          ...(v < 3 ? { offset: str(p.baseOffset) } : { baseOffset: str(p.baseOffset) }),
          ...(v === 2 ? { timestamp: str(p.logAppendTimeMs) } : v >= 3 ? { logAppendTime: str(p.logAppendTimeMs) } : {}),
          ...(v >= 5 ? { logStartOffset: str(p.logStartOffset) } : {}),
        })),
      })),
      ...throttle(v, 1, r),
    }),
  },
  {
    api: wire.Fetch,
    dir: 'fetch',
    versions: range(0, 11),
    override: (v) => ({ records: v < 4 ? fc.constant(Buffer.alloc(0)) : fc.constantFrom(null, Buffer.alloc(0), batches, withPartialTail) }),
    kafkajs: (v, r) => ({
      ...throttle(v, 1, r),
      ...(v >= 7 ? { errorCode: r.errorCode, sessionId: r.sessionId } : {}),
      responses: r.responses.map((t: R) => ({
        topicName: t.topic,
        partitions: t.partitions.map((p: R) => ({
          partition: p.partitionIndex,
          errorCode: p.errorCode,
          highWatermark: str(p.highWatermark),
          ...(v >= 4
            ? {
                lastStableOffset: str(p.lastStableOffset),
                abortedTransactions: (p.abortedTransactions ?? []).map((a: R) => ({ producerId: str(a.producerId), firstOffset: str(a.firstOffset) })),
              }
            : {}),
          ...(v >= 5 ? { lastStartOffset: str(p.logStartOffset) } : {}),
          ...(v >= 11 ? { preferredReadReplica: p.preferredReadReplica } : {}),
          messages: messagesOf(p.records),
        })),
      })),
    }),
  },
  {
    api: wire.ListOffsets,
    dir: 'listOffsets',
    versions: range(0, 3),
    kafkajs: (v, r) => ({
      ...throttle(v, 2, r),
      responses: r.topics.map((t: R) => ({
        topic: t.name,
        partitions: t.partitions.map((p: R) => ({
          partition: p.partitionIndex,
          errorCode: p.errorCode,
          ...(v === 0 ? { offsets: p.oldStyleOffsets.map(str) } : { timestamp: str(p.timestamp), offset: str(p.offset) }),
        })),
      })),
    }),
  },
  {
    api: wire.Metadata,
    dir: 'metadata',
    versions: range(0, 6),
    kafkajs: (v, r) => ({
      ...throttle(v, 3, r),
      brokers: r.brokers.map((b: R) => ({ nodeId: b.nodeId, host: b.host, port: b.port, ...(v >= 1 ? { rack: b.rack } : {}) })),
      ...(v >= 1 ? { controllerId: r.controllerId } : {}),
      ...(v >= 2 ? { clusterId: r.clusterId } : {}),
      topicMetadata: r.topics.map((t: R) => ({
        topicErrorCode: t.errorCode,
        topic: t.name,
        ...(v >= 1 ? { isInternal: t.isInternal } : {}),
        partitionMetadata: t.partitions.map((p: R) => ({
          partitionErrorCode: p.errorCode,
          partitionId: p.partitionIndex,
          leader: p.leaderId,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          ...(v >= 5 ? { offlineReplicas: p.offlineReplicas } : {}),
        })),
      })),
    }),
  },
  {
    api: wire.OffsetCommit,
    dir: 'offsetCommit',
    versions: range(0, 5),
    kafkajs: (v, r) => ({
      ...throttle(v, 3, r),
      responses: r.topics.map((t: R) => ({ topic: t.name, partitions: t.partitions.map((p: R) => ({ partition: p.partitionIndex, errorCode: p.errorCode })) })),
    }),
  },
  {
    api: wire.OffsetFetch,
    dir: 'offsetFetch',
    versions: range(1, 4),
    kafkajs: (v, r) => ({
      ...throttle(v, 3, r),
      responses: r.topics.map((t: R) => ({
        topic: t.name,
        partitions: t.partitions.map((p: R) => ({ partition: p.partitionIndex, offset: str(p.committedOffset), metadata: p.metadata, errorCode: p.errorCode })),
      })),
      ...(v >= 2 ? { errorCode: r.errorCode } : {}),
    }),
  },
  {
    api: wire.FindCoordinator,
    dir: 'findCoordinator',
    versions: range(0, 2),
    kafkajs: (v, r) => ({
      ...throttle(v, 1, r),
      errorCode: r.errorCode,
      ...(v >= 1 ? { errorMessage: r.errorMessage } : {}),
      coordinator: { nodeId: r.nodeId, host: r.host, port: r.port },
    }),
  },
  {
    api: wire.JoinGroup,
    dir: 'joinGroup',
    versions: range(0, 5),
    kafkajs: (v, r) => ({
      ...throttle(v, 2, r),
      errorCode: r.errorCode,
      generationId: r.generationId,
      groupProtocol: r.protocolName,
      leaderId: r.leader,
      memberId: r.memberId,
      members: r.members.map((m: R) => ({ memberId: m.memberId, ...(v >= 5 ? { groupInstanceId: m.groupInstanceId } : {}), memberMetadata: m.metadata })),
    }),
  },
  { api: wire.Heartbeat, dir: 'heartbeat', versions: range(0, 3), kafkajs: (v, r) => ({ ...throttle(v, 1, r), errorCode: r.errorCode }) },
  {
    api: wire.LeaveGroup,
    dir: 'leaveGroup',
    versions: range(0, 3),
    kafkajs: (v, r) => ({
      ...throttle(v, 1, r),
      errorCode: r.errorCode,
      ...(v >= 3 ? { members: r.members.map((m: R) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: m.errorCode })) } : {}),
    }),
  },
  {
    api: wire.SyncGroup,
    dir: 'syncGroup',
    versions: range(0, 3),
    kafkajs: (v, r) => ({ ...throttle(v, 1, r), errorCode: r.errorCode, memberAssignment: r.assignment }),
  },
  {
    api: wire.DescribeGroups,
    dir: 'describeGroups',
    versions: range(0, 2),
    kafkajs: (v, r) => ({
      ...throttle(v, 1, r),
      groups: r.groups.map((g: R) => ({
        errorCode: g.errorCode,
        groupId: g.groupId,
        state: g.groupState,
        protocolType: g.protocolType,
        protocol: g.protocolData,
        members: g.members.map((m: R) => ({
          memberId: m.memberId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.memberMetadata,
          memberAssignment: m.memberAssignment,
        })),
      })),
    }),
  },
  {
    api: wire.ListGroups,
    dir: 'listGroups',
    versions: range(0, 2),
    kafkajs: (v, r) => ({
      ...throttle(v, 1, r),
      errorCode: r.errorCode,
      groups: r.groups.map((g: R) => ({ groupId: g.groupId, protocolType: g.protocolType })),
    }),
  },
  { api: wire.SaslHandshake, dir: 'saslHandshake', versions: range(0, 1), kafkajs: (_v, r) => ({ errorCode: r.errorCode, enabledMechanisms: r.mechanisms }) },
  {
    api: wire.ApiVersions,
    dir: 'apiVersions',
    versions: range(0, 2),
    kafkajs: (v, r) => ({
      ...throttle(v, 1, r),
      errorCode: r.errorCode,
      apiVersions: r.apiKeys.map((k: R) => ({ apiKey: k.apiKey, minVersion: k.minVersion, maxVersion: k.maxVersion })),
    }),
  },
  {
    api: wire.CreateTopics,
    dir: 'createTopics',
    versions: range(0, 3),
    kafkajs: (v, r) => ({
      ...throttle(v, 2, r),
      topicErrors: r.topics.map((t: R) => ({ topic: t.name, errorCode: t.errorCode, ...(v >= 1 ? { errorMessage: t.errorMessage } : {}) })).sort(byTopic),
    }),
  },
  {
    api: wire.DeleteTopics,
    dir: 'deleteTopics',
    versions: range(0, 1),
    kafkajs: (v, r) => ({ ...throttle(v, 1, r), topicErrors: r.responses.map((t: R) => ({ topic: t.name, errorCode: t.errorCode })).sort(byTopic) }),
  },
  {
    api: wire.DeleteRecords,
    dir: 'deleteRecords',
    versions: range(0, 1),
    // kafkajs leaves the low watermark a bigint here.
    kafkajs: (v, r) => ({
      ...throttle(v, 0, r),
      topics: r.topics
        .map((t: R) => ({
          topic: t.name,
          partitions: t.partitions.map((p: R) => ({ partition: p.partitionIndex, lowWatermark: p.lowWatermark, errorCode: p.errorCode })),
        }))
        .sort(byTopic),
    }),
  },
  {
    api: wire.InitProducerId,
    dir: 'initProducerId',
    versions: range(0, 1),
    kafkajs: (v, r) => ({ ...throttle(v, 0, r), errorCode: r.errorCode, producerId: str(r.producerId), producerEpoch: r.producerEpoch }),
  },
  {
    api: wire.AddPartitionsToTxn,
    dir: 'addPartitionsToTxn',
    versions: range(0, 1),
    kafkajs: (v, r) => ({
      ...throttle(v, 0, r),
      errors: r.resultsByTopicV3AndBelow.map((t: R) => ({
        topic: t.name,
        partitionErrors: t.resultsByPartition.map((p: R) => ({ partition: p.partitionIndex, errorCode: p.errorCode })),
      })),
    }),
  },
  { api: wire.AddOffsetsToTxn, dir: 'addOffsetsToTxn', versions: range(0, 1), kafkajs: (v, r) => ({ ...throttle(v, 0, r), errorCode: r.errorCode }) },
  { api: wire.EndTxn, dir: 'endTxn', versions: range(0, 1), kafkajs: (v, r) => ({ ...throttle(v, 0, r), errorCode: r.errorCode }) },
  {
    api: wire.TxnOffsetCommit,
    dir: 'txnOffsetCommit',
    versions: range(0, 1),
    kafkajs: (v, r) => ({
      ...throttle(v, 0, r),
      topics: r.topics.map((t: R) => ({ topic: t.name, partitions: t.partitions.map((p: R) => ({ partition: p.partitionIndex, errorCode: p.errorCode })) })),
    }),
  },
  {
    api: wire.DescribeAcls,
    dir: 'describeAcls',
    versions: range(0, 1),
    kafkajs: (v, r) => ({
      ...throttle(v, 0, r),
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      resources: r.resources.map((x: R) => ({
        resourceType: x.resourceType,
        resourceName: x.resourceName,
        ...(v >= 1 ? { resourcePatternType: x.patternType } : {}),
        acls: x.acls.map(acl),
      })),
    }),
  },
  {
    api: wire.CreateAcls,
    dir: 'createAcls',
    versions: range(0, 1),
    kafkajs: (v, r) => ({ ...throttle(v, 0, r), creationResponses: r.results.map((x: R) => ({ errorCode: x.errorCode, errorMessage: x.errorMessage })) }),
  },
  {
    api: wire.DeleteAcls,
    dir: 'deleteAcls',
    versions: range(0, 1),
    kafkajs: (v, r) => ({
      ...throttle(v, 0, r),
      filterResponses: r.filterResults.map((f: R) => ({
        errorCode: f.errorCode,
        errorMessage: f.errorMessage,
        matchingAcls: f.matchingAcls.map((m: R) => ({
          errorCode: m.errorCode,
          errorMessage: m.errorMessage,
          resourceType: m.resourceType,
          resourceName: m.resourceName,
          ...(v >= 1 ? { resourcePatternType: m.patternType } : {}),
          ...acl(m),
        })),
      })),
    }),
  },
  {
    api: wire.DescribeConfigs,
    dir: 'describeConfigs',
    versions: range(0, 2),
    kafkajs: (v, r) => ({
      ...throttle(v, 0, r),
      resources: r.results.map((x: R) => ({
        errorCode: x.errorCode,
        errorMessage: x.errorMessage,
        resourceType: x.resourceType,
        resourceName: x.resourceName,
        configEntries: x.configs.map((c: R) => ({
          configName: c.name,
          configValue: c.value,
          readOnly: c.readOnly,
          isSensitive: c.isSensitive,
          ...(v === 0
            ? { isDefault: c.isDefault, configSource: v0Source(c.isDefault, x.resourceType) }
            : {
                isDefault: c.configSource === DEFAULT_CONFIG,
                configSource: c.configSource,
                configSynonyms: c.synonyms.map((s: R) => ({ configName: s.name, configValue: s.value, configSource: s.source })),
              }),
        })),
      })),
    }),
  },
  {
    api: wire.AlterConfigs,
    dir: 'alterConfigs',
    versions: range(0, 1),
    kafkajs: (v, r) => ({
      ...throttle(v, 0, r),
      resources: r.responses.map((x: R) => ({
        errorCode: x.errorCode,
        errorMessage: x.errorMessage,
        resourceType: x.resourceType,
        resourceName: x.resourceName,
      })),
    }),
  },
  {
    api: wire.SaslAuthenticate,
    dir: 'saslAuthenticate',
    versions: range(0, 1),
    kafkajs: (v, r) => {
      // kafkajs hands the token on size-prefixed, as SASL v0 frames were.
      const size = Buffer.alloc(4);
      size.writeInt32BE(r.authBytes.length);
      return {
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        authBytes: Buffer.concat([size, r.authBytes]),
        ...(v >= 1 ? { sessionLifetimeMs: str(r.sessionLifetimeMs) } : {}),
      };
    },
  },
  {
    api: wire.CreatePartitions,
    dir: 'createPartitions',
    versions: range(0, 1),
    kafkajs: (v, r) => ({
      ...throttle(v, 0, r),
      topicErrors: r.results.map((x: R) => ({ topic: x.name, errorCode: x.errorCode, errorMessage: x.errorMessage })).sort(byTopic),
    }),
  },
  {
    api: wire.DeleteGroups,
    dir: 'deleteGroups',
    versions: range(0, 1),
    // kafkajs names it throttleTimeMs here, in both versions.
    kafkajs: (_v, r) => ({ throttleTimeMs: r.throttleTimeMs, results: r.results.map((g: R) => ({ groupId: g.groupId, errorCode: g.errorCode })) }),
  },
  {
    api: wire.AlterPartitionReassignments,
    dir: 'alterPartitionReassignments',
    versions: [0],
    // kafkajs skips the error messages.
    kafkajs: (_v, r) => ({
      throttleTime: r.throttleTimeMs,
      errorCode: r.errorCode,
      responses: r.responses.map((t: R) => ({
        topic: t.name,
        partitions: t.partitions.map((p: R) => ({ partition: p.partitionIndex, errorCode: p.errorCode })),
      })),
    }),
  },
  {
    api: wire.ListPartitionReassignments,
    dir: 'listPartitionReassignments',
    versions: [0],
    kafkajs: (_v, r) => ({
      throttleTime: r.throttleTimeMs,
      errorCode: r.errorCode,
      topics: r.topics.map((t: R) => ({
        name: t.name,
        partitions: t.partitions.map((p: R) => ({
          partition: p.partitionIndex,
          replicas: p.replicas,
          addingReplicas: p.addingReplicas,
          removingReplicas: p.removingReplicas,
        })),
      })),
    }),
  },
];

function kafkajsResponse(dir: string, version: number): ResponseModule {
  const mod = require(`kafkajs/src/protocol/requests/${dir}/v${version}/response.js`) as ResponseModule | ((o: object) => ResponseModule);
  // DeleteRecords builds its parser from the request's topics.
  return typeof mod === 'function' ? mod({ topics: [] }) : mod;
}

/** The bytes kafkajs's decoder is given: the frame after its size and correlation id. */
function afterCorrelationId(api: ApiSchema, version: number, value: R): Buffer {
  return encodeResponse(api, version, 99, value).subarray(8);
}

describe("wire codec against kafkajs's response decoders", () => {
  for (const c of CASES) {
    it(`${c.api.name} v${c.versions.join(', v')}`, async () => {
      for (const version of c.versions) {
        const module = kafkajsResponse(c.dir, version);
        await fc.assert(
          fc.asyncProperty(structArb(c.api.response.fields, version, { override: c.override?.(version) ?? {} }), async (generated) => {
            const value = noUnsupportedVersion(generated) as R;
            expectContains(await module.decode(afterCorrelationId(c.api, version, value)), c.kafkajs(version, value), `v${version}`);
            const ok = noErrors(value);
            const parsed = await module.parse(await module.decode(afterCorrelationId(c.api, version, ok)));
            expectContains(parsed, c.kafkajs(version, ok), `v${version} parse`);
          }),
          { numRuns: 8 },
        );
      }
    });
  }
});

describe("wire record batches in a Fetch response, read by kafkajs's Fetch decoder", () => {
  it('yields every record of every whole batch, gzip included, and drops a partial last batch', async () => {
    for (const version of [4, 11]) {
      for (const records of [batches, withPartialTail]) {
        const value = { responses: [{ topic: 'orders', partitions: [{ partitionIndex: 3, highWatermark: 103n, records }] }] };
        const decoded = (await kafkajsResponse('fetch', version).decode(afterCorrelationId(wire.Fetch, version, value))) as R;
        expectContains(decoded.responses[0].partitions[0].messages, fetched, `v${version}`);
      }
    }
  });
});
