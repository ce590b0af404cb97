/**
 * kafkajs's TypeScript documentation examples (test/types/docs/, each a copy with `new Kafka(` replaced by
 * `cluster.kafka(`) compile against the twin and run on it. They are compiled here, with the
 * TypeScript compiler, under settings a kafkajs user would have (strict, NodeNext), not the
 * project's stricter ones (verbatimModuleSyntax, noUnusedLocals), which kafkajs's own examples do
 * not meet; that is why the main build leaves test/types/docs out.
 */
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import type { Cluster } from '../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The examples' sources (this file runs from dist/test/types). */
const sources = resolve(here, '../../../test/types/docs');
/** Emitted next to this file; they import the twin as a user does, by the package's name (its built types and code). */
const out = join(here, 'docs');

const files = readdirSync(sources)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(sources, f));

let emitted: ts.Diagnostic[] | undefined;

/** Compiles the examples once; the diagnostics of every example file. */
function compile(): ts.Diagnostic[] {
  if (emitted !== undefined) return emitted;
  const program = ts.createProgram(files, {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node'],
    rootDir: sources,
    outDir: out,
  });
  const diagnostics = [...ts.getPreEmitDiagnostics(program)];
  for (const file of files) diagnostics.push(...program.emit(program.getSourceFile(file)).diagnostics);
  emitted = diagnostics;
  return diagnostics;
}

function format(d: ts.Diagnostic): string {
  const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
  return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
}

/** Runs `fn` with console.log captured; the lines it logged. */
async function logged(fn: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  try {
    await fn();
  } finally {
    console.log = original;
  }
  return lines;
}

describe("kafkajs's TypeScript documentation examples on the twin", function () {
  this.timeout(120_000);

  it('compile against the twin (ConsumerExample.md, ProducerExample.md)', () => {
    expect(files.map((f) => f.slice(sources.length + 1)).sort()).to.deep.equal(['consumer-example.ts', 'producer-example.ts']);
    expect(compile().map(format)).to.deep.equal([]);
  });

  it('run: the producer example sends a batch that the consumer example receives and logs', async () => {
    expect(compile().map(format)).to.deep.equal([]);
    const producerModule = (await import(pathToFileURL(join(out, 'producer-example.js')).href)) as {
      default: new () => { start(): Promise<void>; sendBatch(m: { a: string }[]): Promise<void>; shutdown(): Promise<void> };
      cluster: Cluster;
    };
    const consumerModule = (await import(pathToFileURL(join(out, 'consumer-example.js')).href)) as {
      default: new (processor: object) => { startConsumer(): Promise<void>; shutdown(): Promise<void> };
      cluster: Cluster;
    };
    const producer = new producerModule.default();
    await producer.start();
    await producer.sendBatch([{ a: 'one' }, { a: 'two' }]);
    const sent = producerModule.cluster.describeTopic('producer-topic').partitions.map((p) => producerModule.cluster.listOffsets('producer-topic', p.partition, 'latest').offset);
    expect(sent.reduce((a, b) => a + b, 0)).to.equal(2);
    await producer.shutdown();

    // The consumer example subscribes to example-topic (not from the beginning): start it, then produce.
    const cluster = consumerModule.cluster;
    const consumer = new consumerModule.default({});
    const lines = await logged(async () => {
      await consumer.startConsumer();
      const p = cluster.kafka().producer();
      await p.connect();
      await p.send({ topic: 'example-topic', messages: [{ key: 'k', value: 'hello' }] });
      await cluster.idle();
      await consumer.shutdown();
    });
    expect(lines.filter((l) => !l.startsWith('Error')).map((l) => l.replace(/\/ \d+/, '/ T'))).to.deep.equal(['- example-topic[0 | 0] / T k#hello']);
  });
});
