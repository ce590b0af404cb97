/**
 * Smoke test of the benchmark suite: every area runs with tiny sizes on the twin and hands back
 * figures of the right shape, so bench/ cannot rot between runs of `npm run bench`. No timing is
 * asserted here: the speed targets live in bench/ and are judged there.
 */
import { expect } from 'chai';
import { adapter } from '../bench/adapter.js';
import { compaction, dedupeInMap } from '../bench/compaction.js';
import { type BenchContext, type Row, judge, keepingAlive, quantile, realKafkaFromEnv, twin } from '../bench/lib.js';
import { AREAS, NO_BROKER, mergeResults, runAll, toMarkdown, type Results } from '../bench/main.js';
import { memory } from '../bench/memory.js';
import { BEGIN, END, withTable } from '../bench/readme.js';
import { rebalance } from '../bench/rebalance.js';
import { roundtrip } from '../bench/roundtrip.js';
import { scaling } from '../bench/scaling.js';
import { throughput } from '../bench/throughput.js';
import { transactionalRun, transactions } from '../bench/transactions.js';
import { kafkaBrokerPid, rssOf, wire } from '../bench/wire.js';

const ctx: BenchContext = { scale: 1, log: () => undefined };

function expectRows(rows: Row[], area: string): void {
  expect(rows).to.not.be.empty;
  for (const row of rows) {
    expect(row.area).to.equal(area);
    expect(row.figure).to.be.a('string').and.not.empty;
    expect(row.value, row.figure).to.be.a('number').and.satisfy(Number.isFinite);
    if (row.target !== undefined && row.met !== undefined) expect(row.margin).to.be.a('string');
    if (row.reference !== undefined && row.referenceValue !== undefined) expect(row.ratio).to.be.a('number');
  }
}

describe('bench (smoke, tiny sizes, no timing asserted)', function () {
  this.timeout(60_000);

  it('throughput: twin rows for produce and consume at acks=1 and acks=all, each against the raw baseline', async () => {
    const r = await throughput(ctx, { n: 2000, batch: 500 });
    expectRows(r.rows, 'throughput');
    const figures = new Set(r.rows.map((row) => row.figure));
    expect([...figures]).to.have.members(['twin produce acks=1', 'twin consume acks=1', 'twin produce acks=all', 'twin consume acks=all']);
    expect(r.rows.filter((row) => row.reference?.startsWith('raw arrays'))).to.have.length(4);
    expect(r.rows.some((row) => row.reference?.includes('kafkajs'))).to.equal(false);
  });

  it('roundtrip: p50 and p99 on both twin clocks', async () => {
    const r = await keepingAlive(() => roundtrip(ctx, { count: 20 }));
    expectRows(r.rows, 'roundtrip');
    expect(r.rows.map((row) => row.figure)).to.have.length(4);
  });

  it('rebalance: the last member joining a settled group, on the virtual clock (and one member on the real clock)', async () => {
    const r = await rebalance(ctx, { members: [1, 3], partitions: 6, clocks: ['virtual'] });
    expectRows(r.rows, 'rebalance');
    expect(r.rows.map((row) => row.figure)).to.deep.equal(['1 member settle, twin (virtual clock)', '3 members settle, twin (virtual clock)']);
    const realClock = await keepingAlive(() => rebalance(ctx, { members: [1], partitions: 6, clocks: ['real'] }));
    expectRows(realClock.rows, 'rebalance');
  });

  it('memory: one row against the 100-byte payload', async () => {
    const r = await memory(ctx, { n: 5000 });
    expectRows(r.rows, 'memory');
    expect(r.rows[0]!.referenceValue).to.equal(100);
  });

  it('scaling: a partitions curve and a members curve, one point per size', async () => {
    const r = await scaling(ctx, { n: 2000, partitions: [1, 10], members: [1, 3], memberPartitions: 6 });
    expectRows(r.rows, 'scaling');
    expect(r.curves!.partitions!.map((p) => p.x)).to.deep.equal([1, 10]);
    expect(r.curves!.members!.map((p) => p.x)).to.deep.equal([1, 3]);
    for (const p of [...r.curves!.partitions!, ...r.curves!.members!]) for (const v of Object.values(p)) expect(v).to.satisfy(Number.isFinite);
  });

  it('adapter: no rows without a broker', async () => {
    expect((await adapter(ctx)).rows).to.deep.equal([]);
  });

  it('wire: kafkajs over wire() and listen(), serve ready and idle memory; without a broker every reference is n/a', async () => {
    const r = await keepingAlive(() => wire(ctx, { n: 2000, runs: 1, roundTrips: 10, readyRuns: 1, idleMs: 100 }));
    expectRows(r.rows, 'wire');
    const transports = ['wire()', 'listen()'];
    expect(r.rows.map((row) => row.figure)).to.deep.equal([
      ...transports.flatMap((t) => [`kafkajs over ${t} produce`, `kafkajs over ${t} consume`]),
      ...transports.flatMap((t) => [`kafkajs over ${t} round trip p50`, `kafkajs over ${t} round trip p99`]),
      'serve: spawn to first answered Metadata',
      'serve --brokers 3 idle RSS',
    ]);
    for (const row of r.rows) {
      expect(row.reference, row.figure).to.equal('n/a (run bench:kafka)');
      expect(row.referenceValue, row.figure).to.equal(undefined);
      expect(row.met, row.figure).to.equal(undefined);
      expect(row.value, row.figure).to.be.greaterThan(0);
    }
    // Every figure but the p99 carries its target, so the table says what bench:kafka will judge.
    expect(r.rows.filter((row) => row.target === undefined).map((row) => row.figure)).to.deep.equal([
      'kafkajs over wire() round trip p99',
      'kafkajs over listen() round trip p99',
    ]);
  });

  it('compaction: cleaner throughput at replication 1 and 3 against a Map, and the heap before and after cleaning', async () => {
    const r = await compaction(ctx, { n: 5000, keys: 100 });
    expectRows(r.rows, 'compaction');
    expect(r.rows.map((row) => row.figure)).to.deep.equal([
      'cleaner, replication 1: records cleaned per second',
      'cleaner, replication 3: records cleaned per second',
      'heap of the cluster after cleaning (replication 1)',
    ]);
    for (const row of r.rows.slice(0, 2)) expect(row.reference).to.equal('raw Map dedupe of the same records');
    // Every replica cleans its closed segments down to one record per key.
    expect(r.notes![0]).to.match(/^compaction, replication 1: [\d,]+ records cleaned \([\d,]+ per replica, the rest in the active segment\) down to 100 in/);
    expect(r.notes![1]).to.match(/^compaction, replication 3: [\d,]+ records cleaned .* down to 300 in/);
    expect(dedupeInMap(5000, 100).kept).to.equal(100);
  });

  it('transactions: twin transactional produce (100 per transaction) and read_committed consume; every message read once', async () => {
    const r = await transactions(ctx, { n: 1000, kafkaN: 200, runs: 1 });
    expectRows(r.rows, 'transactions');
    expect(r.rows.map((row) => row.figure)).to.deep.equal(['twin transactional produce (100 msgs/txn)', 'twin read_committed consume']);
    expect(r.notes![0]).to.match(/^transactions: twin 1,000 messages/);
    // A run reads back exactly what it committed: transactionalRun throws on any other count.
    const t = twin();
    const rates = await transactionalRun(t, 300, 100, 3);
    t.cluster.close();
    expect(rates.produce).to.be.greaterThan(0);
  });

  it('every area is registered with runAll', () => {
    expect(Object.keys(AREAS)).to.deep.equal(['throughput', 'roundtrip', 'rebalance', 'memory', 'scaling', 'adapter', 'wire', 'compaction', 'transactions']);
  });

  it('a run of some areas replaces only their rows and notes in the earlier results, and says when it ran', () => {
    const machine = { cpu: 'cpu', cores: 2, memoryGiB: 4, os: 'os', node: 'v20' };
    const row = (area: string, value: number) => ({ area, figure: 'f', value, unit: 'u' });
    const previous: Results = {
      date: '2026-01-01T00:00:00.000Z',
      machine,
      realKafka: 'real Kafka: k:9092',
      rows: [row('memory', 1), row('compaction', 2)],
      curves: { partitions: [{ x: 1 }] },
      notes: ['memory: old', 'compaction, replication 1: old', 'at least once: kept'],
      seconds: 100,
    };
    const partial: Results = {
      ...previous,
      date: '2026-02-02T00:00:00.000Z',
      realKafka: NO_BROKER,
      rows: [row('compaction', 3)],
      curves: {},
      notes: ['compaction memory: new'],
      seconds: 5,
    };
    const merged = mergeResults(previous, partial, ['compaction']);
    expect(merged.date).to.equal(previous.date);
    expect(merged.realKafka).to.equal(previous.realKafka);
    expect(merged.rows).to.deep.equal([row('memory', 1), row('compaction', 3)]);
    expect(merged.curves).to.deep.equal(previous.curves);
    expect(merged.notes).to.deep.equal([
      'memory: old',
      'at least once: kept',
      'compaction memory: new',
      'partial run (compaction) on 2026-02-02, cpu (2 cores), Node v20, 5 s; the other rows are from the run above',
    ]);
    // A second partial run of the same area replaces its own note too.
    expect(mergeResults(merged, partial, ['compaction']).notes).to.deep.equal(merged.notes);
  });

  it('wire: RSS from /proc, and a Kafka pid only from a kafka.sh folder that serves the address', () => {
    expect(rssOf(process.pid)).to.be.greaterThan(1 << 20);
    expect(kafkaBrokerPid('127.0.0.1:1', '/nonexistent')).to.be.a('string').and.include('/nonexistent/run/broker-1.pid');
  });

  it('runAll says real Kafka was skipped, and the markdown carries every row and curve', async () => {
    const results = await runAll({ ...ctx, scale: 0.005 }, ['memory']);
    expect(results.realKafka).to.equal(NO_BROKER);
    expect(results.machine.node).to.equal(process.version);
    const md = toMarkdown({ ...results, curves: { partitions: [{ x: 1, produceNsPerMessage: 2, consumeNsPerMessage: 3 }] } });
    expect(md).to.include('| memory | twin heap per retained message |');
    expect(md).to.include('| partitions | produce ns/msg | consume ns/msg |');
    await runAll(ctx, ['nonsense']).then(
      () => expect.fail('an unknown area must be rejected'),
      (e: Error) => expect(e.message).to.include('unknown bench area(s) nonsense'),
    );
  });

  it('helpers: quantiles, judging, env, README block', () => {
    expect(quantile([5, 1, 3, 2, 4], 0.5)).to.equal(3);
    expect(quantile([5, 1, 3, 2, 4], 0.99)).to.equal(5);
    expect(judge(20, 10, 'min')).to.deep.equal({ met: true, margin: 'met (2.0x margin)' });
    expect(judge(20, 10, 'max')).to.deep.equal({ met: false, margin: 'missed by 2.0x' });
    expect(realKafkaFromEnv({})).to.equal(undefined);
    expect(realKafkaFromEnv({ KAFKA_BOOTSTRAP_SERVERS: 'a:1, b:2' })!.brokers).to.deep.equal(['a:1', 'b:2']);
    expect(withTable(`x\n${BEGIN}\nold\n${END}\ny`, 'new')).to.equal(`x\n${BEGIN}\nnew\n${END}\ny`);
    expect(() => withTable('no markers', 'new')).to.throw(/no '<!-- bench:begin/);
  });
});
