/**
 * Topic settings as Kafka's config requests reach them: DescribeConfigs (every setting with its
 * source), IncrementalAlterConfigs (`alterTopicConfig`: set or remove single overrides) and
 * AlterConfigs (`replaceTopicConfig`: replace every override). Each validates everything before it
 * changes anything, and answers INVALID_CONFIG naming the first bad setting.
 */
import { failure, NONE, type Failure } from '../protocol/errors.js';
import { electLeader } from './controller.js';
import {
  compactionLagConflict,
  isConfigFailure,
  parseTopicOverrides,
  resolveTopicConfig,
  topicConfigSource,
  TOPIC_CONFIGS,
  type ConfigInput,
  type ConfigSource,
  type TopicConfig,
  type TopicConfigName,
} from './config.js';
import { failed, topicOf, type Answer, type EngineState } from './state.js';

/** Kafka's Long.MAX_VALUE, as its settings print it. */
const LONG_MAX_VALUE = '9223372036854775807';

/** Where else a topic setting's value is set (DescribeConfigs' synonyms), most specific first. */
export interface ConfigSynonym {
  readonly name: string;
  readonly value: string;
  readonly source: ConfigSource;
}

/** One topic setting as DescribeConfigs reports it. */
export interface ConfigEntry {
  readonly name: string;
  readonly value: string;
  readonly source: ConfigSource;
  readonly isDefault: boolean;
  /** Topic settings can all be altered. */
  readonly readOnly: boolean;
  /** No topic setting is a password. */
  readonly isSensitive: boolean;
  /** The topic's override, the broker's static setting and the broker default behind the value (Kafka's includeSynonyms). */
  readonly synonyms: readonly ConfigSynonym[];
}

/**
 * Every setting Kafka 3.9's DescribeConfigs lists for a topic, in the order it lists them, each
 * with the broker setting Kafka names as its default synonym (none where Kafka's broker default is
 * null, as for retention.ms and segment.ms) and, for those the twin does not model, Kafka's
 * default value. The twin models the ones in TOPIC_CONFIGS; the others are described with
 * Kafka's defaults only, so a tool listing a topic's settings sees what Kafka shows.
 */
const KAFKA_TOPIC_SETTINGS: readonly (readonly [name: string, synonym: string | null, unmodelledDefault?: string])[] = [
  ['compression.type', 'compression.type', 'producer'],
  ['remote.log.delete.on.disable', null, 'false'],
  ['leader.replication.throttled.replicas', null, ''],
  ['remote.storage.enable', null, 'false'],
  ['message.downconversion.enable', 'log.message.downconversion.enable', 'true'],
  ['min.insync.replicas', 'min.insync.replicas'],
  ['segment.jitter.ms', null, '0'],
  ['remote.log.copy.disable', null, 'false'],
  ['local.retention.ms', 'log.local.retention.ms', '-2'],
  ['cleanup.policy', 'log.cleanup.policy'],
  ['flush.ms', null, LONG_MAX_VALUE],
  ['follower.replication.throttled.replicas', null, ''],
  ['compression.lz4.level', 'compression.lz4.level', '9'],
  ['segment.bytes', 'log.segment.bytes'],
  ['retention.ms', null],
  ['compression.gzip.level', 'compression.gzip.level', '-1'],
  ['flush.messages', 'log.flush.interval.messages', LONG_MAX_VALUE],
  ['compression.zstd.level', 'compression.zstd.level', '3'],
  ['message.format.version', 'log.message.format.version', '3.0-IV1'],
  ['max.compaction.lag.ms', 'log.cleaner.max.compaction.lag.ms'],
  ['file.delete.delay.ms', 'log.segment.delete.delay.ms', '60000'],
  ['max.message.bytes', 'message.max.bytes'],
  ['min.compaction.lag.ms', 'log.cleaner.min.compaction.lag.ms'],
  ['message.timestamp.type', 'log.message.timestamp.type'],
  ['local.retention.bytes', 'log.local.retention.bytes', '-2'],
  ['preallocate', 'log.preallocate', 'false'],
  ['min.cleanable.dirty.ratio', 'log.cleaner.min.cleanable.ratio'],
  ['index.interval.bytes', 'log.index.interval.bytes', '4096'],
  ['unclean.leader.election.enable', 'unclean.leader.election.enable'],
  ['retention.bytes', 'log.retention.bytes'],
  ['delete.retention.ms', 'log.cleaner.delete.retention.ms'],
  ['message.timestamp.after.max.ms', 'log.message.timestamp.after.max.ms', LONG_MAX_VALUE],
  ['message.timestamp.before.max.ms', 'log.message.timestamp.before.max.ms', LONG_MAX_VALUE],
  ['segment.ms', null],
  ['message.timestamp.difference.max.ms', 'log.message.timestamp.difference.max.ms', LONG_MAX_VALUE],
  ['segment.index.bytes', 'log.index.size.max.bytes', '10485760'],
];

/** DescribeConfigs' answer for one topic: its settings, or the topic's error and none. */
export interface DescribeConfigAnswer extends Answer {
  readonly name: string;
  readonly configs: readonly ConfigEntry[];
}

/** (Incremental)AlterConfigs' answer for one topic. */
export interface AlterConfigAnswer extends Answer {
  readonly name: string;
}

/** A topic's effective settings, or the topic's error and null. */
export interface TopicConfigAnswer extends Answer {
  readonly name: string;
  readonly config: TopicConfig | null;
}

/** Parses a topic's overrides: the settings, or INVALID_CONFIG naming the first bad one. */
export function parseTopicOverridesFor(topic: string, config: unknown): Partial<Record<TopicConfigName, ConfigInput>> | Failure {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    return failure('INVALID_CONFIG', `Topic config for ${topic} must be an object of settings`);
  }
  return parseTopicOverrides(config as Readonly<Record<string, unknown>>);
}

/** The table above, plus any setting the twin models that it lacks (at the end, its broker setting as synonym). */
const DESCRIBED: typeof KAFKA_TOPIC_SETTINGS = [
  ...KAFKA_TOPIC_SETTINGS,
  ...(Object.keys(TOPIC_CONFIGS) as TopicConfigName[])
    .filter((key) => !KAFKA_TOPIC_SETTINGS.some(([name]) => name === key))
    .map((key) => [key, TOPIC_CONFIGS[key].broker] as const),
];

/**
 * A setting's value as Kafka prints it: the twin keeps Kafka's Long.MAX_VALUE ("no limit") as the
 * largest exact JS integer, and prints it back as Kafka's.
 */
function kafkaString(value: ConfigInput): string {
  return value === Number.MAX_SAFE_INTEGER ? LONG_MAX_VALUE : String(value);
}

/** A modelled setting as Kafka describes it: the effective value, its source, and the synonyms behind it. */
function describeModelled(s: EngineState, topic: { overrides: Partial<Record<TopicConfigName, ConfigInput>>; config: TopicConfig }, key: TopicConfigName, synonym: string | null): ConfigEntry {
  const source = topicConfigSource(key, topic.overrides, s.userConfig);
  const synonyms: ConfigSynonym[] = [];
  const override = topic.overrides[key];
  if (override !== undefined) synonyms.push({ name: key, value: kafkaString(override), source: 'TOPIC_CONFIG' });
  const brokerKey = TOPIC_CONFIGS[key].broker;
  if (brokerKey in s.userConfig) {
    synonyms.push({ name: brokerKey, value: kafkaString((s.config as unknown as Record<string, ConfigInput>)[brokerKey]!), source: 'STATIC_BROKER_CONFIG' });
  }
  if (synonym !== null) synonyms.push({ name: synonym, value: kafkaString(TOPIC_CONFIGS[key].default), source: 'DEFAULT_CONFIG' });
  return { name: key, value: kafkaString(topic.config[key]), source, isDefault: source === 'DEFAULT_CONFIG', readOnly: false, isSensitive: false, synonyms };
}

/** A topic's settings as Kafka 3.9 describes them: every one Kafka lists, in its order, with sources and synonyms. */
export function describeTopicConfig(s: EngineState, name: string): DescribeConfigAnswer {
  const topic = topicOf(s, name);
  if (failed(topic)) return { name, ...topic, configs: [] };
  const configs = DESCRIBED.map(([key, synonym, unmodelledDefault]): ConfigEntry => {
    if (key in TOPIC_CONFIGS) return describeModelled(s, topic, key as TopicConfigName, synonym);
    const value = unmodelledDefault ?? '';
    const synonyms = synonym === null ? [] : [{ name: synonym, value, source: 'DEFAULT_CONFIG' as const }];
    return { name: key, value, source: 'DEFAULT_CONFIG', isDefault: true, readOnly: false, isSensitive: false, synonyms };
  });
  return { name, errorCode: NONE, errorMessage: null, configs };
}

/**
 * Changes topic settings: each entry sets an override, or removes it when `null` (the value
 * falls back to the broker's).
 */
export function alterTopicConfig(s: EngineState, name: string, changes: Readonly<Record<string, ConfigInput | null>>): AlterConfigAnswer {
  const topic = topicOf(s, name);
  if (failed(topic)) return { name, ...topic };
  if (changes === null || typeof changes !== 'object' || Array.isArray(changes)) {
    return { name, ...failure('INVALID_CONFIG', `Topic config for ${name} must be an object of settings`) };
  }
  const sets: Record<string, ConfigInput> = {};
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) {
      if (!(key in TOPIC_CONFIGS)) return { name, ...failure('INVALID_CONFIG', `Unknown topic config name: ${key}`) };
    } else sets[key] = value;
  }
  const parsed = parseTopicOverridesFor(name, sets);
  if (isConfigFailure(parsed)) return { name, ...parsed };
  const overrides = { ...topic.overrides, ...parsed };
  for (const [key, value] of Object.entries(changes)) if (value === null) delete overrides[key as TopicConfigName];
  const resolved = resolveTopicConfig(s.config, overrides);
  const conflict = compactionLagConflict(resolved['min.compaction.lag.ms'], resolved['max.compaction.lag.ms']);
  if (conflict !== undefined) return { name, ...conflict };
  const wasUnclean = topic.config['unclean.leader.election.enable'];
  topic.overrides = overrides;
  topic.config = resolved;
  s.log.record({
    type: 'topic-config-changed',
    topic: name,
    config: Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, v === null ? null : String(v)])),
  });
  // Turning unclean election on lets an offline partition elect an out-of-sync replica now.
  if (!wasUnclean && topic.config['unclean.leader.election.enable']) {
    for (const p of topic.partitions) if (p.leader === -1) electLeader(s, p);
  }
  return { name, errorCode: NONE, errorMessage: null };
}

/**
 * Replaces all of a topic's overrides with `config` (Kafka's non-incremental AlterConfigs):
 * settings not named fall back to the broker's.
 */
export function replaceTopicConfig(
  s: EngineState,
  name: string,
  config: Readonly<Record<string, ConfigInput>>,
  { validateOnly = false }: { validateOnly?: boolean } = {},
): AlterConfigAnswer {
  const topic = topicOf(s, name);
  if (failed(topic)) return { name, ...topic };
  const parsed = parseTopicOverridesFor(name, config);
  if (isConfigFailure(parsed)) return { name, ...parsed };
  if (validateOnly) return { name, errorCode: NONE, errorMessage: null };
  const changes: Record<string, ConfigInput | null> = { ...parsed };
  for (const key of Object.keys(topic.overrides)) if (!(key in parsed)) changes[key] = null;
  return alterTopicConfig(s, name, changes);
}

/** A topic's effective settings. */
export function topicConfig(s: EngineState, name: string): TopicConfigAnswer {
  const topic = topicOf(s, name);
  if (failed(topic)) return { name, ...topic, config: null };
  return { name, errorCode: NONE, errorMessage: null, config: topic.config };
}
