/**
 * The ports: the small interfaces through which Escalator's engine touches the world. A host implements
 * them or takes the library's adapters (simulator, OpenStack, SSH, libvirt, HTTP VNF manager).
 * @module
 */

export type { Adapters } from './adapters.js';
export {
  ACTIONS,
  type Action,
  type AuthorizationDecision,
  type Authorizer,
  type Principal,
} from './authorizer.js';
export type { Clock } from './clock.js';
export type { CallOptions } from './common.js';
export type { Domain, Hypervisor } from './hypervisor.js';
export type { Logger, LogLevel, LogRecord } from './logger.js';
export type {
  BackupRef,
  BackupRequest,
  CommandResult,
  HealthReport,
  NodeAgent,
  RunOptions,
  WaitReadyOptions,
} from './node-agent.js';
export type { JournalEntry, LockOptions, LockTakeover, StateStore, StoreLock } from './state-store.js';
export type {
  CommandTransport,
  ExecOptions,
  HttpRequest,
  HttpResponse,
  HttpTransport,
  NodeEndpoint,
} from './transport.js';
export type {
  ComputeService,
  HypervisorInfo,
  MigrationRequest,
  MigrationStatus,
  ServiceStatus,
  Vim,
  VimAlarm,
  VimInstance,
  VimServerGroup,
} from './vim.js';
export type { MaintenanceNotice, MaintenanceReply, VnfManager } from './vnf-manager.js';
