/**
 * The real clock: wall time and timers of the running process.
 * @module
 */
import type { Clock } from '../ports/clock.js';

/** The longest delay `setTimeout` honours; longer sleeps are taken in steps of this. */
const MAX_TIMER_DELAY = 2_147_483_647;

/**
 * The real {@link Clock}: `Date.now()` and `setTimeout`. The default of every component that takes a
 * clock. A sleep rejects with the signal's reason when aborted, and clears its timer then, so an aborted
 * sleep does not keep the process alive. Negative or NaN delays sleep 0 ms; delays past setTimeout's
 * limit (about 24.8 days) are honoured in steps.
 *
 * @example
 * ```ts
 * await systemClock.sleep(5_000, AbortSignal.timeout(60_000));
 * ```
 */
export const systemClock: Clock = Object.freeze({
  now(): number {
    return Date.now();
  },
  sleep(ms: number, signal?: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      let remaining = Number.isNaN(ms) ? 0 : Math.max(ms, 0);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const arm = (): void => {
        const step = Math.min(remaining, MAX_TIMER_DELAY);
        remaining -= step;
        timer = setTimeout(() => {
          if (remaining > 0) {
            arm();
            return;
          }
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, step);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      arm();
    });
  },
});
