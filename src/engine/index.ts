/**
 * The campaign engine: state machines as data, the journal and its reducer, policies, prechecks and
 * the status table.
 * @module
 */
export type { ActionContext, Adapters } from './actions.js';
export {
  type CampaignInput,
  type CampaignOutcome,
  createEngine,
  Engine,
  type EngineEvents,
  type EngineOptions,
  type Notification,
} from './engine.js';
export {
  type Alarm,
  applyRecord,
  type CampaignSnapshot,
  type JournalRecord,
  type PrecheckReport,
  type PrecheckResult,
  replay,
  type StepRecord,
} from './journal.js';
export {
  CAMPAIGN_STATES,
  CAMPAIGN_TRANSITIONS,
  type CampaignEvent,
  type CampaignState,
  campaignTransition,
  FINAL_STATES,
  machineDot,
  machineMermaid,
  RESTING_STATES,
  STEP_STATES,
  STEP_TRANSITIONS,
  type StepEvent,
  type StepState,
  stepTransition,
} from './machine.js';
export {
  DEFAULT_POLICY,
  type EnginePolicy,
  type EnginePolicyInput,
  isTransient,
  type RetryPolicy,
  resolvePolicy,
  type StepPolicy,
  withRetry,
} from './policy.js';
export { excludeNodes, runPrechecks } from './prechecks.js';
export {
  type CampaignStatus,
  type ClusterStatus,
  type ModuleStatus,
  type NodeStatus,
  type Progress,
  progressOf,
  type SiteStatus,
  statusOf,
} from './status.js';
