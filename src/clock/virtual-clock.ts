/**
 * A virtual {@link Clock} for tests, the simulator and demos: time moves only when told to (or, with
 * `autoAdvance`, whenever the program has nothing else to do), so an hour-long campaign runs in
 * milliseconds while every timestamp and timeout it sees is realistic.
 * @module
 */
import { setImmediate as nextTurn, setTimeout as realDelay } from 'node:timers/promises';
import { ErrorCode, EscalatorError } from '../errors.js';
import type { Clock } from '../ports/clock.js';

/** Options of {@link createVirtualClock}. */
export interface VirtualClockOptions {
  /**
   * The time the clock starts at, in milliseconds since the epoch.
   * @defaultValue `Date.UTC(2026, 0, 1)` (a fixed time, so runs are reproducible)
   */
  readonly start?: number | undefined;
  /**
   * Jump to the next timer whenever the program is idle: timers are pending and one whole macrotask
   * turn (two `setImmediate`s) passed with no timer registered or fired. A program driven only by this
   * clock then runs as fast as possible.
   *
   * "Idle" sees only this clock's timers and the event loop's turns, not real I/O in flight: a program
   * that awaits a slow file or socket while a virtual timeout is pending may see the timeout fire first.
   * @defaultValue false
   */
  readonly autoAdvance?: boolean | undefined;
  /**
   * With `autoAdvance`, how much faster than real time to run: before jumping ahead by `delta` virtual
   * milliseconds the clock waits `delta / speed` real ones, so a person can watch (`--speed 10`).
   * Unset: jump at once.
   */
  readonly speed?: number | undefined;
}

/** A {@link Clock} whose time is moved by the test or simulation. */
export interface VirtualClock extends Clock {
  /**
   * Moves time forward by `ms`, firing every timer due on the way in time order (registration order
   * for equal times), with one macrotask turn after each so that the code it wakes can run and
   * register further timers, which fire too if due before the end.
   */
  advance(ms: number): Promise<void>;
  /** Like {@link VirtualClock.advance}, to an absolute time (not before {@link Clock.now}). */
  advanceTo(time: number): Promise<void>;
  /** Number of sleeps waiting for their time. */
  readonly pending: number;
  /**
   * Fires timers (and those they cause) until none is pending, moving time to each; returns how many
   * fired. Throws when `limit` timers fired and more are pending, which usually means an endless loop.
   * @defaultValue limit: 10_000
   */
  runAll(limit?: number): Promise<number>;
}

/**
 * Creates a {@link VirtualClock}.
 *
 * @example
 * ```ts
 * const clock = createVirtualClock({ autoAdvance: true });
 * await clock.sleep(3_600_000); // returns at once, and clock.now() is an hour later
 * ```
 */
export function createVirtualClock(options: VirtualClockOptions = {}): VirtualClock {
  const start = options.start ?? Date.UTC(2026, 0, 1);
  if (!Number.isFinite(start))
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      `start must be a finite time in milliseconds, got ${start}`,
    );
  const speed = options.speed;
  if (speed !== undefined && !(Number.isFinite(speed) && speed > 0))
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      `speed must be a number above 0 (e.g. 10), got ${speed}`,
    );
  return new VirtualClockImpl(start, options.autoAdvance ?? false, speed);
}

/** A waiting sleep. */
interface Timer {
  readonly time: number;
  readonly wake: () => void;
}

class VirtualClockImpl implements VirtualClock {
  #now: number;
  /** Sorted by time, then registration order. */
  readonly #timers: Timer[] = [];
  readonly #autoAdvance: boolean;
  readonly #speed: number | undefined;
  /** Counts registrations, fires and aborts: unchanged across turns means the program is idle. */
  #activity = 0;
  #autoRunning = false;
  /** Serialises advance, advanceTo, runAll and automatic jumps. */
  #busy: Promise<unknown> = Promise.resolve();

  constructor(start: number, autoAdvance: boolean, speed: number | undefined) {
    this.#now = start;
    this.#autoAdvance = autoAdvance;
    this.#speed = speed;
  }

  now(): number {
    return this.#now;
  }

  get pending(): number {
    return this.#timers.length;
  }

  sleep(ms: number, signal?: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const delay = Number.isNaN(ms) ? 0 : Math.max(ms, 0);
    if (delay === 0) return this.#nextTurn(signal);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#timers.indexOf(timer);
        if (index !== -1) this.#timers.splice(index, 1);
        this.#activity++;
        reject(signal?.reason);
      };
      const timer: Timer = {
        time: this.#now + delay,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#insert(timer);
      this.#activity++;
      this.#startAutoAdvance();
    });
  }

  advance(ms: number): Promise<void> {
    if (!(Number.isFinite(ms) && ms >= 0))
      return Promise.reject(
        new EscalatorError(ErrorCode.InvalidOption, `advance: ms must be a finite number ≥ 0, got ${ms}`),
      );
    return this.#exclusive(() => this.#runUntil(this.#now + ms));
  }

  advanceTo(time: number): Promise<void> {
    return this.#exclusive(async () => {
      if (!(Number.isFinite(time) && time >= this.#now))
        throw new EscalatorError(
          ErrorCode.InvalidOption,
          `advanceTo: ${time} is not a finite time at or after now (${this.#now}); virtual time never goes back`,
        );
      await this.#runUntil(time);
    });
  }

  runAll(limit = 10_000): Promise<number> {
    return this.#exclusive(async () => {
      let fired = 0;
      for (
        let timer = this.#timers[0];
        timer !== undefined && Number.isFinite(timer.time);
        timer = this.#timers[0]
      ) {
        if (fired >= limit)
          throw new EscalatorError(
            ErrorCode.InvalidOption,
            `runAll: ${fired} timers fired and ${this.#timers.length} are still pending (an endless chain of ` +
              'sleeps?); pass a higher limit if the program really needs more',
          );
        this.#fire(timer);
        fired++;
        await nextTurn();
      }
      return fired;
    });
  }

  /** Resolves on the next macrotask turn; no virtual time passes. */
  #nextTurn(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearImmediate(immediate);
        reject(signal?.reason);
      };
      const immediate = setImmediate(() => {
        signal?.removeEventListener('abort', onAbort);
        this.#activity++;
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #insert(timer: Timer): void {
    // Binary search for the first timer due strictly later: equal times keep registration order.
    let low = 0;
    let high = this.#timers.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#timers[mid]!.time <= timer.time) low = mid + 1;
      else high = mid;
    }
    this.#timers.splice(low, 0, timer);
  }

  /** Removes `timer` (the earliest), moves time to it and wakes its sleeper. */
  #fire(timer: Timer): void {
    this.#timers.shift();
    if (timer.time > this.#now) this.#now = timer.time;
    this.#activity++;
    timer.wake();
  }

  async #runUntil(target: number): Promise<void> {
    for (let timer = this.#timers[0]; timer !== undefined && timer.time <= target; timer = this.#timers[0]) {
      this.#fire(timer);
      await nextTurn();
    }
    if (target > this.#now) this.#now = target;
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#busy.then(task, task);
    this.#busy = run.catch(() => {});
    return run;
  }

  #startAutoAdvance(): void {
    if (!this.#autoAdvance || this.#autoRunning) return;
    this.#autoRunning = true;
    void this.#autoLoop();
  }

  async #autoLoop(): Promise<void> {
    try {
      while (this.#timers.length > 0) {
        const mark = this.#activity;
        await nextTurn();
        await nextTurn();
        if (this.#activity !== mark) continue; // not idle yet
        const next = this.#timers[0];
        if (next === undefined || !Number.isFinite(next.time)) break;
        if (this.#speed !== undefined && next.time > this.#now) {
          await realDelay((next.time - this.#now) / this.#speed);
          if (this.#activity !== mark) continue; // something happened meanwhile: look again
        }
        await this.#exclusive(async () => {
          const first = this.#timers[0];
          if (first !== undefined && Number.isFinite(first.time)) this.#fire(first);
        });
      }
    } finally {
      this.#autoRunning = false;
    }
  }
}
