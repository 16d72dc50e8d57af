/**
 * The engine's policies from escalator.yaml's `policies` block.
 * @module
 */
import type { EnginePolicyInput, RetryPolicy, StepPolicy } from '../engine/policy.js';
import type { ConfigDocument } from '../model/config.js';
import type { EscalatorConfig } from './types.js';

type Policies = ConfigDocument['policies'];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/**
 * The `policies` block mirrors `EnginePolicyInput` field for field (the engine has no zod schema of
 * its own): these fail to compile when one gains or loses a field the other lacks.
 */
const sameFields: Same<keyof Policies, keyof EnginePolicyInput> = true;
const sameRetry: Same<keyof NonNullable<Policies['retry']>, keyof RetryPolicy> = true;
const sameStep: Same<keyof NonNullable<NonNullable<Policies['steps']>['migrate']>, keyof StepPolicy> = true;
const sameKinds: Same<keyof NonNullable<Policies['steps']>, keyof NonNullable<EnginePolicyInput['steps']>> =
  true;
void [sameFields, sameRetry, sameStep, sameKinds];

/** A copy of `value` without the keys whose value is `undefined`, recursively (plain objects only). */
function defined(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, defined(v)]),
  );
}

/**
 * The engine's policy input (`createEngine({ policy })`) from escalator.yaml's `policies` block: what
 * the file leaves out keeps the engine's default (`resolvePolicy` merges it onto `DEFAULT_POLICY`).
 *
 * @example
 * ```ts
 * const config = await loadConfig('escalator.yaml');
 * const policy = resolvePolicy(enginePolicyOf(config));
 * console.log(policy.retry.retries, policy.onDrift);
 * ```
 */
export function enginePolicyOf(config: EscalatorConfig): EnginePolicyInput {
  return defined(config.policies) as EnginePolicyInput;
}
