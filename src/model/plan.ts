/**
 * The escalator/v1 Plan: what Escalator will do. `waves[].nodes`, `waves[].migrations` and
 * `waves[].steps` are the contract with installers (docs/formats.md); the rest is added detail.
 */
import { z } from 'zod';
import { apiVersion, metadata, name, nameList, seconds, softwareVersions } from './common.js';

/** The kinds of step a plan contains, in the order they run for one node. */
export const STEP_KINDS = [
  'notify-vnf', // ask a VNF manager and wait for its answer
  'disable-compute', // the scheduler places nothing new on the node
  'migrate', // move one instance (live or cold) to the planned target
  'stop-instances', // stop instances that stay on the node (stop-start action)
  'check-empty', // no instance that should have left is still there
  'backup', // save what a failed upgrade needs (versions, files, databases)
  'upgrade-packages', // install the target versions
  'reboot', // restart the node (kernel and the like)
  'wait-node', // the node answers again
  'verify-services', // services run and report the target versions
  'start-instances', // start the instances stopped before
  'enable-compute', // the scheduler may use the node again
  'notify-vnf-done', // tell the VNF manager maintenance is over
] as const;
/** See {@link STEP_KINDS}. */
export type StepKind = (typeof STEP_KINDS)[number];

const mode = z.enum(['live', 'cold']);

export const MigrationSchema = z.strictObject({
  instance: name,
  from: name,
  to: name,
  mode,
  /**
   * Migrations of a wave run batch by batch (0 first); a batch never moves more than `maxImpacted`
   * members of one server group.
   */
  batch: z.number().int().nonnegative().default(0),
});

/** Unique within the plan, stable: `w<wave>.<node>.<kind>`, `w<wave>.migrate.<instance>`... */
const stepId = z.string().min(1);

/** Fields every step has, whatever its kind (after its own fields). */
const stepCommon = {
  /** Ids of steps that must have succeeded before this one starts. */
  after: z.array(z.string()).default([]),
  expectedSeconds: seconds,
  timeoutSeconds: seconds,
  /** What is checked to call the step done (human-readable; the engine knows how per kind). */
  verify: z.string(),
};

/** A step of `kind` with the common fields and `fields`, nothing else (in the order plans show them). */
const member = <K extends StepKind, F extends z.ZodRawShape>(kind: K, fields: F) =>
  z.strictObject({ id: stepId, kind: z.literal(kind), ...fields, ...stepCommon });

/*
 * Why there is no `undo` field: a step's undo follows from its kind (disable-compute is undone by
 * enabling, enable-compute by disabling, a migration by moving the instance back to `from`,
 * stop-instances by starting the same `instances`), so writing it down again could only disagree with
 * what the engine does. The one kind whose undo needs data of its own, upgrade-packages, carries it as
 * `previous`: every step is then self-describing, and a plan cannot name an undo the engine lacks.
 */

/** Zod schemas of each step kind, by kind. */
export const STEP_SCHEMAS = {
  /** Asks a VNF manager whether maintenance of `instances` may go ahead, and waits for its answer. */
  'notify-vnf': member('notify-vnf', { vnf: name, instances: nameList }),
  /** The scheduler places nothing new on `node`. Undo: enable it again. */
  'disable-compute': member('disable-compute', { node: name }),
  /** Moves `instance` from `from` to the planned `to`. Undo: move it back to `from`. */
  migrate: member('migrate', {
    instance: name,
    from: name,
    to: name,
    mode,
    /** The migration's batch (see {@link Migration}). */
    batch: z.number().int().nonnegative(),
  }),
  /** Stops the `instances` that stay on `node` (stop-start action). Undo: start them again. */
  'stop-instances': member('stop-instances', { node: name, instances: nameList }),
  /** Fails unless the only instances left on `node` are `instances` (those allowed to stay). */
  'check-empty': member('check-empty', { node: name, instances: nameList }),
  /** Saves what a failed upgrade of `node` needs; `software`: component to current version. */
  backup: member('backup', { node: name, software: softwareVersions }),
  /**
   * Installs `software` (component to target version) on `node`. Undo: install `previous` (component
   * to the version before the upgrade).
   */
  'upgrade-packages': member('upgrade-packages', {
    node: name,
    software: softwareVersions,
    previous: softwareVersions,
  }),
  /** Restarts `node`. */
  reboot: member('reboot', { node: name }),
  /** Waits until `node` answers again. */
  'wait-node': member('wait-node', { node: name }),
  /** Checks the services of `software`'s components on `node` run and report those versions. */
  'verify-services': member('verify-services', { node: name, software: softwareVersions }),
  /** Starts the `instances` stopped on `node` before. */
  'start-instances': member('start-instances', { node: name, instances: nameList }),
  /** The scheduler may use `node` again. Undo: disable it again. */
  'enable-compute': member('enable-compute', { node: name }),
  /** Tells the manager of `vnf` that maintenance of `instances` is over. */
  'notify-vnf-done': member('notify-vnf-done', { vnf: name, instances: nameList }),
} as const satisfies { readonly [K in StepKind]: z.ZodType<{ kind: K }> };

/** Zod schema of one step: a union discriminated by `kind`, each kind with exactly the fields it needs. */
export const StepSchema = z.discriminatedUnion('kind', [
  STEP_SCHEMAS['notify-vnf'],
  STEP_SCHEMAS['disable-compute'],
  STEP_SCHEMAS['migrate'],
  STEP_SCHEMAS['stop-instances'],
  STEP_SCHEMAS['check-empty'],
  STEP_SCHEMAS['backup'],
  STEP_SCHEMAS['upgrade-packages'],
  STEP_SCHEMAS['reboot'],
  STEP_SCHEMAS['wait-node'],
  STEP_SCHEMAS['verify-services'],
  STEP_SCHEMAS['start-instances'],
  STEP_SCHEMAS['enable-compute'],
  STEP_SCHEMAS['notify-vnf-done'],
]);

export const WaveSchema = z.strictObject({
  index: z.number().int().nonnegative(),
  nodes: nameList,
  migrations: z.array(MigrationSchema).default([]),
  steps: z.array(StepSchema).default([]),
  /** Site of the wave's nodes when they share one. */
  site: name.optional(),
  /** True for the first wave with compute nodes: it ends in a verification gate. */
  canary: z.boolean().default(false),
  expectedSeconds: seconds.default(0),
});

export const VnfImpactSchema = z.strictObject({
  vnf: name,
  instances: z.number().int().nonnegative(),
  minAvailable: z.number().int().nonnegative(),
  /** Fewest instances running at any moment of the plan. */
  minRunning: z.number().int().nonnegative(),
  liveMigrations: z.number().int().nonnegative(),
  coldMigrations: z.number().int().nonnegative(),
  /** Instance-seconds of downtime (cold moves and instances that stay on a node being upgraded). */
  instanceDownSeconds: seconds,
  /** Seconds the VNF would spend below minAvailable: 0 in every valid plan. */
  outageSeconds: seconds,
});

export const PlanTotalsSchema = z.strictObject({
  waves: z.number().int().nonnegative(),
  nodes: z.number().int().nonnegative(),
  migrations: z.number().int().nonnegative(),
  /** Instances that must move (on nodes being evacuated, movable). */
  instancesToMove: z.number().int().nonnegative(),
  /** Instances moved more than once over the whole plan. */
  movedTwice: z.number().int().nonnegative(),
  estimatedSeconds: seconds,
  /** No valid plan can have fewer waves than this. */
  lowerBoundWaves: z.number().int().nonnegative(),
});

/** Zod schema of the escalator/v1 Plan. */
export const PlanSchema = z.strictObject({
  apiVersion,
  kind: z.literal('Plan'),
  metadata: metadata.extend({ inventory: name.optional(), campaign: name.optional() }),
  waves: z.array(WaveSchema),
  totals: PlanTotalsSchema.optional(),
  impact: z.array(VnfImpactSchema).default([]),
  /** Nodes in scope that need an upgrade but are not up: left alone. */
  skipped: nameList.default([]),
});

/** An escalator/v1 Plan. */
export type Plan = z.output<typeof PlanSchema>;
/** A plan as written in a file. */
export type PlanInput = z.input<typeof PlanSchema>;
/** A set of nodes taken out of service together. */
export type Wave = Plan['waves'][number];
/** An instance move planned in a wave. */
export type Migration = Wave['migrations'][number];
/** One action of a wave: a union discriminated by `kind` (see {@link STEP_SCHEMAS}). */
export type Step = z.output<typeof StepSchema>;
/** The step of one kind, e.g. `StepOf<'migrate'>`. */
export type StepOf<K extends StepKind> = Extract<Step, { kind: K }>;
/** A step as written in a plan file (`after` may be left out). */
export type StepInput = z.input<typeof StepSchema>;
/** The steps that act on one node (every kind but migrations and VNF notices): they have `node`. */
export type NodeStep = Extract<Step, { node: string }>;
/** The kinds of {@link NodeStep}. */
export type NodeStepKind = NodeStep['kind'];

/**
 * The node a step works on: its `node`, a migration's source, none for a VNF notice. For views that
 * group steps by node (status, timelines).
 */
export function stepNode(step: Step): string | undefined {
  return 'node' in step ? step.node : step.kind === 'migrate' ? step.from : undefined;
}
/** Predicted effect of the plan on one VNF. */
export type VnfImpact = Plan['impact'][number];
/** Totals of a plan. */
export type PlanTotals = z.output<typeof PlanTotalsSchema>;
