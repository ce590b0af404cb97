/**
 * Exactly-once with Kafka 3.9's own clients, unchanged, over the twin's wire front end, with a
 * broker stopped mid-run: the check Kafka's system test (tests/kafkatest/tests/core/
 * transactions_test.py) makes. kafka-verifiable-producer seeds an input topic (3.9's
 * VerifiableProducer has no transactional mode: it never calls initTransactions); Kafka's
 * TransactionalMessageCopier copies it to an output topic in transactions (read_committed
 * consumer, sendOffsetsToTransaction with the consumer's group metadata, so TxnOffsetCommit v3+,
 * and random aborts), while the broker coordinating its transactional id stops and starts again;
 * then a read_committed kafka-verifiable-consumer reads the output: every input message exactly
 * once, nothing from an aborted transaction. kafka-transactions.sh (TransactionsCommand) then
 * lists and describes the transactional id through ListTransactions and DescribeTransactions, and
 * finds, describes and aborts a hanging transaction (DescribeProducers, WriteTxnMarkers).
 *
 * As verifiable.spec.ts, the twin runs in this process on TCP (`cluster.listen()`), so the test
 * can stop its broker; the clients are separate Java processes that see only the network.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from '../../src/index.js';
import { javaTool, jsonLines, killAll, requireKafkaTools, startJavaTool, startTool, tool } from './helpers.js';

type Event = { name: string } & Record<string, unknown>;
interface Copied {
  readonly stage: string;
  readonly totalProcessed: number;
  readonly remaining: number;
}

const INPUT = 'eos-in';
const OUTPUT = 'eos-out';
const MESSAGES = 3000;
const TXN_ID = 'eos-copier';
const COPIER = 'org.apache.kafka.tools.TransactionalMessageCopier';
const TRANSACTIONS_COMMAND = 'org.apache.kafka.tools.TransactionsCommand';

describe('exactly-once: TransactionalMessageCopier and a read_committed kafka-verifiable-consumer with a broker stopped mid-run', function () {
  this.timeout(300_000);
  let cluster: Cluster;
  let bootstrap: string;
  let dir: string;

  before(async () => {
    requireKafkaTools();
    cluster = new Cluster({ brokers: 3, clock: 'real' });
    bootstrap = (await cluster.listen()).brokers.join(',');
    dir = mkdtempSync(join(tmpdir(), 'kafka-twin-eos-'));
  });
  after(() => {
    killAll();
    cluster?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('copies every input message to the output exactly once; kafka-transactions lists and describes the copier', async () => {
    const b = ['--bootstrap-server', bootstrap];
    await tool('kafka-topics', [...b, '--create', '--topic', INPUT, '--partitions', '1', '--replication-factor', '3', '--config', 'min.insync.replicas=2']);
    await tool('kafka-topics', [...b, '--create', '--topic', OUTPUT, '--partitions', '3', '--replication-factor', '3', '--config', 'min.insync.replicas=2']);

    // The input: 0..MESSAGES-1, acks=all, idempotent (retries back to Kafka's default, as in verifiable.spec.ts).
    const producerConfig = join(dir, 'producer.properties');
    writeFileSync(producerConfig, 'retries=2147483647\n');
    const seeded = await startTool('kafka-verifiable-producer', [...b, '--topic', INPUT, '--max-messages', String(MESSAGES), '--acks', '-1', '--producer.config', producerConfig]).finish(120_000);
    expect(seeded.code, seeded.stderr).to.equal(0);
    expect((seeded.stdout.match(/"name":"producer_send_success"/g) ?? []).length).to.equal(MESSAGES);

    // 20 records a transaction (the copier's max.poll.records), a third of them aborted at random.
    const copier = startJavaTool(COPIER, [
      '--broker-list',
      bootstrap,
      '--input-topic',
      INPUT,
      '--input-partition',
      '0',
      '--output-topic',
      OUTPUT,
      '--transactional-id',
      TXN_ID,
      '--consumer-group',
      'eos-copier-group',
      '--transaction-size',
      '20',
      '--transaction-timeout',
      '30000',
      '--enable-random-aborts',
      '--use-group-metadata',
    ]);
    const processed = () => {
      const lines = copier.stdout.split('\n').filter((l) => l.startsWith('{'));
      const last = lines.length === 0 ? undefined : (JSON.parse(lines[lines.length - 1]!) as Copied);
      return last?.totalProcessed ?? 0;
    };
    await copier.waitFor(() => processed() >= MESSAGES / 4, 90_000, `${MESSAGES / 4} messages copied`);
    // Stop the broker coordinating the copier's transactional id: the coordinator moves, open transactions go on or abort.
    const coordinator = cluster.engine.findTransactionCoordinator({ transactionalId: TXN_ID }).nodeId;
    expect(cluster.stopBroker(coordinator)).to.equal(true);
    const atStop = processed();
    await copier.waitFor(() => processed() >= atStop + MESSAGES / 6 || processed() >= MESSAGES, 90_000, 'messages copied with the coordinator down');
    const moved = cluster.engine.findTransactionCoordinator({ transactionalId: TXN_ID }).nodeId;
    expect(moved).to.not.equal(coordinator);
    expect(cluster.startBroker(coordinator)).to.equal(true);
    const copied = await copier.finish(120_000);
    expect(copied.code, copied.stderr.slice(-3000)).to.equal(0);
    const statuses = copied.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Copied);
    expect(statuses[statuses.length - 1]).to.include({ remaining: 0, totalProcessed: MESSAGES });

    // The output log: every committed record, the aborted ones, and a marker per transaction and partition.
    const ends = (await tool('kafka-get-offsets', [...b, '--topic', OUTPUT])).stdout.trim().split('\n');
    const endOf = new Map(ends.map((l) => [Number(l.split(':')[1]), Number(l.split(':')[2])]));
    const inLog = [...endOf.values()].reduce((n, e) => n + e, 0);
    const aborts = cluster.events().filter((e) => e.type === 'txn-abort').length;
    // Markers take an offset each, so the log holds more than the records.
    const commits = cluster.events().filter((e) => e.type === 'txn-commit').length;
    expect(aborts, 'random aborts happened').to.be.above(0);
    expect(inLog).to.be.above(MESSAGES);

    const consumerConfig = join(dir, 'consumer.properties');
    writeFileSync(consumerConfig, 'isolation.level=read_committed\n');
    const consumed = await tool(
      'kafka-verifiable-consumer',
      [...b, '--topic', OUTPUT, '--group-id', 'eos-checker', '--max-messages', String(MESSAGES), '--reset-policy', 'earliest', '--verbose', '--consumer.config', consumerConfig],
      { ms: 180_000 },
    );
    const seen = jsonLines<Event>(consumed.stdout);
    const values = seen.filter((e) => e.name === 'record_data').map((r) => Number(r['value']));
    expect(values).to.have.length(MESSAGES);
    const sorted = [...values].sort((x, y) => x - y);
    const duplicates = sorted.filter((v, i) => i > 0 && sorted[i - 1] === v);
    expect(duplicates.slice(0, 10), 'read twice').to.deep.equal([]);
    expect(sorted).to.deep.equal(Array.from({ length: MESSAGES }, (_, i) => i));
    // Nothing else is visible to read_committed (the verifiable consumer stops at MESSAGES); read_uncommitted sees the aborted copies too.
    const readAll = async (isolation: string) =>
      (await tool('kafka-console-consumer', [...b, '--topic', OUTPUT, '--from-beginning', '--isolation-level', isolation, '--timeout-ms', '8000'], { ms: 120_000 })).stdout
        .split('\n')
        .filter((l) => l !== '');
    const committedOnly = await readAll('read_committed');
    expect(committedOnly).to.have.length(MESSAGES);
    expect(new Set(committedOnly).size).to.equal(MESSAGES);
    const everything = await readAll('read_uncommitted');
    expect(everything.length).to.be.above(MESSAGES);
    expect(new Set(everything).size).to.equal(MESSAGES);

    // kafka-transactions.sh: the copier's id, listed by the broker coordinating it and described there.
    const listed = (await javaTool(TRANSACTIONS_COMMAND, [...b, 'list'])).stdout;
    const row = listed.split('\n').find((l) => l.split(/\s+/)[0] === TXN_ID);
    expect(row, listed).to.not.equal(undefined);
    const [, coordinatorNow, , state] = row!.trim().split(/\s+/);
    expect(Number(coordinatorNow)).to.equal(cluster.engine.findTransactionCoordinator({ transactionalId: TXN_ID }).nodeId);
    expect(state).to.be.oneOf(['CompleteCommit', 'CompleteAbort']);
    const described = (await javaTool(TRANSACTIONS_COMMAND, [...b, 'describe', '--transactional-id', TXN_ID])).stdout;
    expect(described).to.match(new RegExp(`\\b${TXN_ID}\\b`));
    expect(described).to.match(/\bComplete(Commit|Abort)\b/);
    const unknown = await startJavaTool(TRANSACTIONS_COMMAND, [...b, 'describe', '--transactional-id', 'nobody']).finish(60_000);
    expect(unknown.code).to.not.equal(0);
    expect(unknown.stdout + unknown.stderr).to.match(/transactionalId `nobody` failed because the ID could not be found/);

    console.log(
      `      ${MESSAGES} copied in ${commits} committed and ${aborts} aborted transactions (coordinator ${coordinator} stopped after ${atStop}); ${inLog} offsets in the output log; read_committed reads ${values.length}, read_uncommitted ${everything.length}`,
    );
  });

  it('kafka-producer-perf-test in transactions (--transactional-id, --transaction-duration-ms): read_committed reads every record once', async () => {
    const b = ['--bootstrap-server', bootstrap];
    const RECORDS = 2000;
    await tool('kafka-topics', [...b, '--create', '--topic', 'perf-txn', '--partitions', '3', '--replication-factor', '3']);
    const perf = await tool(
      'kafka-producer-perf-test',
      ['--topic', 'perf-txn', '--num-records', String(RECORDS), '--record-size', '64', '--throughput', '-1', '--producer-props', `bootstrap.servers=${bootstrap}`, '--transactional-id', 'perf-tx', '--transaction-duration-ms', '100'],
      { ms: 120_000 },
    );
    expect(perf.stdout).to.match(new RegExp(`^${RECORDS} records sent`, 'm'));
    const read = (await tool('kafka-console-consumer', [...b, '--topic', 'perf-txn', '--from-beginning', '--isolation-level', 'read_committed', '--timeout-ms', '8000'], { ms: 120_000 })).stdout
      .split('\n')
      .filter((l) => l !== '');
    expect(read).to.have.length(RECORDS);
    const commits = cluster.events().filter((e) => e.type === 'txn-commit' && (e as { transactionalId?: string }).transactionalId === 'perf-tx').length;
    expect(commits).to.be.above(0);
    const described = (await javaTool(TRANSACTIONS_COMMAND, [...b, 'describe', '--transactional-id', 'perf-tx'])).stdout;
    expect(described).to.match(/\bperf-tx\b.*\bCompleteCommit\b/);
  });

  it('kafka-transactions finds a hanging transaction, describes its producer on the leader and a follower, and aborts it (DescribeProducers, WriteTxnMarkers)', async () => {
    const b = ['--bootstrap-server', bootstrap];
    await tool('kafka-topics', [...b, '--create', '--topic', 'hanging', '--partitions', '1', '--replication-factor', '3']);
    // A transactional write an hour old by a producer id no transactional id holds: a hanging transaction, as a broker
    // bug or a lost coordinator state leaves one. (Written on the leader directly: KIP-890's verification stops clients.)
    const lastTimestamp = Date.now() - 3_600_000;
    const written = await cluster.engine.produce({
      topic: 'hanging',
      partition: 0,
      records: [{ value: Buffer.from('stuck'), timestamp: lastTimestamp }],
      producerId: 4242,
      producerEpoch: 3,
      baseSequence: 0,
      isTransactional: true,
    });
    expect(written.errorMessage).to.equal(null);
    const p = cluster.describeTopic('hanging').partitions[0]!;
    const follower = p.replicas.find((r) => r !== p.leader)!;
    const row = `4242\\s+3\\s+-1\\s+0\\s+${lastTimestamp}\\s+0`;
    for (const broker of [[], ['--broker-id', String(follower)]]) {
      const producers = (await javaTool(TRANSACTIONS_COMMAND, [...b, 'describe-producers', '--topic', 'hanging', '--partition', '0', ...broker])).stdout;
      expect(producers).to.match(/ProducerId\s+ProducerEpoch\s+LatestCoordinatorEpoch\s+LastSequence\s+LastTimestamp\s+CurrentTransactionStartOffset/);
      expect(producers).to.match(new RegExp(row));
    }
    const hanging = (await javaTool(TRANSACTIONS_COMMAND, [...b, 'find-hanging', '--topic', 'hanging'])).stdout;
    expect(hanging).to.match(new RegExp(`hanging\\s+0\\s+4242\\s+3\\s+-1\\s+0\\s+${lastTimestamp}\\s+(59|60)\\b`));
    expect(cluster.engine.listOffsets('hanging', 0, 'latest', undefined, 'read_committed').offset).to.equal(0);

    await javaTool(TRANSACTIONS_COMMAND, [...b, 'abort', '--topic', 'hanging', '--partition', '0', '--start-offset', '0']);
    // The abort marker ended it: the last stable offset moved past it, nothing is hanging, and read_committed sees none of it.
    expect(cluster.engine.listOffsets('hanging', 0, 'latest', undefined, 'read_committed').offset).to.equal(2);
    const after = (await javaTool(TRANSACTIONS_COMMAND, [...b, 'find-hanging', '--topic', 'hanging'])).stdout;
    expect(after.trim().split('\n')).to.have.length(1);
    const again = await startJavaTool(TRANSACTIONS_COMMAND, [...b, 'abort', '--topic', 'hanging', '--partition', '0', '--start-offset', '0']).finish(60_000);
    expect(again.code).to.not.equal(0);
    expect(again.stdout + again.stderr).to.match(/Could not find any open transactions starting at offset 0 on partition hanging-0/);
  });
});
