/**
 * The toolkit finds the planted bugs of examples/bugs/ (each failure shrinks to a short schedule
 * and prints the seed to replay it) and passes their fixed versions.
 */
import { expect } from 'chai';
import { checkProcessor, processedAtLeastOnce, type CheckOptions } from '../../src/testing/index.js';
import * as bug1 from '../../examples/bugs/commit-before-processing.js';
import * as bug2 from '../../examples/bugs/non-idempotent-side-effect.js';
import * as bug3 from '../../examples/bugs/state-per-instance.js';

const SEED = Number(process.env['TESTING_SEED'] ?? 20261123);
const RUNS = Number(process.env['TESTING_RUNS'] ?? 40);

/** Runs checkProcessor, expecting it to fail; returns fast-check's report. */
async function expectFailure(options: CheckOptions): Promise<string> {
  try {
    await checkProcessor(options);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`expected ${options.processor.name} to fail`);
}

/** The steps of the counterexample's schedule. */
function scheduleOf(report: string): string[] {
  const start = report.indexOf('Counterexample:');
  return report
    .slice(start)
    .split('\n')
    .filter((l) => /^\s+\d+\. /.test(l));
}

function expectShrunkReport(report: string, maxSteps: number): void {
  expect(report).to.match(/seed: -?\d+, path: "[\d:]+"/);
  expect(report).to.match(/Shrunk \d+ time/);
  const steps = scheduleOf(report);
  expect(steps.length, report).to.be.within(1, maxSteps);
  if (process.env['TESTING_PRINT']) console.log(report);
}

// Network cut-offs make some planted bugs show in another, equally valid way (a failed send instead of a crash); the
// shrinking specs that name the crash leave them out, the specs of the fixed processors keep them.
const NO_ISOLATION = { isolateHeal: 0 };

describe('testing: planted bugs', () => {
  describe('1. commit before processing', () => {
    const options = { model: bug1.model, invariants: [processedAtLeastOnce], seed: SEED, numRuns: RUNS };

    it('fails, shrunk to a crash between the commit and the send', async () => {
      const report = await expectFailure({ processor: bug1.buggy, ...options, weights: NO_ISOLATION });
      expectShrunkReport(report, 4);
      expect(report).to.include('crash');
      expect(report).to.include('never processed');
    });

    it('fails without crashes too: a send that fails after the commit, its leader isolated', async () => {
      const report = await expectFailure({ processor: bug1.buggy, ...options, weights: { crash: 0, isolateHeal: 2 } });
      expectShrunkReport(report, 4);
      expect(report).to.match(/isolate broker \d/);
      expect(report).to.match(/never processed: .* which threw "Connection error: broker \d is isolated/);
    });

    it('the fixed processor passes', async () => {
      await checkProcessor({ processor: bug1.fixed, ...options });
    });
  });

  describe('2. non-idempotent side effect under at-least-once', () => {
    // Keys keep their partition (no partition additions), so the per-key totals have one order.
    const options = { model: bug2.model, seed: SEED, numRuns: RUNS, weights: { addPartitions: 0 } };

    it('fails, shrunk to a crash after the store write', async () => {
      const report = await expectFailure({ processor: bug2.buggy, ...options, weights: { ...options.weights, ...NO_ISOLATION } });
      expectShrunkReport(report, 4);
      expect(report).to.include('crash');
      expect(report).to.include('output equals the model');
    });

    it('the fixed processor passes', async () => {
      await checkProcessor({ processor: bug2.fixed, ...options });
    });
  });

  describe('3. state per instance instead of per partition', () => {
    const options = { model: bug3.model, seed: SEED, numRuns: RUNS };

    it('fails, shrunk to a rebalance that gives an instance a second partition', async () => {
      const report = await expectFailure({ processor: bug3.buggy, ...options });
      expectShrunkReport(report, 5);
      expect(report).to.include('output equals the model');
    });

    it('the fixed processor passes', async () => {
      await checkProcessor({ processor: bug3.fixed, ...options });
    });
  });
});
