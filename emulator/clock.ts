/**
 * Time for the engine. The engine never reads wall time directly: every timestamp and every
 * timer goes through a {@link Clock}, so a virtual clock makes a whole cluster deterministic.
 *
 * This file is the only place in `emulator/` that touches wall time (the real clock).
 */

/**
 * Where a virtual clock starts unless told otherwise: 2024-01-01T00:00:00Z. A fixed instant keeps
 * every run of a virtual-clock cluster identical (timestamps, ids, logs), as any fixed start
 * would; a recent one makes its record timestamps look like real ones (kcat, a log line, a
 * date-partitioned sink read them as dates) where 0 would read as 1970, and where code that
 * takes a small timestamp for "none" would misread them.
 */
export const DEFAULT_START_TIME = Date.UTC(2024, 0, 1);

/** A handle returned by {@link Clock.schedule}; pass it to {@link Clock.cancel}. */
export type TimerId = number;

/** The clock interface the engine runs on. */
export interface Clock {
  /** `'virtual'` advances only when told to; `'real'` follows wall time. */
  readonly kind: 'virtual' | 'real';
  /** Milliseconds since the epoch (virtual: since the clock's start time). */
  now(): number;
  /** Runs `fn` once, `delayMs` from now. Timers due at the same instant fire in scheduling order. */
  schedule(delayMs: number, fn: () => void): TimerId;
  /** Cancels a timer; cancelling one that already fired or was cancelled is a no-op. */
  cancel(id: TimerId): void;
  /**
   * Lets `ms` of time pass. On the virtual clock this fires every timer that falls due, in order,
   * and lets the work each one starts settle before the next fires. On the real clock it waits.
   */
  advance(ms: number): Promise<void>;
  /** Cancels every pending timer (and, on the real clock, every {@link Clock.keepAlive} hold). */
  close(): void;
  /**
   * Keeps the process alive until the returned function is called, as a connected client's socket
   * does; the twin's clients hold it from connect() to disconnect(). Only the real clock has
   * anything to keep alive (its timers never do, so a forgotten cluster lets the process exit).
   */
  keepAlive?(): () => void;
}

interface Timer {
  at: number;
  seq: number;
  id: TimerId;
  fn: () => void;
}

/** Lets queued promise callbacks (and whatever they queue in turn) run before going on. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock that moves only through {@link VirtualClock.advance}. Timers live in a binary heap
 * ordered by due time, then by the order they were scheduled, so runs are reproducible.
 */
export class VirtualClock implements Clock {
  readonly kind = 'virtual' as const;
  private current: number;
  private readonly heap: Timer[] = [];
  private readonly live = new Map<TimerId, Timer>();
  private nextId = 1;
  private seq = 0;
  private advancing: Promise<void> = Promise.resolve();
  /** Drives under way, by id in the order they started: the newest one moves time. */
  private readonly drives = new Set<number>();
  private lastDrive = 0;

  /** @param startTime - where time starts; a bare clock counts from 0 (a cluster starts it at {@link DEFAULT_START_TIME}). */
  constructor(startTime = 0) {
    this.current = startTime;
  }

  now(): number {
    return this.current;
  }

  schedule(delayMs: number, fn: () => void): TimerId {
    const timer: Timer = { at: this.current + Math.max(0, delayMs), seq: this.seq++, id: this.nextId++, fn };
    this.live.set(timer.id, timer);
    this.push(timer);
    return timer.id;
  }

  cancel(id: TimerId): void {
    // Lazy deletion: the heap entry stays until it surfaces, then is skipped.
    this.live.delete(id);
  }

  /** Number of timers still pending. */
  pending(): number {
    return this.live.size;
  }

  /** Due time of the earliest pending timer, or `undefined` when none is pending. */
  nextDueTime(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /**
   * Awaits `promise`, moving time forward only as far as it needs: whenever nothing else can
   * happen, the clock jumps to the next due timer. Rejects with a RangeError naming the limit if
   * the promise is still pending after `maxMs` of virtual time. Drives nest (a client's `stop()`
   * awaits a handler that awaits `send()`): only the newest one under way moves time, so an outer
   * one never jumps to a far timer while an inner one's work is still settling.
   */
  async drive<T>(promise: Promise<T>, maxMs: number): Promise<T> {
    const id = ++this.lastDrive;
    this.drives.add(id);
    let settled = false;
    const watched = promise.finally(() => (settled = true));
    watched.catch(() => undefined);
    const limit = this.current + maxMs;
    try {
      await settle();
      while (!settled) {
        if (this.newestDrive() !== id) {
          await settle();
          continue;
        }
        const next = this.nextDueTime();
        if (next === undefined || next > limit) {
          await this.advanceTo(limit);
          await settle();
          if (!settled) throw new RangeError(`still pending after ${maxMs} ms of virtual time`);
          break;
        }
        await this.advanceTo(next);
      }
      return await watched;
    } finally {
      this.drives.delete(id);
    }
  }

  /** Whether a {@link drive} is under way (some awaited call is moving time as it needs). */
  get driving(): boolean {
    return this.drives.size > 0;
  }

  private newestDrive(): number {
    let newest = 0;
    for (const id of this.drives) newest = id;
    return newest;
  }

  /**
   * Moves time to `time` (no-op when it has passed). Unlike {@link advance}, the target is
   * absolute, so several drivers waiting at once never move time further than one of them needs.
   */
  advanceTo(time: number): Promise<void> {
    const run = this.advancing.then(() => this.run(Math.max(0, time - this.current)));
    this.advancing = run.catch(() => undefined);
    return run;
  }

  advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) {
      return Promise.reject(new RangeError(`advance(ms) needs a finite, non-negative number of milliseconds, got ${ms}`));
    }
    // Concurrent advances queue behind each other, so time only ever moves forward in one line.
    const run = this.advancing.then(() => this.run(ms));
    this.advancing = run.catch(() => undefined);
    return run;
  }

  private async run(ms: number): Promise<void> {
    const target = this.current + ms;
    await settle();
    for (;;) {
      this.dropCancelled();
      const head = this.heap[0];
      if (head === undefined || head.at > target) break;
      this.pop();
      this.live.delete(head.id);
      this.current = head.at;
      head.fn();
      await settle();
    }
    this.current = target;
    await settle();
  }

  close(): void {
    this.live.clear();
    this.heap.length = 0;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && !this.live.has(this.heap[0]!.id)) this.pop();
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * Wall-clock time. Timers are unref'd so a forgotten cluster never keeps the process alive; a
 * connected client does, through {@link RealClock.keepAlive}, as kafkajs's open sockets do.
 */
export class RealClock implements Clock {
  readonly kind = 'real' as const;
  private readonly timers = new Map<TimerId, NodeJS.Timeout>();
  private nextId = 1;
  private readonly holds = new Set<object>();
  /** A ref'd timer that never fires: it keeps the event loop alive while there are holds. */
  private keeper: ReturnType<typeof setInterval> | undefined;

  /** Keeps the process alive until every returned function was called (each counts once). */
  keepAlive(): () => void {
    const hold = {};
    this.holds.add(hold);
    this.keeper ??= setInterval(() => undefined, 2 ** 31 - 1);
    return () => {
      if (!this.holds.delete(hold) || this.holds.size > 0) return;
      clearInterval(this.keeper);
      this.keeper = undefined;
    };
  }

  /** Whether some hold keeps the process alive. */
  get keepingAlive(): boolean {
    return this.holds.size > 0;
  }

  now(): number {
    return Date.now();
  }

  schedule(delayMs: number, fn: () => void): TimerId {
    const id = this.nextId++;
    const handle = setTimeout(
      () => {
        this.timers.delete(id);
        fn();
      },
      Math.max(0, delayMs),
    );
    handle.unref();
    this.timers.set(id, handle);
    return id;
  }

  cancel(id: TimerId): void {
    const handle = this.timers.get(id);
    if (handle !== undefined) clearTimeout(handle);
    this.timers.delete(id);
  }

  advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) {
      return Promise.reject(new RangeError(`advance(ms) needs a finite, non-negative number of milliseconds, got ${ms}`));
    }
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  close(): void {
    for (const handle of this.timers.values()) clearTimeout(handle);
    this.timers.clear();
    // A closed cluster answers nothing more: its clients no longer hold the process.
    this.holds.clear();
    clearInterval(this.keeper);
    this.keeper = undefined;
  }
}
