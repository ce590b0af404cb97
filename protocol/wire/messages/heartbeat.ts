/**
 * Heartbeat (API key 12). Keeps a member in its generation; the answer REBALANCE_IN_PROGRESS
 * tells it to rejoin, ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID that it has been fenced out. v3 adds
 * static membership, v4 is flexible.
 */
import { api, f } from '../schema.js';

export const Heartbeat = api({
  key: 12,
  name: 'Heartbeat',
  versions: '0-4',
  flexible: '4+',
  request: [
    f('groupId', 'string', '0+'),
    f('generationId', 'int32', '0+'),
    f('memberId', 'string', '0+'),
    f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0+'),
  ],
});
