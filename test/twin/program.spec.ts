import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Cluster } from '../../src/index.js';
import { DEFAULT_START_TIME, RealClock } from '../../emulator/clock.js';

const kafkajsUrl = pathToFileURL(createRequire(import.meta.url).resolve('kafkajs')).href;
const index = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/index.js')).href;

/** What a script run as its own program did: its exit code (null when still alive at `aliveAfterMs`), output and wall time. */
interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs `body` as an ES module program (with `Cluster` imported) and waits for it to exit, at most
 * `limitMs` after it printed `after` (from its start without one; starting Node on a busy machine
 * takes a while); a program still running then is killed and reported with code null.
 */
async function runProgram(body: string, limitMs: number, after?: string, env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kafka-twin-program-'));
  const file = path.join(dir, 'program.mjs');
  writeFileSync(file, `import { Cluster, logLevel } from ${JSON.stringify(index)};\n${body}\n`);
  const started = Date.now();
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KAFKAJS_LOG_LEVEL: '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    const code = await new Promise<number | null>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const arm = () =>
        (timer ??= setTimeout(() => {
          child.kill();
          resolve(null);
        }, limitMs));
      if (after === undefined) arm();
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (after !== undefined && stdout.includes(after)) arm();
      });
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    return { code, stdout, stderr, ms: Date.now() - started };
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the twin as a program', () => {
  describe('on the real clock', function () {
    this.timeout(60_000);

    it('a consumer script stays alive through its group join until it has its message, then exits after disconnect', async () => {
      const ran = await runProgram(
        `
        const cluster = new Cluster({ clock: 'real', config: { 'group.initial.rebalance.delay.ms': 500 } });
        cluster.createTopic({ topic: 'greetings', numPartitions: 1 });
        const kafka = cluster.kafka({ logLevel: logLevel.NOTHING });
        const consumer = kafka.consumer({ groupId: 'readers', maxWaitTimeInMs: 200 });
        await consumer.connect();
        await consumer.subscribe({ topics: ['greetings'], fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            console.log('received ' + message.value.toString());
            // Not awaited: stop() waits for this handler to return.
            consumer.disconnect().then(() => console.log('disconnected'));
          },
        });
        console.log('joined');
        // The send comes from an unref'd timer: only the connected consumer keeps the program alive meanwhile.
        setTimeout(async () => {
          const producer = kafka.producer();
          await producer.connect();
          await producer.send({ topic: 'greetings', messages: [{ value: 'hello' }] });
          await producer.disconnect();
          console.log('sent');
        }, 300).unref();
        `,
        20_000,
      );
      expect(ran.stderr).to.equal('');
      expect(ran.code, 'the program exits by itself').to.equal(0);
      const lines = ran.stdout.split('\n').filter(Boolean);
      // 'sent' and 'received' may come in either order: the consumer may get the message before send() returns.
      expect([...lines].sort()).to.deep.equal(['disconnected', 'joined', 'received hello', 'sent']);
      expect(lines[0]).to.equal('joined');
      expect(lines.indexOf('received hello')).to.be.below(lines.indexOf('disconnected'));
    });

    it('a connected producer keeps the program alive until it disconnects', async () => {
      const alive = await runProgram(
        `
        const cluster = new Cluster({ clock: 'real' });
        const producer = cluster.kafka({ logLevel: logLevel.NOTHING }).producer();
        await producer.connect();
        console.log('connected');
        `,
        1500,
        'connected',
      );
      expect(alive.stdout).to.equal('connected\n');
      expect(alive.code, 'still running while connected').to.equal(null);
    });

    it('a forgotten cluster, or one whose clients all disconnected or crashed, lets the program exit at once', async () => {
      const ran = await runProgram(
        `
        const cluster = new Cluster({ clock: 'real', brokers: 3 });
        cluster.createTopic({ topic: 't', numPartitions: 3, replicationFactor: 3 });
        const kafka = cluster.kafka({ logLevel: logLevel.NOTHING });
        const admin = kafka.admin();
        await admin.connect();
        const producer = kafka.producer();
        await producer.connect();
        await producer.send({ topic: 't', messages: [{ value: 'v' }] });
        const consumer = kafka.consumer({ groupId: 'g' });
        await consumer.connect();
        await admin.disconnect();
        await producer.disconnect();
        consumer.crash();
        console.log('done');
        `,
        10_000,
      );
      expect(ran.stderr).to.equal('');
      expect(ran.code).to.equal(0);
      expect(ran.stdout).to.equal('done\n');
      expect(ran.ms, 'no timer of the cluster holds it').to.be.below(5000);
    });

    it('counts holds: the process is held while any is, released twice counts once, close() drops them all', () => {
      const clock = new RealClock();
      const a = clock.keepAlive();
      const b = clock.keepAlive();
      a();
      a();
      expect(clock.keepingAlive).to.equal(true);
      b();
      expect(clock.keepingAlive).to.equal(false);
      clock.keepAlive();
      clock.close();
      expect(clock.keepingAlive).to.equal(false);
    });
  });

  it("warns of kafkajs's default partitioner once per process, as kafkajs does, unless KAFKAJS_NO_PARTITIONER_WARNING is set", async function () {
    this.timeout(60_000);
    const body = `
      import kafkajs from ${JSON.stringify(kafkajsUrl)};
      const seen = { twin: [], kafkajs: [] };
      const logCreator = (into) => () => (e) => into.push([e.namespace ?? null, e.label, e.log.message]);
      const cluster = new Cluster({ clock: 'virtual' });
      for (let i = 0; i < 2; i++) {
        const twin = cluster.kafka({ logCreator: logCreator(seen.twin) });
        const real = new kafkajs.Kafka({ brokers: ['127.0.0.1:1'], logCreator: logCreator(seen.kafkajs) });
        for (const kafka of [twin, real]) {
          kafka.producer();
          kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
          kafka.producer();
        }
      }
      console.log(JSON.stringify(seen));
    `;
    const warned = await runProgram(body, 20_000, undefined, { KAFKAJS_NO_PARTITIONER_WARNING: undefined });
    expect(warned.stderr).to.equal('');
    const seen = JSON.parse(warned.stdout) as { twin: unknown[][]; kafkajs: unknown[][] };
    expect(seen.twin).to.deep.equal(seen.kafkajs);
    expect(seen.twin).to.have.length(1);
    expect(seen.twin[0]!.slice(0, 2)).to.deep.equal([null, 'WARN']);
    expect(seen.twin[0]![2]).to.match(/^KafkaJS v2.0.0 switched default partitioner/);
    const silenced = await runProgram(body, 20_000, undefined, { KAFKAJS_NO_PARTITIONER_WARNING: '1' });
    expect(JSON.parse(silenced.stdout)).to.deep.equal({ twin: [], kafkajs: [] });
  });

  describe('startTime', () => {
    async function firstTimestamp(options: ConstructorParameters<typeof Cluster>[0]): Promise<string> {
      const cluster = new Cluster({ clock: 'virtual', ...options });
      cluster.createTopic({ topic: 't', numPartitions: 1 });
      const producer = cluster.kafka().producer();
      await producer.connect();
      await cluster.advance(1234);
      await producer.send({ topic: 't', messages: [{ value: 'v' }] });
      const [record] = cluster.fetch({ topic: 't', partition: 0, offset: 0 }).records;
      cluster.close();
      return String(record!.timestamp);
    }

    it('starts a virtual cluster at 2024-01-01T00:00:00Z unless given, so record timestamps read as dates, the same on every run', async () => {
      expect(DEFAULT_START_TIME).to.equal(Date.parse('2024-01-01T00:00:00Z'));
      expect(new Cluster({ clock: 'virtual' }).now()).to.equal(DEFAULT_START_TIME);
      const first = await firstTimestamp({});
      expect(first).to.equal(String(DEFAULT_START_TIME + 1234));
      expect(await firstTimestamp({})).to.equal(first);
    });

    it('starts where told, and the real clock follows wall time whatever it is given', async () => {
      const start = Date.parse('2031-05-06T07:08:09Z');
      expect(await firstTimestamp({ startTime: start })).to.equal(String(start + 1234));
      expect(await firstTimestamp({ startTime: 0 })).to.equal('1234');
      const real = new Cluster({ clock: 'real', startTime: 0 });
      expect(Math.abs(real.now() - Date.now())).to.be.below(1000);
      real.close();
    });

    it('rejects a start time that is not a finite number, naming the option', () => {
      for (const bad of [Number.NaN, Infinity, '2024' as unknown as number]) {
        expect(() => new Cluster({ clock: 'virtual', startTime: bad })).to.throw(RangeError, /startTime must be a finite number/);
      }
    });
  });
});
