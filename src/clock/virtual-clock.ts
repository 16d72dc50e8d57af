/**
 * A virtual {@link Clock} for tests, the simulator and demos: time moves only when told to (or, with
 * `autoAdvance`, whenever the program has nothing else to do), so an hour-long campaign runs in
 * milliseconds while every timestamp and timeout it sees is realistic.
 * @module
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
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
   * that awaits a slow file or socket while a virtual timeout is pending would see the timeout fire
   * first. Wrap such work in {@link VirtualClock.hold} so that time waits for it.
   * @defaultValue false
   */
  readonly autoAdvance?: boolean | undefined;
  /**
   * With `autoAdvance`, how much faster than real time to run: before jumping ahead by `delta` virtual
   * milliseconds the clock waits `delta / speed` real ones, so a person can watch (`--speed 10`).
   * A timer registered during that wait is looked at at once (a distant timer does not hold up a near
   * one). Only the pace changes: virtual time moves from timer to timer exactly as without a speed.
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
   * Keeps automatic advancing from jumping while `work` (real I/O: a journal append, a file read) is
   * in flight, so that virtual time does not depend on how fast the disk is; returns `work`.
   * `advance`, `advanceTo` and `runAll` are not held: whoever calls them decides.
   * @example
   * ```ts
   * await clock.hold(store.append('campaign-1', records)); // no timer fires while the records are written
   * ```
   */
  hold<T>(work: Promise<T>): Promise<T>;
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
  /** Pieces of real work in flight ({@link VirtualClock.hold}). */
  #held = 0;
  /** Wakes the automatic loop early: a timer was registered or held work ended. */
  #poke: (() => void) | undefined;
  /** The virtual and real times of the last automatic jump: with a speed, the pace is kept from there. */
  #paceFrom: { virtual: number; real: number } | undefined;
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
        this.#wakeAuto(); // the automatic loop may be waiting (at a speed) for this very timer
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
      this.#wakeAuto();
      this.#startAutoAdvance();
    });
  }

  hold<T>(work: Promise<T>): Promise<T> {
    this.#held++;
    this.#activity++;
    const release = (): void => {
      this.#held--;
      this.#activity++;
      this.#wakeAuto();
    };
    return work.then(
      (value) => {
        release();
        return value;
      },
      (error: unknown) => {
        release();
        throw error;
      },
    );
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

  #wakeAuto(): void {
    const poke = this.#poke;
    this.#poke = undefined;
    poke?.();
  }

  /** Resolves after `ms` real milliseconds, or earlier when {@link #wakeAuto} is called. */
  #pokeableDelay(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timeout);
        if (this.#poke === done) this.#poke = undefined;
        resolve();
      };
      const timeout = setTimeout(done, ms);
      this.#poke = done;
    });
  }

  /** Resolves when the held work is over (or something else wakes the loop). */
  #released(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#poke = resolve;
    });
  }

  async #autoLoop(): Promise<void> {
    try {
      while (this.#timers.length > 0) {
        if (this.#held > 0) {
          await this.#released();
          continue;
        }
        const mark = this.#activity;
        await nextTurn();
        await nextTurn();
        if (this.#activity !== mark || this.#held > 0) continue; // not idle yet
        const next = this.#timers[0];
        if (next === undefined || !Number.isFinite(next.time)) break;
        if (this.#speed !== undefined && next.time > this.#now) {
          const realNow = performance.now();
          const from = this.#paceFrom ?? { virtual: this.#now, real: realNow };
          const wait = from.real + (next.time - from.virtual) / this.#speed - realNow;
          if (wait > 0) {
            // Woken early by a new timer or work: look again, the next timer may be nearer now.
            await this.#pokeableDelay(wait);
            if (this.#activity !== mark) continue;
          }
        }
        await this.#exclusive(async () => {
          const first = this.#timers[0];
          if (first !== undefined && Number.isFinite(first.time)) this.#fire(first);
        });
        if (this.#speed !== undefined) this.#paceFrom = { virtual: this.#now, real: performance.now() };
      }
    } finally {
      this.#autoRunning = false;
      this.#paceFrom = undefined; // idle with no timer: the next one is paced from when it comes
    }
  }
}
