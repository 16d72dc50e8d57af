/**
 * Lock leases, shared by the stores: the default lease, the check of {@link LockOptions}, and the
 * renewal loop a holder runs until it releases its lock.
 * @module
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ErrorCode, EscalatorError } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { LockOptions } from '../ports/state-store.js';

/** How long a lock stays valid without renewal when `leaseMs` is not given: 30 s. */
export const DEFAULT_LEASE_MS = 30_000;

/**
 * The lease `options` ask for, checked: a whole number of milliseconds, at least 3 (renewal runs every
 * third of it). @internal
 */
export function leaseOf(options: LockOptions | undefined): number {
  const leaseMs = options?.leaseMs ?? DEFAULT_LEASE_MS;
  if (!Number.isSafeInteger(leaseMs) || leaseMs < 3)
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      `lock: leaseMs must be a whole number of milliseconds from 3, e.g. 30000; got ${String(leaseMs)}`,
    );
  return leaseMs;
}

/**
 * Calls `renew` every `everyMs` until the returned function is called or `renew` resolves `false` (the
 * lock is no longer ours). A failed renewal is tried again at the next tick: the lease runs out only if
 * renewals keep failing. Waits on `clock` when given, else on unref'd real-time timers, so that a held
 * lock never keeps a process alive. @internal
 */
export function startRenewal(everyMs: number, renew: () => Promise<boolean>, clock?: Clock): () => void {
  const controller = new AbortController();
  const { signal } = controller;
  const sleep = (): Promise<void> =>
    clock ? clock.sleep(everyMs, signal) : delay(everyMs, undefined, { signal, ref: false });
  void (async () => {
    while (!signal.aborted) {
      try {
        await sleep();
      } catch {
        return; // aborted: released
      }
      if (signal.aborted) return;
      try {
        if (!(await renew())) return;
      } catch {
        // A disk hiccup: try again at the next tick, while the lease still runs.
      }
    }
  })();
  return () => controller.abort();
}
