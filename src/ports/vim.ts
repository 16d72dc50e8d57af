/**
 * The `Vim` port: what the engine asks of the cloud's control plane (OpenStack Nova, Neutron, Cinder
 * and alarms in the real adapter; the simulator in the embedded default).
 */
import type { CallOptions } from './common.js';

/** A compute service (nova-compute) as the VIM sees it. */
export interface ComputeService {
  /** Host name, as in the inventory (`vimName` when set). */
  readonly host: string;
  readonly status: 'enabled' | 'disabled';
  readonly state: 'up' | 'down';
  readonly disabledReason?: string | undefined;
}

/** A hypervisor and its capacity as the VIM accounts it. */
export interface HypervisorInfo {
  readonly host: string;
  readonly state: 'up' | 'down';
  readonly vcpus?: number | undefined;
  readonly memoryMiB?: number | undefined;
  readonly vcpusUsed?: number | undefined;
  readonly memoryMiBUsed?: number | undefined;
  readonly runningVms?: number | undefined;
}

/** An instance as the VIM sees it. */
export interface VimInstance {
  /** The VIM's id (a Nova server UUID); the simulator uses the name. */
  readonly id: string;
  readonly name: string;
  readonly host: string;
  /** Nova-style status: ACTIVE, SHUTOFF, MIGRATING, VERIFY_RESIZE, ERROR, ... */
  readonly status: string;
}

/** Where a migration stands. */
export interface MigrationStatus {
  readonly status: 'queued' | 'running' | 'completed' | 'error';
  /** The instance's host now. */
  readonly host: string;
  readonly message?: string | undefined;
  /**
   * With `error`: the VIM refused the move for a reason that may pass by itself, so asking again later
   * may succeed (Nova: its scheduler found no valid host, and its view of the hosts can lag behind).
   */
  readonly retryable?: boolean | undefined;
}

/** A service of the control plane (network agent, volume service). */
export interface ServiceStatus {
  readonly binary: string;
  readonly host: string;
  readonly state: 'up' | 'down';
  readonly enabled: boolean;
}

/** An alarm raised by the VIM or its monitoring. */
export interface VimAlarm {
  readonly id: string;
  readonly severity: 'critical' | 'major' | 'minor' | 'warning';
  readonly resource: string;
  readonly message: string;
}

/** A server group as the VIM records it. */
export interface VimServerGroup {
  readonly id: string;
  readonly name: string;
  readonly policy: string;
  /** Instance ids. */
  readonly members: readonly string[];
}

/** The control-plane port. Every method may reject with an {@link AdapterError}. */
export interface Vim {
  listComputeServices(options?: CallOptions): Promise<readonly ComputeService[]>;
  /** The scheduler places nothing new on the host; `reason` is shown to other operators. */
  disableComputeService(host: string, reason: string, options?: CallOptions): Promise<void>;
  enableComputeService(host: string, options?: CallOptions): Promise<void>;
  listHypervisors(options?: CallOptions): Promise<readonly HypervisorInfo[]>;
  listInstances(host: string, options?: CallOptions): Promise<readonly VimInstance[]>;
  /**
   * Starts moving an instance to `target` (live: keeps running; cold: stopped while it moves, confirmed
   * by the adapter). Resolves once the VIM accepted it; follow it with {@link Vim.migrationStatus}.
   */
  migrate(instance: string, request: MigrationRequest, options?: CallOptions): Promise<void>;
  migrationStatus(instance: string, options?: CallOptions): Promise<MigrationStatus>;
  /** Stops a migration that hangs. */
  abortMigration(instance: string, options?: CallOptions): Promise<void>;
  stopInstance(instance: string, options?: CallOptions): Promise<void>;
  startInstance(instance: string, options?: CallOptions): Promise<void>;
  listServerGroups(options?: CallOptions): Promise<readonly VimServerGroup[]>;
  listNetworkAgents(options?: CallOptions): Promise<readonly ServiceStatus[]>;
  listVolumeServices(options?: CallOptions): Promise<readonly ServiceStatus[]>;
  listAlarms(options?: CallOptions): Promise<readonly VimAlarm[]>;
}

/** How and where to move an instance. */
export interface MigrationRequest {
  readonly mode: 'live' | 'cold';
  /** The planned target host; the scheduler does not choose. */
  readonly target: string;
}
