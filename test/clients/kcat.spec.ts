/**
 * kcat (librdkafka), unchanged, against `kafka-twin serve --brokers 3`: it negotiates its versions
 * from ApiVersions like against any broker. Each test asserts what kcat printed.
 */
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import { jsonLines, killAll, ok, requireKcat, serve, type Served } from './helpers.js';

const { Kafka, logLevel } = kafkajs;

interface KcatMessage {
  topic: string;
  partition: number;
  offset: number;
  headers: string[] | null;
  key: string | null;
  payload: string | null;
}

interface KcatMetadata {
  controllerid: number;
  brokers: { id: number; name: string }[];
  topics: { topic: string; error?: string; partitions: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[] }[];
}

describe('kcat against kafka-twin serve', function () {
  this.timeout(120_000);
  let served: Served;
  let version: string;

  before(async () => {
    version = requireKcat();
    served = await serve(['--brokers', '3', '--topic', 'kc-meta:3:3', '--topic', 'kc-data:3:3', '--topic', 'kc-group:2:3', '--topic', 'kc-txn:1:3']);
  });
  after(async () => {
    killAll();
    await served?.stop();
  });

  const kcat = (args: string[], input?: string) => ok('kcat', ['-b', served.bootstrap, ...args], input === undefined ? {} : { input });

  it('lists the brokers and topics (-L), in text and as JSON (-J)', async () => {
    expect(version).to.match(/^kcat - Apache Kafka producer and consumer tool/);
    const addresses = served.bootstrap.split(',');
    expect(addresses).to.have.length(3);

    const text = (await kcat(['-L', '-t', 'kc-meta'])).stdout;
    expect(text).to.match(/^Metadata for kc-meta \(from broker \d: 127\.0\.0\.1:\d+\/\d\):$/m);
    expect(text).to.include(' 3 brokers:\n');
    addresses.forEach((a, i) => expect(text).to.match(new RegExp(`^  broker ${i + 1} at ${a.replace(/\./g, '\\.')}( \\(controller\\))?$`, 'm')));
    expect(text).to.include('  topic "kc-meta" with 3 partitions:\n');
    expect(text.match(/^    partition \d, leader \d, replicas: \d,\d,\d, isrs: \d,\d,\d$/gm)).to.have.length(3);

    const meta = JSON.parse((await kcat(['-L', '-J'])).stdout) as KcatMetadata;
    expect(meta.brokers).to.deep.equal(addresses.map((name, i) => ({ id: i + 1, name })));
    expect(meta.brokers.map((b) => b.id)).to.include(meta.controllerid);
    const topic = meta.topics.find((t) => t.topic === 'kc-meta');
    expect(topic, 'kc-meta in the metadata').to.not.equal(undefined);
    expect(topic!.error).to.equal(undefined);
    expect(topic!.partitions.map((p) => p.partition).sort()).to.deep.equal([0, 1, 2]);
    for (const p of topic!.partitions) {
      const replicas = p.replicas.map((r) => r.id);
      expect([...replicas].sort()).to.deep.equal([1, 2, 3]);
      expect(p.isrs.map((r) => r.id).sort()).to.deep.equal([1, 2, 3]);
      // The preferred leader is the first replica, as Kafka elects it on creation.
      expect(p.leader).to.equal(replicas[0]);
    }
    // Replica placement spreads leadership: one partition led by each broker.
    expect(topic!.partitions.map((p) => p.leader).sort()).to.deep.equal([1, 2, 3]);
  });

  it('reads transactions as librdkafka does: read_committed (its default) skips the aborted one and every marker, read_uncommitted skips only markers', async () => {
    const kafka = new Kafka({ clientId: 'kcat-spec', brokers: served.bootstrap.split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ transactionalId: 'kc-txn-id', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    try {
      for (const [values, commit] of [
        [['c1', 'c2'], true],
        [['a1'], false],
        [['c3'], true],
      ] as const) {
        const t = await producer.transaction();
        await t.send({ topic: 'kc-txn', messages: values.map((value) => ({ value })) });
        if (commit) await t.commit();
        else await t.abort();
      }
    } finally {
      await producer.disconnect();
    }
    // The last commit's marker lands a moment after the commit returns: wait for the last stable offset to pass it.
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (let i = 0; (await admin.fetchTopicOffsets('kc-txn'))[0]!.offset !== '7'; i++) {
        if (i === 100) throw new Error('the last stable offset of kc-txn never reached 7');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await admin.disconnect();
    }
    const read = async (isolation: string) =>
      jsonLines<KcatMessage>((await kcat(['-C', '-t', 'kc-txn', '-o', 'beginning', '-e', '-J', '-q', '-X', `isolation.level=${isolation}`])).stdout).map(
        (m) => `${m.offset}:${m.payload}`,
      );
    // Markers at 2, 4 and 6 take offsets and are never handed over.
    expect(await read('read_committed')).to.deep.equal(['0:c1', '1:c2', '5:c3']);
    expect(await read('read_uncommitted')).to.deep.equal(['0:c1', '1:c2', '3:a1', '5:c3']);
  });

  it('produces with keys and headers (acks=all) and consumes them from the beginning', async () => {
    const lines = ['alpha:1', 'beta:2', 'gamma:3', 'alpha:4', 'delta:5', 'beta:6'];
    await kcat(['-P', '-t', 'kc-data', '-K:', '-H', 'trace=abc', '-H', 'source=kcat', '-X', 'acks=all'], lines.join('\n') + '\n');

    const out = await kcat(['-C', '-t', 'kc-data', '-o', 'beginning', '-e', '-J', '-q']);
    const messages = jsonLines<KcatMessage>(out.stdout);
    expect(messages.map((m) => `${m.key}:${m.payload}`).sort()).to.deep.equal([...lines].sort());
    for (const m of messages) {
      expect(m.topic).to.equal('kc-data');
      expect(m.headers).to.deep.equal(['trace', 'abc', 'source', 'kcat']);
    }
    // Each partition's offsets run 0, 1, 2, ... in the order kcat produced them.
    for (let p = 0; p < 3; p++) {
      const inPartition = messages.filter((m) => m.partition === p);
      expect(inPartition.map((m) => m.offset)).to.deep.equal(inPartition.map((_, i) => i));
      const order = inPartition.map((m) => lines.indexOf(`${m.key}:${m.payload}`));
      expect(order).to.deep.equal([...order].sort((a, b) => a - b));
    }
    // librdkafka partitions by key: one key, one partition.
    for (const key of ['alpha', 'beta']) expect(new Set(messages.filter((m) => m.key === key).map((m) => m.partition)).size).to.equal(1);

    // The same records in kcat's text format, from the beginning with -o beginning and a count.
    const text = await kcat(['-C', '-t', 'kc-data', '-o', 'beginning', '-c', '6', '-f', '%k=%s @%p/%o [%h]\\n']);
    expect(text.stdout.trim().split('\n').sort()).to.deep.equal(
      messages.map((m) => `${m.key}=${m.payload} @${m.partition}/${m.offset} [trace=abc,source=kcat]`).sort(),
    );
  });

  it('consumes in a consumer group (-G): balances all partitions, commits, and resumes from the commit', async () => {
    await kcat(['-P', '-t', 'kc-group', '-K:'], 'a:1\nb:2\nc:3\nd:4\n');
    // From the beginning through the reset policy: kcat's -o in -G mode would override the commit.
    const group = ['-G', 'kc-readers', '-X', 'auto.offset.reset=earliest', '-e', '-J', 'kc-group'];
    const first = await kcat(group);
    expect(first.stderr).to.match(/Group kc-readers rebalanced \(memberid rdkafka-[0-9a-f-]+\): assigned: kc-group \[[01]\], kc-group \[[01]\]/);
    expect(first.stderr).to.match(/: exiting/);
    expect(
      jsonLines<KcatMessage>(first.stdout)
        .map((m) => m.payload)
        .sort(),
    ).to.deep.equal(['1', '2', '3', '4']);

    // The group committed where it stopped (librdkafka commits on close): the next member starts
    // there, not at the reset policy's earliest.
    await kcat(['-P', '-t', 'kc-group', '-K:'], 'e:5\nf:6\n');
    const second = await kcat(group);
    expect(
      jsonLines<KcatMessage>(second.stdout)
        .map((m) => m.payload)
        .sort(),
    ).to.deep.equal(['5', '6']);
    expect(second.stderr).to.match(/Group kc-readers rebalanced .*assigned: kc-group \[[01]\], kc-group \[[01]\]/);

    // The event log of serve saw both generations of the group.
    expect(served.process.stdout).to.match(/group kc-readers, generation 1:/);
  });
});
