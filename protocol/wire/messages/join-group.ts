/**
 * JoinGroup (API key 11). v1 adds the rebalance timeout (v0 uses the session timeout for both),
 * v4 makes a member without an id join twice: the first answer is MEMBER_ID_REQUIRED with the id
 * it must use (KIP-394), v5 adds static membership (group.instance.id), v6 is flexible, v7
 * returns the protocol type, v8 a reason, v9 skipAssignment for a leader whose assignment the
 * broker computes. Only the leader's answer lists the members and their metadata.
 */
import { api, array, f } from '../schema.js';

export const JoinGroup = api({
  key: 11,
  name: 'JoinGroup',
  versions: '0-9',
  flexible: '6+',
  request: [
    f('groupId', 'string', '0+'),
    f('sessionTimeoutMs', 'int32', '0+'),
    f('rebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
    f('memberId', 'string', '0+'),
    f('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
    f('protocolType', 'string', '0+'),
    f('protocols', array([
      f('name', 'string', '0+'),
      f('metadata', 'bytes', '0+'),
    ]), '0+'),
    f('reason', 'string', '8+', { nullable: '8+', default: null }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    f('errorCode', 'int16', '0+'),
    f('generationId', 'int32', '0+', { default: -1 }),
    f('protocolType', 'string', '7+', { nullable: '7+', default: null }),
    f('protocolName', 'string', '0+', { nullable: '7+' }),
    f('leader', 'string', '0+'),
    f('skipAssignment', 'bool', '9+', { default: false }),
    f('memberId', 'string', '0+'),
    f('members', array([
      f('memberId', 'string', '0+'),
      f('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
      f('metadata', 'bytes', '0+'),
    ]), '0+'),
  ],
});
