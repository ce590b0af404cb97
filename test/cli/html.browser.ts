/**
 * The `--html` page in a real browser: headless Chromium (Debian's `chromium` package) lays the
 * page out and takes a screenshot, and the screenshot's pixels must show the timeline, bar by bar.
 *
 * Not part of `npm test` (a new user need not have Chromium): run with `npm run test:browser`.
 * Without Chromium it fails, naming the package to install; it is never skipped.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { main } from '../../src/cli/main.js';
import { decodePng, type Png } from './png.js';

// Compiled to dist/test/cli/; the repository root is three levels up.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const examples = join(root, 'examples/scenarios');

/** The browser: $CHROMIUM, or `chromium` on the PATH (Debian installs /usr/bin/chromium). */
function findChromium(): string {
  const candidates = process.env.CHROMIUM ? [process.env.CHROMIUM] : (process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'chromium'));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not this one
    }
  }
  throw new Error(
    `headless Chromium not found (${process.env.CHROMIUM ? `CHROMIUM=${process.env.CHROMIUM} is not executable` : 'no chromium on the PATH'}): ` +
      "install Debian's chromium package (apt-get install -y --no-install-recommends chromium) or set CHROMIUM to a Chromium binary",
  );
}

/** One rendered element of the SVG, in CSS pixels of the page (= screenshot pixels at scale 1). */
interface Box {
  cls: string;
  fill: string;
  text: string;
  lane: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

interface Layout {
  svg: { x: number; y: number; w: number; h: number };
  viewport: number;
  boxes: Box[];
}

// Appended to a copy of the page (never to the page itself, which has no script): measures what
// Chromium rendered and leaves it, base64-encoded JSON, in the DOM for --dump-dom.
const PROBE = `<script>
(() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; };
  const svg = document.getElementById('timeline');
  const boxes = [...svg.querySelectorAll('rect, text, path, line, circle')].map((el) => ({
    cls: el.getAttribute('class') || el.parentNode.getAttribute('class') || '',
    fill: getComputedStyle(el).fill,
    text: el.tagName === 'text' ? el.firstChild.textContent : '',
    lane: el.closest('[data-lane]')?.getAttribute('data-lane') || '',
    ...box(el),
  }));
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = btoa(JSON.stringify({ svg: box(svg), viewport: window.innerWidth, boxes }));
  document.body.appendChild(out);
})();
</script>`;

describe('kafka-twin --html in headless Chromium', function () {
  this.timeout(180_000);
  let chromium: string;
  let scratch: string;

  before(() => {
    chromium = findChromium();
    scratch = mkdtempSync(join(tmpdir(), 'kafka-twin-browser-'));
  });
  let failed = false;
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });
  after(() => {
    if (scratch === undefined) return;
    // On a failure the pages and screenshots stay, to be looked at; they are never committed.
    if (failed) console.log(`pages and screenshots kept in ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  });

  /** Runs Chromium once with a fresh profile; returns its stdout. */
  function browse(args: string[]): string {
    const profile = mkdtempSync(join(scratch, 'profile-'));
    const r = spawnSync(
      chromium,
      [
        '--headless',
        // As root in a container there is no sandbox to drop into; without the network flags the
        // browser's own background connections are refused by the closed network and it stalls.
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        '--force-device-scale-factor=1',
        `--user-data-dir=${profile}`,
        ...args,
      ],
      { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
    );
    if (r.error !== undefined) throw new Error(`${chromium} did not run: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`${chromium} exited with ${r.status}: ${r.stderr.slice(-2000)}`);
    return r.stdout;
  }

  /** Writes the page with the CLI, measures its layout, and screenshots it whole. */
  async function render(name: string, argv: string[]): Promise<{ html: string; layout: Layout; png: Png; file: string }> {
    const file = join(scratch, `${name}.html`);
    const code = await main([...argv, '--html', file], () => undefined, { error: () => undefined });
    expect(code, `kafka-twin ${argv.join(' ')}`).to.equal(0);
    const html = readFileSync(file, 'utf8');

    const probe = join(scratch, `${name}.probe.html`);
    writeFileSync(probe, html.replace('</body>', `${PROBE}\n</body>`));
    const dom = browse(['--window-size=1280,900', '--dump-dom', pathToFileURL(probe).href]);
    const encoded = /<pre id="probe">([A-Za-z0-9+/=]+)<\/pre>/.exec(dom)?.[1];
    expect(encoded, 'the probe ran in Chromium and left its measurements in the DOM').to.be.a('string');
    const layout = JSON.parse(Buffer.from(encoded!, 'base64').toString('utf8')) as Layout;

    // Tall enough for the whole SVG; the page itself is what gets captured, without the probe.
    const height = Math.ceil(layout.svg.y + layout.svg.h + 20);
    const shot = join(scratch, `${name}.png`);
    // Headless Chromium may capture a frame whose raster is not finished (seen in CI: the lower half
    // blank); these two make it draw every compositor stage, with the page's load settled, first.
    browse([`--window-size=1280,${height}`, '--run-all-compositor-stages-before-draw', '--virtual-time-budget=5000', `--screenshot=${shot}`, pathToFileURL(file).href]);
    const png = decodePng(readFileSync(shot));
    expect([png.width, png.height], 'screenshot size').to.deep.equal([1280, height]);
    return { html, layout, png, file };
  }

  const rgb = (css: string): [number, number, number] => {
    const m = /^rgb\((\d+), (\d+), (\d+)\)$/.exec(css);
    if (m === null) throw new Error(`unexpected computed fill '${css}'`);
    return [Number(m[1]), Number(m[2]), Number(m[3])];
  };
  const near = (p: readonly number[], c: readonly number[]) => Math.abs(p[0]! - c[0]!) <= 3 && Math.abs(p[1]! - c[1]!) <= 3 && Math.abs(p[2]! - c[2]!) <= 3;

  /**
   * Every bar of the timeline wide enough to sample must show its own colour in the screenshot
   * across most of its length (labels, generation and fault lines cover a little of some).
   */
  function expectBarsPainted(png: Png, bars: Box[]): number {
    let checked = 0;
    for (const b of bars) {
      if (b.w < 6 || b.h < 4) continue;
      const colour = rgb(b.fill);
      const y = Math.floor(b.y + Math.min(2, b.h / 2));
      const xs: number[] = [];
      for (let x = Math.ceil(b.x + 2); x < b.x + b.w - 2; x += 3) xs.push(x);
      const hits = xs.filter((x) => near(png.pixel(x, y), colour)).length;
      expect(hits / xs.length, `${b.cls} bar in ${b.lane} at x=${b.x.toFixed(0)}: ${hits}/${xs.length} pixels of ${b.fill}`).to.be.at.least(0.6);
      checked++;
    }
    return checked;
  }

  const overlap = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  function expectNoOverlap(boxes: Box[], what: string): void {
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++)
        expect(overlap(boxes[i]!, boxes[j]!), `${what} '${boxes[i]!.text}' and '${boxes[j]!.text}' overlap`).to.equal(false);
  }

  /**
   * What every page must show, whatever its scenario. `minPainted`: the share of the SVG's area
   * that must be painted; a page of one partition whose group joins only at the end is sparser.
   */
  function expectTimeline({ layout, png }: { layout: Layout; png: Png }, lanes: string[], minPainted = 0.15): Box[] {
    const { svg, boxes } = layout;
    expect(svg.w, 'the SVG is drawn at its full width').to.be.above(1000);
    expect(svg.x + svg.w, 'the SVG fits the window').to.be.at.most(layout.viewport);
    for (const lane of lanes)
      expect(
        boxes.some((b) => b.lane === lane && b.cls.startsWith('seg')),
        `a bar in lane '${lane}'`,
      ).to.equal(true);

    const seg = boxes.filter((b) => b.cls.startsWith('seg '));
    const leaders = seg.filter((b) => b.cls === 'seg leader');
    const isr = seg.filter((b) => b.cls === 'seg isr-full' || b.cls === 'seg isr-partial');
    expect(leaders.length, 'leader bars').to.be.at.least(1);
    expect(isr.length, 'ISR bars').to.be.at.least(1);
    expect(expectBarsPainted(png, seg), 'bars checked in the screenshot').to.be.at.least(lanes.length);

    // The picture is not blank: a good share of the SVG's area is painted.
    let painted = 0;
    let total = 0;
    for (let y = Math.ceil(svg.y); y < svg.y + svg.h - 1; y += 2)
      for (let x = Math.ceil(svg.x); x < svg.x + svg.w - 1; x += 2) {
        const [r, g, b] = png.pixel(x, y);
        total++;
        if (r < 235 || g < 235 || b < 235) painted++;
      }
    expect(painted / total, 'share of the SVG area painted').to.be.above(minPainted);

    // Leader bars span the whole run: from the 00:00 tick to the last.
    const axis = boxes.find((b) => b.cls === 'axis')!;
    for (const lane of new Set(leaders.map((b) => b.lane))) {
      const bars = seg.filter((b) => b.lane === lane && b.cls !== 'seg isr-full' && b.cls !== 'seg isr-partial');
      expect(Math.min(...bars.map((b) => b.x)), `${lane} starts at 00:00`).to.be.closeTo(axis.x, 1);
      expect(Math.max(...bars.map((b) => b.x + b.w)), `${lane} ends at the end of the run`).to.be.closeTo(axis.x + axis.w, 1);
    }

    // Text reads: no two labels overlap (section and lane names, generations, faults, ticks), and a
    // bar's label stays inside its bar.
    const texts = boxes.filter((b) => b.text !== '');
    expectNoOverlap(
      texts.filter((b) => b.cls !== 'seglabel'),
      'labels',
    );
    for (const t of texts)
      expect(t.x >= svg.x && t.x + t.w <= svg.x + svg.w && t.y >= svg.y && t.y + t.h <= svg.y + svg.h, `label '${t.text}' lies inside the SVG`).to.equal(true);
    for (const t of texts.filter((b) => b.cls === 'seglabel')) {
      const bar = seg.find((b) => b.lane === t.lane && b.x <= t.x && t.x + t.w <= b.x + b.w && b.y <= t.y + t.h / 2 && t.y + t.h / 2 <= b.y + b.h);
      expect(bar, `label '${t.text}' in ${t.lane} lies inside a bar`).to.not.equal(undefined);
    }
    return boxes;
  }

  it('the demo: leaders, ISR, the group with its idle member, and broker 3 stopping and starting', async () => {
    const page = await render('demo', ['demo']);
    const boxes = expectTimeline(page, ['partition rides-0', 'partition rides-1', 'partition rides-2', 'owner dashboards rides-0', 'idle dashboards']);
    // The stopped broker's partitions show an ISR shrunk (red) and then whole again (green).
    const red = rgb(boxes.find((b) => b.cls === 'seg isr-partial')!.fill);
    expect(red).to.deep.equal([0xe1, 0x57, 0x59]);
    expect(boxes.filter((b) => b.cls === 'fault' && b.text !== '').map((b) => b.text)).to.have.members(['B3 stopped', 'B3 started']);
    expect(boxes.filter((b) => b.cls === 'genlabel').map((b) => b.text)).to.include.members(['gen 1', 'gen 4', 'gen 5']);
    // Retention's passes are drawn as marks on the partitions' bars, inside the run.
    const retention = boxes.filter((b) => b.cls === 'retention');
    expect(retention.length, 'retention marks').to.be.at.least(3);
    for (const r of retention) expect(r.w * r.h, 'a retention mark is drawn').to.be.above(10);
    const idle = boxes.find((b) => b.cls === 'seg idle')!;
    expect(near(page.png.pixel(Math.floor(idle.x + idle.w / 2), Math.floor(idle.y + idle.h / 2)), rgb(idle.fill)), 'the idle member is drawn').to.equal(true);
  });

  it('an example scenario: offline partitions, unclean elections and faults whose labels would collide', async () => {
    const page = await render('acks', ['simulate', join(examples, 'acks-unclean-election.json')]);
    const boxes = expectTimeline(page, ['partition ledger-acks1-0', 'partition ledger-acksall-0']);
    expect(boxes.filter((b) => b.cls === 'seg offline').length, 'offline spans').to.equal(2);
    expect(boxes.filter((b) => b.cls === 'loss').length, 'unclean election and truncation marks').to.be.at.least(2);
    // B1 stopped at 01:00 and B2 started at 01:10 sit 50 px apart: their labels go on two rows.
    const faults = boxes.filter((b) => b.cls === 'fault' && b.text !== '');
    expect(faults.map((b) => b.text)).to.deep.equal(['B2 stopped', 'B1 stopped', 'B2 started', 'B1 started']);
    expect(new Set(faults.map((b) => Math.round(b.y))).size, 'label rows').to.equal(2);
  });

  it('the compaction example: the log-size lane, its area and line dropping at each cleaning, marked by circles', async () => {
    const page = await render('compaction', ['simulate', join(examples, 'compaction.yaml')]);
    const boxes = expectTimeline(page, ['partition profiles-0', 'owner profile-cache profiles-0'], 0.1);
    const lane = boxes.filter((b) => b.lane === 'log profiles-0');
    const track = lane.find((b) => b.cls === 'track')!;
    const area = lane.find((b) => b.cls === 'logbytes')!;
    const line = lane.find((b) => b.cls === 'logrecords')!;
    expect(rgb(area.fill)).to.deep.equal([0xa0, 0xcb, 0xe8]);
    expect(area.w, 'the area spans the run').to.be.closeTo(track.w, 1);
    expect(line.w, 'the line spans the run').to.be.closeTo(track.w, 2);
    // Just above the track's bottom edge the area is painted nearly all the way across: the log
    // only starts empty, and a cleaning leaves a tenth of it or more.
    const y = Math.floor(track.y + track.h - 2);
    const xs: number[] = [];
    for (let x = Math.ceil(track.x + 30); x < track.x + track.w - 4; x += 3) xs.push(x);
    const painted = xs.filter((x) => near(page.png.pixel(x, y), [0xa0, 0xcb, 0xe8])).length;
    expect(painted / xs.length, 'share of the lane with the bytes area at its foot').to.be.at.least(0.8);
    // Higher up, the area is tall before the first cleaning (01:30) and low after it.
    const at = (ms: number) => Math.round(track.x + (ms / (4 * 60_000 + 3000)) * track.w);
    const high = Math.floor(track.y + 20);
    expect(near(page.png.pixel(at(60_000), high), [0xa0, 0xcb, 0xe8]), 'full log at 01:00').to.equal(true);
    expect(near(page.png.pixel(at(120_000), high), [0xa0, 0xcb, 0xe8]), 'cleaned log at 02:00').to.equal(false);
    const cleanings = lane.filter((b) => b.cls === 'cleaning');
    expect(cleanings, 'one circle per cleaning (the three replicas together)').to.have.length(3);
    for (const c of cleanings) expect(c.w * c.h, 'a cleaning mark is drawn').to.be.above(30);
    expect(boxes.filter((b) => b.cls === 'section' && b.text !== '').map((b) => b.text)).to.deep.equal([
      'Leader (and ISR below) per partition',
      'Log size per partition (the leader: records, bytes)',
      'Group profile-cache: owner per partition',
    ]);
  });

  it('the exactly-once example: commit and abort markers as dark green and dark red bars on the partition lane', async () => {
    const page = await render('exactly-once', ['simulate', join(examples, 'exactly-once.yaml')]);
    const boxes = expectTimeline(page, ['partition rides-0', 'partition payments-0', 'owner ledger payments-0', 'owner audit payments-0'], 0.1);
    const marks = boxes.filter((b) => b.cls === 'txn-commit' || b.cls === 'txn-abort');
    expect(marks.map((b) => [b.cls, b.lane])).to.deep.equal([
      ['txn-commit', 'partition payments-0'],
      ['txn-abort', 'partition payments-0'],
      ['txn-abort', 'partition payments-0'],
      ['txn-commit', 'partition payments-0'],
    ]);
    const colours = { 'txn-commit': [0x00, 0x6d, 0x2c], 'txn-abort': [0xa5, 0x0f, 0x15] } as Record<string, [number, number, number]>;
    for (const m of marks) {
      expect(rgb(m.fill)).to.deep.equal(colours[m.cls]);
      // Drawn over the leader's bar, the full height of the lane, and visible in the screenshot.
      const leader = boxes.find((b) => b.lane === m.lane && b.cls === 'seg leader' && b.x <= m.x + m.w / 2 && m.x + m.w / 2 <= b.x + b.w)!;
      expect(m.h, 'a marker spans the lane').to.be.closeTo(leader.h, 0.5);
      expect(near(page.png.pixel(Math.floor(m.x + m.w / 2), Math.floor(m.y + m.h / 2)), colours[m.cls]!), `${m.cls} at x=${m.x.toFixed(0)} painted`).to.equal(true);
    }
    expect(page.html).to.contain('commit marker: a transaction committed, read_committed readers see its records');
  });

  it('an example scenario with one group of five members: every owner bar and the idle lane', async () => {
    const page = await render('idle', ['simulate', join(examples, 'idle-consumers.json')]);
    const boxes = expectTimeline(page, ['partition orders-0', 'owner billing orders-0', 'owner billing orders-1', 'owner billing orders-2', 'idle billing']);
    const owners = new Set(boxes.filter((b) => b.cls === 'seg owner').map((b) => b.fill));
    expect(owners.size, 'five members, five colours').to.equal(5);
    const leaders = new Set(boxes.filter((b) => b.cls === 'seg leader').map((b) => b.fill));
    for (const isr of ['rgb(89, 161, 79)', 'rgb(225, 87, 89)']) expect(leaders.has(isr), 'no broker shares the ISR bar colours').to.equal(false);
    expect(page.html).to.contain('billing-4, billing-5');
  });
});
