/**
 * A scenario's script: steps run one after another, each waiting for what it starts, told in
 * sections (the built-in demo is one). Each step kind is a class that runs itself and reads as a
 * line of the file (`toString`); its parser checks a step against what the steps before it set up
 * (a topic created, a member running, a broker picked), so a bad script fails before it runs.
 */
import type { Cluster } from '../cluster.js';
import type { InjectFaultOptions } from '../../emulator/faults.js';
import type { ClientProducer, Members } from './clients.js';
import type { LogSizes } from './log-view.js';
import { Log, Offsets, Partitions } from './script-views.js';
import { TransactionStep, refusable } from './script-txn.js';
import type { ResolvedGroup, ResolvedProducer, ResolvedScenario } from './scenario.js';
import { formatDuration, type Timeline } from './timeline.js';
import { Checker, FAULT_ACTIONS, PLACEHOLDER, checkInjectFault, describeBrokerIds, isName, isNonNegativeInt, isObject, parseDuration, type Json } from './validate.js';

/** What a script's text can count. */
export interface Counters {
  sent: number;
  delivered: number;
}

/** What a script's steps act on while it runs. */
export interface ScriptRun {
  readonly cluster: Cluster;
  readonly timeline: Timeline;
  readonly tickMs: number;
  readonly producers: ReadonlyMap<string, ClientProducer>;
  readonly members: Members;
  /** Brokers named by `pick`. */
  readonly picked: Map<string, number>;
  /** Counters remembered by `mark`. */
  readonly marks: Map<string, Counters>;
  /** Each partition's log size over the run, for the page. */
  readonly logSizes: LogSizes;
  counters(): Counters;
}

/** One step of a script. */
export interface ScriptStep {
  run(r: ScriptRun): Promise<void> | void;
  /** The step as the file says it. */
  toString(): string;
}

type Topic = ResolvedScenario['topics'][number];
type Part = string | { count: 'sent' | 'delivered' | 'events'; since?: string } | { broker: string } | { deliveredTo: string };

/** Text with placeholders: `{sent}`, `{delivered}`, `{events}`, `{sent since <mark>}`, a picked broker's name. */
class Text {
  constructor(
    readonly source: string,
    private readonly parts: readonly Part[],
  ) {}

  render(r: ScriptRun): string {
    const now = { ...r.counters(), events: r.cluster.events().length };
    return this.parts
      .map((p) => {
        if (typeof p === 'string') return p;
        if ('broker' in p) return String(r.picked.get(p.broker));
        if ('deliveredTo' in p) return String(r.members.deliveredTo(p.deliveredTo));
        const since = p.since === undefined || p.count === 'events' ? 0 : r.marks.get(p.since)![p.count];
        return String(now[p.count] - since);
      })
      .join('');
  }

  toString(): string {
    return this.source;
  }
}

class Section implements ScriptStep {
  constructor(readonly title: Text) {}
  run(r: ScriptRun): void {
    r.timeline.write('');
    r.timeline.write(r.timeline.paint('heading', `== ${this.title.render(r)}`));
  }
  toString(): string {
    return `section: ${this.title}`;
  }
}

class Say implements ScriptStep {
  constructor(readonly text: Text) {}
  run(r: ScriptRun): void {
    r.timeline.write(this.text.render(r));
  }
  toString(): string {
    return `say: ${this.text}`;
  }
}

/** Creates a topic; the topics no step creates exist from the start. */
export class Create implements ScriptStep {
  constructor(readonly topic: Topic) {}
  run(r: ScriptRun): void {
    const t = this.topic;
    r.cluster.createTopic({ topic: t.name, numPartitions: t.partitions, replicationFactor: t.replicationFactor, config: t.config });
  }
  toString(): string {
    return `create: ${this.topic.name}`;
  }
}

class Connect implements ScriptStep {
  constructor(readonly producer: string) {}
  run(r: ScriptRun): Promise<void> {
    return r.producers.get(this.producer)!.connect(r.cluster);
  }
  toString(): string {
    return `connect: ${this.producer}`;
  }
}

class Send implements ScriptStep {
  constructor(
    readonly producer: string,
    readonly ms: number,
  ) {}
  async run(r: ScriptRun): Promise<void> {
    const producer = r.producers.get(this.producer)!;
    for (let t = 0; t < this.ms; t += r.tickMs) {
      // A fenced zombie's send is refused: the step says so and sends no more.
      if (!(await refusable(r, producer, 'send', () => producer.send(r.cluster, r.tickMs)))) return;
      await r.cluster.advance(r.tickMs);
      r.logSizes.sample();
    }
  }
  toString(): string {
    return `send: ${formatDuration(this.ms)} (producer ${this.producer})`;
  }
}

class Tombstone implements ScriptStep {
  constructor(
    readonly producer: string,
    readonly key: string,
  ) {}
  async run(r: ScriptRun): Promise<void> {
    const producer = r.producers.get(this.producer)!;
    await refusable(r, producer, 'tombstone', () => producer.tombstone(r.cluster, this.key));
  }
  toString(): string {
    return `tombstone: ${this.key} (producer ${this.producer})`;
  }
}

class Join implements ScriptStep {
  constructor(
    readonly group: ResolvedGroup,
    readonly member: string,
  ) {}
  run(r: ScriptRun): Promise<void> {
    return r.members.start(this.group, this.member);
  }
  toString(): string {
    return `join: ${this.member} (group ${this.group.id})`;
  }
}

class Leave implements ScriptStep {
  constructor(readonly sessions: readonly { group: string; member: string }[]) {}
  async run(r: ScriptRun): Promise<void> {
    for (const s of this.sessions) await r.members.disconnect(s.group, s.member);
  }
  toString(): string {
    return `leave: ${this.sessions.map((s) => s.member).join(', ')}`;
  }
}

class Crash implements ScriptStep {
  constructor(
    readonly group: string,
    readonly member: string,
  ) {}
  run(r: ScriptRun): void {
    r.members.end(this.group, this.member, 'crash');
  }
  toString(): string {
    return `crash: ${this.member}`;
  }
}

class Pick implements ScriptStep {
  constructor(
    readonly name: string,
    readonly topic: string,
    readonly partition: number,
  ) {}
  run(r: ScriptRun): void {
    const leader = r.cluster.describeTopic(this.topic).partitions.find((p) => p.partition === this.partition)!.leader;
    if (leader === -1) throw new Error(`pick ${this.name}: ${this.topic}-${this.partition} has no leader`);
    r.picked.set(this.name, leader);
  }
  toString(): string {
    return `pick: ${this.name} (leader of ${this.topic}-${this.partition})`;
  }
}

class BrokerFault implements ScriptStep {
  constructor(
    readonly action: (typeof FAULT_ACTIONS)[number],
    readonly broker: number | string,
  ) {}
  run(r: ScriptRun): void {
    const id = typeof this.broker === 'number' ? this.broker : r.picked.get(this.broker)!;
    ({ stop: () => r.cluster.stopBroker(id), start: () => r.cluster.startBroker(id), isolate: () => r.cluster.isolateBroker(id), heal: () => r.cluster.healBroker(id) })[
      this.action
    ]();
  }
  toString(): string {
    return `${this.action}: ${this.broker}`;
  }
}

/** A broker id, or a name an earlier pick gave one. */
type BrokerRef = number | string;
const brokerId = (r: ScriptRun, b: BrokerRef) => (typeof b === 'number' ? b : r.picked.get(b)!);

class InjectFault implements ScriptStep {
  constructor(
    readonly options: Omit<InjectFaultOptions, 'broker'>,
    readonly broker: BrokerRef | undefined,
  ) {}
  run(r: ScriptRun): void {
    r.cluster.injectFault(this.broker === undefined ? this.options : { ...this.options, broker: brokerId(r, this.broker) });
  }
  toString(): string {
    const o = this.options;
    const scope = [o.topic === undefined ? '' : o.partition === undefined ? o.topic : `${o.topic}-${o.partition}`, this.broker === undefined ? '' : `broker ${this.broker}`];
    return `inject-fault: ${o.api} (${[o.error, o.when ?? 'before', ...scope.filter((x) => x !== ''), `count ${o.count ?? 1}`].join(', ')})`;
  }
}

class SetLatency implements ScriptStep {
  constructor(
    readonly broker: BrokerRef,
    readonly ms: number,
  ) {}
  run(r: ScriptRun): void {
    r.cluster.setLatency(brokerId(r, this.broker), this.ms);
  }
  toString(): string {
    return `set-latency: ${this.broker} (${this.ms === 0 ? 'no delay' : formatDuration(this.ms)})`;
  }
}

class ClearFaults implements ScriptStep {
  run(r: ScriptRun): void {
    r.cluster.clearFaults();
  }
  toString(): string {
    return 'clear-faults';
  }
}

class Wait implements ScriptStep {
  constructor(readonly ms: number | 'idle') {}
  run(r: ScriptRun): Promise<void> {
    return this.ms === 'idle' ? r.cluster.idle() : r.cluster.advance(this.ms);
  }
  toString(): string {
    return `wait: ${this.ms === 'idle' ? 'idle' : formatDuration(this.ms)}`;
  }
}

class Mark implements ScriptStep {
  constructor(readonly name: string) {}
  run(r: ScriptRun): void {
    r.marks.set(this.name, r.counters());
  }
  toString(): string {
    return `mark: ${this.name}`;
  }
}

/** What the rest of the file declares, for checking a script against it. */
export interface ScriptSetup {
  /** The brokers' ids (empty when the file's are invalid). */
  brokerIds: readonly number[];
  tickMs: number | undefined;
  topics: readonly Topic[];
  producers: readonly ResolvedProducer[];
  groups: readonly ResolvedGroup[];
}

/** What the steps so far have set up. */
class Scope {
  readonly created = new Set<string>();
  readonly running = new Map<string, string>();
  readonly picked = new Set<string>();
  readonly marks = new Set<string>();
  /** Transactional producers with a transaction begun and not yet committed or aborted. */
  readonly inTransaction = new Set<string>();

  constructor(
    readonly c: Checker,
    readonly setup: ScriptSetup,
  ) {}

  /** A topic that exists at this step. */
  topic(v: unknown, path: string): Topic | undefined {
    const topic = this.setup.topics.find((t) => t.name === v);
    if (topic === undefined) this.c.problem(path, `unknown topic ${JSON.stringify(v)} (not in topics)`);
    else if (!this.created.has(topic.name)) this.c.problem(path, `topic '${topic.name}' does not exist yet at this step (a later step creates it)`);
    else return topic;
    return undefined;
  }

  /** A partition, `topic-N`, of a topic that exists at this step. */
  partition(v: unknown, path: string): { topic: string; partition: number } | undefined {
    const m = typeof v === 'string' ? /^(.+)-(\d+)$/.exec(v) : null;
    if (m === null) return void this.c.problem(path, 'must be a partition: a topic name, a dash and its number, like "orders-0"');
    const topic = this.topic(m[1], path);
    if (topic === undefined) return undefined;
    if (Number(m[2]) >= topic.partitions) return void this.c.problem(path, `topic '${topic.name}' has ${topic.partitions} partition(s), numbered from 0`);
    return { topic: topic.name, partition: Number(m[2]) };
  }

  /** A producer or group by name, or the only one when the step names none. */
  one<T extends { name: string } | { id: string }>(what: 'producer' | 'group', list: readonly T[], v: unknown, path: string): T | undefined {
    const named = (x: T) => ('name' in x ? x.name : x.id);
    if (v === undefined && list.length === 1) return list[0];
    if (v === undefined) this.c.problem(path, `is required: there are ${list.length} ${what}s`);
    else if (!list.some((x) => named(x) === v)) this.c.problem(path, `unknown ${what} ${JSON.stringify(v)} (not in ${what}s)`);
    return list.find((x) => named(x) === v);
  }

  text(v: unknown, path: string): Text | undefined {
    if (typeof v !== 'string') return void this.c.problem(path, 'must be a string');
    const parts: Part[] = [];
    let last = 0;
    for (const m of v.matchAll(PLACEHOLDER)) {
      parts.push(v.slice(last, m.index));
      last = m.index + m[0].length;
      const since = /^(sent|delivered) since (.+)$/.exec(m[1]!);
      const to = /^delivered to (.+)$/.exec(m[1]!);
      if (to !== null && this.setup.groups.some((g) => g.id === to[1])) parts.push({ deliveredTo: to[1]! });
      else if (m[1] === 'sent' || m[1] === 'delivered' || m[1] === 'events') parts.push({ count: m[1] });
      else if (since !== null && this.marks.has(since[2]!)) parts.push({ count: since[1] as 'sent' | 'delivered', since: since[2]! });
      else if (this.picked.has(m[1]!)) parts.push({ broker: m[1]! });
      else
        this.c.problem(
          path,
          `unknown placeholder ${m[0]} (expected {sent}, {delivered}, {events}, {sent since <mark>}, {delivered since <mark>} with an earlier mark, {delivered to <group>}, or a broker named by an earlier pick)`,
        );
    }
    parts.push(v.slice(last));
    return new Text(v, parts);
  }

  name(v: unknown, path: string): string | undefined {
    if (isName(v)) return v;
    this.c.problem(path, 'must be a name: letters, digits, ".", "_" and "-"');
    return undefined;
  }

  /** A producer that may send at this step: a transactional one only inside a transaction. */
  sending(p: ResolvedProducer, path: string): void {
    if (p.transactionalId !== undefined && !this.inTransaction.has(p.name))
      this.c.problem(path, `producer '${p.name}' is transactional: it sends only inside a transaction (a begin: ${p.name} step first)`);
  }

  /** A broker id, or a name an earlier pick gave one. */
  broker(v: unknown, path: string): BrokerRef | undefined {
    const ids = this.setup.brokerIds;
    if ((isNonNegativeInt(v) && (ids.length === 0 || ids.includes(v))) || (typeof v === 'string' && this.picked.has(v))) return v;
    return void this.c.problem(path, `must be a broker id ${describeBrokerIds(ids)}, or a name given by an earlier pick`);
  }

  /** A running member; it stops running here. */
  stopping(v: unknown, path: string): { group: string; member: string } | undefined {
    const group = typeof v === 'string' ? this.running.get(v) : undefined;
    if (group === undefined) return void this.c.problem(path, `member ${JSON.stringify(v)} is not running at this step`);
    this.running.delete(v as string);
    return { group, member: v as string };
  }
}

/** How a step of each kind is checked and built: the options it takes besides its action. */
interface StepKind {
  readonly options?: readonly string[];
  parse(v: unknown, step: Json, path: string, s: Scope, stepPath: string): ScriptStep | undefined;
}

const text = (make: (t: Text) => ScriptStep): StepKind => ({ parse: (v, _, path, s) => mapDefined(s.text(v, path), make) });
const offsets = (show: 'committed' | 'lag'): StepKind => ({
  parse: (v, _, path, s) => mapDefined(s.one('group', s.setup.groups, v, path), (g) => new Offsets(show, g.id)),
});
const fault = (action: (typeof FAULT_ACTIONS)[number]): StepKind => ({
  parse: (v, _, path, s) => mapDefined(s.broker(v, path), (b) => new BrokerFault(action, b)),
});

/** `begin: <producer>` opens a transaction of a transactional producer; `commit`/`abort` end the open one. */
const transaction = (action: 'begin' | 'commit' | 'abort'): StepKind => ({
  parse(v, _, path, s) {
    if (v === undefined || v === null) return void s.c.problem(path, 'is required: the transactional producer (there is no default)');
    const producer = s.one('producer', s.setup.producers, v, path);
    if (producer === undefined) return undefined;
    if (producer.transactionalId === undefined) return void s.c.problem(path, `producer '${producer.name}' has no transactionalId: only a transactional producer has transactions`);
    if (action === 'begin') {
      if (s.inTransaction.has(producer.name)) return void s.c.problem(path, `producer '${producer.name}' already has a transaction open at this step (commit or abort it first)`);
      s.inTransaction.add(producer.name);
    } else {
      if (!s.inTransaction.has(producer.name)) return void s.c.problem(path, `producer '${producer.name}' has no transaction open at this step (a begin: ${producer.name} step first)`);
      s.inTransaction.delete(producer.name);
    }
    return new TransactionStep(action, producer.name);
  },
});

/** `inject-fault: <api>` with the options of `Cluster.injectFault`; a broker may be a picked name. */
const injectFault: StepKind = {
  options: ['error', 'count', 'broker', 'topic', 'partition', 'when'],
  parse(v, step, path, s, stepPath) {
    const broker = step.broker === undefined ? undefined : s.broker(step.broker, `${stepPath}.broker`);
    if (step.broker !== undefined && broker === undefined) return undefined;
    const options = checkInjectFault(s.c, step, v, path, stepPath, s.setup.topics.map((t) => t.name));
    if (options === undefined) return undefined;
    return new InjectFault(options, broker);
  },
};

const KINDS: Record<string, StepKind> = {
  section: text((t) => new Section(t)),
  say: text((t) => new Say(t)),
  create: {
    parse(v, _, path, s) {
      const topic = s.setup.topics.find((t) => t.name === v);
      if (topic === undefined) return void s.c.problem(path, `unknown topic ${JSON.stringify(v)} (not in topics)`);
      if (s.created.has(topic.name)) return void s.c.problem(path, `topic '${topic.name}' exists already at this step`);
      s.created.add(topic.name);
      return new Create(topic);
    },
  },
  partitions: { parse: (v, _, path, s) => mapDefined(s.topic(v, path), (t) => new Partitions(t.name)) },
  connect: { parse: (v, _, path, s) => mapDefined(s.one('producer', s.setup.producers, v, path), (p) => new Connect(p.name)) },
  send: {
    options: ['producer'],
    parse(v, step, path, s, stepPath) {
      const producer = s.one('producer', s.setup.producers, step.producer, `${stepPath}.producer`);
      if (producer !== undefined) s.topic(producer.topic, `${stepPath}.producer`);
      if (producer !== undefined) s.sending(producer, `${stepPath}.producer`);
      const ms = parseDuration(v);
      const tick = s.setup.tickMs;
      if (ms === undefined || ms === 0 || (tick !== undefined && ms % tick !== 0))
        return void s.c.problem(path, `must be a duration of whole ticks, more than 0 (tick is ${tick === undefined ? 'invalid' : formatDuration(tick)})`);
      return mapDefined(producer, (p) => new Send(p.name, ms));
    },
  },
  tombstone: {
    options: ['producer'],
    parse(v, step, path, s, stepPath) {
      const producer = s.one('producer', s.setup.producers, step.producer, `${stepPath}.producer`);
      if (producer !== undefined) s.topic(producer.topic, `${stepPath}.producer`);
      if (producer !== undefined) s.sending(producer, `${stepPath}.producer`);
      if (typeof v !== 'string' || v === '') return void s.c.problem(path, 'must be the key of the record to delete, a non-empty string');
      return mapDefined(producer, (p) => new Tombstone(p.name, v));
    },
  },
  log: { parse: (v, _, path, s) => mapDefined(s.partition(v, path), (p) => new Log(p.topic, p.partition)) },
  begin: transaction('begin'),
  commit: transaction('commit'),
  abort: transaction('abort'),
  join: {
    options: ['group'],
    parse(v, step, path, s, stepPath) {
      const group = s.one('group', s.setup.groups, step.group, `${stepPath}.group`);
      for (const t of group?.topics ?? []) s.topic(t, `${stepPath}.join`);
      const member = s.name(v, path);
      if (member === undefined || group === undefined) return undefined;
      if (s.running.has(member)) return void s.c.problem(path, `member '${member}' is already running`);
      s.running.set(member, group.id);
      return new Join(group, member);
    },
  },
  leave: {
    parse(v, _, path, s) {
      const names = Array.isArray(v) ? v : [v];
      const sessions = names.map((n, i) => s.stopping(n, Array.isArray(v) ? `${path}[${i}]` : path));
      return sessions.every((x) => x !== undefined) ? new Leave(sessions as { group: string; member: string }[]) : undefined;
    },
  },
  crash: { parse: (v, _, path, s) => mapDefined(s.stopping(v, path), (m) => new Crash(m.group, m.member)) },
  pick: {
    options: ['leaderOf'],
    parse(v, step, path, s, stepPath) {
      const name = s.name(v, path);
      if (name === 'sent' || name === 'delivered' || name === 'events') return void s.c.problem(path, `'${name}' is a counter's name`);
      const m = typeof step.leaderOf === 'string' ? /^(.+)-(\d+)$/.exec(step.leaderOf) : null;
      if (m === null) return void s.c.problem(`${stepPath}.leaderOf`, 'is required: the partition whose leader it names, like "orders-0"');
      const topic = s.topic(m[1], `${stepPath}.leaderOf`);
      if (topic !== undefined && Number(m[2]) >= topic.partitions) return void s.c.problem(`${stepPath}.leaderOf`, `topic '${topic.name}' has ${topic.partitions} partition(s)`);
      if (name === undefined || topic === undefined) return undefined;
      s.picked.add(name);
      return new Pick(name, topic.name, Number(m[2]));
    },
  },
  ...Object.fromEntries(FAULT_ACTIONS.map((a) => [a, fault(a)])),
  'inject-fault': injectFault,
  'set-latency': {
    options: ['ms'],
    parse(v, step, path, s, stepPath) {
      const broker = s.broker(v, path);
      const ms = parseDuration(step.ms);
      if (ms === undefined) return void s.c.problem(`${stepPath}.ms`, 'is required: a duration (0 for none)');
      return mapDefined(broker, (b) => new SetLatency(b, ms));
    },
  },
  'clear-faults': {
    parse(v, _, path, s) {
      if (v !== true && v !== null) return void s.c.problem(path, 'takes no value (write `clear-faults: true`)');
      return new ClearFaults();
    },
  },
  wait: {
    parse(v, _, path, s) {
      const ms = v === 'idle' ? 'idle' : parseDuration(v);
      if (ms === undefined || ms === 0) return void s.c.problem(path, 'must be a duration more than 0, or "idle" (until every consumer has settled and caught up)');
      return new Wait(ms);
    },
  },
  committed: offsets('committed'),
  lag: offsets('lag'),
  mark: {
    parse(v, _, path, s) {
      const name = s.name(v, path);
      if (name === undefined) return undefined;
      s.marks.add(name);
      return new Mark(name);
    },
  },
};

function mapDefined<T, U>(v: T | undefined, f: (v: T) => U): U | undefined {
  return v === undefined ? undefined : f(v);
}

/** Checks a script against the file's topics, producers and groups; the steps, or undefined when a problem was found. */
export function checkScript(c: Checker, input: unknown, setup: ScriptSetup): ScriptStep[] | undefined {
  if (!Array.isArray(input) || input.length === 0) return void c.problem('script', 'must be a non-empty array of steps');
  const s = new Scope(c, setup);
  const createdByStep = new Set(input.map((step: unknown) => (isObject(step) ? step.create : undefined)));
  for (const t of setup.topics) if (!createdByStep.has(t.name)) s.created.add(t.name);
  const steps: (ScriptStep | undefined)[] = input.map((step: unknown, i) => {
    const path = `script[${i}]`;
    const actions = isObject(step) ? Object.keys(step).filter((k) => k in KINDS) : [];
    if (!isObject(step) || actions.length !== 1) return void c.problem(path, `must have exactly one action: ${Object.keys(KINDS).join(', ')}`);
    const action = actions[0]!;
    const kind = KINDS[action]!;
    c.unknownKeys(step, [action, ...(kind.options ?? [])], path);
    return kind.parse(step[action], step, `${path}.${action}`, s, path);
  });
  return steps.every((step) => step !== undefined) ? (steps as ScriptStep[]) : undefined;
}
