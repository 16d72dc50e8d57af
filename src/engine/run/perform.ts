/**
 * Performs the core's effects through the ports: each effect type maps to the function that does it
 * and to the observation that reports how it ended. Also routes a VNF manager's answer, delivered
 * through a `notify` command, to the step waiting for it.
 */
import { ErrorCode, EscalatorError } from '../../errors.js';
import { stepNode } from '../../model/plan.js';
import type { Adapters } from '../../ports/adapters.js';
import type { MaintenanceReply } from '../../ports/vnf-manager.js';
import type { Effect, Observation } from '../core/effects.js';
import type { CoreState } from '../core/state.js';
import { runPrechecks } from '../prechecks.js';
import type { StepContext } from '../steps/index.js';
import { backUp, restoreAll } from './backups.js';
import { checkDrift, diagnoseNode, verifyCampaign, verifyWave } from './checks.js';
import type { RunEnv } from './env.js';
import { prepareStep, probeStep, runStep, undoStep } from './step.js';

/** Performs effects for one campaign. */
export class EffectPerformer {
  readonly #env: RunEnv;
  /** Steps waiting for a VNF manager's answer, by notice id. */
  readonly #replies = new Map<string, (reply: MaintenanceReply) => void>();

  constructor(env: RunEnv) {
    this.#env = env;
  }

  /** Hands an answer to the step waiting for it (none waiting: the answer came too late, or twice). */
  deliver(notice: string, reply: MaintenanceReply): void {
    this.#replies.get(notice)?.(reply);
  }

  /**
   * Does the work of `effect` on the campaign as `core` holds it. Resolves to the observation that
   * ends it, or undefined when it was cancelled; `onHang` reports what a step tells while it runs
   * (running long, starting a retry).
   */
  async perform(
    core: CoreState,
    effect: Effect,
    signal: AbortSignal,
    onHang: (observation: Observation) => void,
  ): Promise<Observation | undefined> {
    const env = this.#env;
    const state = core.snapshot;
    const catalog = core.index.catalog;
    switch (effect.type) {
      case 'precheck': {
        const report = await runPrechecks(env.retried, state.inventory, state.plan, catalog, signal);
        return { type: 'prechecked', report };
      }
      case 'backup':
        return { type: 'backed-up', label: effect.label, backup: await backUp(env, effect, signal) };
      case 'check-drift': {
        const wave = waveOf(core, effect.wave);
        const problems = await checkDrift(env, core.snapshot, wave, signal);
        return { type: 'drift-checked', wave: effect.wave, problems };
      }
      case 'refresh-inventory': {
        if (!env.refreshInventory)
          throw new EscalatorError(ErrorCode.InvalidOption, 'no refreshInventory to re-plan with');
        const inventory = await env.refreshInventory(state.inventory, signal);
        return { type: 'inventory-refreshed', wave: effect.wave, inventory, reason: effect.reason };
      }
      // Every call a step makes is retried by the policy; the step's own retry covers the conditions its
      // handler reports as transient (versions not there yet, a hypervisor not ready).
      case 'prepare-step':
        return prepareStep(this.#stepContext(core, signal, env.retried), effect);
      case 'probe-step':
        return probeStep(this.#stepContext(core, signal, env.retried), effect);
      case 'run-step':
        return explained(
          env,
          core,
          effect,
          signal,
          await runStep(env, (s) => this.#stepContext(core, s, env.retried), effect, signal, onHang),
        );
      case 'verify-wave': {
        const problems = await verifyWave(env, state, catalog, waveOf(core, effect.wave), signal);
        return { type: 'wave-verified', wave: effect.wave, problems };
      }
      case 'verify-campaign':
        return { type: 'campaign-verified', problems: await verifyCampaign(env, state, catalog, signal) };
      case 'undo-step':
        return undoStep(env, this.#stepContext(core, signal, env.retried), effect, signal);
      case 'restore':
        return { type: 'restored', count: await restoreAll(env, state, signal) };
      case 'wait':
        await env.clock.sleep(Math.max(0, Date.parse(effect.until) - env.clock.now()), signal);
        return { type: 'waited', key: effect.key };
      case 'deliver-reply':
        this.deliver(effect.notice, effect.reply);
        return undefined;
    }
  }

  #stepContext(core: CoreState, signal: AbortSignal, adapters: Adapters): StepContext {
    const state = core.snapshot;
    return {
      campaignId: state.id,
      adapters,
      inventory: state.inventory,
      catalog: core.index.catalog,
      clock: this.#env.clock,
      pollMs: this.#env.policy.pollSeconds * 1000,
      signal,
      backups: state.backups,
      journaled: (step, kind) => {
        const wave = core.index.steps.get(step.id)?.wave;
        const other = wave === undefined ? undefined : core.index.relations.nodeStep(wave, step.node, kind);
        return other ? core.snapshot.steps[other.id]?.data : undefined;
      },
      awaitReply: (notice, s) =>
        new Promise<MaintenanceReply>((resolve, reject) => {
          this.#replies.set(notice, resolve);
          s.addEventListener(
            'abort',
            () => {
              this.#replies.delete(notice);
              reject(s.reason);
            },
            { once: true },
          );
        }),
    };
  }
}

/** A failed or timed-out step's error with what the VIM says of its node appended. */
async function explained(
  env: RunEnv,
  core: CoreState,
  effect: Extract<Effect, { type: 'run-step' }>,
  signal: AbortSignal,
  observation: Observation | undefined,
): Promise<Observation | undefined> {
  if (observation?.type !== 'step-ended' || observation.outcome === 'succeeded' || !observation.error)
    return observation;
  const node = stepNode(effect.step);
  const why = node === undefined ? undefined : await diagnoseNode(env, core.snapshot, node, signal);
  if (!why) return observation;
  return { ...observation, error: { ...observation.error, message: `${observation.error.message}: ${why}` } };
}

function waveOf(core: CoreState, index: number) {
  const wave = core.snapshot.plan.waves.find((w) => w.index === index);
  if (!wave) throw new EscalatorError(ErrorCode.InvalidOption, `the plan has no wave ${index}`);
  return wave;
}
