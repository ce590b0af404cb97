/**
 * DeleteGroups (API key 42). Only an empty group can be deleted (NON_EMPTY_GROUP otherwise);
 * an unknown one is GROUP_ID_NOT_FOUND. Deleting a group deletes its committed offsets. v2 is
 * flexible.
 */
import { api, array, f } from '../schema.js';

export const DeleteGroups = api({
  key: 42,
  name: 'DeleteGroups',
  versions: '0-2',
  flexible: '2+',
  request: [f('groupsNames', array('string'), '0+')],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('results', array([
      f('groupId', 'string', '0+'),
      f('errorCode', 'int16', '0+'),
    ]), '0+'),
  ],
});
