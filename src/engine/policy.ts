/**
 * The engine's policies as data: how often to retry, how long a step may run, what to do when it
 * fails. Retries are mapped onto p-retry; waiting between attempts goes through the engine's clock so
 * that a virtual clock (tests, simulator) drives backoff too.
 */
import pRetry, { AbortError } from 'p-retry';
import { AdapterError, EscalatorError } from '../errors.js';
import type { FailurePolicy } from '../model/campaign.js';
import type { StepKind } from '../model/plan.js';
import type { Clock } from '../ports/clock.js';

/** How a step is retried when it fails with a transient error. */
export interface RetryPolicy {
  /** Attempts after the first. @defaultValue 3 */
  readonly retries: number;
  /** Wait before the first retry, in ms. @defaultValue 2000 */
  readonly minDelayMs: number;
  /** Growth of the wait per retry. @defaultValue 2 */
  readonly factor: number;
  /** Longest wait, in ms. @defaultValue 60000 */
  readonly maxDelayMs: number;
}

/** Policy of one kind of step; every field optional, falling back to the engine's. */
export interface StepPolicy {
  readonly retry?: Partial<RetryPolicy> | undefined;
  /** What to do when the step fails for good. @defaultValue the campaign's `strategy.onFailure` */
  readonly onFailure?: FailurePolicy | undefined;
  /** Multiplies the plan's timeout of the step. @defaultValue 1 */
  readonly timeoutFactor?: number | undefined;
}

/** Everything the engine decides by policy. */
export interface EnginePolicy {
  readonly retry: RetryPolicy;
  /** A step running longer than expected × this raises a `step-hang` alarm (before its timeout). */
  readonly hangFactor: number;
  /**
   * No step is called hung before this many seconds: a step expected to take a few seconds varies more
   * than its estimate, and an alarm for it would be noise.
   */
  readonly hangFloorSeconds: number;
  /** Steps running at once across the wave. */
  readonly maxConcurrentSteps: number;
  /** Seconds between two polls of a migration's progress. */
  readonly pollSeconds: number;
  /** What to do when the live cloud no longer matches the plan before a wave. */
  readonly onDrift: 'pause' | 'replan';
  /** Per step kind overrides. */
  readonly steps: Readonly<Partial<Record<StepKind, StepPolicy>>>;
}

/**
 * The defaults, suited to a real cloud. Migrations retry for about three minutes: Nova's scheduler
 * refuses a valid anti-affinity move ("No valid host") for up to ~120 s after a member left the target
 * host (its view of the hosts lags until the instance sync), so a refusal it marks as passing is ridden
 * out rather than pausing the wave; the timeout grows to match.
 */
export const DEFAULT_POLICY: EnginePolicy = {
  retry: { retries: 3, minDelayMs: 2000, factor: 2, maxDelayMs: 60_000 },
  hangFactor: 2,
  hangFloorSeconds: 60,
  maxConcurrentSteps: 32,
  pollSeconds: 5,
  onDrift: 'pause',
  steps: {
    migrate: {
      retry: { retries: 10, minDelayMs: 5_000, factor: 1.5, maxDelayMs: 20_000 },
      timeoutFactor: 5,
    },
  },
};

/** A policy with a host's partial settings merged onto the defaults. */
export type EnginePolicyInput = Partial<Omit<EnginePolicy, 'retry'>> & {
  readonly retry?: Partial<RetryPolicy> | undefined;
};

/**
 * Merges a host's settings onto {@link DEFAULT_POLICY}; a step kind's settings merge onto that kind's
 * defaults (set `steps: { migrate: { retry: ... } }` to change only what you name).
 */
export function resolvePolicy(input: EnginePolicyInput = {}): EnginePolicy {
  const steps: Partial<Record<StepKind, StepPolicy>> = { ...DEFAULT_POLICY.steps };
  for (const [kind, policy] of Object.entries(input.steps ?? {}) as [StepKind, StepPolicy][]) {
    const base = steps[kind];
    steps[kind] = { ...base, ...stripUndefined(policy), retry: { ...base?.retry, ...policy.retry } };
  }
  return {
    ...DEFAULT_POLICY,
    ...stripUndefined(input),
    retry: { ...DEFAULT_POLICY.retry, ...stripUndefined(input.retry ?? {}) },
    steps,
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Whether an error is worth another attempt: only errors that say so. */
export function isTransient(error: unknown): boolean {
  return EscalatorError.is(error) && error.retryable;
}

/**
 * Runs `attempt` until it succeeds, retrying transient errors with exponential backoff waited on
 * `clock`; a permanent error ends the retries at once (p-retry rethrows the original error). A 429's
 * Retry-After is honoured.
 */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy,
  clock: Clock,
  options: {
    signal?: AbortSignal | undefined;
    onRetry?: ((error: unknown, attempt: number) => void) | undefined;
  } = {},
): Promise<T> {
  return pRetry(
    async (attemptNumber) => {
      try {
        return await attempt(attemptNumber);
      } catch (error) {
        if (!isTransient(error) || options.signal?.aborted)
          throw new AbortError(error instanceof Error ? error : String(error));
        throw error;
      }
    },
    {
      retries: policy.retries,
      // p-retry's own timer is bypassed: the delay is waited on the engine's clock below.
      minTimeout: 0,
      maxTimeout: 0,
      randomize: false,
      ...(options.signal ? { signal: options.signal } : {}),
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft <= 0) return;
        options.onRetry?.(error, attemptNumber);
        const backoff = Math.min(policy.maxDelayMs, policy.minDelayMs * policy.factor ** (attemptNumber - 1));
        const asked =
          error instanceof AdapterError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : 0;
        await clock.sleep(Math.max(backoff, asked), options.signal);
      },
    },
  );
}
