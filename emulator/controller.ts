/**
 * The controller's decisions and the faults that call for them: leader elections (clean from the
 * ISR, unclean with `unclean.leader.election.enable`, preferred with
 * `auto.leader.rebalance.enable`), the leader's periodic ISR shrink (`replica.lag.time.max.ms`),
 * and stopping, starting, isolating and healing brokers. Also the brokers and the active
 * controller as Metadata describes them.
 */
import { failure } from '../protocol/errors.js';
import { OFFSETS_TOPIC } from './groups/port.js';
import { TRANSACTION_STATE_TOPIC } from './transactions/port.js';
import type { ReplicaLog } from './log.js';
import { failDelayedProduces, wakeDelayedFetches } from './purgatory.js';
import { knownLogEndOffset, replicate, setIsr, updateHighWatermark } from './replication.js';
import { scheduleRetention } from './retention.js';
import { brokerOf, forgetMetadata, isRunning, partitionsOn, type Broker, type EngineState, type Partition } from './state.js';

/** A broker as the cluster sees it. */
export interface BrokerDescription {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  /** `running`, `stopped`, or `isolated` (running but cut off from clients and replication). */
  readonly status: 'running' | 'stopped' | 'isolated';
}

/**
 * The brokers and their status, in id order. The twin's own addresses are nominal (the wire front
 * end advertises its own): localhost, 9092 for the first broker and the next ports in id order.
 */
export function describeBrokers(s: EngineState): BrokerDescription[] {
  return s.brokers.map((b, i) => ({ nodeId: b.id, host: 'localhost', port: 9092 + i, status: statusOf(b) }));
}

/** The active controller: in the twin, the running broker with the lowest id (in Kafka any broker may be); -1 when none runs. */
export function activeController(s: EngineState): number {
  return s.brokers.find((b) => b.running)?.id ?? -1;
}

function statusOf(b: Broker): BrokerDescription['status'] {
  if (!b.running) return 'stopped';
  return b.isolated ? 'isolated' : 'running';
}

/**
 * The controller's election for a partition whose leader is gone (or that has none yet): the
 * first running replica in assignment order that is in the ISR; failing that, with unclean
 * election enabled, the first running replica at all (ISR becomes just it); else no leader.
 */
export function electLeader(s: EngineState, p: Partition): void {
  const running = (b: number) => isRunning(s, b);
  const clean = p.replicas.find((b) => running(b) && p.isr.includes(b));
  if (clean !== undefined) {
    setLeader(s, p, clean, 'clean');
    return;
  }
  const unclean = p.topic.config['unclean.leader.election.enable'] ? p.replicas.find(running) : undefined;
  if (unclean !== undefined) {
    const formerIsr = p.isr;
    const removed = p.isr.filter((b) => b !== unclean);
    p.isr = [unclean];
    p.topic.metadata = undefined;
    if (removed.length > 0)
      s.log.record({ type: 'isr-shrunk', topic: p.topic.name, partition: p.index, isr: [unclean], removed, reason: 'unclean-election' });
    setLeader(s, p, unclean, 'unclean', formerIsr);
    return;
  }
  if (p.leader !== -1 || p.leaderEpoch === -1) {
    const previousLeader = p.leader;
    p.leader = -1;
    p.topic.metadata = undefined;
    s.log.record({
      type: 'leader-changed',
      topic: p.topic.name,
      partition: p.index,
      leader: -1,
      previousLeader,
      leaderEpoch: p.leaderEpoch,
      isr: [...p.isr],
      election: 'none',
    });
    if (p.topic.name === OFFSETS_TOPIC) s.coordinator?.onResignation(p.index);
    if (p.topic.name === TRANSACTION_STATE_TOPIC) s.txnCoordinator?.onResignation(p.index);
    wakeDelayedFetches(s, p);
  }
}

/**
 * The controller's election after a partition's replica set changed (a reassignment completed or
 * was cancelled), as Kafka's PartitionChangeBuilder makes it: the leader stays while it is still
 * a replica, in the ISR and running; otherwise the first running replica in the ISR, in the new
 * assignment's order, takes over ({@link electLeader}'s rules). When replicas were removed and the
 * leader stays, its epoch is bumped all the same, as Kafka does, so that the removed replicas'
 * requests are fenced.
 */
export function electAfterReassignment(s: EngineState, p: Partition, replicasRemoved: boolean): void {
  const stays = p.leader !== -1 && p.replicas.includes(p.leader) && p.isr.includes(p.leader) && isRunning(s, p.leader);
  if (!stays) {
    electLeader(s, p);
    return;
  }
  if (!replicasRemoved) return;
  p.leaderEpoch++;
  p.topic.metadata = undefined;
  p.replicaStates.get(p.leader)!.log.assignEpoch(p.leaderEpoch);
  wakeDelayedFetches(s, p);
}

/**
 * Makes `leader` the partition's leader in a new epoch. `formerIsr`, for an unclean election, is
 * the ISR that held the committed records (stopped brokers, whose logs the twin still has).
 */
function setLeader(s: EngineState, p: Partition, leader: number, election: 'clean' | 'unclean' | 'preferred', formerIsr: readonly number[] = []): void {
  const previousLeader = p.leader;
  if (previousLeader !== -1 && previousLeader !== leader) {
    failDelayedProduces(
      s,
      p,
      failure('NOT_LEADER_FOR_PARTITION', `Leadership of ${p.topic.name}-${p.index} moved from broker ${previousLeader} to ${leader}`),
    );
  }
  p.leader = leader;
  p.leaderEpoch++;
  p.topic.metadata = undefined;
  const now = s.clock.now();
  const leaderReplica = p.replicaStates.get(leader)!;
  leaderReplica.log.assignEpoch(p.leaderEpoch);
  for (const replica of p.replicaStates.values()) {
    if (replica.broker === leader) continue;
    replica.mustTruncate = true;
    replica.lastCaughtUpTime = now;
  }
  s.log.record({
    type: 'leader-changed',
    topic: p.topic.name,
    partition: p.index,
    leader,
    previousLeader,
    leaderEpoch: p.leaderEpoch,
    isr: [...p.isr],
    election,
  });
  if (p.topic.name === OFFSETS_TOPIC) s.coordinator?.onElection(p.index, leader);
  if (p.topic.name === TRANSACTION_STATE_TOPIC) s.txnCoordinator?.onElection(p.index, leader, p.leaderEpoch);
  wakeDelayedFetches(s, p);
  // A leader from the ISR holds every committed record, and every ISR member holds up to the high
  // watermark, so it stays (Kafka's new leader catches up to it as followers fetch).
  if (election === 'unclean') setUncleanLeaderHighWatermark(s, p, leaderReplica.log, formerIsr);
  replicate(s, p);
}

/**
 * An unclean leader's high watermark. As in Kafka, it starts from the high watermark the new
 * leader last knew and advances as usual (at once to its log end when it alone satisfies
 * min.insync.replicas). The committed records it lacks, or holds other records in place of (from
 * an older epoch, at the same offsets), are lost: they begin where its log stops agreeing with a
 * former ISR member's, by the leader-epoch rule that member applies when it follows. The event
 * log reports the high watermark going back to there, or to where it now stands if lower, even
 * when the new leader's log is long enough that in Kafka a reader sees it go back at no point.
 */
function setUncleanLeaderHighWatermark(s: EngineState, p: Partition, leaderLog: ReplicaLog, formerIsr: readonly number[]): void {
  let agreed = Infinity;
  for (const b of formerIsr) agreed = Math.min(agreed, p.replicaStates.get(b)!.log.divergenceFrom(leaderLog));
  const from = p.highWatermark;
  p.highWatermark = Math.min(from, leaderLog.highWatermark, agreed);
  leaderLog.highWatermark = p.highWatermark;
  updateHighWatermark(s, p);
  const to = Math.min(agreed, p.highWatermark);
  if (to < from) s.log.record({ type: 'high-watermark-decreased', topic: p.topic.name, partition: p.index, from, to });
}

/**
 * The leader's periodic ISR check (every `replica.lag.time.max.ms / 2`, as in Kafka): a
 * follower is out of sync when the leader has records it lacks and it has not caught up for
 * longer than `replica.lag.time.max.ms`. A follower with everything stays, fetching or not; one
 * that has not fetched since the leader changed is behind whatever the leader has, as in Kafka.
 */
export function shrinkLaggingIsrs(s: EngineState): void {
  const now = s.clock.now();
  const maxLag = s.config['replica.lag.time.max.ms'];
  for (const topic of s.topics.values()) {
    for (const p of topic.partitions) {
      if (p.leader === -1 || !isRunning(s, p.leader)) continue;
      const leaderEnd = p.replicaStates.get(p.leader)!.log.logEndOffset;
      const lagging = p.isr.filter((b) => {
        if (b === p.leader) return false;
        const r = p.replicaStates.get(b)!;
        return knownLogEndOffset(p, r) < leaderEnd && now - r.lastCaughtUpTime > maxLag;
      });
      if (lagging.length === 0) continue;
      setIsr(
        s,
        p,
        p.isr.filter((b) => !lagging.includes(b)),
        { removed: lagging, reason: 'lagging' },
      );
      updateHighWatermark(s, p);
    }
  }
}

/** `auto.leader.rebalance.enable`: leadership returns to the first replica once it is back in sync. */
export function electPreferredLeaders(s: EngineState): void {
  for (const topic of s.topics.values()) {
    for (const p of topic.partitions) {
      const preferred = p.replicas[0]!;
      if (p.leader !== preferred && p.leader !== -1 && isRunning(s, preferred) && p.isr.includes(preferred)) {
        setLeader(s, p, preferred, 'preferred');
      }
    }
  }
}

/**
 * Stops a broker, as a clean shutdown does on KRaft: it leaves every ISR it was in (unless it
 * was the last member), and leadership of its partitions moves to another in-sync replica.
 * With no in-sync replica left, the partition goes offline, or with
 * `unclean.leader.election.enable` an out-of-sync replica takes over. Its log is kept for
 * when it starts again. False when it was already stopped.
 */
export function stopBroker(s: EngineState, id: number): boolean {
  const broker = brokerOf(s, id);
  if (!broker.running) return false;
  broker.running = false;
  forgetMetadata(s);
  if (broker.retentionTimer !== undefined) s.clock.cancel(broker.retentionTimer);
  broker.retentionTimer = undefined;
  s.log.record({ type: 'broker-stopped', broker: id });
  for (const p of partitionsOn(s, id)) {
    const wasLeader = p.leader === id;
    if (wasLeader)
      failDelayedProduces(s, p, failure('NOT_LEADER_FOR_PARTITION', `Broker ${id} stopped and is no longer the leader of ${p.topic.name}-${p.index}`));
    if (p.isr.includes(id) && p.isr.length > 1)
      setIsr(
        s,
        p,
        p.isr.filter((b) => b !== id),
        { removed: [id], reason: 'broker-stopped' },
      );
    if (wasLeader) electLeader(s, p);
    updateHighWatermark(s, p);
  }
  return true;
}

/**
 * Starts a stopped broker. Its replicas reconcile with their leaders (truncating what a new
 * leader does not have), catch up, and rejoin the ISR; offline partitions it can lead come back.
 * False when it was already running.
 */
export function startBroker(s: EngineState, id: number): boolean {
  const broker = brokerOf(s, id);
  if (broker.running) return false;
  broker.running = true;
  forgetMetadata(s);
  s.log.record({ type: 'broker-started', broker: id });
  scheduleRetention(s, broker, s.config['log.initial.task.delay.ms']);
  for (const p of partitionsOn(s, id)) {
    p.replicaStates.get(id)!.mustTruncate = true;
    if (p.leader === -1) electLeader(s, p);
    else replicate(s, p);
  }
  return true;
}

/**
 * Cuts a running broker off from clients and from replication, while it still reaches the
 * controller: requests to it get no answer, its followers stop fetching and fall out of the ISR
 * once `replica.lag.time.max.ms` passes with the leader ahead of them. False when it was already
 * isolated.
 */
export function isolateBroker(s: EngineState, id: number): boolean {
  const broker = brokerOf(s, id);
  if (broker.isolated) return false;
  broker.isolated = true;
  s.log.record({ type: 'broker-isolated', broker: id });
  return true;
}

/** Restores an isolated broker's network; its followers catch up and rejoin the ISR. */
export function healBroker(s: EngineState, id: number): boolean {
  const broker = brokerOf(s, id);
  if (!broker.isolated) return false;
  broker.isolated = false;
  s.log.record({ type: 'broker-healed', broker: id });
  for (const p of partitionsOn(s, id)) replicate(s, p);
  return true;
}
