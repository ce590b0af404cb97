/**
 * `kafka-twin simulate`: the example scenarios against their golden timelines, the outputs
 * (--seed, --json, --html, colour, progress), and every problem a bad scenario file can have.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as stringifyYaml } from 'yaml';
import { main, type CliIo } from '../../src/cli/main.js';
import { parseDuration, validateScenario } from '../../src/cli/scenario.js';

// Compiled to dist/test/cli/; the repository root is three levels up.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const examples = join(root, 'examples/scenarios');
const golden = join(root, 'test/cli/golden');
const update = process.env.UPDATE_GOLDEN === '1';

async function run(argv: string[], io: CliIo = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (l) => out.push(l), { error: (l) => err.push(l), ...io });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Compares with test/cli/golden/<name>; UPDATE_GOLDEN=1 rewrites the file instead. */
function expectGolden(name: string, actual: string): void {
  const file = join(golden, name);
  if (update || !existsSync(file)) {
    mkdirSync(golden, { recursive: true });
    writeFileSync(file, `${actual}\n`);
    if (!update) throw new Error(`golden file ${name} was missing and has been written; check it in and run again`);
    return;
  }
  expect(actual, `differs from test/cli/golden/${name} (UPDATE_GOLDEN=1 regenerates)`).to.equal(readFileSync(file, 'utf8').replace(/\n$/, ''));
}

/** A minimal XML well-formedness check: tags balance and nest, attributes are quoted. */
function expectWellFormed(markup: string): void {
  const body = markup.replace(/^<!DOCTYPE html>\s*/, '');
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<!--[\s\S]*?-->|<|&(?!(?:amp|lt|gt|quot|#39);)/g;
  for (const m of body.matchAll(tag)) {
    if (m[0].startsWith('<!--')) continue;
    if (m[2] === undefined) throw new Error(`stray '${m[0]}' at ${m.index}: ${body.slice(m.index!, m.index! + 60)}`);
    if (m[4] === '/') continue;
    if (m[1] === '/') {
      const open = stack.pop();
      if (open !== m[2]) throw new Error(`</${m[2]}> closes <${open}> at ${m.index}`);
    } else stack.push(m[2]);
  }
  expect(stack, 'unclosed elements').to.deep.equal([]);
}

const scratch = mkdtempSync(join(tmpdir(), 'kafka-twin-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes a scenario under a fixed name, so messages are stable. */
function scenarioFile(content: unknown, name = 'scenario.json'): string {
  const dir = mkdtempSync(join(scratch, 's-'));
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const valid = {
  brokers: 3,
  duration: '1m',
  topics: [{ name: 'orders', partitions: 3, replicationFactor: 2 }],
  producers: [{ name: 'p', topic: 'orders', rate: 5 }],
  groups: [{ id: 'g', topics: ['orders'], members: [{ name: 'a', join: 0 }] }],
  faults: [{ at: '30s', stop: 1 }],
};

describe('kafka-twin simulate', () => {
  describe('example scenarios (golden files)', () => {
    const files = readdirSync(examples)
      .filter((f) => f.endsWith('.json'))
      .sort();

    it('has the three teaching scenarios', () => {
      expect(files).to.deep.equal(['acks-unclean-election.json', 'idle-consumers.json', 'retention-lagging-consumer.json']);
    });

    it('every example file is one these specs run (demo.yaml in script.spec, faults.yaml in faults-scenario.spec, reassignment.yaml in reassignment.spec, exactly-once.yaml in exactly-once.spec)', () => {
      const all = readdirSync(examples).filter((f) => /\.(json|ya?ml)$/.test(f));
      expect(all.sort()).to.deep.equal([...files, 'compaction.yaml', 'demo.yaml', 'exactly-once.yaml', 'faults.yaml', 'reassignment.yaml'].sort());
    });

    it('compaction.yaml: prints the golden timeline; the log before and after cleanings, a tombstone gone only after its horizon', async () => {
      const { code, out, err } = await run(['simulate', join(examples, 'compaction.yaml')]);
      expect(err).to.equal('');
      expect(code).to.equal(0);
      expectGolden('compaction.txt', out);
      // Before: 60 records in the active segment, which the cleaner never touches.
      expect(out).to.contain('  profiles-0 on broker 3 (the leader): offsets [0, 60), 60 record(s), 2.7 KiB in 1 segment(s)\n    segment [0, 60), active: 60 record(s)');
      // Each broker cleans its own replica: the last profile per user stays, at its old offset.
      for (const b of [1, 2, 3]) expect(out).to.contain(`[01:30] profiles-0 cleaned on broker ${b}: 60 → 10 records, 2.3 KiB freed\n`);
      expect(out).to.contain('    segment [0, 60): 10 record(s), 465 B\n      50 user-0=v50  51 user-1=v51');
      // The tombstone removes user-3's profile at once and stays itself...
      expect(out).to.match(/\[02:30\] profiles-0 cleaned on broker 1: 21 → 10 records, 481 B freed\n/);
      expect(out).to.contain('    segment [0, 71): 10 record(s), 523 B\n      60 user-0=v60          61 user-1=v61          62 user-2=v62          64 user-4=v64\n');
      expect(out).to.contain('      69 user-9=v69          70 user-3 (tombstone)\n');
      // ...past its horizon (03:30) while nothing is dirty, and goes with the next cleaning.
      const [beforeLast, afterLast] = out.split('[03:45] profiles-0 cleaned on broker 1: 20 → 9 records, 532 B freed, 1 tombstone(s) removed');
      expect(afterLast, 'the cleaning at 03:45 removes the tombstone').to.be.a('string');
      expect(beforeLast!.slice(beforeLast!.lastIndexOf('nothing new to clean'))).to.contain('70 user-3 (tombstone)');
      expect(afterLast).not.to.contain('tombstone)');
      expect(out).to.contain('19 records delivered to cache-1, out of 91 sent');
    });

    for (const f of ['acks-unclean-election.json', 'idle-consumers.json', 'retention-lagging-consumer.json']) {
      it(`${f}: prints the golden timeline`, async () => {
        const { code, out, err } = await run(['simulate', join(examples, f)]);
        expect(err).to.equal('');
        expect(code).to.equal(0);
        expectGolden(f.replace(/\.json$/, '.txt'), out);
      });
    }

    it('the same scenarios written as YAML print the same timelines', async () => {
      for (const f of files) {
        const yamlFile = scenarioFile(stringifyYaml(JSON.parse(readFileSync(join(examples, f), 'utf8'))), f.replace(/\.json$/, '.yaml'));
        const [fromYaml, fromJson] = [await run(['simulate', yamlFile]), await run(['simulate', join(examples, f)])];
        expect(fromYaml.code, fromYaml.err).to.equal(0);
        expect(fromYaml.out, f).to.equal(fromJson.out);
      }
    });

    it('idle-consumers: members beyond the partition count are idle until one leaves or crashes', async () => {
      const { out } = await run(['simulate', join(examples, 'idle-consumers.json')]);
      expect(out).to.match(/generation 5:\n(.*\n){3}    billing-4 +\(idle[^\n]*\n    billing-5 +\(idle/);
      expect(out).to.contain('billing-3 removed from group billing (session-timeout)');
      expect(out).to.match(/generation 7:\n(    billing-\d +orders-\d\n){3}/);
      expect(out).to.contain('0 acknowledged record(s) never processed');
    });

    it('acks-unclean-election: acks=1 loses acknowledged records, acks=all loses none', async () => {
      const { out } = await run(['simulate', join(examples, 'acks-unclean-election.json')]);
      expect(out).to.match(/unclean election/);
      expect(out).to.match(/producer fast-writer \(acks=1\)[^\n]*\n +acknowledged and later lost: [1-9]\d*/);
      expect(out).to.match(/producer safe-writer \(acks=all\)[^\n]*NOT_ENOUGH_REPLICAS[^\n]*\n +acknowledged and later lost: 0\n/);
    });

    it('retention-lagging-consumer: the lagging group never sees what retention deleted', async () => {
      const { out } = await run(['simulate', join(examples, 'retention-lagging-consumer.json')]);
      expect(out).to.match(/deleted \d+ segment\(s\), offsets \[0, \d+\), by retention\.ms/);
      expect(out).to.contain('group live: 6000 distinct record(s) processed');
      expect(out).to.match(/group reports: \d+ distinct record\(s\) processed[^\n]*; [1-9]\d* acknowledged record\(s\) never processed/);
    });
  });

  it('demo: prints the golden timeline', async () => {
    const { code, out } = await run(['demo']);
    expect(code).to.equal(0);
    expectGolden('demo.txt', out);
  });

  describe('outputs', () => {
    const file = join(examples, 'acks-unclean-election.json');

    it('is byte-identical for the same scenario and seed, and --seed changes the cluster', async () => {
      const a = await run(['simulate', file, '--seed', '7']);
      const b = await run(['simulate', file, '--seed', '7']);
      const c = await run(['simulate', file]);
      expect(a.out).to.equal(b.out);
      expect(a.out).to.contain('(seed 7)');
      expect(c.out).to.contain('(seed 1)');
    });

    it('--json prints the raw event log as a JSON array, one event a line, deterministically', async () => {
      const a = await run(['simulate', file, '--json']);
      const b = await run(['simulate', file, '--json']);
      expect(a.code).to.equal(0);
      expect(a.out).to.equal(b.out);
      const events = JSON.parse(a.out) as { seq: number; time: number; type: string }[];
      expect(events.map((e) => e.seq)).to.deep.equal(events.map((_, i) => i));
      expect(events.map((e) => e.type)).to.include.members(['broker-stopped', 'leader-changed', 'high-watermark-decreased', 'log-truncated']);
      expect(a.out.split('\n')).to.have.length(events.length + 2);
    });

    it('colours only when asked: io.color (a TTY without NO_COLOR) or --color; --no-color wins', async () => {
      const plain = await run(['simulate', file]);
      expect(plain.out).not.to.contain('\x1b[');
      const tty = await run(['simulate', file], { color: true });
      expect(tty.out).to.contain('\x1b[31;1m');
      expect(tty.out.replace(/\x1b\[[0-9;]*m/g, '')).to.equal(plain.out);
      expect((await run(['simulate', file, '--color'])).out).to.contain('\x1b[');
      expect((await run(['simulate', file, '--no-color'], { color: true })).out).not.to.contain('\x1b[');
    });

    it('reports progress as a fraction of virtual time when a progress sink is given', async () => {
      const seen: number[] = [];
      await run(['simulate', file], { progress: (f) => seen.push(f) });
      expect(seen[0]).to.equal(0);
      expect(seen[seen.length - 1]).to.equal(1);
      expect(seen).to.deep.equal([...seen].sort((x, y) => x - y));
    });

    it('--html writes one well-formed, self-contained page with the SVG timeline', async () => {
      const out = join(scratch, 'idle.html');
      const { code, err } = await run(['simulate', join(examples, 'idle-consumers.json'), '--html', out]);
      expect(code).to.equal(0);
      expect(err).to.contain(`wrote ${out}`);
      const html = readFileSync(out, 'utf8');
      expectWellFormed(html);
      expect(html).to.match(/^<!DOCTYPE html>\n<html lang="en">/);
      expect(html).not.to.match(/<script|<link|src="http/);
      const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>') + 6);
      expect(svg).to.match(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" id="timeline"/);
      for (const p of [0, 1, 2]) {
        expect(svg).to.contain(`data-lane="partition orders-${p}"`);
        expect(svg).to.contain(`data-lane="owner billing orders-${p}"`);
      }
      expect(svg.match(/class="seg leader"/g)?.length).to.be.at.least(3);
      expect(svg.match(/class="seg isr-full"/g)?.length).to.be.at.least(3);
      expect(svg).to.match(/<rect class="seg owner"[^>]*><title>billing: orders-\d owned by billing-4 in generation \d/);
      expect(svg).to.match(/data-lane="owner billing orders-2">[\s\S]*?<\/g>\n<g class="lane" data-lane="idle billing">/);
      expect(svg).to.match(/<rect class="seg idle"[^>]*><title>billing: idle in generation 5 \(00:41-01:20\): billing-4, billing-5<\/title>/);
      expect(svg).to.contain('>00:00</text>');
      expect(svg).to.contain('>03:00</text>');
      expect(html).to.contain('billing-4    (idle: more instances than partitions)');
      const again = join(scratch, 'idle-again.html');
      await run(['simulate', join(examples, 'idle-consumers.json'), '--html', again, '--color']);
      expect(readFileSync(again, 'utf8'), 'no colour codes, same bytes').to.equal(html);
    });

    it('--html is well-formed for every example, with one section per group', async () => {
      for (const f of ['acks-unclean-election', 'idle-consumers', 'retention-lagging-consumer']) {
        const out = join(scratch, `${f}.html`);
        expect((await run(['simulate', join(examples, `${f}.json`), '--html', out])).code).to.equal(0);
        const html = readFileSync(out, 'utf8');
        expectWellFormed(html);
        expect(html.match(/<svg [^>]*id="timeline"/g), f).to.have.length(1);
      }
      const html = readFileSync(join(scratch, 'retention-lagging-consumer.html'), 'utf8');
      // Each retention pass is marked on its partition, saying where the log start offset went.
      const passes = [...html.matchAll(/<path class="retention"[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1]);
      expect(passes.length).to.be.at.least(10);
      expect(passes[0]).to.match(/^clicks-\d: retention deleted offsets \[0, \d+\) at \d\d:\d\d; log start offset now \d+$/);
      expect(html).to.contain('retention deleted old segments: the log start offset moved');
      const sections = [...html.matchAll(/<text class="section"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
      expect(sections).to.deep.equal(['Leader (and ISR below) per partition', 'Log size per partition (the leader: records, bytes)', 'Group live: owner per partition', 'Group reports: owner per partition']);
      // Retention shows on the log-size lanes too: a triangle per pass, the area dropping at each.
      expect(html.match(/data-lane="log clicks-\d"/g)).to.have.length(2);
      expect(html).to.match(/data-lane="log clicks-0">[\s\S]*?<path class="retention"[^>]*><title>clicks-0: retention deleted offsets \[0, \d+\)/);
    });

    it('demo takes --json, --html and colour too, with the same timeline', async () => {
      const plain = await run(['demo']);
      const json = await run(['demo', '--json']);
      const events = JSON.parse(json.out) as { type: string; groupId?: string }[];
      expect(events.filter((e) => e.type === 'group-assignment' && e.groupId === 'dashboards')).to.have.length(6);
      expect(json.out).not.to.contain('== ');
      const coloured = await run(['demo', '--color']);
      expect(coloured.out).to.contain('\x1b[1m== Broker');
      expect(coloured.out.replace(/\x1b\[[0-9;]*m/g, '')).to.equal(plain.out);
      expect((await run(['demo'], { color: true })).out).to.equal(coloured.out);
      const out = join(scratch, 'demo.html');
      const page = await run(['demo', '--color', '--html', out]);
      expect(page.err).to.equal(`kafka-twin demo: wrote ${out}`);
      expect(page.out).to.equal(coloured.out);
      const html = readFileSync(out, 'utf8');
      expectWellFormed(html);
      expect(html).not.to.contain('\x1b');
      expect(html).to.contain('<h1>kafka-twin demo</h1>');
      expect(html).to.contain('Seed 1; 8m28s of virtual time.');
      expect(html).to.contain(plain.out.split('\n').slice(3, 6).join('\n'));
      // Broker 3's stop moves the group's coordinator; the members keep their partitions through it.
      expect(html).to.match(/<title>dashboards: rides-0 owned by instance-4 in generation 5, 01:00-03:35<\/title>/);
      const again = join(scratch, 'demo-7.html');
      await run(['demo', '--seed', '7', '--html', again]);
      expect(readFileSync(again, 'utf8')).to.contain('Seed 7;');
    });

    it('--html: a legend per section, a mark per generation, colours that mean one thing', async () => {
      const out = join(scratch, 'idle-legend.html');
      await run(['simulate', join(examples, 'idle-consumers.json'), '--html', out]);
      const html = readFileSync(out, 'utf8');
      const legends = [...html.matchAll(/<p class="legend"><b>([^<]*)<\/b>/g)].map((m) => m[1]);
      expect(legends).to.deep.equal(['Leader per partition:', 'ISR bar under it:', 'Log size per partition:', 'Group members:']);
      const gens = [...html.matchAll(/<text class="genlabel"[^>]*>gen (\d+)</g)].map((m) => Number(m[1]));
      expect(gens).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
      expect(html.match(/<line class="generation"/g)).to.have.length(7);
      const leaderFills = new Set([...html.matchAll(/class="seg leader"[^>]*fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]));
      expect(leaderFills.size).to.equal(3);
      for (const isr of ['#59a14f', '#e15759']) expect(leaderFills.has(isr)).to.equal(false);
      const ticks = [...html.matchAll(/<text class="ticklabel"[^>]*>(\d\d:\d\d)</g)].map((m) => m[1]);
      expect(ticks).to.deep.equal(['00:00', '00:30', '01:00', '01:30', '02:00', '02:30', '03:00']);
    });

    it('--html: a log-size lane per partition, records and bytes over time, each cleaning marked', async () => {
      const out = join(scratch, 'compaction.html');
      expect((await run(['simulate', join(examples, 'compaction.yaml'), '--html', out])).code).to.equal(0);
      const html = readFileSync(out, 'utf8');
      expectWellFormed(html);
      const lane = /<g class="lane" data-lane="log profiles-0">([\s\S]*?)<\/g>/.exec(html)?.[1] ?? '';
      expect(lane).to.contain('>up to 70 records, 3.2 KiB</text>');
      // Bytes as an area (closed), records as a line; both step down where the cleanings were.
      const area = /<path class="logbytes" d="([^"]*)"/.exec(lane)?.[1] ?? '';
      const line = /<path class="logrecords" d="([^"]*)"/.exec(lane)?.[1] ?? '';
      expect(area).to.match(/^M[\d.]+ [\d.]+ V[\d.]+ (H[\d.]+ V[\d.]+ )+H[\d.]+ V[\d.]+ Z$/);
      expect(line).to.match(/^M[\d.]+ [\d.]+ (H[\d.]+ V[\d.]+ )+H[\d.]+$/);
      const cleanings = [...lane.matchAll(/<circle class="cleaning"[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1]);
      expect(cleanings).to.deep.equal([
        'profiles-0 cleaned at 01:30 on broker 1, 2, 3: below offset 60, 60 → 10 records, 2.3 KiB freed',
        'profiles-0 cleaned at 02:30 on broker 1, 2, 3: below offset 71, 21 → 10 records, 481 B freed',
        'profiles-0 cleaned at 03:45 on broker 1, 2, 3: below offset 81, 20 → 9 records, 532 B freed, 1 tombstone(s) removed',
      ]);
      expect(html).to.contain('cleaned: the latest record per key kept (compaction)');
      // A page of a run without a cleaning has no such legend entry.
      const idle = join(scratch, 'idle-no-cleaning.html');
      await run(['simulate', join(examples, 'idle-consumers.json'), '--html', idle]);
      expect(readFileSync(idle, 'utf8')).not.to.contain('cleaned: the latest record per key kept');
    });

    it('--html widens the label column for long topic names instead of cutting them off', async () => {
      const topic = 'customer-order-events-v2-compacted';
      const out = join(scratch, 'long-names.html');
      const file = scenarioFile({ brokers: 1, duration: '1m', topics: [{ name: topic, partitions: 1 }] });
      expect((await run(['simulate', file, '--html', out])).code).to.equal(0);
      const html = readFileSync(out, 'utf8');
      const labelX = Number(/<text class="label" x="([\d.]+)"[^>]*>customer-order-events-v2-compacted-0</.exec(html)?.[1]);
      expect(labelX, 'right edge of the label column').to.be.at.least(`${topic}-0`.length * 6.5);
      expect(html).to.match(new RegExp(`<rect class="track" x="${labelX + 6}"`));
    });

    it('--html marks broker faults and offline partitions', async () => {
      const out = join(scratch, 'acks.html');
      await run(['simulate', file, '--html', out]);
      const html = readFileSync(out, 'utf8');
      expectWellFormed(html);
      expect(html).to.match(/<g class="fault" data-fault="stopped">/);
      expect(html).to.match(/<g class="fault" data-fault="started">/);
      expect(html).to.contain('class="seg offline"');
      expect(html).to.contain('class="seg isr-partial"');
      // The unclean elections (both topics) and acks=1's truncation are marked where they happened.
      const losses = [...html.matchAll(/<path class="loss"[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1]);
      expect(losses).to.deep.equal([
        'ledger-acks1-0: unclean election at 01:10, broker 2 was out of sync',
        'ledger-acks1-0: broker 1 truncated 150 record(s) at 01:40',
        'ledger-acksall-0: unclean election at 01:10, broker 2 was out of sync',
      ]);
      // B1 stopped (01:00) and B2 started (01:10) are too close for one row of labels.
      const rows = [...html.matchAll(/<g class="fault" data-fault="\w+"><line [^>]*\/><text x="[\d.]+" y="(\d+)"/g)].map((m) => Number(m[1]));
      expect(rows).to.have.length(4);
      expect(new Set(rows).size).to.equal(2);
    });
  });

  describe('bad scenario files: every problem with its location, exit code 2, no stack trace', () => {
    async function problems(content: unknown, name?: string): Promise<string[]> {
      const { code, out, err } = await run(['simulate', scenarioFile(content, name)]);
      expect(code).to.equal(2);
      expect(out).to.equal('');
      expect(err).not.to.match(/\n\s+at /);
      const lines = err.split('\n');
      expect(lines[lines.length - 1]).to.match(/^\d+ problem\(s\); the scenario format is described in examples\/scenarios\/README\.md$/);
      return lines.slice(0, -1);
    }

    it('the valid base scenario runs', async () => {
      expect((await run(['simulate', scenarioFile(valid)])).code).to.equal(0);
    });

    it('not JSON: the line and column of the first syntax error', async () => {
      const [line] = await problems('{ "brokers": 3,, }');
      expect(line).to.match(/^scenario\.json:1:16: not valid JSON: \S/);
      const [second] = await problems('{\n  "brokers": 3\n  "duration": "1m"\n}');
      expect(second).to.equal("scenario.json:3:3: not valid JSON: Expected ',' or '}' after property value");
      const [empty] = await problems('');
      expect(empty).to.match(/^scenario\.json: not valid JSON: Unexpected end of JSON input$/);
    });

    it('a YAML file: problems at their line and column, a missing field at its parent', async () => {
      const text = [
        'brokers: nope',
        'duration: 1m',
        'topics:',
        '  - name: t',
        '    partitions: 2',
        'groups:',
        '  - id: g',
        '    topics: [t]',
        '    members:',
        '      - name: a',
        '        joinMs: 5',
        '',
      ].join('\n');
      expect(await problems(text, 'scenario.yaml')).to.deep.equal([
        'scenario.yaml:1:10: brokers: must be a positive integer (at most 100)',
        'scenario.yaml:11:17: groups[0].members[0].joinMs: unknown field (expected one of: name, join, leave, crash)',
        'scenario.yaml:10:9: groups[0].members[0].join: is required',
      ]);
    });

    it('a YAML syntax error: its line and column', async () => {
      expect(await problems('brokers: 3\ntopics: [a\n', 'scenario.yml')).to.deep.equal([
        'scenario.yml:3:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
      ]);
    });

    it('not an object', async () => {
      expect(await problems([1, 2])).to.deep.equal(['scenario.json: (root): must be a JSON object']);
    });

    it('missing required fields', async () => {
      expect(await problems({})).to.deep.equal([
        'scenario.json: brokers: is required (or brokerIds)',
        'scenario.json: duration: is required',
        'scenario.json: topics: is required',
      ]);
    });

    it('a number that must be a positive integer', async () => {
      const p = await problems({ ...valid, topics: [valid.topics[0], { name: 'b', partitions: 0 }] });
      expect(p).to.deep.equal(['scenario.json: topics[1].partitions: must be a positive integer (at most 1000)']);
    });

    it('a wrong type', async () => {
      const p = await problems({ ...valid, brokers: '3', groups: [{ ...valid.groups[0], fromBeginning: 'yes' }] });
      expect(p).to.deep.equal([
        'scenario.json: brokers: must be a positive integer (at most 100)',
        'scenario.json: groups[0].fromBeginning: must be a boolean',
      ]);
    });

    it('an unknown field (a typo)', async () => {
      const p = await problems({ ...valid, producers: [{ ...valid.producers[0], rat: 5 }] });
      expect(p).to.deep.equal(['scenario.json: producers[0].rat: unknown field (expected one of: name, topic, rate, keys, acks, from, until)']);
    });

    it('a reference to a topic that is not declared', async () => {
      const p = await problems({ ...valid, producers: [{ ...valid.producers[0], topic: 'order' }], groups: [{ ...valid.groups[0], topics: ['orders', 'x'] }] });
      expect(p).to.deep.equal([
        "scenario.json: producers[0].topic: unknown topic 'order' (not in topics)",
        'scenario.json: groups[0].topics[1]: unknown topic "x" (not in topics)',
      ]);
    });

    it('a duplicate name', async () => {
      const p = await problems({ ...valid, topics: [valid.topics[0], valid.topics[0]] });
      expect(p).to.deep.equal(["scenario.json: topics[1].name: duplicate topic 'orders'"]);
    });

    it('a replication factor larger than the cluster', async () => {
      const p = await problems({ ...valid, topics: [{ name: 'orders', partitions: 3, replicationFactor: 4 }] });
      expect(p).to.deep.equal(['scenario.json: topics[0].replicationFactor: is 4 but there are only 3 broker(s)']);
    });

    it('an unknown or ill-typed Kafka setting', async () => {
      const p = await problems({ ...valid, config: { 'log.retention.hour': 1 }, topics: [{ ...valid.topics[0], config: { 'retention.ms': 'soon' } }] });
      expect(p).to.deep.equal([
        'scenario.json: config["log.retention.hour"]: unknown setting',
        'scenario.json: topics[0].config["retention.ms"]: must be an integer',
      ]);
    });

    it('a timed run on a compacted topic: what the cleaner removed is compacted away, not lost', async () => {
      const scenario = {
        brokers: 1,
        duration: '3m',
        topics: [{ name: 'users', partitions: 1, config: { 'cleanup.policy': 'compact', 'segment.ms': 30000 } }],
        producers: [{ name: 'p', topic: 'users', rate: 2, keys: 5 }],
      };
      const { code, out } = await run(['simulate', scenarioFile(scenario)]);
      expect(code).to.equal(0);
      expect(out).to.match(/\[02:15\] users-0 cleaned on broker 1: \d+ → 5 records, [\d.]+ KiB freed\n/);
      const verdict = /acknowledged and later lost: 0; compacted away \(a later record of the key kept\): (\d+)\n/.exec(out);
      expect(verdict, out).to.not.equal(null);
      // 360 written over 5 keys; what is left is the last of each key in the cleaned part and the dirty tail.
      expect(Number(verdict![1])).to.be.within(250, 355);
    });

    it('settings of every kind: a list as a string, a double as a number', async () => {
      const config = { 'cleanup.policy': ['compact'], 'min.cleanable.dirty.ratio': 'half', 'min.compaction.lag.ms': 1.5 };
      const p = await problems({ ...valid, config: { 'log.cleaner.min.cleanable.ratio': true }, topics: [{ ...valid.topics[0], config }] });
      expect(p).to.deep.equal([
        'scenario.json: config["log.cleaner.min.cleanable.ratio"]: must be a number',
        'scenario.json: topics[0].config["cleanup.policy"]: must be a string (a comma-separated list)',
        'scenario.json: topics[0].config["min.cleanable.dirty.ratio"]: must be a number',
        'scenario.json: topics[0].config["min.compaction.lag.ms"]: must be an integer',
      ]);
      const ok = scenarioFile({ ...valid, topics: [{ ...valid.topics[0], config: { 'cleanup.policy': 'compact,delete', 'min.cleanable.dirty.ratio': 0.25 } }] });
      expect((await run(['simulate', ok])).code).to.equal(0);
    });

    it('a malformed duration', async () => {
      const p = await problems({ ...valid, duration: '1 minute', faults: [{ at: -5, stop: 1 }] });
      expect(p).to.deep.equal([
        'scenario.json: duration: must be a duration: milliseconds, or a string like "500ms", "30s", "5m", "1h"',
        'scenario.json: faults[0].at: must be a duration: milliseconds, or a string like "500ms", "30s", "5m", "1h"',
      ]);
    });

    it('times out of order or after the end of the run', async () => {
      const p = await problems({
        ...valid,
        groups: [
          {
            ...valid.groups[0],
            members: [
              { name: 'a', join: '20s', leave: '10s' },
              { name: 'b', join: '2m' },
            ],
          },
        ],
      });
      expect(p).to.deep.equal([
        'scenario.json: groups[0].members[0].leave: must be after join',
        'scenario.json: groups[0].members[1].join: is after the end of the run (duration 60000 ms)',
      ]);
    });

    it('overlapping sessions of one member, and a session ending two ways', async () => {
      const p = await problems({
        ...valid,
        groups: [
          {
            ...valid.groups[0],
            members: [
              { name: 'a', join: 0, leave: '30s' },
              { name: 'a', join: '20s' },
              { name: 'b', join: 0, leave: '5s', crash: '6s' },
            ],
          },
        ],
      });
      expect(p).to.deep.equal([
        "scenario.json: groups[0].members[1].join: overlaps another session of member 'a'",
        'scenario.json: groups[0].members[2]: has both leave and crash: a session ends one way',
      ]);
    });

    it('a fault with no action, two actions, or a broker that does not exist', async () => {
      const p = await problems({ ...valid, faults: [{ at: 0 }, { at: 0, stop: 1, start: 1 }, { at: 0, isolate: 4 }] });
      expect(p).to.deep.equal([
        'scenario.json: faults[0]: must have exactly one of stop, start, isolate, heal (a broker id), inject-fault (an API), set-latency (a broker id), clear-faults, reassign (a partition)',
        'scenario.json: faults[1]: must have exactly one of stop, start, isolate, heal (a broker id), inject-fault (an API), set-latency (a broker id), clear-faults, reassign (a partition)',
        'scenario.json: faults[2].isolate: must be a broker id from 1 to 3',
      ]);
    });

    it('brokerIds: the cluster has those ids (brokers may be left out), faults name them; bad lists and unknown ids are problems', async () => {
      const { brokers: _, ...withoutCount } = valid;
      const ok = await run(['simulate', scenarioFile({ ...withoutCount, brokerIds: [5, 10, 20], faults: [{ at: '30s', stop: 10 }] }), '--json']);
      expect(ok.code, ok.err).to.equal(0);
      const events = ok.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l.replace(/,$/, '')) as { type: string; broker?: number; leader?: number });
      expect(events.find((e) => e.type === 'broker-stopped')).to.include({ broker: 10 });
      for (const e of events.filter((e) => e.type === 'leader-changed')) expect([-1, 5, 10, 20]).to.include(e.leader);
      const zero = await run(['simulate', scenarioFile({ ...valid, brokerIds: [0, 1, 2], faults: [{ at: '30s', stop: 0 }] })]);
      expect(zero.code, zero.err).to.equal(0);
      expect(zero.out).to.contain('3 broker(s) (ids 0, 1, 2); 1m of virtual time');
      expect(zero.out).to.match(/\[00:30\] broker 0 stopped/);

      expect(await problems({ ...valid, brokerIds: [0, 1] })).to.deep.equal(['scenario.json: brokerIds: lists 2 id(s) but brokers is 3: give one id per broker']);
      expect(await problems({ ...valid, brokerIds: [0, 1, 1] })).to.deep.equal(['scenario.json: brokerIds: must be distinct, but lists 1 twice']);
      expect(await problems({ ...valid, brokerIds: [0, -1, 2] })).to.deep.equal(['scenario.json: brokerIds[1]: must be an integer from 0 to 2147483647']);
      expect(await problems({ ...valid, brokerIds: '0,1,2' })).to.deep.equal(['scenario.json: brokerIds: must be a list of 1 to 100 broker ids']);
      expect(await problems({ ...withoutCount, brokerIds: [5, 10, 20], faults: [{ at: 0, stop: 1 }] })).to.deep.equal([
        'scenario.json: faults[0].stop: must be a broker id (one of 5, 10, 20)',
      ]);
      expect(await problems({ ...valid, brokerIds: [0, 1, 2], faults: [{ at: 0, stop: 3 }] })).to.deep.equal(['scenario.json: faults[0].stop: must be a broker id from 0 to 2']);
    });

    it('the file is named as given', async () => {
      const [line] = await problems({ ...valid, brokers: 0 }, 'my-run.json');
      expect(line).to.equal('my-run.json: brokers: must be a positive integer (at most 100)');
    });

    it('a missing file, no file, or a bad option: exit code 2 with a message', async () => {
      const missing = await run(['simulate', join(scratch, 'nope.json')]);
      expect(missing.code).to.equal(2);
      expect(missing.err).to.match(/cannot read .*nope\.json: no such file$/);
      const page = await run(['demo', '--html', join(scratch, 'no-such-dir', 'x.html')]);
      expect(page.code, 'checked before the run').to.equal(2);
      expect(page.out).to.equal('');
      expect(page.err).to.match(/^kafka-twin demo: cannot write .*x\.html: no directory .*no-such-dir$/);
      const unwritable = await run(['simulate', scenarioFile(valid), '--html', scratch]);
      expect(unwritable.code).to.equal(1);
      expect(unwritable.err).to.match(/cannot write .*: EISDIR$/);
      const directory = await run(['simulate', scratch]);
      expect(directory.code).to.equal(2);
      expect(directory.err).to.match(/cannot read .*: it is a directory$/);
      const none = await run(['simulate']);
      expect(none.code).to.equal(2);
      expect(none.err).to.contain('which scenario file?');
      for (const argv of [
        ['simulate', scenarioFile(valid), '--fast'],
        ['simulate', scenarioFile(valid), '--seed'],
        ['simulate', scenarioFile(valid), '--html'],
      ]) {
        const r = await run(argv);
        expect(r.code, argv.join(' ')).to.equal(2);
        expect(r.err).to.contain('Usage: kafka-twin');
      }
    });
  });

  describe('scenario helpers', () => {
    it('parses durations', () => {
      expect(parseDuration(1500)).to.equal(1500);
      expect(parseDuration('250ms')).to.equal(250);
      expect(parseDuration('1.5s')).to.equal(1500);
      expect(parseDuration('5m')).to.equal(300_000);
      expect(parseDuration('1h')).to.equal(3_600_000);
      for (const bad of ['', '5', '5 minutes', -1, Number.NaN, null, true]) expect(parseDuration(bad), String(bad)).to.equal(undefined);
    });

    it('fills in defaults', () => {
      const { problems, scenario } = validateScenario({
        brokers: 1,
        duration: '1h',
        topics: [{ name: 't', partitions: 1 }],
        producers: [{ name: 'p', topic: 't', rate: 1 }],
      });
      expect(problems).to.deep.equal([]);
      expect(scenario).to.deep.include({ seed: 1, tickMs: 1000, durationMs: 3_600_000, statusEveryMs: undefined, groups: [], faults: [] });
      expect(scenario!.topics[0]).to.deep.equal({ name: 't', partitions: 1, replicationFactor: 1, config: {} });
      expect(scenario!.producers[0]).to.deep.equal({ name: 'p', topic: 't', rate: 1, keys: 100, acks: -1, fromMs: 0, untilMs: 3_600_000, idempotent: false });
    });
  });

  it('an hour of virtual traffic runs in seconds', async () => {
    const file = scenarioFile({ ...valid, duration: '1h', statusEvery: '15m', producers: [{ name: 'p', topic: 'orders', rate: 20 }], faults: [] });
    const started = Date.now();
    const { code, out } = await run(['simulate', file]);
    expect(code).to.equal(0);
    expect(out).to.contain('72000 sent, 72000 acknowledged');
    expect(Date.now() - started).to.be.below(30_000);
  });
});
