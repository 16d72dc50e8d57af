/**
 * Relations between the steps of a plan, looked up by typed keys (wave, node, kind; instance; VNF)
 * instead of by parsing step ids.
 */
import type { NodeStepKind, Plan, Step, StepOf } from '../../model/plan.js';

/** Lookups over the steps of one plan; see {@link indexSteps}. */
export interface StepIndex {
  /** The step with this id. */
  step(id: string): Step | undefined;
  /** The index of the wave holding the step with this id. */
  waveOf(id: string): number | undefined;
  /** The step of `kind` acting on `node` in wave `wave`. */
  nodeStep<K extends NodeStepKind>(wave: number, node: string, kind: K): StepOf<K> | undefined;
  /** The migration of `instance` in wave `wave`. */
  migrateStep(wave: number, instance: string): StepOf<'migrate'> | undefined;
  /** The step of `kind` talking to the manager of `vnf` in wave `wave`. */
  vnfStep<K extends 'notify-vnf' | 'notify-vnf-done'>(
    wave: number,
    vnf: string,
    kind: K,
  ): StepOf<K> | undefined;
  /**
   * The `disable-compute` step of a migration's source node in the migration's wave, or undefined when
   * there is none (the source is not a compute of that wave, or the step is not in this plan). Moving
   * the instance back needs that host enabled again, so rollback undoes this step first.
   */
  sourceDisable(step: StepOf<'migrate'>): StepOf<'disable-compute'> | undefined;
}

/** Indexes the steps of `plan` once (linear in its steps); the lookups are then constant time. */
export function indexSteps(plan: Pick<Plan, 'waves'>): StepIndex {
  const byId = new Map<string, { step: Step; wave: number }>();
  // Keyed by wave, then kind and node / instance / VNF: names cannot clash across these spaces.
  const byKey = new Map<string, Step>();
  const key = (wave: number, kind: string, name: string) => JSON.stringify([wave, kind, name]);
  for (const wave of plan.waves)
    for (const step of wave.steps) {
      byId.set(step.id, { step, wave: wave.index });
      const name = 'node' in step ? step.node : step.kind === 'migrate' ? step.instance : step.vnf;
      byKey.set(key(wave.index, step.kind, name), step);
    }
  const lookup = <K extends Step['kind']>(wave: number, kind: K, name: string) =>
    byKey.get(key(wave, kind, name)) as StepOf<K> | undefined;
  return {
    step: (id) => byId.get(id)?.step,
    waveOf: (id) => byId.get(id)?.wave,
    nodeStep: (wave, node, kind) => lookup(wave, kind, node),
    migrateStep: (wave, instance) => lookup(wave, 'migrate', instance),
    vnfStep: (wave, vnf, kind) => lookup(wave, kind, vnf),
    sourceDisable(step) {
      const wave = byId.get(step.id)?.wave;
      return wave === undefined ? undefined : lookup(wave, 'disable-compute', step.from);
    },
  };
}
