/**
 * The simulated cloud: an in-memory NFVI/VIM built from an Inventory that implements every port
 * (`Vim`, `NodeAgent`, `Hypervisor`, `VnfManager`) on a virtual clock, with Nova-like rules, seeded
 * durations, fault injection and availability accounting.
 *
 * Every change of state is an operation applied through one function; operations can be written to a
 * log and replayed, so the simulated cloud survives a killed process (`--journal DIR`).
 */
import { resolveCatalog } from '../catalog/catalog.js';
import { AdapterError } from '../errors.js';
import type { Catalog } from '../model/component.js';
import type { Inventory } from '../model/inventory.js';
import type { Clock } from '../ports/clock.js';
import type { CallOptions } from '../ports/common.js';
import type { Hypervisor } from '../ports/hypervisor.js';
import type { BackupRef, NodeAgent } from '../ports/node-agent.js';
import type { MigrationStatus, Vim } from '../ports/vim.js';
import type { MaintenanceReply, VnfManager } from '../ports/vnf-manager.js';
import { mulberry32 } from '../util/random.js';
import { Accountant, type AvailabilityReport } from './availability.js';
import type { Fault } from './faults.js';

/** Typical durations of the simulated world, in seconds (each drawn with ±20% seeded jitter). */
export interface SimulatorDurations {
  /** Fixed part of a live migration; memory is copied at `liveMiBPerSecond`. */
  readonly liveMigrationBase: number;
  readonly liveMiBPerSecond: number;
  /** How long a live migration pauses the instance at switch-over, in milliseconds. */
  readonly livePauseMs: number;
  readonly coldMigrationBase: number;
  readonly coldGiBPerSecond: number;
  readonly serviceRestart: number;
  readonly reboot: number;
  /** Multiplies the catalog's expected upgrade time. */
  readonly upgradeFactor: number;
  readonly backup: number;
  readonly vnfmAnswer: number;
  readonly apiCall: number;
}

/** The defaults: a healthy modern cloud. */
export const DEFAULT_DURATIONS: SimulatorDurations = {
  liveMigrationBase: 3,
  liveMiBPerSecond: 1024,
  livePauseMs: 300,
  coldMigrationBase: 30,
  coldGiBPerSecond: 0.5,
  serviceRestart: 8,
  reboot: 150,
  upgradeFactor: 1,
  backup: 20,
  vnfmAnswer: 10,
  apiCall: 0.2,
};

/** Options of {@link createSimulatedCloud}. */
export interface SimulatedCloudOptions {
  readonly clock: Clock;
  /** Seeds every random draw (durations, probabilistic faults). @defaultValue 1 */
  readonly seed?: number | undefined;
  readonly faults?: readonly Fault[] | undefined;
  readonly durations?: Partial<SimulatorDurations> | undefined;
  /** @defaultValue the built-in catalog */
  readonly catalog?: Catalog | undefined;
  /** Receives every state change, to persist it (see {@link SimulatedCloud.replay}). */
  readonly onOperation?: ((op: CloudOperation) => void) | undefined;
  /** When the accounting starts. @defaultValue the clock's time now */
  readonly startedAt?: number | undefined;
}

/** One change of the simulated cloud's state, as logged for replay. */
export type CloudOperation =
  | {
      readonly k: 'svc';
      readonly at: number;
      readonly n: string;
      readonly s: 'enabled' | 'disabled';
      readonly r?: string | undefined;
    }
  | {
      readonly k: 'inst';
      readonly at: number;
      readonly i: string;
      readonly h?: string | undefined;
      readonly st?: string | undefined;
    }
  | {
      readonly k: 'node';
      readonly at: number;
      readonly n: string;
      readonly st: NodeRunState;
      readonly boot?: number | undefined;
    }
  | {
      readonly k: 'sw';
      readonly at: number;
      readonly n: string;
      readonly sw: Readonly<Record<string, string>>;
    }
  | {
      readonly k: 'restart';
      readonly at: number;
      readonly n: string;
      readonly c: string;
      readonly up: boolean;
    }
  | { readonly k: 'broken'; readonly at: number; readonly n: string; readonly c: string }
  | { readonly k: 'backup'; readonly at: number; readonly ref: BackupRef }
  | {
      readonly k: 'mig';
      readonly at: number;
      readonly i: string;
      readonly st: MigrationStatus['status'];
      readonly to: string;
      readonly msg?: string | undefined;
    }
  | { readonly k: 'pause'; readonly at: number; readonly i: string; readonly ms: number }
  /** A fault with a limited number of strikes struck (`f`: its index in the options' faults). */
  | { readonly k: 'fault'; readonly at: number; readonly f: number };

type NodeRunState = 'up' | 'rebooting' | 'down';
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface SimNode {
  readonly name: string;
  readonly host: string;
  readonly roles: readonly string[];
  readonly limit: readonly [number, number, number];
  readonly used: [number, number, number];
  readonly clusters: readonly { name: string; component: string | undefined }[];
  state: NodeRunState;
  boot: number;
  service: { status: 'enabled' | 'disabled'; reason?: string | undefined };
  software: Record<string, string>;
  /** Components whose services are down right now (restarting). */
  readonly restarting: Set<string>;
  /** Components whose services will not start (fault). */
  readonly broken: Set<string>;
}

interface SimInstance {
  readonly name: string;
  host: string;
  status: string;
  readonly resources: readonly [number, number, number];
  readonly group: string | undefined;
  migration: { status: MigrationStatus['status']; to: string; msg?: string | undefined } | undefined;
}

const SIM_VERSION = 'simulated';

/**
 * A simulated cloud. Its ports are `vim`, `nodes`, `hypervisor` and `vnfm`; `availability()` tells
 * what users felt; `inventory()` reads the live state back as an Inventory (for re-planning).
 */
export class SimulatedCloud {
  readonly vim: Vim;
  readonly nodes: NodeAgent;
  readonly hypervisor: Hypervisor;
  readonly vnfm: VnfManager;
  readonly #clock: Clock;
  readonly #inventory: Inventory;
  readonly #catalog: Catalog;
  readonly #durations: SimulatorDurations;
  readonly #random: () => number;
  readonly #faults: Fault[];
  readonly #faultUses = new Map<Fault, number>();
  readonly #onOperation: SimulatedCloudOptions['onOperation'];
  readonly #nodes = new Map<string, SimNode>();
  readonly #byHost = new Map<string, SimNode>();
  readonly #instances = new Map<string, SimInstance>();
  readonly #groupPolicy = new Map<string, string>();
  readonly #groupMembers = new Map<string, SimInstance[]>();
  /** Instances by the node they are on. */
  readonly #onNode = new Map<string, Set<SimInstance>>();
  readonly #backups = new Map<string, BackupRef>();
  readonly #accountant: Accountant;
  #replaying = false;
  readonly #startedAt: number;

  constructor(inventory: Inventory, options: SimulatedCloudOptions) {
    this.#clock = options.clock;
    this.#inventory = inventory;
    this.#catalog = options.catalog ?? resolveCatalog();
    this.#durations = { ...DEFAULT_DURATIONS, ...options.durations };
    this.#random = mulberry32(options.seed ?? 1);
    this.#faults = [...(options.faults ?? [])];
    this.#onOperation = options.onOperation;
    this.#startedAt = options.startedAt ?? this.#clock.now();
    const oc = inventory.overcommit;
    for (const n of inventory.nodes) {
      const cap = n.capacity;
      const node: SimNode = {
        name: n.name,
        host: n.vimName ?? n.name,
        roles: n.roles,
        limit: cap ? [cap.vcpus * oc.cpu, cap.memoryMiB * oc.memory, cap.diskGiB * oc.disk] : [0, 0, 0],
        used: [0, 0, 0],
        clusters: inventory.clusters
          .filter((c) => c.members.includes(n.name))
          .map((c) => ({ name: c.name, component: c.component })),
        state: n.state === 'up' ? 'up' : 'down',
        boot: 1,
        service: { status: n.state === 'maintenance' ? 'disabled' : 'enabled' },
        software: { ...n.software },
        restarting: new Set(),
        broken: new Set(),
      };
      this.#nodes.set(n.name, node);
      this.#byHost.set(node.host, node);
    }
    for (const g of inventory.serverGroups) this.#groupPolicy.set(g.name, g.policy);
    for (const i of inventory.instances) {
      const r = i.resources;
      const inst: SimInstance = {
        name: i.name,
        host: i.host,
        status: 'ACTIVE',
        resources: [r.vcpus, r.memoryMiB, r.diskGiB],
        group: i.serverGroup,
        migration: undefined,
      };
      this.#instances.set(i.name, inst);
      if (i.serverGroup)
        this.#groupMembers.set(i.serverGroup, [...(this.#groupMembers.get(i.serverGroup) ?? []), inst]);
      this.#use(i.host, inst.resources, 1);
      this.#hosted(i.host).add(inst);
    }
    const services = new Map<string, string[]>();
    for (const n of inventory.nodes)
      for (const c of Object.keys(n.software))
        if (this.#catalog[c]?.controlPlane) services.set(c, [...(services.get(c) ?? []), n.name]);
    this.#accountant = new Accountant(
      {
        instances: inventory.instances.map((i) => ({ name: i.name, vnf: i.vnf, serverGroup: i.serverGroup })),
        serverGroups: inventory.serverGroups,
        vnfs: inventory.vnfs,
        clusters: inventory.clusters,
        services,
      },
      options.startedAt ?? this.#clock.now(),
    );
    for (const n of inventory.nodes)
      if (n.state !== 'up') this.#refreshNode(this.#nodes.get(n.name) as SimNode);
    this.vim = this.#makeVim();
    this.nodes = this.#makeNodeAgent();
    this.hypervisor = this.#makeHypervisor();
    this.vnfm = this.#makeVnfm();
  }

  /** Re-applies logged operations (after a restart), without logging them again. */
  replay(ops: Iterable<CloudOperation>): void {
    this.#replaying = true;
    try {
      for (const op of ops) this.#apply(op);
    } finally {
      this.#replaying = false;
    }
  }

  /**
   * After a replay: what was in flight when the process died did not finish. Migrations under way end
   * in error with the instance on its source (as after a nova-compute restart), services restarting come
   * back, rebooting nodes come back later (also one a `node-no-return` fault held: faults that struck
   * do not strike again).
   */
  recover(): void {
    for (const inst of this.#instances.values()) {
      if (inst.migration?.status === 'running')
        this.#op({ k: 'mig', i: inst.name, st: 'error', to: inst.migration.to, msg: 'interrupted' });
      if (inst.status === 'MIGRATING' || (inst.status === 'SHUTOFF' && inst.migration?.status === 'error'))
        this.#op({ k: 'inst', i: inst.name, st: 'ACTIVE' });
    }
    for (const node of this.#nodes.values()) {
      for (const c of [...node.restarting]) this.#op({ k: 'restart', n: node.name, c, up: true });
      // A node held down by node-no-return was fixed while the process was stopped: the fault struck
      // once (it is in the log), and the operator's resume is what comes after the fix.
      if (node.state === 'rebooting')
        void this.#clock.sleep(this.#jitter(this.#durations.reboot)).then(() => {
          if (node.state === 'rebooting')
            this.#op({ k: 'node', n: node.name, st: 'up', boot: node.boot + 1 });
        });
    }
    for (const fault of this.#faults)
      if (fault.kind === 'node-dies' && this.#nodes.get(fault.node)?.state !== 'down')
        void this.#scheduleDeath(fault.node, fault.atSeconds);
  }

  /** What users would have felt so far. */
  availability(): AvailabilityReport {
    return this.#accountant.report(this.#clock.now());
  }

  /** The live state as an Inventory: hosts, node states and versions as they are now. */
  inventory(): Inventory {
    return {
      ...this.#inventory,
      nodes: this.#inventory.nodes.map((n) => {
        const s = this.#nodes.get(n.name);
        return s ? { ...n, state: s.state === 'up' ? 'up' : 'down', software: { ...s.software } } : n;
      }),
      instances: this.#inventory.instances.map((i) => ({
        ...i,
        host: this.#instances.get(i.name)?.host ?? i.host,
      })),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // State changes: all through #apply, which keeps usage and availability in step.

  #apply(op: CloudOperation): void {
    switch (op.k) {
      case 'svc': {
        const node = this.#nodes.get(op.n);
        if (node) node.service = { status: op.s, reason: op.r };
        break;
      }
      case 'inst': {
        const inst = this.#instances.get(op.i);
        if (!inst) break;
        if (op.h !== undefined && op.h !== inst.host) {
          this.#use(inst.host, inst.resources, -1);
          this.#hosted(inst.host).delete(inst);
          this.#use(op.h, inst.resources, 1);
          this.#hosted(op.h).add(inst);
          inst.host = op.h;
        }
        if (op.st !== undefined) inst.status = op.st;
        this.#refreshInstance(inst, op.at);
        break;
      }
      case 'node': {
        const node = this.#nodes.get(op.n);
        if (!node) break;
        node.state = op.st;
        if (op.boot !== undefined) node.boot = op.boot;
        this.#refreshNode(node, op.at);
        break;
      }
      case 'sw': {
        const node = this.#nodes.get(op.n);
        if (node) Object.assign(node.software, op.sw);
        break;
      }
      case 'restart': {
        const node = this.#nodes.get(op.n);
        if (!node) break;
        if (op.up) node.restarting.delete(op.c);
        else node.restarting.add(op.c);
        this.#refreshNode(node, op.at);
        break;
      }
      case 'broken': {
        const node = this.#nodes.get(op.n);
        if (!node) break;
        node.broken.add(op.c);
        this.#refreshNode(node, op.at);
        break;
      }
      case 'backup':
        this.#backups.set(op.ref.label, op.ref);
        break;
      case 'mig': {
        const inst = this.#instances.get(op.i);
        if (inst) inst.migration = { status: op.st, to: op.to, msg: op.msg };
        break;
      }
      case 'pause':
        this.#accountant.pause(op.i, op.ms, op.at);
        break;
      case 'fault': {
        // Replayed after a restart, so a fault that struck does not strike again on resume.
        const fault = this.#faults[op.f];
        if (fault) this.#faultUses.set(fault, (this.#faultUses.get(fault) ?? 0) + 1);
        break;
      }
    }
    if (!this.#replaying) this.#onOperation?.(op);
  }

  #op(op: DistributiveOmit<CloudOperation, 'at'>): void {
    this.#apply({ ...op, at: this.#clock.now() } as CloudOperation);
  }

  #hosted(node: string): Set<SimInstance> {
    let set = this.#onNode.get(node);
    if (!set) {
      set = new Set();
      this.#onNode.set(node, set);
    }
    return set;
  }

  #use(host: string, r: readonly [number, number, number], sign: 1 | -1): void {
    const node = this.#nodes.get(host);
    if (!node) return;
    for (let d = 0; d < 3; d++) node.used[d] = (node.used[d] ?? 0) + sign * (r[d] ?? 0);
  }

  #refreshInstance(inst: SimInstance, at = this.#clock.now()): void {
    const node = this.#nodes.get(inst.host);
    const up = node?.state === 'up' && (inst.status === 'ACTIVE' || inst.status === 'MIGRATING');
    this.#accountant.instance(inst.name, up, at);
  }

  #refreshNode(node: SimNode, at = this.#clock.now()): void {
    const up = node.state === 'up';
    for (const inst of this.#hosted(node.name)) this.#refreshInstance(inst, at);
    for (const c of node.clusters)
      this.#accountant.member(
        c.name,
        node.name,
        up && !(c.component && (node.restarting.has(c.component) || node.broken.has(c.component))),
        at,
      );
    for (const component of Object.keys(node.software))
      if (this.#catalog[component]?.controlPlane)
        this.#accountant.serving(
          component,
          node.name,
          up && !node.restarting.has(component) && !node.broken.has(component),
          at,
        );
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** A duration in ms: `seconds` with ±20% seeded jitter. */
  #jitter(seconds: number): number {
    return Math.max(1, Math.round(seconds * 1000 * (0.8 + 0.4 * this.#random())));
  }

  #fault<K extends Fault['kind']>(
    kind: K,
    matches: (f: Extract<Fault, { kind: K }>) => boolean,
  ): Extract<Fault, { kind: K }> | undefined {
    for (const f of this.#faults) {
      if (f.kind !== kind) continue;
      const fault = f as Extract<Fault, { kind: K }>;
      if (!matches(fault)) continue;
      const limit =
        'times' in fault && fault.times !== undefined ? fault.times : 'probability' in fault ? Infinity : 1;
      const used = this.#faultUses.get(f) ?? 0;
      if (used >= limit) continue;
      if ('probability' in fault && fault.probability !== undefined && this.#random() >= fault.probability)
        continue;
      if (limit === Infinity) this.#faultUses.set(f, used + 1);
      else this.#op({ k: 'fault', f: this.#faults.indexOf(f) }); // counted by #apply, and logged
      return fault;
    }
    return undefined;
  }

  /** Every API call takes a little time and may meet an injected API fault. */
  async #api(options?: CallOptions): Promise<void> {
    await this.#clock.sleep(this.#jitter(this.#durations.apiCall), options?.signal);
    const fault = this.#fault('api-error', () => true);
    if (!fault) return;
    if (fault.error === 'timeout') {
      await this.#clock.sleep(24 * 3600 * 1000, options?.signal); // until the caller gives up
      return;
    }
    throw new AdapterError('simulated API error: 503 Service Unavailable', {
      kind: 'transient',
      reason: 'http-503',
      requestId: `req-sim-${Math.floor(this.#random() * 1e9)}`,
    });
  }

  #node(name: string): SimNode {
    const node = this.#nodes.get(name) ?? this.#byHost.get(name);
    if (!node)
      throw new AdapterError(`no node "${name}" in the simulated cloud`, {
        kind: 'permanent',
        reason: 'not-found',
      });
    return node;
  }

  #instance(name: string): SimInstance {
    const inst = this.#instances.get(name);
    if (!inst) throw new AdapterError(`no instance "${name}"`, { kind: 'permanent', reason: 'not-found' });
    return inst;
  }

  /** Waits until the node answers; rejects if it is gone for good and the caller gives up. */
  #reachable(node: SimNode): void {
    if (node.state !== 'up')
      throw new AdapterError(`${node.name} does not answer (${node.state})`, {
        kind: 'transient',
        reason: 'unreachable',
      });
  }

  async #scheduleDeath(node: string, atSeconds: number): Promise<void> {
    await this.#clock.sleep(Math.max(0, this.#startedAt + atSeconds * 1000 - this.#clock.now()));
    this.#op({ k: 'node', n: node, st: 'down' });
  }

  /** Why a migration to `target` is refused, the way Nova's scheduler would, or undefined. */
  #refusal(inst: SimInstance, target: SimNode): string | undefined {
    if (target.name === inst.host) return 'the instance is already there';
    if (!target.roles.includes('compute')) return `${target.name} is not a compute node`;
    if (target.state !== 'up') return `${target.name} is down`;
    if (target.service.status === 'disabled') return `${target.name}'s compute service is disabled`;
    for (let d = 0; d < 3; d++)
      if ((target.used[d] ?? 0) + (inst.resources[d] ?? 0) > (target.limit[d] ?? 0) + 1e-9)
        return `not enough room on ${target.name}`;
    return undefined;
  }

  #breaksGroup(inst: SimInstance, target: SimNode): boolean {
    if (!inst.group) return false;
    const policy = this.#groupPolicy.get(inst.group);
    const others = (this.#groupMembers.get(inst.group) ?? []).filter((i) => i !== inst);
    if (policy === 'anti-affinity') return others.some((i) => i.host === target.name);
    if (policy === 'affinity') return others.some((i) => i.host !== target.name);
    return false;
  }

  async #runMigration(inst: SimInstance, target: SimNode, mode: 'live' | 'cold'): Promise<void> {
    const d = this.#durations;
    const failing = this.#fault(
      'migration-fails',
      (f) => f.instance === undefined || f.instance === inst.name,
    );
    // Live: the instance keeps running while its memory is copied; cold: it is stopped while its disk is.
    const live = mode === 'live';
    this.#op({ k: 'inst', i: inst.name, st: live ? 'MIGRATING' : 'SHUTOFF' });
    await this.#clock.sleep(
      this.#jitter(
        live
          ? d.liveMigrationBase + inst.resources[1] / d.liveMiBPerSecond
          : d.coldMigrationBase + inst.resources[2] / d.coldGiBPerSecond,
      ),
    );
    if (failing || target.state !== 'up') {
      this.#op({ k: 'inst', i: inst.name, st: 'ACTIVE' });
      this.#op({ k: 'mig', i: inst.name, st: 'error', to: target.name, msg: 'simulated migration failure' });
      return;
    }
    if (live) this.#op({ k: 'pause', i: inst.name, ms: d.livePauseMs });
    this.#op({ k: 'inst', i: inst.name, h: target.name, st: 'ACTIVE' }); // a cold resize is confirmed by the adapter
    this.#op({ k: 'mig', i: inst.name, st: 'completed', to: target.name });
  }

  /** The services of a component on a node restart for a while. */
  async #restart(node: SimNode, components: readonly string[], signal?: AbortSignal): Promise<void> {
    for (const c of components) this.#op({ k: 'restart', n: node.name, c, up: false });
    await this.#clock.sleep(this.#jitter(this.#durations.serviceRestart), signal);
    for (const c of components) this.#op({ k: 'restart', n: node.name, c, up: true });
  }

  // ---------------------------------------------------------------------------------------------
  // Ports

  #makeVim(): Vim {
    return {
      listComputeServices: async (o) => {
        await this.#api(o);
        return [...this.#nodes.values()]
          .filter((n) => n.roles.includes('compute'))
          .map((n) => ({
            host: n.host,
            status: n.service.status,
            state: n.state === 'up' ? 'up' : 'down',
            disabledReason: n.service.reason,
          }));
      },
      disableComputeService: async (host, reason, o) => {
        await this.#api(o);
        this.#op({ k: 'svc', n: this.#node(host).name, s: 'disabled', r: reason });
      },
      enableComputeService: async (host, o) => {
        await this.#api(o);
        this.#op({ k: 'svc', n: this.#node(host).name, s: 'enabled' });
      },
      listHypervisors: async (o) => {
        await this.#api(o);
        return [...this.#nodes.values()]
          .filter((n) => n.roles.includes('compute'))
          .map((n) => ({
            host: n.host,
            state: n.state === 'up' ? ('up' as const) : ('down' as const),
            vcpus: n.limit[0] / this.#inventory.overcommit.cpu,
            memoryMiB: n.limit[1] / this.#inventory.overcommit.memory,
            vcpusUsed: n.used[0],
            memoryMiBUsed: n.used[1],
            runningVms: this.#hosted(n.name).size,
          }));
      },
      listInstances: async (host, o) => {
        await this.#api(o);
        const node = this.#node(host);
        return [...this.#hosted(node.name)].map((i) => ({
          id: i.name,
          name: i.name,
          host: node.host,
          status: i.status,
        }));
      },
      migrate: async (instance, request, o) => {
        await this.#api(o);
        const inst = this.#instance(instance);
        const target = this.#node(request.target);
        if (inst.migration?.status === 'running')
          throw new AdapterError(`${instance} is already migrating`, {
            kind: 'permanent',
            reason: 'http-409',
          });
        const refusal = this.#refusal(inst, target);
        if (refusal)
          throw new AdapterError(`No valid host was found: ${refusal}`, {
            kind: 'permanent',
            reason: 'no-valid-host',
          });
        this.#op({ k: 'mig', i: instance, st: 'running', to: target.name });
        // Like Nova: a move that breaks the group's policy is accepted, then ends in error.
        if (this.#breaksGroup(inst, target)) {
          void this.#clock.sleep(this.#jitter(2)).then(() =>
            this.#op({
              k: 'mig',
              i: instance,
              st: 'error',
              to: target.name,
              msg: 'server group policy would be violated',
            }),
          );
          return;
        }
        void this.#runMigration(inst, target, request.mode);
      },
      migrationStatus: async (instance, o) => {
        await this.#api(o);
        const inst = this.#instance(instance);
        const host = this.#nodes.get(inst.host)?.host ?? inst.host;
        const m = inst.migration;
        if (!m) return { status: 'completed', host };
        return { status: m.status, host, message: m.msg };
      },
      abortMigration: async (instance, o) => {
        await this.#api(o);
        const inst = this.#instance(instance);
        if (inst.migration?.status === 'running')
          this.#op({ k: 'mig', i: instance, st: 'error', to: inst.migration.to, msg: 'aborted' });
      },
      stopInstance: async (instance, o) => {
        await this.#api(o);
        this.#op({ k: 'inst', i: this.#instance(instance).name, st: 'SHUTOFF' });
      },
      startInstance: async (instance, o) => {
        await this.#api(o);
        this.#op({ k: 'inst', i: this.#instance(instance).name, st: 'ACTIVE' });
      },
      listServerGroups: async (o) => {
        await this.#api(o);
        return this.#inventory.serverGroups.map((g) => ({
          id: g.name,
          name: g.name,
          policy: g.policy,
          members: (this.#groupMembers.get(g.name) ?? []).map((i) => i.name),
        }));
      },
      listNetworkAgents: async (o) => {
        await this.#api(o);
        return this.#agents(['neutron-openvswitch-agent', 'neutron-l3-agent', 'neutron-dhcp-agent']);
      },
      listVolumeServices: async (o) => {
        await this.#api(o);
        return this.#agents(['cinder-volume']);
      },
      listAlarms: async (o) => {
        await this.#api(o);
        return [...this.#nodes.values()]
          .filter(
            (n) => n.state === 'down' && this.#inventory.nodes.find((x) => x.name === n.name)?.state === 'up',
          )
          .map((n) => ({
            id: `host-down-${n.name}`,
            severity: 'critical' as const,
            resource: n.host,
            message: 'host does not answer',
          }));
      },
    };
  }

  #agents(components: readonly string[]) {
    const out: { binary: string; host: string; state: 'up' | 'down'; enabled: boolean }[] = [];
    for (const n of this.#nodes.values())
      for (const c of components)
        if (n.software[c] !== undefined)
          out.push({
            binary: c,
            host: n.host,
            state: n.state === 'up' && !n.broken.has(c) ? 'up' : 'down',
            enabled: true,
          });
    return out;
  }

  #makeNodeAgent(): NodeAgent {
    return {
      run: async (node, argv, o) => {
        await this.#api(o);
        this.#reachable(this.#node(node));
        return { exitCode: 0, stdout: `${SIM_VERSION}: ${argv.join(' ')}\n`, stderr: '' };
      },
      installedVersions: async (node, components, o) => {
        await this.#api(o);
        const n = this.#node(node);
        this.#reachable(n);
        return Object.fromEntries(
          components.flatMap((c) => (n.software[c] !== undefined ? [[c, n.software[c] as string]] : [])),
        );
      },
      installVersions: async (node, software, o) => {
        const n = this.#node(node);
        this.#reachable(n);
        // Like apt: each package's service is stopped while it is replaced, then started again.
        for (const [component, version] of Object.entries(software)) {
          this.#op({ k: 'restart', n: n.name, c: component, up: false });
          try {
            const seconds =
              (this.#catalog[component]?.expectedSeconds ?? 120) * this.#durations.upgradeFactor;
            await this.#clock.sleep(this.#jitter(seconds), o?.signal);
            this.#reachable(n);
            const failing = this.#fault('upgrade-fails', (f) => f.node === n.name);
            if (failing)
              throw new AdapterError(
                `apt-get failed on ${n.name} installing ${component}: simulated dependency problem`,
                {
                  kind: failing.transient ? 'transient' : 'permanent',
                  reason: 'exit-100',
                },
              );
            this.#op({ k: 'sw', n: n.name, sw: { [component]: version } });
          } finally {
            this.#op({ k: 'restart', n: n.name, c: component, up: true });
          }
        }
        if (this.#fault('service-no-start', (f) => f.node === n.name))
          for (const c of Object.keys(software)) this.#op({ k: 'broken', n: n.name, c });
      },
      restartServices: async (node, services, o) => {
        const n = this.#node(node);
        this.#reachable(n);
        const components = Object.keys(n.software).filter((c) =>
          (this.#catalog[c]?.services ?? []).some((s) => services.includes(s)),
        );
        await this.#restart(n, components, o?.signal);
      },
      bootId: async (node, o) => {
        await this.#api(o);
        const n = this.#node(node);
        this.#reachable(n);
        return `sim-${n.name}-${n.boot}`;
      },
      reboot: async (node, o) => {
        await this.#api(o);
        const n = this.#node(node);
        this.#reachable(n);
        this.#op({ k: 'node', n: n.name, st: 'rebooting' });
        const neverBack = this.#fault('node-no-return', (f) => f.node === n.name);
        if (!neverBack)
          void this.#clock.sleep(this.#jitter(this.#durations.reboot)).then(() => {
            if (n.state === 'rebooting') this.#op({ k: 'node', n: n.name, st: 'up', boot: n.boot + 1 });
          });
      },
      waitReady: async (node, o) => {
        const n = this.#node(node);
        // Up, and (when asked) on another boot than the one before the reboot.
        while (n.state !== 'up' || `sim-${n.name}-${n.boot}` === o?.since)
          await this.#clock.sleep(5000, o?.signal);
      },
      backup: async (node, request, o) => {
        const n = this.#node(node);
        this.#reachable(n);
        await this.#clock.sleep(
          this.#jitter(this.#durations.backup + 10 * request.databases.length),
          o?.signal,
        );
        const ref: BackupRef = {
          node: n.name,
          label: request.label,
          location: `sim://${n.name}/var/backups/escalator/${request.label}`,
          software: { ...request.software },
          checksum: `sha256:sim-${request.label}`,
        };
        this.#op({ k: 'backup', ref });
        return ref;
      },
      restore: async (node, backup, o) => {
        const n = this.#node(node);
        this.#reachable(n);
        if (this.#backups.get(backup.label)?.checksum !== backup.checksum)
          throw new AdapterError(`backup ${backup.label} not found on ${n.name}`, {
            kind: 'permanent',
            reason: 'backup-missing',
          });
        await this.#clock.sleep(this.#jitter(this.#durations.backup * 2), o?.signal);
        this.#op({ k: 'sw', n: n.name, sw: { ...backup.software } });
        await this.#restart(n, Object.keys(backup.software), o?.signal);
      },
      health: async (node, services, o) => {
        await this.#api(o);
        const n = this.#node(node);
        const up = n.state === 'up';
        return {
          ok: up && n.broken.size === 0,
          services: services.map((name) => ({
            name,
            active:
              up &&
              ![...n.broken].some((c) => (this.#catalog[c]?.services ?? []).includes(name)) &&
              ![...n.restarting].some((c) => (this.#catalog[c]?.services ?? []).includes(name)),
          })),
        };
      },
    };
  }

  #makeHypervisor(): Hypervisor {
    return {
      domains: async (node, o) => {
        await this.#api(o);
        const n = this.#node(node);
        return [...this.#hosted(n.name)].map((i) => ({
          name: i.name,
          state:
            i.status === 'ACTIVE' || i.status === 'MIGRATING' ? ('running' as const) : ('shutoff' as const),
        }));
      },
      version: async (node, o) => {
        await this.#api(o);
        return this.#node(node).software.libvirt ?? SIM_VERSION;
      },
      ready: async (node, o) => {
        await this.#api(o);
        return this.#node(node).state === 'up';
      },
    };
  }

  #makeVnfm(): VnfManager {
    return {
      notifyMaintenance: async (notice, o): Promise<MaintenanceReply> => {
        const silent = this.#fault('vnfm-silent', (f) => f.vnf === notice.vnf);
        if (silent) {
          await this.#clock.sleep(notice.leadTimeSeconds * 1000, o?.signal);
          return 'timeout';
        }
        await this.#clock.sleep(
          Math.min(this.#jitter(this.#durations.vnfmAnswer), notice.leadTimeSeconds * 1000),
          o?.signal,
        );
        return this.#fault('vnfm-nack', (f) => f.vnf === notice.vnf) ? 'nack' : 'ack';
      },
      notifyDone: async (_notice, o) => {
        await this.#clock.sleep(this.#jitter(1), o?.signal);
      },
    };
  }
}

/** Creates a simulated cloud from an inventory. */
export function createSimulatedCloud(inventory: Inventory, options: SimulatedCloudOptions): SimulatedCloud {
  return new SimulatedCloud(inventory, options);
}
