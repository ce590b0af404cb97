/**
 * ListPartitionReassignments (API key 46), flexible from v0 (KIP-455). The reassignments in
 * progress, with the replicas being added and removed; a null topic list asks for all of them.
 */
import { api, array, f } from '../schema.js';

export const ListPartitionReassignments = api({
  key: 46,
  name: 'ListPartitionReassignments',
  versions: '0',
  flexible: '0+',
  request: [
    f('timeoutMs', 'int32', '0+', { default: 60000 }),
    f('topics', array([
      f('name', 'string', '0+'),
      f('partitionIndexes', array('int32'), '0+'),
    ]), '0+', { nullable: '0+', default: null }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    f('topics', array([
      f('name', 'string', '0+'),
      f('partitions', array([
        f('partitionIndex', 'int32', '0+'),
        f('replicas', array('int32'), '0+'),
        f('addingReplicas', array('int32'), '0+'),
        f('removingReplicas', array('int32'), '0+'),
      ]), '0+'),
    ]), '0+'),
  ],
});
