/**
 * The consumer's lifecycle, mirroring what kafkajs's consumer keeps across consumer/index.js
 * (`runner`, `consumerGroup` set or null, the restart after a crash) and runner.js (`running`,
 * `consuming`): here one named state, with its legal moves declared once in
 * {@link VALID_PREVIOUS_STATES} and asserted by {@link Lifecycle.transitionTo}, as the group
 * coordinator's states are in emulator/groups/group.ts.
 *
 * Whether the member holds its generation's assignment (it rejoins on every rebalance, and a
 * JoinGroup under way when stop() comes may still complete) is the group's, not the lifecycle's:
 * see `ConsumerGroup.joined` in group.ts.
 */
import { KafkaJSNonRetriableError } from '../../../protocol/errors.js';

/**
 * The states of a consumer. What each one means for the kafkajs calls, and what moves it on:
 */
export const LifecycleStates = {
  /**
   * Not connected: a new consumer, or one after disconnect().
   * run() rejects (not connected); connect() moves to connected.
   */
  disconnected: 'disconnected',
  /**
   * Connected, not consuming: after connect(), and after stop().
   * run() moves to running; disconnect() to disconnected.
   */
  connected: 'connected',
  /**
   * run() was called: the fetch loop joins the group (again after every rebalance), fetches,
   * hands batches to eachMessage/eachBatch, heartbeats and commits. seek() is allowed.
   * stop() moves to stopping; a crash kafkajs does not restart from moves to crashed (a crash it
   * restarts from, and a rebalance, stay here).
   */
  running: 'running',
  /**
   * stop() was called while running: the loop ends after the batch in hand (a JoinGroup under way
   * completes first), then what was processed is committed and the member leaves its group; back
   * to connected. Waits of the loop (long polls, backoffs) end at once. A run() now starts a new
   * loop at once, beside the one that is ending (kafkajs ignores it: its consumer still counts as
   * running until stop() returns); a disconnect() now does not wait for the end either.
   */
  stopping: 'stopping',
  /**
   * A crash kafkajs does not restart from (a TypeError in a handler, a non-retriable error, or
   * `retry.restartOnFailure` said no): the loop ended and the member left its group before CRASH
   * was emitted; run() resolved all the same, as kafkajs's does. run() may start again (also from
   * the CRASH listener); disconnect() moves to disconnected.
   */
  crashed: 'crashed',
  /**
   * crash(): the process is gone. It sends nothing more (no LeaveGroup, no commit, no event) and
   * cannot be used again: connect(), run() and commitOffsets() reject. No way out.
   */
  dead: 'dead',
} as const;

export type LifecycleState = (typeof LifecycleStates)[keyof typeof LifecycleStates];

/** For each state, the states a consumer may move to it from. {@link Lifecycle.transitionTo} enforces it. */
export const VALID_PREVIOUS_STATES: { readonly [S in LifecycleState]: readonly LifecycleState[] } = {
  disconnected: ['connected', 'crashed', 'stopping'],
  connected: ['disconnected', 'stopping'],
  running: ['connected', 'crashed', 'stopping'],
  stopping: ['running'],
  crashed: ['running'],
  dead: ['disconnected', 'connected', 'running', 'stopping', 'crashed'],
};

/** What a dead consumer's calls reject with. */
export function deadError(): InstanceType<typeof KafkaJSNonRetriableError> {
  return new KafkaJSNonRetriableError('The consumer crashed (crash()): a dead consumer cannot be used again; create a new one');
}

/** One consumer's lifecycle state, and the waits of its fetch loop that leaving `running` cuts short. */
export class Lifecycle {
  private current: LifecycleState = 'disconnected';
  private crashError: unknown;
  // One waker per wait, removed when the wait ends: racing every wait against one long-lived
  // promise would leave a reaction on it per idle round.
  private readonly wakers = new Set<() => void>();

  get state(): LifecycleState {
    return this.current;
  }

  /** The error of the crash (one kafkajs does not restart from) that ended the last run, if it did, as CRASH carried it. */
  get failure(): unknown {
    return this.crashError;
  }

  is(state: LifecycleState): boolean {
    return this.current === state;
  }

  /** Whether `to` is a legal move from the current state. */
  canMoveTo(to: LifecycleState): boolean {
    return VALID_PREVIOUS_STATES[to].includes(this.current);
  }

  /**
   * Moves to `to` (to `crashed` with the error that ended the run). An illegal move is a bug in
   * the consumer and throws. Leaving `running` ends every wait of the loop under way; starting a
   * run forgets the last one's crash.
   */
  transitionTo(to: LifecycleState, crashError?: unknown): void {
    if (!this.canMoveTo(to)) {
      throw new Error(`invariant: a consumer should be in one of [${VALID_PREVIOUS_STATES[to].join(', ')}] before moving to ${to}, but is ${this.current}`);
    }
    this.current = to;
    if (to === 'running') {
      this.crashError = undefined;
      return;
    }
    if (to === 'crashed') this.crashError = crashError;
    for (const wake of this.wakers) wake();
    this.wakers.clear();
  }

  /** Rejects as a dead consumer does. */
  assertAlive(): void {
    if (this.current === 'dead') throw deadError();
  }

  /** `wait`, or less when the consumer leaves `running` first (stop(), crash()); nothing at all when it is not running. */
  interruptible(wait: Promise<void>): Promise<void> {
    if (this.current !== 'running') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.wakers.add(resolve);
      wait.then(resolve, reject).finally(() => this.wakers.delete(resolve));
    });
  }
}
