/**
 * The scenario file of `kafka-twin simulate` (and the built-in demo, examples/scenarios/demo.yaml):
 * small TypeScript types for what a JSON or YAML file describes, and a validator that reports
 * every problem with its location (a line and column in YAML and in malformed JSON) instead of
 * throwing. The format is documented with examples in examples/scenarios/README.md.
 */
import type { InjectFaultOptions } from '../../emulator/faults.js';
import { LineCounter, isNode, parseDocument } from 'yaml';
import { checkScript, type ScriptStep } from './script.js';
import { Checker, DEFAULT_MAX_TRANSACTION_TIMEOUT_MS, checkFaults, checkGroups, checkProducers, checkRunShape, checkTopics, isNonNegativeInt, isObject } from './validate.js';

export { parseDuration } from './validate.js';

/**
 * A span or point of virtual time: a number of milliseconds, or a string of a number and a unit,
 * `"250ms"`, `"30s"`, `"5m"`, `"1h"`. Points are measured from the start of the run.
 */
export type Duration = number | string;

/** A broker or topic setting value, under Kafka's own names. */
export type ConfigValue = string | number | boolean;

/**
 * A whole scenario file. Either a timed run (`duration`, and members and faults at given times)
 * or a script (`script`: steps one after another, each waiting for what it starts).
 */
export interface Scenario {
  /** Shown in the timeline's heading. */
  name?: string;
  /** One or two sentences saying what the scenario teaches; shown under the heading. */
  description?: string;
  /** Seed of the cluster; `--seed` overrides it. @defaultValue 1 */
  seed?: number;
  /** Number of brokers, ids 1..N unless `brokerIds` names them. Required unless `brokerIds` is given. */
  brokers?: number;
  /** The brokers' ids (Kafka's `node.id`), e.g. `[0, 1, 2]`; alone it gives the count. @defaultValue 1..brokers */
  brokerIds?: number[];
  /** Broker settings (`BROKER_CONFIGS`), e.g. `"replica.lag.time.max.ms": 10000`. */
  config?: Record<string, ConfigValue>;
  /** How long the run lasts in virtual time; a script has none (its steps set the pace). */
  duration?: Duration;
  /** How often producers send a batch: the step of the simulation. @defaultValue "1s" */
  tick?: Duration;
  /** Print a status block (leaders, ISR, lag) this often; always printed at the end of a timed run. */
  statusEvery?: Duration;
  /** Topics, created at time 0 in this order. */
  topics: TopicSpec[];
  /** Producers, each writing to one topic at a steady rate. */
  producers?: ProducerSpec[];
  /** Consumer groups and the members that join, leave and crash. */
  groups?: GroupSpec[];
  /** Broker faults at given times. */
  faults?: FaultSpec[];
  /** Steps run one after another instead of a timed schedule (see {@link ScriptStepSpec}). */
  script?: ScriptStepSpec[];
}

/** A topic created at the start of the run. */
export interface TopicSpec {
  name: string;
  partitions: number;
  /** @defaultValue 1 */
  replicationFactor?: number;
  /** Topic settings (`TOPIC_CONFIGS`), e.g. `"retention.ms": 300000`. */
  config?: Record<string, ConfigValue>;
}

/** A producer writing keyed records to one topic. */
export interface ProducerSpec {
  name: string;
  topic: string;
  /** Records per second (of virtual time). */
  rate: number;
  /** Number of distinct keys, `key-0` .. `key-(N-1)`, used in turn; 0 sends no key (round-robin). @defaultValue 100 */
  keys?: number;
  /** 0, 1, or "all" (also -1). @defaultValue "all" */
  acks?: 0 | 1 | -1 | 'all';
  /** A script's record key pattern instead of `keys`: `{seq}` is the record number, e.g. `"ride-{seq}"`. */
  key?: string;
  /** A script's record value pattern. @defaultValue `"<name>#{seq}"` */
  value?: string;
  /** A script's producer: kafkajs's idempotent producer (a producer id and sequence numbers: a retried batch is written once). Needs acks "all". */
  idempotent?: boolean;
  /**
   * A script's producer: kafkajs's transactional producer with this transactional id (idempotent
   * too); it sends only between `begin` and `commit`/`abort` steps. Two producers of one file may
   * share an id: two instances of one application, the later one fencing the earlier.
   */
  transactionalId?: string;
  /** With `transactionalId`: transaction.timeout.ms, at most the brokers' transaction.max.timeout.ms. @defaultValue "60s" */
  transactionTimeout?: Duration;
  /** When it starts writing (timed runs). @defaultValue 0 */
  from?: Duration;
  /** When it stops writing (timed runs). @defaultValue the end of the run */
  until?: Duration;
}

/** A consumer group: kafkajs consumers with one group id. */
export interface GroupSpec {
  id: string;
  topics: string[];
  /** Where a member starts without a committed offset. @defaultValue true */
  fromBeginning?: boolean;
  /** session.timeout.ms of its members; a crashed member is removed after it. @defaultValue "30s" */
  sessionTimeout?: Duration;
  /** kafkajs's `readUncommitted`: read_uncommitted (records of open and aborted transactions too) instead of read_committed. @defaultValue false */
  readUncommitted?: boolean;
  /** A timed run's member sessions; a script starts members with `join` steps instead. */
  members?: MemberSpec[];
}

/**
 * One session of a member: it joins at `join`, and either leaves cleanly (LeaveGroup) at `leave`
 * or crashes (stops without a word, so the coordinator waits for the session timeout) at `crash`.
 * The same name may appear again for a later session.
 */
export interface MemberSpec {
  name: string;
  join: Duration;
  leave?: Duration;
  crash?: Duration;
}

/** A broker fault (or a request fault, a latency, a reassignment): exactly one action, at a time. */
export interface FaultSpec {
  at: Duration;
  /**
   * Reassigns a partition (`topic-N`) to `replicas` (AlterPartitionReassignments): the new replicas
   * catch up and join the ISR, then the others are removed. `replicas: null` cancels the
   * reassignment in progress.
   */
  reassign?: string;
  /** With `reassign`: the target broker ids, the first the preferred leader; null cancels. */
  replicas?: number[] | null;
  stop?: number;
  start?: number;
  isolate?: number;
  heal?: number;
  /** A request fault (`Cluster.injectFault`) on this Kafka API, with `error` and the optional `count`, `broker`, `topic`, `partition`, `when`. */
  'inject-fault'?: string;
  /** A broker whose every answer is delayed by `ms` from now on (`Cluster.setLatency`). */
  'set-latency'?: number;
  /** Removes every request fault and latency (`Cluster.clearFaults`). */
  'clear-faults'?: true;
  error?: string;
  count?: number;
  broker?: number;
  topic?: string;
  partition?: number;
  when?: 'before' | 'after';
  ms?: Duration;
}

/**
 * One step of a script: exactly one action, and the options that action takes. Text in `section`
 * and `say` may name `{sent}`, `{delivered}`, `{events}`, `{sent since <mark>}`,
 * `{delivered since <mark>}`, `{delivered to <group>}` and brokers named by `pick`.
 */
export interface ScriptStepSpec {
  /** A blank line and a `== heading`. */
  section?: string;
  /** A line of text. */
  say?: string;
  /** Creates a topic of `topics` (those no step creates exist from 00:00). */
  create?: string;
  /** Prints a topic's partition table: leader, replicas, ISR, log start, high watermark. */
  partitions?: string;
  /** Connects a producer's kafkajs client (otherwise its first `send` does). */
  connect?: string;
  /** Begins a transaction of a transactional producer (kafkajs's `producer.transaction()`; the first one gets its producer id, fencing an older instance). */
  begin?: string;
  /** Commits the producer's open transaction and waits until the coordinator has written its markers. */
  commit?: string;
  /** Aborts the producer's open transaction and waits until the coordinator has written its markers. */
  abort?: string;
  /** Sends for this long: each tick, one batch of rate x tick records, acknowledged before the clock moves on. */
  send?: Duration;
  /** With `send`: which producer. @defaultValue the only one */
  producer?: string;
  /** Starts a member (a kafkajs consumer) and waits until it runs. */
  join?: string;
  /** With `join`: which group. @defaultValue the only one */
  group?: string;
  /** Members that leave cleanly (LeaveGroup), one after another. */
  leave?: string | string[];
  /** A member that crashes: no LeaveGroup; the group waits for its session timeout. */
  crash?: string;
  /** Names a broker for later steps and text, with `leaderOf`. */
  pick?: string;
  /** With `pick`: the partition (`topic-N`) whose leader it names, at this step. */
  leaderOf?: string;
  stop?: number | string;
  start?: number | string;
  isolate?: number | string;
  heal?: number | string;
  /** A request fault (`Cluster.injectFault`) on this Kafka API; options `error`, `count`, `broker` (an id or a picked name), `topic`, `partition`, `when`. */
  'inject-fault'?: string;
  /** With `inject-fault`: a Kafka error name, or `DISCONNECT`. */
  error?: string;
  /** With `inject-fault`: how many requests. @defaultValue 1 */
  count?: number;
  /** With `inject-fault`: only requests to this broker (an id or a picked name). */
  broker?: number | string;
  /** With `inject-fault`: only requests naming this topic. */
  topic?: string;
  /** With `inject-fault` and `topic`: only requests naming this partition. */
  partition?: number;
  /** With `inject-fault`: refuse the request (`before`) or apply it and lose the answer (`after`). @defaultValue 'before' */
  when?: 'before' | 'after';
  /** Delays every answer of this broker (an id or a picked name) by `ms` (`Cluster.setLatency`). */
  'set-latency'?: number | string;
  /** With `set-latency`: the delay, 0 for none. */
  ms?: Duration;
  /** Removes every request fault and latency (`Cluster.clearFaults`). */
  'clear-faults'?: true;
  /** Moves the clock this long, or (`idle`) until every consumer has settled and caught up. */
  wait?: Duration;
  /** Prints a group's committed offset and high watermark per partition. */
  committed?: string;
  /** Prints a group's committed offset and lag per partition. */
  lag?: string;
  /** Remembers the counters now, for `{sent since <mark>}` and `{delivered since <mark>}`. */
  mark?: string;
}

/** One problem in a scenario file: where (a path like `topics[1].partitions`) and what. */
export interface ScenarioProblem {
  path: string;
  message: string;
}

/** A validated producer, every default filled in. */
export interface ResolvedProducer {
  name: string;
  topic: string;
  rate: number;
  keys: number;
  acks: 0 | 1 | -1;
  fromMs: number;
  untilMs: number;
  /** A script's key pattern, when it has one. */
  key?: string;
  /** A script's value pattern, when it has one. */
  value?: string;
  /** Idempotent (always so when transactional). */
  idempotent: boolean;
  /** A transactional producer's id. */
  transactionalId?: string;
  /** A transactional producer's transaction.timeout.ms. */
  transactionTimeoutMs?: number;
}

/** A validated group. */
export interface ResolvedGroup {
  id: string;
  topics: string[];
  fromBeginning: boolean;
  sessionTimeoutMs: number;
  /** read_uncommitted instead of read_committed. */
  readUncommitted: boolean;
  /** A timed run's sessions; none in a script. */
  members: { name: string; joinMs: number; endMs: number | undefined; end: 'leave' | 'crash' | undefined }[];
}

/** What both kinds of run resolve to. */
interface ResolvedCommon {
  name: string;
  description: string;
  seed: number;
  brokers: number;
  /** The brokers' ids, 1..brokers unless the file names them. */
  brokerIds: number[];
  config: Record<string, ConfigValue>;
  tickMs: number;
  topics: { name: string; partitions: number; replicationFactor: number; config: Record<string, ConfigValue> }[];
  producers: ResolvedProducer[];
  groups: ResolvedGroup[];
}

/** A validated timed run with every time in milliseconds and every default filled in. */
export interface TimedScenario extends ResolvedCommon {
  script?: undefined;
  durationMs: number;
  statusEveryMs: number | undefined;
  faults: TimedFault[];
}

/** A validated fault of a timed run: a broker's, or a request fault, latency, or their clearing. */
export type TimedFault =
  | { atMs: number; action: 'stop' | 'start' | 'isolate' | 'heal'; broker: number }
  | { atMs: number; action: 'inject-fault'; options: InjectFaultOptions }
  | { atMs: number; action: 'set-latency'; broker: number; ms: number }
  | { atMs: number; action: 'clear-faults' }
  | { atMs: number; action: 'reassign'; topic: string; partition: number; replicas: number[] | null };

/** A validated script. */
export interface ScriptedScenario extends ResolvedCommon {
  script: readonly ScriptStep[];
}

/** A validated scenario, either kind. */
export type ResolvedScenario = TimedScenario | ScriptedScenario;

const SCENARIO_KEYS = ['name', 'description', 'seed', 'brokers', 'brokerIds', 'config', 'duration', 'tick', 'statusEvery', 'topics', 'producers', 'groups', 'faults', 'script'];
// A script's steps set the pace and say when members come and go and brokers fail.
const SCRIPT_KEYS = ['name', 'description', 'seed', 'brokers', 'brokerIds', 'config', 'tick', 'topics', 'producers', 'groups', 'script'];

/** Checks a parsed JSON document; returns every problem found, or the resolved scenario. */
export function validateScenario(input: unknown): { problems: ScenarioProblem[]; scenario?: ResolvedScenario } {
  const c = new Checker();
  if (!isObject(input)) {
    c.problem('(root)', 'must be a JSON object');
    return { problems: c.problems };
  }
  const scripted = input.script !== undefined;
  c.unknownKeys(input, scripted ? SCRIPT_KEYS : SCENARIO_KEYS, '');
  const shape = checkRunShape(c, input, scripted);
  const topics = checkTopics(c, input, shape.brokers);
  const topicNames = new Set(topics.map((t) => t.name));
  const maxTimeout = Number(shape.config['transaction.max.timeout.ms'] ?? DEFAULT_MAX_TRANSACTION_TIMEOUT_MS);
  const producers = checkProducers(c, input, topicNames, shape.durationMs ?? Number.MAX_SAFE_INTEGER, scripted, maxTimeout);
  const groups = checkGroups(c, input, topicNames, shape.durationMs, scripted);
  const faults = scripted ? [] : checkFaults(c, input, shape.brokerIds, shape.durationMs, topics.map((t) => t.name), topics);
  const script = scripted ? checkScript(c, input.script, { brokerIds: shape.brokerIds, tickMs: shape.tickMs, topics, producers, groups }) : undefined;
  if (c.problems.length > 0) return { problems: c.problems };
  const common: ResolvedCommon = {
    name: typeof input.name === 'string' ? input.name : '',
    description: typeof input.description === 'string' ? input.description : '',
    seed: isNonNegativeInt(input.seed) ? input.seed : 1,
    brokers: shape.brokers,
    brokerIds: shape.brokerIds,
    config: shape.config,
    tickMs: shape.tickMs!,
    topics,
    producers,
    groups,
  };
  if (script !== undefined) return { problems: c.problems, scenario: { ...common, script } };
  return { problems: c.problems, scenario: { ...common, durationMs: shape.durationMs!, statusEveryMs: shape.statusEveryMs, faults } };
}

/**
 * Parses and validates the text of a scenario file, JSON or (when the name ends in `.yaml`/`.yml`)
 * YAML; problems are prefixed with `file: `, and with the line and column where they are known.
 */
export function parseScenario(text: string, file: string): { errors: string[]; scenario?: ResolvedScenario } {
  if (/\.ya?ml$/i.test(file)) return parseYamlScenario(text, file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // V8 names a byte position; a line and column are what an editor can jump to.
    const message = (e as Error).message;
    const position = /at position (\d+)/.exec(message);
    if (position === null) return { errors: [`${file}: not valid JSON: ${message}`] };
    const before = text.slice(0, Number(position[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    const what = message.replace(/ in JSON at position \d+.*$/, '').replace(/, ".*" is not valid JSON$/, '');
    return { errors: [`${file}:${line}:${column}: not valid JSON: ${what}`] };
  }
  const { problems, scenario } = validateScenario(json);
  return { errors: problems.map((p) => `${file}: ${p.path}: ${p.message}`), scenario };
}

function parseYamlScenario(text: string, file: string): { errors: string[]; scenario?: ResolvedScenario } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number): string => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) return { errors: doc.errors.map((e) => `${at(e.pos[0])}: not valid YAML: ${e.message.split('\n')[0]}`) };
  const { problems, scenario } = validateScenario(doc.toJS());
  // A problem's path leads to the node it is about, or (for a missing field) to the nearest one that exists.
  const where = (path: string): string => {
    const keys = [...path.matchAll(/\[(\d+)\]|\["([^"]*)"\]|([^.[\]]+)/g)].map((m) => (m[1] !== undefined ? Number(m[1]) : (m[2] ?? m[3]!)));
    for (let n = path === '(root)' ? 0 : keys.length; n >= 0; n--) {
      const node: unknown = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true);
      if (isNode(node) && node.range) return at(node.range[0]);
    }
    return file;
  };
  return { errors: problems.map((p) => `${where(p.path)}: ${p.path}: ${p.message}`), scenario };
}
