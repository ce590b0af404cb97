/**
 * ApiVersions (key 18): the versions of every API key this broker has a handler for, from the
 * registry (so what is advertised is exactly what is served). v4 is v3 again (it only lets a
 * supported feature's minimum be 0), and the version Kafka 3.9's Java clients open with. A version the broker does not know
 * never reaches here: the connection answers it UNSUPPORTED_VERSION in v0 with these same ranges.
 */
import { ApiVersions } from '../../../protocol/wire/index.js';
import { handler, type Handler } from '../handler.js';

/** Every handler's key and versions, in key order, as ApiVersions lists them. */
export function advertised(handlers: readonly Handler[]): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return [...handlers].sort((a, b) => a.api.key - b.api.key).map((h) => ({ apiKey: h.api.key, minVersion: h.versions[0], maxVersion: h.versions[1] }));
}

/** The ApiVersions handler over the registry `all` (a function: the registry includes this handler). */
export function apiVersionsHandler(all: () => readonly Handler[]) {
  return handler({
    api: ApiVersions,
    versions: [0, 4],
    handle: () => ({ errorCode: 0, apiKeys: advertised(all()), throttleTimeMs: 0 }),
  });
}
