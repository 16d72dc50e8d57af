/** The `Hypervisor` port: the virtualisation layer of a compute node (libvirt in the default adapter). */
import type { CallOptions } from './common.js';

/** A virtual machine as the hypervisor sees it. */
export interface Domain {
  readonly name: string;
  readonly state: 'running' | 'paused' | 'shutoff' | 'other';
}

/** The hypervisor port. */
export interface Hypervisor {
  domains(node: string, options?: CallOptions): Promise<readonly Domain[]>;
  version(node: string, options?: CallOptions): Promise<string>;
  /** Whether the hypervisor accepts new domains. */
  ready(node: string, options?: CallOptions): Promise<boolean>;
}
