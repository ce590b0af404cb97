/**
 * The transaction coordinator's state and placement (Kafka's `TransactionStateManager` and the
 * coordinator's lifecycle): `__transaction_state` is created on first use, a transactional id maps
 * to one of its partitions by the hash of the id, and that partition's leader is its coordinator.
 * The transactions are kept per partition; a partition whose leader moves keeps them (Kafka's
 * new leader reloads them from the partition's log), and the new coordinator sends the markers of
 * every decided transaction not yet written, at its own coordinator epoch. Two periodic tasks run
 * on the cluster clock: aborting transactions past their timeout, and removing expired ids.
 */
import { isFailure, kafkaError, unreachable, type Failure, type Unreachable } from '../../protocol/errors.js';
import { partitionForGroup } from '../../protocol/hashing.js';
import { CoordinatorTimer } from '../groups/timer.js';
import type { TxnEvent } from './events.js';
import { fenceAndAbort, markersKey, sendMarkers } from './markers.js';
import { txnFailure } from './messages.js';
import { TRANSACTION_STATE_TOPIC, type TxnPort } from './port.js';
import type { TxnSettings } from './settings.js';
import { EXPIRATION_ALLOWED, MAX_PRODUCER_EPOCH, TransactionMetadata, type TransactionTransition } from './state.js';

/** Timer keys of the two periodic tasks (markers.ts keys each decided transaction's marker sending). */
export const ABORT_TIMED_OUT_KEY = 'abort-timed-out-transactions';
export const REMOVE_EXPIRED_KEY = 'remove-expired-transactional-ids';

/** `__transaction_state` as the coordinator sees it: a leader and a leader epoch per partition. */
interface StateTopic {
  readonly partitions: number;
  readonly leaders: number[];
  /** The coordinator epoch of each partition (its leader epoch); markers carry it. */
  readonly epochs: number[];
}

/** Where a request for a transactional id goes: its partition and that partition's coordinator epoch. */
export interface Routed {
  readonly partition: number;
  readonly coordinatorEpoch: number;
}

export interface TransactionCoordinatorOptions {
  /** Sees every state move (tests check the state machine with it). */
  readonly onTransition?: (t: TransactionTransition) => void;
}

/** The transaction coordinator of a whole cluster: every broker's share, keyed by partition. */
export class TransactionCoordinator {
  /** Keyed timers (the group coordinator's kind); the operations apply their own effects. */
  readonly timers: CoordinatorTimer<void>;
  private topic: StateTopic | undefined;
  /** Transactional ids by `__transaction_state` partition. */
  private readonly byPartition = new Map<number, Map<string, TransactionMetadata>>();

  constructor(
    readonly port: TxnPort,
    private readonly options: TransactionCoordinatorOptions = {},
  ) {
    this.timers = new CoordinatorTimer<void>(port.clock, () => undefined);
  }

  get settings(): TxnSettings {
    return this.port.settings;
  }

  record(event: TxnEvent): void {
    this.port.record(event);
  }

  /** The `__transaction_state` partition of a transactional id (Kafka's `partitionFor`). */
  partitionFor(transactionalId: string): number | undefined {
    return this.topic === undefined ? undefined : partitionForGroup(transactionalId, this.topic.partitions);
  }

  /** The leader of a `__transaction_state` partition; -1 when none (or no topic). */
  leaderOf(partition: number): number {
    return this.topic?.leaders[partition] ?? -1;
  }

  coordinatorEpochOf(partition: number): number {
    return this.topic?.epochs[partition] ?? -1;
  }

  /** The transactional id's metadata, if the coordinator knows it. */
  get(transactionalId: string): TransactionMetadata | undefined {
    const partition = this.partitionFor(transactionalId);
    return partition === undefined ? undefined : this.byPartition.get(partition)?.get(transactionalId);
  }

  /**
   * Whether some transaction holds an offset of `groupId` for the partition that its marker has
   * not settled yet (OffsetFetch's `requireStable` answers UNSTABLE_OFFSET_COMMIT for it).
   */
  hasPendingOffsets(groupId: string, topic: string, partition: number): boolean {
    for (const ids of this.byPartition.values()) {
      for (const txn of ids.values()) {
        for (const held of txn.pendingOffsets.get(groupId)?.values() ?? []) if (held.topic === topic && held.partition === partition) return true;
      }
    }
    return false;
  }

  /**
   * Transaction verification (KIP-890 part 1, `transaction.partition.verification.enable`, on by
   * default in 3.9): a leader about to open a transaction on a partition for `producerId` asks the
   * coordinator whether the partition is in that producer's Ongoing transaction, and answers the
   * write with the outcome mapped as Kafka's ReplicaManager maps it for producers: not added →
   * INVALID_TXN_STATE; an older epoch → INVALID_PRODUCER_EPOCH; the transaction being completed or
   * no coordinator → NOT_ENOUGH_REPLICAS (retriable, no metadata refresh). Undefined when the write
   * may go on, and for a producer id no transactional id holds (an idempotent producer's: nothing to verify).
   */
  verifyTransactionalWrite(producerId: number, producerEpoch: number, topic: string, partition: number): Failure | undefined {
    let txn: TransactionMetadata | undefined;
    for (const ids of this.byPartition.values()) {
      for (const t of ids.values()) if (t.producerId === producerId) txn = t;
    }
    if (txn === undefined) return undefined;
    const unverified = (underlying: string) =>
      txnFailure('NOT_ENOUGH_REPLICAS', `Unable to verify the partition has been added to the transaction. Underlying error: ${underlying}`);
    if (this.leaderOf(txn.partition) === -1) return unverified('COORDINATOR_NOT_AVAILABLE');
    if (txn.producerEpoch !== producerEpoch) return txnFailure('INVALID_PRODUCER_EPOCH', 'Producer attempted to produce with an old epoch.');
    if (txn.completionPending) return unverified('CONCURRENT_TRANSACTIONS');
    if (txn.state !== 'Ongoing' || !txn.hasPartition(topic, partition)) return txnFailure('INVALID_TXN_STATE', 'Partition was not added to the transaction');
    return undefined;
  }

  /** Keeps a new transactional id (Kafka's `putTransactionStateIfNotExists`). */
  create(transactionalId: string, producerId: number, txnTimeoutMs: number): TransactionMetadata {
    const partition = this.partitionFor(transactionalId);
    if (partition === undefined) throw new Error(`invariant: ${TRANSACTION_STATE_TOPIC} does not exist`);
    const txn = new TransactionMetadata(transactionalId, partition, producerId, txnTimeoutMs, this.port.clock.now(), this.options.onTransition);
    let ids = this.byPartition.get(partition);
    if (ids === undefined) this.byPartition.set(partition, (ids = new Map()));
    ids.set(transactionalId, txn);
    return txn;
  }

  private remove(txn: TransactionMetadata): void {
    this.byPartition.get(txn.partition)?.delete(txn.transactionalId);
  }

  /** Every transaction of the partitions that have a leader (`broker`: only those it leads). */
  loaded(broker?: number): TransactionMetadata[] {
    const out: TransactionMetadata[] = [];
    for (const [partition, ids] of [...this.byPartition.entries()].sort((a, b) => a[0] - b[0])) {
      const leader = this.leaderOf(partition);
      if (leader === -1 || (broker !== undefined && leader !== broker)) continue;
      out.push(...ids.values());
    }
    return out;
  }

  // ---------------------------------------------------------------- placement

  /** A request to a stopped or isolated broker gets no answer. An unknown broker id is the caller's bug: RangeError. */
  checkReachable(brokerId: number): Unreachable | undefined {
    const brokers = this.port.brokers();
    const broker = brokers.find((b) => b.nodeId === brokerId);
    if (broker === undefined) {
      throw new RangeError(`unknown broker ${String(brokerId)}: this cluster has brokers ${brokers.map((b) => b.nodeId).join(', ')}`);
    }
    if (broker.status === 'stopped') return unreachable(brokerId, 'stopped');
    if (broker.status === 'isolated') return unreachable(brokerId, 'isolated from the network');
    return undefined;
  }

  /**
   * Creates `__transaction_state` on first use. The replication factor is capped at the number of
   * running brokers, as the group coordinator does for `__consumer_offsets`, where Kafka answers
   * COORDINATOR_NOT_AVAILABLE until `transaction.state.log.replication.factor` brokers are alive.
   */
  ensureTopic(): StateTopic | Failure {
    if (this.topic !== undefined) return this.topic;
    const running = this.port.brokers().filter((b) => b.status !== 'stopped').length;
    if (running === 0) return txnFailure('COORDINATOR_NOT_AVAILABLE', `Cannot create ${TRANSACTION_STATE_TOPIC}: no broker is running`);
    const rf = Math.min(this.settings['transaction.state.log.replication.factor'], running);
    const created = this.port.createTransactionStateTopic(
      this.settings['transaction.state.log.num.partitions'],
      rf,
      Math.min(this.settings['transaction.state.log.min.isr'], rf),
    );
    if (isFailure(created)) {
      return txnFailure(
        'COORDINATOR_NOT_AVAILABLE',
        `Cannot create ${TRANSACTION_STATE_TOPIC}: ${created.errorMessage ?? kafkaError(created.errorCode).message}`,
      );
    }
    if (this.topic === undefined) throw new Error(`invariant: ${TRANSACTION_STATE_TOPIC} was created without onTransactionStateTopicCreated`);
    return this.topic;
  }

  /**
   * The coordinator of a transactional id, creating `__transaction_state` on first use, as
   * FindCoordinator and the brokers themselves see it (no client reachability involved):
   * COORDINATOR_NOT_AVAILABLE while the id's partition has no leader.
   */
  coordinatorFor(transactionalId: string): { readonly partition: number; readonly leader: number } | Failure {
    const topic = this.ensureTopic();
    if ('errorCode' in topic) return topic;
    const partition = partitionForGroup(transactionalId, topic.partitions);
    const leader = topic.leaders[partition]!;
    if (leader === -1) {
      return txnFailure(
        'COORDINATOR_NOT_AVAILABLE',
        `The coordinator for transactional id ${transactionalId} is not available: ${TRANSACTION_STATE_TOPIC}-${partition} has no leader`,
      );
    }
    return { partition, leader };
  }

  /**
   * Checks a request for a transactional id as the broker receiving it would: reachable, and sent
   * to the id's coordinator (NOT_COORDINATOR otherwise; COORDINATOR_NOT_AVAILABLE while the
   * partition has no leader). Without a broker the request goes to the coordinator, wherever it is.
   */
  route(transactionalId: string, broker: number | undefined): Routed | Failure {
    if (broker !== undefined) {
      const down = this.checkReachable(broker);
      if (down !== undefined) return down;
    }
    const topic = this.ensureTopic();
    if ('errorCode' in topic) return topic;
    const partition = partitionForGroup(transactionalId, topic.partitions);
    const leader = topic.leaders[partition]!;
    const where = `${TRANSACTION_STATE_TOPIC}-${partition}`;
    if (broker !== undefined && leader !== broker) {
      return txnFailure(
        'NOT_COORDINATOR',
        `Broker ${broker} is not the coordinator for transactional id ${transactionalId}: ${leader === -1 ? `${where} has no leader` : `broker ${leader} is`}`,
      );
    }
    if (leader === -1)
      return txnFailure('COORDINATOR_NOT_AVAILABLE', `The coordinator for transactional id ${transactionalId} is not available: ${where} has no leader`);
    if (broker === undefined) {
      const down = this.checkReachable(leader);
      if (down !== undefined) return down;
    }
    return { partition, coordinatorEpoch: topic.epochs[partition]! };
  }

  // ---------------------------------------------------------------- hooks the engine calls

  /** `__transaction_state` was created: no partition has a leader until elections say so; the periodic tasks start. */
  onTransactionStateTopicCreated(partitions: number): void {
    this.topic = { partitions, leaders: new Array<number>(partitions).fill(-1), epochs: new Array<number>(partitions).fill(-1) };
    this.scheduleAbortTimedOut();
    this.scheduleRemoveExpired();
  }

  /**
   * `leader` now leads `__transaction_state` partition `partition` at `coordinatorEpoch` (Kafka's
   * `onElection`): it coordinates the partition's transactional ids, and sends the markers of
   * every decided transaction not yet written.
   */
  onElection(partition: number, leader: number, coordinatorEpoch: number): void {
    const topic = this.topic;
    if (topic === undefined || partition >= topic.partitions) return;
    const previous = topic.leaders[partition]!;
    topic.leaders[partition] = leader;
    topic.epochs[partition] = coordinatorEpoch;
    if (previous === leader) return;
    for (const txn of this.byPartition.get(partition)?.values() ?? []) {
      this.timers.cancel(markersKey(txn.transactionalId));
      txn.markersFenced = false;
      this.moved(txn, previous, leader, coordinatorEpoch);
      if (txn.completionPending) sendMarkers(this, txn);
    }
  }

  /** `__transaction_state` partition `partition` has no leader (Kafka's `onResignation` without a new election): marker sending stops. */
  onResignation(partition: number): void {
    const topic = this.topic;
    if (topic === undefined || partition >= topic.partitions) return;
    const previous = topic.leaders[partition]!;
    topic.leaders[partition] = -1;
    if (previous === -1) return;
    for (const txn of this.byPartition.get(partition)?.values() ?? []) {
      this.timers.cancel(markersKey(txn.transactionalId));
      this.moved(txn, previous, -1, topic.epochs[partition]!);
    }
  }

  /** `__transaction_state` was deleted: every transactional id goes with it. */
  onTransactionStateTopicDeleted(): void {
    for (const key of this.timers.keys()) this.timers.cancel(key);
    this.byPartition.clear();
    this.topic = undefined;
  }

  private moved(txn: TransactionMetadata, from: number, to: number, coordinatorEpoch: number): void {
    this.record({
      type: 'txn-coordinator-moved',
      transactionalId: txn.transactionalId,
      partition: txn.partition,
      from,
      to,
      coordinatorEpoch,
      state: txn.state,
    });
  }

  // ---------------------------------------------------------------- periodic tasks

  private scheduleAbortTimedOut(): void {
    this.timers.schedule(ABORT_TIMED_OUT_KEY, this.settings['transaction.abort.timed.out.transaction.cleanup.interval.ms'], () => {
      this.abortTimedOutTransactions();
      this.scheduleAbortTimedOut();
    });
  }

  private scheduleRemoveExpired(): void {
    this.timers.schedule(REMOVE_EXPIRED_KEY, this.settings['transaction.remove.expired.transaction.cleanup.interval.ms'], () => {
      this.removeExpiredTransactionalIds();
      this.scheduleRemoveExpired();
    });
  }

  /**
   * Kafka's `abortTimedOutTransactions`: every Ongoing transaction whose start plus its timeout has
   * passed is fenced (epoch bump) and aborted. Only transactions with a coordinator are checked.
   */
  abortTimedOutTransactions(): void {
    const now = this.port.clock.now();
    for (const txn of this.loaded()) {
      if (txn.state !== 'Ongoing' || txn.txnStartTimestamp + txn.txnTimeoutMs >= now) continue;
      // Kafka refuses to fence past Short.MaxValue; no producer can hold that epoch in Ongoing.
      if (txn.producerEpoch >= MAX_PRODUCER_EPOCH) continue;
      fenceAndAbort(this, txn, 'timeout');
    }
  }

  /**
   * Kafka's `removeExpiredTransactionalIds`: an id with no transaction under way and no update for
   * `transactional.id.expiration.ms` goes Dead and is removed.
   */
  removeExpiredTransactionalIds(): void {
    const now = this.port.clock.now();
    const expiration = this.settings['transactional.id.expiration.ms'];
    for (const txn of this.loaded()) {
      if (!EXPIRATION_ALLOWED.has(txn.state) || txn.txnLastUpdateTimestamp > now - expiration) continue;
      txn.transitionTo('Dead');
      this.remove(txn);
      this.record({ type: 'txn-id-expired', transactionalId: txn.transactionalId, producerId: txn.producerId });
    }
  }
}
