/**
 * Property checks: scenarios drawn by fast-check, run on the twin, checked against invariants.
 */
import fc from 'fast-check';
import { scenarioArb, type ScenarioOptions } from './arbitraries.js';
import { checkTrace, defaultInvariants, formatTrace, outputMatchesModel, type Invariant, type OutputMatchesModelOptions, type OutputModel } from './invariants.js';
import { runScenario } from './runner.js';
import type { Scenario } from './steps.js';
import type { Processor, Trace } from './trace.js';

/** Options of {@link scenarioProperty} and {@link checkProcessor}. */
export interface CheckProcessorOptions extends ScenarioOptions {
  /** The application under test. */
  processor: Processor;
  /**
   * Invariants every run must satisfy.
   * @defaultValue {@link defaultInvariants}
   */
  invariants?: readonly Invariant[];
  /**
   * A pure model of the processor's output; when given, {@link outputMatchesModel} is checked too.
   * @defaultValue undefined
   */
  model?: OutputModel;
  /**
   * How the output is compared with the model.
   * @defaultValue `{ compare: 'set' }`
   */
  modelOptions?: OutputMatchesModelOptions;
  /**
   * Broker settings (Kafka's names).
   * @defaultValue `{}`
   */
  brokerConfig?: Record<string, string | number | boolean>;
  /**
   * Called with every trace (for statistics or logging).
   * @defaultValue undefined
   */
  onTrace?: (trace: Trace) => void;
}

/** Options of {@link checkProcessor}: the property's options plus fast-check's run parameters. */
export interface CheckOptions extends CheckProcessorOptions {
  /**
   * Scenarios to try.
   * @defaultValue 25
   */
  numRuns?: number;
  /**
   * fast-check's seed; pass the one a failure printed to replay it.
   * @defaultValue drawn by fast-check
   */
  seed?: number;
  /**
   * fast-check's path; with `seed`, replays the shrunk counterexample directly.
   * @defaultValue undefined
   */
  path?: string;
  /**
   * Any other fast-check parameters (`verbose`, `endOnFailure`, ...).
   * @defaultValue `{ includeErrorInReport: true }` (the broken invariants and the timeline are part of the report)
   */
  parameters?: fc.Parameters<[Scenario]>;
}

/** The failure a scenario raises: the broken invariants and the run's timeline. */
export class ScenarioFailure extends Error {
  constructor(
    readonly failures: readonly string[],
    readonly trace: Trace,
  ) {
    super(`${failures.length} invariant${failures.length === 1 ? '' : 's'} broken:\n${failures.map((f) => `  - ${f}`).join('\n')}\n${formatTrace(trace)}`);
    this.name = 'ScenarioFailure';
  }
}

/** Runs one scenario and throws a {@link ScenarioFailure} when an invariant breaks. */
export async function checkScenario(scenario: Scenario, options: CheckProcessorOptions): Promise<Trace> {
  const invariants = [...(options.invariants ?? defaultInvariants), ...(options.model ? [outputMatchesModel(options.model, options.modelOptions)] : [])];
  const trace = await runScenario({ processor: options.processor, scenario, ...(options.brokerConfig ? { brokerConfig: options.brokerConfig } : {}) });
  options.onTrace?.(trace);
  const failures = checkTrace(trace, invariants);
  if (failures.length > 0) throw new ScenarioFailure(failures, trace);
  return trace;
}

/** A fast-check async property over scenarios, for `fc.assert(property, { seed, path, numRuns })` in any runner. */
export function scenarioProperty(options: CheckProcessorOptions): fc.IAsyncPropertyWithHooks<[Scenario]> {
  return fc.asyncProperty(scenarioArb(options), async (scenario) => {
    await checkScenario(scenario, options);
  });
}

/**
 * Checks a processor on `numRuns` scenarios; rejects with fast-check's report (seed, path, the
 * shrunk schedule and the broken invariants) when one fails. Await it from mocha, or any runner.
 */
export async function checkProcessor(options: CheckOptions): Promise<void> {
  const { numRuns = 25, seed, path, parameters = {} } = options;
  const params: fc.Parameters<[Scenario]> = { numRuns, includeErrorInReport: true, ...parameters };
  if (seed !== undefined) params.seed = seed;
  if (path !== undefined) params.path = path;
  await fc.assert(scenarioProperty(options), params);
}
