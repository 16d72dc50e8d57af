/**
 * Escalator: plans and carries out smooth upgrades of NFV clouds — the OpenStack control plane and
 * the compute, network and storage nodes under it — without outage for the VNFs that run there.
 *
 * The core (documents, catalog, planner, checker, state machine) is pure: it takes data and returns
 * data. Everything that touches the world is an adapter the host supplies or takes from the library.
 *
 * @example
 * ```ts
 * import { loadCampaign, loadInventory } from 'escalator';
 * const inventory = await loadInventory('inventory.yaml');
 * const campaign = await loadCampaign('campaign.yaml', { inventory });
 * ```
 * @module escalator
 */

export * from './auth/index.js';
export { BUILTIN_CATALOG } from './catalog/builtin.js';
export { dependencyDepths, dependencyGraph, resolveCatalog } from './catalog/catalog.js';
export {
  MAX_VIOLATIONS_PER_CODE,
  type PlanVerdict,
  type PlanViolation,
  ViolationCode,
  verifyPlan,
} from './checker/verify-plan.js';
export * from './clock/index.js';
export * from './config/index.js';
export * from './engine/index.js';
export {
  AdapterError,
  DependencyCycleError,
  DocumentError,
  type DocumentIssue,
  ErrorCode,
  EscalatorError,
  type EscalatorErrorOptions,
  type FaultKind,
  FileUnreadableError,
  ForbiddenError,
  formatIssue,
  formatPath,
  IllegalTransitionError,
  type InfeasibleDetail,
  InfeasiblePlanError,
  JournalCorruptError,
  LockedError,
  StepTimeoutError,
  WindowClosedError,
} from './errors.js';
export { checkCampaign, checkCampaignAgainstInventory, checkInventory } from './loader/integrity.js';
export {
  type CampaignParseOptions,
  loadCampaign,
  loadInventory,
  loadInventoryOverlay,
  loadPlan,
  mergeInventory,
  type ParseOptions,
  parseCampaign,
  parseInventory,
  parseInventoryOverlay,
  parsePlan,
} from './loader/load.js';
export { type InventorySummary, summarizeInventory } from './loader/summary.js';
export * from './logging/index.js';
export {
  type Campaign,
  type CampaignInput,
  CampaignSchema,
  type FailurePolicy,
  type InstanceAction,
  type Scope,
  type Strategy,
} from './model/campaign.js';
export { API_VERSION, ROLES } from './model/common.js';
export {
  type Catalog,
  CatalogSchema,
  type Component,
  type ComponentInput,
  type ComponentOverride,
  ComponentOverrideSchema,
  ComponentSchema,
  DISRUPTIONS,
  type Disruption,
} from './model/component.js';
export {
  type ConfigDocument,
  type EscalatorConfigInput,
  EscalatorConfigSchema,
  type SecretRef,
} from './model/config.js';
export {
  type Cluster,
  type Instance,
  type Inventory,
  type InventoryInput,
  type InventoryNode,
  InventorySchema,
  type MigrationMode,
  type Resources,
  type Role,
  type ServerGroup,
  type Vnf,
} from './model/inventory.js';
export {
  type InventoryOverlay,
  InventoryOverlaySchema,
  type MergeReport,
} from './model/inventory-overlay.js';
export { jsonSchemas } from './model/json-schema.js';
export {
  type Migration,
  type NodeStep,
  type NodeStepKind,
  type Plan,
  type PlanInput,
  PlanSchema,
  type PlanTotals,
  STEP_KINDS,
  STEP_SCHEMAS,
  type Step,
  type StepInput,
  type StepKind,
  type StepOf,
  StepSchema,
  stepNode,
  type VnfImpact,
  type Wave,
} from './model/plan.js';
export {
  inScope,
  instanceTreatment,
  outdatedComponents,
  resolveMaxParallel,
  type UpgradeScope,
  upgradeScope,
} from './model/scope.js';
export { createPlan, type PlanOptions } from './planner/create-plan.js';
export { createNaivePlan } from './planner/naive.js';
export { formatDuration, planDot, planMermaid, planTable } from './planner/render.js';
export { type PlanProgress, replan } from './planner/replan.js';
export * from './ports/index.js';
export * from './stores/index.js';
