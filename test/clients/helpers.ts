/**
 * Unchanged external clients against the twin's wire front end (npm run test:clients): kcat
 * (librdkafka) and Kafka 3.9's own command-line tools, run as separate processes exactly as a
 * user would run them. Nothing here is skipped when a tool is missing: `requireKcat()` and
 * `requireKafkaTools()` throw, naming how to install it, so the suite fails.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Compiled to dist/test/clients/; the repository root is three levels up.
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');
const kafkaTool = join(root, 'scripts/kafka-tool.sh');

/** Fails (throws) unless kcat runs, saying how to install it. Returns its version line. */
export function requireKcat(): string {
  const r = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(
      'kcat is not installed (or does not run): the unchanged-client tests need it. Install it with `sudo apt-get install -y kcat` (Debian/Ubuntu) or `brew install kcat`; .ci/run installs it.',
    );
  }
  return r.stdout.split('\n')[0]!;
}

/** The folder holding Kafka's jars, as scripts/kafka-tool.sh finds it. */
export function kafkaLib(): string {
  return join(process.env['KAFKA_TWIN_DIR'] ?? join(root, '.kafka'), 'lib');
}

/** Fails (throws) unless Java and Kafka's tool jars are there, saying how to get them. */
export function requireKafkaTools(): void {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error !== undefined || java.status !== 0) {
    throw new Error(
      "Java is not installed: Kafka's command-line tools need a JDK 17+ (Debian/Ubuntu: `sudo apt-get install -y openjdk-17-jdk-headless maven`).",
    );
  }
  const lib = kafkaLib();
  const jars = existsSync(lib) ? readdirSync(lib) : [];
  if (!jars.some((j) => /^kafka-tools-3\.9\.\d+\.jar$/.test(j)) || !jars.some((j) => /^kafka_2\.13-3\.9\.\d+\.jar$/.test(j))) {
    throw new Error(
      `Kafka 3.9's tool jars (kafka-tools, kafka_2.13) are not in ${lib}: fetch them with \`npm run kafka:jars\` (Maven; \`npm run test:clients\` does it first), or point KAFKA_TWIN_DIR at a folder whose lib/ has them.`,
    );
  }
}

/** What a finished process printed. */
export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running process: what it has printed so far, and its end. */
export class Running {
  stdout = '';
  stderr = '';
  readonly done: Promise<Ran>;
  private waiters: (() => void)[] = [];

  constructor(
    readonly what: string,
    readonly child: ChildProcess,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      for (const w of this.waiters.splice(0)) w();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.done = new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout: this.stdout, stderr: this.stderr }));
    });
  }

  /** Resolves once stdout satisfies `test`; fails after `ms` or if the process ends first. */
  async waitFor(test: (stdout: string) => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    let ended = false;
    void this.done.then(
      () => (ended = true),
      () => (ended = true),
    );
    while (!test(this.stdout)) {
      if (ended) throw new Error(`${this.what} ended before ${what}\nstdout: ${this.stdout.slice(-2000)}\nstderr: ${this.stderr.slice(-2000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.what}: no ${what} within ${ms} ms\nstdout: ${this.stdout.slice(-2000)}\nstderr: ${this.stderr.slice(-2000)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, Math.min(left, 200)).unref();
      });
    }
  }

  /** Resolves with the process's end, failing (and killing it) after `ms`. */
  async finish(ms: number): Promise<Ran> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`${this.what}: still running after ${ms} ms\nstdout: ${this.stdout.slice(-2000)}\nstderr: ${this.stderr.slice(-2000)}`));
      }, ms);
    });
    try {
      return await Promise.race([this.done, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

const running = new Set<ChildProcess>();

/** Starts `command args` (never blocking the event loop: an in-process twin must go on serving it). */
export function start(command: string, args: readonly string[], input?: string): Running {
  const child = spawn(command, args, { cwd: root, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  running.add(child);
  child.once('close', () => running.delete(child));
  if (input !== undefined) child.stdin!.end(input);
  return new Running([command, ...args].join(' '), child);
}

/** Runs `command args` to its end (at most `ms`), feeding it `input`. */
export function run(command: string, args: readonly string[], { input, ms = 60_000 }: { input?: string; ms?: number } = {}): Promise<Ran> {
  return start(command, args, input).finish(ms);
}

/** Runs `command args` and fails unless it exits 0; returns what it printed. */
export async function ok(command: string, args: readonly string[], options: { input?: string; ms?: number } = {}): Promise<Ran> {
  const r = await run(command, args, options);
  // The head of stderr too: a Java tool prints its error first and then its whole usage text.
  const stderr = r.stderr.length > 4500 ? `${r.stderr.slice(0, 1500)}\n[...]\n${r.stderr.slice(-3000)}` : r.stderr;
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')}: exit ${r.code}\nstdout: ${r.stdout.slice(-3000)}\nstderr: ${stderr}`);
  return r;
}

/** Starts one of Kafka's tools by its bin/ name (scripts/kafka-tool.sh kafka-topics ...). */
export function startTool(tool: string, args: readonly string[], input?: string): Running {
  return start(kafkaTool, [tool, ...args], input);
}

/** Runs one of Kafka's tools to its end and fails unless it exits 0. */
export function tool(name: string, args: readonly string[], options: { input?: string; ms?: number } = {}): Promise<Ran> {
  return ok(kafkaTool, [name, ...args], options);
}

/** A running `kafka-twin serve`: its bootstrap list (its first stdout line). */
export interface Served {
  readonly bootstrap: string;
  readonly process: Running;
  stop(): Promise<void>;
}

/** Starts `kafka-twin serve args` on ephemeral ports and waits for its bootstrap line. */
export async function serve(args: readonly string[]): Promise<Served> {
  const p = start(process.execPath, [cli, 'serve', ...args]);
  await p.waitFor((out) => out.includes('\n'), 20_000, 'bootstrap line');
  const bootstrap = p.stdout.split('\n')[0]!;
  return {
    bootstrap,
    process: p,
    async stop() {
      p.child.kill('SIGTERM');
      await p.finish(20_000);
    },
  };
}

/** Kills whatever a spec left running (a failed test's tool). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** The JSON objects of a JSON-lines output (kcat -J, the Verifiable* tools), skipping nothing: a bad line throws. */
export function jsonLines<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as T;
      } catch {
        throw new Error(`not a JSON line: ${l}`);
      }
    });
}

/**
 * Starts one of Kafka 3.9's tool classes that scripts/kafka-tool.sh has no bin/ name for (the
 * system-test TransactionalMessageCopier, TransactionsCommand behind kafka-transactions.sh), as
 * that script runs the others: the same jars, JVM flags and logging to stderr.
 */
export function startJavaTool(mainClass: string, args: readonly string[]): Running {
  return start(process.env['JAVA'] ?? 'java', [
    ...(process.env['KAFKA_TOOL_HEAP'] ?? '-Xmx256m').split(' '),
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    `-Dlog4j.configuration=file:${join(root, 'scripts/kafka/tools-log4j.properties')}`,
    `-Dkafka.tool.log.level=${process.env['KAFKA_TOOL_LOG_LEVEL'] ?? 'ERROR'}`,
    '-cp',
    `${kafkaLib()}/*`,
    mainClass,
    ...args,
  ]);
}

/** Runs a tool class to its end (at most `ms`) and fails unless it exits 0. */
export async function javaTool(mainClass: string, args: readonly string[], ms = 60_000): Promise<Ran> {
  const r = await startJavaTool(mainClass, args).finish(ms);
  if (r.code !== 0) throw new Error(`${mainClass} ${args.join(' ')}: exit ${r.code}\nstdout: ${r.stdout.slice(-3000)}\nstderr: ${r.stderr.slice(-3000)}`);
  return r;
}
