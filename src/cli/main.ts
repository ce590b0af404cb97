#!/usr/bin/env node
/**
 * `kafka-twin` command line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { runDemo } from './demo.js';
import { renderHtml } from './html.js';
import { parseScenario } from './scenario.js';
import { simulate } from './simulate.js';

const USAGE = `Usage: kafka-twin <command> [options]

Commands:
  demo [--seed N]         run the built-in scenario on an in-memory cluster and print its timeline
  simulate <file.json>    run a scenario file (see examples/scenarios/README.md) and print its timeline
      --seed N            override the scenario's seed (same file + seed = same bytes)
      --json              print the raw event log (a JSON array, one event a line) instead
      --html out.html     also write a self-contained page with an SVG timeline
      --color, --no-color force colour on or off (default: on when stdout is a TTY and NO_COLOR is unset)
  help                    show this text

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
    case 'demo': {
      let seed = 1;
      for (let i = 0; i < rest.length; i++) {
        if (rest[i] === '--seed' && rest[i + 1] !== undefined && /^\d+$/.test(rest[i + 1]!)) seed = Number(rest[++i]);
        else {
          write(`kafka-twin demo: unknown or incomplete option '${rest[i]}'`);
          write(USAGE);
          return 2;
        }
      }
      await runDemo({ seed, write });
      return 0;
    }
    case 'simulate':
      return runSimulate(rest, write, io);
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

async function runSimulate(args: readonly string[], write: (line: string) => void, io: CliIo): Promise<number> {
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
    else if (!a.startsWith('-') && file === undefined) file = a;
    else {
      error(`kafka-twin simulate: unknown or incomplete option '${a}'`);
      error(USAGE);
      return 2;
    }
  }
  if (file === undefined) {
    error('kafka-twin simulate: which scenario file? (e.g. examples/scenarios/idle-consumers.json)');
    error(USAGE);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    error(`kafka-twin simulate: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return 2;
  }
  const { errors, scenario } = parseScenario(text, basename(file));
  if (scenario === undefined) {
    for (const line of errors) error(line);
    error(`${errors.length} problem(s); the scenario format is described in examples/scenarios/README.md`);
    return 2;
  }
  const lines: string[] = [];
  const plain: string[] = [];
  const result = await simulate({
    scenario,
    seed,
    color: color && !json,
    progress: io.progress,
    write: (line) => {
      if (!json) write(line);
      if (html !== undefined) lines.push(line);
    },
  });
  if (html !== undefined) {
    // The page embeds the plain-text timeline; colour codes never go into it.
    if (color && !json) for (const l of lines) plain.push(l.replace(/\x1b\[[0-9;]*m/g, ''));
    else plain.push(...lines);
  }
  if (json) {
    write('[');
    result.events.forEach((e, i) => write(`${JSON.stringify(e)}${i < result.events.length - 1 ? ',' : ''}`));
    write(']');
  }
  if (html !== undefined) {
    writeFileSync(
      html,
      renderHtml({
        title: scenario.name || basename(file),
        description: scenario.description,
        seed: seed ?? scenario.seed,
        durationMs: result.endMs,
        topics: scenario.topics,
        groups: scenario.groups,
        events: result.events,
        text: plain,
      }),
    );
    error(`kafka-twin simulate: wrote ${html}`);
  }
  return 0;
}

/**
 * A progress bar on stderr for long runs: drawn only once a run has taken 300 ms of wall time,
 * redrawn at most once per percent, and wiped before each line of output so the two never mix.
 */
function progressBar(stream: NodeJS.WriteStream): { update: (fraction: number) => void; clear: () => void } {
  let shown = -1;
  let visible = false;
  let started: number | undefined;
  const clear = () => {
    if (visible) stream.write('\r\x1b[2K');
    visible = false;
  };
  const update = (fraction: number) => {
    const now = Date.now();
    started ??= now;
    const pct = Math.floor(fraction * 100);
    if (pct >= 100) {
      clear();
      started = undefined;
      shown = -1;
      return;
    }
    if (now - started < 300 || (pct === shown && visible)) return;
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
