/**
 * Kafka's own system-test clients, kafka-verifiable-producer and kafka-verifiable-consumer
 * (kafka-tools), unchanged, against a twin whose broker stops in the middle of the run and starts
 * again: every message the producer saw acknowledged (acks=all, replication factor 3,
 * min.insync.replicas 2) is consumed, at the offset the acknowledgement named. That is the check
 * Kafka's own system tests make with these two tools.
 *
 * `kafka-twin serve` has no control channel, so the twin runs in this process, listening on TCP
 * (`cluster.listen()`), and the test stops and starts its broker; the clients are still separate
 * Java processes that see only the network.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from '../../src/index.js';
import { jsonLines, killAll, requireKafkaTools, startTool, tool } from './helpers.js';

/** The Verifiable* tools' events, one JSON object a line, by `name`. */
interface Acked {
  value: string;
  offset: number;
  partition: number;
}
interface ToolData {
  sent: number;
  acked: number;
}
interface Committed {
  success: boolean;
  offsets: { partition: number; offset: number }[];
}
type Event = { name: string } & Record<string, unknown>;
const named = <T>(events: Event[], name: string): (Event & T)[] => events.filter((e) => e.name === name) as (Event & T)[];

const TOPIC = 'verified';
const MESSAGES = 3000;

describe('kafka-verifiable-producer and kafka-verifiable-consumer with a broker stopped mid-run', function () {
  this.timeout(300_000);
  let cluster: Cluster;
  let bootstrap: string;
  let dir: string;

  before(async () => {
    requireKafkaTools();
    cluster = new Cluster({ brokers: 3, clock: 'real' });
    bootstrap = (await cluster.listen()).brokers.join(',');
    dir = mkdtempSync(join(tmpdir(), 'kafka-twin-clients-'));
  });
  after(() => {
    killAll();
    cluster?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('consumes every acknowledged message, at the acknowledged offset', async () => {
    const b = ['--bootstrap-server', bootstrap];
    await tool('kafka-topics', [...b, '--create', '--topic', TOPIC, '--partitions', '3', '--replication-factor', '3', '--config', 'min.insync.replicas=2']);

    const producerConfig = join(dir, 'producer.properties');
    // Kafka's defaults otherwise: the producer is idempotent (InitProducerId, sequence numbers), so
    // a retry across the broker stop is recognised by the new leader and written once.
    // kafka-verifiable-producer sets retries=0 itself (which would turn idempotence off); back to
    // Kafka's default of retrying within delivery.timeout.ms.
    writeFileSync(producerConfig, 'retries=2147483647\n');
    const started = Date.now();
    const producer = startTool('kafka-verifiable-producer', [
      ...b,
      '--topic',
      TOPIC,
      '--max-messages',
      String(MESSAGES),
      '--throughput',
      '300',
      '--acks',
      '-1',
      // Keys 0..29 over and over: the producer's murmur2 hashing spreads them over every partition,
      // so every partition (the stopped leader's among them) takes writes throughout.
      '--repeating-keys',
      '30',
      '--producer.config',
      producerConfig,
    ]);
    const ackedSoFar = () => (producer.stdout.match(/"name":"producer_send_success"/g) ?? []).length;

    // A third of the way in, stop the broker leading partition 0.
    await producer.waitFor(() => ackedSoFar() >= MESSAGES / 3, 60_000, `${MESSAGES / 3} acknowledgements`);
    const victim = cluster.describeTopic(TOPIC).partitions.find((p) => p.partition === 0)!.leader;
    expect(cluster.stopBroker(victim)).to.equal(true);
    const ackedAtStop = ackedSoFar();

    // While it is down, kafka-topics sees the leadership moved and the ISR shrunk.
    const down = (await tool('kafka-topics', [...b, '--describe', '--topic', TOPIC])).stdout;
    const rows = [...down.matchAll(/\tPartition: (\d)\tLeader: (-?\d+)\tReplicas: ([\d,]+)\tIsr: ([\d,]*)\t/g)];
    expect(rows).to.have.length(3);
    for (const [, , leader, , isr] of rows) {
      expect(Number(leader)).to.not.equal(victim);
      expect(isr!.split(',').map(Number)).to.not.include(victim);
      expect(isr!.split(',')).to.have.length(2);
    }

    // The producer goes on with two in-sync replicas (min.insync.replicas=2 is still met)...
    await producer.waitFor(() => ackedSoFar() >= ackedAtStop + MESSAGES / 6, 60_000, 'acknowledgements with a broker down');
    // ...and the broker comes back, catches up, and rejoins every ISR.
    expect(cluster.startBroker(victim)).to.equal(true);
    const ran = await producer.finish(120_000);
    const producerSeconds = (Date.now() - started) / 1000;
    expect(ran.code, ran.stderr).to.equal(0);

    const events = jsonLines<Event>(ran.stdout);
    const acked = named<Acked>(events, 'producer_send_success');
    const errors = named<Acked>(events, 'producer_send_error');
    const summary = named<ToolData>(events, 'tool_data')[0];
    // Retries (effectively forever within delivery.timeout.ms) carry every message across the stop.
    expect(errors, JSON.stringify(errors.slice(0, 3))).to.deep.equal([]);
    expect(summary).to.include({ sent: MESSAGES, acked: MESSAGES });
    expect(acked).to.have.length(MESSAGES);
    expect(new Set(acked.map((a) => a.value)).size).to.equal(MESSAGES);
    // Partition 0 went on taking writes on the broker that took over from the stopped one.
    expect(acked.slice(ackedAtStop).filter((a) => a.partition === 0).length).to.be.above(MESSAGES / 10);

    const rejoined = await waitForIsr(b, 3, 60_000);
    expect(rejoined).to.equal(true);

    // What the log holds: kafka-get-offsets prints topic:partition:end for each partition.
    const ends = (await tool('kafka-get-offsets', [...b, '--topic', TOPIC])).stdout.trim().split('\n');
    expect(ends.map((l) => l.replace(/:\d+$/, '')).sort()).to.deep.equal([`${TOPIC}:0`, `${TOPIC}:1`, `${TOPIC}:2`]);
    const inLog = ends.reduce((n, l) => n + Number(l.split(':')[2]), 0);
    // Idempotence: every acknowledged message is in the log once, retries and all.
    expect(inLog).to.equal(MESSAGES);

    const consumerStarted = Date.now();
    const consumed = await tool(
      'kafka-verifiable-consumer',
      [...b, '--topic', TOPIC, '--group-id', 'verifiers', '--max-messages', String(inLog), '--reset-policy', 'earliest', '--verbose'],
      { ms: 180_000 },
    );
    const consumerSeconds = (Date.now() - consumerStarted) / 1000;
    const seen = jsonLines<Event>(consumed.stdout);
    const records = named<Acked>(seen, 'record_data');
    expect(records).to.have.length(inLog);
    const at = new Map(records.map((r) => [`${r.partition}/${r.offset}`, r.value]));
    const missing = acked.filter((a) => at.get(`${a.partition}/${a.offset}`) !== a.value);
    expect(missing, `acknowledged but not consumed: ${JSON.stringify(missing.slice(0, 5))}`).to.deep.equal([]);
    // The group committed its position at the end of each partition.
    const commits = named<Committed>(seen, 'offsets_committed');
    expect(commits.every((c) => c.success)).to.equal(true);
    const last = new Map<number, number>();
    for (const c of commits) for (const o of c.offsets) last.set(o.partition, Math.max(last.get(o.partition) ?? 0, o.offset));
    expect([...last.entries()].sort()).to.deep.equal(ends.map((l) => [Number(l.split(':')[1]), Number(l.split(':')[2])]).sort());

    console.log(
      `      ${MESSAGES} acked (${acked.length - ackedAtStop} after broker ${victim} stopped), ${inLog} in the log, ${records.length} consumed; producer ${producerSeconds.toFixed(1)} s, consumer ${consumerSeconds.toFixed(1)} s`,
    );
  });

  /** Polls kafka-topics --describe until every partition's ISR has `size` members. */
  async function waitForIsr(b: string[], size: number, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      const out = (await tool('kafka-topics', [...b, '--describe', '--topic', TOPIC])).stdout;
      const isrs = [...out.matchAll(/\tIsr: ([\d,]*)\t/g)].map((m) => m[1]!.split(',').length);
      if (isrs.length === 3 && isrs.every((n) => n === size)) return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
});
