/**
 * Property tests of the streams API on the twin: random streams, random schedules of instances
 * joining and leaving one consumer group, publishing in between.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { partitionForKey } from '../../client/partitioners.js';
import { AutoOffsetReset, CommitMode, type CommitOptions, type TopicConsumer } from '../../src/streams/index.js';
import { committed, setup } from './helpers.js';

type Command = { kind: 'join' } | { kind: 'leave'; index: number } | { kind: 'publish'; stream: number; count: number } | { kind: 'commit'; index: number };

const commandArb = (withCommit: boolean): fc.Arbitrary<Command> => {
  const base = [
    { arbitrary: fc.constant<Command>({ kind: 'join' }), weight: 2 },
    { arbitrary: fc.nat(7).map<Command>((index) => ({ kind: 'leave', index })), weight: 1 },
    { arbitrary: fc.record({ stream: fc.nat(7), count: fc.integer({ min: 1, max: 6 }) }).map<Command>((r) => ({ kind: 'publish', ...r })), weight: 3 },
  ];
  const commit = { arbitrary: fc.nat(7).map<Command>((index) => ({ kind: 'commit', index })), weight: 3 };
  return fc.oneof(...(withCommit ? [...base, commit] : base));
};

interface Scenario {
  partitions: number;
  streams: number;
  commitEvery: number;
  commands: Command[];
  seed: number;
}

const scenarioArb = (withCommit: boolean): fc.Arbitrary<Scenario> =>
  fc.record({
    partitions: fc.integer({ min: 1, max: 4 }),
    streams: fc.integer({ min: 1, max: 6 }),
    commitEvery: fc.integer({ min: 1, max: 5 }),
    // The first instance joins first; then anything.
    commands: fc.array(commandArb(withCommit), { minLength: 3, maxLength: 14 }).map((cs): Command[] => [{ kind: 'join' }, ...cs]),
    seed: fc.nat(1000),
  });

interface Delivery {
  readonly instance: number;
  readonly stream: string;
  readonly value: number;
  readonly partition: number;
  readonly offset: number;
}

/** Runs a schedule; returns what every instance saw. */
async function run(scenario: Scenario, commitSettings: CommitMode | CommitOptions) {
  const env = setup({ partitions: scenario.partitions, seed: scenario.seed });
  const ids = Array.from({ length: scenario.streams }, (_, i) => `stream-${i}`);
  const producer = env.client.getTopicProducer<number>('t');
  const published = new Map(ids.map((id) => [id, 0]));
  const deliveries: Delivery[] = [];
  const instances: { n: number; consumer: TopicConsumer<number> }[] = [];
  const commitSnapshots = new Map<number, Set<number>>();
  let joined = 0;

  const join = async () => {
    const n = joined++;
    const consumer = env.client.getTopicConsumer<number>('t', 'g', { autoOffsetReset: AutoOffsetReset.Earliest, commitSettings, now: () => env.cluster.now() });
    consumer.on('streamReceived', (stream) => {
      stream.on('data', (d) => void deliveries.push({ instance: n, stream: d.streamId, value: d.value, partition: d.partition, offset: d.offset }));
    });
    instances.push({ n, consumer });
    await consumer.subscribe();
  };

  for (const command of scenario.commands) {
    if (command.kind === 'join') {
      await join();
    } else if (command.kind === 'leave') {
      if (instances.length === 0) continue;
      const [gone] = instances.splice(command.index % instances.length, 1);
      await gone!.consumer.close();
    } else if (command.kind === 'publish') {
      const id = ids[command.stream % ids.length]!;
      const stream = producer.getOrCreateStream(id);
      for (let i = 0; i < command.count; i++) {
        const value = published.get(id)!;
        published.set(id, value + 1);
        stream.publish(value);
      }
      await producer.flush();
    } else {
      if (instances.length === 0) continue;
      const { n, consumer } = instances[command.index % instances.length]!;
      // What this instance was handed so far, per partition: all commit() may commit.
      const mine = deliveries.filter((d) => d.instance === n);
      for (const p of new Set(mine.map((d) => d.partition))) {
        const set = commitSnapshots.get(p) ?? new Set<number>();
        set.add(Math.max(...mine.filter((d) => d.partition === p).map((d) => d.offset)) + 1);
        commitSnapshots.set(p, set);
      }
      await consumer.commit();
    }
    await env.cluster.idle();
  }
  return { env, ids, producer, published, deliveries, instances, commitSnapshots, join };
}

/** Within one stream, every delivery is the next value, or a re-delivery (never a skip forward, never a gap). */
function checkOrder(deliveries: readonly Delivery[], ids: readonly string[], partitions: number) {
  for (const id of ids) {
    const mine = deliveries.filter((d) => d.stream === id);
    let highest = -1;
    const last = new Map<number, number>();
    for (const d of mine) {
      expect(d.partition, `stream ${id} stays on one partition`).to.equal(partitionForKey(id, partitions));
      expect(d.value, `no gap in stream ${id}`).to.be.at.most(highest + 1);
      const prev = last.get(d.instance);
      if (prev !== undefined && d.value > prev + 1) {
        // An instance skips ahead only over values another instance was handed meanwhile (it owned the
        // partition in between, as a rebalance may decide: the assignment depends on the partition order).
        const handedElsewhere = new Set(mine.slice(0, mine.indexOf(d)).filter((o) => o.instance !== d.instance).map((o) => o.value));
        for (let v = prev + 1; v < d.value; v++) expect(handedElsewhere.has(v), `instance ${d.instance} never skips ahead in stream ${id} past ${v}`).to.equal(true);
      }
      last.set(d.instance, d.value);
      highest = Math.max(highest, d.value);
    }
  }
}

describe('streams: properties on the twin', function () {
  this.timeout(60_000);

  it('every message of a stream is delivered in publish order to whichever instance owns its partition', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb(false), async (scenario) => {
        const r = await run(scenario, { commitEvery: scenario.commitEvery, commitIntervalMs: null });
        if (r.instances.length === 0) await r.join();
        await r.env.cluster.idle();
        checkOrder(r.deliveries, r.ids, scenario.partitions);
        // Every published message reached some instance.
        for (const id of r.ids) {
          const values = new Set(r.deliveries.filter((d) => d.stream === id).map((d) => d.value));
          expect(values.size, `all of ${id}`).to.equal(r.published.get(id));
        }
        // The streams open on live instances are on partitions that instance owns, and no two share one.
        const owned = r.instances.flatMap((i) => [...new Set(i.consumer.activeStreams.map((s) => s.partition))]);
        expect(new Set(owned).size).to.equal(owned.length);
        for (const i of r.instances) await i.consumer.close();
      }),
      { numRuns: 30, seed: 42 },
    );
  });

  it('automatic commits: a restarted group resumes after the last commit and re-delivers only messages after it', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb(false), fc.integer({ min: 1, max: 8 }), async (scenario, more) => {
        const r = await run(scenario, { commitEvery: scenario.commitEvery, commitIntervalMs: null });
        for (const i of r.instances.splice(0)) await i.consumer.close();
        const committedOffsets = committed(r.env.cluster, 'g', 't');
        // Nothing is committed beyond what was processed.
        for (let p = 0; p < scenario.partitions; p++) {
          const processed = r.deliveries.filter((d) => d.partition === p).map((d) => d.offset + 1);
          expect(committedOffsets[p]!).to.be.at.most(Math.max(-1, ...processed));
        }
        // More traffic, then the group restarts.
        const stream = r.producer.getOrCreateStream(r.ids[0]!);
        for (let i = 0; i < more; i++) stream.publish(r.published.get(r.ids[0]!)! + i);
        await r.producer.flush();
        const before = r.deliveries.length;
        await r.join();
        await r.env.cluster.idle();
        const resumed = r.deliveries.slice(before);
        for (let p = 0; p < scenario.partitions; p++) {
          const end = r.env.cluster.listOffsets('t', p, 'latest').offset;
          const from = committedOffsets[p]! < 0 ? 0 : committedOffsets[p]!;
          const got = resumed.filter((d) => d.partition === p).map((d) => d.offset);
          expect(got, `partition ${p} resumes at ${from}`).to.deep.equal(Array.from({ length: end - from }, (_, i) => from + i));
        }
        checkOrder(r.deliveries, r.ids, scenario.partitions);
        for (const i of r.instances) await i.consumer.close();
      }),
      { numRuns: 25, seed: 7 },
    );
  });

  it('manual commits: nothing is committed that was not passed to commit()', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb(true), async (scenario) => {
        const r = await run(scenario, CommitMode.Manual);
        for (const i of r.instances.splice(0)) await i.consumer.close();
        const committedOffsets = committed(r.env.cluster, 'g', 't');
        for (let p = 0; p < scenario.partitions; p++) {
          if (committedOffsets[p] === -1) continue;
          expect([...(r.commitSnapshots.get(p) ?? [])], `partition ${p}`).to.include(committedOffsets[p]);
        }
        checkOrder(r.deliveries, r.ids, scenario.partitions);
      }),
      { numRuns: 30, seed: 3 },
    );
  });
});
