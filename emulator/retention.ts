/**
 * Log retention, as each broker's log manager runs it: a first check `log.initial.task.delay.ms`
 * after the broker starts, then one every `log.retention.check.interval.ms`, each deleting the
 * segments of every replica the broker hosts that `retention.ms`, `retention.bytes` or the log
 * start offset (DeleteRecords) have left behind.
 *
 * As in Kafka's LogManager.cleanupLogs, compacted logs are left out of this pass: the log cleaner
 * deletes their old segments after each of its runs (emulator/cleaner.ts), by `retention.ms` and
 * `retention.bytes` only under `compact,delete`. A policy without `delete` keeps every segment
 * but those below the log start offset.
 */
import { hasPolicy } from './config.js';
import type { RetentionSettings } from './log.js';
import type { Broker, EngineState, Partition, Topic } from './state.js';

/** Schedules a broker's next retention check in `delay` ms; it reschedules itself while the broker runs. */
export function scheduleRetention(s: EngineState, broker: Broker, delay: number): void {
  broker.retentionTimer = s.clock.schedule(delay, () => {
    broker.retentionTimer = undefined;
    if (!broker.running || s.closed) return;
    applyRetention(s, broker.id);
    scheduleRetention(s, broker, s.config['log.retention.check.interval.ms']);
  });
}

/** One broker's retention pass over every replica it hosts of a log that is not compacted. */
function applyRetention(s: EngineState, brokerId: number): void {
  const now = s.clock.now();
  for (const topic of s.topics.values()) {
    if (hasPolicy(topic.config['cleanup.policy'], 'compact')) continue;
    for (const p of topic.partitions) applyReplicaRetention(s, topic, p, brokerId, now);
  }
}

const KEEP_ALL: RetentionSettings = { 'retention.ms': -1, 'retention.bytes': -1 };

/** Kafka's UnifiedLog.deleteOldSegments on broker `brokerId`'s replica of `p` (none: nothing). */
export function applyReplicaRetention(s: EngineState, topic: Topic, p: Partition, brokerId: number, now: number): void {
  const replica = p.replicaStates.get(brokerId);
  if (replica === undefined) return;
  if (p.leader === brokerId) replica.log.highWatermark = p.highWatermark;
  const settings = hasPolicy(topic.config['cleanup.policy'], 'delete') ? topic.config : KEEP_ALL;
  for (const d of replica.log.applyRetention(settings, now)) {
    s.log.record({
      type: 'segment-deleted',
      topic: topic.name,
      partition: p.index,
      broker: brokerId,
      baseOffset: d.baseOffset,
      endOffset: d.endOffset,
      size: d.size,
      maxTimestamp: d.maxTimestamp,
      reason: d.reason,
      logStartOffset: replica.log.logStartOffset,
    });
  }
}
