/**
 * ListGroups (API key 16). Every group the broker coordinates; v3 is flexible, v4 filters by
 * state and returns it (KIP-518), v5 filters by group type (classic, consumer) and returns it.
 */
import { api, array, f } from '../schema.js';

export const ListGroups = api({
  key: 16,
  name: 'ListGroups',
  versions: '0-5',
  flexible: '3+',
  request: [
    f('statesFilter', array('string'), '4+'),
    f('typesFilter', array('string'), '5+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0+'),
    f('groups', array([
      f('groupId', 'string', '0+'),
      f('protocolType', 'string', '0+'),
      f('groupState', 'string', '4+'),
      f('groupType', 'string', '5+'),
    ]), '0+'),
  ],
});
