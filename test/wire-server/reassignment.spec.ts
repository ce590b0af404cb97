/**
 * AlterPartitionReassignments and ListPartitionReassignments on the wire, read with the codec over
 * a raw connection: what kafkajs cannot send (a null replica list cancels) and the answers' fields.
 */
import { expect } from 'chai';
import { AlterPartitionReassignments, ListPartitionReassignments } from '../../protocol/wire/index.js';
import type { Cluster } from '../../src/index.js';
import { RawClient, realCluster } from './helpers.js';

describe('wire: partition reassignment', () => {
  let cluster: Cluster;
  let client: RawClient;
  beforeEach(async () => {
    cluster = realCluster({ brokers: 3 });
    cluster.createTopic({
      topic: 't',
      replicaAssignment: [
        [1, 2],
        [2, 3],
      ],
    });
    // Any broker takes the request, as a KRaft broker forwards it to the controller.
    client = await RawClient.connect(cluster, 2);
  });
  afterEach(() => {
    client.close();
    cluster.close();
  });

  const alter = (partitions: { partitionIndex: number; replicas: number[] | null }[], name = 't') =>
    client.request(AlterPartitionReassignments, 0, { timeoutMs: 1000, topics: [{ name, partitions }] });
  const list = (topics: { name: string; partitionIndexes: number[] }[] | null) => client.request(ListPartitionReassignments, 0, { timeoutMs: 1000, topics });

  it('a null replica list cancels the reassignment in progress; with none in progress it is NO_REASSIGNMENT_IN_PROGRESS', async () => {
    cluster.stopBroker(3);
    expect(await alter([{ partitionIndex: 0, replicas: [3, 1] }])).to.deep.equal({
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      responses: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, errorMessage: null }] }],
    });
    const ongoing = {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, replicas: [3, 1, 2], addingReplicas: [3], removingReplicas: [2] }] }],
    };
    expect(await list(null)).to.deep.equal(ongoing);
    expect(
      await list([
        { name: 't', partitionIndexes: [1, 0] },
        { name: 'missing', partitionIndexes: [0] },
      ]),
    ).to.deep.equal(ongoing);
    expect(
      await alter([
        { partitionIndex: 0, replicas: null },
        { partitionIndex: 1, replicas: null },
      ]),
    ).to.deep.equal({
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      responses: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, errorCode: 0, errorMessage: null },
            // Kafka 3.9 sends no message with this code.
            { partitionIndex: 1, errorCode: 85, errorMessage: null },
          ],
        },
      ],
    });
    expect((await list(null)).topics).to.deep.equal([]);
    expect(cluster.describeTopic('t').partitions[0]).to.deep.include({ replicas: [1, 2], isr: [1, 2], leader: 1 });
  });

  it("answers each refused partition with Kafka 3.9's code and message", async () => {
    const answer = await alter([
      { partitionIndex: 0, replicas: [] },
      { partitionIndex: 0, replicas: [2, 2] },
      { partitionIndex: 0, replicas: [2, 4] },
      { partitionIndex: 9, replicas: [1] },
    ]);
    expect(answer.responses[0]!.partitions).to.deep.equal([
      { partitionIndex: 0, errorCode: 39, errorMessage: 'The manual partition assignment includes an empty replica list.' },
      { partitionIndex: 0, errorCode: 39, errorMessage: 'The manual partition assignment includes the broker 2 more than once.' },
      { partitionIndex: 0, errorCode: 39, errorMessage: 'The manual partition assignment includes broker 4, but no such broker is registered.' },
      { partitionIndex: 9, errorCode: 3, errorMessage: 'Unable to find partition t:9.' },
    ]);
    expect((await alter([{ partitionIndex: 0, replicas: [1] }], 'nope')).responses).to.deep.equal([
      { name: 'nope', partitions: [{ partitionIndex: 0, errorCode: 3, errorMessage: 'Unable to find a topic named nope.' }] },
    ]);
  });
});
