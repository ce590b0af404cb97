/**
 * The coordinator's timers, as Kafka's `CoordinatorTimer`: each is known by a key naming what it
 * waits for (the end of a group's join phase, a member's session), so scheduling a key again
 * replaces the pending timer rather than adding a second one, and a timer is cancelled by its key.
 * No Kafka request is modelled here; JoinGroup, SyncGroup and Heartbeat schedule through it.
 * A timer's operation returns what it writes, like a request's, and it is applied the same way.
 */
import type { TimerId } from '../clock.js';
import type { GroupPort } from './port.js';

/** Kafka's DelayedJoin / InitialDelayedJoin: the end of a group's join phase. */
export const joinKey = (groupId: string): string => `join:${groupId}`;
/** Kafka's DelayedSync: the end of a group's sync phase. */
export const syncKey = (groupId: string): string => `sync:${groupId}`;
/** A member's session (Kafka's DelayedHeartbeat); also a pending member's wait for its second JoinGroup. */
export const sessionKey = (groupId: string, memberId: string): string => `session:${groupId}:${memberId}`;
/** Kafka's periodic offset expiration (`offsets.retention.check.interval.ms`). */
export const RETENTION_KEY = 'offsets-retention';

/** Timers by key, on the cluster clock. */
export class CoordinatorTimer<W> {
  private readonly timers = new Map<string, TimerId>();

  constructor(
    private readonly clock: GroupPort['clock'],
    /** Applies what a timer's operation wrote. */
    private readonly apply: (written: W) => void,
  ) {}

  /** Runs `operation` after `delayMs`, replacing any timer pending under `key`. */
  schedule(key: string, delayMs: number, operation: () => W): void {
    this.cancel(key);
    const id = this.clock.schedule(delayMs, () => {
      this.timers.delete(key);
      this.apply(operation());
    });
    this.timers.set(key, id);
  }

  /** Schedules only when nothing is pending under `key`. */
  scheduleIfAbsent(key: string, delayMs: number, operation: () => W): void {
    if (!this.timers.has(key)) this.schedule(key, delayMs, operation);
  }

  /** Cancels the timer pending under `key`, if any. */
  cancel(key: string): void {
    const id = this.timers.get(key);
    if (id === undefined) return;
    this.clock.cancel(id);
    this.timers.delete(key);
  }

  /** Whether a timer is pending under `key`. */
  isScheduled(key: string): boolean {
    return this.timers.has(key);
  }

  /** The keys of the pending timers, in the order they were scheduled. */
  keys(): string[] {
    return [...this.timers.keys()];
  }
}
