/** The toolkit's own pieces: printing, determinism, replay, the invariants on a clean run. */
import { expect } from 'chai';
import fc from 'fast-check';
import {
  AdvanceStep,
  CrashStep,
  ProduceStep,
  Scenario,
  checkTrace,
  committedNotAhead,
  defaultInvariants,
  defaultTopology,
  outputMatchesModel,
  runScenario,
  scenarioArb,
  scheduleArb,
  formatTrace,
} from '../../src/testing/index.js';
import * as bug1 from '../../examples/bugs/commit-before-processing.js';
import * as traceShapes from '../../src/testing/trace.js';

const scenario = new Scenario(defaultTopology(), 1, [
  new ProduceStep([{ key: 'k0', value: '1' }, { key: 'k1', value: '2' }]),
  new CrashStep(0, 3),
  new ProduceStep([{ key: 'k0', value: '3' }, { key: 'k3', value: '4', headers: { trace: 'a' } }]),
  new AdvanceStep(5000),
]);

describe('testing: toolkit', () => {
  it('the shapes of a run (Processor, Trace) are types only: trace.js carries no runtime code', () => {
    expect(Object.keys(traceShapes)).to.deep.equal([]);
  });

  it('prints a scenario as a numbered schedule', () => {
    expect(scenario.toString()).to.equal(
      [
        'Scenario: cluster seed 1; 3 brokers, input (2 partitions, RF 2) -> output (1 partition, RF 2), group app with 2 instances (at most 3); 4 steps:',
        '   1. produce k0=1, k1=2',
        '   2. running instance #0 will crash at its 3rd crash point',
        '   3. produce k0=3, k3=4 {trace:a}',
        '   4. advance the clock 5000 ms',
      ].join('\n'),
    );
    expect(fc.stringify(scenario)).to.include('2. running instance #0 will crash');
  });

  it('runs deterministically: the same scenario gives the same trace', async () => {
    const a = await runScenario({ processor: bug1.fixed, scenario });
    const b = await runScenario({ processor: bug1.fixed, scenario });
    const strip = (t: typeof a) => JSON.stringify({ d: t.deliveries, c: t.commits, g: t.generations, l: t.lifecycle, o: t.outputs });
    expect(strip(a)).to.equal(strip(b));
    expect(a.inputs).to.have.length(4);
    expect(a.lifecycle.some((l) => l.kind === 'crashed')).to.equal(true);
    expect(checkTrace(a, [...defaultInvariants, outputMatchesModel(bug1.model)])).to.deep.equal([]);
  });

  it('committedNotAhead flags a commit followed by a crash before processing', async () => {
    const steps = [new CrashStep(0, 3), new CrashStep(1, 3), new ProduceStep([{ key: 'k0', value: '1' }]), new AdvanceStep(100)];
    const trace = await runScenario({ processor: bug1.buggy, scenario: new Scenario(defaultTopology(), 1, steps) });
    expect(committedNotAhead.check(trace), formatTrace(trace)).to.match(/committed partition \d at offset 1 .* while offset 0 was not processed yet/);
  });

  it('schedules draw every kind of step and replay from a seed', () => {
    const a = fc.sample(scheduleArb({ weights: { isolateHeal: 1 } }), { seed: 7, numRuns: 30 });
    const b = fc.sample(scheduleArb({ weights: { isolateHeal: 1 } }), { seed: 7, numRuns: 30 });
    expect(a.map(String)).to.deep.equal(b.map(String));
    const kinds = new Set(a.flat().map((s) => (s.type === 'broker' ? s.action : s.type)));
    for (const k of ['produce', 'advance', 'join', 'leave', 'crash', 'stop', 'start', 'isolate', 'heal', 'add-partitions']) expect(kinds, k).to.include(k);
  });

  it('replays a failure from its seed and path', async () => {
    const property = fc.asyncProperty(scenarioArb(), async (s) => {
      const trace = await runScenario({ processor: bug1.buggy, scenario: s });
      expect(checkTrace(trace, [committedNotAhead])).to.deep.equal([]);
    });
    const first = await fc.check(property, { seed: 42, numRuns: 20 });
    expect(first.failed).to.equal(true);
    const replay = await fc.check(property, { seed: 42, path: first.counterexamplePath!, numRuns: 1 });
    expect(replay.failed).to.equal(true);
    expect(String(replay.counterexample![0])).to.equal(String(first.counterexample![0]));
  });
});
