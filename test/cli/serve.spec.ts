/** `kafka-twin serve`: the built CLI as a child process with unchanged kafkajs over TCP, and its option parser in-process. */
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, Socket, type Server } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { parseServeOptions, serve, type ServeRequest } from '../../src/cli/serve.js';

// Compiled to dist/test/cli/; the repository root is three levels up.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');

/** A running `serve`: its stdout lines as they come, and its exit. */
class Served {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor(readonly child: ChildProcess) {
    let buffered = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      this.lines.push(...parts);
      for (const w of this.waiters.splice(0)) w();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Resolves once a line matches, failing after `ms`. */
  async line(match: (line: string) => boolean, ms = 10_000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.lines.find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no such line in ${ms} ms; got:\n${this.lines.join('\n')}\nstderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }
}

const running = new Set<ChildProcess>();

function start(args: string[]): Served {
  const child = spawn(process.execPath, [cli, 'serve', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return new Served(child);
}

/** Resolves with an exit code, failing after `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);
}

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const closeServer = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()));
const portOf = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));

describe('kafka-twin serve', function () {
  this.timeout(60_000);

  afterEach(() => {
    // A failed spec must not leave a server behind.
    for (const child of running) child.kill('SIGKILL');
  });

  it('prints the bootstrap list first, serves unchanged kafkajs through a consumer group, logs events, stops on SIGTERM with 0 and frees its ports', async () => {
    const served = start(['--brokers', '2', '--port', '0', '--topic', 'orders:2:2', '--config', 'group.initial.rebalance.delay.ms=0']);
    const first = await served.line(() => true);
    const brokers = first.split(',');
    expect(brokers).to.have.length(2);
    for (const b of brokers) expect(b).to.match(/^127\.0\.0\.1:\d+$/);

    const kafka = new Kafka({
      clientId: 'serve-spec',
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      retry: { retries: 3, initialRetryTime: 100 },
    });
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: 'readers', sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
    try {
      await producer.connect();
      await producer.send({ topic: 'orders', messages: [{ key: 'k', value: 'hello over TCP' }] });
      await consumer.connect();
      await consumer.subscribe({ topic: 'orders', fromBeginning: true });
      const got = new Promise<string>((resolve) => {
        void consumer.run({ eachMessage: async ({ message }) => resolve(message.value!.toString()) });
      });
      expect(await within(got, 30_000, 'the consumer group reading the message')).to.equal('hello over TCP');
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }

    expect(served.lines.some((l) => /^\[\d\d:\d\d\] topic orders created: 2 partitions x 2 replicas$/.test(l))).to.equal(true);
    await served.line((l) => /group readers, generation 1:$/.test(l));
    await served.line((l) => l.includes('left group readers'));

    served.child.kill('SIGTERM');
    expect(await within(served.exited, 10_000, 'exit after SIGTERM')).to.equal(0);
    expect(served.stderr).to.equal('');
    // The ports are free again: listening on them succeeds.
    for (const b of brokers) await closeServer(await listenOn(portOf(b)));
  });

  it('--json: the bootstrap list, then one event a JSON line; --quiet: the bootstrap list only; SIGINT stops it too', async () => {
    const json = start(['--json', '--topic', 'a:1', '--seed', '7']);
    const first = await json.line(() => true);
    expect(first).to.match(/^127\.0\.0\.1:\d+$/);
    const created = JSON.parse(await json.line((l) => l.includes('topic-created'))) as { type: string; topic: string };
    expect(created).to.include({ type: 'topic-created', topic: 'a' });
    json.child.kill('SIGINT');
    expect(await within(json.exited, 10_000, 'exit after SIGINT')).to.equal(0);

    const quiet = start(['--quiet', '--topic', 'a:1']);
    await quiet.line(() => true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    quiet.child.kill('SIGTERM');
    expect(await within(quiet.exited, 10_000, 'exit after SIGTERM')).to.equal(0);
    expect(quiet.lines).to.have.length(1);
  });

  it('--broker-ids 0,1,2: the bootstrap list has one address per broker, and Kafka clients see those ids', async () => {
    const served = start(['--broker-ids', '0,1,2', '--topic', 'ids:3:3', '--quiet']);
    const first = await served.line(() => true);
    const brokers = first.split(',');
    expect(brokers).to.have.length(3);
    for (const b of brokers) expect(b).to.match(/^127\.0\.0\.1:\d+$/);
    const kafka = new Kafka({ clientId: 'broker-ids', brokers: [brokers[2]!], logLevel: logLevel.NOTHING, connectionTimeout: 3000 });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map((b) => b.nodeId).sort()).to.deep.equal([0, 1, 2]);
      // The first broker (id 0) listens on the first address, and so on in id order.
      expect(cluster.brokers.map((b) => `${b.host}:${b.port}`).sort()).to.deep.equal([...brokers].sort());
      expect(cluster.brokers.find((b) => b.nodeId === 0)).to.include({ port: portOf(brokers[0]!) });
      expect(cluster.controller).to.equal(0);
      const [topic] = (await admin.fetchTopicMetadata({ topics: ['ids'] })).topics;
      for (const p of topic!.partitions) {
        expect([...p.replicas].sort()).to.deep.equal([0, 1, 2]);
        expect([0, 1, 2]).to.include(p.leader);
      }
    } finally {
      await admin.disconnect();
    }
    served.child.kill('SIGTERM');
    expect(await within(served.exited, 10_000, 'exit after SIGTERM')).to.equal(0);
  });

  it('a busy port: exit 2 with a one-line message on stderr', async () => {
    const busy = await listenOn(0);
    try {
      const port = (busy.address() as { port: number }).port;
      const r = spawnSync(process.execPath, [cli, 'serve', '--port', String(port)], { cwd: root, encoding: 'utf8', timeout: 20_000 });
      expect(r.status).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.equal(`kafka-twin serve: cannot listen on 127.0.0.1:${port}: the port is in use\n`);
    } finally {
      await closeServer(busy);
    }
  });

  it('bad options: exit 2 with a one-line message on stderr', () => {
    // One child per kind of check (a child costs a Node start-up); the parser's messages are checked in-process below.
    for (const args of [
      ['--fast'],
      ['--port', '1', '--ports', '2'],
      ['--brokers', '2', '--ports', '0'],
      ['--broker-ids', '0,x'],
      ['--brokers', '2', '--broker-ids', '0,1,2'],
      ['--topic', 'orders'],
      ['--config', 'no.such.setting=1'],
    ]) {
      const r = spawnSync(process.execPath, [cli, 'serve', ...args], { cwd: root, encoding: 'utf8', timeout: 20_000 });
      expect(r.status, args.join(' ')).to.equal(2);
      expect(r.stdout, args.join(' ')).to.equal('');
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).to.have.length(1);
      expect(r.stderr).to.match(/^kafka-twin serve: /);
    }
  });
});

describe('kafka-twin serve, in-process', () => {
  const parsed = (args: string[]) => parseServeOptions(args) as ServeRequest;

  it('reads every option, with defaults', () => {
    expect(parsed([])).to.deep.equal({ brokers: 1, brokerIds: undefined, host: '127.0.0.1', port: undefined, ports: undefined, config: {}, topics: [], seed: 0, output: 'text' });
    expect(
      parsed([
        '--brokers',
        '3',
        '--host',
        '0.0.0.0',
        '--port',
        '9092',
        '--config',
        'min.insync.replicas=2',
        '--config',
        'x=a=b',
        '--topic',
        't:6',
        '--topic',
        'u.v_w-x:2:3',
        '--seed',
        '42',
        '--json',
        '--json',
      ]),
    ).to.deep.equal({
      brokers: 3,
      brokerIds: undefined,
      host: '0.0.0.0',
      port: 9092,
      ports: undefined,
      config: { 'min.insync.replicas': '2', x: 'a=b' },
      topics: [
        { name: 't', partitions: 6, replicationFactor: -1 },
        { name: 'u.v_w-x', partitions: 2, replicationFactor: 3 },
      ],
      seed: 42,
      output: 'json',
    });
    expect(parsed(['--port', '0']).port, 'port 0: ephemeral ports for every broker').to.equal(undefined);
    expect(parsed(['--ports', '9092, 9093,9094']), '--ports alone gives the broker count').to.include({ brokers: 3 });
    expect(parsed(['--brokers', '2', '--ports', '0,0']).ports).to.deep.equal([0, 0]);
    expect(parsed(['--quiet']).output).to.equal('quiet');
    expect(parsed(['--broker-ids', '0, 1,2']), '--broker-ids alone gives the broker count').to.include({ brokers: 3 });
    expect(parsed(['--broker-ids', '20,5,10']).brokerIds, 'in the order given (the cluster sorts them)').to.deep.equal([20, 5, 10]);
    expect(parsed(['--brokers', '2', '--broker-ids', '0,7']).brokerIds).to.deep.equal([0, 7]);
    expect(parsed(['--broker-ids', '0,1', '--ports', '9092,9093'])).to.include({ brokers: 2 });
  });

  it('says in one line what is wrong with bad options', () => {
    const cases: [string[], string][] = [
      [['--fast'], "unknown option '--fast'"],
      [['extra'], "unknown option 'extra'"],
      [['--brokers'], '--brokers needs a value'],
      [['--brokers', '--json'], '--brokers needs a value'],
      [['--brokers', '0'], "--brokers must be an integer from 1 to 1000, got '0'"],
      [['--brokers', '2.5'], "--brokers must be an integer from 1 to 1000, got '2.5'"],
      [['--port', '70000'], "--port must be a port number from 0 to 65535, got '70000'"],
      [['--port', '-1'], "--port must be a port number from 0 to 65535, got '-1'"],
      [['--ports', '1,x'], "--ports must be port numbers from 0 to 65535 separated by commas, got '1,x'"],
      [['--port', '1', '--ports', '2'], '--port and --ports exclude each other: give the first port, or one port per broker'],
      [['--brokers', '2', '--ports', '9092'], '--ports lists 1 port(s) for 2 broker(s): give one port per broker'],
      [['--brokers', '3', '--port', '65534'], '--port 65534 leaves no room for 3 brokers below 65535'],
      [['--config', 'novalue'], "--config takes key=value (a Kafka broker setting), got 'novalue'"],
      [['--config', '=1'], "--config takes key=value (a Kafka broker setting), got '=1'"],
      [['--topic', 't'], "--topic takes name:partitions[:replicas] with positive counts, got 't'"],
      [['--topic', ':1'], "--topic takes name:partitions[:replicas] with positive counts, got ':1'"],
      [['--topic', 't:0'], "--topic takes name:partitions[:replicas] with positive counts, got 't:0'"],
      [['--topic', 't:1:x'], "--topic takes name:partitions[:replicas] with positive counts, got 't:1:x'"],
      [['--topic', 't:1:1:1'], "--topic takes name:partitions[:replicas] with positive counts, got 't:1:1:1'"],
      [['--topic', 't:1:2'], '--topic t: 2 replicas need at least 2 brokers, there are 1'],
      [['--seed', 'abc'], "--seed must be a non-negative integer, got 'abc'"],
      [['--json', '--quiet'], '--json and --quiet exclude each other'],
      [['--broker-ids'], '--broker-ids needs a value'],
      [['--broker-ids', '0,x'], "--broker-ids must be up to 1000 broker ids from 0 to 2147483647 separated by commas, got '0,x'"],
      [['--broker-ids', '-1'], "--broker-ids must be up to 1000 broker ids from 0 to 2147483647 separated by commas, got '-1'"],
      [['--broker-ids', '1,,2'], "--broker-ids must be up to 1000 broker ids from 0 to 2147483647 separated by commas, got '1,,2'"],
      [['--broker-ids', '2147483648'], "--broker-ids must be up to 1000 broker ids from 0 to 2147483647 separated by commas, got '2147483648'"],
      [['--broker-ids', '0,1,0'], "--broker-ids must be distinct, got 0 twice in '0,1,0'"],
      [['--brokers', '2', '--broker-ids', '0,1,2'], '--broker-ids lists 3 id(s) for 2 broker(s): give one id per broker'],
      [['--broker-ids', '0,1,2', '--ports', '1,2'], '--ports lists 2 port(s) for 3 broker(s): give one port per broker'],
      [['--broker-ids', '0,1', '--topic', 't:1:3'], '--topic t: 3 replicas need at least 3 brokers, there are 2'],
    ];
    for (const [args, why] of cases) expect(parseServeOptions(args), args.join(' ')).to.equal(why);
  });

  it('runs until stopped: text lines for topics and wire closes; engine errors and an address that cannot be listened on are exit 2', async () => {
    const out: string[] = [];
    const errors: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const done = serve(['--topic', 'orders:1', '--config', 'group.initial.rebalance.delay.ms=0'], {
      write: (l) => out.push(l),
      error: (l) => errors.push(l),
      stop: stopped,
    });
    while (out.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const [address] = out[0]!.split(',');

    // A frame that does not parse closes that one connection, and the log says so.
    const socket = new Socket();
    await new Promise<void>((resolve) => socket.connect(portOf(address!), '127.0.0.1', resolve));
    socket.write(Buffer.from([0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]));
    await new Promise((resolve) => socket.once('close', resolve));
    const kafka = new Kafka({ clientId: 'in-process', brokers: [address!], logLevel: logLevel.NOTHING, connectionTimeout: 3000 });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'more', numPartitions: 2 }] });
    await admin.disconnect();
    stop();
    expect(await done).to.equal(0);
    expect(errors).to.deep.equal([]);
    expect(
      out.some((l) => /^\[\d\d:\d\d\] broker 1 closed the connection from .+ \(\w[\w-]+(: .*)?\)$/.test(l)),
      out.join('\n'),
    ).to.equal(true);
    expect(out.some((l) => l.endsWith('topic more created: 2 partitions x 1 replicas'))).to.equal(true);

    const bad: string[] = [];
    expect(await serve(['--topic', 'bad name:1'], { write: (l) => bad.push(l), error: (l) => bad.push(l), stop: stopped })).to.equal(2);
    expect(await serve(['--config', 'num.partitions=x'], { write: (l) => bad.push(l), error: (l) => bad.push(l), stop: stopped })).to.equal(2);
    expect(await serve(['--host', '192.0.2.1'], { write: (l) => bad.push(l), error: (l) => bad.push(l), stop: stopped })).to.equal(2);
    expect(bad).to.have.length(3);
    expect(bad[0]).to.match(/^kafka-twin serve: Topic name "bad name" is illegal/);
    expect(bad[1]).to.equal('kafka-twin serve: Invalid value "x" for configuration num.partitions: Expected value to be a 32-bit integer');
    expect(bad[2]).to.match(/^kafka-twin serve: cannot listen on 192\.0\.2\.1(:0)?: no such address on this machine$/);
  });
});
