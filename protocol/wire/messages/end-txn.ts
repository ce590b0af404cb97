/**
 * EndTxn (API key 26). Commits or aborts a transaction: the coordinator writes the decision to
 * __transaction_state, then a commit or abort control batch to every partition of the
 * transaction, which moves their last stable offsets. A producer with a stale epoch is fenced.
 * v3 is flexible, v4 may answer TRANSACTION_ABORTABLE (KIP-890).
 */
import { api, f } from '../schema.js';

export const EndTxn = api({
  key: 26,
  name: 'EndTxn',
  versions: '0-4',
  flexible: '3+',
  request: [
    f('transactionalId', 'string', '0+'),
    f('producerId', 'int64', '0+'),
    f('producerEpoch', 'int16', '0+'),
    f('committed', 'bool', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '0+'),
  ],
});
