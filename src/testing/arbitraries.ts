/**
 * fast-check arbitraries: messages, topic layouts, topologies and fault schedules.
 */
import fc from 'fast-check';
import { AddPartitionsStep, AdvanceStep, BrokerStep, CrashStep, JoinStep, LeaveStep, LostAckStep, PauseStep, ProduceStep, RequestFaultStep, Scenario, type ScenarioMessage, type Step, type TopicLayout, type Topology } from './steps.js';

/** Options of {@link keyArb}. */
export interface KeyOptions {
  /**
   * `small`: a handful of keys, so keys repeat and share partitions; `large`: many keys, so they
   * rarely repeat; `skewed`: one hot key takes most of the traffic.
   * @defaultValue 'small'
   */
  space?: 'small' | 'large' | 'skewed';
  /**
   * Keys in the space (`small` and `skewed`: the cold keys).
   * @defaultValue 4 for `small` and `skewed`, 1000 for `large`
   */
  size?: number;
  /**
   * Share of unkeyed (null-key) records, from 0 to 1.
   * @defaultValue 0
   */
  nullShare?: number;
}

/** Record keys `k0`, `k1`, ... from a small, large or skewed key space. */
export function keyArb(options: KeyOptions = {}): fc.Arbitrary<string | null> {
  const { space = 'small', nullShare = 0 } = options;
  const size = options.size ?? (space === 'large' ? 1000 : 4);
  const named = fc.integer({ min: 0, max: Math.max(0, size - 1) }).map((i) => `k${i}`);
  const keyed = space === 'skewed' ? fc.oneof({ arbitrary: fc.constant('hot'), weight: 4 }, { arbitrary: named, weight: 1 }) : named;
  if (nullShare <= 0) return keyed;
  const nullWeight = Math.max(1, Math.round(nullShare * 100));
  return fc.oneof({ arbitrary: fc.constant(null), weight: nullWeight }, { arbitrary: keyed, weight: Math.max(1, 100 - nullWeight) });
}

/** Options of {@link messageArb}. */
export interface MessageOptions {
  /**
   * Keys.
   * @defaultValue `{ space: 'small' }` (see {@link KeyOptions})
   */
  keys?: KeyOptions;
  /**
   * Values.
   * @defaultValue integers from 0 to 99 as strings
   */
  values?: fc.Arbitrary<string>;
  /**
   * Whether records carry 0 to 2 headers.
   * @defaultValue false
   */
  headers?: boolean;
  /**
   * Whether records carry explicit create timestamps (from 0 to 10^12 ms); otherwise the producer stamps them.
   * @defaultValue false
   */
  timestamps?: boolean;
}

/** One message for the input topic. */
export function messageArb(options: MessageOptions = {}): fc.Arbitrary<ScenarioMessage> {
  const values = options.values ?? fc.integer({ min: 0, max: 99 }).map(String);
  const headers = options.headers ? fc.dictionary(fc.constantFrom('trace', 'source', 'type'), fc.string({ maxLength: 4 }), { maxKeys: 2 }) : fc.constant(undefined);
  const timestamp = options.timestamps ? fc.integer({ min: 0, max: 1e12 }) : fc.constant(undefined);
  return fc.record({ key: keyArb(options.keys), value: values, headers, timestamp }).map(({ key, value, headers, timestamp }) => {
    const m: { key: string | null; value: string; headers?: Record<string, string>; timestamp?: number } = { key, value };
    if (headers !== undefined && Object.keys(headers).length > 0) m.headers = headers;
    if (timestamp !== undefined) m.timestamp = timestamp;
    return m;
  });
}

/** Options of {@link topicLayoutArb}. */
export interface TopicLayoutOptions {
  /**
   * Topic name.
   * @defaultValue 'input'
   */
  topic?: string;
  /**
   * Most partitions.
   * @defaultValue 4
   */
  maxPartitions?: number;
  /**
   * Brokers available (the replication factor is at most this).
   * @defaultValue 3
   */
  brokers?: number;
}

/** A topic layout: 1 to `maxPartitions` partitions, replication factor 1 to `brokers`. */
export function topicLayoutArb(options: TopicLayoutOptions = {}): fc.Arbitrary<TopicLayout> {
  const { topic = 'input', maxPartitions = 4, brokers = 3 } = options;
  return fc.record({ topic: fc.constant(topic), partitions: fc.integer({ min: 1, max: maxPartitions }), replicationFactor: fc.integer({ min: 1, max: brokers }) });
}

/** Options of {@link topologyArb}. */
export interface TopologyOptions {
  /**
   * Brokers.
   * @defaultValue 3, or the length of `brokerIds`
   */
  brokers?: number;
  /**
   * The brokers' ids (the cluster's `brokerIds`), one per broker.
   * @defaultValue 1..brokers
   */
  brokerIds?: readonly number[];
  /**
   * Most input partitions.
   * @defaultValue 4
   */
  maxPartitions?: number;
  /**
   * Most initial instances.
   * @defaultValue 3
   */
  maxInstances?: number;
  /**
   * Consumer group id.
   * @defaultValue 'app'
   */
  groupId?: string;
}

/** A topology: input topic `input`, output topic `output`, 1 to `maxInstances` instances. */
export function topologyArb(options: TopologyOptions = {}): fc.Arbitrary<Topology> {
  const { brokerIds, brokers = brokerIds?.length ?? 3, maxPartitions = 4, maxInstances = 3, groupId = 'app' } = options;
  return fc
    .record({
      input: topicLayoutArb({ topic: 'input', maxPartitions, brokers }),
      output: topicLayoutArb({ topic: 'output', maxPartitions, brokers }),
      instances: fc.integer({ min: 1, max: maxInstances }),
    })
    .map(({ input, output, instances }) => ({ brokers, ...(brokerIds === undefined ? {} : { brokerIds }), input, output, groupId, instances, maxInstances: maxInstances + 1 }));
}

/** The default topology: 3 brokers, `input` with 2 partitions (RF 2), `output` with 1 partition (RF 2), group `app`, 2 instances, at most 3. */
export function defaultTopology(overrides: Partial<Topology> = {}): Topology {
  return {
    brokers: 3,
    input: { topic: 'input', partitions: 2, replicationFactor: 2 },
    output: { topic: 'output', partitions: 1, replicationFactor: 2 },
    groupId: 'app',
    instances: 2,
    maxInstances: 3,
    ...overrides,
  };
}

/** Relative weights of the step kinds in a schedule; 0 leaves a kind out. */
export interface StepWeights {
  /** @defaultValue 6 */
  produce?: number;
  /** @defaultValue 2 */
  advance?: number;
  /** @defaultValue 1 */
  join?: number;
  /** @defaultValue 1 */
  leave?: number;
  /** @defaultValue 2 */
  crash?: number;
  /** Broker stops and starts. @defaultValue 1 */
  stopStart?: number;
  /** Replication cut-offs: isolate and heal. @defaultValue 1 */
  isolateHeal?: number;
  /** @defaultValue 1 */
  addPartitions?: number;
  /** Request faults (`cluster.injectFault`) on the clients' requests, with errors kafkajs retries. Off unless given. @defaultValue 0 */
  requestFaults?: number;
  /** Lost acknowledgements of Produce requests to the output topic ({@link LostAckStep}). Off unless given. @defaultValue 0 */
  lostAcks?: number;
  /** Long pauses that turn an instance into a zombie beside its successor ({@link PauseStep}). Off unless given. @defaultValue 0 */
  pauses?: number;
}



/** Options of {@link scheduleArb}. */
export interface ScheduleOptions {
  /**
   * Most steps.
   * @defaultValue 12
   */
  maxSteps?: number;
  /**
   * Fewest steps.
   * @defaultValue 1
   */
  minSteps?: number;
  /**
   * Relative weights of the step kinds.
   * @defaultValue see {@link StepWeights}
   */
  weights?: StepWeights;
  /**
   * Messages of produce steps.
   * @defaultValue see {@link MessageOptions}
   */
  messages?: MessageOptions;
  /**
   * Most messages per produce step.
   * @defaultValue 3
   */
  maxBatch?: number;
  /**
   * Brokers the broker steps pick from (ids 1..brokers).
   * @defaultValue 3
   */
  brokers?: number;
  /**
   * The ids the broker steps pick from, when the cluster numbers its brokers (the topology's `brokerIds`).
   * @defaultValue 1..brokers
   */
  brokerIds?: readonly number[];
  /**
   * Most crash points ahead a crash step may be armed for.
   * @defaultValue 4
   */
  maxCrashPoint?: number;
  /**
   * Longest clock advance in ms.
   * @defaultValue 30000
   */
  maxAdvanceMs?: number;
}

/**
 * Schedule options for transactional (exactly-once) processors: every default step kind plus lost
 * acknowledgements of the output's Produce requests and pauses that leave zombies, and crash points
 * up to the 8th, since a transaction makes several calls per message (`transaction`, `send`,
 * `sendOffsets`, `commit`).
 */
export const exactlyOnceSchedule: Readonly<ScheduleOptions> = Object.freeze({ maxCrashPoint: 8, weights: Object.freeze({ lostAcks: 2, pauses: 2 }) });

/** One schedule step. */
export function stepArb(options: ScheduleOptions = {}): fc.Arbitrary<Step> {
  const { messages = {}, maxBatch = 3, brokers = 3, maxCrashPoint = 4, maxAdvanceMs = 30_000 } = options;
  const w: Required<StepWeights> = { produce: 6, advance: 2, join: 1, leave: 1, crash: 2, stopStart: 1, isolateHeal: 1, addPartitions: 1, requestFaults: 0, lostAcks: 0, pauses: 0, ...options.weights };
  const broker = options.brokerIds === undefined ? fc.integer({ min: 1, max: brokers }) : fc.constantFrom(...options.brokerIds);
  const choices: { arbitrary: fc.Arbitrary<Step>; weight: number }[] = [
    { arbitrary: fc.array(messageArb(messages), { minLength: 1, maxLength: maxBatch }).map((ms) => new ProduceStep(ms)), weight: w.produce },
    { arbitrary: fc.integer({ min: 1, max: Math.max(1, Math.round(maxAdvanceMs / 100)) }).map((n) => new AdvanceStep(n * 100)), weight: w.advance },
    { arbitrary: fc.constant(null).map(() => new JoinStep()), weight: w.join },
    { arbitrary: fc.nat(7).map((i) => new LeaveStep(i)), weight: w.leave },
    { arbitrary: fc.tuple(fc.nat(7), fc.integer({ min: 1, max: maxCrashPoint })).map(([i, at]) => new CrashStep(i, at)), weight: w.crash },
    { arbitrary: fc.tuple(fc.constantFrom('stop' as const, 'start' as const), broker).map(([a, b]) => new BrokerStep(a, b)), weight: w.stopStart },
    { arbitrary: fc.tuple(fc.constantFrom('isolate' as const, 'heal' as const), broker).map(([a, b]) => new BrokerStep(a, b)), weight: w.isolateHeal },
    { arbitrary: fc.integer({ min: 1, max: 2 }).map((n) => new AddPartitionsStep(n)), weight: w.addPartitions },
    { arbitrary: requestFaultArb(), weight: w.requestFaults },
    { arbitrary: fc.integer({ min: 1, max: 2 }).map((n) => new LostAckStep(n)), weight: w.lostAcks },
    { arbitrary: fc.tuple(fc.nat(7), fc.integer({ min: 1, max: maxCrashPoint })).map(([i, at]) => new PauseStep(i, at)), weight: w.pauses },
  ];
  return fc.oneof(...choices.filter((c) => c.weight > 0));
}

/** The clients' requests a fault step may hit, each with errors kafkajs retries for it. */
const FAULTABLE: Readonly<Record<string, readonly string[]>> = {
  Produce: ['NOT_LEADER_OR_FOLLOWER', 'REQUEST_TIMED_OUT', 'DISCONNECT'],
  Fetch: ['NOT_LEADER_OR_FOLLOWER', 'DISCONNECT'],
  Metadata: ['LEADER_NOT_AVAILABLE', 'DISCONNECT'],
  ListOffsets: ['NOT_LEADER_OR_FOLLOWER', 'DISCONNECT'],
  JoinGroup: ['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'DISCONNECT'],
  SyncGroup: ['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE'],
  Heartbeat: ['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE'],
  OffsetCommit: ['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'REQUEST_TIMED_OUT'],
  OffsetFetch: ['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE'],
};

/** A request fault step: an API, one of its retried errors, before or after applying, 1 to 3 requests. */
export function requestFaultArb(): fc.Arbitrary<RequestFaultStep> {
  return fc
    .constantFrom(...Object.keys(FAULTABLE))
    .chain((api) => fc.record({ api: fc.constant(api), error: fc.constantFrom(...FAULTABLE[api]!), when: fc.constantFrom('before' as const, 'after' as const), count: fc.integer({ min: 1, max: 3 }) }))
    .map((options) => new RequestFaultStep(options));
}

/** A schedule: `minSteps` to `maxSteps` steps; shrinking removes steps and simplifies the rest. */
export function scheduleArb(options: ScheduleOptions = {}): fc.Arbitrary<Step[]> {
  const { maxSteps = 12, minSteps = 1 } = options;
  return fc.array(stepArb(options), { minLength: minSteps, maxLength: maxSteps });
}

/** Options of {@link scenarioArb}. */
export interface ScenarioOptions extends ScheduleOptions {
  /**
   * The topology, fixed or drawn.
   * @defaultValue {@link defaultTopology}()
   */
  topology?: Topology | fc.Arbitrary<Topology>;
}

/** A scenario: a topology, a cluster seed and a schedule. */
export function scenarioArb(options: ScenarioOptions = {}): fc.Arbitrary<Scenario> {
  const topology = options.topology ?? defaultTopology();
  if (!(topology instanceof fc.Arbitrary)) {
    return fc.tuple(fc.integer({ min: 0, max: 1_000_000 }), scheduleArb({ brokers: topology.brokers, brokerIds: topology.brokerIds, ...options })).map(([seed, steps]) => new Scenario(topology, seed, steps));
  }
  return topology.chain((t) =>
    fc.tuple(fc.integer({ min: 0, max: 1_000_000 }), scheduleArb({ brokers: t.brokers, brokerIds: t.brokerIds, ...options })).map(([seed, steps]) => new Scenario(t, seed, steps)),
  );
}
