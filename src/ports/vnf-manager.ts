/** The `VnfManager` port: Doctor/Fenix-style maintenance conversations with the VNFs' managers. */
import type { CallOptions } from './common.js';

/** What is about to happen to a VNF. */
export interface MaintenanceNotice {
  /** Unique per notice, so a manager can answer it (also through `engine.notify`). */
  readonly id: string;
  readonly vnf: string;
  readonly instances: readonly string[];
  /** How long the manager has to answer. */
  readonly leadTimeSeconds: number;
  readonly reason: string;
}

/** The manager's answer: go ahead, refuse, or no answer within the lead time. */
export type MaintenanceReply = 'ack' | 'nack' | 'timeout';

/** The VNF manager port. */
export interface VnfManager {
  /** Tells the manager and waits for its answer, at most the lead time. */
  notifyMaintenance(notice: MaintenanceNotice, options?: CallOptions): Promise<MaintenanceReply>;
  /** Tells the manager the maintenance is over. */
  notifyDone(notice: MaintenanceNotice, options?: CallOptions): Promise<void>;
}
