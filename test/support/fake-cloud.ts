/**
 * A small in-test cloud behind the Vim and NodeAgent ports, for engine tests. Every mutating call is
 * appended to `effects` (and, with `file`, the whole state is written to disk after each change so a
 * killed process leaves the cloud as it was). Faults are scripted per operation.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { AdapterError } from '../../src/errors.js';
import type { Inventory } from '../../src/model/inventory.js';
import type { Clock } from '../../src/ports/clock.js';
import type { BackupRef, NodeAgent } from '../../src/ports/node-agent.js';
import type { Vim } from '../../src/ports/vim.js';
import type { MaintenanceReply, VnfManager } from '../../src/ports/vnf-manager.js';

export interface FakeState {
  services: Record<string, { status: 'enabled' | 'disabled'; reason?: string; state: 'up' | 'down' }>;
  hosts: Record<string, string>;
  stopped: string[];
  versions: Record<string, Record<string, string>>;
  boots: Record<string, number>;
  backups: Record<string, BackupRef>;
  restored: string[];
  effects: string[];
}

export type Fault = 'transient' | 'permanent' | 'hang';

export interface FakeCloudOptions {
  readonly clock: Clock;
  /** Persist the state here after each change (crash tests). */
  readonly file?: string;
  /** Virtual milliseconds each call takes. */
  readonly delayMs?: number;
}

export class FakeCloud {
  state: FakeState;
  /** op key (e.g. `installVersions:cmp-1`) -> faults to serve, in order. */
  readonly faults = new Map<string, Fault[]>();
  readonly #clock: Clock;
  readonly #file: string | undefined;
  readonly #delay: number;
  vnfReply: MaintenanceReply = 'ack';
  /** Every live migration in progress, to count concurrent moves per group. */
  concurrentMigrations = 0;
  maxConcurrentMigrations = 0;

  constructor(inventory: Inventory, options: FakeCloudOptions) {
    this.#clock = options.clock;
    this.#file = options.file;
    this.#delay = options.delayMs ?? 1000;
    this.state = {
      services: Object.fromEntries(
        inventory.nodes
          .filter((n) => n.roles.includes('compute'))
          .map((n) => [n.name, { status: 'enabled', state: 'up' }]),
      ),
      hosts: Object.fromEntries(inventory.instances.map((i) => [i.name, i.host])),
      stopped: [],
      versions: Object.fromEntries(inventory.nodes.map((n) => [n.name, { ...n.software }])),
      boots: Object.fromEntries(inventory.nodes.map((n) => [n.name, 1])),
      backups: {},
      restored: [],
      effects: [],
    };
  }

  static load(inventory: Inventory, options: FakeCloudOptions & { file: string }): FakeCloud {
    const cloud = new FakeCloud(inventory, options);
    try {
      cloud.state = JSON.parse(readFileSync(options.file, 'utf8')) as FakeState;
    } catch {
      // no saved state yet
    }
    return cloud;
  }

  #save(): void {
    if (!this.#file) return;
    writeFileSync(`${this.#file}.tmp`, JSON.stringify(this.state));
    renameSync(`${this.#file}.tmp`, this.#file);
  }

  #effect(what: string): void {
    this.state.effects.push(what);
    this.#save();
  }

  async #call(key: string, signal?: AbortSignal): Promise<void> {
    await this.#clock.sleep(this.#delay, signal);
    const fault = this.faults.get(key)?.shift();
    if (fault === 'transient')
      throw new AdapterError(`${key}: service unavailable`, { kind: 'transient', reason: 'http-503' });
    if (fault === 'permanent')
      throw new AdapterError(`${key}: refused`, { kind: 'permanent', reason: 'http-409' });
    if (fault === 'hang') await this.#clock.sleep(10 * 24 * 3600 * 1000, signal);
  }

  readonly vim: Vim = {
    listComputeServices: async () =>
      Object.entries(this.state.services).map(([host, s]) => ({
        host,
        status: s.status,
        state: s.state,
        disabledReason: s.reason,
      })),
    disableComputeService: async (host, reason, o) => {
      await this.#call(`disable:${host}`, o?.signal);
      const s = this.state.services[host];
      if (s) Object.assign(s, { status: 'disabled', reason });
      this.#effect(`disable:${host}`);
    },
    enableComputeService: async (host, o) => {
      await this.#call(`enable:${host}`, o?.signal);
      const s = this.state.services[host];
      if (s) {
        s.status = 'enabled';
        delete s.reason;
      }
      this.#effect(`enable:${host}`);
    },
    listHypervisors: async () =>
      Object.entries(this.state.services).map(([host, s]) => ({
        host,
        state: s.state,
        memoryMiB: 1 << 20,
        memoryMiBUsed: 0,
      })),
    listInstances: async (host) =>
      Object.entries(this.state.hosts)
        .filter(([, h]) => h === host)
        .map(([name]) => ({
          id: name,
          name,
          host,
          status: this.state.stopped.includes(name) ? 'SHUTOFF' : 'ACTIVE',
        })),
    migrate: async (instance, request, o) => {
      this.concurrentMigrations++;
      this.maxConcurrentMigrations = Math.max(this.maxConcurrentMigrations, this.concurrentMigrations);
      try {
        await this.#call(`migrate:${instance}`, o?.signal);
        this.state.hosts[instance] = request.target;
        this.#effect(`migrate:${instance}:${request.target}`);
      } finally {
        this.concurrentMigrations--;
      }
    },
    migrationStatus: async (instance) => ({ status: 'completed', host: this.state.hosts[instance] ?? '' }),
    abortMigration: async () => undefined,
    stopInstance: async (instance) => {
      this.state.stopped.push(instance);
      this.#effect(`stop:${instance}`);
    },
    startInstance: async (instance) => {
      this.state.stopped = this.state.stopped.filter((i) => i !== instance);
      this.#effect(`start:${instance}`);
    },
    listServerGroups: async () => [],
    listNetworkAgents: async () => [],
    listVolumeServices: async () => [],
    listAlarms: async () => [],
  };

  readonly nodes: NodeAgent = {
    run: async () => ({ exitCode: 0, stdout: '', stderr: '' }),
    installedVersions: async (node, components) =>
      Object.fromEntries(
        components.flatMap((c) =>
          this.state.versions[node]?.[c] ? [[c, this.state.versions[node][c]]] : [],
        ),
      ),
    installVersions: async (node, software, o) => {
      await this.#call(`installVersions:${node}`, o?.signal);
      this.state.versions[node] = { ...this.state.versions[node], ...software };
      this.#effect(
        `install:${node}:${Object.entries(software)
          .map(([c, v]) => `${c}=${v}`)
          .join(',')}`,
      );
    },
    restartServices: async (node, services, o) => {
      await this.#call(`restart:${node}`, o?.signal);
      this.#effect(`restart:${node}:${services.join(',')}`);
    },
    bootId: async (node) => `boot-${node}-${this.state.boots[node] ?? 0}`,
    reboot: async (node, o) => {
      await this.#call(`reboot:${node}`, o?.signal);
      this.state.boots[node] = (this.state.boots[node] ?? 0) + 1;
      this.#effect(`reboot:${node}`);
    },
    waitReady: async (node, o) => this.#call(`wait:${node}`, o?.signal),
    backup: async (node, request, o) => {
      await this.#call(`backup:${node}`, o?.signal);
      const ref: BackupRef = {
        node,
        label: request.label,
        location: `/var/backups/escalator/${request.label}`,
        software: request.software,
        checksum: `sha256:${request.label}`,
      };
      this.state.backups[request.label] = ref;
      this.#effect(`backup:${node}:${request.label}`);
      return ref;
    },
    restore: async (node, backup, o) => {
      await this.#call(`restore:${node}`, o?.signal);
      this.state.versions[node] = { ...this.state.versions[node], ...backup.software };
      this.state.restored.push(backup.label);
      this.#effect(`restore:${node}:${backup.label}`);
    },
    health: async (_node, services) => ({
      ok: true,
      services: services.map((name) => ({ name, active: true })),
    }),
  };

  readonly vnfm: VnfManager = {
    notifyMaintenance: async (notice) => {
      this.#effect(`notify:${notice.vnf}`);
      return this.vnfReply;
    },
    notifyDone: async (notice) => {
      this.#effect(`done:${notice.vnf}`);
    },
  };

  /** How many times an effect was applied. */
  count(effect: string): number {
    return this.state.effects.filter((e) => e === effect).length;
  }
}
