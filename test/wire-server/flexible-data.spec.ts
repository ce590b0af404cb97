/**
 * Produce v10–v11, Fetch v13–v17 and ListOffsets v8–v9, the versions Kafka 3.9's Java clients negotiate: topics by
 * id in Fetch (KIP-516), and the leader hints of KIP-951 (current leader and its endpoint) on a
 * partition refused NOT_LEADER_OR_FOLLOWER, as Kafka 3.9's KafkaApis answers them.
 */
import { expect } from 'chai';
import { decodeRecordBatches, encodeRecordBatches, Fetch, ListOffsets, Produce } from '../../protocol/wire/index.js';
import type { Cluster } from '../../src/index.js';
import { UNKNOWN_TOPIC_ID, wireTopicId } from '../../adapters/wire/handlers/codes.js';
import { RawClient, realCluster } from './helpers.js';

const NOT_LEADER_OR_FOLLOWER = 6;
const batch = (values: string[]) =>
  encodeRecordBatches([
    { baseTimestamp: 1000n, records: values.map((v, i) => ({ key: null, value: Buffer.from(v), timestampDelta: BigInt(i), headers: [] })) },
  ]);
const values = (records: Buffer | null) => decodeRecordBatches(records).flatMap((b) => b.records.map((r) => r.value!.toString()));

describe('wire server: Produce v10–v11, Fetch v13–v17, ListOffsets v8–v9', () => {
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

  const fetch = (version: number, topicId: string, fetchOffset = 0n) =>
    client.request(Fetch, version, {
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      topics: [{ topicId, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 1 << 20 }] }],
    });

  it('Produce v10 and v11 write as v9 did; Fetch v13–v17 name the topic by its id', async () => {
    const { topicId } = cluster.createTopic({ topic: 'd', replicaAssignment: [[1, 2]] });
    for (const [version, value] of [
      [10, 'a'],
      [11, 'b'],
    ] as const) {
      const produced = await client.request(Produce, version, {
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: 'd', partitionData: [{ index: 0, records: batch([value]) }] }],
      });
      expect(produced.responses[0]!.partitionResponses[0]).to.deep.include({
        errorCode: 0,
        baseOffset: BigInt(version - 10),
        currentLeader: { leaderId: -1, leaderEpoch: -1 },
      });
      expect(produced.nodeEndpoints).to.deep.equal([]);
    }
    for (const version of [13, 14, 15, 16, 17]) {
      const answer = await fetch(version, wireTopicId(topicId));
      expect(answer.responses.map((r) => r.topicId)).to.deep.equal([wireTopicId(topicId)]);
      const part = answer.responses[0]!.partitions[0]!;
      expect(part).to.include({ partitionIndex: 0, errorCode: 0, highWatermark: 2n });
      expect(values(part.records)).to.deep.equal(['a', 'b']);
      expect(answer.nodeEndpoints).to.deep.equal([]);
    }
  });

  it('Fetch v13+ with an id no topic has: UNKNOWN_TOPIC_ID for its partitions, no offsets, at once', async () => {
    const { topicId } = cluster.createTopic({ topic: 'e', replicaAssignment: [[1]] });
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAQ';
    const answer = await client.request(Fetch, 13, {
      maxWaitMs: 5000,
      minBytes: 1,
      maxBytes: 1 << 20,
      topics: [{ topicId: unknown, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    });
    expect(answer.responses[0]!.topicId).to.equal(unknown);
    expect(answer.responses[0]!.partitions[0]).to.include({ errorCode: UNKNOWN_TOPIC_ID, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n });
    // Deleted and created again, a topic has a new id: the old one is unknown.
    cluster.deleteTopic('e');
    const again = cluster.createTopic({ topic: 'e', replicaAssignment: [[1]] });
    expect((await fetch(15, wireTopicId(topicId))).responses[0]!.partitions[0]!.errorCode).to.equal(UNKNOWN_TOPIC_ID);
    expect((await fetch(15, wireTopicId(again.topicId))).responses[0]!.partitions[0]!.errorCode).to.equal(0);
  });

  it('NOT_LEADER_OR_FOLLOWER names the current leader and its endpoint from Produce v10 and Fetch v16, not before', async () => {
    const { topicId } = cluster.createTopic({ topic: 'l', replicaAssignment: [[2, 1]] });
    const leader = cluster.describeTopic('l').partitions[0]!;
    expect(leader.leader).to.equal(2);
    const endpoint = { nodeId: 2, host: 'broker-2', port: 9092, rack: null };
    const produce = (version: number) =>
      client.request(Produce, version, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'l', partitionData: [{ index: 0, records: batch(['x']) }] }] });

    const p9 = await produce(9);
    expect(p9.responses[0]!.partitionResponses[0]!.errorCode).to.equal(NOT_LEADER_OR_FOLLOWER);
    const p10 = await produce(10);
    expect(p10.responses[0]!.partitionResponses[0]).to.deep.include({
      errorCode: NOT_LEADER_OR_FOLLOWER,
      currentLeader: { leaderId: 2, leaderEpoch: leader.leaderEpoch },
    });
    expect(p10.nodeEndpoints).to.deep.equal([endpoint]);

    const f15 = await fetch(15, wireTopicId(topicId));
    expect(f15.responses[0]!.partitions[0]).to.deep.include({ errorCode: NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: -1, leaderEpoch: -1 } });
    for (const version of [16, 17]) {
      const answer = await fetch(version, wireTopicId(topicId));
      expect(answer.responses[0]!.partitions[0]).to.deep.include({
        errorCode: NOT_LEADER_OR_FOLLOWER,
        currentLeader: { leaderId: 2, leaderEpoch: leader.leaderEpoch },
      });
      expect(answer.nodeEndpoints).to.deep.equal([endpoint]);
    }

    // Broker 2 stops: broker 1 leads in a new epoch and takes the write.
    cluster.stopBroker(2);
    const moved = cluster.describeTopic('l').partitions[0]!;
    expect(moved).to.include({ leader: 1 });
    expect(moved.leaderEpoch).to.be.above(leader.leaderEpoch);
    const p11 = await produce(11);
    expect(p11.responses[0]!.partitionResponses[0]).to.include({ errorCode: 0 });
  });

  it('ListOffsets v8 -4 (local log start) is the log start offset and v9 -5 (last tiered) is -1, without tiered storage', async () => {
    cluster.createTopic({ topic: 'o', replicaAssignment: [[1]] });
    await client.request(Produce, 9, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'o', partitionData: [{ index: 0, records: batch(['a', 'b', 'c']) }] }] });
    cluster.deleteRecords('o', 0, 1);
    const list = (version: number, timestamp: bigint) =>
      client.request(ListOffsets, version, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: 'o', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }],
      });
    const at = async (version: number, timestamp: bigint) => (await list(version, timestamp)).topics[0]!.partitions[0]!;
    expect(await at(8, -4n)).to.include({ errorCode: 0, offset: 1n, timestamp: -1n });
    expect(await at(8, -2n)).to.include({ errorCode: 0, offset: 1n });
    expect(await at(9, -5n)).to.include({ errorCode: 0, offset: -1n, timestamp: -1n });
    expect(await at(9, -1n)).to.include({ errorCode: 0, offset: 3n });
    // The partition's checks come first: broker 2 leads nothing here.
    const other = await RawClient.connect(cluster, 2);
    try {
      const answer = await other.request(ListOffsets, 9, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: 'o', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -5n }] }],
      });
      expect(answer.topics[0]!.partitions[0]!.errorCode).to.equal(NOT_LEADER_OR_FOLLOWER);
    } finally {
      other.close();
    }
  });
});
