/**
 * The order and kinds of checks a leader makes on a produce request, as Kafka 3.9 makes them
 * (found by the conformance suite against a real broker).
 */
import { expect } from 'chai';
import { rejection, values, virtualCluster } from '../helpers.js';

describe('engine: produce checks', () => {
  it('rejects a batch larger than segment.bytes with RECORD_LIST_TOO_LARGE, writing nothing', async () => {
    const cluster = virtualCluster();
    cluster.createTopic({ topic: 't', config: { 'segment.bytes': 100 } });
    await rejection(cluster.produce({ topic: 't', partition: 0, records: values(10, 'a-long-value') }), 'RECORD_LIST_TOO_LARGE');
    expect(cluster.listOffsets('t', 0, 'latest').offset).to.equal(0);
    // A batch that fits is accepted; the next one that does not fit with it rolls a segment.
    await cluster.produce({ topic: 't', partition: 0, records: values(2, 'v') });
    await cluster.produce({ topic: 't', partition: 0, records: values(2, 'w') });
    expect(cluster.describePartition('t', 0).replicaStates[0]!.segments.map((s) => s.baseOffset)).to.deep.equal([0, 2]);
  });

  it('checks min.insync.replicas before the batch: an oversize acks=all write to a short ISR is NOT_ENOUGH_REPLICAS', async () => {
    const cluster = virtualCluster({ brokers: 3 });
    cluster.createTopic({ topic: 't', replicaAssignment: [[1, 2, 3]], config: { 'min.insync.replicas': 3, 'max.message.bytes': 100 } });
    cluster.stopBroker(3);
    await rejection(cluster.produce({ topic: 't', partition: 0, acks: -1, records: values(10, 'a-long-value') }), 'NOT_ENOUGH_REPLICAS');
    await rejection(cluster.produce({ topic: 't', partition: 0, acks: 1, records: values(10, 'a-long-value') }), 'MESSAGE_TOO_LARGE');
  });

  it('holds the high watermark while the ISR is below min.insync.replicas, and moves it once the ISR is back (KIP-966)', async () => {
    const cluster = virtualCluster({ brokers: 3 });
    cluster.createTopic({ topic: 't', replicaAssignment: [[1, 2, 3]], config: { 'min.insync.replicas': 3 } });
    await cluster.produce({ topic: 't', partition: 0, records: values(1) });
    cluster.stopBroker(3);
    const written = await cluster.produce({ topic: 't', partition: 0, acks: 1, records: values(1, 'w') });
    expect(written.baseOffset).to.equal(1);
    await cluster.advance(5000);
    expect(cluster.listOffsets('t', 0, 'latest').offset).to.equal(1);
    expect(cluster.fetch({ topic: 't', partition: 0, offset: 1 }).records).to.deep.equal([]);
    cluster.startBroker(3);
    await cluster.advance(0);
    expect(cluster.listOffsets('t', 0, 'latest').offset).to.equal(2);
  });

  it('caps min.insync.replicas at the replication factor: one replica with min.insync.replicas=2 takes acks=all writes', async () => {
    const cluster = virtualCluster({ brokers: 3 });
    cluster.createTopic({ topic: 't', replicationFactor: 1, config: { 'min.insync.replicas': 2 } });
    const written = await cluster.produce({ topic: 't', partition: 0, acks: -1, records: values(1) });
    expect(written.baseOffset).to.equal(0);
    expect(cluster.listOffsets('t', 0, 'latest').offset).to.equal(1);
  });
});
