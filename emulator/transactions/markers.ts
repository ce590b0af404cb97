/**
 * The end of a transaction (Kafka's `TransactionMarkerChannelManager` and the completion in
 * `TransactionCoordinator.endTransaction`): once the commit or abort is decided (PrepareCommit /
 * PrepareAbort), a COMMIT or ABORT marker goes to every partition of the transaction through the
 * port; a partition answered with a retriable error is retried after a backoff, one whose topic is
 * gone is dropped, as Kafka does. When every marker is written the transaction completes
 * (CompleteCommit / CompleteAbort). Offsets held for a group are handed to the group coordinator
 * when the marker on the group's `__consumer_offsets` partition is written.
 *
 * Kafka's new coordinator re-sends every marker of a decided transaction after it loads the
 * partition; the twin keeps which markers were written across the move and sends the others, so
 * each partition gets one marker per transaction.
 */
import { KAFKA_ERRORS } from '../../protocol/errors.js';
import type { TransactionCoordinator } from './coordinator.js';
import type { TxnAbortReason } from './events.js';
import { TxnErrors } from './messages.js';
import { CONSUMER_OFFSETS_TOPIC, type TxnMarker } from './port.js';
import type { TransactionMetadata } from './state.js';

/**
 * How long the coordinator waits before resending markers answered with a retriable error. Kafka's
 * marker sender retries on its next poll of the broker queues; the twin names a fixed backoff.
 */
export const MARKER_RETRY_BACKOFF_MS = 100;

/** The timer key of a decided transaction's marker sending. */
export const markersKey = (transactionalId: string): string => `markers:${transactionalId}`;

const RETRY: ReadonlySet<number> = new Set([
  TxnErrors.UNKNOWN_TOPIC_OR_PARTITION,
  TxnErrors.LEADER_NOT_AVAILABLE,
  TxnErrors.NOT_LEADER_OR_FOLLOWER,
  TxnErrors.REQUEST_TIMED_OUT,
  TxnErrors.NETWORK_EXCEPTION,
  TxnErrors.NOT_ENOUGH_REPLICAS,
  TxnErrors.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  TxnErrors.KAFKA_STORAGE_ERROR,
]);
/** A newer coordinator owns the transaction: this one stops sending (Kafka's `abortSending`). */
const STOP: ReadonlySet<number> = new Set([TxnErrors.INVALID_PRODUCER_EPOCH, TxnErrors.TRANSACTION_COORDINATOR_FENCED]);

function codeName(code: number): string {
  for (const row of KAFKA_ERRORS.values()) if (row.code === code) return row.type;
  const local = Object.entries(TxnErrors).find(([, c]) => c === code);
  return local?.[0] ?? `error ${code}`;
}

/**
 * Decides the transaction under way: Ongoing → PrepareCommit / PrepareAbort (from
 * PrepareEpochFence when fenced), and its markers go out on the next tick of the cluster clock.
 */
export function decide(c: TransactionCoordinator, txn: TransactionMetadata, commit: boolean, reason: TxnAbortReason): void {
  txn.transitionTo(commit ? 'PrepareCommit' : 'PrepareAbort');
  txn.decided = txn.topicPartitions();
  txn.abortReason = reason;
  txn.txnLastUpdateTimestamp = c.port.clock.now();
  txn.markersFenced = false;
  scheduleMarkers(c, txn, 0);
}

/**
 * Fences the producer of an Ongoing transaction and aborts the transaction (Kafka's
 * `prepareFenceProducerEpoch` then `endTransaction(ABORT, isFromClient = false)`): the epoch is
 * bumped, so the producer's next request at its old epoch is refused, and the markers carry the
 * bumped epoch. `reason`: InitProducerId from a new instance ('fenced') or the timeout.
 */
export function fenceAndAbort(c: TransactionCoordinator, txn: TransactionMetadata, reason: 'fenced' | 'timeout'): void {
  const fencedEpoch = txn.producerEpoch;
  if (reason === 'timeout') {
    c.record({
      type: 'txn-timed-out',
      transactionalId: txn.transactionalId,
      producerId: txn.producerId,
      producerEpoch: fencedEpoch,
      transactionTimeoutMs: txn.txnTimeoutMs,
      startedAt: txn.txnStartTimestamp,
    });
  }
  txn.transitionTo('PrepareEpochFence');
  txn.producerEpoch = fencedEpoch + 1;
  txn.lastProducerEpoch = -1;
  c.record({
    type: 'txn-fenced',
    transactionalId: txn.transactionalId,
    producerId: txn.producerId,
    fencedEpoch,
    producerEpoch: txn.producerEpoch,
    newProducerId: txn.producerId,
    reason: reason === 'timeout' ? 'timeout' : 'init',
  });
  decide(c, txn, false, reason);
}

export function scheduleMarkers(c: TransactionCoordinator, txn: TransactionMetadata, delayMs: number): void {
  c.timers.schedule(markersKey(txn.transactionalId), delayMs, () => sendMarkers(c, txn));
}

/**
 * Writes the markers not yet written, at the partition's current coordinator epoch; completes the
 * transaction when none is left, otherwise tries again after {@link MARKER_RETRY_BACKOFF_MS}.
 * Nothing is sent while the transaction's `__transaction_state` partition has no leader: its next
 * leader sends them.
 */
export function sendMarkers(c: TransactionCoordinator, txn: TransactionMetadata): void {
  if (!txn.completionPending || txn.markersFenced || c.leaderOf(txn.partition) === -1) return;
  const commit = txn.state === 'PrepareCommit';
  const toSend: TxnMarker[] = [];
  for (const tp of txn.topicPartitions()) {
    const count = c.port.partitionCount(tp.topic);
    if (count === undefined || tp.partition >= count) {
      // Kafka drops a partition whose topic is gone: there is no log to mark.
      txn.removePartition(tp.topic, tp.partition);
      continue;
    }
    toSend.push({
      topic: tp.topic,
      partition: tp.partition,
      producerId: txn.producerId,
      producerEpoch: txn.producerEpoch,
      coordinatorEpoch: c.coordinatorEpochOf(txn.partition),
      commit,
    });
  }
  if (toSend.length > 0) {
    const codes = c.port.writeTxnMarkers(toSend);
    if (codes.length !== toSend.length) {
      throw new Error(`invariant: writeTxnMarkers answered ${codes.length} codes for ${toSend.length} markers`);
    }
    codes.forEach((code, i) => {
      const m = toSend[i]!;
      if (code === TxnErrors.NONE) {
        txn.removePartition(m.topic, m.partition);
        if (m.topic === CONSUMER_OFFSETS_TOPIC) handOverOffsets(c, txn, m.partition, commit);
      } else if (code === TxnErrors.UNSUPPORTED_FOR_MESSAGE_FORMAT) {
        txn.removePartition(m.topic, m.partition);
      } else if (STOP.has(code)) {
        txn.markersFenced = true;
      } else if (!RETRY.has(code)) {
        throw new Error(
          `invariant: WriteTxnMarkers answered ${codeName(code)} (${code}) for ${m.topic}-${m.partition} of transactional id ${txn.transactionalId}; Kafka's coordinator treats it as a broken broker`,
        );
      }
    });
  }
  if (txn.markersFenced) return;
  if (txn.topicPartitions().length === 0) complete(c, txn, commit);
  else scheduleMarkers(c, txn, MARKER_RETRY_BACKOFF_MS);
}

/** The marker on a `__consumer_offsets` partition is written: the groups living there get their held offsets. */
function handOverOffsets(c: TransactionCoordinator, txn: TransactionMetadata, offsetsPartition: number, commit: boolean): void {
  for (const [groupId, held] of [...txn.pendingOffsets]) {
    if (c.port.offsetsPartitionFor(groupId) !== offsetsPartition) continue;
    c.port.commitTxnOffsets(groupId, txn.producerId, txn.producerEpoch, [...held.values()], commit);
    txn.pendingOffsets.delete(groupId);
  }
}

/** Every marker is written: PrepareCommit → CompleteCommit, PrepareAbort → CompleteAbort (Kafka's `prepareComplete`). */
function complete(c: TransactionCoordinator, txn: TransactionMetadata, commit: boolean): void {
  c.timers.cancel(markersKey(txn.transactionalId));
  const now = c.port.clock.now();
  txn.transitionTo(commit ? 'CompleteCommit' : 'CompleteAbort');
  txn.txnLastUpdateTimestamp = now;
  const base = {
    transactionalId: txn.transactionalId,
    producerId: txn.producerId,
    producerEpoch: txn.producerEpoch,
    partitions: txn.decided,
    durationMs: now - txn.txnStartTimestamp,
  };
  // Offsets held for a group whose partition's topic is gone have no marker to wait for.
  txn.clearTransaction();
  txn.decided = [];
  c.record(commit ? { type: 'txn-commit', ...base } : { type: 'txn-abort', ...base, reason: txn.abortReason });
}
