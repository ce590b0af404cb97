/**
 * Kafka 3.9's own command-line tools (the Java clients, unchanged, from the Maven jars) against
 * `kafka-twin serve --brokers 3`, run through scripts/kafka-tool.sh as bin/<tool>.sh would run
 * them. Each test asserts what the tool printed.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAll, requireKafkaTools, serve, tool, type Served } from './helpers.js';

/** The rows of a kafka-consumer-groups table: header names to cells, by the header line's columns. */
function table(text: string): Record<string, string>[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const at = lines.findIndex((l) => l.startsWith('GROUP '));
  if (at < 0) throw new Error(`no table in:\n${text}`);
  const names = lines[at]!.trim().split(/\s+/);
  return lines
    .slice(at + 1)
    .filter((l) => !l.startsWith('GROUP '))
    .map((l) =>
      Object.fromEntries(
        l
          .trim()
          .split(/\s+/)
          .map((cell, i) => [names[i] ?? `#${i}`, cell]),
      ),
    );
}

/** kafka-topics --describe's partition lines: partition → { leader, replicas, isr }. */
function partitions(text: string): Map<number, { leader: number; replicas: number[]; isr: number[] }> {
  const found = new Map<number, { leader: number; replicas: number[]; isr: number[] }>();
  const ids = (s: string) => s.split(',').map(Number);
  for (const m of text.matchAll(/^\tTopic: \S+\tPartition: (\d+)\tLeader: (-?\d+)\tReplicas: ([\d,]+)\tIsr: ([\d,]*)\t/gm)) {
    found.set(Number(m[1]), { leader: Number(m[2]), replicas: ids(m[3]!), isr: m[4] === '' ? [] : ids(m[4]!) });
  }
  return found;
}

describe("Kafka's command-line tools against kafka-twin serve", function () {
  this.timeout(180_000);
  let served: Served;
  let b: string[];

  before(async () => {
    requireKafkaTools();
    served = await serve(['--brokers', '3']);
    b = ['--bootstrap-server', served.bootstrap];
  });
  after(async () => {
    killAll();
    await served?.stop();
  });

  /** Polls `kafka-consumer-groups --describe --state` until the group is Empty (60 s at most). */
  async function waitForEmpty(group: string): Promise<void> {
    let last = '';
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      last = (await tool('kafka-consumer-groups', [...b, '--describe', '--group', group, '--state'])).stdout;
      if (new RegExp(`^${group}\\s+\\S+\\s+\\S+\\s+(\\S+\\s+)?Empty\\s+0$`, 'm').test(last)) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`group ${group} is not Empty after 60 s: ${last}`);
  }

  it('kafka-topics: creates, lists, describes, and adds partitions', async () => {
    const created = await tool('kafka-topics', [
      ...b,
      '--create',
      '--topic',
      'tools',
      '--partitions',
      '2',
      '--replication-factor',
      '3',
      '--config',
      'min.insync.replicas=2',
    ]);
    expect(created.stdout).to.equal('Created topic tools.\n');

    const exists = await tool('kafka-topics', [...b, '--create', '--topic', 'tools', '--partitions', '2', '--if-not-exists']);
    expect(exists.stdout).to.equal('');

    const listed = await tool('kafka-topics', [...b, '--list']);
    expect(listed.stdout.split('\n')).to.include('tools');

    const described = await tool('kafka-topics', [...b, '--describe', '--topic', 'tools']);
    expect(described.stdout).to.match(/^Topic: tools\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 2\tReplicationFactor: 3\tConfigs: min\.insync\.replicas=2\n/);
    const before = partitions(described.stdout);
    expect([...before.keys()].sort()).to.deep.equal([0, 1]);
    for (const p of before.values()) {
      expect([...p.replicas].sort()).to.deep.equal([1, 2, 3]);
      expect([...p.isr].sort()).to.deep.equal([1, 2, 3]);
      expect(p.leader).to.equal(p.replicas[0]);
    }

    const altered = await tool('kafka-topics', [...b, '--alter', '--topic', 'tools', '--partitions', '4']);
    expect(altered.stdout).to.equal('');
    const after = await tool('kafka-topics', [...b, '--describe', '--topic', 'tools']);
    expect(after.stdout).to.match(/PartitionCount: 4\tReplicationFactor: 3\t/);
    const now = partitions(after.stdout);
    expect([...now.keys()].sort()).to.deep.equal([0, 1, 2, 3]);
    // The first two partitions are as they were; the new ones have three replicas each.
    expect(now.get(0)).to.deep.equal(before.get(0));
    expect(now.get(1)).to.deep.equal(before.get(1));
    for (const p of [now.get(2)!, now.get(3)!]) expect([...p.replicas].sort()).to.deep.equal([1, 2, 3]);

    // Kafka refuses to shrink a topic; the tool reports the broker's error and exits 1.
    const shrink = await tool('kafka-topics', [...b, '--alter', '--topic', 'tools', '--partitions', '3']).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(shrink).to.match(/InvalidPartitionsException: Topic currently has 4 partitions, which is higher than the requested 3\./);
  });

  it('kafka-console-producer and kafka-console-consumer: keys, headers, from the beginning, in a group', async () => {
    await tool('kafka-topics', [...b, '--create', '--topic', 'console', '--partitions', '3', '--replication-factor', '3']);
    const lines = ['source:cli,n:1\tk1\tfirst', 'source:cli,n:2\tk2\tsecond', 'source:cli,n:3\tk1\tthird', 'source:cli,n:4\tk3\tfourth'];
    // The Java producer runs with Kafka 3.x's defaults: idempotent (InitProducerId, sequence numbers), acks=all.
    const produced = await tool(
      'kafka-console-producer',
      [
        ...b,
        '--topic',
        'console',
        '--property',
        'parse.key=true',
        '--property',
        'parse.headers=true',
        '--producer-property',
        'acks=all',
      ],
      { input: lines.join('\n') + '\n' },
    );
    expect(produced.stdout).to.equal('');

    const consumed = await tool('kafka-console-consumer', [
      ...b,
      '--topic',
      'console',
      '--from-beginning',
      '--max-messages',
      '4',
      '--timeout-ms',
      '60000',
      '--group',
      'console-readers',
      '--property',
      'print.key=true',
      '--property',
      'print.headers=true',
      '--property',
      'print.partition=true',
      '--property',
      'print.offset=true',
    ]);
    expect(consumed.stderr).to.include('Processed a total of 4 messages');
    const rows = consumed.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows.map((r) => `${r[2]}\t${r[3]}\t${r[4]}`).sort()).to.deep.equal([...lines].sort());
    // The Java producer hashes keys with murmur2: one key, one partition; offsets count from 0 per partition.
    const partitionOf = (key: string) => new Set(rows.filter((r) => r[3] === key).map((r) => r[0]));
    expect(partitionOf('k1').size).to.equal(1);
    for (const p of new Set(rows.map((r) => r[0]))) {
      const offsets = rows.filter((r) => r[0] === p).map((r) => r[1]);
      expect(offsets).to.deep.equal(offsets.map((_, i) => `Offset:${i}`));
    }
    expect(rows.every((r) => /^Partition:[0-2]$/.test(r[0]!))).to.equal(true);

    // kafka-consumer-groups sees the group and its commits: no lag left.
    const groups = await tool('kafka-consumer-groups', [...b, '--list']);
    expect(groups.stdout.split('\n')).to.include('console-readers');
    const state = await tool('kafka-consumer-groups', [...b, '--describe', '--group', 'console-readers', '--state']);
    // Empty once the console consumer left; no assignment strategy without members (Kafka clears it).
    expect(state.stdout).to.match(/^GROUP\s+COORDINATOR \(ID\)\s+ASSIGNMENT-STRATEGY\s+STATE\s+#MEMBERS$/m);
    expect(state.stdout).to.match(/^console-readers\s+127\.0\.0\.1:\d+\s+\([123]\)\s+Empty\s+0$/m);
    const described = await tool('kafka-consumer-groups', [...b, '--describe', '--group', 'console-readers']);
    expect(described.stderr).to.include("Consumer group 'console-readers' has no active members.");
    const offsets = table(described.stdout);
    expect(offsets.map((r) => r['PARTITION']).sort()).to.deep.equal(['0', '1', '2']);
    for (const r of offsets) {
      expect(r['TOPIC']).to.equal('console');
      expect(r['CURRENT-OFFSET']).to.equal(r['LOG-END-OFFSET']);
      expect(r['LAG']).to.equal('0');
    }
    expect(offsets.reduce((n, r) => n + Number(r['LOG-END-OFFSET']), 0)).to.equal(4);
  });

  it('kafka-consumer-groups: resets offsets (dry run, then execute) and the group reads again from there', async () => {
    await tool('kafka-topics', [...b, '--create', '--topic', 'resets', '--partitions', '2', '--replication-factor', '3']);
    const values = Array.from({ length: 10 }, (_, i) => `v${i}`);
    // Keyed, so both partitions hold data (k0-k2, k6 hash to 1, the rest to 0): unkeyed, the sticky partitioner may put
    // all ten in one partition, and a consumer that never positioned itself on the empty one commits no offset for it;
    // kafka-consumer-groups then refuses --shift-by ("no current committed offset"), on a real broker as well.
    const keyed = values.map((v, i) => `k${i}:${v}`);
    await tool(
      'kafka-console-producer',
      [...b, '--topic', 'resets', '--property', 'parse.key=true', '--property', 'key.separator=:'],
      { input: keyed.join('\n') + '\n' },
    );
    const read = (n: number) =>
      tool('kafka-console-consumer', [
        ...b,
        '--topic',
        'resets',
        '--group',
        'resetters',
        '--from-beginning',
        '--max-messages',
        String(n),
        '--timeout-ms',
        '60000',
      ]);
    expect((await read(10)).stdout.trim().split('\n').sort()).to.deep.equal([...values].sort());

    const ends = table((await tool('kafka-consumer-groups', [...b, '--describe', '--group', 'resetters'])).stdout);
    const end = new Map(ends.map((r) => [r['PARTITION']!, Number(r['LOG-END-OFFSET'])]));
    expect([...end].sort()).to.deep.equal([
      ['0', 6],
      ['1', 4],
    ]);
    for (const r of ends) expect(r['CURRENT-OFFSET']).to.equal(r['LOG-END-OFFSET']);

    // kafka-consumer-groups resets only an inactive group: wait until the console consumer's LeaveGroup has emptied it
    // (its process can exit a moment before the broker handles the request).
    await waitForEmpty('resetters');
    // A dry run prints the plan and changes nothing.
    const dry = await tool('kafka-consumer-groups', [...b, '--group', 'resetters', '--topic', 'resets', '--reset-offsets', '--shift-by', '-2', '--dry-run']);
    const plan = dry.stdout.match(/resetters\s+resets\s+\d+\s+\d+/g)!.map((row) => row.split(/\s+/));
    expect(plan.map((r) => [r[2], Number(r[3])]).sort()).to.deep.equal([...end].map(([p, n]) => [p, Math.max(0, n - 2)]).sort());
    const unchanged = table((await tool('kafka-consumer-groups', [...b, '--describe', '--group', 'resetters'])).stdout);
    for (const r of unchanged) expect(r['CURRENT-OFFSET']).to.equal(r['LOG-END-OFFSET']);

    // To the earliest offsets, executed: every partition back at 0, all ten messages lag.
    const executed = await tool('kafka-consumer-groups', [...b, '--group', 'resetters', '--topic', 'resets', '--reset-offsets', '--to-earliest', '--execute']);
    const rows = executed.stdout.match(/resetters\s+resets\s+\d+\s+\d+/g)!.map((row) => row.split(/\s+/));
    expect(rows.map((r) => [r[2], r[3]]).sort()).to.deep.equal([
      ['0', '0'],
      ['1', '0'],
    ]);
    const reset = table((await tool('kafka-consumer-groups', [...b, '--describe', '--group', 'resetters'])).stdout);
    for (const r of reset) {
      expect(r['CURRENT-OFFSET']).to.equal('0');
      expect(r['LAG']).to.equal(r['LOG-END-OFFSET']);
    }

    // One partition (the fuller one: the sticky partitioner may have put all ten in one) to a
    // given offset: the group then reads exactly what lies past the commits.
    const [target, other] = end.get('0')! >= end.get('1')! ? ['0', '1'] : ['1', '0'];
    const to = end.get(target)! - 1;
    const moved = await tool('kafka-consumer-groups', [
      ...b,
      '--group',
      'resetters',
      '--topic',
      `resets:${target}`,
      '--reset-offsets',
      '--to-offset',
      String(to),
      '--execute',
    ]);
    expect(moved.stdout).to.match(new RegExp(`resetters\\s+resets\\s+${target}\\s+${to}\\b`));
    const again = await read(1 + end.get(other)!);
    expect(again.stdout.trim().split('\n')).to.have.length(1 + end.get(other)!);
    const left = table((await tool('kafka-consumer-groups', [...b, '--describe', '--group', 'resetters'])).stdout);
    for (const r of left) expect(r['LAG']).to.equal('0');
  });

  it('kafka-reassign-partitions: executes a reassignment, verifies it completed, lists none in progress, and has none to cancel', async () => {
    await tool('kafka-topics', [...b, '--create', '--topic', 'moving', '--replica-assignment', '1:2,2:3']);
    const dir = mkdtempSync(join(tmpdir(), 'kafka-twin-reassign-'));
    try {
      const plan = join(dir, 'plan.json');
      writeFileSync(
        plan,
        JSON.stringify({
          version: 1,
          partitions: [
            { topic: 'moving', partition: 0, replicas: [3, 1] },
            { topic: 'moving', partition: 1, replicas: [1, 2, 3] },
          ],
        }),
      );
      const executed = await tool('kafka-reassign-partitions', [...b, '--reassignment-json-file', plan, '--execute']);
      expect(executed.stdout).to.equal(
        'Current partition replica assignment\n\n' +
          '{"version":1,"partitions":[{"topic":"moving","partition":0,"replicas":[1,2],"log_dirs":["any","any"]},{"topic":"moving","partition":1,"replicas":[2,3],"log_dirs":["any","any"]}]}\n\n' +
          'Save this to use as the --reassignment-json-file option during rollback\n' +
          'Successfully started partition reassignments for moving-0,moving-1\n',
      );
      // Without --preserve-throttles the tool goes on to clear throttles with IncrementalAlterConfigs, which the twin does not serve.
      const verified = await tool('kafka-reassign-partitions', [...b, '--reassignment-json-file', plan, '--verify', '--preserve-throttles']);
      expect(verified.stdout).to.equal(
        'Status of partition reassignment:\nReassignment of partition moving-0 is completed.\nReassignment of partition moving-1 is completed.\n\n',
      );
      const now = partitions((await tool('kafka-topics', [...b, '--describe', '--topic', 'moving'])).stdout);
      // Broker 1 (partition 0) and broker 2 (partition 1) are targets and in sync: they keep leading.
      expect(now.get(0)).to.deep.equal({ leader: 1, replicas: [3, 1], isr: [3, 1] });
      expect(now.get(1)).to.deep.equal({ leader: 2, replicas: [1, 2, 3], isr: [1, 2, 3] });
      expect((await tool('kafka-reassign-partitions', [...b, '--list'])).stdout).to.equal('No partition reassignments found.\n');
      const cancelled = await tool('kafka-reassign-partitions', [...b, '--reassignment-json-file', plan, '--cancel', '--preserve-throttles']);
      expect(cancelled.stdout).to.match(/^None of the specified partition reassignments are active\.\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
