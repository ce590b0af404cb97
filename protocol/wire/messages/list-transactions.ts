/**
 * ListTransactions (API key 66, KIP-664): the transactional ids one broker coordinates, filtered
 * by state and producer id; v1 adds a duration filter (KIP-994: only transactions running longer
 * than it). Admin clients send it to every broker. Flexible from v0.
 */
import { api, array, f } from '../schema.js';

export const ListTransactions = api({
  key: 66,
  name: 'ListTransactions',
  versions: '0-1',
  flexible: '0+',
  request: [
    f('stateFilters', array('string'), '0+'),
    f('producerIdFilters', array('int64'), '0+'),
    f('durationFilter', 'int64', '1+', { default: -1 }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '0+'),
    f('unknownStateFilters', array('string'), '0+'),
    f('transactionStates', array([
      f('transactionalId', 'string', '0+'),
      f('producerId', 'int64', '0+'),
      f('transactionState', 'string', '0+'),
    ]), '0+'),
  ],
});
