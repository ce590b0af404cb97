/**
 * The scenario file of `kafka-twin simulate`: small TypeScript types for what a JSON file
 * describes, and a validator that reports every problem with its location instead of throwing.
 * The format is documented with examples in examples/scenarios/README.md.
 */
import { LineCounter, isNode, parseDocument } from 'yaml';
import { BROKER_CONFIGS, TOPIC_CONFIGS } from '../../emulator/config.js';

/**
 * A span or point of virtual time: a number of milliseconds, or a string of a number and a unit,
 * `"250ms"`, `"30s"`, `"5m"`, `"1h"`. Points are measured from the start of the run.
 */
export type Duration = number | string;

/** A broker or topic setting value, under Kafka's own names. */
export type ConfigValue = string | number | boolean;

/** A whole scenario file. */
export interface Scenario {
  /** Shown in the timeline's heading. */
  name?: string;
  /** One or two sentences saying what the scenario teaches; shown under the heading. */
  description?: string;
  /** Seed of the cluster; `--seed` overrides it. @defaultValue 1 */
  seed?: number;
  /** Number of brokers, ids 1..N. */
  brokers: number;
  /** Broker settings (`BROKER_CONFIGS`), e.g. `"replica.lag.time.max.ms": 10000`. */
  config?: Record<string, ConfigValue>;
  /** How long the run lasts in virtual time. */
  duration: Duration;
  /** How often producers send a batch: the step of the simulation. @defaultValue "1s" */
  tick?: Duration;
  /** Print a status block (leaders, ISR, lag) this often; always printed at the end. */
  statusEvery?: Duration;
  /** Topics, created at time 0 in this order. */
  topics: TopicSpec[];
  /** Producers, each writing to one topic at a steady rate. */
  producers?: ProducerSpec[];
  /** Consumer groups and the members that join, leave and crash. */
  groups?: GroupSpec[];
  /** Broker faults at given times. */
  faults?: FaultSpec[];
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
  /** When it starts writing. @defaultValue 0 */
  from?: Duration;
  /** When it stops writing. @defaultValue the end of the run */
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
  members: MemberSpec[];
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

/** A broker fault: exactly one of the four actions, at a time. */
export interface FaultSpec {
  at: Duration;
  stop?: number;
  start?: number;
  isolate?: number;
  heal?: number;
}

/** One problem in a scenario file: where (a path like `topics[1].partitions`) and what. */
export interface ScenarioProblem {
  path: string;
  message: string;
}

/** A validated scenario with every time in milliseconds and every default filled in. */
export interface ResolvedScenario {
  name: string;
  description: string;
  seed: number;
  brokers: number;
  config: Record<string, ConfigValue>;
  durationMs: number;
  tickMs: number;
  statusEveryMs: number | undefined;
  topics: { name: string; partitions: number; replicationFactor: number; config: Record<string, ConfigValue> }[];
  producers: { name: string; topic: string; rate: number; keys: number; acks: 0 | 1 | -1; fromMs: number; untilMs: number }[];
  groups: {
    id: string;
    topics: string[];
    fromBeginning: boolean;
    sessionTimeoutMs: number;
    members: { name: string; joinMs: number; endMs: number | undefined; end: 'leave' | 'crash' | undefined }[];
  }[];
  faults: { atMs: number; action: 'stop' | 'start' | 'isolate' | 'heal'; broker: number }[];
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a {@link Duration} to milliseconds; undefined when it is not one. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(value);
  if (m === null) return undefined;
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
const isNonNegativeInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isName = (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9._-]{1,200}$/.test(v);

const SCENARIO_KEYS = ['name', 'description', 'seed', 'brokers', 'config', 'duration', 'tick', 'statusEvery', 'topics', 'producers', 'groups', 'faults'];
const TOPIC_KEYS = ['name', 'partitions', 'replicationFactor', 'config'];
const PRODUCER_KEYS = ['name', 'topic', 'rate', 'keys', 'acks', 'from', 'until'];
const GROUP_KEYS = ['id', 'topics', 'fromBeginning', 'sessionTimeout', 'members'];
const MEMBER_KEYS = ['name', 'join', 'leave', 'crash'];
const FAULT_ACTIONS = ['stop', 'start', 'isolate', 'heal'] as const;

/** Checks a parsed JSON document; returns every problem found, or the resolved scenario. */
export function validateScenario(input: unknown): { problems: ScenarioProblem[]; scenario?: ResolvedScenario } {
  const problems: ScenarioProblem[] = [];
  const problem = (path: string, message: string): void => void problems.push({ path, message });
  if (!isObject(input)) {
    problem('(root)', 'must be a JSON object');
    return { problems };
  }
  const unknownKeys = (obj: Json, allowed: readonly string[], path: string) => {
    for (const k of Object.keys(obj))
      if (!allowed.includes(k)) problem(path === '' ? k : `${path}.${k}`, `unknown field (expected one of: ${allowed.join(', ')})`);
  };
  const duration = (obj: Json, key: string, path: string, required: boolean): number | undefined => {
    const v = obj[key];
    if (v === undefined) {
      if (required) problem(path, 'is required');
      return undefined;
    }
    const ms = parseDuration(v);
    if (ms === undefined) problem(path, 'must be a duration: milliseconds, or a string like "500ms", "30s", "5m", "1h"');
    return ms;
  };
  const configOf = (v: unknown, path: string, known: Record<string, { kind: string }>): Record<string, ConfigValue> => {
    if (v === undefined) return {};
    if (!isObject(v)) {
      problem(path, 'must be an object of settings');
      return {};
    }
    const out: Record<string, ConfigValue> = {};
    for (const [k, value] of Object.entries(v)) {
      const def = known[k];
      if (def === undefined) problem(`${path}["${k}"]`, 'unknown setting');
      else if (
        def.kind === 'boolean'
          ? typeof value !== 'boolean' && value !== 'true' && value !== 'false'
          : def.kind === 'string'
            ? typeof value !== 'string'
            : typeof value !== 'number' && !(typeof value === 'string' && /^-?\d+$/.test(value))
      )
        problem(`${path}["${k}"]`, `must be ${def.kind === 'boolean' ? 'a boolean' : def.kind === 'string' ? 'a string' : 'an integer'}`);
      else out[k] = value as ConfigValue;
    }
    return out;
  };

  unknownKeys(input, SCENARIO_KEYS, '');
  if (input.name !== undefined && typeof input.name !== 'string') problem('name', 'must be a string');
  if (input.description !== undefined && typeof input.description !== 'string') problem('description', 'must be a string');
  if (input.seed !== undefined && !isNonNegativeInt(input.seed)) problem('seed', 'must be a non-negative integer');
  if (input.brokers === undefined) problem('brokers', 'is required');
  else if (!isPositiveInt(input.brokers) || input.brokers > 100) problem('brokers', 'must be a positive integer (at most 100)');
  const brokers = isPositiveInt(input.brokers) ? input.brokers : 0;
  const config = configOf(input.config, 'config', BROKER_CONFIGS);
  const durationMs = duration(input, 'duration', 'duration', true);
  if (durationMs !== undefined && (durationMs <= 0 || durationMs > 7 * 24 * 3_600_000)) problem('duration', 'must be more than 0 and at most a week');
  const tickMs = input.tick === undefined ? 1000 : duration(input, 'tick', 'tick', false);
  if (tickMs !== undefined && (tickMs < 10 || tickMs > 3_600_000)) problem('tick', 'must be between 10ms and 1h');
  const statusEveryMs = duration(input, 'statusEvery', 'statusEvery', false);
  if (statusEveryMs !== undefined && statusEveryMs < 1000) problem('statusEvery', 'must be at least 1s');
  const end = durationMs ?? Number.MAX_SAFE_INTEGER;
  const within = (ms: number | undefined, path: string) => {
    if (ms !== undefined && durationMs !== undefined && ms > durationMs) problem(path, `is after the end of the run (duration ${durationMs} ms)`);
  };

  // Topics.
  const topics: ResolvedScenario['topics'] = [];
  const topicNames = new Set<string>();
  if (input.topics === undefined) problem('topics', 'is required');
  else if (!Array.isArray(input.topics)) problem('topics', 'must be an array');
  else
    input.topics.forEach((t: unknown, i) => {
      const path = `topics[${i}]`;
      if (!isObject(t)) return problem(path, 'must be an object');
      unknownKeys(t, TOPIC_KEYS, path);
      if (!isName(t.name) || t.name.startsWith('__'))
        problem(`${path}.name`, 'must be a topic name: letters, digits, ".", "_" and "-", not starting with "__"');
      else if (topicNames.has(t.name)) problem(`${path}.name`, `duplicate topic '${t.name}'`);
      else topicNames.add(t.name);
      if (!isPositiveInt(t.partitions) || t.partitions > 1000) problem(`${path}.partitions`, 'must be a positive integer (at most 1000)');
      const rf = t.replicationFactor ?? 1;
      if (!isPositiveInt(rf)) problem(`${path}.replicationFactor`, 'must be a positive integer');
      else if (brokers > 0 && rf > brokers) problem(`${path}.replicationFactor`, `is ${rf} but there are only ${brokers} broker(s)`);
      const cfg = configOf(t.config, `${path}.config`, TOPIC_CONFIGS);
      if (isName(t.name) && isPositiveInt(t.partitions))
        topics.push({ name: t.name, partitions: t.partitions, replicationFactor: isPositiveInt(rf) ? rf : 1, config: cfg });
    });

  // Producers.
  const producers: ResolvedScenario['producers'] = [];
  const producerNames = new Set<string>();
  if (input.producers !== undefined && !Array.isArray(input.producers)) problem('producers', 'must be an array');
  else
    (input.producers ?? ([] as unknown[])).forEach((p: unknown, i: number) => {
      const path = `producers[${i}]`;
      if (!isObject(p)) return problem(path, 'must be an object');
      unknownKeys(p, PRODUCER_KEYS, path);
      if (!isName(p.name)) problem(`${path}.name`, 'must be a name: letters, digits, ".", "_" and "-"');
      else if (producerNames.has(p.name)) problem(`${path}.name`, `duplicate producer '${p.name}'`);
      else producerNames.add(p.name);
      if (typeof p.topic !== 'string') problem(`${path}.topic`, 'is required and must be a string');
      else if (!topicNames.has(p.topic)) problem(`${path}.topic`, `unknown topic '${p.topic}' (not in topics)`);
      if (typeof p.rate !== 'number' || !(p.rate > 0) || p.rate > 100_000)
        problem(`${path}.rate`, 'must be a number of records per second, more than 0 and at most 100000');
      const keys = p.keys ?? 100;
      if (!isNonNegativeInt(keys)) problem(`${path}.keys`, 'must be a non-negative integer');
      const acks = p.acks ?? 'all';
      if (acks !== 0 && acks !== 1 && acks !== -1 && acks !== 'all') problem(`${path}.acks`, 'must be 0, 1, -1 or "all"');
      const fromMs = duration(p, 'from', `${path}.from`, false) ?? 0;
      const untilMs = duration(p, 'until', `${path}.until`, false) ?? end;
      within(fromMs, `${path}.from`);
      if (untilMs <= fromMs) problem(`${path}.until`, 'must be after from');
      if (isName(p.name) && typeof p.topic === 'string' && typeof p.rate === 'number')
        producers.push({
          name: p.name,
          topic: p.topic,
          rate: p.rate,
          keys: isNonNegativeInt(keys) ? keys : 100,
          acks: acks === 'all' ? -1 : (acks as 0 | 1 | -1),
          fromMs,
          untilMs,
        });
    });

  // Groups.
  const groups: ResolvedScenario['groups'] = [];
  const groupIds = new Set<string>();
  if (input.groups !== undefined && !Array.isArray(input.groups)) problem('groups', 'must be an array');
  else
    (input.groups ?? ([] as unknown[])).forEach((g: unknown, i: number) => {
      const path = `groups[${i}]`;
      if (!isObject(g)) return problem(path, 'must be an object');
      unknownKeys(g, GROUP_KEYS, path);
      if (!isName(g.id)) problem(`${path}.id`, 'must be a group id: letters, digits, ".", "_" and "-"');
      else if (groupIds.has(g.id)) problem(`${path}.id`, `duplicate group '${g.id}'`);
      else groupIds.add(g.id);
      if (!Array.isArray(g.topics) || g.topics.length === 0) problem(`${path}.topics`, 'must be a non-empty array of topic names');
      else
        g.topics.forEach((t: unknown, j) =>
          typeof t === 'string' && topicNames.has(t) ? undefined : problem(`${path}.topics[${j}]`, `unknown topic ${JSON.stringify(t)} (not in topics)`),
        );
      if (g.fromBeginning !== undefined && typeof g.fromBeginning !== 'boolean') problem(`${path}.fromBeginning`, 'must be a boolean');
      const sessionTimeoutMs = duration(g, 'sessionTimeout', `${path}.sessionTimeout`, false) ?? 30_000;
      if (sessionTimeoutMs < 6000 || sessionTimeoutMs > 1_800_000)
        problem(`${path}.sessionTimeout`, 'must be between 6s and 30m (group.min/max.session.timeout.ms)');
      const members: ResolvedScenario['groups'][number]['members'] = [];
      if (!Array.isArray(g.members)) problem(`${path}.members`, 'must be an array');
      else {
        const sessions = new Map<string, { joinMs: number; endMs: number }[]>();
        g.members.forEach((m: unknown, j) => {
          const mpath = `${path}.members[${j}]`;
          if (!isObject(m)) return problem(mpath, 'must be an object');
          unknownKeys(m, MEMBER_KEYS, mpath);
          if (!isName(m.name)) problem(`${mpath}.name`, 'must be a name: letters, digits, ".", "_" and "-"');
          const joinMs = duration(m, 'join', `${mpath}.join`, true);
          within(joinMs, `${mpath}.join`);
          if (m.leave !== undefined && m.crash !== undefined) problem(mpath, 'has both leave and crash: a session ends one way');
          const endKey = m.leave !== undefined ? 'leave' : m.crash !== undefined ? 'crash' : undefined;
          const endMs = endKey === undefined ? undefined : duration(m, endKey, `${mpath}.${endKey}`, false);
          if (endMs !== undefined && joinMs !== undefined && endMs <= joinMs) problem(`${mpath}.${endKey}`, 'must be after join');
          within(endMs, `${mpath}.${endKey}`);
          if (isName(m.name) && joinMs !== undefined) {
            const list = sessions.get(m.name) ?? [];
            const until = endMs ?? Number.MAX_SAFE_INTEGER;
            if (list.some((s) => joinMs < s.endMs && s.joinMs < until)) problem(`${mpath}.join`, `overlaps another session of member '${m.name}'`);
            list.push({ joinMs, endMs: until });
            sessions.set(m.name, list);
            members.push({ name: m.name, joinMs, endMs, end: endKey });
          }
        });
      }
      if (isName(g.id) && Array.isArray(g.topics))
        groups.push({
          id: g.id,
          topics: g.topics.filter((t): t is string => typeof t === 'string'),
          fromBeginning: g.fromBeginning !== false,
          sessionTimeoutMs,
          members,
        });
    });

  // Faults.
  const faults: ResolvedScenario['faults'] = [];
  if (input.faults !== undefined && !Array.isArray(input.faults)) problem('faults', 'must be an array');
  else
    (input.faults ?? ([] as unknown[])).forEach((f: unknown, i: number) => {
      const path = `faults[${i}]`;
      if (!isObject(f)) return problem(path, 'must be an object');
      unknownKeys(f, ['at', ...FAULT_ACTIONS], path);
      const atMs = duration(f, 'at', `${path}.at`, true);
      within(atMs, `${path}.at`);
      const actions = FAULT_ACTIONS.filter((a) => f[a] !== undefined);
      if (actions.length !== 1) return problem(path, `must have exactly one of ${FAULT_ACTIONS.join(', ')} (a broker id)`);
      const action = actions[0]!;
      const broker = f[action];
      if (!isPositiveInt(broker) || (brokers > 0 && broker > brokers))
        return problem(`${path}.${action}`, `must be a broker id from 1 to ${brokers || 'brokers'}`);
      if (atMs !== undefined) faults.push({ atMs, action, broker });
    });

  if (problems.length > 0) return { problems };
  return {
    problems,
    scenario: {
      name: typeof input.name === 'string' ? input.name : '',
      description: typeof input.description === 'string' ? input.description : '',
      seed: isNonNegativeInt(input.seed) ? input.seed : 1,
      brokers,
      config,
      durationMs: durationMs!,
      tickMs: tickMs!,
      statusEveryMs,
      topics,
      producers,
      groups,
      faults,
    },
  };
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
