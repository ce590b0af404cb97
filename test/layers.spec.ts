/**
 * The floors, checked on the source tree: every import in protocol/, emulator/, client/, adapters/
 * and src/ points to its own floor or one below, and no source file passes 600 lines unless its
 * opening comment says why. A failure lists every violation at once, each with its file, line,
 * import and rule, so one run shows the whole job.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The floors, lowest first, and what each may import besides itself. */
const FLOORS: Readonly<Record<string, readonly string[]>> = {
  protocol: [],
  emulator: ['protocol'],
  client: ['protocol'],
  adapters: ['protocol', 'emulator', 'client'],
  src: ['protocol', 'emulator', 'client', 'adapters'],
};

const MAX_LINES = 600;
/** How far down the opening comment may give its reason for a longer file. */
const REASON_WITHIN_LINES = 12;

/** A source file as the checker sees it: its path from the repository root (with `/`), and its text. */
export interface SourceText {
  readonly path: string;
  readonly text: string;
}

export type Rule = 'floor' | 'src' | 'outside' | 'computed' | 'length';

export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly rule: Rule;
  readonly message: string;
}

interface ImportSite {
  readonly kind: string;
  /** `null` for a dynamic import whose specifier is computed. */
  readonly specifier: string | null;
  readonly line: number;
}

/** Every module specifier in a file: static and type-only imports, re-exports, `import()` in code and in types, `require`. */
export function importsOf(path: string, text: string): ImportSite[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const sites: ImportSite[] = [];
  const add = (kind: string, node: ts.Node, specifier: ts.Node | undefined): void => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    const literal = specifier !== undefined && (ts.isStringLiteral(specifier) || ts.isNoSubstitutionTemplateLiteral(specifier));
    sites.push({ kind, specifier: literal ? specifier.text : null, line });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(node.importClause?.isTypeOnly ? 'import type' : 'import', node, node.moduleSpecifier);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined) {
      add(node.isTypeOnly ? 'export type … from' : 'export … from', node, node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add('import = require', node, node.moduleReference.expression);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add('import() type', node, node.argument.literal);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add('import()', node, node.arguments[0]);
    } else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require' && node.arguments.length === 1) {
      add('require', node, node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

/** Lines as `wc -l` and an editor count them: a final newline does not start another line. */
function lineCount(text: string): number {
  if (text.length === 0) return 0;
  const breaks = text.split('\n').length - 1;
  return text.endsWith('\n') ? breaks : breaks + 1;
}

/** Whether the file's opening comment, within its first lines, says why it is long. */
function statesWhyLonger(text: string): boolean {
  const head = text.split('\n').slice(0, REASON_WITHIN_LINES).join('\n');
  const comments = ts.getLeadingCommentRanges(head, 0) ?? [];
  return comments.some(({ pos, end }) => /\b(lines|longer)\b/i.test(head.slice(pos, end)));
}

function floorOf(path: string): string | null {
  const top = path.split('/')[0] ?? '';
  return Object.hasOwn(FLOORS, top) ? top : null;
}

/**
 * The violations in a set of source files.
 *
 * @param files - The files, by path from the repository root; files outside the floors are ignored.
 * @param selfImports - The package's own bare specifiers (`kafka-twin/kafkajs`) and the path each
 *   resolves to, so a self-reference counts as the import it is.
 */
export function checkLayers(files: readonly SourceText[], selfImports: ReadonlyMap<string, string> = new Map()): Violation[] {
  const violations: Violation[] = [];
  for (const { path, text } of files) {
    const floor = floorOf(path);
    if (floor === null) continue;
    const allowed = FLOORS[floor] as readonly string[];
    for (const { kind, specifier, line } of importsOf(path, text)) {
      const at = { file: path, line };
      if (specifier === null) {
        // src/ may load what a user names (a scenario file); below it, an import nobody can read is an import nobody can check.
        if (floor !== 'src') violations.push({ ...at, rule: 'computed', message: `${kind} with a computed specifier: ${floor}/ imports must be literal to be checked` });
        continue;
      }
      let target: string;
      if (specifier.startsWith('./') || specifier.startsWith('../')) target = posix.normalize(posix.join(posix.dirname(path), specifier));
      else if (specifier.startsWith('/') || specifier.startsWith('file:')) target = specifier;
      else if (selfImports.has(specifier)) target = selfImports.get(specifier) as string;
      else continue; // an npm package or a node: builtin
      const to = floorOf(target);
      const shown = `${kind} '${specifier}'` + (target === specifier ? '' : ` (${target})`);
      if (to === null) {
        violations.push({ ...at, rule: 'outside', message: `${shown} points outside the source floors (protocol, emulator, client, adapters, src)` });
      } else if (to === 'src' && floor !== 'src') {
        violations.push({ ...at, rule: 'src', message: `${shown}: nothing below src/ imports src/` });
      } else if (to !== floor && !allowed.includes(to)) {
        const may = allowed.length === 0 ? 'no other project folder' : allowed.map((f) => `${f}/`).join(', ');
        violations.push({ ...at, rule: 'floor', message: `${shown} points to ${to}/, but ${floor}/ may import ${may}` });
      }
    }
    const lines = lineCount(text);
    if (lines > MAX_LINES && !statesWhyLonger(text)) {
      violations.push({
        file: path,
        line: 1,
        rule: 'length',
        message: `${lines} lines, over ${MAX_LINES}, and its opening comment (first ${REASON_WITHIN_LINES} lines) does not say why it must be longer`,
      });
    }
  }
  return violations;
}

/** One violation a line, in file order: the text an assertion fails with. */
export function report(violations: readonly Violation[]): string {
  return violations.map((v) => `  ${v.file}:${v.line}  ${v.message}`).join('\n');
}

const root = fileURLToPath(new URL('../../', import.meta.url));

function sourceFiles(dir: string): SourceText[] {
  const out: SourceText[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(root + rel).sort()) {
      const child = `${rel}/${name}`;
      if (statSync(root + child).isDirectory()) walk(child);
      else if (name.endsWith('.ts')) out.push({ path: child, text: readFileSync(root + child, 'utf8') });
    }
  };
  walk(dir);
  return out;
}

/** `kafka-twin`, `kafka-twin/kafkajs`, … and the source file each export resolves to. */
function selfImportsFromPackage(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(root + 'package.json', 'utf8')) as { name: string; exports?: Record<string, unknown> };
  const map = new Map<string, string>();
  for (const [key, value] of Object.entries(pkg.exports ?? {})) {
    const target = typeof value === 'string' ? value : (value as { import?: unknown }).import;
    if (typeof target !== 'string') continue;
    const path = posix.normalize(target).replace(/^dist\//, '').replace(/\.js$/, '.ts');
    map.set(pkg.name + key.slice(1), path);
  }
  return map;
}

describe('layers: one floor per layer', () => {
  const files = Object.keys(FLOORS).flatMap(sourceFiles);
  const violations = checkLayers(files, selfImportsFromPackage());
  const of = (...rules: Rule[]): Violation[] => violations.filter((v) => rules.includes(v.rule));

  it('reads the source tree', () => {
    for (const floor of Object.keys(FLOORS)) expect(files.some((f) => f.path.startsWith(`${floor}/`)), `no .ts file under ${floor}/`).to.equal(true);
  });

  it('every import points to its own floor or one below (protocol ← emulator, client ← adapters ← src)', () => {
    const found = of('floor', 'outside', 'computed');
    if (found.length > 0) expect.fail(`${found.length} import(s) against the floors:\n${report(found)}`);
  });

  it('nothing under protocol/, emulator/, client/ or adapters/ imports src/', () => {
    const found = of('src');
    if (found.length > 0) expect.fail(`${found.length} import(s) of src/ from below:\n${report(found)}`);
  });

  it(`no source file passes ${MAX_LINES} lines unless its opening comment says why`, () => {
    const found = of('length');
    if (found.length > 0) expect.fail(`${found.length} file(s) too long:\n${report(found)}`);
  });
});

describe('layers: the checker itself', () => {
  const long = (head: string): string => head + 'export const x = 1;\n'.repeat(MAX_LINES);

  it('finds a floor violation, naming the file, the import and the rule', () => {
    const found = checkLayers([{ path: 'emulator/engine.ts', text: "import type { Kafka } from '../client/interface.js';\n" }]);
    expect(found).to.have.length(1);
    const [v] = found as [Violation];
    expect(v).to.include({ file: 'emulator/engine.ts', line: 1, rule: 'floor' });
    expect(v.message).to.include("import type '../client/interface.js'").and.include('client/').and.include('emulator/ may import protocol/');
  });

  it('allows imports of the same floor, a lower floor and npm packages', () => {
    const text = [
      "import kafkajs from 'kafkajs';",
      "import { randomUUID } from 'node:crypto';",
      "import { Engine } from '../../emulator/engine.js';",
      "import type { Kafka } from '../../client/interface.js';",
      "export { failure } from '../../protocol/errors.js';",
      "export * from './convert.js';",
      "const m = await import('../../protocol/hashing.js');",
    ].join('\n');
    expect(checkLayers([{ path: 'adapters/twin/kafka.ts', text }])).to.deep.equal([]);
  });

  it('sees re-exports, dynamic imports, import types and self-references, and lists them all', () => {
    const text = [
      "export { Cluster } from '../src/cluster.js';",
      "const engine = await import('../emulator/engine.js');",
      "type T = import('../adapters/twin/cluster.js').TwinCluster;",
      "import { Cluster as C } from 'kafka-twin';",
      "import '../test/helpers.js';",
      'const dyn = await import(name);',
      "// import { Nope } from '../src/index.js' is a comment, not an import",
    ].join('\n');
    const found = checkLayers([{ path: 'client/x.ts', text }], new Map([['kafka-twin', 'src/index.ts']]));
    expect(found.map((v) => [v.line, v.rule])).to.deep.equal([
      [1, 'src'],
      [2, 'floor'],
      [3, 'floor'],
      [4, 'src'],
      [5, 'outside'],
      [6, 'computed'],
    ]);
    expect(report(found).split('\n')).to.have.length(6);
  });

  it('lets protocol/ import nothing of the project', () => {
    const found = checkLayers([{ path: 'protocol/errors.ts', text: "import { compareIds } from '../client/assignors/common.js';\n" }]);
    expect(found.map((v) => v.message)).to.deep.equal([
      "import '../client/assignors/common.js' (client/assignors/common.js) points to client/, but protocol/ may import no other project folder",
    ]);
  });

  it(`passes a file over ${MAX_LINES} lines whose opening comment says why, and flags one that does not`, () => {
    const reasoned = long('#!/usr/bin/env node\n/**\n * The coordinator.\n *\n * Longer than 600 lines because the state machine reads best in one place.\n */\n');
    const silent = long('/** The coordinator. */\n');
    const tooLate = long('/**\n' + ' * The coordinator.\n'.repeat(REASON_WITHIN_LINES) + ' * It needs more lines than usual.\n */\n');
    const found = checkLayers([
      { path: 'emulator/groups/a.ts', text: reasoned },
      { path: 'emulator/groups/b.ts', text: silent },
      { path: 'emulator/groups/c.ts', text: tooLate },
      { path: 'emulator/groups/d.ts', text: 'export const x = 1;\n'.repeat(MAX_LINES) },
    ]);
    expect(found.map((v) => [v.file, v.rule])).to.deep.equal([
      ['emulator/groups/b.ts', 'length'],
      ['emulator/groups/c.ts', 'length'],
    ]);
    expect((found[0] as Violation).message).to.match(/^601 lines, over 600/);
  });

  it('ignores files outside the floors', () => {
    expect(checkLayers([{ path: 'test/x.spec.ts', text: "import { Cluster } from '../src/index.js';\n" + long('') }])).to.deep.equal([]);
  });
});
