/**
 * Step handlers: everything about each kind of step (what it does through the ports, whether a crash
 * left its effect in place, how to undo it), one module per family of kinds. The engine runs a step
 * with `handlerOf(step)`.
 * @module
 */
import { AdapterError } from '../../errors.js';
import type { Step, StepKind, StepOf } from '../../model/plan.js';
import { COMPUTE_SERVICE_HANDLERS } from './compute-service.js';
import type { StepHandler } from './context.js';
import { INSTANCES_HANDLERS } from './instances.js';
import { MIGRATION_HANDLERS } from './migration.js';
import { NODE_POWER_HANDLERS } from './node-power.js';
import { PACKAGES_HANDLERS } from './packages.js';
import { VNF_HANDLERS } from './vnf.js';

export type { Adapters } from '../../ports/adapters.js';
export {
  type StepContext,
  type StepData,
  type StepHandler,
  type StepHandlers,
  type StepResult,
  vimHost,
} from './context.js';
export { followMigration } from './migration.js';
export { indexSteps, type StepIndex } from './relations.js';

/**
 * The handler of every step kind. Typed per kind: `STEP_HANDLERS.migrate.run` takes a
 * `StepOf<'migrate'>`, so a handler reads its step's fields without checking they are there.
 */
export const STEP_HANDLERS: { readonly [K in StepKind]: StepHandler<StepOf<K>> } = {
  ...VNF_HANDLERS,
  ...COMPUTE_SERVICE_HANDLERS,
  ...MIGRATION_HANDLERS,
  ...INSTANCES_HANDLERS,
  ...PACKAGES_HANDLERS,
  ...NODE_POWER_HANDLERS,
};

/**
 * The handler of a step, typed by the step's kind.
 * @throws AdapterError (permanent, reason `bad-step`) when no handler knows the step's kind (a plan
 * built in code around the schema).
 */
export function handlerOf<S extends Step>(step: S): StepHandler<S> {
  const handler: unknown = Object.hasOwn(STEP_HANDLERS, step.kind)
    ? STEP_HANDLERS[step.kind as StepKind]
    : undefined;
  if (handler === undefined)
    throw new AdapterError(`step ${step.id} has an unknown kind ${String(step.kind)}`, {
      kind: 'permanent',
      reason: 'bad-step',
    });
  // The table pairs each kind with its handler; TypeScript cannot follow that through the lookup.
  return handler as StepHandler<S>;
}
