/**
 * Scripted scenarios (the demo's form): the built-in demo as a file, every kind of step running,
 * and every problem a script can have, with its location.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordFor } from '../../src/cli/clients.js';
import { main } from '../../src/cli/main.js';
import { validateScenario, type ScriptedScenario } from '../../src/cli/scenario.js';
import { simulate } from '../../src/cli/simulate.js';

// Compiled to dist/test/cli/; the repository root is three levels up.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (l) => out.push(l), { error: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const scratch = mkdtempSync(join(tmpdir(), 'kafka-twin-script-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function file(content: unknown, name = 'script.json'): string {
  const dir = mkdtempSync(join(scratch, 's-'));
  writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  return join(dir, name);
}

function scripted(input: unknown): ScriptedScenario {
  const { problems, scenario } = validateScenario(input);
  expect(problems).to.deep.equal([]);
  return scenario as ScriptedScenario;
}

const base = {
  brokers: 3,
  topics: [
    { name: 'a', partitions: 2, replicationFactor: 2 },
    { name: 'b', partitions: 1, replicationFactor: 3 },
  ],
  producers: [
    { name: 'pa', topic: 'a', rate: 2 },
    { name: 'pb', topic: 'b', rate: 0.5, keys: 0, acks: 1 },
  ],
  groups: [
    { id: 'g1', topics: ['a'] },
    { id: 'g2', topics: ['b'], sessionTimeout: '10s', fromBeginning: false },
  ],
};

const everyStep = [
  { section: 'two groups' },
  { join: 'm1', group: 'g1' },
  { join: 'm2', group: 'g2' },
  { mark: 'start' },
  { send: '5s', producer: 'pa' },
  { send: '4s', producer: 'pb' },
  { wait: 'idle' },
  { say: '{sent} sent, {delivered} delivered, {delivered since start} since start, {sent since start} sent since start' },
  { pick: 'lb', leaderOf: 'b-0' },
  { say: 'b-0 is led by broker {lb}' },
  { isolate: 'lb' },
  { wait: '1s' },
  { heal: 'lb' },
  { crash: 'm2' },
  { wait: '15s' },
  { partitions: 'a' },
  { lag: 'g1' },
  { committed: 'g1' },
  { leave: ['m1'] },
  { stop: 1 },
  { start: 1 },
  { say: '{events} events' },
];

describe('kafka-twin simulate: scripts', () => {
  it('the built-in demo is examples/scenarios/demo.yaml: simulating the file prints what demo prints', async () => {
    const [demo, simulated] = [await run(['demo', '--seed', '3']), await run(['simulate', join(root, 'examples/scenarios/demo.yaml'), '--seed', '3'])];
    expect(simulated.code, simulated.err).to.equal(0);
    expect(simulated.out).to.equal(demo.out);
  });

  it('runs every kind of step, in order, each finished before the next', async () => {
    const lines: string[] = [];
    const result = await simulate({ scenario: scripted({ ...base, script: everyStep }), write: (l) => lines.push(l) });
    const text = lines.join('\n');
    // Topics no step creates exist before the first step.
    expect(lines.slice(0, 4)).to.deep.equal(['[00:00] topic a created: 2 partitions x 2 replicas', '[00:00] topic b created: 1 partitions x 3 replicas', '', '== two groups']);
    expect(text).to.contain('topic __consumer_offsets created');
    // pa: 2 a second for 5 s; pb: one every other second for 4 s, after pa.
    expect(text).to.match(/\n12 sent, 12 delivered, 12 since start, 12 sent since start\n/);
    expect(text).to.match(/\nb-0 is led by broker [123]\n/);
    expect(text).to.match(/broker [123] cut off from the network[\s\S]*broker [123] back on the network/);
    expect(text).to.contain('m2 removed from group g2 (session-timeout)');
    expect(text).to.match(/\n {2}partition {2}leader {2}replicas {2}isr {5}log start {2}high watermark\n {2}0 /);
    expect(text).to.match(/\n {2}a-\d: committed offset \d+, lag 0\n/);
    expect(text).to.match(/\n {2}a-\d: committed offset \d+, high watermark \d+\n/);
    expect(text).to.contain('m1 left group g1');
    expect(text).to.match(/broker 1 stopped[\s\S]*broker 1 started/);
    expect(lines[lines.length - 1]).to.equal(`${result.events.length} events`);
    expect(result.producers).to.deep.equal([]);
    const again: string[] = [];
    await simulate({ scenario: scripted({ ...base, script: everyStep }), write: (l) => again.push(l) });
    expect(again).to.deep.equal(lines);
  });

  it('brokerIds [0, 1, 2]: picked leaders, faults and the partition table use those ids; an id the cluster lacks is a problem', async () => {
    const lines: string[] = [];
    const script = [{ pick: 'lb', leaderOf: 'b-0' }, { say: 'b-0 is led by broker {lb}' }, { stop: 0 }, { wait: '1s' }, { partitions: 'b' }, { start: 0 }];
    await simulate({ scenario: scripted({ ...base, brokerIds: [0, 1, 2], script }), write: (l) => lines.push(l) });
    const text = lines.join('\n');
    expect(text).to.match(/\nb-0 is led by broker [012]\n/);
    expect(text).to.match(/broker 0 stopped[\s\S]*broker 0 started/);
    // The table's one row: partition 0, its leader, then replicas (broker 0 is stopped: never the leader).
    expect(text).to.match(/\n {2}0 +[12] +\[[012],[012],[012]\] +\[[12],[12]\] /);
    const { problems } = validateScenario({ ...base, brokerIds: [0, 1, 2], script: [{ stop: 3 }] });
    expect(problems.map((p) => `${p.path}: ${p.message}`)).to.deep.equal(['script[0].stop: must be a broker id from 0 to 2, or a name given by an earlier pick']);
  });

  it('each step reads as a line of the file', () => {
    const steps = scripted({ ...base, topics: [...base.topics, { name: 'c', partitions: 1 }], script: [{ create: 'c' }, { connect: 'pb' }, ...everyStep] }).script;
    expect(steps.map(String)).to.deep.equal([
      'create: c',
      'connect: pb',
      'section: two groups',
      'join: m1 (group g1)',
      'join: m2 (group g2)',
      'mark: start',
      'send: 5s (producer pa)',
      'send: 4s (producer pb)',
      'wait: idle',
      'say: {sent} sent, {delivered} delivered, {delivered since start} since start, {sent since start} sent since start',
      'pick: lb (leader of b-0)',
      'say: b-0 is led by broker {lb}',
      'isolate: lb',
      'wait: 1s',
      'heal: lb',
      'crash: m2',
      'wait: 15s',
      'partitions: a',
      'lag: g1',
      'committed: g1',
      'leave: m1',
      'stop: 1',
      'start: 1',
      'say: {events} events',
    ]);
  });

  it("log prints the leader's segments and records; tombstone writes a null value; a log with no leader says so", async () => {
    const scenario = scripted({
      brokers: 1,
      topics: [{ name: 't', partitions: 1, config: { 'cleanup.policy': 'compact', 'segment.bytes': 200 } }],
      producers: [{ name: 'p', topic: 't', rate: 2, key: 'k{seq % 2}', value: 'v{seq}' }],
      script: [{ send: '2s' }, { tombstone: 'k0' }, { log: 't-0' }, { stop: 1 }, { log: 't-0' }],
    });
    const lines: string[] = [];
    await simulate({ scenario, write: (l) => lines.push(l) });
    // Two sends of 2 records, 166 bytes: a third batch would pass segment.bytes, so the tombstone opens a segment.
    expect(lines.slice(1, 7)).to.deep.equal([
      '  t-0 on broker 1 (the leader): offsets [0, 5), 5 record(s), 236 B in 2 segment(s)',
      '    segment [0, 4): 4 record(s), 166 B',
      '      0 k0=v0  1 k1=v1  2 k0=v2  3 k1=v3',
      '    segment [4, 5), active: 1 record(s), 70 B',
      '      4 k0 (tombstone)',
      '[00:02] broker 1 stopped',
    ]);
    expect(lines[lines.length - 1]).to.equal('  t-0 has no leader: its log cannot be read');
    expect(scenario.script.map(String)).to.deep.equal(['send: 2s (producer p)', 'tombstone: k0 (producer p)', 'log: t-0', 'stop: 1', 'log: t-0']);
  });

  it('a step that fails names itself', async () => {
    const scenario = scripted({ brokers: 1, topics: [{ name: 't', partitions: 1 }], script: [{ stop: 1 }, { pick: 'v', leaderOf: 't-0' }] });
    let failure: Error | undefined;
    await simulate({ scenario, write: () => undefined }).catch((e: Error) => (failure = e));
    expect(failure?.message).to.equal('script[1] (pick: v (leader of t-0)) failed: pick v: t-0 has no leader');
  });

  it('producer patterns: key and value with {seq}, other braces as text; otherwise key-N and name#seq', () => {
    const [patterned, plain] = scripted({
      brokers: 1,
      topics: [{ name: 't', partitions: 1 }],
      producers: [
        { name: 'p', topic: 't', rate: 1, key: 'k-{seq}', value: '{"n":{seq}}' },
        { name: 'q', topic: 't', rate: 1, keys: 3 },
      ],
      script: [{ send: '1s', producer: 'p' }],
    }).producers;
    expect(recordFor(patterned!, 7)).to.deep.equal({ key: 'k-7', value: '{"n":7}' });
    expect(recordFor({ ...patterned!, key: 'user-{seq % 3}', value: 'v{seq}/{seq %10}' }, 7)).to.deep.equal({ key: 'user-1', value: 'v7/7' });
    expect(recordFor(plain!, 7)).to.deep.equal({ key: 'key-1', value: 'q#7' });
    expect(recordFor({ ...plain!, keys: 0 }, 7)).to.deep.equal({ key: null, value: 'q#7' });
  });

  describe('problems, each with its location', () => {
    async function problems(content: unknown, name?: string): Promise<string[]> {
      const { code, out, err } = await run(['simulate', file(content, name)]);
      expect(code, err).to.equal(2);
      expect(out).to.equal('');
      return err.split('\n').slice(0, -1);
    }

    it('fields of timed runs', async () => {
      const p = await problems({
        ...base,
        duration: '1m',
        statusEvery: '1m',
        faults: [],
        producers: [{ name: 'p', topic: 'a', rate: 1, from: '1s' }],
        groups: [{ id: 'g', topics: ['a'], members: [] }],
        script: [{ wait: '1s' }],
      });
      expect(p).to.deep.equal([
        'script.json: duration: unknown field (expected one of: name, description, seed, brokers, brokerIds, config, tick, topics, producers, groups, script)',
        'script.json: statusEvery: unknown field (expected one of: name, description, seed, brokers, brokerIds, config, tick, topics, producers, groups, script)',
        'script.json: faults: unknown field (expected one of: name, description, seed, brokers, brokerIds, config, tick, topics, producers, groups, script)',
        'script.json: producers[0].from: unknown field (expected one of: name, topic, rate, keys, key, value, acks, idempotent, transactionalId, transactionTimeout)',
        'script.json: groups[0].members: unknown field (expected one of: id, topics, fromBeginning, sessionTimeout, readUncommitted)',
      ]);
    });

    it('record patterns are for scripts, one of keys and key, {seq} only', async () => {
      const timed = await problems({ brokers: 1, duration: '1m', topics: [{ name: 't', partitions: 1 }], producers: [{ name: 'p', topic: 't', rate: 1, key: 'k' }] });
      expect(timed).to.deep.equal(['script.json: producers[0].key: unknown field (expected one of: name, topic, rate, keys, acks, from, until)']);
      const p = await problems({
        brokers: 1,
        topics: [{ name: 't', partitions: 1 }],
        producers: [{ name: 'p', topic: 't', rate: 1, keys: 3, key: 'k-{sq}', value: 7 }],
        script: [{ send: '1s' }],
      });
      expect(p).to.deep.equal([
        'script.json: producers[0]: has both keys and key: keys numbers the keys, key is a pattern',
        'script.json: producers[0].key: unknown placeholder {sq} (only {seq}, the record number, and {seq % N})',
        'script.json: producers[0].value: must be a string, with {seq} for the record number',
      ]);
    });

    it('{seq % N}: N must be a positive integer', async () => {
      const p = await problems({
        brokers: 1,
        topics: [{ name: 't', partitions: 1 }],
        producers: [{ name: 'p', topic: 't', rate: 1, key: 'k-{seq % 0}' }],
        script: [{ send: '1s' }],
      });
      expect(p).to.deep.equal(['script.json: producers[0].key: {seq % 0}: N must be a positive integer']);
    });

    it('tombstone and log steps: a key, a producer, and a partition of a topic that exists', async () => {
      const p = await problems({
        ...base,
        topics: [...base.topics, { name: 'c', partitions: 1 }],
        script: [
          { tombstone: 'k' },
          { tombstone: '', producer: 'pa' },
          { tombstone: 7, producer: 'pa' },
          { tombstone: 'k', producer: 'nobody' },
          { log: 'a' },
          { log: 'a-2' },
          { log: 'zz-0' },
          { log: 'c-0' },
          { create: 'c' },
          { log: 'c-0', producer: 'pa' },
        ],
      });
      expect(p).to.deep.equal([
        'script.json: script[0].producer: is required: there are 2 producers',
        'script.json: script[1].tombstone: must be the key of the record to delete, a non-empty string',
        'script.json: script[2].tombstone: must be the key of the record to delete, a non-empty string',
        'script.json: script[3].producer: unknown producer "nobody" (not in producers)',
        'script.json: script[4].log: must be a partition: a topic name, a dash and its number, like "orders-0"',
        "script.json: script[5].log: topic 'a' has 2 partition(s), numbered from 0",
        'script.json: script[6].log: unknown topic "zz" (not in topics)',
        "script.json: script[7].log: topic 'c' does not exist yet at this step (a later step creates it)",
        'script.json: script[9].producer: unknown field (expected one of: log)',
      ]);
    });

    it('steps: their shape, what they name, and what the steps before them set up', async () => {
      const p = await problems({
        ...base,
        topics: [...base.topics, { name: 'c', partitions: 1 }],
        producers: [...base.producers, { name: 'pc', topic: 'c', rate: 1 }],
        groups: [...base.groups, { id: 'g3', topics: ['c'] }],
        script: [
          'idle',
          { wait: 'idle', say: 'x' },
          { wait: 'soon' },
          { send: '1s' },
          { send: '1500ms', producer: 'pa' },
          { send: '1s', producer: 'pc' },
          { partitions: 'c' },
          { join: 'x', group: 'g3' },
          { create: 'c' },
          { create: 'c' },
          { create: 'd' },
          { join: 'm1' },
          { join: 'm1', group: 'g1' },
          { join: 'm1', group: 'g1' },
          { leave: ['m1', 'm2'] },
          { crash: 'm1' },
          { say: '{nope} {sent since never} {events since x}' },
          { stop: 4 },
          { heal: 'nobody' },
          { pick: 'sent', leaderOf: 'a-0' },
          { pick: 'v' },
          { pick: 'w', leaderOf: 'a-2' },
          { pick: 'w', leaderOf: 'zz-0' },
          { lag: 'g9' },
          { mark: 'not a name' },
          { section: 3 },
          { connect: 'p9' },
        ],
      });
      const actions = 'section, say, create, partitions, connect, send, tombstone, log, begin, commit, abort, join, leave, crash, pick, stop, start, isolate, heal, inject-fault, set-latency, clear-faults, wait, committed, lag, mark';
      expect(p).to.deep.equal([
        `script.json: script[0]: must have exactly one action: ${actions}`,
        `script.json: script[1]: must have exactly one action: ${actions}`,
        'script.json: script[2].wait: must be a duration more than 0, or "idle" (until every consumer has settled and caught up)',
        'script.json: script[3].producer: is required: there are 3 producers',
        'script.json: script[4].send: must be a duration of whole ticks, more than 0 (tick is 1s)',
        "script.json: script[5].producer: topic 'c' does not exist yet at this step (a later step creates it)",
        "script.json: script[6].partitions: topic 'c' does not exist yet at this step (a later step creates it)",
        "script.json: script[7].join: topic 'c' does not exist yet at this step (a later step creates it)",
        "script.json: script[9].create: topic 'c' exists already at this step",
        'script.json: script[10].create: unknown topic "d" (not in topics)',
        'script.json: script[11].group: is required: there are 3 groups',
        "script.json: script[13].join: member 'm1' is already running",
        'script.json: script[14].leave[1]: member "m2" is not running at this step',
        'script.json: script[15].crash: member "m1" is not running at this step',
        'script.json: script[16].say: unknown placeholder {nope} (expected {sent}, {delivered}, {events}, {sent since <mark>}, {delivered since <mark>} with an earlier mark, {delivered to <group>}, or a broker named by an earlier pick)',
        'script.json: script[16].say: unknown placeholder {sent since never} (expected {sent}, {delivered}, {events}, {sent since <mark>}, {delivered since <mark>} with an earlier mark, {delivered to <group>}, or a broker named by an earlier pick)',
        'script.json: script[16].say: unknown placeholder {events since x} (expected {sent}, {delivered}, {events}, {sent since <mark>}, {delivered since <mark>} with an earlier mark, {delivered to <group>}, or a broker named by an earlier pick)',
        'script.json: script[17].stop: must be a broker id from 1 to 3, or a name given by an earlier pick',
        'script.json: script[18].heal: must be a broker id from 1 to 3, or a name given by an earlier pick',
        "script.json: script[19].pick: 'sent' is a counter's name",
        'script.json: script[20].leaderOf: is required: the partition whose leader it names, like "orders-0"',
        "script.json: script[21].leaderOf: topic 'a' has 2 partition(s)",
        'script.json: script[22].leaderOf: unknown topic "zz" (not in topics)',
        'script.json: script[23].lag: unknown group "g9" (not in groups)',
        'script.json: script[24].mark: must be a name: letters, digits, ".", "_" and "-"',
        'script.json: script[25].section: must be a string',
        'script.json: script[26].connect: unknown producer "p9" (not in producers)',
      ]);
    });

    it('an empty script, and a YAML script: problems at their line and column', async () => {
      expect(await problems({ ...base, script: [] })).to.deep.equal(['script.json: script: must be a non-empty array of steps']);
      const yaml = ['brokers: 1', 'topics: [{ name: t, partitions: 1 }]', 'script:', '  - wait: soon', '  - leave: x', '  - { pick: v, leaderOf: t }', ''].join('\n');
      expect(await problems(yaml, 'script.yaml')).to.deep.equal([
        'script.yaml:4:11: script[0].wait: must be a duration more than 0, or "idle" (until every consumer has settled and caught up)',
        'script.yaml:5:12: script[1].leave: member "x" is not running at this step',
        'script.yaml:6:26: script[2].leaderOf: is required: the partition whose leader it names, like "orders-0"',
      ]);
    });
  });
});
