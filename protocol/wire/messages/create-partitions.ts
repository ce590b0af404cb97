/**
 * CreatePartitions (API key 37). Raises a topic's partition count to `count` (never lowers it:
 * INVALID_PARTITIONS), optionally with the new partitions' replica assignments. v2 is flexible.
 */
import { api, array, f } from '../schema.js';

export const CreatePartitions = api({
  key: 37,
  name: 'CreatePartitions',
  versions: '0-3',
  flexible: '2+',
  request: [
    f('topics', array([
      f('name', 'string', '0+'),
      f('count', 'int32', '0+'),
      f('assignments', array([
        f('brokerIds', array('int32'), '0+'),
      ]), '0+', { nullable: '0+' }),
    ]), '0+'),
    f('timeoutMs', 'int32', '0+'),
    f('validateOnly', 'bool', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('results', array([
      f('name', 'string', '0+'),
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
    ]), '0+'),
  ],
});
