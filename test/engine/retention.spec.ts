import { expect } from 'chai';
import type { ClusterEvent } from '../../src/index.js';
import { protocolErrorOf, readAll, values, virtualCluster } from '../helpers.js';

const deletions = (events: readonly ClusterEvent[]) => events.filter((e): e is Extract<ClusterEvent, { type: 'segment-deleted' }> => e.type === 'segment-deleted');

describe('retention', () => {
  const fast = { 'log.retention.check.interval.ms': 1000, 'log.initial.task.delay.ms': 1000 };

  it('deletes whole segments older than retention.ms on the retention-check schedule, advancing the log start offset', async () => {
    const cluster = virtualCluster({ config: fast });
    cluster.createTopic({ topic: 't', config: { 'retention.ms': 5000, 'segment.bytes': 200 } });
    for (let i = 0; i < 3; i++) await cluster.produce({ topic: 't', partition: 0, records: [{ value: Buffer.alloc(60) }] });
    await cluster.advance(3000);
    for (let i = 0; i < 2; i++) await cluster.produce({ topic: 't', partition: 0, records: [{ value: Buffer.alloc(60) }] });
    // Segments [0],[1],[2] have timestamp 0; [3],[4] timestamp 3000. At t=6000 only the first three are older than 5 s.
    await cluster.advance(2999);
    expect(cluster.listOffsets('t', 0, 'earliest').offset).to.equal(0);
    await cluster.advance(1001);
    expect(cluster.listOffsets('t', 0, 'earliest').offset).to.equal(3);
    const deleted = deletions(cluster.events());
    expect(deleted.map((d) => [d.baseOffset, d.endOffset, d.reason, d.time])).to.deep.equal([
      [0, 1, 'retention.ms', 6000],
      [1, 2, 'retention.ms', 6000],
      [2, 3, 'retention.ms', 6000],
    ]);
    expect(deleted.at(-1)!.logStartOffset).to.equal(3);
    protocolErrorOf(() => cluster.fetch({ topic: 't', partition: 0, offset: 2 }), 'OFFSET_OUT_OF_RANGE');
    expect(cluster.fetch({ topic: 't', partition: 0, offset: 3 }).records).to.have.length(2);
  });

  it('applies retention only on its schedule: log.initial.task.delay.ms, then every log.retention.check.interval.ms', async () => {
    const cluster = virtualCluster({ config: { 'log.initial.task.delay.ms': 30000, 'log.retention.check.interval.ms': 300000 } });
    cluster.createTopic({ topic: 't', config: { 'retention.ms': 10, 'segment.bytes': 200 } });
    for (let i = 0; i < 2; i++) await cluster.produce({ topic: 't', partition: 0, records: [{ value: Buffer.alloc(60) }] });
    await cluster.advance(29999);
    expect(deletions(cluster.events())).to.have.length(0);
    await cluster.advance(1);
    expect(deletions(cluster.events())).to.have.length(2);
    await cluster.produce({ topic: 't', partition: 0, records: [{ value: Buffer.alloc(60) }] });
    await cluster.advance(299999);
    expect(deletions(cluster.events())).to.have.length(2);
    await cluster.advance(1);
    expect(deletions(cluster.events())).to.have.length(3);
  });

  it('when every segment has expired, rolls a new empty active segment first and deletes the rest', async () => {
    const cluster = virtualCluster({ config: fast });
    cluster.createTopic({ topic: 't', config: { 'retention.ms': 100 } });
    await cluster.produce({ topic: 't', partition: 0, records: values(4) });
    await cluster.advance(1000);
    const d = cluster.describePartition('t', 0);
    expect([d.logStartOffset, d.logEndOffset, d.highWatermark]).to.deep.equal([4, 4, 4]);
    expect(d.replicaStates[0]!.segments).to.deep.equal([{ baseOffset: 4, endOffset: 4, size: 0 }]);
    expect(readAll(cluster, 't', 0)).to.deep.equal([]);
    const next = await cluster.produce({ topic: 't', partition: 0, records: values(1) });
    expect(next.baseOffset).to.equal(4);
    await cluster.advance(2000);
    expect(deletions(cluster.events())).to.have.length(2);
  });

  it('deletes oldest segments while the log is over retention.bytes, never going under it', async () => {
    const cluster = virtualCluster({ config: fast });
    cluster.createTopic({ topic: 't', config: { 'retention.bytes': 300, 'segment.bytes': 200 } });
    for (let i = 0; i < 5; i++) await cluster.produce({ topic: 't', partition: 0, records: [{ value: Buffer.alloc(60) }] });
    // Five 129-byte segments (61-byte batch header + a 68-byte record) = 645 bytes: 345 over, so two can go (258) but not three (387).
    await cluster.advance(1000);
    const d = cluster.describePartition('t', 0);
    expect(d.logStartOffset).to.equal(2);
    expect(d.replicaStates[0]!.size).to.equal(387);
    expect(deletions(cluster.events()).map((e) => e.reason)).to.deep.equal(['retention.bytes', 'retention.bytes']);
  });

  it('keeps data forever with retention.ms=-1 and never deletes the active segment on its own', async () => {
    const cluster = virtualCluster({ config: fast });
    cluster.createTopic({ topic: 't', config: { 'retention.ms': -1, 'segment.bytes': 200 } });
    for (let i = 0; i < 3; i++) await cluster.produce({ topic: 't', partition: 0, records: [{ value: Buffer.alloc(60) }] });
    await cluster.advance(10 ** 7);
    expect(cluster.listOffsets('t', 0, 'earliest').offset).to.equal(0);
  });

  it('never deletes records above the high watermark', async () => {
    const cluster = virtualCluster({ brokers: 2, config: fast });
    cluster.createTopic({ topic: 't', replicaAssignment: [[1, 2]], config: { 'retention.ms': 100, 'segment.bytes': 200 } });
    cluster.isolateBroker(2);
    for (let i = 0; i < 3; i++) await cluster.produce({ topic: 't', partition: 0, records: [{ value: Buffer.alloc(60) }], acks: 1 });
    await cluster.advance(5000);
    const d = cluster.describePartition('t', 0);
    expect(d.highWatermark).to.equal(0);
    expect(d.logStartOffset).to.equal(0);
    expect(deletions(cluster.events())).to.have.length(0);
  });

  it('removes segments wholly below a log start offset moved by deleteRecords at the next check, on every replica', async () => {
    const cluster = virtualCluster({ brokers: 2, config: fast });
    cluster.createTopic({ topic: 't', replicationFactor: 2, config: { 'segment.bytes': 200 } });
    for (let i = 0; i < 3; i++) await cluster.produce({ topic: 't', partition: 0, records: [{ value: Buffer.alloc(60) }] });
    cluster.deleteRecords('t', 0, 2);
    await cluster.advance(1000);
    const deleted = deletions(cluster.events());
    expect(deleted.map((e) => [e.broker, e.baseOffset, e.reason])).to.deep.equal([
      [1, 0, 'log-start-offset'],
      [1, 1, 'log-start-offset'],
      [2, 0, 'log-start-offset'],
      [2, 1, 'log-start-offset'],
    ]);
    for (const r of cluster.describePartition('t', 0).replicaStates) expect(r.logStartOffset).to.equal(2);
  });

  it('runs no retention on a stopped broker, and resumes after it starts', async () => {
    const cluster = virtualCluster({ brokers: 2, config: fast });
    cluster.createTopic({ topic: 't', replicationFactor: 2, config: { 'retention.ms': 10, 'segment.bytes': 200 } });
    for (let i = 0; i < 2; i++) await cluster.produce({ topic: 't', partition: 0, records: [{ value: Buffer.alloc(60) }] });
    cluster.stopBroker(2);
    await cluster.advance(5000);
    expect(deletions(cluster.events()).every((e) => e.broker === 1)).to.equal(true);
    cluster.startBroker(2);
    await cluster.advance(1000);
    expect(cluster.describePartition('t', 0).replicaStates[1]!.logStartOffset).to.equal(2);
  });
});
