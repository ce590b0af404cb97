/**
 * Orders a Kafka 3.9 broker answers in, which kafkajs hands on as they come: a topic's partitions
 * in Metadata (its assigners and partitioner work in that order) and the partitions of an
 * OffsetFetch that names them (`admin.fetchOffsets`).
 */
import { expect } from 'chai';
import { Metadata, OffsetFetch } from '../../protocol/wire/index.js';
import type { Cluster } from '../../src/index.js';
import { RawClient, realCluster } from './helpers.js';

describe("wire server: the broker's orders", () => {
  let cluster: Cluster;
  let client: RawClient;
  beforeEach(async () => {
    cluster = realCluster();
    client = await RawClient.connect(cluster, 1);
  });
  afterEach(() => {
    client.close();
    cluster.close();
  });

  it("Metadata lists a topic's partitions in the broker's hash order, not by index", async () => {
    cluster.createTopic({ topic: 'six', numPartitions: 6, replicationFactor: 1 });
    for (const version of [1, 12]) {
      const answer = await client.request(Metadata, version, { topics: [{ name: 'six' }], allowAutoTopicCreation: false });
      expect(answer.topics[0]!.partitions.map((p) => p.partitionIndex)).to.deep.equal([1, 3, 2, 5, 0, 4]);
    }
  });

  it('OffsetFetch for named partitions answers them in the coordinator map order; for every offset, by topic and partition', async () => {
    cluster.createTopic({ topic: 'conformance.offset-order', numPartitions: 12, replicationFactor: 1 });
    const asked = [1, 11, 10, 5, 0, 8, 3, 9, 6, 2, 7, 4];
    const named = await client.request(OffsetFetch, 1, { groupId: 'g', topics: [{ name: 'conformance.offset-order', partitionIndexes: asked }] });
    expect(named.topics.map((t) => t.name)).to.deep.equal(['conformance.offset-order']);
    expect(named.topics[0]!.partitions.map((p) => p.partitionIndex)).to.deep.equal([1, 6, 5, 2, 4, 7, 9, 10, 3, 0, 11, 8]);
    expect(named.topics[0]!.partitions.every((p) => p.committedOffset === -1n && p.errorCode === 0)).to.equal(true);
    // Four or fewer stay in request order (a small Scala map keeps insertion order).
    const few = await client.request(OffsetFetch, 4, { groupId: 'g', topics: [{ name: 'conformance.offset-order', partitionIndexes: [7, 2, 9, 0] }] });
    expect(few.topics[0]!.partitions.map((p) => p.partitionIndex)).to.deep.equal([7, 2, 9, 0]);
  });
});
