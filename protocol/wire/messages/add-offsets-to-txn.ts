/**
 * AddOffsetsToTxn (API key 25). A transactional producer tells its transaction coordinator that
 * the transaction will commit offsets for a consumer group (sendOffsetsToTransaction); the
 * offsets themselves follow in TxnOffsetCommit to the group coordinator. v3 is flexible.
 */
import { api, f } from '../schema.js';

export const AddOffsetsToTxn = api({
  key: 25,
  name: 'AddOffsetsToTxn',
  versions: '0-4',
  flexible: '3+',
  request: [
    f('transactionalId', 'string', '0+'),
    f('producerId', 'int64', '0+'),
    f('producerEpoch', 'int16', '0+'),
    f('groupId', 'string', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '0+'),
  ],
});
