/**
 * Regression: a follower that has not fetched since a leader change (here, cut off by isolation)
 * still held records of the old leader's epoch at the offsets the new leader wrote to. The high
 * watermark counted its stale log end offset, so the new leader's record was committed without
 * being replicated, and a later clean election of that follower replaced it. Found by the
 * model-based property (fast-check seed -214606404).
 */
import { expect } from 'chai';
import { Cluster, type ClusterEvent } from '../../src/index.js';
import { settle } from '../../emulator/clock.js';

function newCluster(): { cluster: Cluster; events: ClusterEvent[] } {
  const cluster = new Cluster({
    brokers: 3,
    clock: 'virtual',
    seed: 0,
    config: { 'replica.lag.time.max.ms': 1000, 'log.retention.check.interval.ms': 700, 'log.initial.task.delay.ms': 700, 'leader.imbalance.check.interval.seconds': 5 },
  });
  cluster.createTopic({
    topic: 't',
    replicaAssignment: [
      [1, 2, 3],
      [2, 3, 1],
    ],
    config: { 'segment.bytes': 300, 'retention.ms': 4000, 'unclean.leader.election.enable': false, 'min.insync.replicas': 2 },
  });
  const events: ClusterEvent[] = [];
  cluster.onEvent((e) => events.push(e));
  return { cluster, events };
}

function values(c: Cluster): string[] {
  return c.fetch({ topic: 't', partition: 0, offset: 0 }).records.map((r) => r.value!.toString());
}

describe('clean elections: a follower that has not fetched from the new leader does not count for the high watermark', () => {
  it('a record committed by a new leader is not replaced when a stale follower is elected next (model seed -214606404)', async () => {
    const { cluster: c, events } = newCluster();
    const produce = (value: string) => {
      c.produce({ topic: 't', partition: 0, acks: -1, timeout: 5000, records: [{ value: Buffer.from(value) }] }).catch(() => undefined);
    };
    c.isolateBroker(2);
    produce('m0'); // on 1 and 3 only; 2 is in the ISR but cut off, so the write waits
    await settle();
    c.stopBroker(1); // 2 is elected cleanly from the ISR [2, 3] with an empty log
    await settle();
    c.isolateBroker(3); // 3 never fetches from 2, so it keeps m0 at offset 0 (epoch 0)
    c.healBroker(2);
    await settle();
    produce('m1'); // 2 writes m1 at offset 0; 3 has not acknowledged it
    await settle();
    const d = c.describePartition('t', 0);
    const detail = JSON.stringify(events, null, 1);
    expect(d.leader, detail).to.equal(2);
    expect(d.highWatermark, `m1 held by the leader alone is not committed\n${detail}`).to.equal(0);
    const committed = values(c);
    c.stopBroker(2); // 3, still in the ISR, is elected cleanly
    await settle();
    c.healBroker(3);
    await settle();
    expect(c.describePartition('t', 0).leader).to.equal(3);
    const after = values(c);
    // Whatever was readable before the election still reads the same.
    expect(after.slice(0, committed.length), detail).to.deep.equal(committed);
  });

  it('the stale follower leaves the ISR after replica.lag.time.max.ms, as Kafka shrinks a follower whose log end offset it does not know', async () => {
    const { cluster: c, events } = newCluster();
    c.isolateBroker(2);
    c.produce({ topic: 't', partition: 0, acks: 1, records: [{ value: Buffer.from('m0') }] }).catch(() => undefined);
    await settle();
    c.stopBroker(1);
    c.isolateBroker(3);
    c.healBroker(2);
    c.produce({ topic: 't', partition: 0, acks: 1, records: [{ value: Buffer.from('m1') }] }).catch(() => undefined);
    await settle();
    expect(c.describePartition('t', 0).isr).to.deep.equal([2, 3]);
    await c.advance(1600);
    expect(c.describePartition('t', 0).isr, JSON.stringify(events, null, 1)).to.deep.equal([2]);
    expect(c.describePartition('t', 0).highWatermark).to.equal(0);
  });
});
