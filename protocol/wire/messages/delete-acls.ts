/**
 * DeleteAcls (API key 31). Deletes every ACL matching each filter and answers, per filter, the
 * ACLs it deleted. v1 adds resource pattern types, v2 is flexible.
 */
import { api, array, f } from '../schema.js';

export const DeleteAcls = api({
  key: 31,
  name: 'DeleteAcls',
  versions: '0-3',
  flexible: '2+',
  request: [
    f('filters', array([
      f('resourceTypeFilter', 'int8', '0+'),
      f('resourceNameFilter', 'string', '0+', { nullable: '0+' }),
      f('patternTypeFilter', 'int8', '1+', { default: 3 }),
      f('principalFilter', 'string', '0+', { nullable: '0+' }),
      f('hostFilter', 'string', '0+', { nullable: '0+' }),
      f('operation', 'int8', '0+'),
      f('permissionType', 'int8', '0+'),
    ]), '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('filterResults', array([
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '0+', { nullable: '0+' }),
      f('matchingAcls', array([
        f('errorCode', 'int16', '0+'),
        f('errorMessage', 'string', '0+', { nullable: '0+' }),
        f('resourceType', 'int8', '0+'),
        f('resourceName', 'string', '0+'),
        f('patternType', 'int8', '1+', { default: 3 }),
        f('principal', 'string', '0+'),
        f('host', 'string', '0+'),
        f('operation', 'int8', '0+'),
        f('permissionType', 'int8', '0+'),
      ]), '0+'),
    ]), '0+'),
  ],
});
