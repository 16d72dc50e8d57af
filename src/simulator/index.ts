/**
 * `escalator/simulator`: the embedded default — a simulated NFVI/VIM that implements every port on a
 * virtual clock, with fault injection and availability accounting, and the runner that simulates a
 * whole campaign.
 * @module escalator/simulator
 */
export type {
  AvailabilityReport,
  AvailabilityRow,
  GroupRecovery,
  Interval,
  VnfAvailability,
} from './availability.js';
export {
  type CloudOperation,
  createSimulatedCloud,
  DEFAULT_DURATIONS,
  SimulatedCloud,
  type SimulatedCloudOptions,
  type SimulatorDurations,
} from './cloud.js';
export {
  type Fault,
  FaultScenarioSchema,
  FaultSchema,
  parseFaultFlag,
  parseFaultScenario,
} from './faults.js';
export { type HtmlReportOptions, renderHtmlReport } from './html-report.js';
export {
  LOCAL_OPERATOR,
  type ResumeOptions,
  resumeSimulation,
  type SimulationOptions,
  type SimulationResult,
  type SimulationStrategy,
  simulateCampaign,
  type TimelineWave,
} from './run.js';
export { renderComparison, renderTextReport } from './text-report.js';
