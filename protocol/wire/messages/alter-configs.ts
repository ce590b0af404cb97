/**
 * AlterConfigs (API key 33). Replaces a resource's whole dynamic config with the given set
 * (configs left out revert to their defaults; IncrementalAlterConfigs is the per-key variant).
 * v2 is flexible.
 */
import { api, array, f } from '../schema.js';

export const AlterConfigs = api({
  key: 33,
  name: 'AlterConfigs',
  versions: '0-2',
  flexible: '2+',
  request: [
    f('resources', array([
      f('resourceType', 'int8', '0+'),
      f('resourceName', 'string', '0+'),
      f('configs', array([
        f('name', 'string', '0+'),
        f('value', 'string', '0+', { nullable: '0+' }),
      ]), '0+'),
    ]), '0+'),
    f('validateOnly', 'bool', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('responses', array([
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '0+', { nullable: '0+' }),
      f('resourceType', 'int8', '0+'),
      f('resourceName', 'string', '0+'),
    ]), '0+'),
  ],
});
