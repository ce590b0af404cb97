/**
 * The broker side of the transaction coordinator's port (emulator/transactions/port.ts): where its
 * markers, producer ids, group offsets and `__transaction_state` come from in the engine.
 *
 * WriteTxnMarkers is asynchronous in Kafka (an acks=all append on each partition's leader) and the
 * coordinator completes a transaction only once every marker is on its in-sync replicas. The
 * coordinator here asks synchronously and retries what is not done after a backoff, so the port
 * keeps each marker it appended but whose replication is still awaited, and answers
 * REQUEST_TIMED_OUT (retriable: ask again) until the write settles; it then answers the write's
 * outcome once and forgets it. A marker is thus appended once per leader, and again only when the
 * leader that had it lost it (NOT_LEADER_OR_FOLLOWER from the delayed write: the coordinator
 * retries on the new leader, as Kafka's marker channel does).
 */
import { NONE, type ErrorPart } from '../protocol/errors.js';
import type { BrokerConfig } from './config.js';
import { describeBrokers } from './controller.js';
import type { GroupCoordinator } from './groups/coordinator.js';
import { partitionForGroup } from '../protocol/hashing.js';
import { appendTxnMarker, type TxnMarkerResult } from './produce.js';
import { allocateProducerId, type EngineState } from './state.js';
import { createTopic } from './topics.js';
import { TRANSACTION_STATE_TOPIC, TXN_SETTINGS, type TxnMarker, type TxnPort, type TxnSettings } from './transactions/index.js';

const REQUEST_TIMED_OUT = 7;

/** The `transaction.*` settings out of the broker settings. */
export function txnSettingsOf(config: BrokerConfig): TxnSettings {
  const out: Record<string, number> = {};
  for (const name of Object.keys(TXN_SETTINGS) as (keyof typeof TXN_SETTINGS)[]) out[name] = config[name];
  return out as TxnSettings;
}

/** The port the engine gives its transaction coordinator. */
export function transactionPort(s: EngineState, groups: GroupCoordinator): TxnPort {
  /** Markers appended whose replication is awaited (undefined) or settled (the answer not yet collected). */
  const inFlight = new Map<string, TxnMarkerResult | undefined>();
  const keyOf = (m: TxnMarker) => `${m.topic}\u0000${m.partition}\u0000${m.producerId}\u0000${m.producerEpoch}\u0000${m.commit}`;
  const hasOpenTransaction = (m: TxnMarker): boolean => {
    const p = s.topics.get(m.topic)?.partitions[m.partition];
    return p !== undefined && p.leader !== -1 && p.replicaStates.get(p.leader)!.log.producerState.hasOpenTransaction(m.producerId);
  };
  const writeOne = (m: TxnMarker): number => {
    const key = keyOf(m);
    if (inFlight.has(key)) {
      const settled = inFlight.get(key);
      if (settled === undefined) return REQUEST_TIMED_OUT;
      inFlight.delete(key);
      // A transaction of the producer open there again means this answer belongs to an earlier
      // transaction whose coordinator never came back for it (the producer cannot begin another
      // before the last completes): this marker is a new one.
      if (!hasOpenTransaction(m)) return settled.errorCode;
    }
    const answer = appendTxnMarker(s, m, (result) => {
      if (inFlight.has(key)) inFlight.set(key, result);
    });
    if (answer !== 'waiting') return answer.errorCode;
    inFlight.set(key, undefined);
    return REQUEST_TIMED_OUT;
  };
  return {
    settings: txnSettingsOf(s.config),
    clock: s.clock,
    brokers: () => describeBrokers(s),
    partitionCount: (topic) => s.topics.get(topic)?.partitions.length,
    allocateProducerId: (broker) => allocateProducerId(s, broker),
    writeTxnMarkers: (markers) => markers.map(writeOne),
    offsetsPartitionFor: (groupId) => {
      // Creates __consumer_offsets on first use, as AddOffsetsToTxn's FindCoordinator would.
      const found = groups.partitionFor(groupId);
      return found.errorCode === NONE ? found.partition : partitionForGroup(groupId, s.config['offsets.topic.num.partitions']);
    },
    checkTxnOffsetCommit: (member) => groups.checkTxnOffsetCommit(member),
    commitTxnOffsets: (groupId, producerId, _epoch, offsets, commit) => groups.completeTxnOffsets(groupId, producerId, offsets, commit),
    createTransactionStateTopic: (numPartitions, replicationFactor, minIsr): ErrorPart => {
      const created = createTopic(s, {
        topic: TRANSACTION_STATE_TOPIC,
        numPartitions,
        replicationFactor,
        config: { 'min.insync.replicas': minIsr, 'cleanup.policy': 'compact' },
      });
      return created.errorCode === NONE ? { errorCode: NONE, errorMessage: null } : { errorCode: created.errorCode, errorMessage: created.errorMessage ?? null };
    },
    record: (event) => s.log.record(event),
  };
}
