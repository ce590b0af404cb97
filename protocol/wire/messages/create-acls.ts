/**
 * CreateAcls (API key 30). One result per creation, in request order. v1 adds resource pattern
 * types, v2 is flexible.
 */
import { api, array, f } from '../schema.js';

export const CreateAcls = api({
  key: 30,
  name: 'CreateAcls',
  versions: '0-3',
  flexible: '2+',
  request: [
    f('creations', array([
      f('resourceType', 'int8', '0+'),
      f('resourceName', 'string', '0+'),
      f('resourcePatternType', 'int8', '1+', { default: 3 }),
      f('principal', 'string', '0+'),
      f('host', 'string', '0+'),
      f('operation', 'int8', '0+'),
      f('permissionType', 'int8', '0+'),
    ]), '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('results', array([
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '0+', { nullable: '0+' }),
    ]), '0+'),
  ],
});
