#!/usr/bin/env node
/**
 * `kafka-twin` command line: reads the options, loads a scenario (a file, or the built-in demo),
 * runs it with simulate.ts and writes the timeline, the event log (--json) and the page (--html);
 * `serve` (serve.ts) runs a real-clock twin on TCP for any Kafka client.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { ClusterEvent } from '../../emulator/events.js';
import type { HtmlTimelineInput } from './html.js';
import type { ResolvedScenario } from './scenario.js';
import { stripAnsi } from './style.js';

const USAGE = `Usage: kafka-twin <command> [options]

Commands:
  demo                    run the built-in scenario (examples/scenarios/demo.yaml) and print its timeline
  simulate <file>         run a scenario file, JSON or YAML (see examples/scenarios/README.md), and print its timeline
  serve                   run a twin on TCP for any Kafka client until SIGINT/SIGTERM; prints the
                          bootstrap list (host:port,...) as its first line, then the event log
  help                    show this text

Options of demo and simulate:
  --seed N                the cluster's seed (default 1, or the scenario's); same input + seed = same bytes
  --json                  print the raw event log (a JSON array, one event a line) instead of the timeline
  --html out.html         also write a self-contained page with an SVG timeline of ownership and ISR
  --color, --no-color     force colour on or off (default: on when stdout is a TTY and NO_COLOR is unset)

Options of serve:
  --brokers N             number of brokers, ids 1..N (default 1, or the number of --broker-ids or --ports)
  --broker-ids 0,1,2      the brokers' ids (Kafka's node.id), as a deployment numbers them
  --host H                the address to listen on (default 127.0.0.1)
  --port P                the first broker's port, the next brokers (by id) take P+1, ... (default: ephemeral ports)
  --ports a,b,c           one port per broker instead
  --config key=value      a broker setting under Kafka's name (num.partitions=3, ...); repeatable
  --topic name:p[:r]      create a topic with p partitions (and r replicas) up front; repeatable
  --seed S                the cluster's seed (default 0)
  --json                  the event log as one JSON event a line
  --quiet                 only the bootstrap list

Exit codes: 0 done (serve: stopped by a signal), 1 the run failed, 2 bad usage, an invalid scenario
file, or (serve) a port that cannot be listened on.`;

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
    case 'serve': {
      // Each command loads only its own modules: serve's start is what scripts wait for, and the
      // scenario, YAML and page code it does not use cost it ~100 ms.
      const { serve } = await import('./serve.js');
      return serve(rest, { write, error: io.error ?? write, color: io.color });
    }
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

/** What the command line asks of a run. */
interface RunRequest {
  file: string | undefined;
  seed: number | undefined;
  json: boolean;
  html: string | undefined;
  color: boolean;
}

async function run(command: 'demo' | 'simulate', args: readonly string[], write: (line: string) => void, io: CliIo): Promise<number> {
  const error = io.error ?? write;
  const request = parseOptions(command, args, io.color ?? false, error);
  if (request === undefined) return 2;
  // Checked before the run, which can be long: a page that cannot be written is bad usage.
  if (request.html !== undefined && !isDirectory(dirname(resolve(request.html)))) {
    error(`kafka-twin ${command}: cannot write ${request.html}: no directory ${dirname(resolve(request.html))}`);
    return 2;
  }
  const scenario = command === 'demo' ? (await import('./demo.js')).demoScenario() : await loadScenario(request.file, error);
  if (scenario === undefined) return 2;
  // The timeline goes to stdout unless --json takes its place; the page gets it without colour.
  const lines: string[] = [];
  const timeline = (line: string) => {
    if (!request.json) write(line);
    if (request.html !== undefined) lines.push(stripAnsi(line));
  };
  const { seed } = request;
  const { simulate } = await import('./simulate.js');
  const output = await simulate({ scenario, seed, color: request.color && !request.json, progress: io.progress, write: timeline });
  if (request.json) writeEventLog(output.events, write);
  if (request.html === undefined) return 0;
  const page: HtmlTimelineInput = {
    title: scenario.name || basename(request.file ?? ''),
    description: scenario.description,
    seed: seed ?? scenario.seed,
    topics: scenario.topics,
    groups: scenario.groups,
    durationMs: output.endMs,
    events: output.events,
    text: lines,
    logSizes: output.logSizes,
  };
  return writePage(command, request.html, page, error, (await import('./html.js')).renderHtml);
}

/** Reads the options of `demo` and `simulate`; undefined (after saying why) when they make no sense. */
function parseOptions(command: 'demo' | 'simulate', args: readonly string[], color: boolean, error: (line: string) => void): RunRequest | undefined {
  const request: RunRequest = { file: undefined, seed: undefined, json: false, html: undefined, color };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--seed' && args[i + 1] !== undefined && /^\d+$/.test(args[i + 1]!)) request.seed = Number(args[++i]);
    else if (a === '--json') request.json = true;
    else if (a === '--html' && args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) request.html = args[++i];
    else if (a === '--color') request.color = true;
    else if (a === '--no-color') request.color = false;
    else if (command === 'simulate' && !a.startsWith('-') && request.file === undefined) request.file = a;
    else {
      error(`kafka-twin ${command}: unknown or incomplete option '${a}'`);
      error(USAGE);
      return undefined;
    }
  }
  return request;
}

/** Reads and validates a scenario file; undefined (after listing every problem) when it cannot run. */
async function loadScenario(file: string | undefined, error: (line: string) => void): Promise<ResolvedScenario | undefined> {
  if (file === undefined) {
    error('kafka-twin simulate: which scenario file? (e.g. examples/scenarios/idle-consumers.json)');
    error(USAGE);
    return undefined;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    error(`kafka-twin simulate: cannot read ${file}: ${why}`);
    return undefined;
  }
  const { parseScenario } = await import('./scenario.js');
  const { errors, scenario } = parseScenario(text, basename(file));
  if (scenario === undefined) {
    for (const line of errors) error(line);
    error(`${errors.length} problem(s); the scenario format is described in examples/scenarios/README.md`);
  }
  return scenario;
}

/** `--json`: the raw event log, a JSON array with one event a line. */
function writeEventLog(events: readonly ClusterEvent[], write: (line: string) => void): void {
  write('[');
  events.forEach((e, i) => write(`${JSON.stringify(e)}${i < events.length - 1 ? ',' : ''}`));
  write(']');
}

/** `--html`: writes the page; 1 when it cannot be written. */
function writePage(command: string, file: string, page: HtmlTimelineInput, error: (line: string) => void, renderHtml: (page: HtmlTimelineInput) => string): number {
  try {
    writeFileSync(file, renderHtml(page));
  } catch (e) {
    error(`kafka-twin ${command}: cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return 1;
  }
  error(`kafka-twin ${command}: wrote ${file}`);
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
