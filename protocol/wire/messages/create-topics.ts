/**
 * CreateTopics (API key 19). Sent to the controller. A topic gives either a partition count and
 * replication factor (-1 for the broker's defaults, v4+) or explicit replica assignments. v1 adds
 * validateOnly and error messages, v5 is flexible and answers the topic's resulting configs and
 * counts, v7 its topic id. TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR (more replicas than
 * brokers) and INVALID_PARTITIONS are per topic.
 */
import { api, array, f } from '../schema.js';

export const CreateTopics = api({
  key: 19,
  name: 'CreateTopics',
  versions: '0-7',
  flexible: '5+',
  request: [
    f('topics', array([
      f('name', 'string', '0+'),
      f('numPartitions', 'int32', '0+'),
      f('replicationFactor', 'int16', '0+'),
      f('assignments', array([
        f('partitionIndex', 'int32', '0+'),
        f('brokerIds', array('int32'), '0+'),
      ]), '0+'),
      f('configs', array([
        f('name', 'string', '0+'),
        f('value', 'string', '0+', { nullable: '0+' }),
      ]), '0+'),
    ]), '0+'),
    f('timeoutMs', 'int32', '0+', { default: 60000 }),
    f('validateOnly', 'bool', '1+', { default: false }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    f('topics', array([
      f('name', 'string', '0+'),
      f('topicId', 'uuid', '7+'),
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '1+', { nullable: '0+' }),
      f('topicConfigErrorCode', 'int16', '5+', { tag: 0, tagged: '5+' }),
      f('numPartitions', 'int32', '5+', { default: -1 }),
      f('replicationFactor', 'int16', '5+', { default: -1 }),
      f('configs', array([
        f('name', 'string', '5+'),
        f('value', 'string', '5+', { nullable: '5+' }),
        f('readOnly', 'bool', '5+'),
        f('configSource', 'int8', '5+', { default: -1 }),
        f('isSensitive', 'bool', '5+'),
      ]), '5+', { nullable: '5+' }),
    ]), '0+'),
  ],
});
