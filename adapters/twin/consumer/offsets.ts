/**
 * kafkajs's consumer/offsetManager: where each assigned partition is read from (its position),
 * resolving the starting offsets (committed, else earliest or latest per `fromBeginning`), the
 * offsets processed but not committed yet, commits (auto-commit after each fetch round and on the
 * interval or threshold, and `commitOffsets`) and seeks.
 *
 * kafkajs makes a new offset manager per generation; this one lives as long as the consumer (a
 * seek outlasts a rebalance) and is told of each new assignment instead
 * ({@link OffsetManager.assigned}), which starts the count towards `autoCommitThreshold` and the
 * interval afresh, as a new kafkajs offset manager does.
 */
import type { ConsumerRunConfig } from 'kafkajs';
import type { TwinCluster as Cluster } from '../cluster.js';
import type { IsolationLevel } from '../../../emulator/engine.js';
import { CONSUMER_EVENTS, type Emit } from './events.js';
import type { Lifecycle } from './lifecycle.js';

/** A topic-partition as a map key. */
export const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** The topic and partition of a {@link key}. */
export function splitKey(k: string): { topic: string; partition: number } {
  const [topic, partition] = k.split('\u0000') as [string, string];
  return { topic, partition: Number(partition) };
}

/** What commits are made as: the member of the group, in its generation, with what it was assigned. */
export interface Member {
  readonly groupId: string;
  readonly memberId: string;
  readonly generationId: number;
  readonly assignment: ReadonlyMap<string, readonly number[]>;
}

/** Offsets to commit, per topic: each the next offset to read. */
export type CommitRequest = Map<string, { partition: number; offset: number; metadata?: string | null }[]>;

/** The collaborators of an {@link OffsetManager}. */
export interface OffsetManagerDeps {
  /** The group member the commits are made as, read at each commit (it changes with every generation). */
  readonly member: () => Member;
  /** The subscribed topics, with `fromBeginning`. */
  readonly subscriptions: ReadonlyMap<string, { fromBeginning: boolean }>;
  /** The current run's `autoCommit`, `autoCommitInterval`, `autoCommitThreshold`. */
  readonly runConfig: () => ConsumerRunConfig;
  readonly lifecycle: Lifecycle;
  readonly emit: Emit;
  /** What ListOffsets asks for (kafkajs's consumer sends its isolation level): `latest` is the last stable offset under read_committed. */
  readonly isolationLevel: IsolationLevel;
}

/** One consumer's positions, uncommitted offsets, seeks and commits. */
export class OffsetManager {
  /** Next offset to fetch per partition. */
  private readonly positions = new Map<string, number>();
  /** Offsets resolved (processed) but not yet committed: next offset to read. */
  private readonly uncommitted = new Map<string, number>();
  /**
   * kafkajs's committed offsets: per partition, the last offset committed, or where reading
   * started (the committed offset fetched, else the earliest or latest). What `autoCommitThreshold`
   * counts from.
   */
  private readonly committed = new Map<string, number>();
  /** kafkajs's countResolvedOffsets: the sum over the uncommitted partitions of resolved minus committed, kept up to date. */
  private resolvedCount = 0;
  /** Offsets a transaction of this client sent (see {@link markCommitted}), as given, until this consumer commits the partition. */
  private readonly marked = new Map<string, string>();
  /** Seeks not applied yet: an offset, or -2 (earliest) / -1 (latest). */
  private readonly seeks = new Map<string, number>();
  private lastCommit = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly deps: OffsetManagerDeps,
  ) {}

  /** The next offset to fetch from a partition; undefined until its starting offset is resolved. */
  position(topic: string, partition: number): number | undefined {
    return this.positions.get(key(topic, partition));
  }

  /** Seeks asked for and not applied yet. */
  get pendingSeeks(): number {
    return this.seeks.size;
  }

  hasSeek(k: string): boolean {
    return this.seeks.has(k);
  }

  /**
   * A new assignment: under the eager protocol everything was revoked, so positions restart from
   * the committed offsets, and the auto-commit interval from now.
   */
  assigned(): void {
    this.positions.clear();
    this.uncommitted.clear();
    this.committed.clear();
    this.marked.clear();
    this.resolvedCount = 0;
    try {
      this.initializePositions();
    } catch (e) {
      // A partition whose leader is offline or unreachable has no start offset yet: the join stands
      // and the fetch loop resolves it with backoff, rather than rejoining (and blocking run()) until it is back.
      if ((e as { retriable?: boolean }).retriable === false) throw e;
    }
    this.lastCommit = this.cluster.now();
  }

  /** Committed offsets where there are some; otherwise earliest or latest, per `fromBeginning`. */
  initializePositions(): void {
    const { groupId, assignment } = this.deps.member();
    const topics = [...assignment]
      .map(([topic, partitions]) => ({ topic, partitions: partitions.filter((p) => !this.positions.has(key(topic, p))) }))
      .filter(({ partitions }) => partitions.length > 0);
    if (topics.length === 0) return;
    const committed = this.cluster.groups.offsetFetch({ groupId, topics });
    // Every partition that can be resolved is; the first failure is thrown after.
    let failure: unknown;
    for (const { topic, partitions } of committed) {
      for (const { partition, offset } of partitions) {
        const position = Number(offset);
        try {
          const start = position >= 0 ? position : this.resetOffset(topic, partition);
          this.positions.set(key(topic, partition), start);
          this.setCommitted(key(topic, partition), start);
        } catch (e) {
          if ((e as { retriable?: boolean }).retriable === false) throw e;
          failure ??= e;
        }
      }
    }
    if (failure !== undefined) throw failure;
  }

  /** OFFSET_OUT_OF_RANGE: the partition is read again from earliest or latest, per `fromBeginning`. */
  resetPosition(topic: string, partition: number): void {
    const start = this.resetOffset(topic, partition);
    this.positions.set(key(topic, partition), start);
    // kafkajs commits the reset offset (setDefaultOffset); here it only counts from there.
    this.setCommitted(key(topic, partition), start);
  }

  private resetOffset(topic: string, partition: number): number {
    const fromBeginning = this.deps.subscriptions.get(topic)?.fromBeginning ?? false;
    return this.listOffsets(topic, partition, fromBeginning ? 'earliest' : 'latest');
  }

  private listOffsets(topic: string, partition: number, spec: 'earliest' | 'latest'): number {
    return this.cluster.listOffsets(topic, partition, spec, undefined, this.deps.isolationLevel).offset;
  }

  /** The message at `offset` of partition `k` was processed: the partition is read, and committed, from the next one. */
  resolve(k: string, offset: number): void {
    this.positions.set(k, offset + 1);
    // kafkajs commits only resolved offsets that differ from the committed ones: not one a transaction sent.
    this.setUncommitted(k, this.marked.get(k) === String(offset + 1) ? undefined : offset + 1);
  }

  private contribution(k: string): number {
    const resolved = this.uncommitted.get(k);
    return resolved === undefined ? 0 : resolved - (this.committed.get(k) ?? 0);
  }

  private setUncommitted(k: string, offset: number | undefined): void {
    this.resolvedCount -= this.contribution(k);
    if (offset === undefined) this.uncommitted.delete(k);
    else this.uncommitted.set(k, offset);
    this.resolvedCount += this.contribution(k);
  }

  private setCommitted(k: string, offset: number): void {
    this.resolvedCount -= this.contribution(k);
    this.committed.set(k, offset);
    this.resolvedCount += this.contribution(k);
  }

  /**
   * A transaction of this consumer's client sent `offset` for the partition (kafkajs's
   * markOffsetAsCommitted): it counts as committed, so an auto-commit does not send it again.
   * kafkajs compares the offsets as given, so only a string equal to the resolved offset matches.
   */
  markCommitted(topic: string, partition: number, offset: string): void {
    const k = key(topic, partition);
    if (!this.positions.has(k) || !/^-?\d+$/.test(String(offset))) return;
    this.setCommitted(k, Number(offset));
    if (typeof offset !== 'string') return;
    this.marked.set(k, offset);
    if (String(this.uncommitted.get(k)) === offset) this.setUncommitted(k, undefined);
  }

  /** Asks for a seek, applied at the start of the next fetch round. */
  seek(topic: string, partition: number, offset: number): void {
    this.seeks.set(key(topic, partition), offset);
  }

  /** Applies the seeks asked for on assigned partitions, and drops the others. */
  async applySeeks(): Promise<void> {
    for (const [k, offset] of [...this.seeks]) {
      this.seeks.delete(k);
      const { topic, partition } = splitKey(k);
      if (!(this.deps.member().assignment.get(topic) ?? []).includes(partition)) continue;
      const target =
        offset === -2
          ? this.listOffsets(topic, partition, 'earliest')
          : offset === -1
            ? this.listOffsets(topic, partition, 'latest')
            : offset;
      this.positions.set(k, target);
      this.setUncommitted(k, undefined);
      // As kafkajs: with auto-commit on, a seek is committed at once.
      if (this.deps.runConfig().autoCommit !== false) await this.commit(new Map([[topic, [{ partition, offset: target }]]]));
      else this.setUncommitted(k, target);
    }
  }

  /**
   * kafkajs's offsetManager.commitOffsetsIfNecessary (eachBatch's `commitOffsetsIfNecessary()`):
   * commits what was processed once `autoCommitInterval` has passed since the last commit or
   * `autoCommitThreshold` offsets were resolved past the committed ones, whatever `autoCommit`
   * says. Undefined (nothing to await) when no commit is due.
   */
  commitIfNecessary(): Promise<void> | undefined {
    const { autoCommitInterval = null, autoCommitThreshold = null } = this.deps.runConfig();
    const timeoutReached = autoCommitInterval !== null && this.cluster.now() >= this.lastCommit + autoCommitInterval;
    const thresholdReached = autoCommitThreshold !== null && this.resolvedCount >= autoCommitThreshold;
    return timeoutReached || thresholdReached ? this.commitUncommitted() : undefined;
  }

  /** {@link commitIfNecessary} after each message, unless auto-commit is off (kafkajs's runner.autoCommitOffsetsIfNecessary). */
  autoCommitIfNecessary(): Promise<void> | undefined {
    return this.deps.runConfig().autoCommit === false ? undefined : this.commitIfNecessary();
  }

  /** Commits what was processed, unless auto-commit is off. */
  autoCommit(): Promise<void> {
    return this.deps.runConfig().autoCommit === false ? Promise.resolve() : this.commitUncommitted();
  }

  /** What was processed and not committed yet, as eachBatch's `uncommittedOffsets()` lists it. */
  uncommittedTopics(): { topic: string; partitions: { partition: number; offset: string }[] }[] {
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const [k, offset] of this.uncommitted) {
      const { topic, partition } = splitKey(k);
      const entry = { partition, offset: String(offset) };
      // Appended in place: copying the list per partition made a commit O(partitions^2).
      const list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, [entry]);
      else list.push(entry);
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  }

  private async commitUncommitted(): Promise<void> {
    if (this.uncommitted.size === 0) {
      // As kafkajs: a commit with nothing to commit still restarts the interval.
      this.lastCommit = this.cluster.now();
      return;
    }
    const topics: CommitRequest = new Map();
    for (const { topic, partitions } of this.uncommittedTopics())
      topics.set(
        topic,
        partitions.map((p) => ({ partition: p.partition, offset: Number(p.offset) })),
      );
    await this.commit(topics);
  }

  /** Commits `topics` as the member of its current generation (an OffsetCommit to the coordinator). */
  async commit(topics: CommitRequest): Promise<void> {
    this.deps.lifecycle.assertAlive();
    if (topics.size === 0) {
      this.lastCommit = this.cluster.now();
      return;
    }
    const request = [...topics].map(([topic, partitions]) => ({
      topic,
      partitions: partitions.map((p) => ({ partition: p.partition, offset: p.offset, metadata: p.metadata ?? null })),
    }));
    const member = this.deps.member();
    this.cluster.groups.offsetCommit({ groupId: member.groupId, generationId: member.generationId, memberId: member.memberId, topics: request });
    for (const { topic, partitions } of request) {
      for (const p of partitions) {
        const k = key(topic, p.partition);
        this.setCommitted(k, p.offset);
        this.marked.delete(k);
        if (this.uncommitted.get(k) === p.offset) this.setUncommitted(k, undefined);
      }
    }
    this.lastCommit = this.cluster.now();
    this.deps.emit(CONSUMER_EVENTS.COMMIT_OFFSETS, {
      groupId: member.groupId,
      memberId: member.memberId,
      groupGenerationId: member.generationId,
      topics: request.map(({ topic, partitions }) => ({ topic, partitions: partitions.map((p) => ({ partition: p.partition, offset: String(p.offset) })) })),
    });
  }

  /** crash(): a dead process's positions, uncommitted offsets and seeks are gone with it. */
  forget(): void {
    this.positions.clear();
    this.uncommitted.clear();
    this.committed.clear();
    this.marked.clear();
    this.resolvedCount = 0;
    this.seeks.clear();
  }
}
