/**
 * The group coordinator's answers in kafkajs's error style: what the twin's consumer and admin
 * clients (and `cluster.groups`) call. The coordinator answers every group request with Kafka's
 * error codes; this throws the kafkajs error a real cluster's answer surfaces as, and returns the
 * rest as it was, nothing more. Where Kafka answers per partition (OffsetCommit, OffsetDelete),
 * the error thrown is the first failed partition's, as kafkajs's response parsers throw.
 */
import { errorOf, isFailure, NONE, orThrow, type ErrorPart, type Failure, type KafkaJSProtocolError } from '../../protocol/errors.js';
import type {
  CoordinatorNode,
  DeleteOffsetsRequest,
  GroupCoordinator,
  GroupDescription,
  GroupOverview,
  GroupRequestOptions,
  GroupState,
  HeartbeatRequest,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupRequest,
  OffsetCommitRequest,
  OffsetFetchRequest,
  OffsetFetchTopic,
  PartitionLag,
  ResetOffsetsRequest,
  SetOffsetsRequest,
  SyncGroupRequest,
  SyncGroupResponse,
  TopicAnswer,
} from '../../emulator/groups/coordinator.js';
import type { TwinFaults } from './faults.js';

/** One group's outcome in DeleteGroups, as kafkajs reports it: null, or the error kafkajs's answer would carry. */
export interface DeleteGroupResult {
  readonly groupId: string;
  readonly error: KafkaJSProtocolError | null;
}

/** The response without its error part. */
function response<T extends ErrorPart>(answer: T): Omit<T, 'errorCode' | 'errorMessage'> {
  const { errorCode: _code, errorMessage: _message, ...rest } = answer;
  return rest;
}

/** Throws the answer's error, or its first failed partition's, as kafkajs does. */
function throwFirst(answer: ErrorPart & { readonly topics: readonly TopicAnswer[] }): void {
  orThrow(answer);
  for (const t of answer.topics) {
    for (const p of t.partitions) if (isFailure(p)) throw errorOf(p, { topic: t.topic, partition: p.partition });
  }
}

/** Consumer groups with kafkajs's errors: the same calls as the coordinator's, throwing instead of answering a code. */
export class TwinGroups {
  constructor(
    /** The coordinator behind these calls, answering with codes. */
    readonly coordinator: GroupCoordinator,
    /** Injected faults at the request boundary; none when omitted. */
    private readonly faults?: TwinFaults,
  ) {}

  /** A request of `api` to the group's coordinator (or `broker`): injected faults apply. */
  private sync<T>(api: string, groupId: string, options: GroupRequestOptions, apply: () => T): T {
    if (this.faults === undefined) return apply();
    const faults = this.faults;
    return faults.sync({ api, broker: options.broker ?? (() => faults.coordinatorOf(groupId)) }, apply, {});
  }

  private async<T>(api: string, groupId: string, options: GroupRequestOptions, apply: () => Promise<T>): Promise<T> {
    if (this.faults === undefined) return apply();
    const faults = this.faults;
    return faults.async({ api, broker: options.broker ?? (() => faults.coordinatorOf(groupId)) }, apply);
  }

  /** Partitions an offset request names, for faults scoped to a topic. */
  private static named(topics: readonly { readonly topic: string; readonly partitions?: readonly (number | { readonly partition: number })[] }[] | undefined) {
    return (topics ?? []).flatMap((t) => (t.partitions ?? []).map((p) => ({ topic: t.topic, partition: typeof p === 'number' ? p : p.partition })));
  }

  /** FindCoordinator; throws GROUP_COORDINATOR_NOT_AVAILABLE while the group's partition has no leader. */
  findCoordinator(groupId: string, options: GroupRequestOptions = {}): CoordinatorNode {
    return this.sync('FindCoordinator', groupId, { broker: options.broker ?? this.faults?.anyBroker() }, () => response(orThrow(this.coordinator.findCoordinator(groupId, options))));
  }

  /** The `__consumer_offsets` partition a group maps to. */
  partitionFor(groupId: string): number {
    return orThrow(this.coordinator.partitionFor(groupId)).partition;
  }

  /** JoinGroup; MEMBER_ID_REQUIRED rejects with kafkajs's KafkaJSMemberIdRequired carrying the `memberId` to rejoin with. */
  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResponse> {
    return this.async('JoinGroup', request.groupId, request, () => this.join(request));
  }

  private join(request: JoinGroupRequest): Promise<JoinGroupResponse> {
    return new Promise((resolve, reject) =>
      this.coordinator.handleJoinGroup(request, (answer) =>
        isFailure(answer) ? reject(errorOf(answer, { memberId: answer.memberId })) : resolve(response(answer)),
      ),
    );
  }

  /** SyncGroup. */
  syncGroup(request: SyncGroupRequest): Promise<SyncGroupResponse> {
    return this.async(
      'SyncGroup',
      request.groupId,
      request,
      () =>
        new Promise((resolve, reject) =>
          this.coordinator.handleSyncGroup(request, (answer) => (isFailure(answer) ? reject(errorOf(answer)) : resolve(response(answer)))),
        ),
    );
  }

  /** Heartbeat; REBALANCE_IN_PROGRESS tells the member to rejoin. */
  heartbeat(request: HeartbeatRequest): void {
    this.sync('Heartbeat', request.groupId, request, () => orThrow(this.coordinator.heartbeat(request)));
  }

  /** LeaveGroup for one member. */
  leaveGroup(request: LeaveGroupRequest): void {
    this.sync('LeaveGroup', request.groupId, request, () => orThrow(this.coordinator.leaveGroup(request)));
  }

  /** OffsetCommit: the partitions that can be committed are; then the first failed partition's error is thrown. */
  offsetCommit(request: OffsetCommitRequest): void {
    if (this.faults === undefined) return throwFirst(this.coordinator.offsetCommit(request));
    const faults = this.faults;
    const broker = request.broker ?? (() => faults.coordinatorOf(request.groupId));
    faults.sync({ api: 'OffsetCommit', broker, partitions: TwinGroups.named(request.topics) }, () => throwFirst(this.coordinator.offsetCommit(request)));
  }

  /** OffsetFetch: the committed offset of each requested partition, -1 where none. */
  offsetFetch(request: OffsetFetchRequest): OffsetFetchTopic[] {
    if (this.faults === undefined) return this.fetchOffsets(request);
    const faults = this.faults;
    const broker = request.broker ?? (() => faults.coordinatorOf(request.groupId));
    const topics = (request.topics ?? []).map((t) => t.topic);
    return faults.sync({ api: 'OffsetFetch', broker, topics, partitions: TwinGroups.named(request.topics) }, () => this.fetchOffsets(request));
  }

  private fetchOffsets(request: OffsetFetchRequest): OffsetFetchTopic[] {
    const answer = orThrow(this.coordinator.offsetFetch(request));
    return answer.topics.map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.map((p) => {
        if (isFailure(p)) throw errorOf(p, { topic, partition: p.partition });
        return { partition: p.partition, offset: p.offset, metadata: p.metadata };
      }),
    }));
  }

  /** OffsetDelete: what may be deleted is; then the first partition's GROUP_SUBSCRIBED_TO_TOPIC is thrown. */
  deleteOffsets(request: DeleteOffsetsRequest): void {
    throwFirst(this.coordinator.deleteOffsets(request));
  }

  /** Sets a group's offsets for one topic as an administrator does (only while it is empty). */
  setOffsets(request: SetOffsetsRequest): void {
    throwFirst(this.coordinator.setOffsets(request));
  }

  /** Moves a group's offsets for a topic to the log start offset or the high watermark. */
  resetOffsets(request: ResetOffsetsRequest): void {
    throwFirst(this.coordinator.resetOffsets(request));
  }

  /** Consumer lag per partition; GROUP_ID_NOT_FOUND for an unknown group. */
  lag(groupId: string): PartitionLag[] {
    return [...orThrow(this.coordinator.lag(groupId)).partitions];
  }

  /** DescribeGroups for one group (`Dead` when it does not exist). */
  describeGroup(groupId: string, options: GroupRequestOptions = {}): GroupDescription {
    return response(orThrow(this.coordinator.describeGroup(groupId, options)));
  }

  /** DescribeGroups for several groups; throws the first group's error. */
  describeGroups(groupIds: readonly string[]): GroupDescription[] {
    if (this.faults !== undefined && groupIds.length > 0) {
      return this.sync('DescribeGroups', groupIds[0]!, {}, () => this.coordinator.describeGroups(groupIds).map((answer) => response(orThrow(answer))));
    }
    return this.coordinator.describeGroups(groupIds).map((answer) => response(orThrow(answer)));
  }

  /** ListGroups. */
  listGroups(options: GroupRequestOptions & { readonly states?: readonly GroupState[] } = {}): GroupOverview[] {
    return this.sync('ListGroups', '', { broker: options.broker ?? this.faults?.anyBroker() }, () => [...orThrow(this.coordinator.listGroups(options)).groups]);
  }

  /** DeleteGroups: each group's kafkajs error, null when deleted; a broker that cannot be reached throws. */
  deleteGroups(groupIds: readonly string[], options: GroupRequestOptions = {}): DeleteGroupResult[] {
    return this.sync('DeleteGroups', groupIds[0] ?? '', options, () => this.deleteAll(groupIds, options));
  }

  private deleteAll(groupIds: readonly string[], options: GroupRequestOptions): DeleteGroupResult[] {
    return this.coordinator.deleteGroups(groupIds, options).map((answer) => {
      if (answer.errorCode === NONE) return { groupId: answer.groupId, error: null };
      const error = errorOf(answer as Failure);
      if ('broker' in answer) throw error;
      return { groupId: answer.groupId, error: error as KafkaJSProtocolError };
    });
  }
}
