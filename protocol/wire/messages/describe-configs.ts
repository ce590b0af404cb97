/**
 * DescribeConfigs (API key 32). Resource types: 2 topic, 4 broker, 8 broker logger; a null key
 * list asks for every config. v0 says whether a value is the default (isDefault), v1+ where it
 * comes from (configSource) and, on request, its synonyms; v3 adds the type and documentation,
 * v4 is flexible. Sensitive values are answered as null.
 */
import { api, array, f } from '../schema.js';

export const DescribeConfigs = api({
  key: 32,
  name: 'DescribeConfigs',
  versions: '0-4',
  flexible: '4+',
  request: [
    f('resources', array([
      f('resourceType', 'int8', '0+'),
      f('resourceName', 'string', '0+'),
      f('configurationKeys', array('string'), '0+', { nullable: '0+' }),
    ]), '0+'),
    f('includeSynonyms', 'bool', '1+', { default: false }),
    f('includeDocumentation', 'bool', '3+', { default: false }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('results', array([
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '0+', { nullable: '0+' }),
      f('resourceType', 'int8', '0+'),
      f('resourceName', 'string', '0+'),
      f('configs', array([
        f('name', 'string', '0+'),
        f('value', 'string', '0+', { nullable: '0+' }),
        f('readOnly', 'bool', '0+'),
        f('isDefault', 'bool', '0'),
        f('configSource', 'int8', '1+', { default: -1 }),
        f('isSensitive', 'bool', '0+'),
        f('synonyms', array([
          f('name', 'string', '1+'),
          f('value', 'string', '1+', { nullable: '0+' }),
          f('source', 'int8', '1+'),
        ]), '1+'),
        f('configType', 'int8', '3+', { default: 0 }),
        f('documentation', 'string', '3+', { nullable: '0+' }),
      ]), '0+'),
    ]), '0+'),
  ],
});
