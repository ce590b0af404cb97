/**
 * DeleteRecords (API key 21). Moves a partition's log start offset up to the given offset (-1:
 * the high watermark), on its leader; the answer is the new low watermark.
 * OFFSET_OUT_OF_RANGE if the offset is beyond the high watermark. v2 is flexible.
 */
import { api, array, f } from '../schema.js';

export const DeleteRecords = api({
  key: 21,
  name: 'DeleteRecords',
  versions: '0-2',
  flexible: '2+',
  request: [
    f('topics', array([
      f('name', 'string', '0+'),
      f('partitions', array([
        f('partitionIndex', 'int32', '0+'),
        f('offset', 'int64', '0+'),
      ]), '0+'),
    ]), '0+'),
    f('timeoutMs', 'int32', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('topics', array([
      f('name', 'string', '0+'),
      f('partitions', array([
        f('partitionIndex', 'int32', '0+'),
        f('lowWatermark', 'int64', '0+'),
        f('errorCode', 'int16', '0+'),
      ]), '0+'),
    ]), '0+'),
  ],
});
