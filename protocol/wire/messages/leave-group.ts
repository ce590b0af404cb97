/**
 * LeaveGroup (API key 13). Up to v2 one member leaves; from v3 a batch of members, by member id
 * or by group.instance.id (KIP-345), each with its own error. v4 is flexible, v5 adds a reason.
 * The group rebalances without the members that left.
 */
import { api, array, f } from '../schema.js';

export const LeaveGroup = api({
  key: 13,
  name: 'LeaveGroup',
  versions: '0-5',
  flexible: '4+',
  request: [
    f('groupId', 'string', '0+'),
    f('memberId', 'string', '0-2'),
    f('members', array([
      f('memberId', 'string', '3+'),
      f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
      f('reason', 'string', '5+', { nullable: '5+', default: null }),
    ]), '3+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0+'),
    f('members', array([
      f('memberId', 'string', '3+'),
      f('groupInstanceId', 'string', '3+', { nullable: '3+' }),
      f('errorCode', 'int16', '3+'),
    ]), '3+'),
  ],
});
