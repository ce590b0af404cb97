/**
 * OffsetCommit (API key 8). v1 adds the generation and member id (a commit from a stale
 * generation is ILLEGAL_GENERATION, from an unknown member UNKNOWN_MEMBER_ID) and a per-partition
 * commit timestamp (v1 only); v2–v4 carry a retention time instead; v5 drops it (the broker's
 * offsets.retention.minutes applies), v6 adds leader epochs, v7 static membership, v8 is
 * flexible, v9 is for the new consumer protocol (KIP-848: the member epoch in place of the
 * generation). A group id with no generation (-1) commits as a simple, unmanaged consumer.
 */
import { api, array, f } from '../schema.js';

export const OffsetCommit = api({
  key: 8,
  name: 'OffsetCommit',
  versions: '0-9',
  flexible: '8+',
  request: [
    f('groupId', 'string', '0+'),
    f('generationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
    f('memberId', 'string', '1+'),
    f('groupInstanceId', 'string', '7+', { nullable: '7+', default: null }),
    f('retentionTimeMs', 'int64', '2-4', { default: -1 }),
    f('topics', array([
      f('name', 'string', '0+'),
      f('partitions', array([
        f('partitionIndex', 'int32', '0+'),
        f('committedOffset', 'int64', '0+'),
        f('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
        f('commitTimestamp', 'int64', '1', { default: -1 }),
        f('committedMetadata', 'string', '0+', { nullable: '0+' }),
      ]), '0+'),
    ]), '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '3+'),
    f('topics', array([
      f('name', 'string', '0+'),
      f('partitions', array([
        f('partitionIndex', 'int32', '0+'),
        f('errorCode', 'int16', '0+'),
      ]), '0+'),
    ]), '0+'),
  ],
});
