/**
 * Exactly once in the CLI: the scenario keys of idempotent and transactional producers and
 * read_uncommitted groups and the transaction steps, each problem with its path; the timeline's
 * lines for producer ids, duplicate batches and transactions, the last stable offset beside the
 * high watermark, and the page's commit and abort marks — the events produced by driving the
 * engine directly, as a transactional client would.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster } from '../../src/cluster.js';
import { main } from '../../src/cli/main.js';
import type { ClusterEvent } from '../../emulator/events.js';
import { renderHtml } from '../../src/cli/html.js';
import { validateScenario, type ScriptedScenario } from '../../src/cli/scenario.js';
import { simulate } from '../../src/cli/simulate.js';
import { Timeline, describeEvent, partitionTable } from '../../src/cli/timeline.js';
import { values } from '../helpers.js';

// Compiled to dist/test/cli/; the repository root is three levels up.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const example = join(root, 'examples/scenarios/exactly-once.yaml');
const goldenFile = join(root, 'test/cli/golden/exactly-once.txt');

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (l) => out.push(l), { error: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A transactional producer on the engine, as a client drives it. */
class Txn {
  producerId = -1;
  producerEpoch = -1;
  private sequence = 0;
  constructor(
    readonly cluster: Cluster,
    readonly id: string,
    readonly timeoutMs = 60000,
  ) {}

  init(): number {
    const a = this.cluster.engine.initProducerId({ transactionalId: this.id, transactionTimeoutMs: this.timeoutMs });
    if (a.errorCode === 0) [this.producerId, this.producerEpoch, this.sequence] = [a.producerId, a.producerEpoch, 0];
    return a.errorCode;
  }

  async send(topic: string, n: number, prefix: string): Promise<number> {
    const { producerId, producerEpoch } = this;
    const added = this.cluster.engine.addPartitionsToTxn({ transactionalId: this.id, producerId, producerEpoch, topics: [{ topic, partitions: [0] }] });
    const code = added.results[0]!.partitions[0]!.errorCode;
    if (code !== 0) return code;
    const r = await this.cluster.engine.produce({ topic, partition: 0, records: values(n, prefix), producerId, producerEpoch, baseSequence: this.sequence, isTransactional: true, acks: -1 });
    if (r.errorCode === 0) this.sequence += n;
    return r.errorCode;
  }

  end(committed: boolean): number {
    return this.cluster.engine.endTxn({ transactionalId: this.id, producerId: this.producerId, producerEpoch: this.producerEpoch, committed }).errorCode ?? 0;
  }
}

function cluster(): Cluster {
  const c = new Cluster({ brokers: 1, clock: 'virtual', seed: 5, startTime: 0 });
  c.createTopic({ topic: 'payments', numPartitions: 1 });
  return c;
}

const problemsOf = (input: unknown) => validateScenario(input).problems.map((p) => `${p.path}: ${p.message}`);

const base = {
  brokers: 1,
  topics: [{ name: 'payments', partitions: 1 }],
  producers: [
    { name: 'tx', topic: 'payments', rate: 1, transactionalId: 'payments-tx', transactionTimeout: '30s' },
    { name: 'plain', topic: 'payments', rate: 1 },
  ],
  groups: [
    { id: 'ledger', topics: ['payments'] },
    { id: 'audit', topics: ['payments'], readUncommitted: true },
  ],
};

describe('kafka-twin simulate: exactly once', () => {
  describe('scenario keys and steps', () => {
    it('resolves idempotent and transactional producers and read_uncommitted groups, with their defaults', () => {
      const { problems, scenario } = validateScenario({
        ...base,
        producers: [...base.producers, { name: 'safe', topic: 'payments', rate: 1, idempotent: true }, { name: 'tx2', topic: 'payments', rate: 1, transactionalId: 'payments-tx' }],
        script: [{ begin: 'tx' }, { send: '1s', producer: 'tx' }, { commit: 'tx' }, { begin: 'tx' }, { abort: 'tx' }, { send: '1s', producer: 'safe' }],
      });
      expect(problems).to.deep.equal([]);
      const s = scenario as ScriptedScenario;
      expect(s.producers.map((p) => [p.name, p.idempotent, p.transactionalId, p.transactionTimeoutMs])).to.deep.equal([
        ['tx', true, 'payments-tx', 30000],
        ['plain', false, undefined, undefined],
        ['safe', true, undefined, undefined],
        ['tx2', true, 'payments-tx', 60000],
      ]);
      expect(s.groups.map((g) => [g.id, g.readUncommitted])).to.deep.equal([
        ['ledger', false],
        ['audit', true],
      ]);
      expect(s.script.map(String)).to.deep.equal(['begin: tx', 'send: 1s (producer tx)', 'commit: tx', 'begin: tx', 'abort: tx', 'send: 1s (producer safe)']);
    });

    it('reports every bad exactly-once key with its path', () => {
      const producers = [
        { name: 'a', topic: 'payments', rate: 1, idempotent: 'yes' },
        { name: 'b', topic: 'payments', rate: 1, idempotent: true, acks: 1 },
        { name: 'c', topic: 'payments', rate: 1, transactionalId: '' },
        { name: 'd', topic: 'payments', rate: 1, transactionalId: 'x', idempotent: false },
        { name: 'e', topic: 'payments', rate: 1, transactionTimeout: '10s' },
        { name: 'f', topic: 'payments', rate: 1, transactionalId: 'y', transactionTimeout: '16m' },
        { name: 'g', topic: 'payments', rate: 1, transactionalId: 'z', transactionTimeout: 'soon', acks: 0 },
      ];
      const groups = [{ id: 'ledger', topics: ['payments'], readUncommitted: 'no' }];
      expect(problemsOf({ ...base, producers, groups, script: [{ wait: '1s' }] })).to.deep.equal([
        'producers[0].idempotent: must be a boolean',
        'producers[1].acks: must be "all" (or -1) for an idempotent producer: kafkajs refuses other acks for it',
        'producers[2].transactionalId: must be a non-empty string: the transactional id, which instances of one producer share',
        'producers[3].idempotent: cannot be false for a transactional producer: a transactionalId makes it idempotent',
        'producers[4].transactionTimeout: needs a transactionalId: only a transactional producer has a transaction timeout',
        'producers[5].transactionTimeout: must be more than 0 and at most transaction.max.timeout.ms (15m): the coordinator answers a longer one INVALID_TRANSACTION_TIMEOUT',
        'producers[6].transactionTimeout: must be a duration: milliseconds, or a string like "500ms", "30s", "5m", "1h"',
        'producers[6].acks: must be "all" (or -1) for a transactional producer: kafkajs refuses other acks for it',
        'groups[0].readUncommitted: must be a boolean: true reads read_uncommitted (open and aborted transactions too), false (the default) read_committed',
      ]);
      // The brokers' transaction.max.timeout.ms bounds the timeout.
      const config = { 'transaction.max.timeout.ms': 20000 };
      expect(problemsOf({ ...base, config, script: [{ wait: '1s' }] })).to.deep.equal([
        'producers[0].transactionTimeout: must be more than 0 and at most transaction.max.timeout.ms (20s): the coordinator answers a longer one INVALID_TRANSACTION_TIMEOUT',
      ]);
      // A timed run's producers write through the engine: no exactly-once keys there.
      const timed = { ...base, duration: '1m', producers: [{ name: 'a', topic: 'payments', rate: 1, idempotent: true }], groups: [] };
      expect(problemsOf(timed)).to.deep.equal(['producers[0].idempotent: unknown field (expected one of: name, topic, rate, keys, acks, from, until)']);
    });

    it('checks the transaction steps against the steps before them', () => {
      const script = [
        { send: '1s', producer: 'tx' },
        { begin: 'plain' },
        { commit: 'tx' },
        { begin: 'tx' },
        { begin: 'tx' },
        { tombstone: 'k', producer: 'tx' },
        { abort: 'tx' },
        { abort: 'tx' },
        { begin: 'nobody' },
        { commit: null },
      ];
      expect(problemsOf({ ...base, script })).to.deep.equal([
        "script[0].producer: producer 'tx' is transactional: it sends only inside a transaction (a begin: tx step first)",
        "script[1].begin: producer 'plain' has no transactionalId: only a transactional producer has transactions",
        "script[2].commit: producer 'tx' has no transaction open at this step (a begin: tx step first)",
        "script[4].begin: producer 'tx' already has a transaction open at this step (commit or abort it first)",
        "script[7].abort: producer 'tx' has no transaction open at this step (a begin: tx step first)",
        'script[8].begin: unknown producer "nobody" (not in producers)',
        'script[9].commit: is required: the transactional producer (there is no default)',
      ]);
    });

    it('{delivered to <group>} counts one group; an unknown group is an unknown placeholder', () => {
      expect(problemsOf({ ...base, script: [{ say: '{delivered to ledger} and {delivered to audit}' }] })).to.deep.equal([]);
      expect(problemsOf({ ...base, script: [{ say: '{delivered to nobody}' }] })[0]).to.match(/^script\[0\]\.say: unknown placeholder \{delivered to nobody\} \(expected .*\{delivered to <group>\}/);
    });
  });

  describe('the timeline and the page, from the engine driven directly', () => {
    it('tells a commit, an abort, a fence and a timeout; the last stable offset is held back by an open transaction', async () => {
      const c = cluster();
      try {
        const lines: string[] = [];
        new Timeline((l) => lines.push(l), { color: false, narrated: true, groupTopics: new Map() }).follow(c);
        const p = new Txn(c, 'payments-tx');
        expect(p.init()).to.equal(0);
        expect(await p.send('payments', 3, 'a')).to.equal(0);
        // Open: read_committed readers stop at the first offset of the open transaction.
        await c.advance(1000);
        expect(partitionTable(c, ['payments'], 'story', true)).to.deep.equal([
          '  partition  leader  replicas  isr     log start  high watermark  last stable offset',
          '  0          1       [1]       [1]     0          3               0',
        ]);
        expect(partitionTable(c, ['payments'], 'story')[1], 'without transactions, no column').to.equal('  0          1       [1]       [1]     0          3');
        expect(p.end(true)).to.equal(0);
        await c.advance(1000);
        expect(partitionTable(c, ['payments'], 'story', true)[1]).to.match(/ 4 +4$/);
        await p.send('payments', 2, 'b');
        p.end(false);
        await c.advance(1000);
        // A new instance fences the old one, whose open transaction the coordinator aborts.
        await p.send('payments', 1, 'c');
        const fresh = new Txn(c, 'payments-tx');
        expect(fresh.init()).to.equal(51);
        await c.advance(100);
        expect(fresh.init()).to.equal(0);
        // The zombie's AddPartitionsToTxn (the newest version) is refused: PRODUCER_FENCED.
        expect(await p.send('payments', 1, 'late')).to.equal(90);
        // A short timeout: the coordinator aborts the transaction and fences its epoch.
        const slow = new Txn(c, 'slow-tx', 5000);
        slow.init();
        await slow.send('payments', 1, 's');
        await c.advance(20000);
        const text = lines.join("\n");
        for (const line of [
          '[00:00] topic __transaction_state created: 50 partitions x 1 replicas (transaction coordinators live on the leaders of its partitions)',
          '[00:00] broker 1 gave producer id 0 (epoch 0) to transactional id payments-tx',
          '[00:00] payments-tx: transaction began (producer id 0, epoch 0) on payments-0',
          '[00:01] payments-tx: transaction committed after 1s, commit markers on payments-0: read_committed readers see its records now',
          '[00:02] payments-tx: transaction aborted after 0s (by the producer), abort markers on payments-0: read_committed readers skip its records',
          '[00:03] payments-tx: producer epoch 0 fenced (now epoch 1) by InitProducerId of a new instance: its requests are refused',
          '[00:03] payments-tx: transaction aborted after 0s (by the coordinator: a new instance fenced the producer), abort markers on payments-0: read_committed readers skip its records',
          '[00:03] payments-tx: producer epoch 1 fenced (now epoch 2) by InitProducerId of a new instance: its requests are refused',
          'slow-tx: transaction open since 00:03, past its timeout of 5s: the coordinator aborts it',
          'slow-tx: transaction aborted after 6900ms (by the coordinator: it ran past its timeout), abort markers on payments-0',
        ])
          expect(text).to.contain(line);
        expect(text).not.to.contain('txn-marker');

        const html = renderHtml({
          title: 't',
          description: 'd',
          seed: 5,
          durationMs: c.now(),
          topics: [{ name: 'payments', partitions: 1, replicationFactor: 1 }],
          groups: [],
          events: c.events(),
          text: lines,
        });
        const commits = html.match(/<rect class="txn-commit"[^>]*><title>[^<]*<\/title><\/rect>/g) ?? [];
        const aborts = html.match(/<rect class="txn-abort"[^>]*><title>[^<]*<\/title><\/rect>/g) ?? [];
        expect([commits.length, aborts.length]).to.deep.equal([1, 3]);
        expect(commits[0]).to.contain('payments-0: commit marker of payments-tx (producer id 0) at offset 3, 00:01; its records from offset 0 are visible to read_committed readers');
        expect(aborts[0]).to.contain('payments-0: abort marker of payments-tx (producer id 0) at offset 6, 00:02; its records from offset 4 are skipped by read_committed readers');
        expect(html).to.contain('commit marker: a transaction committed, read_committed readers see its records');
        expect(html).to.contain('abort marker: a transaction aborted, read_committed readers skip its records');
      } finally {
        c.close();
      }
    });

    it('describes a duplicate batch and an idempotent producer id, and leaves marker writes to the page', () => {
      const base = { seq: 0, time: 65000, topic: 'rides', partition: 0 };
      const events: ClusterEvent[] = [
        { ...base, type: 'producer-id-allocated', broker: 2, producerId: 7, producerEpoch: 0, transactionalId: null },
        { ...base, type: 'duplicate-batch', producerId: 7, producerEpoch: 0, baseSequence: 4, baseOffset: 12 },
        { ...base, type: 'txn-marker-written', producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, commit: true, offset: 9, firstOffset: 3 },
        { ...base, type: 'txn-coordinator-moved', transactionalId: 'p', partition: 7, from: 1, to: 2, coordinatorEpoch: 1, state: 'Ongoing' },
        { ...base, type: 'txn-coordinator-moved', transactionalId: 'p', partition: 7, from: 2, to: -1, coordinatorEpoch: 1, state: 'Ongoing' },
      ];
      expect(events.map(describeEvent)).to.deep.equal([
        'broker 2 gave producer id 7 (epoch 0) to an idempotent producer',
        'rides-0 duplicate batch (producer id 7, sequence 4): the retry answered with its original offsets from 12, written once',
        undefined,
        "p's transaction coordinator moved from broker 1 to broker 2 (leader of __transaction_state-7; transaction Ongoing)",
        'p has no transaction coordinator: __transaction_state-7 is offline',
      ]);
    });
  });

  it('a script whose transaction runs past its timeout: the coordinator aborts it, and the producer\'s next send and abort are refused', async () => {
    const scenario = validateScenario({
      brokers: 1,
      topics: [{ name: 't', partitions: 1 }],
      producers: [{ name: 'p', topic: 't', rate: 1, transactionalId: 'tx', transactionTimeout: '5s' }],
      script: [{ begin: 'p' }, { send: '1s', producer: 'p' }, { wait: '20s' }, { send: '2s', producer: 'p' }, { abort: 'p' }, { partitions: 't' }, { log: 't-0' }],
    }).scenario as ScriptedScenario;
    const lines: string[] = [];
    await simulate({ scenario, write: (l) => lines.push(l) });
    expect(lines.slice(4)).to.deep.equal([
      '[00:10] tx: transaction open since 00:00, past its timeout of 5s: the coordinator aborts it',
      '[00:10] tx: producer epoch 0 fenced (now epoch 1) as its transaction timed out: its requests are refused',
      '[00:10] tx: transaction aborted after 10s (by the coordinator: it ran past its timeout), abort markers on t-0: read_committed readers skip its records',
      // One refusal ends the send step: its second second sends nothing.
      '[00:21] p: send refused with INVALID_PRODUCER_EPOCH, nothing written: fenced when its transaction timed out',
      '[00:21] p: abort refused with INVALID_PRODUCER_EPOCH: fenced when its transaction timed out',
      '  partition  leader  replicas  isr     log start  high watermark  last stable offset',
      '  0          1       [1]       [1]     0          2               2',
      '  t-0 on broker 1 (the leader): offsets [0, 2), 2 record(s), 154 B in 1 segment(s)',
      '    segment [0, 2), active: 2 record(s), 154 B',
      '      0 key-0=p#0 (aborted)  1 (abort marker)',
    ]);
  });

  describe('examples/scenarios/exactly-once.yaml', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'kafka-twin-eos-'));
    after(() => rmSync(scratch, { recursive: true, force: true }));

    it('prints the golden timeline: duplicates without idempotence, none with it; commit, abort, the last stable offset, a fenced zombie', async () => {
      const { code, out, err } = await run(['simulate', example]);
      expect(err).to.equal('');
      expect(code).to.equal(0);
      // UPDATE_GOLDEN=1 rewrites the file instead, as simulate.spec's golden files.
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(goldenFile)) {
        writeFileSync(goldenFile, `${out}\n`);
        if (process.env.UPDATE_GOLDEN !== '1') throw new Error('golden file exactly-once.txt was missing and has been written; check it in and run again');
      }
      expect(out, 'differs from test/cli/golden/exactly-once.txt (UPDATE_GOLDEN=1 regenerates)').to.equal(readFileSync(goldenFile, 'utf8').replace(/\n$/, ''));
      // A lost acknowledgement: the plain producer's retry writes the batch again, the idempotent one's does not.
      expect(out).to.contain('\n2 sent, 4 delivered: broker 3 appended the batch, its answer was lost, the retry appended it again\n');
      expect(out).to.contain('rides-0 duplicate batch (producer id 0, sequence 4): the retry answered with its original offsets from 12, written once\n');
      expect(out).to.contain('\n2 sent, 2 delivered: the leader knew');
      // An open transaction holds the last stable offset (and read_committed readers) back.
      expect(out).to.contain('  0          2       [2,3,1]   [2,3,1]  0          4               0\nledger (read_committed) processed 0, audit (read_uncommitted) 4');
      expect(out).to.contain('committed: ledger processed 4, audit 4');
      expect(out).to.contain('aborted: ledger processed 4, never the aborted records; audit 8, the aborted ones too');
      expect(out).to.contain('5 key-4=pay#4 (aborted)');
      // The zombie: fenced by the new instance's InitProducerId, its send and commit refused.
      expect(out).to.match(/payments-tx: transaction aborted after 1s \(by the coordinator: a new instance fenced the producer\)/);
      expect(out).to.contain('payments: send refused with INVALID_PRODUCER_EPOCH, nothing written: a zombie, fenced when a newer instance of payments-tx called InitProducerId');
      expect(out).to.contain('payments: commit refused with INVALID_PRODUCER_EPOCH: a zombie');
      expect(out).to.contain('ledger processed 8 (the two committed transactions), audit 14');
    });

    it('--html renders the commits and aborts on the partition lane, the same bytes each run', async () => {
      const file = join(scratch, 'exactly-once.html');
      expect((await run(['simulate', example, '--html', file])).code).to.equal(0);
      const html = readFileSync(file, 'utf8');
      const laneOf = (name: string) => new RegExp(`<g class="lane" data-lane="partition ${name}">[\\s\\S]*?</g>`).exec(html)?.[0] ?? '';
      const lane = laneOf('payments-0');
      expect((lane.match(/<rect class="txn-commit"/g) ?? []).length, 'commit marks').to.equal(2);
      expect((lane.match(/<rect class="txn-abort"/g) ?? []).length, 'abort marks (the aborted transaction and the zombie\'s)').to.equal(2);
      expect(laneOf('rides-0'), 'the rides lane').to.contain('<rect class="seg leader"').and.not.to.contain('txn-');
      expect(html).to.contain('abort marker: a transaction aborted, read_committed readers skip its records');
      const again = join(scratch, 'again.html');
      await run(['simulate', example, '--html', again]);
      expect(readFileSync(again, 'utf8')).to.equal(html);
    });
  });
});
