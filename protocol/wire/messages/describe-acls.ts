/**
 * DescribeAcls (API key 29). The ACLs matching a filter (resource type, name, pattern type,
 * principal, host, operation, permission; null strings match anything). With no authorizer
 * configured the answer is SECURITY_DISABLED. v1 adds resource pattern types (literal, prefixed;
 * KIP-290), v2 is flexible.
 */
import { api, array, f } from '../schema.js';

export const DescribeAcls = api({
  key: 29,
  name: 'DescribeAcls',
  versions: '0-3',
  flexible: '2+',
  request: [
    f('resourceTypeFilter', 'int8', '0+'),
    f('resourceNameFilter', 'string', '0+', { nullable: '0+' }),
    f('patternTypeFilter', 'int8', '1+', { default: 3 }),
    f('principalFilter', 'string', '0+', { nullable: '0+' }),
    f('hostFilter', 'string', '0+', { nullable: '0+' }),
    f('operation', 'int8', '0+'),
    f('permissionType', 'int8', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    f('resources', array([
      f('resourceType', 'int8', '0+'),
      f('resourceName', 'string', '0+'),
      f('patternType', 'int8', '1+', { default: 3 }),
      f('acls', array([
        f('principal', 'string', '0+'),
        f('host', 'string', '0+'),
        f('operation', 'int8', '0+'),
        f('permissionType', 'int8', '0+'),
      ]), '0+'),
    ]), '0+'),
  ],
});
