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

export const MigrationSchema = z.strictObject({
  instance: name,
  from: name,
  to: name,
  mode: z.enum(['live', 'cold']),
  /**
   * Migrations of a wave run batch by batch (0 first); a batch never moves more than `maxImpacted`
   * members of one server group.
   */
  batch: z.number().int().nonnegative().default(0),
});

/** How a step is undone during graceful rollback; absent when nothing needs undoing. */
export const UndoSchema = z.strictObject({
  kind: z.enum([
    'enable-compute',
    'disable-compute',
    'migrate',
    'downgrade-packages',
    'start-instances',
    'none',
  ]),
  /** For `downgrade-packages`: the versions to go back to. */
  software: softwareVersions.optional(),
  /** For `migrate`: where the instance goes back to. */
  to: name.optional(),
});

export const StepSchema = z.strictObject({
  /** Unique within the plan, stable: `w<wave>.<node>.<kind>` or `w<wave>.migrate.<instance>`. */
  id: z.string().min(1),
  kind: z.enum(STEP_KINDS),
  node: name.optional(),
  instance: name.optional(),
  vnf: name.optional(),
  /** Instances concerned (notify, stop/start, check-empty). */
  instances: nameList.optional(),
  /** For upgrade-packages: component to target version. For backup: component to current version. */
  software: softwareVersions.optional(),
  from: name.optional(),
  to: name.optional(),
  mode: z.enum(['live', 'cold']).optional(),
  batch: z.number().int().nonnegative().optional(),
  /** Ids of steps that must have succeeded before this one starts. */
  after: z.array(z.string()).default([]),
  expectedSeconds: seconds,
  timeoutSeconds: seconds,
  /** What is checked to call the step done (human-readable; the engine knows how per kind). */
  verify: z.string(),
  undo: UndoSchema.optional(),
});

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
/** One action of a wave. */
export type Step = Wave['steps'][number];
/** Predicted effect of the plan on one VNF. */
export type VnfImpact = Plan['impact'][number];
/** Totals of a plan. */
export type PlanTotals = z.output<typeof PlanTotalsSchema>;
