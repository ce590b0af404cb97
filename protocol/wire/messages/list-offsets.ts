/**
 * ListOffsets (API key 2), formerly Offsets. Timestamp -1 asks for the log end offset (the high
 * watermark, or the last stable offset under read_committed from v2), -2 for the log start
 * offset, -3 (v7+) for the offset of the largest timestamp; any other timestamp for the first
 * offset whose timestamp is at least it. v0 answers a list of offsets (oldStyleOffsets), v1+ one
 * offset and its timestamp; v4 adds leader epochs for fencing.
 */
import { api, array, f } from '../schema.js';

export const ListOffsets = api({
  key: 2,
  name: 'ListOffsets',
  versions: '0-9',
  flexible: '6+',
  request: [
    f('replicaId', 'int32', '0+'),
    f('isolationLevel', 'int8', '2+'),
    f('topics', array([
      f('name', 'string', '0+'),
      f('partitions', array([
        f('partitionIndex', 'int32', '0+'),
        f('currentLeaderEpoch', 'int32', '4+', { default: -1 }),
        f('timestamp', 'int64', '0+'),
        f('maxNumOffsets', 'int32', '0', { default: 1 }),
      ]), '0+'),
    ]), '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    f('topics', array([
      f('name', 'string', '0+'),
      f('partitions', array([
        f('partitionIndex', 'int32', '0+'),
        f('errorCode', 'int16', '0+'),
        f('oldStyleOffsets', array('int64'), '0'),
        f('timestamp', 'int64', '1+', { default: -1 }),
        f('offset', 'int64', '1+', { default: -1 }),
        f('leaderEpoch', 'int32', '4+', { default: -1 }),
      ]), '0+'),
    ]), '0+'),
  ],
});
