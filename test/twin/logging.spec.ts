import { expect } from 'chai';
import kafkajs from 'kafkajs';
import type { LogEntry, Logger } from 'kafkajs';
import { Cluster } from '../../src/index.js';
import { logLevel } from '../../adapters/twin/logger.js';
import { liftLogLevelOverride } from '../helpers.js';

const { Kafka: KafkaJs } = kafkajs;

/** A logCreator that keeps what it is given: the level it was made with, and every entry. */
function recorder(): { made: number[]; entries: LogEntry[]; logCreator: (level: number) => (entry: LogEntry) => void } {
  const made: number[] = [];
  const entries: LogEntry[] = [];
  return { made, entries, logCreator: (level) => (made.push(level), (entry) => void entries.push(entry)) };
}

/** An entry without its timestamp, for comparing the twin's entries with kafkajs's own. */
function untimed(entry: LogEntry): unknown {
  const { timestamp: _, ...log } = entry.log;
  return { ...entry, log };
}

/** A real kafkajs client that never connects (nothing listens on port 1), for its loggers. */
function kafkajsWith(config: { logLevel?: number; logCreator?: (level: number) => (entry: LogEntry) => void }) {
  return new KafkaJs({ clientId: 'logging-spec', brokers: ['127.0.0.1:1'], ...config });
}

/** The same calls on a logger tree: levels, namespaces with and without a level of their own, setLogLevel. */
function script(root: Logger): void {
  root.info('root info', { a: 1 });
  root.debug('hidden at INFO');
  const ns = root.namespace('Ns');
  ns.warn('ns warn', { b: 2 });
  const quiet = root.namespace('Quiet', logLevel.ERROR);
  quiet.info('hidden by its own level');
  quiet.error('shown', { c: [3] });
  ns.setLogLevel(logLevel.DEBUG);
  root.debug('shown now: setLogLevel on any logger moves the root');
  quiet.warn('still hidden: its own level stays');
  root.namespace('A').namespace('B').info('namespaces do not nest');
  root.error('no extra');
}

/** The (namespace, label, message) of each entry. */
function lines(entries: readonly LogEntry[]): string[] {
  return entries.map((e) => `${e.namespace ?? ''} ${e.label} ${e.log.message}`);
}

describe('twin logging, as kafkajs logs', () => {
  liftLogLevelOverride();

  describe('the logger', () => {
    it("writes what kafkajs's logger writes for the same calls, stamped with cluster time", () => {
      const cluster = new Cluster({ clock: 'virtual' });
      const twin = recorder();
      const real = recorder();
      script(cluster.kafka({ logCreator: twin.logCreator }).logger());
      script(kafkajsWith({ logCreator: real.logCreator }).logger());
      expect(twin.made).to.deep.equal(real.made).and.deep.equal([logLevel.INFO]);
      expect(twin.entries.map(untimed)).to.deep.equal(real.entries.map(untimed));
      expect(twin.entries).to.have.length(6);
      // The field order is kafkajs's too: it is the order the console logger prints them in.
      expect(twin.entries.map((e) => Object.keys(e.log))).to.deep.equal(real.entries.map((e) => Object.keys(e.log)));
      expect(twin.entries.every((e) => e.log.timestamp === '2024-01-01T00:00:00.000Z')).to.equal(true);
      cluster.close();
    });

    it('logs nothing at logLevel.NOTHING; KAFKAJS_LOG_LEVEL (any case) overrides the level given, as in kafkajs', () => {
      const cluster = new Cluster({ clock: 'virtual' });
      const silent = recorder();
      const root = cluster.kafka({ logLevel: logLevel.NOTHING, logCreator: silent.logCreator }).logger();
      root.error('hidden');
      root.namespace('Ns').warn('hidden');
      expect(silent.made).to.deep.equal([logLevel.NOTHING]);
      expect(silent.entries).to.deep.equal([]);
      process.env.KAFKAJS_LOG_LEVEL = 'debug';
      try {
        const twin = recorder();
        const real = recorder();
        script(cluster.kafka({ logLevel: logLevel.NOTHING, logCreator: twin.logCreator }).logger());
        script(kafkajsWith({ logLevel: logLevel.NOTHING, logCreator: real.logCreator }).logger());
        expect(twin.made).to.deep.equal([logLevel.DEBUG]);
        expect(twin.entries.map(untimed)).to.deep.equal(real.entries.map(untimed));
        expect(lines(twin.entries)).to.include(' DEBUG hidden at INFO').and.include('Quiet INFO hidden by its own level');
      } finally {
        delete process.env.KAFKAJS_LOG_LEVEL;
      }
      cluster.close();
    });

    it("prints kafkajs's JSON lines to the console by default", () => {
      const cluster = new Cluster({ clock: 'virtual' });
      const printed: string[] = [];
      const saved = { info: console.info, warn: console.warn, error: console.error, log: console.log };
      for (const method of ['info', 'warn', 'error', 'log'] as const) console[method] = (line: string) => void printed.push(`${method} ${line}`);
      try {
        script(cluster.kafka().logger());
        const twinLines = printed.splice(0);
        script(kafkajsWith({}).logger());
        const stamp = (line: string) => line.replace(/"timestamp":"[^"]*"/, '"timestamp":"T"');
        expect(twinLines.map(stamp)).to.deep.equal(printed.map(stamp));
        expect(twinLines[1]).to.equal('warn {"level":"WARN","timestamp":"2024-01-01T00:00:00.000Z","logger":"kafkajs","message":"[Ns] ns warn","b":2}');
      } finally {
        Object.assign(console, saved);
      }
      cluster.close();
    });

    it("gives each client kafkajs's namespace: Producer, Consumer, Admin; kafka.logger() none", () => {
      const cluster = new Cluster({ clock: 'virtual' });
      const twin = recorder();
      const real = recorder();
      for (const [kafka, log] of [
        [cluster.kafka({ logCreator: twin.logCreator }), twin],
        [kafkajsWith({ logCreator: real.logCreator }), real],
      ] as const) {
        const clients = [kafka, kafka.producer({ createPartitioner: () => () => 0 }), kafka.consumer({ groupId: 'g' }), kafka.admin()];
        for (const client of clients) client.logger().info('hello');
        expect(log.entries.map((e) => e.namespace)).to.deep.equal([undefined, 'Producer', 'Consumer', 'Admin']);
      }
      expect(twin.entries.map(untimed)).to.deep.equal(real.entries.map(untimed));
      cluster.close();
    });

    it('rejects a logCreator that is not one, naming it', () => {
      const cluster = new Cluster({ clock: 'virtual' });
      expect(() => cluster.kafka({ logCreator: 'console' as never })).to.throw(TypeError, /logCreator must be a function/);
      expect(() => cluster.kafka({ logCreator: (() => undefined) as never })).to.throw(TypeError, /logCreator\(logLevel\) must return a function/);
      cluster.close();
    });
  });

  describe("the consumer's happenings", () => {
    const groupId = 'logged';
    const topic = 'rides';

    async function setUp(retry?: { retries: number; initialRetryTime: number }) {
      const cluster = new Cluster({ clock: 'virtual', config: { 'group.initial.rebalance.delay.ms': 0 } });
      cluster.createTopic({ topic, numPartitions: 2 });
      const log = recorder();
      const kafka = cluster.kafka({ logCreator: log.logCreator });
      const consumer = kafka.consumer({ groupId, retry });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      return { cluster, log, kafka, consumer };
    }

    it('logs the start, the join with its payload at cluster time, a rebalance, and the stop', async () => {
      const { cluster, log, kafka, consumer } = await setUp();
      const joinedAt: number[] = [];
      consumer.on(consumer.events.GROUP_JOIN, (event) => void joinedAt.push(event.timestamp));
      await consumer.run({ eachMessage: async () => undefined });
      const join = log.entries.find((e) => e.log.message === 'Consumer has joined the group')!;
      expect(lines(log.entries)).to.deep.equal(['Consumer INFO Starting', 'ConsumerGroup INFO Consumer has joined the group']);
      expect(log.entries[0]!.log).to.deep.include({ groupId });
      expect(Object.keys(join.log)).to.deep.equal([
        'timestamp',
        'logger',
        'message',
        'groupId',
        'memberId',
        'leaderId',
        'isLeader',
        'memberAssignment',
        'groupProtocol',
        'duration',
      ]);
      const memberId = join.log.memberId as string;
      expect(join.log).to.deep.include({
        groupId,
        leaderId: memberId,
        isLeader: true,
        memberAssignment: { [topic]: [0, 1] },
        groupProtocol: 'RoundRobinAssigner',
      });
      // Cluster time: the instant of the join's event (a virtual cluster starts at 2024-01-01).
      expect(join.log.timestamp)
        .to.equal(new Date(joinedAt[0]!).toISOString())
        .and.match(/^2024-01-01T/);

      log.entries.length = 0;
      const second = kafka.consumer({ groupId });
      await second.connect();
      await second.subscribe({ topics: [topic], fromBeginning: true });
      await second.run({ eachMessage: async () => undefined });
      await cluster.idle();
      const rebalancing = log.entries.find((e) => e.log.message === 'The group is rebalancing, re-joining')!;
      expect(rebalancing).to.deep.include({ namespace: 'Runner', label: 'WARN', level: logLevel.WARN });
      expect(rebalancing.log).to.deep.include({ groupId, memberId });
      expect(rebalancing.log.error).to.be.a('string').and.not.equal('');
      const joins = log.entries.filter((e) => e.log.message === 'Consumer has joined the group');
      expect(joins.map((e) => (e.log.memberAssignment as Record<string, number[]>)[topic]!.length)).to.deep.equal([1, 1]);

      log.entries.length = 0;
      await second.disconnect();
      await consumer.disconnect();
      const stops = lines(log.entries).filter((l) => !l.startsWith('ConsumerGroup') && !l.includes('rebalancing'));
      expect(stops).to.deep.equal([
        'Runner INFO consumer not running, exiting',
        'Consumer INFO Stopped',
        'Runner INFO consumer not running, exiting',
        'Consumer INFO Stopped',
      ]);
      cluster.close();
    });

    it("logs a handler's failures, the crash, and the restart after the wait it names", async () => {
      const { cluster, log, kafka, consumer } = await setUp({ retries: 1, initialRetryTime: 100 });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ value: 'one', partition: 0 }] });
      let failures = 0;
      await consumer.run({
        eachMessage: async () => {
          if (failures++ < 2) throw new Error('boom');
        },
      });
      await cluster.idle();
      const interesting = log.entries.filter((e) => e.level <= logLevel.ERROR || /Starting|Stopped|joined/.test(e.log.message));
      expect(lines(interesting)).to.deep.equal([
        'Consumer INFO Starting',
        'ConsumerGroup INFO Consumer has joined the group',
        'Runner ERROR Error when calling eachMessage',
        'Runner ERROR Error when calling eachMessage',
        'Consumer ERROR Crash: KafkaJSNumberOfRetriesExceeded: boom',
        'Consumer INFO Stopped',
        // kafkajs restarts after the retry time its retrier had reached (100 ms doubled, no jitter on the twin).
        'Consumer ERROR Restarting the consumer in 200ms',
        'Consumer INFO Starting',
        'ConsumerGroup INFO Consumer has joined the group',
      ]);
      const [failed, , crash, , restarting, starting] = interesting.slice(2);
      expect(failed!.log).to.deep.include({ topic, partition: 0, offset: '0' });
      expect(failed!.log.error).to.be.instanceOf(Error);
      expect(failed!.log.stack).to.be.a('string').and.include('boom');
      expect(crash!.log).to.deep.include({ groupId, retryCount: 1 });
      expect(restarting!.log).to.deep.include({ groupId, retryCount: 1, retryTime: 200 });
      expect(Date.parse(starting!.log.timestamp) - Date.parse(restarting!.log.timestamp)).to.equal(200);
      expect(failures).to.equal(3);
      await producer.disconnect();
      await consumer.disconnect();
      cluster.close();
    });

    it('logs the same lines, at the same cluster times, on every run', async () => {
      const runOnce = async () => {
        const { cluster, log, consumer } = await setUp();
        await consumer.run({ eachMessage: async () => undefined });
        await consumer.disconnect();
        cluster.close();
        return log.entries.map((e) => ({ ...e, log: { ...e.log, memberId: undefined, leaderId: undefined } }));
      };
      const first = await runOnce();
      expect(first.length).to.be.greaterThan(3);
      expect(await runOnce()).to.deep.equal(first);
    });
  });

  it("logs an instrumentation listener's failure on the client's namespace, and goes on", async () => {
    const cluster = new Cluster({ clock: 'virtual' });
    const log = recorder();
    const kafka = cluster.kafka({ logCreator: log.logCreator });
    const producer = kafka.producer({ createPartitioner: () => () => 0 });
    producer.on(producer.events.CONNECT, async () => Promise.reject(new Error('nope')));
    const admin = kafka.admin();
    admin.on(admin.events.CONNECT, () => {
      throw new Error('thrown');
    });
    await producer.connect();
    await admin.connect();
    await Promise.resolve();
    expect(lines(log.entries)).to.deep.equal(['Admin ERROR Failed to execute listener: thrown', 'Producer ERROR Failed to execute listener: nope']);
    expect(log.entries[1]!.log).to.deep.include({ eventName: 'producer.connect' });
    expect(log.entries[1]!.log.stack).to.include('nope');
    await producer.disconnect();
    await admin.disconnect();
    cluster.close();
  });

  it("logs a failed send as kafkajs's producer does, with the attempt and its wait", async () => {
    const cluster = new Cluster({ clock: 'virtual' });
    cluster.createTopic({ topic: 'sent', numPartitions: 1 });
    const log = recorder();
    const producer = cluster.kafka({ logCreator: log.logCreator }).producer();
    await producer.connect();
    cluster.injectFault({ api: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER' });
    await producer.send({ topic: 'sent', messages: [{ value: 'v' }] });
    const failed = log.entries.filter((e) => e.namespace === 'Producer');
    expect(failed).to.have.length(1);
    expect(failed[0]).to.deep.include({ label: 'ERROR' });
    expect(failed[0]!.log.message).to.match(/^Failed to send messages: /);
    expect(failed[0]!.log).to.deep.include({ retryCount: 0 });
    expect(failed[0]!.log.retryTime).to.be.a('number').and.be.greaterThan(0);
    await producer.disconnect();
    cluster.close();
  });
});
