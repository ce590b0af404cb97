/**
 * FindCoordinator (API key 10), formerly GroupCoordinator. The coordinator of a group (key type
 * 0) or of a transactional id (key type 1, v1+) is the leader of the __consumer_offsets /
 * __transaction_state partition the key hashes to. v3 is flexible; v4 looks up several keys at
 * once (KIP-699), each with its own error; v5 and v6 only add answers (TRANSACTION_ABORTABLE,
 * share groups). While that partition has no leader the answer is COORDINATOR_NOT_AVAILABLE.
 */
import { api, array, f } from '../schema.js';

export const FindCoordinator = api({
  key: 10,
  name: 'FindCoordinator',
  versions: '0-6',
  flexible: '3+',
  request: [
    f('key', 'string', '0-3'),
    f('keyType', 'int8', '1+', { default: 0 }),
    f('coordinatorKeys', array('string'), '4+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0-3'),
    f('errorMessage', 'string', '1-3', { nullable: '1-3' }),
    f('nodeId', 'int32', '0-3'),
    f('host', 'string', '0-3'),
    f('port', 'int32', '0-3'),
    f('coordinators', array([
      f('key', 'string', '4+'),
      f('nodeId', 'int32', '4+'),
      f('host', 'string', '4+'),
      f('port', 'int32', '4+'),
      f('errorCode', 'int16', '4+'),
      f('errorMessage', 'string', '4+', { nullable: '4+' }),
    ]), '4+'),
  ],
});
