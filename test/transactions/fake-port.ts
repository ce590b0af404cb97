/**
 * A broker for the transaction coordinator's unit specs: the coordinator's port over in-memory
 * topics, a list of the markers written, the offsets handed to the group coordinator, the events
 * recorded, and the project's virtual clock. Partitions can be made to refuse markers (as a
 * partition without a leader does) and `__transaction_state` leaders moved, as the engine would.
 */
import { VirtualClock } from '../../emulator/clock.js';
import { partitionForGroup } from '../../protocol/hashing.js';
import { NONE, type ErrorPart } from '../../protocol/errors.js';
import {
  CONSUMER_OFFSETS_TOPIC,
  DEFAULT_TXN_SETTINGS,
  TRANSACTION_STATE_TOPIC,
  TransactionCoordinator,
  TxnErrors,
  addOffsetsToTxn,
  addPartitionsToTxn,
  endTxn,
  initProducerId,
  txnOffsetCommit,
  type AddPartitionsToTxnAnswer,
  type InitProducerIdAnswer,
  type TransactionTransition,
  type TxnEvent,
  type TxnMarker,
  type TxnOffset,
  type TxnOffsetCommitMember,
  type TxnPort,
  type TxnPortBroker,
  type TxnSettings,
} from '../../emulator/transactions/index.js';

export const OFFSETS_PARTITIONS = 50;

interface Broker {
  nodeId: number;
  host: string;
  port: number;
  status: TxnPortBroker['status'];
}

export interface HandedOffsets {
  readonly groupId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly offsets: readonly TxnOffset[];
  readonly commit: boolean;
}

export class FakeBroker implements TxnPort {
  readonly clock = new VirtualClock(1_000_000);
  readonly settings: TxnSettings;
  readonly brokerList: Broker[];
  readonly topics = new Map<string, number>([[CONSUMER_OFFSETS_TOPIC, OFFSETS_PARTITIONS]]);
  /** Markers written, in order. */
  readonly markers: TxnMarker[] = [];
  /** Marker writes refused (retriable), in order. */
  readonly refused: TxnMarker[] = [];
  /** Partitions (`topic-partition`) that answer NOT_LEADER_OR_FOLLOWER to markers. */
  readonly refusing = new Set<string>();
  /** Partitions that answer markers with this code (checked before `refusing`). */
  readonly answering = new Map<string, number>();
  readonly handed: HandedOffsets[] = [];
  readonly events: TxnEvent[] = [];
  readonly transitions: TransactionTransition[] = [];
  /** What `checkTxnOffsetCommit` answers. */
  groupCheck: ErrorPart = { errorCode: NONE };
  readonly leaderEpochs = new Map<number, number>();
  private nextProducerId = 1000;
  readonly coordinator: TransactionCoordinator;

  constructor(options: { brokers?: number; settings?: Partial<TxnSettings> } = {}) {
    this.settings = { ...DEFAULT_TXN_SETTINGS, 'transaction.state.log.num.partitions': 5, ...options.settings };
    this.brokerList = Array.from({ length: options.brokers ?? 3 }, (_, i) => ({
      nodeId: i + 1,
      host: 'localhost',
      port: 9092 + i,
      status: 'running' as const,
    }));
    this.coordinator = new TransactionCoordinator(this, { onTransition: (t) => this.transitions.push(t) });
  }

  brokers(): readonly TxnPortBroker[] {
    return this.brokerList;
  }

  partitionCount(topic: string): number | undefined {
    return this.topics.get(topic);
  }

  allocateProducerId(_broker: number): number {
    return this.nextProducerId++;
  }

  writeTxnMarkers(markers: readonly TxnMarker[]): readonly number[] {
    return markers.map((m) => {
      const code = this.answering.get(`${m.topic}-${m.partition}`);
      if (code !== undefined) {
        this.refused.push(m);
        return code;
      }
      if (this.refusing.has(`${m.topic}-${m.partition}`)) {
        this.refused.push(m);
        return TxnErrors.NOT_LEADER_OR_FOLLOWER;
      }
      this.markers.push(m);
      return NONE;
    });
  }

  offsetsPartitionFor(groupId: string): number {
    return partitionForGroup(groupId, OFFSETS_PARTITIONS);
  }

  checkTxnOffsetCommit(_member: TxnOffsetCommitMember): ErrorPart {
    return this.groupCheck;
  }

  commitTxnOffsets(groupId: string, producerId: number, producerEpoch: number, offsets: readonly TxnOffset[], commit: boolean): void {
    this.handed.push({ groupId, producerId, producerEpoch, offsets, commit });
  }

  createTransactionStateTopic(numPartitions: number, _replicationFactor: number, _minIsr: number): ErrorPart {
    this.topics.set(TRANSACTION_STATE_TOPIC, numPartitions);
    this.coordinator.onTransactionStateTopicCreated(numPartitions);
    const running = this.brokerList.filter((b) => b.status !== 'stopped');
    for (let p = 0; p < numPartitions; p++) {
      this.leaderEpochs.set(p, 0);
      this.coordinator.onElection(p, running[p % running.length]!.nodeId, 0);
    }
    return { errorCode: NONE };
  }

  record(event: TxnEvent): void {
    this.events.push(event);
  }

  /** Moves the leadership of a `__transaction_state` partition, with a new leader epoch (-1: no leader). */
  moveLeader(partition: number, leader: number): void {
    const epoch = (this.leaderEpochs.get(partition) ?? 0) + 1;
    this.leaderEpochs.set(partition, epoch);
    if (leader === -1) this.coordinator.onResignation(partition);
    else this.coordinator.onElection(partition, leader, epoch);
  }

  /** Lets virtual time pass, firing the coordinator's timers. */
  advance(ms: number): Promise<void> {
    return this.clock.advance(ms);
  }

  eventsOf<T extends TxnEvent['type']>(type: T): Extract<TxnEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<TxnEvent, { type: T }> => e.type === type);
  }
}

/** A transactional producer's side of the requests, at its current producer id and epoch. */
export class TestProducer {
  producerId = -1;
  epoch = -1;

  constructor(
    readonly broker: FakeBroker,
    readonly transactionalId: string,
    readonly timeoutMs = 60_000,
  ) {}

  private get c(): TransactionCoordinator {
    return this.broker.coordinator;
  }

  /** InitProducerId; on success the producer takes the id and epoch answered. `recover`: send its current id and epoch (KIP-360). */
  init(options: { version?: number; recover?: boolean } = {}): InitProducerIdAnswer {
    const answer = initProducerId(this.c, {
      transactionalId: this.transactionalId,
      transactionTimeoutMs: this.timeoutMs,
      ...(options.recover === true ? { producerId: this.producerId, producerEpoch: this.epoch } : {}),
      ...(options.version === undefined ? {} : { version: options.version }),
    });
    if (answer.errorCode === NONE) {
      this.producerId = answer.producerId;
      this.epoch = answer.producerEpoch;
    }
    return answer;
  }

  /** AddPartitionsToTxn; answers the first partition's code (they are all the same unless topics are unknown). */
  add(topic: string, partitions: readonly number[], version?: number): number {
    return this.addAll([{ topic, partitions }], version).results[0]!.partitions[0]!.errorCode;
  }

  addAll(topics: readonly { topic: string; partitions: readonly number[] }[], version?: number): AddPartitionsToTxnAnswer {
    return addPartitionsToTxn(this.c, { ...this.ids(), topics, ...(version === undefined ? {} : { version }) });
  }

  addOffsets(groupId: string, version?: number): number {
    return addOffsetsToTxn(this.c, { ...this.ids(), groupId, ...(version === undefined ? {} : { version }) }).errorCode;
  }

  commitOffsets(groupId: string, topic: string, offsets: Readonly<Record<number, number>>): number {
    const answer = txnOffsetCommit(this.c, {
      transactionalId: this.transactionalId,
      producerId: this.producerId,
      producerEpoch: this.epoch,
      groupId,
      topics: [{ topic, partitions: Object.entries(offsets).map(([p, o]) => ({ partition: Number(p), committedOffset: o })) }],
    });
    return answer.topics[0]!.partitions[0]!.errorCode;
  }

  end(commit: boolean, version?: number): number {
    return endTxn(this.c, { ...this.ids(), committed: commit, ...(version === undefined ? {} : { version }) }).errorCode;
  }

  private ids(): { transactionalId: string; producerId: number; producerEpoch: number } {
    return { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.epoch };
  }
}
