/**
 * Checking a scenario file part by part: each function reads one part of the parsed document,
 * reports every problem with its path (`topics[1].partitions`) and returns what it resolved.
 * scenario.ts runs them in the file's order, so problems are listed in the order they appear.
 */
import { parseFault, type InjectFaultOptions } from '../../emulator/faults.js';
import { BROKER_CONFIGS, TOPIC_CONFIGS } from '../../emulator/config.js';
import type { ConfigValue, ResolvedGroup, ResolvedProducer, ResolvedScenario, ScenarioProblem, TimedScenario } from './scenario.js';

export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
export const isNonNegativeInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
export const isName = (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9._-]{1,200}$/.test(v);

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a duration (milliseconds, or `"250ms"`, `"30s"`, `"5m"`, `"1h"`) to milliseconds; undefined when it is not one. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(value);
  if (m === null) return undefined;
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}

/** Collects problems, with the checks every part of a file shares. */
export class Checker {
  readonly problems: ScenarioProblem[] = [];

  problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** Reports fields of `obj` that are not in `allowed` (typos, or fields of the other kind of run). */
  unknownKeys(obj: Json, allowed: readonly string[], path: string): void {
    for (const k of Object.keys(obj))
      if (!allowed.includes(k)) this.problem(path === '' ? k : `${path}.${k}`, `unknown field (expected one of: ${allowed.join(', ')})`);
  }

  /** `obj[key]` as milliseconds. */
  duration(obj: Json, key: string, path: string, required: boolean): number | undefined {
    const v = obj[key];
    if (v === undefined) {
      if (required) this.problem(path, 'is required');
      return undefined;
    }
    const ms = parseDuration(v);
    if (ms === undefined) this.problem(path, 'must be a duration: milliseconds, or a string like "500ms", "30s", "5m", "1h"');
    return ms;
  }

  /** Kafka settings under their own names, each checked against its kind. */
  config(v: unknown, path: string, known: Record<string, { kind: string }>): Record<string, ConfigValue> {
    if (v === undefined) return {};
    if (!isObject(v)) {
      this.problem(path, 'must be an object of settings');
      return {};
    }
    const out: Record<string, ConfigValue> = {};
    for (const [k, value] of Object.entries(v)) {
      const def = known[k];
      if (def === undefined) this.problem(`${path}["${k}"]`, 'unknown setting');
      else if (!SETTING_KINDS[def.kind as keyof typeof SETTING_KINDS]?.ok(value))
        this.problem(`${path}["${k}"]`, `must be ${SETTING_KINDS[def.kind as keyof typeof SETTING_KINDS]?.what ?? `a ${def.kind}`}`);
      else out[k] = value as ConfigValue;
    }
    return out;
  }

  /** Each element of an optional array field, with its path. */
  each(input: Json, key: string, check: (item: Json, path: string) => void): void {
    const list = input[key];
    if (list !== undefined && !Array.isArray(list)) return this.problem(key, 'must be an array');
    (list ?? ([] as unknown[])).forEach((item: unknown, i: number) => {
      const path = `${key}[${i}]`;
      if (!isObject(item)) return this.problem(path, 'must be an object');
      check(item, path);
    });
  }
}

/** The fields every run shares: cluster size, settings and pace. */
export interface RunShape {
  brokers: number;
  /** The brokers' ids: `brokerIds` as given, else 1..brokers (empty when invalid). */
  brokerIds: number[];
  config: Record<string, ConfigValue>;
  /** Undefined for a script (its steps set the pace) and when invalid. */
  durationMs: number | undefined;
  tickMs: number | undefined;
  statusEveryMs: number | undefined;
}

/** name, description, seed, brokers, brokerIds, config, duration, tick and statusEvery. */
export function checkRunShape(c: Checker, input: Json, scripted: boolean): RunShape {
  if (input.name !== undefined && typeof input.name !== 'string') c.problem('name', 'must be a string');
  if (input.description !== undefined && typeof input.description !== 'string') c.problem('description', 'must be a string');
  if (input.seed !== undefined && !isNonNegativeInt(input.seed)) c.problem('seed', 'must be a non-negative integer');
  const brokerIds = checkBrokerIds(c, input);
  if (input.brokers === undefined) {
    if (input.brokerIds === undefined) c.problem('brokers', 'is required (or brokerIds)');
  } else if (!isPositiveInt(input.brokers) || input.brokers > 100) c.problem('brokers', 'must be a positive integer (at most 100)');
  else if (brokerIds !== undefined && brokerIds.length !== input.brokers)
    c.problem('brokerIds', `lists ${brokerIds.length} id(s) but brokers is ${input.brokers}: give one id per broker`);
  const brokers = brokerIds?.length ?? (isPositiveInt(input.brokers) && input.brokers <= 100 ? input.brokers : 0);
  const config = c.config(input.config, 'config', BROKER_CONFIGS);
  const durationMs = scripted ? undefined : c.duration(input, 'duration', 'duration', true);
  if (durationMs !== undefined && (durationMs <= 0 || durationMs > 7 * 24 * 3_600_000)) c.problem('duration', 'must be more than 0 and at most a week');
  const tickMs = input.tick === undefined ? 1000 : c.duration(input, 'tick', 'tick', false);
  if (tickMs !== undefined && (tickMs < 10 || tickMs > 3_600_000)) c.problem('tick', 'must be between 10ms and 1h');
  const statusEveryMs = scripted ? undefined : c.duration(input, 'statusEvery', 'statusEvery', false);
  if (statusEveryMs !== undefined && statusEveryMs < 1000) c.problem('statusEvery', 'must be at least 1s');
  return { brokers, brokerIds: brokerIds ?? Array.from({ length: brokers }, (_, i) => i + 1), config, durationMs, tickMs, statusEveryMs };
}

/** Kafka's `node.id` is an int32. */
const MAX_BROKER_ID = 2 ** 31 - 1;

/** `brokerIds`: 1 to 100 distinct ids from 0 to 2^31-1; undefined when absent or invalid (the problem recorded). */
function checkBrokerIds(c: Checker, input: Json): number[] | undefined {
  const ids = input.brokerIds;
  if (ids === undefined) return undefined;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100) return void c.problem('brokerIds', 'must be a list of 1 to 100 broker ids');
  const bad = ids.findIndex((id) => !isNonNegativeInt(id) || id > MAX_BROKER_ID);
  if (bad !== -1) return void c.problem(`brokerIds[${bad}]`, `must be an integer from 0 to ${MAX_BROKER_ID}`);
  const twice = (ids as number[]).find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) return void c.problem('brokerIds', `must be distinct, but lists ${twice} twice`);
  return ids as number[];
}

/** "from 1 to 3" for ids 1..N (and any run of consecutive ids), else "(one of 0, 5, 9)"; for messages about a broker id. */
export function describeBrokerIds(ids: readonly number[]): string {
  if (ids.length === 0) return 'from 1 to brokers';
  const contiguous = ids.every((id, i) => id === ids[0]! + i);
  return contiguous ? `from ${ids[0]!} to ${ids[ids.length - 1]!}` : `(one of ${[...ids].sort((a, b) => a - b).join(', ')})`;
}

const TOPIC_KEYS = ['name', 'partitions', 'replicationFactor', 'config'];

/** The topics, each created once (at 00:00, or by a script's `create` step). */
export function checkTopics(c: Checker, input: Json, brokers: number): ResolvedScenario['topics'] {
  const topics: ResolvedScenario['topics'] = [];
  const names = new Set<string>();
  if (input.topics === undefined || !Array.isArray(input.topics)) {
    c.problem('topics', input.topics === undefined ? 'is required' : 'must be an array');
    return topics;
  }
  c.each(input, 'topics', (t, path) => {
    c.unknownKeys(t, TOPIC_KEYS, path);
    if (!isName(t.name) || t.name.startsWith('__')) c.problem(`${path}.name`, 'must be a topic name: letters, digits, ".", "_" and "-", not starting with "__"');
    else if (names.has(t.name)) c.problem(`${path}.name`, `duplicate topic '${t.name}'`);
    else names.add(t.name);
    if (!isPositiveInt(t.partitions) || t.partitions > 1000) c.problem(`${path}.partitions`, 'must be a positive integer (at most 1000)');
    const rf = t.replicationFactor ?? 1;
    if (!isPositiveInt(rf)) c.problem(`${path}.replicationFactor`, 'must be a positive integer');
    else if (brokers > 0 && rf > brokers) c.problem(`${path}.replicationFactor`, `is ${rf} but there are only ${brokers} broker(s)`);
    const config = c.config(t.config, `${path}.config`, TOPIC_CONFIGS);
    if (isName(t.name) && isPositiveInt(t.partitions)) topics.push({ name: t.name, partitions: t.partitions, replicationFactor: isPositiveInt(rf) ? rf : 1, config });
  });
  return topics;
}

// A timed run's producers write through the engine and check every acknowledged value against the
// final logs, so their records are `key-N` / `name#seq`; a script's kafkajs producers may shape theirs.
const TIMED_PRODUCER_KEYS = ['name', 'topic', 'rate', 'keys', 'acks', 'from', 'until'];
const SCRIPT_PRODUCER_KEYS = ['name', 'topic', 'rate', 'keys', 'key', 'value', 'acks', 'idempotent', 'transactionalId', 'transactionTimeout'];

/** Kafka's transaction.max.timeout.ms default: a longer transaction.timeout.ms is refused (INVALID_TRANSACTION_TIMEOUT). */
export const DEFAULT_MAX_TRANSACTION_TIMEOUT_MS = 900_000;

/** How a setting's value may be written in a scenario, by its kind (Kafka's ConfigDef types); the engine checks the value itself. */
const SETTING_KINDS = {
  boolean: { ok: (v: unknown) => typeof v === 'boolean' || v === 'true' || v === 'false', what: 'a boolean' },
  string: { ok: (v: unknown) => typeof v === 'string', what: 'a string' },
  // A list (cleanup.policy) is written as Kafka writes it: comma-separated, "compact,delete".
  list: { ok: (v: unknown) => typeof v === 'string', what: 'a string (a comma-separated list)' },
  int: { ok: (v: unknown) => Number.isInteger(v) || (typeof v === 'string' && /^-?\d+$/.test(v)), what: 'an integer' },
  long: { ok: (v: unknown) => Number.isInteger(v) || (typeof v === 'string' && /^-?\d+$/.test(v)), what: 'an integer' },
  double: { ok: (v: unknown) => (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)), what: 'a number' },
} as const;

/** A placeholder in text: a name in braces (`{seq}`, `{sent since away}`); other braces are text, as in JSON. */
export const PLACEHOLDER = /\{([A-Za-z][\w .-]*)\}/g;

/** `{seq}` or `{seq % N}` in a record pattern: the producer's record number, or its remainder by N (so keys repeat). */
export const SEQ_PLACEHOLDER = /\{seq(?:\s*%\s*(\d+))?\}/g;

/** A record key or value pattern: any text, where `{seq}` is the producer's record number and `{seq % N}` its remainder by N. */
function checkPattern(c: Checker, v: unknown, path: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') {
    c.problem(path, 'must be a string, with {seq} for the record number');
    return undefined;
  }
  for (const m of v.matchAll(PLACEHOLDER)) if (m[1] !== 'seq') c.problem(path, `unknown placeholder {${m[1]}} (only {seq}, the record number, and {seq % N})`);
  for (const m of v.matchAll(SEQ_PLACEHOLDER)) if (m[1] !== undefined && !(Number(m[1]) > 0)) c.problem(path, `${m[0]}: N must be a positive integer`);
  return v;
}

/**
 * A script producer's exactly-once settings, kafkajs's: `idempotent`, and `transactionalId` with
 * its `transactionTimeout` (a transactional producer is idempotent). Both need acks=all, which
 * kafkajs insists on; the timeout must be within the brokers' transaction.max.timeout.ms.
 */
function checkExactlyOnce(
  c: Checker,
  p: Json,
  path: string,
  acks: unknown,
  maxTimeoutMs: number,
): Pick<ResolvedProducer, 'idempotent' | 'transactionalId' | 'transactionTimeoutMs'> {
  if (p.idempotent !== undefined && typeof p.idempotent !== 'boolean') c.problem(`${path}.idempotent`, 'must be a boolean');
  const transactionalId = p.transactionalId;
  if (transactionalId !== undefined && (typeof transactionalId !== 'string' || transactionalId === ''))
    c.problem(`${path}.transactionalId`, 'must be a non-empty string: the transactional id, which instances of one producer share');
  const transactional = typeof transactionalId === 'string' && transactionalId !== '';
  if (transactional && p.idempotent === false) c.problem(`${path}.idempotent`, 'cannot be false for a transactional producer: a transactionalId makes it idempotent');
  let transactionTimeoutMs: number | undefined;
  if (p.transactionTimeout !== undefined) {
    if (transactionalId === undefined) c.problem(`${path}.transactionTimeout`, 'needs a transactionalId: only a transactional producer has a transaction timeout');
    transactionTimeoutMs = c.duration(p, 'transactionTimeout', `${path}.transactionTimeout`, false);
    if (transactionTimeoutMs !== undefined && (transactionTimeoutMs < 1 || transactionTimeoutMs > maxTimeoutMs))
      c.problem(
        `${path}.transactionTimeout`,
        `must be more than 0 and at most transaction.max.timeout.ms (${formatMs(maxTimeoutMs)}): the coordinator answers a longer one INVALID_TRANSACTION_TIMEOUT`,
      );
  }
  const idempotent = transactional || p.idempotent === true;
  if (idempotent && acks !== undefined && acks !== 'all' && acks !== -1)
    c.problem(`${path}.acks`, `must be "all" (or -1) for ${transactional ? 'a transactional' : 'an idempotent'} producer: kafkajs refuses other acks for it`);
  return { idempotent, ...(transactional ? { transactionalId: transactionalId as string, transactionTimeoutMs: transactionTimeoutMs ?? 60_000 } : {}) };
}

/** A span of ms as a scenario writes it: 15m, 30s, 250ms. */
const formatMs = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

/** The producers: a topic each, a rate, keys, acks, and a time window (timed) or a record shape and exactly-once settings (script). */
export function checkProducers(
  c: Checker,
  input: Json,
  topicNames: ReadonlySet<string>,
  end: number,
  scripted: boolean,
  maxTransactionTimeoutMs = DEFAULT_MAX_TRANSACTION_TIMEOUT_MS,
): ResolvedProducer[] {
  const producers: ResolvedProducer[] = [];
  const names = new Set<string>();
  c.each(input, 'producers', (p, path) => {
    c.unknownKeys(p, scripted ? SCRIPT_PRODUCER_KEYS : TIMED_PRODUCER_KEYS, path);
    if (!isName(p.name)) c.problem(`${path}.name`, 'must be a name: letters, digits, ".", "_" and "-"');
    else if (names.has(p.name)) c.problem(`${path}.name`, `duplicate producer '${p.name}'`);
    else names.add(p.name);
    if (typeof p.topic !== 'string') c.problem(`${path}.topic`, 'is required and must be a string');
    else if (!topicNames.has(p.topic)) c.problem(`${path}.topic`, `unknown topic '${p.topic}' (not in topics)`);
    if (typeof p.rate !== 'number' || !(p.rate > 0) || p.rate > 100_000) c.problem(`${path}.rate`, 'must be a number of records per second, more than 0 and at most 100000');
    const keys = p.keys ?? 100;
    if (!isNonNegativeInt(keys)) c.problem(`${path}.keys`, 'must be a non-negative integer');
    if (p.keys !== undefined && p.key !== undefined) c.problem(path, 'has both keys and key: keys numbers the keys, key is a pattern');
    const key = checkPattern(c, p.key, `${path}.key`);
    const value = checkPattern(c, p.value, `${path}.value`);
    const acks = p.acks ?? 'all';
    if (acks !== 0 && acks !== 1 && acks !== -1 && acks !== 'all') c.problem(`${path}.acks`, 'must be 0, 1, -1 or "all"');
    const fromMs = c.duration(p, 'from', `${path}.from`, false) ?? 0;
    const untilMs = c.duration(p, 'until', `${path}.until`, false) ?? end;
    if (fromMs > end) c.problem(`${path}.from`, `is after the end of the run (duration ${end} ms)`);
    if (untilMs <= fromMs) c.problem(`${path}.until`, 'must be after from');
    const exactlyOnce = scripted ? checkExactlyOnce(c, p, path, p.acks, maxTransactionTimeoutMs) : { idempotent: false };
    if (!isName(p.name) || typeof p.topic !== 'string' || typeof p.rate !== 'number') return;
    const resolved: ResolvedProducer = {
      name: p.name,
      topic: p.topic,
      rate: p.rate,
      keys: isNonNegativeInt(keys) ? keys : 100,
      acks: acks === 'all' ? -1 : (acks as 0 | 1 | -1),
      fromMs,
      untilMs,
      ...exactlyOnce,
    };
    producers.push({ ...resolved, ...(key === undefined ? {} : { key }), ...(value === undefined ? {} : { value }) });
  });
  return producers;
}

const TIMED_GROUP_KEYS = ['id', 'topics', 'fromBeginning', 'sessionTimeout', 'readUncommitted', 'members'];
const SCRIPT_GROUP_KEYS = ['id', 'topics', 'fromBeginning', 'sessionTimeout', 'readUncommitted'];
const MEMBER_KEYS = ['name', 'join', 'leave', 'crash'];

/** The consumer groups, and (timed) the sessions of their members. */
export function checkGroups(c: Checker, input: Json, topicNames: ReadonlySet<string>, end: number | undefined, scripted: boolean): ResolvedGroup[] {
  const groups: ResolvedGroup[] = [];
  const ids = new Set<string>();
  c.each(input, 'groups', (g, path) => {
    c.unknownKeys(g, scripted ? SCRIPT_GROUP_KEYS : TIMED_GROUP_KEYS, path);
    if (!isName(g.id)) c.problem(`${path}.id`, 'must be a group id: letters, digits, ".", "_" and "-"');
    else if (ids.has(g.id)) c.problem(`${path}.id`, `duplicate group '${g.id}'`);
    else ids.add(g.id);
    if (!Array.isArray(g.topics) || g.topics.length === 0) c.problem(`${path}.topics`, 'must be a non-empty array of topic names');
    else
      g.topics.forEach((t: unknown, j) =>
        typeof t === 'string' && topicNames.has(t) ? undefined : c.problem(`${path}.topics[${j}]`, `unknown topic ${JSON.stringify(t)} (not in topics)`),
      );
    if (g.fromBeginning !== undefined && typeof g.fromBeginning !== 'boolean') c.problem(`${path}.fromBeginning`, 'must be a boolean');
    if (g.readUncommitted !== undefined && typeof g.readUncommitted !== 'boolean')
      c.problem(`${path}.readUncommitted`, 'must be a boolean: true reads read_uncommitted (open and aborted transactions too), false (the default) read_committed');
    const sessionTimeoutMs = c.duration(g, 'sessionTimeout', `${path}.sessionTimeout`, false) ?? 30_000;
    if (sessionTimeoutMs < 6000 || sessionTimeoutMs > 1_800_000) c.problem(`${path}.sessionTimeout`, 'must be between 6s and 30m (group.min/max.session.timeout.ms)');
    const members = scripted ? [] : checkMembers(c, g, path, end);
    if (isName(g.id) && Array.isArray(g.topics))
      groups.push({
        id: g.id,
        topics: g.topics.filter((t): t is string => typeof t === 'string'),
        fromBeginning: g.fromBeginning !== false,
        sessionTimeoutMs,
        readUncommitted: g.readUncommitted === true,
        members,
      });
  });
  return groups;
}

/** A timed group's member sessions: join, then leave or crash, never two sessions of one name at once. */
function checkMembers(c: Checker, g: Json, path: string, end: number | undefined): ResolvedGroup['members'] {
  const members: ResolvedGroup['members'] = [];
  if (!Array.isArray(g.members)) {
    c.problem(`${path}.members`, 'must be an array');
    return members;
  }
  const within = (ms: number | undefined, at: string) => {
    if (ms !== undefined && end !== undefined && ms > end) c.problem(at, `is after the end of the run (duration ${end} ms)`);
  };
  const sessions = new Map<string, { joinMs: number; endMs: number }[]>();
  g.members.forEach((m: unknown, j) => {
    const mpath = `${path}.members[${j}]`;
    if (!isObject(m)) return c.problem(mpath, 'must be an object');
    c.unknownKeys(m, MEMBER_KEYS, mpath);
    if (!isName(m.name)) c.problem(`${mpath}.name`, 'must be a name: letters, digits, ".", "_" and "-"');
    const joinMs = c.duration(m, 'join', `${mpath}.join`, true);
    within(joinMs, `${mpath}.join`);
    if (m.leave !== undefined && m.crash !== undefined) c.problem(mpath, 'has both leave and crash: a session ends one way');
    const endKey = m.leave !== undefined ? 'leave' : m.crash !== undefined ? 'crash' : undefined;
    const endMs = endKey === undefined ? undefined : c.duration(m, endKey, `${mpath}.${endKey}`, false);
    if (endMs !== undefined && joinMs !== undefined && endMs <= joinMs) c.problem(`${mpath}.${endKey}`, 'must be after join');
    within(endMs, `${mpath}.${endKey}`);
    if (!isName(m.name) || joinMs === undefined) return;
    const list = sessions.get(m.name) ?? [];
    const until = endMs ?? Number.MAX_SAFE_INTEGER;
    if (list.some((s) => joinMs < s.endMs && s.joinMs < until)) c.problem(`${mpath}.join`, `overlaps another session of member '${m.name}'`);
    list.push({ joinMs, endMs: until });
    sessions.set(m.name, list);
    members.push({ name: m.name, joinMs, endMs, end: endKey });
  });
  return members;
}

export const FAULT_ACTIONS = ['stop', 'start', 'isolate', 'heal'] as const;
/** Request faults (`Cluster.injectFault`, `setLatency`, `clearFaults`), and the options each takes. */
export const REQUEST_FAULT_ACTIONS = { 'inject-fault': ['error', 'count', 'broker', 'topic', 'partition', 'when'], 'set-latency': ['ms'], 'clear-faults': [] } as const;

/**
 * The options of an `inject-fault` (in a timed run's faults or a script): the problem, at its
 * field (`path` for the API itself), or the options. `broker` is checked by the caller.
 */
export function checkInjectFault(c: Checker, f: Json, api: unknown, path: string, fieldPath: string, topics: readonly string[]): InjectFaultOptions | undefined {
  if (f.topic !== undefined && !topics.includes(f.topic as string)) return void c.problem(`${fieldPath}.topic`, `unknown topic ${JSON.stringify(f.topic)} (not in topics)`);
  const { error, count, topic, partition, when } = f;
  const options = Object.fromEntries(Object.entries({ api, error, count, topic, partition, when }).filter(([, x]) => x !== undefined)) as unknown as InjectFaultOptions;
  try {
    parseFault(options, () => true);
  } catch (e) {
    const message = (e as Error).message.replace(/^injectFault: /, '');
    const field = /^(\w+)/.exec(message.replace(/^unknown /, ''))?.[1];
    return void c.problem(field === undefined || field === 'api' || !(field in f) ? path : `${fieldPath}.${field}`, message);
  }
  return options;
}

/** Faults at given times: exactly one action each, on a broker that exists. */
export function checkFaults(
  c: Checker,
  input: Json,
  brokerIds: readonly number[],
  end: number | undefined,
  topics: readonly string[] = [],
  partitioned: readonly { readonly name: string; readonly partitions: number }[] = [],
): TimedScenario['faults'] {
  const faults: TimedScenario['faults'] = [];
  const all = [...FAULT_ACTIONS, ...Object.keys(REQUEST_FAULT_ACTIONS), 'reassign'] as const;
  const brokerProblem = (v: unknown) => !isNonNegativeInt(v) || (brokerIds.length > 0 && !brokerIds.includes(v));
  c.each(input, 'faults', (f, path) => {
    const actions = all.filter((a) => f[a] !== undefined);
    const requestAction = actions.length === 1 && actions[0]! in REQUEST_FAULT_ACTIONS ? (actions[0] as keyof typeof REQUEST_FAULT_ACTIONS) : undefined;
    c.unknownKeys(f, ['at', ...all, ...(requestAction === undefined ? [] : REQUEST_FAULT_ACTIONS[requestAction]), ...(actions[0] === 'reassign' ? ['replicas'] : [])], path);
    const atMs = c.duration(f, 'at', `${path}.at`, true);
    if (atMs !== undefined && end !== undefined && atMs > end) c.problem(`${path}.at`, `is after the end of the run (duration ${end} ms)`);
    if (actions.length !== 1)
      return c.problem(path, `must have exactly one of ${FAULT_ACTIONS.join(', ')} (a broker id), inject-fault (an API), set-latency (a broker id), clear-faults, reassign (a partition)`);
    const action = actions[0]!;
    if (action === 'reassign') {
      const reassignment = checkReassign(c, f, path, brokerIds, partitioned);
      if (reassignment !== undefined && atMs !== undefined) faults.push({ atMs, action, ...reassignment });
      return;
    }
    if (action === 'clear-faults') {
      if (f[action] !== true) return c.problem(`${path}.${action}`, 'takes no value (write `clear-faults: true`)');
      if (atMs !== undefined) faults.push({ atMs, action });
      return;
    }
    if (action === 'inject-fault') {
      if (f.broker !== undefined && brokerProblem(f.broker)) return c.problem(`${path}.broker`, `must be a broker id ${describeBrokerIds(brokerIds)}`);
      const options = checkInjectFault(c, f, f[action], `${path}.${action}`, path, topics);
      if (options !== undefined && atMs !== undefined) faults.push({ atMs, action, options: f.broker === undefined ? options : { ...options, broker: f.broker as number } });
      return;
    }
    const broker = f[action];
    if (brokerProblem(broker)) return c.problem(`${path}.${action}`, `must be a broker id ${describeBrokerIds(brokerIds)}`);
    if (action === 'set-latency') {
      const ms = parseDuration(f.ms);
      if (ms === undefined) return c.problem(`${path}.ms`, 'is required: a duration (0 for none)');
      if (atMs !== undefined) faults.push({ atMs, action, broker: broker as number, ms });
      return;
    }
    if (atMs !== undefined) faults.push({ atMs, action: action as (typeof FAULT_ACTIONS)[number], broker: broker as number });
  });
  return faults;
}

/**
 * A timed run's `reassign: topic-N` with its `replicas`: distinct broker ids of the cluster, or
 * null to cancel. Kafka refuses a repeated or unknown broker; the file is refused before the run.
 */
function checkReassign(
  c: Checker,
  f: Json,
  path: string,
  brokerIds: readonly number[],
  topics: readonly { readonly name: string; readonly partitions: number }[],
): { topic: string; partition: number; replicas: number[] | null } | undefined {
  const named = f.reassign;
  const m = typeof named === 'string' ? /^(.+)-(\d+)$/.exec(named) : null;
  const topic = m === null ? undefined : topics.find((t) => t.name === m[1]);
  const partition = m === null ? -1 : Number(m[2]);
  if (topic === undefined || partition >= topic.partitions) {
    const known = topics.map((t) => `${t.name}-0..${t.partitions - 1}`).join(', ');
    c.problem(`${path}.reassign`, `must name a partition of the scenario's topics as topic-N (${known || 'no topics'}), got ${JSON.stringify(named)}`);
    return undefined;
  }
  const replicas = f.replicas;
  if (replicas === null) return { topic: topic.name, partition, replicas: null };
  if (!Array.isArray(replicas) || replicas.length === 0) {
    c.problem(`${path}.replicas`, 'is required: the target broker ids, e.g. [2, 3] (the first is the preferred leader), or null to cancel the reassignment in progress');
    return undefined;
  }
  const bad = replicas.find((b) => !isNonNegativeInt(b) || (brokerIds.length > 0 && !brokerIds.includes(b)));
  if (bad !== undefined) {
    c.problem(`${path}.replicas`, `must hold broker ids ${describeBrokerIds(brokerIds)}, got ${JSON.stringify(bad)}`);
    return undefined;
  }
  if (new Set(replicas).size !== replicas.length) {
    c.problem(`${path}.replicas`, `must not name a broker twice, got [${replicas.join(', ')}]`);
    return undefined;
  }
  return { topic: topic.name, partition, replicas: replicas as number[] };
}
