/**
 * `kafka-twin demo`: the built-in teaching scenario, examples/scenarios/demo.yaml, a script that
 * `simulate` runs like any other scenario file. The package ships examples/scenarios (see the
 * `files` of package.json), so the file sits three levels above this module both in the
 * repository (dist/src/cli/) and in an installed package.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseScenario, type ResolvedScenario } from './scenario.js';

/** Where the built-in scenario lives, next to the other teaching scenarios. */
export const DEMO_FILE = fileURLToPath(new URL('../../../examples/scenarios/demo.yaml', import.meta.url));

/** The built-in scenario, validated; a problem in it is a bug of the package, so it throws. */
export function demoScenario(): ResolvedScenario {
  const { errors, scenario } = parseScenario(readFileSync(DEMO_FILE, 'utf8'), DEMO_FILE);
  if (scenario === undefined) throw new Error(`the built-in demo scenario is invalid:\n${errors.join('\n')}`);
  return scenario;
}
