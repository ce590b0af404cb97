/**
 * Replication: followers fetching from their leader (Kafka's replica fetcher), the truncation a
 * follower does after a leader change (OffsetsForLeaderEpoch), the ISR growing back as followers
 * catch up, and the high watermark, which completes delayed acks=all writes as it moves.
 *
 * A follower fetches as soon as there is something to fetch and it can reach the leader.
 * Loopback replication on a real cluster takes milliseconds; the twin makes it instantaneous and
 * lets faults (a stopped or isolated broker) be the only reason a follower falls behind. See
 * docs/fidelity.md.
 */
import { completeDelayedProduces, wakeDelayedFetches } from './purgatory.js';
import { sliceBatch, type RecordBatch } from './records.js';
import { effectiveMinIsr, isIsolated, leaderLog, type EngineState, type Partition, type Replica } from './state.js';

/** Followers that can reach the leader fetch everything it has, then the ISR and HW follow. */
export function replicate(s: EngineState, p: Partition): void {
  if (p.leader === -1) return;
  const leaderBroker = s.brokersById.get(p.leader)!;
  if (leaderBroker.running && !leaderBroker.isolated) {
    for (const b of p.replicas) {
      if (b === p.leader) continue;
      const broker = s.brokersById.get(b)!;
      if (broker.running && !broker.isolated) fetchAsFollower(s, p, p.replicaStates.get(b)!);
    }
  }
  updateHighWatermark(s, p);
  // Only once every follower has fetched: completing a reassignment changes the replicas.
  if (p.reassignment !== undefined) s.afterIsrExpansion?.(p);
}

function fetchAsFollower(s: EngineState, p: Partition, follower: Replica): void {
  const leader = leaderLog(p);
  const log = follower.log;
  const now = s.clock.now();
  if (follower.mustTruncate) {
    // Kafka's OffsetsForLeaderEpoch: cut the follower's log back to where it and the new
    // leader's agree. This is where an unclean election's data loss becomes visible.
    follower.mustTruncate = false;
    truncate(s, p, follower, log.divergenceFrom(leader));
  }
  if (log.logEndOffset < leader.logStartOffset || log.logEndOffset > leader.logEndOffset) {
    const from = log.logEndOffset;
    log.truncateFullyAndStartAt(leader.logStartOffset, now);
    if (from > leader.logEndOffset) {
      s.log.record({
        type: 'log-truncated',
        topic: p.topic.name,
        partition: p.index,
        broker: follower.broker,
        from,
        to: log.logEndOffset,
        records: from - log.logEndOffset,
      });
    }
  }
  for (const batch of leader.batchesFrom(log.logEndOffset)) {
    const from = log.logEndOffset;
    appendToReplica(s, p, follower, sliceBatch(batch, from - batch.baseOffset));
  }
  log.advanceLogStartOffset(leader.logStartOffset);
  if (log.logEndOffset === leader.logEndOffset) follower.lastCaughtUpTime = now;
  log.highWatermark = Math.min(p.highWatermark, log.logEndOffset);
  // A caught-up follower rejoins the ISR once it holds everything up to the high watermark
  // and the leader's current epoch.
  if (!p.isr.includes(follower.broker) && log.logEndOffset >= p.highWatermark && log.logEndOffset >= leader.latestEpochStartOffset) {
    setIsr(s, p, sortByReplicaOrder(p, [...p.isr, follower.broker]), { added: follower.broker });
  }
}

/** Appends a batch to one replica's log, recording a segment roll. */
export function appendToReplica(s: EngineState, p: Partition, replica: Replica, batch: RecordBatch): void {
  const rolled = replica.log.append(batch, p.topic.config, s.clock.now());
  if (rolled !== undefined)
    s.log.record({ type: 'segment-rolled', topic: p.topic.name, partition: p.index, broker: replica.broker, baseOffset: batch.baseOffset });
}

function truncate(s: EngineState, p: Partition, replica: Replica, offset: number): void {
  const from = replica.log.logEndOffset;
  const records = replica.log.truncateTo(offset, s.clock.now());
  if (records > 0)
    s.log.record({ type: 'log-truncated', topic: p.topic.name, partition: p.index, broker: replica.broker, from, to: replica.log.logEndOffset, records });
}

/** Changes the ISR (the controller's AlterPartition), recording why. */
export function setIsr(
  s: EngineState,
  p: Partition,
  isr: number[],
  change: { removed: number[]; reason: 'lagging' | 'broker-stopped' } | { added: number },
): void {
  p.isr = isr;
  p.topic.metadata = undefined;
  if ('added' in change) s.log.record({ type: 'isr-expanded', topic: p.topic.name, partition: p.index, isr: [...isr], added: change.added });
  else s.log.record({ type: 'isr-shrunk', topic: p.topic.name, partition: p.index, isr: [...isr], removed: change.removed, reason: change.reason });
}

/**
 * A replica's log end offset as its leader knows it: the leader's own, or what a follower has
 * fetched up to in the current leader epoch. A follower that has not fetched since the leader
 * changed (stopped, isolated, or not yet reached) is unknown, -1, as Kafka's new leader resets
 * every follower's fetch state (Partition.makeLeader): its log may still hold the old leader's
 * records at offsets the new leader has written others to, so its length proves nothing.
 */
export function knownLogEndOffset(p: Partition, replica: Replica): number {
  if (replica.broker !== p.leader && replica.mustTruncate) return -1;
  return replica.log.logEndOffset;
}

/**
 * HW = the smallest log end offset in the ISR, as the leader knows them ({@link knownLogEndOffset}). Never moves back here; acks=all writes complete as
 * it moves. As Kafka 3.7+ (KIP-966): it does not move while the ISR is below the effective min ISR.
 */
export function updateHighWatermark(s: EngineState, p: Partition): void {
  if (p.leader === -1 || p.isr.length < effectiveMinIsr(p)) return;
  let hw = Infinity;
  for (const b of p.isr) hw = Math.min(hw, knownLogEndOffset(p, p.replicaStates.get(b)!));
  if (hw === Infinity || hw <= p.highWatermark) return;
  p.highWatermark = hw;
  wakeDelayedFetches(s, p);
  leaderLog(p).highWatermark = hw;
  if (!isIsolated(s, p.leader)) {
    for (const b of p.isr) {
      if (b === p.leader) continue;
      const log = p.replicaStates.get(b)!.log;
      if (!isIsolated(s, b)) log.highWatermark = Math.min(hw, log.logEndOffset);
    }
  }
  completeDelayedProduces(s, p, hw);
}

function sortByReplicaOrder(p: Partition, brokers: number[]): number[] {
  return brokers.sort((a, b) => p.replicas.indexOf(a) - p.replicas.indexOf(b));
}
