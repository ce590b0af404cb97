/**
 * Exactly-once with the testing toolkit: the `exactlyOnce` invariant (on hand-made traces and on
 * runs), the steps that threaten it (lost acknowledgements, pauses that leave zombies), and
 * planted bug 4 of examples/bugs/: a transactional processor committing its offsets outside the
 * transaction fails with a short schedule; its fix passes.
 *
 * EXACTLY_ONCE_RUNS sets how many schedules the fixed processor must pass (100 by default; the
 * 2,000-schedule check is `EXACTLY_ONCE_RUNS=2000`).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import {
  AdvanceStep,
  LostAckStep,
  PauseStep,
  ProduceStep,
  Scenario,
  checkProcessor,
  defaultTopology,
  exactlyOnce,
  exactlyOnceSchedule,
  formatTrace,
  runScenario,
  scheduleArb,
  type CheckOptions,
  type OutputLogRecord,
  type Trace,
  type TraceRecord,
} from '../../src/testing/index.js';
import { Cluster } from '../../src/index.js';
import { readLog, readTopic } from '../../src/testing/output-log.js';
import * as bug1 from '../../examples/bugs/commit-before-processing.js';
import * as bug4 from '../../examples/bugs/exactly-once-offsets-outside-txn.js';

const SEED = Number(process.env['TESTING_SEED'] ?? 20261123);
const RUNS = Number(process.env['EXACTLY_ONCE_RUNS'] ?? 100);

const input = (partition: number, offset: number, key: string, value: string): TraceRecord => ({
  topic: 'input',
  partition,
  offset,
  key,
  value,
  headers: {},
  timestamp: 0,
});
const output = (offset: number, key: string, value: string): TraceRecord => ({ topic: 'output', partition: 0, offset, key, value, headers: {}, timestamp: 0 });
const logged = (r: TraceRecord, fate: OutputLogRecord['fate']): OutputLogRecord => ({
  ...r,
  producerId: fate === 'none' ? -1 : 7,
  transactional: fate !== 'none',
  fate,
});

/** A trace with only what `exactlyOnce` reads. */
function traceOf(parts: { inputs: TraceRecord[]; log: OutputLogRecord[]; views?: { afterStep: number; visible: string[] }[] }): Trace {
  const committed = parts.log.filter((r) => r.fate === 'committed' || r.fate === 'none');
  return {
    scenario: new Scenario(defaultTopology(), 1, []),
    inputs: parts.inputs,
    outputs: parts.log,
    committedOutputs: committed,
    outputLog: parts.log,
    committedViews: (parts.views ?? []).map((v) => ({ ...v, time: 0 })),
    deliveries: [],
    commits: [],
    generations: [],
    lifecycle: [],
    finalCommitted: new Map(),
    events: [],
  };
}

describe('testing: exactly once', () => {
  describe('the exactlyOnce invariant', () => {
    const inputs = [input(0, 0, 'k0', '1'), input(1, 0, 'k1', '2')];
    const invariant = exactlyOnce(bug1.model);

    it('holds when each output is committed once, aborted duplicates in the log beside it', () => {
      const log = [logged(output(0, 'k0', '0:0:2'), 'aborted'), logged(output(2, 'k0', '0:0:2'), 'committed'), logged(output(3, 'k1', '1:0:4'), 'committed')];
      expect(invariant.check(traceOf({ inputs, log, views: [{ afterStep: 1, visible: ['0:2'] }] }))).to.equal(undefined);
    });

    it('flags an output committed twice, and one missing', () => {
      const log = [logged(output(0, 'k0', '0:0:2'), 'committed'), logged(output(2, 'k0', '0:0:2'), 'committed')];
      const message = invariant.check(traceOf({ inputs, log }));
      expect(message).to.include('k0=0:0:2 appears 2 times, expected 1 (at output-0@0, output-0@2)');
      expect(message).to.include('k1=1:0:4 is missing');
    });

    it('flags a transaction left open, and an aborted record that a read_committed reader saw', () => {
      const log = [logged(output(0, 'k0', '0:0:2'), 'aborted'), logged(output(1, 'k0', '0:0:2'), 'committed'), logged(output(2, 'k1', '1:0:4'), 'open')];
      const trace = traceOf({ inputs, log, views: [{ afterStep: 3, visible: ['0:0', '0:1'] }] });
      const message = invariant.check(trace);
      expect(message).to.include('output-0@2 (k1=1:0:4) belongs to a transaction still open at the end');
      expect(message).to.include('output-0@0 (k0=0:0:2, of an aborted transaction) was visible to read_committed after step 3 but not at the end');
    });

    it('flags an aborted record visible at the end (a reader that does not filter aborted transactions)', () => {
      const trace = {
        ...traceOf({ inputs: inputs.slice(0, 1), log: [logged(output(0, 'k0', '0:0:2'), 'aborted')] }),
        committedOutputs: [output(0, 'k0', '0:0:2')],
      };
      expect(invariant.check(trace)).to.include('output-0@0 (k0=0:0:2) of an aborted transaction is visible to read_committed');
    });
  });

  it("a trace reads the output log with each record's fate, and the read_committed view without aborted or open transactions", async () => {
    const cluster = new Cluster({ brokers: 3, clock: 'virtual', seed: 1, startTime: 0 });
    try {
      const e = cluster.engine;
      cluster.createTopic({ topic: 'output', numPartitions: 1, replicationFactor: 2 });
      const records = (v: string) => [{ key: Buffer.from('k'), value: Buffer.from(v), headers: [], timestamp: 0 }];
      const txn = async (id: string, value: string, end: boolean | undefined) => {
        const { producerId, producerEpoch } = e.initProducerId({ transactionalId: id });
        e.addPartitionsToTxn({ transactionalId: id, producerId, producerEpoch, topics: [{ topic: 'output', partitions: [0] }] });
        const r = await e.produce({
          topic: 'output',
          partition: 0,
          records: records(value),
          producerId,
          producerEpoch,
          baseSequence: 0,
          isTransactional: true,
          acks: -1,
        });
        expect(r.errorCode).to.equal(0);
        if (end !== undefined) expect(e.endTxn({ transactionalId: id, producerId, producerEpoch, committed: end }).errorCode).to.equal(0);
        await cluster.advance(10);
      };
      await txn('a', 'aborted', false);
      await txn('b', 'committed', true);
      await e.produce({ topic: 'output', partition: 0, records: records('plain'), acks: -1 });
      await txn('c', 'open', undefined);
      const log = readLog(e, 'output', cluster.events());
      expect(log.map((r) => `${r.value}:${r.fate}`)).to.deep.equal(['aborted:aborted', 'committed:committed', 'plain:none', 'open:open']);
      expect(readTopic(e, 'output').map((r) => r.value)).to.deep.equal(['aborted', 'committed', 'plain', 'open']);
      expect(readTopic(e, 'output', 'read_committed').map((r) => r.value)).to.deep.equal(['committed', 'plain']);
    } finally {
      cluster.close();
    }
  });

  describe('steps that threaten exactly-once', () => {
    it('print as schedule lines and are drawn with exactlyOnceSchedule', () => {
      expect(String(new LostAckStep(1))).to.equal('the next Produce request to the output topic is written but its answer is lost (NOT_LEADER_OR_FOLLOWER)');
      expect(String(new LostAckStep(2))).to.equal(
        'the next 2 Produce requests to the output topic are written but their answers are lost (NOT_LEADER_OR_FOLLOWER)',
      );
      expect(String(new PauseStep(1, 3))).to.equal('running instance #1 will pause at its 3rd crash point, outlive its session and wake as a zombie');
      const kinds = new Set(
        fc
          .sample(scheduleArb(exactlyOnceSchedule), { seed: 3, numRuns: 40 })
          .flat()
          .map((s) => s.type),
      );
      expect(kinds).to.include('lost-ack').and.to.include('pause');
      const plain = new Set(
        fc
          .sample(scheduleArb(), { seed: 3, numRuns: 40 })
          .flat()
          .map((s) => s.type),
      );
      expect(plain).not.to.include('lost-ack').and.not.to.include('pause');
    });

    it('a lost acknowledgement makes a plain producer write its output twice, which exactlyOnce catches', async () => {
      const steps = [new LostAckStep(1), new ProduceStep([{ key: 'k0', value: '1' }]), new AdvanceStep(1000)];
      const trace = await runScenario({ processor: bug1.fixed, scenario: new Scenario(defaultTopology(), 1, steps) });
      expect(
        trace.outputs.map((r) => r.value),
        formatTrace(trace),
      ).to.deep.equal(['0:0:2', '0:0:2'].map((v) => v.replace(/^0/, String(trace.inputs[0]!.partition))));
      expect(exactlyOnce(bug1.model).check(trace)).to.match(/appears 2 times, expected 1/);
      expect(trace.events.some((e) => e.type === 'fault-fired')).to.equal(true);
    });

    it('a paused instance outlives its session, a successor takes its slot, and it wakes as a zombie that goes on', async () => {
      // One instance and one input partition, so the pause surely hits: at its 2nd crash point, the send of the first message.
      const topology = defaultTopology({ instances: 1, input: { topic: 'input', partitions: 1, replicationFactor: 2 } });
      const steps = [new PauseStep(0, 2), new ProduceStep([{ key: 'k0', value: '1' }]), new AdvanceStep(15_000)];
      const trace = await runScenario({ processor: bug1.fixed, scenario: new Scenario(topology, 1, steps) });
      const timeline = formatTrace(trace);
      expect(
        trace.lifecycle.map((l) => l.detail),
        timeline,
      ).to.include.members([
        'instance 0 pauses at producer.send',
        'instance 0 (paused at 3000 ms) presumed dead: a successor starts in slot 0',
        'instance 0 wakes up as a zombie and goes on',
        'instance 1 started in slot 0',
      ]);
      const zombie = trace.deliveries.find((d) => d.instance === 0);
      expect(zombie?.zombie, timeline).to.equal(true);
      expect(timeline).to.include('(as a zombie)');
      // At-least-once without fencing: the zombie's late send and the successor's both land.
      expect(
        trace.outputs.map((r) => r.value),
        timeline,
      ).to.deep.equal(['0:0:2', '0:0:2']);
      expect(exactlyOnce(bug1.model).check(trace)).to.match(/appears 2 times/);
    });
  });

  describe('4. offsets committed outside the transaction', () => {
    const options = { model: bug4.model, invariants: [exactlyOnce(bug4.model)], seed: SEED, ...exactlyOnceSchedule };

    it('fails, shrunk to a short schedule: the offset commit after the transaction is lost (here a clean stop mid-handler, when the kafkajs commitOffsets does nothing)', async () => {
      const report = await expectFailure({ processor: bug4.buggy, ...options, numRuns: 100 });
      expectShrunkReport(report, 6);
      expect(report).to.include('[exactly once]').and.to.match(/appears 2 times, expected 1/);
    });

    it('fails, shrunk to a crash between the transaction commit and the offset commit, with crashes the only fault', async () => {
      const crashesOnly = { ...exactlyOnceSchedule.weights, leave: 0, stopStart: 0, isolateHeal: 0, addPartitions: 0, lostAcks: 0, pauses: 0 };
      const report = await expectFailure({ processor: bug4.buggy, ...options, weights: crashesOnly, numRuns: 100 });
      expectShrunkReport(report, 6);
      expect(report).to.match(/crashed at consumer\.commitOffsets/);
      expect(report).to.include('[exactly once]').and.to.match(/appears 2 times, expected 1/);
    });

    it('a transactional id per instance slot is not enough: an instance that lost its partition mid-transaction still commits it', async () => {
      const report = await expectFailure({ processor: bug4.perSlot, ...options, numRuns: 100 });
      expectShrunkReport(report, 8);
      expect(report).to.include('[exactly once]').and.to.match(/appears 2 times, expected 1/);
    });

    it(`the fixed processor passes ${RUNS} schedules`, async function () {
      this.timeout(RUNS * 5000);
      const started = Date.now();
      await checkProcessor({ processor: bug4.fixed, ...options, numRuns: RUNS });
      if (process.env['TESTING_PRINT']) console.log(`    ${RUNS} schedules in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
  });
});

/** Runs checkProcessor, expecting it to fail; returns fast-check's report. */
async function expectFailure(options: CheckOptions): Promise<string> {
  try {
    await checkProcessor(options);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`expected ${options.processor.name} to fail`);
}

function expectShrunkReport(report: string, maxSteps: number): void {
  expect(report).to.match(/seed: -?\d+, path: "[\d:]+"/);
  expect(report).to.match(/Shrunk \d+ time/);
  expect(scheduleOf(report).length, report).to.be.within(1, maxSteps);
  if (process.env['TESTING_PRINT']) console.log(report);
}

/** The steps of the counterexample's schedule. */
function scheduleOf(report: string): string[] {
  return report
    .slice(report.indexOf('Counterexample:'))
    .split('\n')
    .filter((l) => /^\s+\d+\. /.test(l));
}
