/** `kafka-twin` run as a program: plain text when piped, colour on request, exit codes, and the progress bar on stderr. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { progressBar } from '../../src/cli/main.js';

// Compiled to dist/test/cli/; the repository root is three levels up.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');

/** Runs the built CLI as a program, stdout and stderr piped (so neither is a TTY). */
function program(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('kafka-twin as a program', () => {
  it('piped: plain text, no progress bar; --color forces colour; exit codes 0 and 2', () => {
    const file = join(root, 'examples/scenarios/acks-unclean-election.json');
    const plain = program(['simulate', file]);
    expect(plain.status).to.equal(0);
    expect(plain.stdout).to.contain('== summary');
    expect(plain.stdout + plain.stderr).not.to.contain('\x1b[');
    const coloured = program(['simulate', file, '--color']);
    expect(coloured.stdout).to.contain('\x1b[31;1m');
    expect(coloured.stdout.replace(/\x1b\[[0-9;]*m/g, '')).to.equal(plain.stdout);
    const bad = program(['demo', '--fast']);
    expect(bad.status).to.equal(2);
    expect(bad.stdout).to.equal('');
    expect(bad.stderr).to.contain("unknown or incomplete option '--fast'");
    expect(program(['help']).stdout).to.contain('Usage: kafka-twin');
  });

  it('progress bar: drawn after 300 ms of wall time, at most once per percent, wiped for output and at the end', () => {
    let wall = 0;
    const written: string[] = [];
    const bar = progressBar({ write: (t) => written.push(t) }, () => wall);
    bar.update(0);
    wall = 100;
    bar.update(0.1);
    expect(written, 'nothing on short runs').to.deep.equal([]);
    wall = 400;
    bar.update(0.5);
    expect(written).to.deep.equal([`\r[${'#'.repeat(15)}${' '.repeat(15)}]  50% of virtual time`]);
    bar.update(0.504);
    expect(written, 'same percent, no redraw').to.have.length(1);
    bar.clear();
    expect(written[1]).to.equal('\r\x1b[2K');
    bar.clear();
    expect(written, 'nothing to wipe twice').to.have.length(2);
    bar.update(0.504);
    expect(written, 'redrawn after a line of output').to.have.length(3);
    bar.update(1);
    expect(written[3]).to.equal('\r\x1b[2K');
    expect(written).to.have.length(4);
  });
});
