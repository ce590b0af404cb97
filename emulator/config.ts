/**
 * Broker and topic settings, under Kafka's own names and with Kafka 3.9's defaults. Each setting
 * is declared once in a table; parsing and validation read the table, so an unknown name or a
 * value of the wrong type is answered with INVALID_CONFIG naming the setting (a Failure, as data:
 * the topic requests put it in their answer, the engine's constructor throws it).
 */
import { failure, type Failure } from '../protocol/errors.js';
import { TXN_SETTINGS } from './transactions/settings.js';

type Kind = 'int' | 'long' | 'double' | 'boolean' | 'string' | 'list';

interface Definition<T> {
  readonly kind: Kind;
  readonly default: T;
  /** Smallest legal value for numbers. */
  readonly min?: number;
  /** Largest legal value for numbers. */
  readonly max?: number;
  /** Legal values for strings, or for each item of a list. */
  readonly oneOf?: readonly string[];
  readonly doc: string;
}

const INT_MAX = 2147483647;
const LONG_MAX = Number.MAX_SAFE_INTEGER; // Long.MAX_VALUE in Kafka; the largest exact JS integer here.
const WEEK_MS = 7 * 24 * 3600 * 1000;

/** Topic-level settings (CreateTopics / AlterConfigs names), with the broker setting each defaults to. */
export const TOPIC_CONFIGS = {
  'cleanup.policy': {
    kind: 'list',
    default: 'delete',
    oneOf: ['compact', 'delete'],
    doc: 'delete: old segments go by retention; compact: the cleaner keeps the last record of each key; compact,delete: both.',
    broker: 'log.cleanup.policy',
  },
  'min.cleanable.dirty.ratio': { kind: 'double', default: 0.5, min: 0, max: 1, doc: 'Dirty share of the cleanable bytes above which the cleaner cleans a compacted log.', broker: 'log.cleaner.min.cleanable.ratio' },
  'min.compaction.lag.ms': { kind: 'long', default: 0, min: 0, doc: 'How long a record stays uncompacted after it is written (by its segment\'s newest timestamp).', broker: 'log.cleaner.min.compaction.lag.ms' },
  'max.compaction.lag.ms': { kind: 'long', default: LONG_MAX, min: 1, doc: 'Longest a record may stay uncompacted: a dirty segment older than this forces a cleaning.', broker: 'log.cleaner.max.compaction.lag.ms' },
  'delete.retention.ms': { kind: 'long', default: 86400000, min: 0, doc: 'How long a tombstone is kept after the cleaning that first saw it (its delete horizon, KIP-534).', broker: 'log.cleaner.delete.retention.ms' },
  'retention.ms': { kind: 'long', default: WEEK_MS, min: -1, doc: 'How long a closed segment is kept after its newest record (-1: forever).', broker: 'log.retention.ms' },
  'retention.bytes': { kind: 'long', default: -1, min: -1, doc: 'Largest size of a partition log before old segments are deleted (-1: no limit).', broker: 'log.retention.bytes' },
  'segment.bytes': { kind: 'int', default: 1073741824, min: 14, doc: 'Size at which a segment is rolled.', broker: 'log.segment.bytes' },
  'segment.ms': { kind: 'long', default: WEEK_MS, min: 1, doc: 'Time after which a segment is rolled, measured on record timestamps.', broker: 'log.roll.ms' },
  'max.message.bytes': { kind: 'int', default: 1048588, min: 0, doc: 'Largest record batch the topic accepts.', broker: 'message.max.bytes' },
  'min.insync.replicas': { kind: 'int', default: 1, min: 1, doc: 'In-sync replicas needed for an acks=all write.', broker: 'min.insync.replicas' },
  'unclean.leader.election.enable': { kind: 'boolean', default: false, doc: 'Whether an out-of-sync replica may become leader, losing data.', broker: 'unclean.leader.election.enable' },
  'message.timestamp.type': { kind: 'string', default: 'CreateTime', oneOf: ['CreateTime', 'LogAppendTime'], doc: 'Whose timestamp a record keeps.', broker: 'log.message.timestamp.type' },
} as const satisfies Record<string, Definition<unknown> & { broker: string }>;

/** Broker-level settings accepted by `new Cluster({ config })`. */
export const BROKER_CONFIGS = {
  'num.partitions': { kind: 'int', default: 1, min: 1, doc: 'Partitions of an auto-created topic or of one created with -1.' },
  'default.replication.factor': { kind: 'int', default: 1, min: 1, doc: 'Replication factor of an auto-created topic or of one created with -1.' },
  'min.insync.replicas': { kind: 'int', default: 1, min: 1, doc: TOPIC_CONFIGS['min.insync.replicas'].doc },
  'auto.create.topics.enable': { kind: 'boolean', default: true, doc: 'Whether a metadata request for an unknown topic creates it.' },
  'delete.topic.enable': { kind: 'boolean', default: true, doc: 'Whether topics may be deleted.' },
  'log.retention.check.interval.ms': { kind: 'long', default: 300000, min: 1, doc: 'How often each broker applies retention.' },
  'log.initial.task.delay.ms': { kind: 'long', default: 30000, min: 0, doc: 'Delay before the first retention check after a broker starts.' },
  'log.retention.ms': { kind: 'long', default: WEEK_MS, min: -1, doc: TOPIC_CONFIGS['retention.ms'].doc },
  'log.retention.bytes': { kind: 'long', default: -1, min: -1, doc: TOPIC_CONFIGS['retention.bytes'].doc },
  'log.segment.bytes': { kind: 'int', default: 1073741824, min: 14, doc: TOPIC_CONFIGS['segment.bytes'].doc },
  'log.roll.ms': { kind: 'long', default: WEEK_MS, min: 1, doc: TOPIC_CONFIGS['segment.ms'].doc },
  'log.cleanup.policy': { kind: 'list', default: 'delete', oneOf: ['compact', 'delete'], doc: TOPIC_CONFIGS['cleanup.policy'].doc },
  'log.cleaner.enable': { kind: 'boolean', default: true, doc: 'Whether each broker runs a log cleaner (without it compacted logs are neither cleaned nor deleted).' },
  'log.cleaner.backoff.ms': { kind: 'long', default: 15000, min: 0, doc: 'How long a broker\'s cleaner waits when no log needs cleaning.' },
  'log.cleaner.min.cleanable.ratio': { kind: 'double', default: 0.5, min: 0, max: 1, doc: TOPIC_CONFIGS['min.cleanable.dirty.ratio'].doc },
  'log.cleaner.delete.retention.ms': { kind: 'long', default: 86400000, min: 0, doc: TOPIC_CONFIGS['delete.retention.ms'].doc },
  'log.cleaner.min.compaction.lag.ms': { kind: 'long', default: 0, min: 0, doc: TOPIC_CONFIGS['min.compaction.lag.ms'].doc },
  'log.cleaner.max.compaction.lag.ms': { kind: 'long', default: LONG_MAX, min: 1, doc: TOPIC_CONFIGS['max.compaction.lag.ms'].doc },
  'log.message.timestamp.type': { kind: 'string', default: 'CreateTime', oneOf: ['CreateTime', 'LogAppendTime'], doc: TOPIC_CONFIGS['message.timestamp.type'].doc },
  'message.max.bytes': { kind: 'int', default: 1048588, min: 0, doc: TOPIC_CONFIGS['max.message.bytes'].doc },
  'producer.id.expiration.ms': { kind: 'int', default: 86400000, min: 1, doc: 'How long a broker keeps an idempotent producer\'s state after its last write (without an open transaction).' },
  'replica.lag.time.max.ms': { kind: 'long', default: 30000, min: 1, doc: 'How long a follower may go without catching up before it leaves the ISR.' },
  'unclean.leader.election.enable': { kind: 'boolean', default: false, doc: TOPIC_CONFIGS['unclean.leader.election.enable'].doc },
  'auto.leader.rebalance.enable': { kind: 'boolean', default: true, doc: 'Whether leadership moves back to the preferred replica.' },
  'leader.imbalance.check.interval.seconds': { kind: 'long', default: 300, min: 1, doc: 'How often the controller checks for preferred-leader imbalance.' },
  'group.initial.rebalance.delay.ms': { kind: 'int', default: 3000, min: 0, doc: 'How long the coordinator waits for more members before the first rebalance of an empty group.' },
  'group.min.session.timeout.ms': { kind: 'int', default: 6000, min: 0, doc: 'Smallest session timeout a member may ask for.' },
  'group.max.session.timeout.ms': { kind: 'int', default: 1800000, min: 0, doc: 'Largest session timeout a member may ask for.' },
  'group.max.size': { kind: 'int', default: INT_MAX, min: 1, doc: 'Most members one group may have.' },
  'offsets.topic.num.partitions': { kind: 'int', default: 50, min: 1, doc: 'Partitions of __consumer_offsets; a group lives on the leader of one of them.' },
  'offsets.topic.replication.factor': { kind: 'int', default: 3, min: 1, doc: 'Replication factor of __consumer_offsets (capped at the broker count, see docs/fidelity.md).' },
  'offsets.retention.ms': { kind: 'long', default: WEEK_MS, min: 1, doc: 'How long committed offsets of an empty group are kept.' },
  'transaction.state.log.num.partitions': { kind: 'int', default: TXN_SETTINGS['transaction.state.log.num.partitions'].default, min: 1, doc: TXN_SETTINGS['transaction.state.log.num.partitions'].doc },
  'transaction.state.log.replication.factor': { kind: 'int', default: TXN_SETTINGS['transaction.state.log.replication.factor'].default, min: 1, max: 32767, doc: TXN_SETTINGS['transaction.state.log.replication.factor'].doc },
  'transaction.state.log.min.isr': { kind: 'int', default: TXN_SETTINGS['transaction.state.log.min.isr'].default, min: 1, doc: TXN_SETTINGS['transaction.state.log.min.isr'].doc },
  'transaction.max.timeout.ms': { kind: 'int', default: TXN_SETTINGS['transaction.max.timeout.ms'].default, min: 1, doc: TXN_SETTINGS['transaction.max.timeout.ms'].doc },
  'transactional.id.expiration.ms': { kind: 'int', default: TXN_SETTINGS['transactional.id.expiration.ms'].default, min: 1, doc: TXN_SETTINGS['transactional.id.expiration.ms'].doc },
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': { kind: 'int', default: TXN_SETTINGS['transaction.abort.timed.out.transaction.cleanup.interval.ms'].default, min: 1, doc: TXN_SETTINGS['transaction.abort.timed.out.transaction.cleanup.interval.ms'].doc },
  'transaction.remove.expired.transaction.cleanup.interval.ms': { kind: 'int', default: TXN_SETTINGS['transaction.remove.expired.transaction.cleanup.interval.ms'].default, min: 1, doc: TXN_SETTINGS['transaction.remove.expired.transaction.cleanup.interval.ms'].doc },
} as const satisfies Record<string, Definition<unknown>>;

export type BrokerConfigName = keyof typeof BROKER_CONFIGS;
export type TopicConfigName = keyof typeof TOPIC_CONFIGS;

type ValueOf<D> = D extends { kind: 'boolean' } ? boolean : D extends { kind: 'string' | 'list' } ? string : number;

/** Parsed broker settings. */
export type BrokerConfig = { readonly [K in BrokerConfigName]: ValueOf<(typeof BROKER_CONFIGS)[K]> };
/** Parsed topic settings. */
export type TopicConfig = { readonly [K in TopicConfigName]: ValueOf<(typeof TOPIC_CONFIGS)[K]> };

/** What a user may pass for a setting: the value, or its string form as Kafka's APIs carry it. */
export type ConfigInput = string | number | boolean;

/** True when a parse answered with INVALID_CONFIG rather than a value. */
export function isConfigFailure(x: unknown): x is Failure {
  return typeof x === 'object' && x !== null && 'errorCode' in x;
}

function parseValue(name: string, def: Definition<unknown>, raw: unknown): ConfigInput | Failure {
  const bad = (why: string) => failure('INVALID_CONFIG', `Invalid value ${JSON.stringify(raw)} for configuration ${name}: ${why}`);
  switch (def.kind) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string' && /^(true|false)$/i.test(raw.trim())) return raw.trim().toLowerCase() === 'true';
      return bad('Expected value to be either true or false');
    }
    case 'int':
    case 'long': {
      let n: number;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw)) n = Number(raw);
      else return bad(`Expected value to be a ${def.kind === 'int' ? '32-bit' : '64-bit'} integer`);
      if (!Number.isSafeInteger(n)) return bad(`Expected value to be a ${def.kind === 'int' ? '32-bit' : '64-bit'} integer`);
      if (def.kind === 'int' && (n > INT_MAX || n < -INT_MAX - 1)) return bad('Expected value to be a 32-bit integer');
      if (def.kind === 'long' && n > LONG_MAX) return bad('Value is too large');
      if (def.min !== undefined && n < def.min) return bad(`Value must be at least ${def.min}`);
      if (def.max !== undefined && n > def.max) return bad(`Value must be no more than ${def.max}`);
      return n;
    }
    case 'double': {
      let n: number;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) n = Number(raw);
      else return bad('Expected value to be a double');
      if (!Number.isFinite(n)) return bad('Expected value to be a double');
      if (def.min !== undefined && n < def.min) return bad(`Value must be at least ${def.min}`);
      if (def.max !== undefined && n > def.max) return bad(`Value must be no more than ${def.max}`);
      return n;
    }
    case 'list': {
      // Kafka's LIST type: comma-separated, items trimmed, each checked (ValidList); stored joined by ','.
      if (typeof raw !== 'string') return bad('Expected a comma separated list');
      const items = raw.trim() === '' ? [] : raw.split(',').map((x) => x.trim());
      for (const item of items) {
        if (def.oneOf !== undefined && !def.oneOf.includes(item)) {
          return failure('INVALID_CONFIG', `Invalid value ${item} for configuration ${name}: String must be one of: ${def.oneOf.join(', ')}`);
        }
      }
      return items.join(',');
    }
    case 'string': {
      if (typeof raw !== 'string') return bad('Expected a string');
      if (def.oneOf !== undefined && !def.oneOf.includes(raw)) {
        return bad(`String must be one of: ${def.oneOf.join(', ')}`);
      }
      return raw;
    }
    default: {
      const never: never = def.kind;
      throw new Error(`unhandled config kind ${String(never)}`);
    }
  }
}

/** Builds broker settings from user input; INVALID_CONFIG for an unknown name or an ill-typed value. */
export function parseBrokerConfig(input: Readonly<Record<string, unknown>> = {}): BrokerConfig | Failure {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return failure('INVALID_CONFIG', 'Cluster config must be an object of Kafka broker settings');
  }
  const out: Record<string, ConfigInput> = {};
  for (const [name, def] of Object.entries(BROKER_CONFIGS)) out[name] = def.default;
  for (const [name, raw] of Object.entries(input)) {
    const def = (BROKER_CONFIGS as Record<string, Definition<unknown>>)[name];
    if (def === undefined) {
      return failure('INVALID_CONFIG', `Unknown or unsupported broker configuration ${name}; supported: ${Object.keys(BROKER_CONFIGS).join(', ')}`);
    }
    const value = parseValue(name, def, raw);
    if (isConfigFailure(value)) return value;
    out[name] = value;
  }
  return Object.freeze(out) as unknown as BrokerConfig;
}

/** Where a topic setting's current value comes from, as DescribeConfigs reports it. */
export type ConfigSource = 'TOPIC_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG';

/**
 * Parses topic-level overrides; INVALID_CONFIG naming the first unknown or ill-typed one.
 */
export function parseTopicOverrides(input: Readonly<Record<string, unknown>>): Partial<Record<TopicConfigName, ConfigInput>> | Failure {
  const out: Partial<Record<TopicConfigName, ConfigInput>> = {};
  for (const [name, raw] of Object.entries(input)) {
    const def = (TOPIC_CONFIGS as Record<string, Definition<unknown>>)[name];
    if (def === undefined) return failure('INVALID_CONFIG', `Unknown topic config name: ${name}`);
    const value = parseValue(name, def, raw);
    if (isConfigFailure(value)) return value;
    out[name as TopicConfigName] = value;
  }
  const conflict = compactionLagConflict(out['min.compaction.lag.ms'], out['max.compaction.lag.ms']);
  if (conflict !== undefined) return conflict;
  return out;
}

/**
 * Kafka's LogConfig.validateValues: a topic's min.compaction.lag.ms may not exceed its
 * max.compaction.lag.ms (INVALID_CONFIG with Kafka's words); undefined when they agree or one is unknown.
 */
export function compactionLagConflict(min: ConfigInput | undefined, max: ConfigInput | undefined): Failure | undefined {
  if (typeof min !== 'number' || typeof max !== 'number' || min <= max) return undefined;
  return failure('INVALID_CONFIG', `conflict topic config setting min.compaction.lag.ms (${min}) > max.compaction.lag.ms (${max})`);
}

/** Whether a cleanup.policy value (as parsed: items joined by ',') includes `policy`. */
export function hasPolicy(cleanupPolicy: string, policy: 'compact' | 'delete'): boolean {
  return cleanupPolicy.split(',').includes(policy);
}

/** Resolves a topic's effective settings: its overrides, else the broker's, else Kafka's defaults. */
export function resolveTopicConfig(
  broker: BrokerConfig,
  overrides: Partial<Record<TopicConfigName, ConfigInput>>,
): TopicConfig {
  const out: Record<string, ConfigInput> = {};
  for (const [name, def] of Object.entries(TOPIC_CONFIGS)) {
    out[name] = overrides[name as TopicConfigName] ?? (broker as unknown as Record<string, ConfigInput>)[def.broker] ?? def.default;
  }
  return Object.freeze(out) as unknown as TopicConfig;
}

/** The source of one topic setting's effective value. */
export function topicConfigSource(
  name: TopicConfigName,
  overrides: Partial<Record<TopicConfigName, ConfigInput>>,
  userBrokerConfig: Readonly<Record<string, unknown>>,
): ConfigSource {
  if (overrides[name] !== undefined) return 'TOPIC_CONFIG';
  return TOPIC_CONFIGS[name].broker in userBrokerConfig ? 'STATIC_BROKER_CONFIG' : 'DEFAULT_CONFIG';
}
