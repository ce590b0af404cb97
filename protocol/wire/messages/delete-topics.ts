/**
 * DeleteTopics (API key 20). Sent to the controller. Up to v5 topics are named; v6 names them by
 * name or by topic id (KIP-516). v1 adds throttling, v4 is flexible, v5 adds error messages.
 * Deleting an unknown topic is UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID by id).
 */
import { api, array, f } from '../schema.js';

export const DeleteTopics = api({
  key: 20,
  name: 'DeleteTopics',
  versions: '0-6',
  flexible: '4+',
  request: [
    f('topics', array([
      f('name', 'string', '6+', { nullable: '6+', default: null }),
      f('topicId', 'uuid', '6+'),
    ]), '6+'),
    f('topicNames', array('string'), '0-5'),
    f('timeoutMs', 'int32', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('responses', array([
      f('name', 'string', '0+', { nullable: '6+' }),
      f('topicId', 'uuid', '6+'),
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '5+', { nullable: '5+', default: null }),
    ]), '0+'),
  ],
});
