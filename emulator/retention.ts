/**
 * Log retention, as each broker's log manager runs it: a first check `log.initial.task.delay.ms`
 * after the broker starts, then one every `log.retention.check.interval.ms`, each deleting the
 * segments of every replica the broker hosts that `retention.ms`, `retention.bytes` or the log
 * start offset (DeleteRecords) have left behind.
 */
import type { Broker, EngineState } from './state.js';

/** Schedules a broker's next retention check in `delay` ms; it reschedules itself while the broker runs. */
export function scheduleRetention(s: EngineState, broker: Broker, delay: number): void {
  broker.retentionTimer = s.clock.schedule(delay, () => {
    broker.retentionTimer = undefined;
    if (!broker.running || s.closed) return;
    applyRetention(s, broker.id);
    scheduleRetention(s, broker, s.config['log.retention.check.interval.ms']);
  });
}

/** One broker's retention pass over every replica it hosts. */
function applyRetention(s: EngineState, brokerId: number): void {
  const now = s.clock.now();
  for (const topic of s.topics.values()) {
    for (const p of topic.partitions) {
      const replica = p.replicaStates.get(brokerId);
      if (replica === undefined) continue;
      if (p.leader === brokerId) replica.log.highWatermark = p.highWatermark;
      for (const d of replica.log.applyRetention(topic.config, now)) {
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
  }
}
