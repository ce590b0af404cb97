#!/usr/bin/env node
/**
 * `kafka-twin` command line.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { ClusterEvent } from '../../emulator/events.js';
import { DEMO_LAYOUT, runDemo } from './demo.js';
import { renderHtml, type HtmlTimelineInput } from './html.js';
import { parseScenario } from './scenario.js';
import { simulate } from './simulate.js';
import { stripAnsi } from './style.js';

const USAGE = `Usage: kafka-twin <command> [options]

Commands:
  demo                    run the built-in scenario on an in-memory cluster and print its timeline
  simulate <file>         run a scenario file, JSON or YAML (see examples/scenarios/README.md), and print its timeline
  help                    show this text

Options of demo and simulate:
  --seed N                the cluster's seed (default 1, or the scenario's); same input + seed = same bytes
  --json                  print the raw event log (a JSON array, one event a line) instead of the timeline
  --html out.html         also write a self-contained page with an SVG timeline of ownership and ISR
  --color, --no-color     force colour on or off (default: on when stdout is a TTY and NO_COLOR is unset)

Exit codes: 0 done, 1 the run failed, 2 bad usage or an invalid scenario file.`;

/** Terminal facts and side channels for {@link main}; tests leave them at their defaults. */
export interface CliIo {
  /** Colour by default (stdout is a TTY and NO_COLOR is unset). @defaultValue false */
  color?: boolean;
  /** Where diagnostics go. @defaultValue the `write` given to main */
  error?: (line: string) => void;
  /** Draws a progress bar for a fraction 0..1; undefined for none (stderr is not a TTY). */
  progress?: (fraction: number) => void;
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: readonly string[], write: (line: string) => void = (l) => process.stdout.write(`${l}\n`), io: CliIo = {}): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo':
    case 'simulate':
      return run(command, rest, write, io);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      write(`kafka-twin: unknown command '${command}'`);
      write(USAGE);
      return 2;
  }
}

/** What a run prints besides its timeline: the event log and the page. */
interface RunOutput {
  events: readonly ClusterEvent[];
  endMs: number;
}

async function run(command: 'demo' | 'simulate', args: readonly string[], write: (line: string) => void, io: CliIo): Promise<number> {
  const error = io.error ?? write;
  let file: string | undefined;
  let seed: number | undefined;
  let json = false;
  let html: string | undefined;
  let color = io.color ?? false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--seed' && args[i + 1] !== undefined && /^\d+$/.test(args[i + 1]!)) seed = Number(args[++i]);
    else if (a === '--json') json = true;
    else if (a === '--html' && args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) html = args[++i];
    else if (a === '--color') color = true;
    else if (a === '--no-color') color = false;
    else if (command === 'simulate' && !a.startsWith('-') && file === undefined) file = a;
    else {
      error(`kafka-twin ${command}: unknown or incomplete option '${a}'`);
      error(USAGE);
      return 2;
    }
  }
  // Checked before the run, which can be long: a page that cannot be written is bad usage.
  if (html !== undefined && !isDirectory(dirname(resolve(html)))) {
    error(`kafka-twin ${command}: cannot write ${html}: no directory ${dirname(resolve(html))}`);
    return 2;
  }
  // The timeline goes to stdout unless --json takes its place; the page gets it without colour.
  const lines: string[] = [];
  const timeline = (line: string) => {
    if (!json) write(line);
    if (html !== undefined) lines.push(stripAnsi(line));
  };
  color &&= !json;
  let output: RunOutput;
  let page: Omit<HtmlTimelineInput, 'events' | 'durationMs' | 'text'>;
  if (command === 'demo') {
    output = await runDemo({ seed, write: timeline, color });
    page = { ...DEMO_LAYOUT, seed: seed ?? 1 };
  } else {
    if (file === undefined) {
      error('kafka-twin simulate: which scenario file? (e.g. examples/scenarios/idle-consumers.json)');
      error(USAGE);
      return 2;
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
      error(`kafka-twin simulate: cannot read ${file}: ${why}`);
      return 2;
    }
    const { errors, scenario } = parseScenario(text, basename(file));
    if (scenario === undefined) {
      for (const line of errors) error(line);
      error(`${errors.length} problem(s); the scenario format is described in examples/scenarios/README.md`);
      return 2;
    }
    output = await simulate({ scenario, seed, color, progress: io.progress, write: timeline });
    page = {
      title: scenario.name || basename(file),
      description: scenario.description,
      seed: seed ?? scenario.seed,
      topics: scenario.topics,
      groups: scenario.groups,
    };
  }
  if (json) {
    write('[');
    output.events.forEach((e, i) => write(`${JSON.stringify(e)}${i < output.events.length - 1 ? ',' : ''}`));
    write(']');
  }
  if (html !== undefined) {
    try {
      writeFileSync(html, renderHtml({ ...page, durationMs: output.endMs, events: output.events, text: lines }));
    } catch (e) {
      error(`kafka-twin ${command}: cannot write ${html}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return 1;
    }
    error(`kafka-twin ${command}: wrote ${html}`);
  }
  return 0;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A progress bar on stderr for long runs: drawn only once a run has taken 300 ms of wall time,
 * redrawn at most once per percent, and wiped before each line of output so the two never mix.
 * `now` is the wall clock (the run itself is on the virtual clock; the bar is for the person waiting).
 */
export function progressBar(
  stream: { write: (text: string) => unknown },
  now: () => number = Date.now,
): { update: (fraction: number) => void; clear: () => void } {
  let shown = -1;
  let visible = false;
  let started: number | undefined;
  const clear = () => {
    if (visible) stream.write('\r\x1b[2K');
    visible = false;
  };
  const update = (fraction: number) => {
    const at = now();
    started ??= at;
    const pct = Math.floor(fraction * 100);
    if (pct >= 100) {
      clear();
      started = undefined;
      shown = -1;
      return;
    }
    if (at - started < 300 || (pct === shown && visible)) return;
    shown = pct;
    const width = 30;
    const done = Math.round((pct / 100) * width);
    stream.write(`\r[${'#'.repeat(done)}${' '.repeat(width - done)}] ${String(pct).padStart(3)}% of virtual time`);
    visible = true;
  };
  return { update, clear };
}

// Run only when executed as a program, not when imported by tests.
const invokedAs = process.argv[1] ?? '';
if (invokedAs.endsWith('/cli/main.js') || invokedAs.endsWith('/kafka-twin')) {
  const bar = process.stderr.isTTY === true ? progressBar(process.stderr) : undefined;
  const io: CliIo = {
    color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
    error: (line) => {
      bar?.clear();
      process.stderr.write(`${line}\n`);
    },
    progress: bar?.update,
  };
  const write = (line: string) => {
    bar?.clear();
    process.stdout.write(`${line}\n`);
  };
  main(process.argv.slice(2), write, io).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`kafka-twin: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
