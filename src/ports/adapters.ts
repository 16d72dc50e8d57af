/** The bundle of ports a campaign runs on. */
import type { Hypervisor } from './hypervisor.js';
import type { NodeAgent } from './node-agent.js';
import type { Vim } from './vim.js';
import type { VnfManager } from './vnf-manager.js';

/** The adapters a campaign runs on. */
export interface Adapters {
  readonly vim: Vim;
  readonly nodes: NodeAgent;
  /** Optional: checks the hypervisor is ready before a compute is re-enabled. */
  readonly hypervisor?: Hypervisor | undefined;
  /** Optional: without it, `notify` steps are acknowledged at once (no VNF manager to ask). */
  readonly vnfm?: VnfManager | undefined;
}
