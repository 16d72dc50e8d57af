/**
 * Runs one step's work through its handler under the engine's policy: retries of transient errors, a
 * hang alarm when it runs long, cancellation at its timeout. Also the crash probe ("already done?")
 * and graceful undo. The outcome comes back as an observation for the core.
 */
import { StepTimeoutError } from '../../errors.js';
import { describeError, type Effect, type Observation } from '../core/effects.js';
import { withRetry } from '../policy.js';
import { handlerOf, type StepContext } from '../steps/index.js';
import type { RunEnv } from './env.js';

/**
 * Why a step's timers are cancelled when it ends: one shared reason, since an abort without one makes
 * a new DOMException every time (measurable at 10,000 nodes).
 */
const STEP_ENDED = new Error('the step ended');

/** Gathers the facts a step journals before it starts. */
export async function prepareStep(
  ctx: StepContext,
  effect: Extract<Effect, { type: 'prepare-step' }>,
): Promise<Observation> {
  const handler = handlerOf(effect.step);
  const data = handler.prepare ? await handler.prepare(ctx, effect.step) : undefined;
  return { type: 'step-prepared', step: effect.step.id, data };
}

/** Asks whether a step a crash left running already took effect; an error counts as "no". */
export async function probeStep(
  ctx: StepContext,
  effect: Extract<Effect, { type: 'probe-step' }>,
): Promise<Observation> {
  const done = await handlerOf(effect.step)
    .isDone(ctx, effect.step, effect.data)
    .catch(() => false);
  return { type: 'step-probed', step: effect.step.id, done };
}

/**
 * Runs a step to an end: `step-ended` (succeeded, failed, timed-out), or undefined when it was
 * cancelled by an abort (the step stays `running` in the journal and is probed on resume).
 *
 * The timeout and the hang alarm count from the run's journaled start (`effect.startedAt`), and the
 * retry budget goes on from the attempts it journaled, so a step re-run after a crash gets what was
 * left of them. `observe` is told of each retry as it starts (`step-attempt`, which the core journals;
 * the attempt does not wait for the record, so a crash in that instant loses one count, never adds one)
 * and, once, of the step running past its hang threshold (`step-hang`). The backoff between the
 * resumed attempts starts again from the policy's first delay.
 */
export async function runStep(
  env: RunEnv,
  ctxFor: (signal: AbortSignal) => StepContext,
  effect: Extract<Effect, { type: 'run-step' }>,
  signal: AbortSignal,
  observe: (observation: Observation) => void,
): Promise<Observation | undefined> {
  const { step } = effect;
  const handler = handlerOf(step);
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const timers = new AbortController();
  const started = Date.parse(effect.startedAt);
  const elapsed = Number.isFinite(started) ? Math.max(0, env.clock.now() - started) : 0;
  // The interrupted attempt runs again as itself; the retries after it are what the budget has left.
  const first = Math.max(1, effect.attemptsMade);
  const retry = { ...effect.retry, retries: Math.max(0, effect.retry.retries - (first - 1)) };
  try {
    const ctx = ctxFor(controller.signal);
    if (effect.hangMs !== undefined)
      env.clock.sleep(Math.max(0, effect.hangMs - elapsed), timers.signal).then(
        () =>
          observe({
            type: 'step-hang',
            step: step.id,
            expectedSeconds: step.expectedSeconds,
            factor: env.policy.hangFactor,
          }),
        () => undefined,
      );
    const timeout = env.clock.sleep(Math.max(0, effect.timeoutMs - elapsed), timers.signal).then(
      () => {
        controller.abort(new StepTimeoutError(step.id, effect.timeoutMs / 1000));
        return 'timeout' as const;
      },
      () => 'cancelled' as const,
    );
    const attempt = (n: number) => {
      if (n > 1) observe({ type: 'step-attempt', step: step.id, attempt: first + n - 1 });
      return handler.run(ctx, step, effect.data);
    };
    const work = withRetry(attempt, retry, env.clock, {
      signal: controller.signal,
      onRetry: (error, n) =>
        env.log('warn', 'step.retry', `attempt ${first + n - 1}: ${describeError(error).message}`, step.id),
    }).then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const outcome = await Promise.race([work, timeout]);
    timers.abort(STEP_ENDED);
    if (outcome === 'cancelled') return undefined;
    const timedOut =
      outcome === 'timeout' ||
      (!outcome.ok && controller.signal.reason instanceof StepTimeoutError && !signal.aborted);
    if (timedOut) {
      await work; // let the cancelled attempt settle before it is recorded
      return {
        type: 'step-ended',
        step: step.id,
        outcome: 'timed-out',
        error: describeError(new StepTimeoutError(step.id, effect.timeoutMs / 1000)),
      };
    }
    if (!outcome.ok) {
      if (signal.aborted) return undefined;
      return { type: 'step-ended', step: step.id, outcome: 'failed', error: describeError(outcome.error) };
    }
    return { type: 'step-ended', step: step.id, outcome: 'succeeded', backup: outcome.result?.backup };
  } finally {
    timers.abort(STEP_ENDED);
    signal.removeEventListener('abort', onAbort);
  }
}

/** Undoes a step (graceful rollback), retrying transient errors. Undefined when cancelled. */
export async function undoStep(
  env: RunEnv,
  ctx: StepContext,
  effect: Extract<Effect, { type: 'undo-step' }>,
  signal: AbortSignal,
): Promise<Observation | undefined> {
  try {
    await withRetry(() => handlerOf(effect.step).undo(ctx, effect.step), env.policy.retry, env.clock, {
      signal,
    });
    return { type: 'step-undone', step: effect.step.id };
  } catch (error) {
    // Cancelled by an abort, not failed: the abort records the campaign's end; no restore.
    if (signal.aborted) return undefined;
    return { type: 'undo-failed', step: effect.step.id, error: describeError(error) };
  }
}
