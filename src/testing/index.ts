/**
 * `kafka-twin/testing`: property-test stream processing code on the twin. fast-check arbitraries
 * for messages, topologies and fault schedules; a runner that plays a schedule against a
 * processor on a fresh twin and returns a trace; invariants over traces; and `checkProcessor`,
 * which ties them together and shrinks failures to a short, replayable schedule.
 */
export {
  AddPartitionsStep,
  AdvanceStep,
  BrokerStep,
  CrashStep,
  JoinStep,
  LeaveStep,
  LostAckStep,
  PauseStep,
  ProduceStep,
  RequestFaultStep,
  Scenario,
  formatMessage,
  formatTopology,
} from './steps.js';
export type { ScenarioMessage, Step, TopicLayout, Topology } from './steps.js';
export { defaultTopology, exactlyOnceSchedule, keyArb, messageArb, requestFaultArb, scenarioArb, scheduleArb, stepArb, topicLayoutArb, topologyArb } from './arbitraries.js';
export type { KeyOptions, MessageOptions, ScenarioOptions, ScheduleOptions, StepWeights, TopicLayoutOptions, TopologyOptions } from './arbitraries.js';
export { runScenario } from './runner.js';
export type { RunScenarioOptions } from './runner.js';
export { CrashSignal } from './scenario-run.js';
export type { ScenarioRun } from './scenario-run.js';
export type {
  CommitEntry,
  CommittedView,
  Delivery,
  GenerationEntry,
  LifecycleEntry,
  MessageHandler,
  OutputLogRecord,
  Processor,
  ProcessorContext,
  Trace,
  TraceRecord,
  TransactionalProducer,
} from './trace.js';
export {
  checkTrace,
  committedNotAhead,
  defaultInvariants,
  exactlyOnce,
  formatTrace,
  noDoubleOwnership,
  noGapsAfterRestart,
  orderPerPartition,
  outputMatchesModel,
  processedAtLeastOnce,
} from './invariants.js';
export type { ExpectedRecord, FormatTraceOptions, Invariant, OutputMatchesModelOptions, OutputModel } from './invariants.js';
export { ScenarioFailure, checkProcessor, checkScenario, scenarioProperty } from './check.js';
export type { CheckOptions, CheckProcessorOptions } from './check.js';
