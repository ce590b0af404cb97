/**
 * DescribeGroups (API key 15). State is one of Empty, PreparingRebalance, CompletingRebalance,
 * Stable, Dead; protocolData names the chosen assignor. Member metadata and assignment are the
 * consumer protocol's bytes, empty while a rebalance is in progress. v3 adds authorized
 * operations, v4 static membership, v5 is flexible. An unknown group is answered as Dead with no
 * error.
 */
import { api, array, f } from '../schema.js';

export const DescribeGroups = api({
  key: 15,
  name: 'DescribeGroups',
  versions: '0-5',
  flexible: '5+',
  request: [
    f('groups', array('string'), '0+'),
    f('includeAuthorizedOperations', 'bool', '3+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('groups', array([
      f('errorCode', 'int16', '0+'),
      f('groupId', 'string', '0+'),
      f('groupState', 'string', '0+'),
      f('protocolType', 'string', '0+'),
      f('protocolData', 'string', '0+'),
      f('members', array([
        f('memberId', 'string', '0+'),
        f('groupInstanceId', 'string', '4+', { nullable: '4+', default: null }),
        f('clientId', 'string', '0+'),
        f('clientHost', 'string', '0+'),
        f('memberMetadata', 'bytes', '0+'),
        f('memberAssignment', 'bytes', '0+'),
      ]), '0+'),
      f('authorizedOperations', 'int32', '3+', { default: -2147483648 }),
    ]), '0+'),
  ],
});
