/**
 * AlterConfigs (key 33): replaces a topic's overrides with the given set (null values left out).
 * Broker settings are static in the twin: INVALID_REQUEST, as for any other resource type.
 */
import type { ConfigInput } from '../../../emulator/config.js';
import { AlterConfigs } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { code, RESOURCE_TOPIC } from './codes.js';

export const alterConfigs = handler({
  api: AlterConfigs,
  versions: [0, 2],
  handle(ctx, _version, request) {
    return {
      throttleTimeMs: 0,
      responses: request.resources.map((r) => {
        const base = { resourceType: r.resourceType, resourceName: r.resourceName };
        if (r.resourceType !== RESOURCE_TOPIC) {
          return {
            ...base,
            errorCode: code('INVALID_REQUEST'),
            errorMessage: `The twin alters only topic configs (resource type 2), not resource type ${r.resourceType}`,
          };
        }
        const config: Record<string, ConfigInput> = {};
        for (const c of r.configs) if (c.value !== null) config[c.name] = c.value;
        const a = ctx.engine.replaceTopicConfig(r.resourceName, config, { validateOnly: request.validateOnly });
        return { ...base, errorCode: a.errorCode, errorMessage: a.errorCode === 0 ? null : a.errorMessage };
      }),
    };
  },
});
