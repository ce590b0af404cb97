#!/usr/bin/env node
/**
 * `kafka-twin` command line.
 */
import { runDemo } from './demo.js';

const USAGE = `Usage: kafka-twin <command> [options]

Commands:
  demo [--seed N]   run the built-in scenario on an in-memory cluster and print its timeline
  help              show this text`;

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: readonly string[], write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
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

// Run only when executed as a program, not when imported by tests.
const invokedAs = process.argv[1] ?? '';
if (invokedAs.endsWith('/cli/main.js') || invokedAs.endsWith('/kafka-twin')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`kafka-twin: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
