/**
 * Kafka's two purgatories. Delayed produce: an acks=all write waits there until the high
 * watermark reaches its last offset (answered then, with NOT_ENOUGH_REPLICAS_AFTER_APPEND when
 * the ISR shrank below min.insync.replicas meanwhile), until its timeout (REQUEST_TIMED_OUT), or
 * until its partition's leadership moves or its topic goes. Delayed fetch (`awaitData`): a fetch
 * that found nothing waits there for new data, a leadership or topic change, or `maxWaitMs`.
 */
import { failure, type Failure } from '../protocol/errors.js';
import { effectiveMinIsr, type DelayedFetch, type DelayedProduce, type EngineState, type Partition } from './state.js';

/**
 * Parks an acks=all write of `p` until the high watermark reaches `requiredOffset`; `complete`
 * gets the outcome (no failure: the ISR has the records).
 */
export function delayProduce(s: EngineState, p: Partition, requiredOffset: number, timeout: number, complete: (error: Failure | undefined) => void): void {
  const delayed: DelayedProduce = {
    requiredOffset,
    complete,
    timer: s.clock.schedule(timeout, () => {
      p.waiting = p.waiting.filter((w) => w !== delayed);
      complete(
        failure(
          'REQUEST_TIMED_OUT',
          `Timed out after ${timeout} ms waiting for the in-sync replicas of ${p.topic.name}-${p.index} to reach offset ${requiredOffset}`,
        ),
      );
    }),
  };
  p.waiting.push(delayed);
}

/** The high watermark of `p` moved to `hw`: the delayed writes it covers are answered. */
export function completeDelayedProduces(s: EngineState, p: Partition, hw: number): void {
  if (p.waiting.length === 0) return;
  const minIsr = effectiveMinIsr(p);
  const still: DelayedProduce[] = [];
  for (const w of p.waiting) {
    if (w.requiredOffset > hw) {
      still.push(w);
      continue;
    }
    s.clock.cancel(w.timer);
    if (p.isr.length < minIsr) {
      w.complete(
        failure(
          'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
          `The records were written to ${p.topic.name}-${p.index} but the ISR [${p.isr.join(', ')}] shrank below min.insync.replicas=${minIsr}`,
        ),
      );
    } else w.complete(undefined);
  }
  p.waiting = still;
}

/** Answers every delayed write of `p` with `error` (its leader moved, its topic went, the engine closed). */
export function failDelayedProduces(s: EngineState, p: Partition, error: Failure): void {
  for (const w of p.waiting) {
    s.clock.cancel(w.timer);
    w.complete(error);
  }
  p.waiting = [];
}

/**
 * A delayed fetch: resolves as soon as any of the given partitions' high watermark passes the
 * given offset, when the partition's leadership or the topic changes, or after `maxWaitMs` of
 * cluster time, whichever comes first. Never rejects: the fetch that follows answers the errors.
 */
export function awaitData(
  s: EngineState,
  positions: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[],
  maxWaitMs: number,
  isolationLevel: 'read_uncommitted' | 'read_committed' = 'read_uncommitted',
): Promise<void> {
  for (const { topic, partition, offset } of positions) {
    const p = s.topics.get(topic)?.partitions[partition];
    if (p === undefined || p.leader === -1) return Promise.resolve();
    // As Kafka's DelayedFetch: a read_committed reader waits for data below the last stable offset, not the high watermark.
    const readable = isolationLevel === 'read_committed' ? p.replicaStates.get(p.leader)!.log.lastStableOffsetBelow(p.highWatermark) : p.highWatermark;
    if (readable > offset) return Promise.resolve();
  }
  const watched = new Set(positions.map((x) => s.topics.get(x.topic)!.partitions[x.partition]!));
  return new Promise<void>((resolve) => {
    const waiter: DelayedFetch = {
      wake: () => {
        s.delayedFetches.delete(waiter);
        for (const p of watched) {
          const set = s.delayedFetchesByPartition.get(p)!;
          set.delete(waiter);
          if (set.size === 0) s.delayedFetchesByPartition.delete(p);
        }
        s.clock.cancel(timer);
        resolve();
      },
    };
    const timer = s.clock.schedule(maxWaitMs, waiter.wake);
    s.delayedFetches.add(waiter);
    for (const p of watched) {
      const set = s.delayedFetchesByPartition.get(p);
      if (set === undefined) s.delayedFetchesByPartition.set(p, new Set([waiter]));
      else set.add(waiter);
    }
  });
}

/** Wakes the delayed fetches watching `p`, or all of them when `p` is undefined (a topic or leadership change). */
export function wakeDelayedFetches(s: EngineState, p: Partition | undefined): void {
  if (s.delayedFetches.size === 0) return;
  const waiters = p === undefined ? s.delayedFetches : s.delayedFetchesByPartition.get(p);
  if (waiters !== undefined) for (const waiter of [...waiters]) waiter.wake();
}
