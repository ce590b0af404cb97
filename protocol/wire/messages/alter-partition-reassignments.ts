/**
 * AlterPartitionReassignments (API key 45), flexible from v0 (KIP-455). Moves partitions to new
 * replica sets: the new replicas catch up, join the ISR, then the old ones are removed. A null
 * replica list cancels a reassignment in progress.
 */
import { api, array, f } from '../schema.js';

export const AlterPartitionReassignments = api({
  key: 45,
  name: 'AlterPartitionReassignments',
  versions: '0',
  flexible: '0+',
  request: [
    f('timeoutMs', 'int32', '0+', { default: 60000 }),
    f('topics', array([
      f('name', 'string', '0+'),
      f('partitions', array([
        f('partitionIndex', 'int32', '0+'),
        f('replicas', array('int32'), '0+', { nullable: '0+', default: null }),
      ]), '0+'),
    ]), '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    f('responses', array([
      f('name', 'string', '0+'),
      f('partitions', array([
        f('partitionIndex', 'int32', '0+'),
        f('errorCode', 'int16', '0+'),
        f('errorMessage', 'string', '0+', { nullable: '0+' }),
      ]), '0+'),
    ]), '0+'),
  ],
});
