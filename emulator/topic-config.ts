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

/** One topic setting as DescribeConfigs reports it. */
export interface ConfigEntry {
  readonly name: string;
  readonly value: string;
  readonly source: ConfigSource;
  readonly isDefault: boolean;
}

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

/** A topic's settings with their sources. */
export function describeTopicConfig(s: EngineState, name: string): DescribeConfigAnswer {
  const topic = topicOf(s, name);
  if (failed(topic)) return { name, ...topic, configs: [] };
  const configs = (Object.keys(TOPIC_CONFIGS) as TopicConfigName[]).map((key) => {
    const source = topicConfigSource(key, topic.overrides, s.userConfig);
    return { name: key, value: String(topic.config[key]), source, isDefault: source === 'DEFAULT_CONFIG' };
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
