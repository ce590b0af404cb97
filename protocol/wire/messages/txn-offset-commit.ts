/**
 * TxnOffsetCommit (API key 28). A transactional producer's offset commit for a consumer group,
 * to the group coordinator; the offsets become visible when the transaction commits. v2 adds
 * leader epochs, v3 is flexible and adds the consumer's generation and member (KIP-447), so a
 * zombie's commit is fenced like an OffsetCommit.
 */
import { api, array, f } from '../schema.js';

export const TxnOffsetCommit = api({
  key: 28,
  name: 'TxnOffsetCommit',
  versions: '0-4',
  flexible: '3+',
  request: [
    f('transactionalId', 'string', '0+'),
    f('groupId', 'string', '0+'),
    f('producerId', 'int64', '0+'),
    f('producerEpoch', 'int16', '0+'),
    f('generationId', 'int32', '3+', { default: -1 }),
    f('memberId', 'string', '3+', { default: '' }),
    f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
    f('topics', array([
      f('name', 'string', '0+'),
      f('partitions', array([
        f('partitionIndex', 'int32', '0+'),
        f('committedOffset', 'int64', '0+'),
        f('committedLeaderEpoch', 'int32', '2+', { default: -1 }),
        f('committedMetadata', 'string', '0+', { nullable: '0+' }),
      ]), '0+'),
    ]), '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('topics', array([
      f('name', 'string', '0+'),
      f('partitions', array([
        f('partitionIndex', 'int32', '0+'),
        f('errorCode', 'int16', '0+'),
      ]), '0+'),
    ]), '0+'),
  ],
});
