/**
 * Fault steps in scenario scripts (`inject-fault`, `set-latency`, `clear-faults`): how they read,
 * what they check with each problem's location, and examples/scenarios/faults.yaml's story of a
 * lost acknowledgement turning into a duplicate.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';
import { validateScenario, type ScriptedScenario } from '../src/cli/scenario.js';
import { describeEvent } from '../src/cli/timeline.js';
import type { ClusterEvent } from '../src/index.js';
import fc from 'fast-check';
import { AdvanceStep, ProduceStep, RequestFaultStep, Scenario, checkTrace, defaultInvariants, defaultTopology, outputMatchesModel, requestFaultArb, runScenario, stepArb } from '../src/testing/index.js';
import * as bug1 from '../examples/bugs/commit-before-processing.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const scratch = mkdtempSync(join(tmpdir(), 'kafka-twin-faults-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (l) => out.push(l), { error: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const base = {
  brokers: 3,
  topics: [{ name: 'rides', partitions: 2, replicationFactor: 3 }],
  producers: [{ name: 'p', topic: 'rides', rate: 2 }],
  groups: [{ id: 'g', topics: ['rides'] }],
};

describe('fault injection: scenario scripts', () => {
  it('each fault step reads as a line of the file', () => {
    const { problems, scenario } = validateScenario({
      ...base,
      script: [
        { 'inject-fault': 'Produce', error: 'NOT_LEADER_OR_FOLLOWER', when: 'after', topic: 'rides', partition: 1, count: 2 },
        { pick: 'v', leaderOf: 'rides-0' },
        { 'inject-fault': 'JoinGroup', error: 'DISCONNECT', broker: 'v' },
        { 'set-latency': 'v', ms: '250ms' },
        { 'set-latency': 2, ms: 0 },
        { 'clear-faults': true },
      ],
    });
    expect(problems).to.deep.equal([]);
    expect((scenario as ScriptedScenario).script.map(String)).to.deep.equal([
      'inject-fault: Produce (NOT_LEADER_OR_FOLLOWER, after, rides-1, count 2)',
      'pick: v (leader of rides-0)',
      'inject-fault: JoinGroup (DISCONNECT, before, broker v, count 1)',
      'set-latency: v (250ms)',
      'set-latency: 2 (no delay)',
      'clear-faults',
    ]);
  });

  it('problems, each at its step and field', () => {
    const { problems } = validateScenario({
      ...base,
      script: [
        { 'inject-fault': 'Produse', error: 'NOT_LEADER_OR_FOLLOWER' },
        { 'inject-fault': 'Produce', error: 'NOPE' },
        { 'inject-fault': 'Produce', error: 'DISCONNECT', count: 0 },
        { 'inject-fault': 'Produce', error: 'DISCONNECT', partition: 1 },
        { 'inject-fault': 'Produce', error: 'DISCONNECT', broker: 4 },
        { 'inject-fault': 'Produce', error: 'DISCONNECT', topic: 'orders' },
        { 'inject-fault': 'Produce', error: 'DISCONNECT', when: 'later' },
        { 'inject-fault': 'Produce', error: 'DISCONNECT', retries: 1 },
        { 'set-latency': 1 },
        { 'set-latency': 'nobody', ms: 10 },
        { 'clear-faults': 'now' },
      ],
    });
    const at = (p: { path: string; message: string }) => `${p.path}: ${p.message}`;
    const lines = problems.map(at);
    expect(lines[0]).to.match(/^script\[0\]\.inject-fault: unknown api "Produse"; expected one of .*Produce/);
    expect(lines.slice(1)).to.deep.equal([
      `script[1].error: unknown error "NOPE"; expected a Kafka error name such as NOT_LEADER_OR_FOLLOWER, or 'DISCONNECT'`,
      'script[2].count: count must be a positive integer, got 0',
      'script[3].partition: partition needs a topic',
      'script[4].broker: must be a broker id from 1 to 3, or a name given by an earlier pick',
      'script[5].topic: unknown topic "orders" (not in topics)',
      "script[6].when: when must be 'before' or 'after', got \"later\"",
      'script[7].retries: unknown field (expected one of: inject-fault, error, count, broker, topic, partition, when)',
      'script[8].ms: is required: a duration (0 for none)',
      'script[9].set-latency: must be a broker id from 1 to 3, or a name given by an earlier pick',
      'script[10].clear-faults: takes no value (write `clear-faults: true`)',
    ]);
  });

  it('examples/scenarios/faults.yaml: a refused request is written once, a lost acknowledgement twice', async () => {
    const { code, out, err } = await run(['simulate', join(root, 'examples/scenarios/faults.yaml'), '--no-color']);
    expect(err).to.equal('');
    expect(code).to.equal(0);
    expect(out).to.match(/fault: Produce to rides-0 on broker \d refused with NOT_LEADER_OR_FOLLOWER, nothing applied\n2 sent, 2 delivered/);
    expect(out).to.match(/fault: Produce to rides-0 on broker \d answered NOT_LEADER_OR_FOLLOWER after applying \(lost acknowledgement\)\n2 sent, 4 delivered/);
    expect(out).to.match(/broker \d answers every request 3s late/);
    expect(out).to.match(/faults cleared \(0 pending fault\(s\), latency of broker \d\)/);
  });

  it('a timed run schedules request faults, latency and their clearing among its faults', async () => {
    const timed = { ...base, groups: [{ id: 'g', topics: ['rides'], members: [{ name: 'm', join: 0 }] }] };
    const { problems, scenario } = validateScenario({
      ...timed,
      duration: '1m',
      faults: [
        { at: '10s', 'inject-fault': 'Produce', error: 'NOT_LEADER_OR_FOLLOWER', when: 'after', topic: 'rides', partition: 0, broker: 2 },
        { at: '20s', 'set-latency': 1, ms: '100ms' },
        { at: '30s', 'clear-faults': true },
      ],
    });
    expect(problems).to.deep.equal([]);
    expect((scenario as { faults: unknown[] }).faults).to.deep.equal([
      { atMs: 10_000, action: 'inject-fault', options: { api: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER', when: 'after', topic: 'rides', partition: 0, broker: 2 } },
      { atMs: 20_000, action: 'set-latency', broker: 1, ms: 100 },
      { atMs: 30_000, action: 'clear-faults' },
    ]);
    const bad = validateScenario({
      ...timed,
      duration: '1m',
      faults: [
        { at: 0, 'inject-fault': 'Produce', error: 'DISCONNECT', broker: 9 },
        { at: 0, 'inject-fault': 'Produce', error: 'DISCONNECT', ms: 5 },
        { at: 0, 'set-latency': 1 },
        { at: 0, 'clear-faults': 1 },
        { at: 0, 'inject-fault': 'Produce', stop: 1 },
      ],
    }).problems.map((p) => `${p.path}: ${p.message}`);
    expect(bad).to.deep.equal([
      'faults[0].broker: must be a broker id from 1 to 3',
      'faults[1].ms: unknown field (expected one of: at, stop, start, isolate, heal, inject-fault, set-latency, clear-faults, reassign, error, count, broker, topic, partition, when)',
      'faults[2].ms: is required: a duration (0 for none)',
      'faults[3].clear-faults: takes no value (write `clear-faults: true`)',
      'faults[4]: must have exactly one of stop, start, isolate, heal (a broker id), inject-fault (an API), set-latency (a broker id), clear-faults, reassign (a partition)',
    ]);
    const input = { ...timed, duration: '30s', faults: [{ at: '10s', 'inject-fault': 'Produce', error: 'NOT_LEADER_OR_FOLLOWER', when: 'after' }] };
    const dir = mkdtempSync(join(scratch, 'timed-'));
    writeFileSync(join(dir, 'timed.json'), JSON.stringify(input));
    const { code, out, err } = await run(['simulate', join(dir, 'timed.json'), '--no-color']);
    expect(err).to.equal('');
    expect(code).to.equal(0);
    expect(out).to.match(/\[00:10\] fault injected: the next Produce: answered NOT_LEADER_OR_FOLLOWER after applying \(lost acknowledgement\)/);
    expect(out).to.match(/\[00:1\d\] fault: Produce on broker \d answered NOT_LEADER_OR_FOLLOWER after applying/);
  });

  it('kafka-twin/testing: a request fault step; a lost produce acknowledgement duplicates an input record, and the invariants still hold', async () => {
    const lost = new RequestFaultStep({ api: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER', when: 'after' });
    expect(String(lost)).to.equal('the next Produce answer NOT_LEADER_OR_FOLLOWER after being applied');
    expect(String(new RequestFaultStep({ api: 'OffsetCommit', error: 'DISCONNECT', count: 2 }))).to.equal('the next 2 OffsetCommit requests lose their connection without being applied');
    const scenario = new Scenario(defaultTopology(), 1, [
      new ProduceStep([{ key: 'k0', value: '1' }]),
      lost,
      new ProduceStep([{ key: 'k1', value: '2' }]),
      new RequestFaultStep({ api: 'OffsetCommit', error: 'NOT_COORDINATOR', count: 2, when: 'after' }),
      new RequestFaultStep({ api: 'Heartbeat', error: 'DISCONNECT' }),
      new AdvanceStep(5000),
      new RequestFaultStep({ api: 'OffsetFetch', error: 'COORDINATOR_NOT_AVAILABLE', count: 3 }),
    ]);
    const trace = await runScenario({ processor: bug1.fixed, scenario });
    expect(trace.inputs.map((r) => r.value).sort()).to.deep.equal(['1', '2', '2']);
    expect(checkTrace(trace, [...defaultInvariants, outputMatchesModel(bug1.model)])).to.deep.equal([]);
    expect(trace.events.filter((e) => e.type === 'fault-fired').length).to.be.at.least(2);
    // Off by default: the default weights draw no request fault, so existing seeds draw what they drew.
    const drawn = fc.sample(stepArb(), { seed: 42, numRuns: 200 });
    expect(drawn.some((step) => step instanceof RequestFaultStep)).to.equal(false);
    const faulty = fc.sample(stepArb({ weights: { requestFaults: 5 } }), { seed: 42, numRuns: 200 });
    expect(faulty.some((step) => step instanceof RequestFaultStep)).to.equal(true);
    expect(fc.sample(requestFaultArb(), { seed: 1, numRuns: 50 }).every((step) => step.options.count! >= 1 && step.options.count! <= 3)).to.equal(true);
  });

  it('the timeline words every fault event', () => {
    const e = (x: object) => ({ seq: 0, time: 0, ...x }) as ClusterEvent;
    const injected = { type: 'fault-injected', fault: 1, api: 'Fetch', error: 'DISCONNECT', when: 'before', count: 3, broker: 2, topic: 't', partition: null };
    expect(describeEvent(e(injected))).to.equal('fault injected: the next 3 Fetch requests to t on broker 2: connection closed before applying');
    expect(describeEvent(e({ ...injected, type: 'fault-fired', when: 'after', remaining: 2, partition: 4 }))).to.equal(
      'fault: Fetch to t-4 on broker 2 applied, then the connection closed (lost acknowledgement)',
    );
    expect(describeEvent(e({ type: 'latency-set', broker: 1, ms: 0 }))).to.equal('broker 1 answers without delay again');
    expect(describeEvent(e({ type: 'faults-cleared', faults: 2, latencies: [] }))).to.equal('faults cleared (2 pending fault(s))');
  });
});
