/**
 * Metadata (API key 3). In v0 an empty topic list asks for all topics; from v1 a null list asks
 * for all topics and an empty one for none. v4 lets the client refuse auto-creation, v7 adds
 * leader epochs, v8 authorized operations, v9 is flexible, v10 adds topic ids (and request topic
 * names become nullable), v12 makes response topic names nullable. Brokers answer the topics they
 * know; an unknown topic is UNKNOWN_TOPIC_OR_PARTITION, or LEADER_NOT_AVAILABLE while it is being
 * auto-created.
 */
import { api, array, f } from '../schema.js';

export const Metadata = api({
  key: 3,
  name: 'Metadata',
  versions: '0-12',
  flexible: '9+',
  request: [
    f('topics', array([
      f('topicId', 'uuid', '10+'),
      f('name', 'string', '0+', { nullable: '10+' }),
    ]), '0+', { nullable: '1+' }),
    f('allowAutoTopicCreation', 'bool', '4+', { default: true }),
    f('includeClusterAuthorizedOperations', 'bool', '8-10'),
    f('includeTopicAuthorizedOperations', 'bool', '8+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '3+'),
    f('brokers', array([
      f('nodeId', 'int32', '0+'),
      f('host', 'string', '0+'),
      f('port', 'int32', '0+'),
      f('rack', 'string', '1+', { nullable: '1+', default: null }),
    ]), '0+'),
    f('clusterId', 'string', '2+', { nullable: '2+', default: null }),
    f('controllerId', 'int32', '1+', { default: -1 }),
    f('topics', array([
      f('errorCode', 'int16', '0+'),
      f('name', 'string', '0+', { nullable: '12+' }),
      f('topicId', 'uuid', '10+'),
      f('isInternal', 'bool', '1+', { default: false }),
      f('partitions', array([
        f('errorCode', 'int16', '0+'),
        f('partitionIndex', 'int32', '0+'),
        f('leaderId', 'int32', '0+'),
        f('leaderEpoch', 'int32', '7+', { default: -1 }),
        f('replicaNodes', array('int32'), '0+'),
        f('isrNodes', array('int32'), '0+'),
        f('offlineReplicas', array('int32'), '5+'),
      ]), '0+'),
      f('topicAuthorizedOperations', 'int32', '8+', { default: -2147483648 }),
    ]), '0+'),
    f('clusterAuthorizedOperations', 'int32', '8-10', { default: -2147483648 }),
  ],
});
