/** The wire server's answers, request by request, read with the codec over one raw in-memory connection. */
import { expect } from 'chai';
import {
  ApiVersions,
  CreateAcls,
  CreateTopics,
  DeleteAcls,
  DeleteTopics,
  DescribeAcls,
  DescribeConfigs,
  AlterConfigs,
  Fetch,
  ListOffsets,
  Metadata,
  Produce,
  SaslHandshake,
  decodeRecordBatches,
  encodeRecordBatches,
  recordPosition,
} from '../../protocol/wire/index.js';
import type { Cluster } from '../../src/index.js';
import { HANDLERS } from '../../adapters/wire/handlers/index.js';
import { wireTopicId } from '../../adapters/wire/handlers/codes.js';
import { RawClient, realCluster } from './helpers.js';

const batch = (values: string[], key: string | null = 'k', baseTimestamp = 1000n) =>
  encodeRecordBatches([
    {
      baseTimestamp,
      records: values.map((v, i) => ({
        key: key === null ? null : Buffer.from(key),
        value: Buffer.from(v),
        timestampDelta: BigInt(i),
        headers: [{ key: 'h', value: Buffer.from(v) }],
      })),
    },
  ]);

describe('wire server: answers on the wire', () => {
  let cluster: Cluster;
  let client: RawClient;
  beforeEach(async () => {
    cluster = realCluster({ brokers: 2 });
    client = await RawClient.connect(cluster, 1);
  });
  afterEach(() => {
    client.close();
    cluster.close();
  });

  it('ApiVersions v0–v4 advertise every registered handler; v5 is UNSUPPORTED_VERSION with the ranges, in v0', async () => {
    const expected = [...HANDLERS]
      .sort((a, b) => a.api.key - b.api.key)
      .map((h) => ({ apiKey: h.api.key, minVersion: h.versions[0], maxVersion: h.versions[1] }));
    for (const v of [0, 1, 2, 3, 4]) {
      const answer = await client.request(ApiVersions, v, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
      expect(answer.errorCode).to.equal(0);
      expect(answer.apiKeys).to.deep.equal(expected);
    }
    client.write(Buffer.from(encodeV5ApiVersions()));
    const frame = await client.next();
    const body = frame.subarray(4);
    expect(frame.readInt32BE(0)).to.equal(99);
    expect(body.readInt16BE(0)).to.equal(35);
    expect(body.readInt32BE(2)).to.equal(expected.length);
    expect(await client.request(ApiVersions, 2, {})).to.include({ errorCode: 0 });
  });

  it('Metadata v0, v1 and v12: the brokers at their in-memory addresses, topics with ids, auto-creation by the request flag', async () => {
    const created = cluster.createTopic({ topic: 't', numPartitions: 2, replicationFactor: 2 });
    const v0 = await client.request(Metadata, 0, { topics: [] });
    expect(v0.brokers.map((b) => [b.nodeId, b.host, b.port])).to.deep.equal([
      [1, 'broker-1', 9092],
      [2, 'broker-2', 9092],
    ]);
    expect(v0.topics.map((t) => t.name)).to.deep.equal(['t']);
    const v1 = await client.request(Metadata, 1, { topics: [] });
    expect(v1.topics).to.deep.equal([]);
    const v12 = await client.request(Metadata, 12, {
      topics: [{ name: 't' }, { name: null, topicId: wireTopicId(created.topicId) }, { name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }, { name: 'new' }],
      allowAutoTopicCreation: false,
    });
    expect(v12.clusterId).to.equal(cluster.clusterId);
    expect(v12.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).to.deep.equal([
      ['t', 0, 2],
      ['t', 0, 2],
      ['new', 3, 0],
      [null, 100, 0],
    ]);
    expect(v12.topics[0]!.topicId).to.equal(wireTopicId(created.topicId));
    expect(v12.topics[0]!.partitions[0]!.leaderEpoch).to.equal(0);
    const v4 = await client.request(Metadata, 4, { topics: [{ name: 'auto' }], allowAutoTopicCreation: true });
    expect(v4.topics[0]!.errorCode).to.equal(0);
    expect(cluster.hasTopic('auto')).to.equal(true);
    cluster.stopBroker(2);
    const after = await client.request(Metadata, 5, { topics: null });
    expect(after.brokers.map((b) => b.nodeId)).to.deep.equal([1]);
  });

  it('Produce v3 and v9, then Fetch v4 and v12 answer the same records as v2 batches', async () => {
    cluster.createTopic({ topic: 'f', replicaAssignment: [[1]] });
    const p3 = await client.request(Produce, 3, {
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 'f', partitionData: [{ index: 0, records: batch(['a', 'b']) }] }],
    });
    expect(p3.responses[0]!.partitionResponses[0]).to.include({ errorCode: 0, baseOffset: 0n });
    const p9 = await client.request(Produce, 9, {
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 'f', partitionData: [{ index: 0, records: batch(['c'], null, 5000n) }] }],
    });
    expect(p9.responses[0]!.partitionResponses[0]).to.include({ errorCode: 0, baseOffset: 2n, logStartOffset: 0n });
    for (const version of [4, 5, 11, 12]) {
      const answer = await client.request(Fetch, version, {
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: version === 5 ? 1 : 0,
        topics: [{ topic: 'f', partitions: [{ partition: 0, fetchOffset: 1n, partitionMaxBytes: 1 << 20 }] }],
      });
      const part = answer.responses[0]!.partitions[0]!;
      expect(part).to.include({ errorCode: 0, highWatermark: 3n, logStartOffset: version < 5 ? -1n : 0n });
      expect(part.abortedTransactions).to.deep.equal(version === 5 ? [] : null);
      const batches = decodeRecordBatches(part.records);
      const records = batches.flatMap((b) =>
        b.records.map((r) => ({
          ...recordPosition(b, r),
          key: r.key?.toString() ?? null,
          value: r.value!.toString(),
          headers: r.headers.map((h) => h.value!.toString()),
        })),
      );
      expect(records).to.deep.equal([
        { offset: 1n, timestamp: 1001n, key: 'k', value: 'b', headers: ['b'] },
        { offset: 2n, timestamp: 5000n, key: null, value: 'c', headers: ['c'] },
      ]);
      const fromEngine = cluster.fetch({ topic: 'f', partition: 0, offset: 1 }).records;
      expect(fromEngine.map((r) => [r.offset, r.timestamp, r.value!.toString()])).to.deep.equal(
        records.map((r) => [Number(r.offset), Number(r.timestamp), r.value]),
      );
      expect(batches.map((b) => b.partitionLeaderEpoch)).to.deep.equal([0, 0]);
    }
  });

  it('Fetch waits up to maxWaitMs for minBytes and wakes on a produce; a fetch at the end answers no records', async () => {
    cluster.createTopic({ topic: 'w', replicaAssignment: [[1]] });
    const fetch = (maxWaitMs: number) =>
      client.request(Fetch, 11, {
        maxWaitMs,
        minBytes: 1,
        maxBytes: 1000,
        topics: [{ topic: 'w', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1000 }] }],
      });
    const started = Date.now();
    const empty = await fetch(60);
    expect(Date.now() - started).to.be.at.least(50);
    expect(empty.responses[0]!.partitions[0]!.records?.length ?? 0).to.equal(0);
    const waiting = fetch(5000);
    setTimeout(() => void cluster.produce({ topic: 'w', partition: 0, records: [{ value: Buffer.from('x') }], acks: 1 }), 20);
    const woken = await waiting;
    expect(Date.now() - started).to.be.below(2000);
    expect(decodeRecordBatches(woken.responses[0]!.partitions[0]!.records)[0]!.records[0]!.value!.toString()).to.equal('x');
  });

  it('Fetch spends maxBytes over the partitions in order, and answers each partition its own error', async () => {
    cluster.createTopic({ topic: 'm', replicaAssignment: [[1], [1]] });
    for (const partition of [0, 1]) await cluster.produce({ topic: 'm', partition, records: [{ value: Buffer.alloc(200) }], acks: 1 });
    const answer = await client.request(Fetch, 7, {
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 10,
      topics: [
        {
          topic: 'm',
          partitions: [
            { partition: 0, fetchOffset: 0n, partitionMaxBytes: 1000 },
            { partition: 1, fetchOffset: 0n, partitionMaxBytes: 1000 },
          ],
        },
        { topic: 'nope', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1000 }] },
      ],
    });
    const [m, nope] = answer.responses;
    expect(decodeRecordBatches(m!.partitions[0]!.records)).to.have.length(1);
    expect(m!.partitions[1]!.records?.length ?? 0).to.equal(0);
    expect(nope!.partitions[0]!.errorCode).to.equal(3);
  });

  it('Produce: a bad CRC fails that partition with CORRUPT_MESSAGE, the others are written; NOT_LEADER on a follower', async () => {
    cluster.createTopic({ topic: 'c', replicaAssignment: [[1], [2]] });
    const bad = Buffer.from(batch(['x']));
    bad[bad.length - 1]! ^= 0xff;
    const answer = await client.request(Produce, 7, {
      acks: 1,
      timeoutMs: 1000,
      topicData: [
        {
          name: 'c',
          partitionData: [
            { index: 0, records: bad },
            { index: 0, records: batch(['ok']) },
            { index: 1, records: batch(['elsewhere']) },
          ],
        },
      ],
    });
    expect(answer.responses[0]!.partitionResponses.map((p) => p.errorCode)).to.deep.equal([2, 0, 6]);
    expect(cluster.fetch({ topic: 'c', partition: 0, offset: 0 }).records.map((r) => r.value!.toString())).to.deep.equal(['ok']);
  });

  it('ListOffsets v0, v1 and v7: earliest, latest, by timestamp and the largest timestamp', async () => {
    cluster.createTopic({ topic: 'o', replicaAssignment: [[1]] });
    await client.request(Produce, 5, {
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 'o', partitionData: [{ index: 0, records: batch(['a', 'b', 'c'], 'k', 100n) }] }],
    });
    const v0 = await client.request(ListOffsets, 0, {
      replicaId: -1,
      topics: [{ name: 'o', partitions: [{ partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }] }],
    });
    expect(v0.topics[0]!.partitions[0]!.oldStyleOffsets).to.deep.equal([3n]);
    const ask = (timestamp: bigint) =>
      client.request(ListOffsets, 7, { replicaId: -1, topics: [{ name: 'o', partitions: [{ partitionIndex: 0, timestamp }] }] });
    expect((await ask(-2n)).topics[0]!.partitions[0]!.offset).to.equal(0n);
    expect((await ask(-1n)).topics[0]!.partitions[0]!.offset).to.equal(3n);
    expect((await ask(-3n)).topics[0]!.partitions[0]!).to.include({ offset: 2n, timestamp: 102n });
    expect((await ask(101n)).topics[0]!.partitions[0]!).to.include({ offset: 1n, timestamp: 101n });
    const v1 = await client.request(ListOffsets, 1, { replicaId: -1, topics: [{ name: 'missing', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
    expect(v1.topics[0]!.partitions[0]!.errorCode).to.equal(3);
  });

  it('CreateTopics v7 answers ids, counts and settings; v0 with explicit assignments; DeleteTopics', async () => {
    const v7 = await client.request(CreateTopics, 7, {
      topics: [
        {
          name: 'n',
          numPartitions: -1,
          replicationFactor: -1,
          configs: [
            { name: 'retention.ms', value: '5000' },
            { name: 'segment.ms', value: null },
          ],
        },
      ],
    });
    const t = v7.topics[0]!;
    expect(t).to.include({ errorCode: 0, numPartitions: 1, replicationFactor: 1, topicId: wireTopicId(cluster.describeTopic('n').topicId) });
    expect(t.configs!.find((c) => c.name === 'retention.ms')).to.include({ value: '5000', configSource: 1 });
    const v0 = await client.request(CreateTopics, 0, {
      topics: [
        {
          name: 'a',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [
            { partitionIndex: 1, brokerIds: [1] },
            { partitionIndex: 0, brokerIds: [2] },
          ],
        },
      ],
      timeoutMs: 1000,
    });
    expect(v0.topics[0]!.errorCode).to.equal(0);
    expect(cluster.describeTopic('a').partitions.map((p) => p.replicas)).to.deep.equal([[2], [1]]);
    const again = await client.request(CreateTopics, 1, { topics: [{ name: 'a', numPartitions: 1, replicationFactor: 1 }], validateOnly: true });
    expect(again.topics[0]).to.include({ errorCode: 36 });
    const deleted = await client.request(DeleteTopics, 5, { topicNames: ['a', 'missing'], timeoutMs: 1000 });
    expect(deleted.responses.map((r) => [r.name, r.errorCode])).to.deep.equal([
      ['a', 0],
      ['missing', 3],
    ]);
  });

  it('DescribeConfigs and AlterConfigs: unknown topics, resource types the twin does not model, synonyms', async () => {
    cluster.createTopic({ topic: 'cfg', numPartitions: 1, replicationFactor: 1 });
    const d = await client.request(DescribeConfigs, 1, {
      resources: [
        { resourceType: 2, resourceName: 'missing', configurationKeys: null },
        { resourceType: 8, resourceName: '1', configurationKeys: null },
        { resourceType: 2, resourceName: 'cfg', configurationKeys: ['retention.ms', 'cleanup.policy'] },
      ],
      includeSynonyms: true,
    });
    expect(d.results.map((r) => r.errorCode)).to.deep.equal([3, 42, 0]);
    // As Kafka 3.9: cleanup.policy names its broker default; retention.ms none (Kafka's log.retention.ms defaults to null).
    expect(d.results[2]!.configs.map((c) => [c.name, c.synonyms])).to.deep.equal([
      ['cleanup.policy', [{ name: 'log.cleanup.policy', value: 'delete', source: 5 }]],
      ['retention.ms', []],
    ]);
    const a = await client.request(AlterConfigs, 0, {
      resources: [
        { resourceType: 4, resourceName: '1', configs: [] },
        { resourceType: 2, resourceName: 'cfg', configs: [{ name: 'retention.ms', value: 'x' }] },
        {
          resourceType: 2,
          resourceName: 'cfg',
          configs: [
            { name: 'retention.ms', value: '1000' },
            { name: 'cleanup.policy', value: null },
          ],
        },
      ],
      validateOnly: false,
    });
    expect(a.responses.map((r) => r.errorCode)).to.deep.equal([42, 40, 0]);
    expect(cluster.topicConfig('cfg')['retention.ms']).to.equal(1000);
  });

  it('ACLs are SECURITY_DISABLED and SaslHandshake ILLEGAL_SASL_STATE with no mechanisms, as on a broker without an authorizer or a SASL listener', async () => {
    const acl = { resourceType: 2, resourceName: 't', principal: 'User:x', host: '*', operation: 2, permissionType: 3 };
    const filter = { resourceTypeFilter: 2, resourceNameFilter: null, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 };
    expect(await client.request(DescribeAcls, 1, filter)).to.include({ errorCode: 54 });
    expect((await client.request(CreateAcls, 1, { creations: [acl, acl] })).results.map((r) => r.errorCode)).to.deep.equal([54, 54]);
    expect((await client.request(DeleteAcls, 0, { filters: [filter] })).filterResults.map((r) => r.errorCode)).to.deep.equal([54]);
    expect(await client.request(SaslHandshake, 1, { mechanism: 'PLAIN' })).to.deep.equal({ errorCode: 34, mechanisms: [] });
  });
});

/** ApiVersions v5 (newer than any Kafka 3.9 knows): header v2, an empty flexible body. */
function encodeV5ApiVersions(): Buffer {
  const body = Buffer.from([0, 18, 0, 5, 0, 0, 0, 99, 0, 3, 0x72, 0x61, 0x77, 0, 1, 1, 0]);
  const frame = Buffer.alloc(4 + body.length);
  frame.writeInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}
