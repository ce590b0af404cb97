import { expect } from 'chai';
import type { EachMessagePayload } from 'kafkajs';
import { Cluster } from '../../src/index.js';
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from '../../protocol/errors.js';

function setup(partitions = 3, config: Record<string, number | string | boolean> = {}) {
  const cluster = new Cluster({ clock: 'virtual', seed: 7, config });
  cluster.createTopic({ topic: 't', numPartitions: partitions });
  const kafka = cluster.kafka({ clientId: 'app' });
  return { cluster, kafka };
}

async function produce(kafka: ReturnType<Cluster['kafka']>, messages: { key?: string; value: string; partition?: number }[]) {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 't', messages });
  await producer.disconnect();
}

/** A consumer that records what it gets. */
async function recorder(kafka: ReturnType<Cluster['kafka']>, groupId: string, fromBeginning = true) {
  const seen: { partition: number; offset: number; value: string }[] = [];
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topics: ['t'], fromBeginning });
  await consumer.run({
    eachMessage: async ({ partition, message }: EachMessagePayload) => {
      seen.push({ partition, offset: Number(message.offset), value: message.value!.toString() });
    },
  });
  return { consumer, seen };
}

describe('twin consumer', () => {
  it('joins on run(), then delivers every message in order per partition', async () => {
    const { cluster, kafka } = setup(3);
    await produce(
      kafka,
      Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: `m${i}` })),
    );
    const { seen } = await recorder(kafka, 'g');
    await cluster.idle();
    expect(seen).to.have.length(30);
    for (const p of [0, 1, 2]) {
      const offsets = seen.filter((s) => s.partition === p).map((s) => s.offset);
      expect(offsets).to.deep.equal([...offsets].sort((a, b) => a - b));
      expect(offsets).to.deep.equal(offsets.map((_, i) => i));
    }
  });

  it('from latest sees only messages produced after it joined', async () => {
    const { cluster, kafka } = setup(1);
    await produce(kafka, [{ value: 'old' }]);
    const { seen } = await recorder(kafka, 'g', false);
    await produce(kafka, [{ value: 'new' }]);
    await cluster.idle();
    expect(seen.map((s) => s.value)).to.deep.equal(['new']);
  });

  it('commits, and a restarted group resumes after its committed offsets', async () => {
    const { cluster, kafka } = setup(2);
    await produce(
      kafka,
      Array.from({ length: 10 }, (_, i) => ({ value: `a${i}`, partition: i % 2 })),
    );
    const first = await recorder(kafka, 'g');
    await cluster.idle();
    await first.consumer.disconnect();
    expect(first.seen).to.have.length(10);
    await produce(
      kafka,
      Array.from({ length: 4 }, (_, i) => ({ value: `b${i}`, partition: i % 2 })),
    );
    const second = await recorder(kafka, 'g');
    await cluster.idle();
    expect(second.seen.map((s) => s.value).sort()).to.deep.equal(['b0', 'b1', 'b2', 'b3']);
    const offsets = cluster.groups.offsetFetch({ groupId: 'g' });
    expect(offsets[0]!.partitions.map((p) => p.offset)).to.deep.equal([7, 7]);
  });

  it('three partitions, four members: one idle; when an active member leaves the idle one takes over', async () => {
    const { cluster, kafka } = setup(3, { 'group.initial.rebalance.delay.ms': 0 });
    const members: Awaited<ReturnType<typeof recorder>>[] = [];
    for (let i = 0; i < 4; i++) members.push(await recorder(kafka, 'g'));
    await cluster.idle();
    const owners = await kafka.admin().describeGroups(['g']);
    expect(owners.groups[0]!.state).to.equal('Stable');
    expect(owners.groups[0]!.members).to.have.length(4);
    const assigned = (c: (typeof members)[number]['consumer']) => [...(c as unknown as { assignment: Map<string, number[]> }).assignment.values()].flat();
    const counts = members.map((m) => assigned(m.consumer).length).sort();
    expect(counts).to.deep.equal([0, 1, 1, 1]);
    const idle = members.find((m) => assigned(m.consumer).length === 0)!;
    const leaver = members.find((m) => assigned(m.consumer).length === 1)!;
    const orphan = assigned(leaver.consumer)[0]!;
    await leaver.consumer.disconnect();
    await cluster.idle();
    const after = members.filter((m) => m !== leaver).map((m) => assigned(m.consumer));
    expect(after.flat().sort()).to.deep.equal([0, 1, 2]);
    expect(after.every((a) => a.length === 1)).to.equal(true);
    expect(assigned(idle.consumer)).to.have.length(1);
    await produce(kafka, [{ value: 'x', partition: orphan }]);
    await cluster.idle();
    expect(
      members
        .filter((m) => m !== leaver)
        .flatMap((m) => m.seen)
        .map((s) => s.value),
    ).to.include('x');
  });

  it('a member that stops heartbeating is removed after its session timeout and its partitions move', async () => {
    const { cluster, kafka } = setup(2, { 'group.initial.rebalance.delay.ms': 0 });
    const a = await recorder(kafka, 'g');
    const b = await recorder(kafka, 'g');
    await cluster.idle();
    // b dies without leaving: its membership stays until the session expires.
    b.consumer.crash();
    await cluster.advance(35_000);
    await cluster.idle();
    const group = await kafka.admin().describeGroups(['g']);
    expect(group.groups[0]!.members).to.have.length(1);
    await produce(kafka, [
      { value: 'p0', partition: 0 },
      { value: 'p1', partition: 1 },
    ]);
    await cluster.idle();
    expect(a.seen.map((s) => s.value)).to.include.members(['p0', 'p1']);
  });

  it('crash(): no LeaveGroup and no commit; the member expires after its session timeout and its partitions move, from the last commit', async () => {
    const { cluster, kafka } = setup(2, { 'group.initial.rebalance.delay.ms': 0 });
    const sessionTimeout = 10_000;
    const seen: { who: string; partition: number; offset: number }[] = [];
    let crashedAt = -1;
    let lateCommit: unknown;
    const start = async (who: string) => {
      const consumer = kafka.consumer({ groupId: 'g', sessionTimeout, heartbeatInterval: 1000 });
      await consumer.connect();
      await consumer.subscribe({ topics: ['t'], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          seen.push({ who, partition, offset: Number(message.offset) });
          if (who === 'a' && message.offset === '1') {
            consumer.crash();
            crashedAt = cluster.now();
            // The handler outlives the crash here, but nothing it does reaches the group any more.
            lateCommit = await consumer.commitOffsets([{ topic: 't', partition, offset: '2' }]).catch((e: unknown) => e);
          }
        },
      });
      return consumer;
    };
    const a = await start('a');
    const b = await start('b');
    await cluster.idle();
    expect(cluster.groups.describeGroup('g').members).to.have.length(2);
    // Three records on each partition: a crashes at offset 1 of its partition, before any commit of it.
    await produce(
      kafka,
      [0, 1].flatMap((partition) => [0, 1, 2].map((i) => ({ value: `p${partition}-${i}`, partition }))),
    );
    await cluster.idle();
    expect(crashedAt).to.be.at.least(0);
    expect(lateCommit).to.be.instanceOf(KafkaJSNonRetriableError);
    const aPartition = seen.find((s) => s.who === 'a')!.partition;
    expect(seen.filter((s) => s.who === 'a').map((s) => s.offset)).to.deep.equal([0, 1]);
    const committed = () => Number(cluster.groups.offsetFetch({ groupId: 'g', topics: [{ topic: 't', partitions: [aPartition] }] })[0]!.partitions[0]!.offset);
    expect(committed()).to.equal(-1);
    // No LeaveGroup: the coordinator keeps both members until a's session times out.
    expect(cluster.events().some((e) => e.type === 'group-member-left')).to.equal(false);
    expect(cluster.groups.describeGroup('g').members).to.have.length(2);
    await cluster.advance(sessionTimeout + 1);
    await cluster.idle();
    const expired = cluster.events().filter((e) => e.type === 'group-member-expired');
    expect(expired).to.have.length(1);
    expect(expired[0]!.time - crashedAt).to.be.within(sessionTimeout - 1000, sessionTimeout);
    expect(cluster.groups.describeGroup('g').members).to.have.length(1);
    // b takes a's partition over from the last commit (none: the beginning), so it reads what a processed again.
    expect(seen.filter((s) => s.who === 'b' && s.partition === aPartition).map((s) => s.offset)).to.deep.equal([0, 1, 2]);
    expect(committed()).to.equal(3);
    // A dead consumer stays dead; stopping it is a no-op.
    await a.stop();
    await a.disconnect();
    let restart: unknown;
    await a.connect().catch((e: unknown) => (restart = e));
    expect(restart).to.be.instanceOf(KafkaJSNonRetriableError);
    expect(() => cluster.crashConsumer(a)).to.not.throw();
    expect(() => new Cluster({ clock: 'virtual' }).crashConsumer(b)).to.throw(TypeError, /made by this cluster/);
    await b.disconnect();
  });

  it('a handler error: retried, then a restart; a non-retriable one with a retriable cause restarts at once; a TypeError stops the consumer', async () => {
    const run = async (error: () => Error) => {
      const { cluster, kafka } = setup(1);
      const consumer = kafka.consumer({ groupId: 'g', retry: { retries: 2, initialRetryTime: 100 } });
      const events: { restart: boolean; at: number }[] = [];
      consumer.on(consumer.events.CRASH, (e) => void events.push({ restart: e.payload.restart, at: cluster.now() }));
      let calls = 0;
      let firstCallAt = -1;
      await consumer.connect();
      await consumer.subscribe({ topics: ['t'], fromBeginning: true });
      await consumer.run({
        eachMessage: async () => {
          if (calls++ === 0) firstCallAt = cluster.now();
          throw error();
        },
      });
      await produce(kafka, [{ value: 'm' }]);
      await cluster.advance(1000);
      await consumer.disconnect();
      return { calls, restart: events[0]?.restart, crashAfterMs: (events[0]?.at ?? NaN) - firstCallAt };
    };
    // A plain error is retriable: the batch is retried `retries` times, then the consumer restarts.
    // It backs off 100 then 200 ms before the retries; the rejoin after the restart waits out the group's
    // initial rebalance delay (3 s), past the second advanced here, so no more calls.
    expect(await run(() => new Error('boom'))).to.deep.equal({ calls: 1 + 2, restart: true, crashAfterMs: 300 });
    // A producer send whose retries ran out: not retriable itself, but its cause is, so kafkajs restarts at once.
    const exhausted = () => new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('broker down'), { retryCount: 5, retryTime: 100 });
    expect(await run(exhausted)).to.include({ restart: true, crashAfterMs: 0 });
    // kafkajs never retries nor restarts after a TypeError.
    expect(await run(() => new TypeError('bad'))).to.deep.equal({ calls: 1, restart: false, crashAfterMs: 0 });
  });

  /** Topic `t`: two unreplicated partitions holding 'p0' and 'p1'; `offline` leads partition 0 (not stopped yet). */
  async function onePartitionWithoutReplica() {
    const cluster = new Cluster({ brokers: 3, clock: 'virtual', seed: 7 });
    cluster.createTopic({ topic: 't', numPartitions: 2, replicationFactor: 1 });
    const kafka = cluster.kafka();
    await produce(kafka, [
      { value: 'p0', partition: 0 },
      { value: 'p1', partition: 1 },
    ]);
    return { cluster, kafka, offline: cluster.describeTopic('t').partitions[0]!.leader };
  }

  it('run() resolves while an assigned partition is offline; it is consumed once its leader is back', async () => {
    const { cluster, kafka, offline } = await onePartitionWithoutReplica();
    cluster.stopBroker(offline);
    const before = cluster.now();
    const { seen } = await recorder(kafka, 'g');
    expect(cluster.now() - before).to.be.below(60_000);
    await cluster.advance(5_000);
    expect(seen.map((s) => s.value)).to.deep.equal(['p1']);
    cluster.startBroker(offline);
    await cluster.idle();
    expect(seen.map((s) => s.value).sort()).to.deep.equal(['p0', 'p1']);
  });

  it('a member keeps its place while one of its partitions has no leader: it heartbeats between failed fetches, and idle() returns', async () => {
    const { cluster, kafka, offline } = await onePartitionWithoutReplica();
    const consumer = kafka.consumer({ groupId: 'g', sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    const heartbeats: number[] = [];
    consumer.on(consumer.events.HEARTBEAT, () => void heartbeats.push(cluster.now()));
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    // Offline before the join (no starting offset yet for partition 0) and for two minutes after it.
    cluster.stopBroker(offline);
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    const generation = cluster.groups.describeGroup('g').generationId;
    await cluster.idle({ maxMs: 60_000 });
    const from = cluster.now();
    await cluster.advance(120_000);
    expect(seen).to.deep.equal(['p1']);
    expect(cluster.events().filter((e) => e.type === 'group-member-expired')).to.deep.equal([]);
    expect(cluster.groups.describeGroup('g').generationId).to.equal(generation);
    const during = heartbeats.filter((t) => t >= from);
    expect(during.length).to.be.at.least(100);
    for (let i = 1; i < during.length; i++) expect(during[i]! - during[i - 1]!).to.be.at.most(2_000);
    cluster.startBroker(offline);
    await cluster.idle();
    expect(seen.sort()).to.deep.equal(['p0', 'p1']);
    await consumer.disconnect();
  });

  it('run() resolves once the join has spent its retries on an unreachable coordinator (a crash with restart), and joins once it is back', async () => {
    const cluster = new Cluster({ brokers: 3, clock: 'virtual', seed: 7 });
    cluster.createTopic({ topic: 't', numPartitions: 1, replicationFactor: 3 });
    const kafka = cluster.kafka({ retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 } });
    await produce(kafka, [{ value: 'm' }]);
    const coordinator = cluster.groups.findCoordinator('g').nodeId;
    cluster.isolateBroker(coordinator);
    const consumer = kafka.consumer({ groupId: 'g' });
    const crashes: boolean[] = [];
    consumer.on(consumer.events.CRASH, (e) => void crashes.push(e.payload.restart));
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    const before = cluster.now();
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    // The first attempt and 3 retries, backing off 100 + 200 + 400 ms.
    expect(cluster.now() - before).to.equal(700);
    expect(crashes).to.deep.equal([true]);
    cluster.healBroker(coordinator);
    await cluster.idle();
    expect(seen).to.deep.equal(['m']);
    await consumer.disconnect();
  });

  it('adding partitions and rejoining consumes the new ones', async () => {
    const { cluster, kafka } = setup(1);
    const c = await recorder(kafka, 'g');
    await cluster.idle();
    cluster.createPartitions('t', 2);
    await c.consumer.stop();
    await c.consumer.run({
      eachMessage: async ({ partition, message }) => void c.seen.push({ partition, offset: Number(message.offset), value: message.value!.toString() }),
    });
    await produce(kafka, [{ value: 'new-partition', partition: 1 }]);
    await cluster.idle();
    expect(c.seen.map((s) => s.value)).to.include('new-partition');
  });

  it('seek, pause and resume', async () => {
    const { cluster, kafka } = setup(1);
    await produce(
      kafka,
      Array.from({ length: 5 }, (_, i) => ({ value: `m${i}` })),
    );
    const c = await recorder(kafka, 'g');
    await cluster.idle();
    c.consumer.seek({ topic: 't', partition: 0, offset: '3' });
    await cluster.idle();
    expect(c.seen.map((s) => s.value)).to.deep.equal(['m0', 'm1', 'm2', 'm3', 'm4', 'm3', 'm4']);
    c.consumer.pause([{ topic: 't' }]);
    expect(c.consumer.paused()).to.deep.equal([{ topic: 't', partitions: [0] }]);
    await produce(kafka, [{ value: 'later' }]);
    await cluster.idle();
    expect(c.seen.map((s) => s.value)).to.not.include('later');
    c.consumer.resume([{ topic: 't' }]);
    await cluster.idle();
    expect(c.seen.map((s) => s.value)).to.include('later');
    expect(() => kafka.consumer({ groupId: 'x' }).seek({ topic: 't', partition: 0, offset: '0' })).to.throw(KafkaJSNonRetriableError);
  });

  it('eachBatch with manual commits commits only what is committed', async () => {
    const { cluster, kafka } = setup(1);
    await produce(
      kafka,
      Array.from({ length: 6 }, (_, i) => ({ value: `m${i}` })),
    );
    const consumer = kafka.consumer({ groupId: 'g' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    let batches = 0;
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        batches++;
        expect(batch.messages).to.have.length(6);
      },
    });
    await cluster.idle();
    expect(batches).to.equal(1);
    expect(cluster.groups.offsetFetch({ groupId: 'g' })).to.deep.equal([]);
    await consumer.commitOffsets([{ topic: 't', partition: 0, offset: '4' }]);
    expect(cluster.groups.offsetFetch({ groupId: 'g' })[0]!.partitions[0]!.offset).to.equal(4);
  });

  it('emits kafkajs instrumentation events', async () => {
    const { cluster, kafka } = setup(1);
    const consumer = kafka.consumer({ groupId: 'g' });
    const seen = new Set<string>();
    for (const name of Object.values(consumer.events)) {
      if (!name.includes('network')) consumer.on(name as 'consumer.heartbeat', (e) => void seen.add(e.type));
    }
    await consumer.connect();
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    await produce(kafka, [{ value: 'x' }]);
    await cluster.idle();
    await cluster.advance(10_000);
    await consumer.disconnect();
    await new Promise((r) => setImmediate(r));
    for (const type of [
      'consumer.connect',
      'consumer.group_join',
      'consumer.fetch_start',
      'consumer.fetch',
      'consumer.start_batch_process',
      'consumer.end_batch_process',
      'consumer.commit_offsets',
      'consumer.heartbeat',
      'consumer.stop',
      'consumer.disconnect',
    ]) {
      expect(seen, type).to.include(type);
    }
  });

  it('run() from a CRASH listener after a crash without restart makes one member, which stays in one generation', async () => {
    const { cluster, kafka } = setup(1);
    const consumer = kafka.consumer({ groupId: 'g' });
    const joins: number[] = [];
    consumer.on(consumer.events.GROUP_JOIN, () => void joins.push(cluster.now()));
    const seen: string[] = [];
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) void consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    await consumer.run({
      eachMessage: async () => {
        throw new TypeError('bad');
      },
    });
    await produce(kafka, [{ value: 'm' }]);
    await cluster.idle();
    const generation = cluster.groups.describeGroup('g').generationId;
    await cluster.advance(120_000);
    expect(seen).to.deep.equal(['m']);
    expect(joins).to.have.length(2);
    expect(cluster.groups.describeGroup('g')).to.include({ state: 'Stable', generationId: generation });
    expect(cluster.groups.describeGroup('g').members).to.have.length(1);
    await consumer.disconnect();
  });

  it("a restart waits the crash error's retry time; restartOnFailure is asked with the error CRASH carries", async () => {
    const { cluster, kafka } = setup(1);
    const asked: Error[] = [];
    const consumer = kafka.consumer({
      groupId: 'g',
      retry: {
        retries: 2,
        initialRetryTime: 100,
        restartOnFailure: async (e) => {
          asked.push(e);
          return true;
        },
      },
    });
    const crashes: { error: Error; restart: boolean; at: number }[] = [];
    consumer.on(consumer.events.CRASH, (e) => void crashes.push({ ...e.payload, at: cluster.now() }));
    const calls: number[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    await consumer.run({
      eachMessage: async () => {
        calls.push(cluster.now());
        if (calls.length <= 3) throw new Error('boom');
      },
    });
    await produce(kafka, [{ value: 'm' }]);
    await cluster.idle();
    expect(crashes).to.have.length(1);
    expect(crashes[0]!.restart).to.equal(true);
    expect(asked).to.deep.equal([crashes[0]!.error]);
    const retryTime = (crashes[0]!.error as { retryTime?: number }).retryTime!;
    // Backoffs of 100 and 200 ms, then the restart after the 400 ms the retrier had reached (plus the rejoin).
    expect({ retryTime, retriesAt: calls.slice(1, 3).map((t) => t - calls[0]!) }).to.deep.equal({ retryTime: 400, retriesAt: [100, 300] });
    expect(calls[3]! - crashes[0]!.at).to.be.at.least(400);
    expect(calls).to.have.length(4);
    await consumer.disconnect();
  });

  it("eachBatch's commitOffsetsIfNecessary with autoCommit off commits once autoCommitInterval has passed", async () => {
    const { cluster, kafka } = setup(1);
    const consumer = kafka.consumer({ groupId: 'g' });
    const commits: { at: number; offset: string }[] = [];
    consumer.on(consumer.events.COMMIT_OFFSETS, (e) => void commits.push({ at: cluster.now(), offset: e.payload.topics[0]!.partitions[0]!.offset }));
    await consumer.connect();
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      autoCommitInterval: 1_000,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        for (const m of batch.messages) resolveOffset(m.offset);
        await commitOffsetsIfNecessary();
      },
    });
    const joinedAt = cluster.now();
    await produce(kafka, [{ value: 'a' }]);
    await cluster.idle();
    expect(commits, 'within the interval').to.deep.equal([]);
    await cluster.advance(1_000);
    await produce(kafka, [{ value: 'b' }]);
    await cluster.idle();
    expect(commits).to.deep.equal([{ at: joinedAt + 1_000, offset: '2' }]);
    await consumer.disconnect();
  });

  it('a fetch under minBytes waits for more data until minBytes have come, not for the first append', async () => {
    const { cluster, kafka } = setup(1);
    await produce(kafka, [{ value: 'x' }]);
    const consumer = kafka.consumer({ groupId: 'g', minBytes: 2_000, maxWaitTimeInMs: 10_000 });
    const got: { at: number; count: number }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    await consumer.run({ eachBatch: async ({ batch }) => void got.push({ at: cluster.now(), count: batch.messages.length }) });
    const from = cluster.now();
    await cluster.advance(1_000);
    await produce(kafka, [{ value: 'y' }]);
    await cluster.advance(1_000);
    expect(got, 'a small append does not end the wait').to.deep.equal([]);
    await produce(kafka, [{ value: 'z'.repeat(2_000) }]);
    await cluster.advance(0);
    expect(got.map((g) => ({ after: g.at - from, count: g.count }))).to.deep.equal([{ after: 2_000, count: 3 }]);
    await consumer.disconnect();
  });
});
