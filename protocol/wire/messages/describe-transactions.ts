/**
 * DescribeTransactions (API key 65, KIP-664): the state of each transactional id as its
 * transaction coordinator holds it, with the partitions of a transaction under way (while one
 * prepares to commit or abort, only those still without a marker). Sent to each id's coordinator;
 * flexible from v0.
 */
import { api, array, f } from '../schema.js';

export const DescribeTransactions = api({
  key: 65,
  name: 'DescribeTransactions',
  versions: '0',
  flexible: '0+',
  request: [f('transactionalIds', array('string'), '0+')],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('transactionStates', array([
      f('errorCode', 'int16', '0+'),
      f('transactionalId', 'string', '0+'),
      f('transactionState', 'string', '0+'),
      f('transactionTimeoutMs', 'int32', '0+'),
      f('transactionStartTimeMs', 'int64', '0+'),
      f('producerId', 'int64', '0+'),
      f('producerEpoch', 'int16', '0+'),
      f('topics', array([
        f('topic', 'string', '0+'),
        f('partitions', array('int32'), '0+'),
      ]), '0+'),
    ]), '0+'),
  ],
});
