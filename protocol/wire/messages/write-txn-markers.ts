/**
 * WriteTxnMarkers (API key 27): commit or abort markers for a producer's transaction, written to
 * partitions this broker leads. Transaction coordinators send it; so does an admin client's
 * abortTransaction (kafka-transactions.sh abort) to end a hanging transaction by hand. v1 is
 * flexible.
 */
import { api, array, f } from '../schema.js';

export const WriteTxnMarkers = api({
  key: 27,
  name: 'WriteTxnMarkers',
  versions: '0-1',
  flexible: '1+',
  request: [
    f('markers', array([
      f('producerId', 'int64', '0+'),
      f('producerEpoch', 'int16', '0+'),
      f('transactionResult', 'bool', '0+'),
      f('topics', array([
        f('name', 'string', '0+'),
        f('partitionIndexes', array('int32'), '0+'),
      ]), '0+'),
      f('coordinatorEpoch', 'int32', '0+'),
    ]), '0+'),
  ],
  response: [
    f('markers', array([
      f('producerId', 'int64', '0+'),
      f('topics', array([
        f('name', 'string', '0+'),
        f('partitions', array([
          f('partitionIndex', 'int32', '0+'),
          f('errorCode', 'int16', '0+'),
        ]), '0+'),
      ]), '0+'),
    ]), '0+'),
  ],
});
