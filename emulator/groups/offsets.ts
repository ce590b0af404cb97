/**
 * Committed offsets: OffsetCommit, OffsetFetch and OffsetDelete as Kafka 3.9 answers them (with a
 * code per partition), the periodic expiration of offsets (`offsets.retention.ms`), offsets of a
 * deleted topic, and the administrator's set/reset (a commit with generation -1 and no member id).
 * Every change is a record, applied through the shard.
 */
import { failure, NONE, unreachable, type Failure } from '../../protocol/errors.js';
import { decodeAssignment } from '../../protocol/consumer-protocol.js';
import { assertNever, type ClassicGroup } from './group.js';
import { groupGoingAway, scheduleHeartbeat, validateCurrentMember } from './membership.js';
import {
  byTopic,
  OK,
  type DeleteOffsetsAnswer,
  type DeleteOffsetsRequest,
  type LagAnswer,
  type OffsetCommitAnswer,
  type OffsetCommitRequest,
  type OffsetFetchAnswer,
  type OffsetFetchPartitionAnswer,
  type PartitionAnswer,
  type OffsetFetchRequest,
  type ResetOffsetsRequest,
  type SetOffsetsRequest,
} from './messages.js';
import { route } from './placement.js';
import { answer, type CommittedOffset, type CoordinatorResult, type GroupEntry, type GroupRecord, type GroupShard } from './shard.js';
import { RETENTION_KEY } from './timer.js';

/** Kafka's `offset.metadata.max.bytes` default: longest metadata string an offset commit may carry. */
export const OFFSET_METADATA_MAX_SIZE = 4096;
/** Kafka's `offsets.retention.check.interval.ms` default: how often expired offsets are removed. */
export const OFFSETS_RETENTION_CHECK_INTERVAL_MS = 600000;

type Outcome = PartitionAnswer & { readonly topic: string };

/**
 * OffsetCommit. A member commits with its generation and member id; `generationId` -1 with an
 * empty member id is a standalone commit, accepted only while the group is Empty (or does not
 * exist yet). As Kafka 3.9, the answer has a code per partition: partitions of unknown topics are
 * UNKNOWN_TOPIC_OR_PARTITION (the broker answers those itself, first, without the coordinator);
 * the group's verdict (a stale generation is ILLEGAL_GENERATION, an unknown member
 * UNKNOWN_MEMBER_ID, a commit while the group awaits its assignment REBALANCE_IN_PROGRESS,
 * a misrouted request NOT_COORDINATOR) goes to every other partition; with none, each is committed
 * unless its metadata is over 4096 characters (OFFSET_METADATA_TOO_LARGE).
 */
export function offsetCommit(shard: GroupShard, request: OffsetCommitRequest, adminReset = false): CoordinatorResult<OffsetCommitAnswer> {
  const { groupId } = request;
  const generationId = request.generationId ?? -1;
  const memberId = request.memberId ?? '';
  const groupInstanceId = request.groupInstanceId ?? null;
  const misrouted = route(shard, groupId, request.broker, 'OffsetCommit');
  if (misrouted !== undefined && 'broker' in misrouted) return answer({ ...misrouted, topics: [] });
  if (!Array.isArray(request.topics))
    return answer({ ...failure('INVALID_REQUEST', 'OffsetCommit needs topics as [{ topic, partitions: [{ partition, offset }] }]'), topics: [] });
  const unknown: Outcome[] = [];
  const known: { topic: string; partition: number; offset: number; metadata: string | null }[] = [];
  for (const t of request.topics) {
    const count = shard.port.partitionCount(t.topic) ?? 0;
    for (const p of t.partitions) {
      if (!Number.isSafeInteger(p.offset)) {
        return answer({ ...failure('INVALID_REQUEST', `The offset for ${t.topic}-${p.partition} must be an integer, got ${String(p.offset)}`), topics: [] });
      }
      if (!Number.isInteger(p.partition) || p.partition < 0 || p.partition >= count) {
        const why = failure('UNKNOWN_TOPIC_OR_PARTITION', `Cannot commit an offset for ${t.topic}-${String(p.partition)}: no such topic-partition`);
        unknown.push({ topic: t.topic, partition: p.partition, ...why });
      } else {
        known.push({ topic: t.topic, partition: p.partition, offset: p.offset, metadata: p.metadata ?? null });
      }
    }
  }
  const respond = (outcomes: readonly Outcome[]): OffsetCommitAnswer => ({ ...OK, topics: byTopic([...unknown, ...outcomes]) });
  // With no partition left to commit Kafka answers without consulting the group (and so without creating one).
  if (known.length === 0) return answer(respond([]));
  const refuse = (error: Failure) => answer(respond(known.map((k) => ({ topic: k.topic, partition: k.partition, ...error }))));
  if (misrouted !== undefined) return refuse(misrouted);

  let group = shard.getGroup(groupId);
  if (group === undefined) {
    if (generationId >= 0) {
      return refuse(failure('ILLEGAL_GENERATION', `Group ${groupId} does not exist, so generation ${generationId} of member ${memberId} is not valid`));
    }
    // A group that does not use group management: Kafka creates a "simple" group to hold the offsets.
    group = shard.createGroup(groupId);
  }
  const invalid = validateOffsetCommit(group, generationId, memberId, groupInstanceId, adminReset);
  if (invalid !== undefined) return refuse(invalid);
  const state = group.currentState;
  switch (state) {
    case 'Empty':
      break;
    case 'Stable':
    case 'PreparingRebalance':
      // A commit proves the member alive; during PreparingRebalance it is still accepted, the
      // member learns of the rebalance from its next heartbeat.
      scheduleHeartbeat(shard, group, group.get(memberId));
      break;
    case 'CompletingRebalance':
      // The member has the new generation's JoinGroup response but not its assignment yet.
      return refuse(
        failure('REBALANCE_IN_PROGRESS', `Group ${groupId} is awaiting its assignment for generation ${group.generationId}; commit after SyncGroup`),
      );
    case 'Dead':
      throw new Error(`invariant: commit to Dead group ${groupId}`);
    default:
      assertNever(state, 'group state');
  }
  const commitTimestamp = shard.now();
  const outcomes: Outcome[] = [];
  const records: GroupRecord[] = [];
  const stored: { topic: string; partition: number; offset: number }[] = [];
  for (const k of known) {
    if (k.metadata !== null && k.metadata.length > OFFSET_METADATA_MAX_SIZE) {
      const why = `The metadata committed for ${k.topic}-${k.partition} is ${k.metadata.length} characters long, over offset.metadata.max.bytes=${OFFSET_METADATA_MAX_SIZE}`;
      outcomes.push({ topic: k.topic, partition: k.partition, ...failure('OFFSET_METADATA_TOO_LARGE', why) });
      continue;
    }
    records.push({
      type: 'offset-commit',
      groupId,
      topic: k.topic,
      partition: k.partition,
      value: { offset: k.offset, metadata: k.metadata, commitTimestamp },
    });
    stored.push({ topic: k.topic, partition: k.partition, offset: k.offset });
    outcomes.push({ topic: k.topic, partition: k.partition, errorCode: NONE });
  }
  if (stored.length === 0) return answer(respond(outcomes));
  const type = adminReset ? 'group-offsets-reset' : 'group-offsets-committed';
  return { response: respond(outcomes), records, event: { type, groupId, generationId, memberId, offsets: stored } };
}

function validateOffsetCommit(
  group: ClassicGroup,
  generationId: number,
  memberId: string,
  groupInstanceId: string | null,
  adminReset: boolean,
): Failure | undefined {
  if (group.is('Dead')) return groupGoingAway(group.groupId);
  // Generation -1 comes from the admin client or a consumer without group management: it may
  // commit while the group is empty.
  if (generationId < 0 && group.is('Empty')) return undefined;
  if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
    const invalid = validateCurrentMember(group, memberId, groupInstanceId);
    if (invalid !== undefined) return invalid;
    if (generationId !== group.generationId) {
      return failure(
        'ILLEGAL_GENERATION',
        `Member ${memberId} of group ${group.groupId} committed with generation ${generationId}, but the group is at generation ${group.generationId}`,
      );
    }
    return undefined;
  }
  // Without member id and generation, only an empty group takes commits.
  return failure(
    'UNKNOWN_MEMBER_ID',
    adminReset
      ? `Offsets of group ${group.groupId} can only be set while it has no members; it is ${group.currentState} with ${group.size} member(s)`
      : `Group ${group.groupId} is ${group.currentState} with ${group.size} member(s): only its members may commit (a commit without member id and generation needs an empty group)`,
  );
}

/**
 * OffsetFetch: the committed offset of each requested partition, -1 where none. Answers for any
 * group, existing or not, since a group may use Kafka only to store offsets.
 */
export function offsetFetch(shard: GroupShard, request: OffsetFetchRequest): OffsetFetchAnswer {
  const { groupId } = request;
  const misrouted = route(shard, groupId, request.broker, 'OffsetFetch');
  if (misrouted !== undefined) return { ...misrouted, topics: [] };
  const entry = shard.entries.get(groupId);
  if (entry?.group?.is('Dead')) return { ...failure('GROUP_ID_NOT_FOUND', `Group ${groupId} is being removed`), topics: [] };
  const offsets = entry?.offsets ?? new Map<string, Map<number, CommittedOffset>>();
  const read = (topic: string, partition: number): OffsetFetchPartitionAnswer => {
    if (request.requireStable === true && shard.port.hasPendingTxnOffsets?.(groupId, topic, partition) === true) {
      const why = `Group ${groupId} has a transactional offset commit for ${topic}-${partition} awaiting its transaction's marker`;
      return { partition, offset: -1, metadata: null, ...failure('UNSTABLE_OFFSET_COMMIT', why) };
    }
    const o = offsets.get(topic)?.get(partition);
    return { partition, offset: o?.offset ?? -1, metadata: o?.metadata ?? null, errorCode: NONE };
  };
  if (request.topics === undefined) {
    const topics = [...offsets.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([topic, byPartition]) => ({ topic, partitions: [...byPartition.keys()].sort((a, b) => a - b).map((p) => read(topic, p)) }));
    return { ...OK, topics };
  }
  const topics = [];
  for (const { topic, partitions } of request.topics) {
    const count = partitions === undefined ? shard.port.partitionCount(topic) : partitions.length;
    if (count === undefined) {
      // The twin's "every partition" of a topic that does not exist.
      return { ...failure('UNKNOWN_TOPIC_OR_PARTITION', `This server does not host this topic-partition: topic ${String(topic)} does not exist`), topics: [] };
    }
    const list = partitions ?? Array.from({ length: count }, (_, i) => i);
    topics.push({ topic, partitions: list.map((p) => read(topic, p)) });
  }
  return { ...OK, topics };
}

/**
 * OffsetDelete: removes committed offsets. GROUP_ID_NOT_FOUND for an unknown group. A group with
 * members keeps offsets of topics it subscribes to (GROUP_SUBSCRIBED_TO_TOPIC for those partitions,
 * the others are deleted); a non-consumer group with members is NON_EMPTY_GROUP.
 */
export function deleteOffsets(shard: GroupShard, request: DeleteOffsetsRequest): CoordinatorResult<DeleteOffsetsAnswer> {
  const { groupId } = request;
  const refuse = (error: Failure) => answer({ ...error, topics: [] });
  const misrouted = route(shard, groupId, request.broker, 'OffsetDelete');
  if (misrouted !== undefined) return refuse(misrouted);
  const group = shard.getGroup(groupId);
  if (group === undefined) return refuse(failure('GROUP_ID_NOT_FOUND', `Group ${groupId} does not exist`));
  const requested = request.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
  let kept: (tp: { topic: string; partition: number }) => Failure | undefined = () => undefined;
  const state = group.currentState;
  switch (state) {
    case 'Dead':
      return refuse(failure('GROUP_ID_NOT_FOUND', `Group ${groupId} is being removed`));
    case 'Empty':
      break;
    case 'PreparingRebalance':
    case 'CompletingRebalance':
    case 'Stable':
      if (!group.isConsumerGroup()) return refuse(failure('NON_EMPTY_GROUP', `Group ${groupId} has members; its offsets cannot be deleted`));
      kept = (tp) =>
        group.isSubscribedToTopic(tp.topic)
          ? failure(
              'GROUP_SUBSCRIBED_TO_TOPIC',
              `Group ${groupId} is subscribed to ${tp.topic}; the offset of ${tp.topic}-${tp.partition} cannot be deleted while it has members`,
            )
          : undefined;
      break;
    default:
      assertNever(state, 'group state');
  }
  const outcomes = requested.map((tp) => ({ ...tp, ...(kept(tp) ?? OK) }));
  const removal = removeOffsets(
    shard.entries.get(groupId)!,
    outcomes.filter((o) => o.errorCode === NONE),
    'offset-delete',
  );
  return { ...removal, response: { ...OK, topics: byTopic(outcomes) } };
}

/**
 * Sets a group's offsets for one topic as an administrator does (a commit with generation -1 and
 * no member id). Like Kafka, accepted only while the group is empty: with members it is
 * UNKNOWN_MEMBER_ID (kafkajs's admin.setOffsets refuses before asking the broker).
 */
export function setOffsets(shard: GroupShard, request: SetOffsetsRequest): CoordinatorResult<OffsetCommitAnswer> {
  return offsetCommit(
    shard,
    {
      groupId: request.groupId,
      generationId: -1,
      memberId: '',
      topics: [{ topic: request.topic, partitions: request.partitions.map((p) => ({ partition: p.partition, offset: p.offset })) }],
      ...(request.broker === undefined ? {} : { broker: request.broker }),
    },
    true,
  );
}

/**
 * Moves a group's offsets for every partition of a topic to the log start offset (`earliest`) or
 * the high watermark, as `kafka-consumer-groups --reset-offsets` does. Same rules as
 * {@link setOffsets}; each partition's offsets come from its leader, which must be reachable.
 */
export function resetOffsets(shard: GroupShard, request: ResetOffsetsRequest): CoordinatorResult<OffsetCommitAnswer> {
  const { topic } = request;
  const count = shard.port.partitionCount(topic);
  if (count === undefined) {
    return answer({
      ...failure('UNKNOWN_TOPIC_OR_PARTITION', `This server does not host this topic-partition: topic ${String(topic)} does not exist`),
      topics: [],
    });
  }
  const partitions: { partition: number; offset: number }[] = [];
  for (let partition = 0; partition < count; partition++) {
    const p = shard.port.partition(topic, partition)!;
    if (p.leader === -1) {
      return answer({ ...failure('LEADER_NOT_AVAILABLE', `There is no leader for ${topic}-${partition}: no in-sync replica is running`), topics: [] });
    }
    if (shard.port.brokers().find((b) => b.nodeId === p.leader)?.status === 'isolated') {
      return answer({ ...unreachable(p.leader, `isolated from the network (it leads ${topic}-${partition})`), topics: [] });
    }
    partitions.push({ partition, offset: request.earliest === true ? p.logStartOffset : p.highWatermark });
  }
  return setOffsets(shard, { groupId: request.groupId, topic, partitions, ...(request.broker === undefined ? {} : { broker: request.broker }) });
}

/**
 * Consumer lag per partition: every partition with a committed offset or an owner in the current
 * Stable assignment, with the high watermark and their difference. Reads the coordinator's state
 * directly (no request, so no routing errors); GROUP_ID_NOT_FOUND for an unknown group.
 */
export function lag(shard: GroupShard, groupId: string): LagAnswer {
  const entry = shard.entries.get(groupId);
  if (entry === undefined) return { ...failure('GROUP_ID_NOT_FOUND', `Group ${groupId} does not exist`), partitions: [] };
  const owners = new Map<string, string>();
  const group = entry.group;
  if (group?.is('Stable')) {
    for (const m of group.allMembers()) {
      for (const t of decodeAssignment(m.assignment) ?? []) for (const p of t.partitions) owners.set(`${t.topic}\u0000${p}`, m.memberId);
    }
  }
  const keys = new Set<string>(owners.keys());
  for (const [topic, byPartition] of entry.offsets) for (const p of byPartition.keys()) keys.add(`${topic}\u0000${p}`);
  const rows = [...keys].map((key) => {
    const [topic, p] = key.split('\u0000') as [string, string];
    const partition = Number(p);
    const committedOffset = entry.offsets.get(topic)?.get(partition)?.offset ?? -1;
    const highWatermark = shard.port.partition(topic, partition)?.highWatermark ?? -1;
    const lag = committedOffset >= 0 && highWatermark >= 0 ? highWatermark - committedOffset : null;
    return { topic, partition, committedOffset, highWatermark, lag, memberId: owners.get(key) ?? null };
  });
  return { ...OK, partitions: rows.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)) };
}

/** Tombstones for those of `partitions` the group has offsets for, with the event saying so. */
export function removeOffsets(
  entry: GroupEntry,
  partitions: readonly { topic: string; partition: number }[],
  reason: 'offset-delete' | 'retention' | 'topic-deleted',
): CoordinatorResult<void> {
  const removed = partitions
    .filter(({ topic, partition }) => entry.offsets.get(topic)?.has(partition) === true)
    .map(({ topic, partition }) => ({ topic, partition }));
  if (removed.length === 0) return answer(undefined);
  const generationId = entry.group?.generationId ?? entry.stored?.generationId ?? 0;
  return {
    response: undefined,
    records: removed.map(({ topic, partition }) => ({ type: 'offset-tombstone', groupId: entry.groupId, topic, partition })),
    event: { type: 'group-offsets-deleted', groupId: entry.groupId, generationId, offsets: removed, reason },
  };
}

/** A topic was deleted: every group's offsets for it go. */
export function onTopicDeleted(shard: GroupShard, topic: string): void {
  for (const entry of [...shard.entries.values()]) {
    shard.apply(
      removeOffsets(
        entry,
        [...(entry.offsets.get(topic)?.keys() ?? [])].map((partition) => ({ topic, partition })),
        'topic-deleted',
      ),
    );
  }
}

/**
 * Kafka's periodic offset expiration (every 10 minutes): an Empty group's offsets expire
 * `offsets.retention.ms` after it became empty; a Stable consumer group's offsets of topics it no
 * longer subscribes to, that long after their commit; a standalone group's, that long after their
 * commit. An Empty group left without offsets is removed.
 */
export function scheduleOffsetExpiration(shard: GroupShard, removeGroup: (group: ClassicGroup, reason: 'expired') => void): void {
  shard.timers.scheduleIfAbsent(RETENTION_KEY, OFFSETS_RETENTION_CHECK_INTERVAL_MS, () => {
    expireOffsets(shard, removeGroup);
    if (shard.entries.size > 0) scheduleOffsetExpiration(shard, removeGroup);
    return answer(undefined);
  });
}

function expireOffsets(shard: GroupShard, removeGroup: (group: ClassicGroup, reason: 'expired') => void): void {
  const now = shard.now();
  const retention = shard.config['offsets.retention.ms'];
  for (const entry of [...shard.entries.values()]) {
    const group = entry.group;
    if (group === undefined) continue;
    let base: ((o: CommittedOffset) => number) | undefined;
    let keep: ReadonlySet<string> = new Set();
    if (group.protocolType !== null && group.is('Empty')) base = () => group.stateTimestamp;
    else if (group.protocolType === 'consumer' && group.subscribedTopics !== undefined && group.is('Stable')) {
      base = (o) => o.commitTimestamp;
      keep = group.subscribedTopics;
    } else if (group.protocolType === null) base = (o) => o.commitTimestamp;
    if (base !== undefined) {
      const expired: { topic: string; partition: number }[] = [];
      for (const [topic, byPartition] of entry.offsets) {
        if (keep.has(topic)) continue;
        for (const [partition, o] of byPartition) if (now - base(o) >= retention) expired.push({ topic, partition });
      }
      shard.apply(removeOffsets(entry, expired, 'retention'));
    }
    if (group.is('Empty') && entry.offsets.size === 0) removeGroup(group, 'expired');
  }
}
