/**
 * DescribeConfigs (key 32): a topic's settings as Kafka 3.9 lists them (every setting, with
 * sources and, with includeSynonyms, the topic override, static broker setting and broker default
 * behind each), or the broker's (static, read-only; any broker id names the one shared config;
 * each setting its own one synonym). Other resource types are INVALID_REQUEST.
 */
import { BROKER_CONFIGS } from '../../../emulator/config.js';
import { DescribeConfigs } from '../../../protocol/wire/index.js';
import { handler, type WireContext } from '../handler.js';
import { code, CONFIG_SOURCE, RESOURCE_BROKER, RESOURCE_TOPIC } from './codes.js';

interface Entry {
  readonly name: string;
  readonly value: string;
  readonly readOnly: boolean;
  readonly isDefault: boolean;
  readonly source: number;
  readonly isSensitive: boolean;
  readonly synonyms: readonly { readonly name: string; readonly value: string; readonly source: number }[];
}

export const describeConfigs = handler({
  api: DescribeConfigs,
  versions: [0, 4],
  handle(ctx, _version, request) {
    return {
      throttleTimeMs: 0,
      results: request.resources.map((r) => {
        const described = entriesOf(ctx, r.resourceType, r.resourceName);
        const base = { resourceType: r.resourceType, resourceName: r.resourceName };
        if (!Array.isArray(described)) return { ...base, errorCode: described.errorCode, errorMessage: described.errorMessage, configs: [] };
        const keys = r.configurationKeys;
        const wanted = keys === null || keys.length === 0 ? described : described.filter((e) => keys.includes(e.name));
        return {
          ...base,
          errorCode: 0,
          // Kafka 3.9 answers an empty message, not null, for a resource described without error.
          errorMessage: '',
          configs: wanted.map((e) => ({
            name: e.name,
            value: e.value,
            readOnly: e.readOnly,
            isDefault: e.isDefault,
            configSource: e.source,
            isSensitive: e.isSensitive,
            synonyms: request.includeSynonyms ? e.synonyms : [],
            documentation: null,
          })),
        };
      }),
    };
  },
});

function entriesOf(ctx: WireContext, type: number, name: string): Entry[] | { errorCode: number; errorMessage: string | null } {
  if (type === RESOURCE_TOPIC) {
    const a = ctx.engine.describeTopicConfig(name);
    if (a.errorCode !== 0) return a;
    return a.configs.map((c) => ({
      name: c.name,
      value: c.value,
      readOnly: c.readOnly,
      isDefault: c.isDefault,
      source: CONFIG_SOURCE[c.source],
      isSensitive: c.isSensitive,
      synonyms: c.synonyms.map((y) => ({ name: y.name, value: y.value, source: CONFIG_SOURCE[y.source] })),
    }));
  }
  if (type === RESOURCE_BROKER) {
    return Object.entries(ctx.engine.config)
      .filter(([key]) => key in BROKER_CONFIGS)
      .map(([key, value]) => {
        const source = CONFIG_SOURCE.STATIC_BROKER_CONFIG;
        return { name: key, value: String(value), readOnly: true, isDefault: false, source, isSensitive: false, synonyms: [{ name: key, value: String(value), source }] };
      });
  }
  return { errorCode: code('INVALID_REQUEST'), errorMessage: `The twin describes only topic (2) and broker (4) configs, not resource type ${type}` };
}
