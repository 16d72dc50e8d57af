/**
 * The vocabulary of the plan checker's findings: the stable violation codes, the shape of one
 * violation, and the collector every rule reports into. A module of its own so that the rules under
 * `rules/` and the entry `verify-plan.ts` share it without importing each other in a circle.
 *
 * @module
 */

/** The stable codes of every {@link PlanViolation}. Messages may change between releases, codes do not. */
export const ViolationCode = {
  /** A wave's `index` differs from its position in `waves`. */
  WaveIndex: 'wave-index',
  /** An up, in-scope node that needs an upgrade is in no wave. */
  NodeMissing: 'node-missing',
  /** A node is listed more than once (in one wave or in several). */
  NodeRepeated: 'node-repeated',
  /** A wave lists a node that is unknown, not up, out of scope, or already at the target versions. */
  NodeUnexpected: 'node-unexpected',
  /**
   * A wave takes more compute nodes than `maxParallel`, or more than `maxParallel` non-compute nodes
   * of one role that belong to no cluster.
   */
  MaxParallel: 'max-parallel',
  /** The first wave with compute nodes takes more of them than `strategy.canary`. */
  Canary: 'canary',
  /** A wave leaves a cluster with fewer than `minAvailable` members up. */
  ClusterQuorum: 'cluster-quorum',
  /** A cluster's primary is not upgraded strictly after all its other upgraded members. */
  PrimaryOrder: 'primary-order',
  /** A wave takes down every up node of a site that runs one of its shared services. */
  SharedService: 'shared-service',
  /** A wave has more members of a server group down than its `maxImpacted`. */
  ServerGroupImpact: 'server-group-impact',
  /** A wave leaves a VNF with fewer running instances than its `minAvailable`. */
  VnfMinAvailable: 'vnf-min-available',
  /**
   * A migration names an unknown instance, a `from` that is not the instance's current host, or a
   * `from` that is not a node of its wave.
   */
  MigrationSource: 'migration-source',
  /** A migration targets a node that is unknown, not a compute, not up, or in the same wave. */
  MigrationTarget: 'migration-target',
  /**
   * A migration the instance or the campaign does not allow: an instance with `migration: none`, a
   * live move of an instance with `migration: cold`, any move under `instanceAction` `none` or
   * `stop-start`, a live move under `cold-migrate`.
   */
  MigrationMode: 'migration-mode',
  /** An instance is migrated more than once in one wave. */
  MigrationRepeated: 'migration-repeated',
  /** A migration moves an instance to another site. */
  MigrationSite: 'migration-site',
  /** One batch of a wave migrates more members of a server group than its `maxImpacted`. */
  MigrationBatch: 'migration-batch',
  /** After a wave's migrations, a node that received instances is over capacity × overcommit. */
  Capacity: 'capacity',
  /** A wave's migrations put two members of an anti-affinity group on one node. */
  AntiAffinity: 'anti-affinity',
  /** A wave's migrations separate members of an affinity group that were on one node. */
  Affinity: 'affinity',
  /** With `siteOrder: sequential`, a wave holds nodes of more than one site. */
  SiteMixed: 'site-mixed',
  /** With `siteOrder: sequential`, a site comes back after another site's wave followed it. */
  SiteOrder: 'site-order',
  /** A compute node of a site is upgraded no later than a controller of that site. */
  ControlBeforeCompute: 'control-before-compute',
  /** A node is upgraded no later than a node whose outdated component one of its components needs. */
  DependencyOrder: 'dependency-order',
  /** Two steps of the plan share one id. */
  StepId: 'step-id',
  /**
   * A step acts on something it may not: an unknown node, instance or VNF, a node that is not in the
   * step's wave, instances that are not (or no longer) on the step's node, or instances that are not
   * the step's VNF's.
   */
  StepTarget: 'step-target',
  /** A compute-only step (disable/enable-compute, check-empty, stop/start-instances, migrate) on a node without the compute role. */
  StepRole: 'step-role',
  /** A migrate step that matches no migration its wave declares, or a declared migration without its step. */
  StepMigration: 'step-migration',
  /** A wave has two steps of one kind for one node (or two migrate steps for one instance). */
  StepRepeated: 'step-repeated',
  /**
   * A node of a wave lacks a step it needs: upgrade-packages and verify-services for every node,
   * disable-compute, check-empty and enable-compute for a compute, wait-node after a reboot.
   */
  StepMissing: 'step-missing',
  /**
   * A node's step does not depend, through `after` and the node's own steps, on each of the node's
   * earlier steps (disable → migrate → stop → check-empty → backup → upgrade → reboot → wait → verify
   * → start → enable).
   */
  StepOrder: 'step-order',
  /** A step's `after` names an unknown step or one of a later wave, or the wave's `after` edges form a cycle. */
  StepAfter: 'step-after',
  /**
   * A step's versions are not the campaign's: upgrade-packages and verify-services install and check
   * the target version of exactly the node's outdated components; backup and `previous` hold the
   * installed ones.
   */
  StepSoftware: 'step-software',
  /**
   * A compute node's disable-compute does not name, in `after`, the wave's notify-vnf of a VNF with
   * `maintenance.notify` whose instances are on the node (or the wave has no such notice).
   */
  VnfNotice: 'vnf-notice',
  /**
   * A wave's `expectedSeconds` is shorter than the cool-downs it needs: impacting k members of a server
   * group, at most `maxImpacted` at a time, takes (⌈k / maxImpacted⌉ − 1) × `recoverySeconds`.
   */
  RecoveryTime: 'recovery-time',
} as const;

/** One of the values of {@link ViolationCode}. */
export type ViolationCode = (typeof ViolationCode)[keyof typeof ViolationCode];

/** How many violations of one code a verdict keeps; all are counted in {@link PlanVerdict.counts}. */
export const MAX_VIOLATIONS_PER_CODE = 1000;

/** One way in which a plan breaks a rule. */
export interface PlanViolation {
  /** The stable code of the rule; see {@link ViolationCode}. */
  readonly code: ViolationCode;
  /** Position of the wave in `plan.waves`; absent for violations of the plan as a whole. */
  readonly wave?: number | undefined;
  /** Names of the nodes, instances, server groups, VNFs, clusters or sites involved. */
  readonly objects: readonly string[];
  /** What is wrong, for people. */
  readonly message: string;
}

const ALL_CODES = Object.values(ViolationCode);

/**
 * Collects violations: counts every one, keeps the first {@link MAX_VIOLATIONS_PER_CODE} of each code.
 * One per check, shared by every rule, so the cap and the counts hold across rules. @internal
 */
export class Findings {
  readonly kept: PlanViolation[] = [];
  readonly counts = Object.fromEntries(ALL_CODES.map((c) => [c, 0])) as Record<ViolationCode, number>;

  add(code: ViolationCode, wave: number | undefined, objects: readonly string[], message: string): void {
    const seen = this.counts[code];
    this.counts[code] = seen + 1;
    if (seen >= MAX_VIOLATIONS_PER_CODE) return;
    this.kept.push(wave === undefined ? { code, objects, message } : { code, wave, objects, message });
  }
}
