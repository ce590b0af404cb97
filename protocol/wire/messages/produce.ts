/**
 * Produce (API key 0). Versions 0–2 carry message sets (magic 0/1) and 3+ record batches (magic
 * 2); v3 adds the transactional id, v7 allows zstd, v8 adds per-batch record errors, v9 is the
 * first flexible version, v10 adds the new leader (KIP-951) to NOT_LEADER_OR_FOLLOWER answers.
 * With acks = 0 the broker sends no response at all. Errors are per partition; a request-level
 * failure (authorization of a transactional id) is reported on every partition.
 */
import { api, array, f, struct } from '../schema.js';

export const Produce = api({
  key: 0,
  name: 'Produce',
  versions: '0-11',
  flexible: '9+',
  request: [
    f('transactionalId', 'string', '3+', { nullable: '3+', default: null }),
    f('acks', 'int16', '0+'),
    f('timeoutMs', 'int32', '0+'),
    f('topicData', array([
      f('name', 'string', '0+'),
      f('partitionData', array([
        f('index', 'int32', '0+'),
        f('records', 'records', '0+', { nullable: '0+' }),
      ]), '0+'),
    ]), '0+'),
  ],
  response: [
    f('responses', array([
      f('name', 'string', '0+'),
      f('partitionResponses', array([
        f('index', 'int32', '0+'),
        f('errorCode', 'int16', '0+'),
        f('baseOffset', 'int64', '0+'),
        f('logAppendTimeMs', 'int64', '2+', { default: -1 }),
        f('logStartOffset', 'int64', '5+', { default: -1 }),
        f('recordErrors', array([
          f('batchIndex', 'int32', '8+'),
          f('batchIndexErrorMessage', 'string', '8+', { nullable: '8+', default: null }),
        ]), '8+'),
        f('errorMessage', 'string', '8+', { nullable: '8+', default: null }),
        f('currentLeader', struct([
          f('leaderId', 'int32', '10+', { default: -1 }),
          f('leaderEpoch', 'int32', '10+', { default: -1 }),
        ]), '10+', { tag: 0, tagged: '10+' }),
      ]), '0+'),
    ]), '0+'),
    f('throttleTimeMs', 'int32', '1+', { default: 0 }),
    f('nodeEndpoints', array([
      f('nodeId', 'int32', '10+'),
      f('host', 'string', '10+'),
      f('port', 'int32', '10+'),
      f('rack', 'string', '10+', { nullable: '10+', default: null }),
    ]), '10+', { tag: 0, tagged: '10+' }),
  ],
});
