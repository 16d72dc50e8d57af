/**
 * The campaign engine: a pure core that decides (`decide`: state + command or observation → records +
 * effects), a runner that performs the effects through the ports, and the {@link Engine} facade; the
 * state machines as data, the journal and its reducer, policies, prechecks and the status table.
 * @module
 */
export { COMMAND_ACTION, type Command, type CommandType, type Notification } from './commands.js';
export { type DecideContext, type Decision, decide, type Input } from './core/decide.js';
export { describeError, type Effect, type ErrorInfo, type Observation } from './core/effects.js';
export {
  type CoreState,
  createCore,
  currentWave,
  DONE_STEP,
  evolve,
  openGate,
  type PlanIndex,
  type RollbackPlan,
  type WaveSchedule,
} from './core/state.js';
export {
  type Accepted,
  type CampaignOutcome,
  createEngine,
  Engine,
  type EngineOptions,
  type NewCampaign,
  type OpenOptions,
} from './engine.js';
export type { EngineEvents } from './events.js';
export {
  type Alarm,
  applyRecord,
  type CampaignSnapshot,
  type JournalRecord,
  type NewRecord,
  type PendingRequests,
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
export {
  followMigration,
  handlerOf,
  indexSteps,
  STEP_HANDLERS,
  type StepContext,
  type StepData,
  type StepHandler,
  type StepHandlers,
  type StepIndex,
  type StepResult,
  vimHost,
} from './steps/index.js';
