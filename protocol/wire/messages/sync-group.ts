/**
 * SyncGroup (API key 14). The leader sends every member's assignment, the followers send none;
 * each gets its own back once the leader's has arrived. v3 adds static membership, v4 is
 * flexible, v5 the protocol type and name (INCONSISTENT_GROUP_PROTOCOL when they do not match the
 * group's).
 */
import { api, array, f } from '../schema.js';

export const SyncGroup = api({
  key: 14,
  name: 'SyncGroup',
  versions: '0-5',
  flexible: '4+',
  request: [
    f('groupId', 'string', '0+'),
    f('generationId', 'int32', '0+'),
    f('memberId', 'string', '0+'),
    f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
    f('protocolType', 'string', '5+', { nullable: '5+', default: null }),
    f('protocolName', 'string', '5+', { nullable: '5+', default: null }),
    f('assignments', array([
      f('memberId', 'string', '0+'),
      f('assignment', 'bytes', '0+'),
    ]), '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0+'),
    f('protocolType', 'string', '5+', { nullable: '5+', default: null }),
    f('protocolName', 'string', '5+', { nullable: '5+', default: null }),
    f('assignment', 'bytes', '0+'),
  ],
});
