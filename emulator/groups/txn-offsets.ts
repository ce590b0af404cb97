/**
 * The group coordinator's side of transactional offset commits (KIP-98, Kafka's
 * `GroupCoordinator.handleTxnCommitOffsets` and `GroupMetadataManager.handleTxnCompletion`): a
 * TxnOffsetCommit is checked against the group as an OffsetCommit is, except that a commit
 * without member id and generation is taken while the group has members (a producer outside the
 * group, as kafkajs's `sendOffsets` sends it); the offsets are held by the transaction and become
 * the group's committed offsets when its COMMIT marker reaches the group's `__consumer_offsets`
 * partition, or are dropped on ABORT.
 */
import { failure, NONE, type ErrorPart, type Failure } from '../../protocol/errors.js';
import { groupGoingAway, validateCurrentMember } from './membership.js';
import { route } from './placement.js';
import { answer, type CoordinatorResult, type GroupRecord, type GroupShard } from './shard.js';

/** The group fields of a TxnOffsetCommit (v3+); generation -1 and member id '' when the request has none. */
export interface TxnOffsetCommitMember {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** One offset a transaction commits for a group. */
export interface TxnCommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly metadata: string | null;
}

/** TxnOffsetCommit goes to the group's coordinator: NOT_COORDINATOR and the like, as OffsetCommit gets them. */
export function routeTxnOffsetCommit(shard: GroupShard, groupId: string, broker: number | undefined): Failure | undefined {
  return route(shard, groupId, broker, 'TxnOffsetCommit');
}

/**
 * The group's checks of a TxnOffsetCommit (Kafka's `validateOffsetCommit` with `isTransactional`):
 * a Dead group is going away; a request naming a member or a generation must match the current
 * ones; otherwise it is taken whatever the group's state. An unknown group is created empty to
 * hold the offsets, as Kafka does.
 */
export function checkTxnOffsetCommit(shard: GroupShard, member: TxnOffsetCommitMember): CoordinatorResult<ErrorPart> {
  const { groupId, generationId, memberId, groupInstanceId } = member;
  const group = shard.getGroup(groupId) ?? shard.createGroup(groupId);
  if (group.is('Dead')) return answer(groupGoingAway(groupId));
  if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
    const invalid = validateCurrentMember(group, memberId, groupInstanceId);
    if (invalid !== undefined) return answer(invalid);
    if (generationId !== group.generationId) {
      const why = `Member ${memberId} of group ${groupId} committed transactional offsets with generation ${generationId}, but the group is at generation ${group.generationId}`;
      return answer(failure('ILLEGAL_GENERATION', why));
    }
  }
  return answer({ errorCode: NONE, errorMessage: null });
}

/**
 * The transaction's marker reached the group's partition: on commit the held offsets become the
 * group's committed offsets (offsets of partitions whose topic is gone are dropped, as Kafka's
 * deleted-topic cleanup drops them); on abort nothing changes.
 */
export function completeTxnOffsets(
  shard: GroupShard,
  groupId: string,
  producerId: number,
  offsets: readonly TxnCommittedOffset[],
  commit: boolean,
): CoordinatorResult<void> {
  const entry = shard.entries.get(groupId);
  if (!commit || entry === undefined || offsets.length === 0) return answer(undefined);
  const commitTimestamp = shard.now();
  const records: GroupRecord[] = [];
  const stored: { topic: string; partition: number; offset: number }[] = [];
  for (const o of offsets) {
    const count = shard.port.partitionCount(o.topic);
    if (count === undefined || o.partition >= count) continue;
    records.push({ type: 'offset-commit', groupId, topic: o.topic, partition: o.partition, value: { offset: o.offset, metadata: o.metadata, commitTimestamp } });
    stored.push({ topic: o.topic, partition: o.partition, offset: o.offset });
  }
  if (records.length === 0) return answer(undefined);
  return {
    response: undefined,
    records,
    event: { type: 'group-offsets-committed', groupId, generationId: -1, memberId: '', producerId, offsets: stored },
  };
}
