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
 * `onHang` is called once when the step runs past its hang threshold.
 */
export async function runStep(
  env: RunEnv,
  ctxFor: (signal: AbortSignal) => StepContext,
  effect: Extract<Effect, { type: 'run-step' }>,
  signal: AbortSignal,
  onHang: () => void,
): Promise<Observation | undefined> {
  const { step } = effect;
  const handler = handlerOf(step);
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const timers = new AbortController();
  try {
    const ctx = ctxFor(controller.signal);
    if (effect.hangMs !== undefined)
      env.clock.sleep(effect.hangMs, timers.signal).then(onHang, () => undefined);
    const timeout = env.clock.sleep(effect.timeoutMs, timers.signal).then(
      () => {
        controller.abort(new StepTimeoutError(step.id, effect.timeoutMs / 1000));
        return 'timeout' as const;
      },
      () => 'cancelled' as const,
    );
    const work = withRetry(() => handler.run(ctx, step, effect.data), effect.retry, env.clock, {
      signal: controller.signal,
      onRetry: (error, n) =>
        env.log('warn', 'step.retry', `attempt ${n}: ${describeError(error).message}`, step.id),
    }).then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const first = await Promise.race([work, timeout]);
    timers.abort();
    if (first === 'cancelled') return undefined;
    const timedOut =
      first === 'timeout' ||
      (!first.ok && controller.signal.reason instanceof StepTimeoutError && !signal.aborted);
    if (timedOut) {
      await work; // let the cancelled attempt settle before it is recorded
      return {
        type: 'step-ended',
        step: step.id,
        outcome: 'timed-out',
        error: describeError(new StepTimeoutError(step.id, effect.timeoutMs / 1000)),
      };
    }
    if (!first.ok) {
      if (signal.aborted) return undefined;
      return { type: 'step-ended', step: step.id, outcome: 'failed', error: describeError(first.error) };
    }
    return { type: 'step-ended', step: step.id, outcome: 'succeeded', backup: first.result?.backup };
  } finally {
    timers.abort();
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
