/**
 * ApiVersions (API key 18). The first request of a connection: the client picks, per API key,
 * the highest version both sides know. Its response header is always v0, even for the flexible
 * v3+, so a client that sent a version the broker does not know can still read the answer: the
 * broker then answers UNSUPPORTED_VERSION in v0 with its own ApiVersions range, and the client
 * retries with a version from it. v3 adds the client's software name and version (KIP-511) and
 * the feature flags as tagged fields.
 */
import { api, array, f } from '../schema.js';

export const ApiVersions = api({
  key: 18,
  name: 'ApiVersions',
  versions: '0-4',
  flexible: '3+',
  request: [
    f('clientSoftwareName', 'string', '3+'),
    f('clientSoftwareVersion', 'string', '3+'),
  ],
  response: [
    f('errorCode', 'int16', '0+'),
    f('apiKeys', array([
      f('apiKey', 'int16', '0+'),
      f('minVersion', 'int16', '0+'),
      f('maxVersion', 'int16', '0+'),
    ]), '0+'),
    f('throttleTimeMs', 'int32', '1+'),
    f('supportedFeatures', array([
      f('name', 'string', '3+'),
      f('minVersion', 'int16', '3+'),
      f('maxVersion', 'int16', '3+'),
    ]), '3+', { tag: 0, tagged: '3+' }),
    f('finalizedFeaturesEpoch', 'int64', '3+', { tag: 1, tagged: '3+', default: -1 }),
    f('finalizedFeatures', array([
      f('name', 'string', '3+'),
      f('maxVersionLevel', 'int16', '3+'),
      f('minVersionLevel', 'int16', '3+'),
    ]), '3+', { tag: 2, tagged: '3+' }),
    f('zkMigrationReady', 'bool', '3+', { tag: 3, tagged: '3+', default: false }),
  ],
});
