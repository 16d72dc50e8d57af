/**
 * Scripted nodes for the crash-resume tests (test/crash-resume.test.ts): a {@link NodeAgent} and a VIM
 * overlay whose whole state lives in a JSON file, read before and written after every call, so that a
 * process killed at any moment leaves the nodes as real ones would be, and the process that resumes
 * finds them so (it keeps nothing in memory). Unlike the simulator, time passes on the nodes while no
 * process runs:
 *
 * - a reboot is accepted at once but happens later (as with `systemd-run --on-active=2`): the node keeps
 *   answering with its old boot id until the test lets it go (the file `release-<node>` appears), then
 *   does not answer for `downtimeMs`, then answers with a new boot id;
 * - a package install stops the components' services, takes `installMs`, then puts the versions in
 *   place and takes `installMs` more before it returns; the services stay stopped until restarted (or
 *   the node reboots);
 * - a migration runs for `migrateMs` in the VIM, which refuses a second one while it runs.
 *
 * Each event is appended to the file's `events` with the time and pid, and told to `announce` (the
 * child process prints it, so the test can kill it at a chosen one).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdapterError } from '../../src/errors.js';
import type { Inventory } from '../../src/model/inventory.js';
import type { CallOptions } from '../../src/ports/common.js';
import type { NodeAgent, WaitReadyOptions } from '../../src/ports/node-agent.js';
import type { MigrationStatus, Vim } from '../../src/ports/vim.js';

/** One thing that happened on a node or in the VIM. */
export interface NodeEvent {
  readonly at: number;
  readonly pid: number;
  readonly node: string;
  /** `reboot` (accepted), `down`, `up`, `wait`, `ready`, `install-start`, `install`, `restart`, `migrate-start`. */
  readonly what: string;
  readonly detail?: string | undefined;
}

interface NodeState {
  boot: number;
  versions: Record<string, string>;
  servicesActive: boolean;
  /** A reboot accepted and not yet happened. */
  rebootPending?: boolean | undefined;
  /** Down from `downAt` until `upAt` (epoch ms). */
  downAt?: number | undefined;
  upAt?: number | undefined;
}

interface Migration {
  readonly from: string;
  readonly target: string;
  readonly doneAt: number;
}

/** The file's content. */
export interface ScriptedState {
  nodes: Record<string, NodeState>;
  /** Where instances are, once a scripted migration ended. */
  hosts: Record<string, string>;
  migrations: Record<string, Migration>;
  events: NodeEvent[];
}

/** Options of {@link createScriptedNodes}: where the state lives and how long things take on the nodes. */
export interface ScriptedNodesOptions {
  /** The directory of the state file (`nodes.json`) and of the `release-<node>` files. */
  readonly dir: string;
  readonly inventory: Inventory;
  /** The VIM whose instances, services and stops the overlay keeps (migrations are scripted here). */
  readonly vim: Vim;
  readonly downtimeMs: number;
  readonly installMs: number;
  readonly migrateMs: number;
  /** Told of each event as it happens. */
  readonly announce?: ((event: NodeEvent) => void) | undefined;
}

/** The state file of `dir`, as the last process left it. */
export function readScripted(dir: string): ScriptedState {
  return JSON.parse(readFileSync(join(dir, 'nodes.json'), 'utf8')) as ScriptedState;
}

/** Lets a node's pending reboot happen. */
export function releaseReboot(dir: string, node: string): void {
  writeFileSync(join(dir, `release-${node}`), '');
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', stop, { once: true });
  });

const away = (node: string) =>
  new AdapterError(`${node} does not answer`, { kind: 'transient', reason: 'node-not-ready' });

/** A node agent and a VIM on scripted nodes persisted under `options.dir`. */
export function createScriptedNodes(options: ScriptedNodesOptions): { nodes: NodeAgent; vim: Vim } {
  const file = join(options.dir, 'nodes.json');
  const load = (): ScriptedState => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as ScriptedState;
    } catch {
      return {
        nodes: Object.fromEntries(
          options.inventory.nodes.map((n) => [
            n.name,
            { boot: 1, versions: { ...n.software }, servicesActive: true },
          ]),
        ),
        hosts: {},
        migrations: {},
        events: [],
      };
    }
  };
  /** Reads the state, lets `change` work on it (synchronously), writes it back atomically. */
  const update = <T>(
    change: (state: ScriptedState, log: (node: string, what: string, detail?: string) => void) => T,
  ): T => {
    const state = load();
    const told: NodeEvent[] = [];
    const log = (node: string, what: string, detail?: string) => {
      const event = { at: Date.now(), pid: process.pid, node, what, ...(detail ? { detail } : {}) };
      state.events.push(event);
      told.push(event);
    };
    const result = change(state, log);
    writeFileSync(`${file}.tmp`, JSON.stringify(state));
    renameSync(`${file}.tmp`, file);
    for (const e of told) options.announce?.(e);
    return result;
  };
  /** The node as time has made it: a released reboot goes down, then comes back on a new boot. */
  const settle = (
    state: ScriptedState,
    name: string,
    log: (node: string, what: string) => void,
  ): NodeState => {
    const node = state.nodes[name];
    if (!node) throw new AdapterError(`no node ${name}`, { kind: 'permanent', reason: 'unknown-node' });
    const now = Date.now();
    if (node.rebootPending && existsSync(join(options.dir, `release-${name}`))) {
      node.rebootPending = false;
      node.downAt = now;
      node.upAt = now + options.downtimeMs;
      log(name, 'down');
    }
    if (node.upAt !== undefined && now >= node.upAt) {
      node.boot++;
      node.servicesActive = true; // systemd starts them at boot
      node.downAt = undefined;
      node.upAt = undefined;
      log(name, 'up');
    }
    return node;
  };
  const answering = (state: ScriptedState, name: string, log: (node: string, what: string) => void) => {
    const node = settle(state, name, log);
    if (node.downAt !== undefined) throw away(name);
    return node;
  };
  const bootIdOf = (name: string, node: NodeState) => `boot-${name}-${node.boot}`;

  const nodes: NodeAgent = {
    run: async () => ({ exitCode: 0, stdout: '', stderr: '' }),
    installedVersions: async (name, components) =>
      update((state, log) => {
        const node = answering(state, name, log);
        return Object.fromEntries(
          components.flatMap((c) => (node.versions[c] ? [[c, node.versions[c]]] : [])),
        );
      }),
    installVersions: async (name, software, o?: CallOptions) => {
      update((state, log) => {
        const node = answering(state, name, log);
        node.servicesActive = false; // like apt: services are stopped while their packages are replaced
        log(name, 'install-start');
      });
      await sleep(options.installMs, o?.signal);
      update((state, log) => {
        const node = answering(state, name, log);
        Object.assign(node.versions, software);
        log(
          name,
          'install',
          Object.entries(software)
            .map(([c, v]) => `${c}=${v}`)
            .join(','),
        );
      });
      // dpkg's triggers still run: a kill at the `install` event lands before the call returns.
      await sleep(options.installMs, o?.signal);
    },
    restartServices: async (name, services) =>
      update((state, log) => {
        answering(state, name, log).servicesActive = true;
        log(name, 'restart', services.join(','));
      }),
    bootId: async (name) => update((state, log) => bootIdOf(name, answering(state, name, log))),
    reboot: async (name) =>
      update((state, log) => {
        const node = answering(state, name, log);
        // A second request while one is pending changes nothing: the node reboots once.
        log(name, node.rebootPending ? 'reboot-again' : 'reboot');
        node.rebootPending = true;
      }),
    waitReady: async (name, o: WaitReadyOptions = {}) => {
      update((_, log) => log(name, 'wait', o.since));
      for (;;) {
        o.signal?.throwIfAborted();
        const id = update((state, log) => {
          try {
            return bootIdOf(name, answering(state, name, log));
          } catch {
            return undefined;
          }
        });
        if (id !== undefined && (o.since === undefined || id !== o.since)) {
          update((_, log) => log(name, 'ready', id));
          return;
        }
        await sleep(25, o.signal);
      }
    },
    backup: async (name, request) => ({
      node: name,
      label: request.label,
      location: `/var/backups/escalator/${request.label}`,
      software: request.software,
      checksum: `sha256:${request.label}`,
    }),
    restore: async () => undefined,
    health: async (name, services) =>
      update((state, log) => {
        const node = answering(state, name, log);
        return {
          ok: node.servicesActive,
          services: services.map((s) => ({ name: s, active: node.servicesActive })),
        };
      }),
  };

  /** A migration's status as time has made it (a finished one moves the instance). */
  const status = (state: ScriptedState, instance: string, fallback: string): MigrationStatus => {
    const m = state.migrations[instance];
    if (m && Date.now() < m.doneAt) return { status: 'running', host: m.from };
    if (m) {
      state.hosts[instance] = m.target;
      delete state.migrations[instance];
    }
    return { status: 'completed', host: state.hosts[instance] ?? fallback };
  };
  const inner = options.vim;
  const vim: Vim = {
    ...inner,
    migrate: async (instance, request) => {
      const from = (await inner.migrationStatus(instance)).host;
      update((state, log) => {
        if (status(state, instance, from).status === 'running')
          throw new AdapterError(`${instance} is already migrating`, {
            kind: 'permanent',
            reason: 'http-409',
          });
        state.migrations[instance] = {
          from: state.hosts[instance] ?? from,
          target: request.target,
          doneAt: Date.now() + options.migrateMs,
        };
        log(request.target, 'migrate-start', instance);
      });
    },
    migrationStatus: async (instance) => {
      const fallback = (await inner.migrationStatus(instance)).host;
      return update((state) => status(state, instance, fallback));
    },
    listInstances: async (host, o) => {
      const state = update((s) => {
        for (const i of Object.keys(s.migrations)) status(s, i, '');
        return s;
      });
      const where = (name: string, fallback: string) => state.hosts[name] ?? fallback;
      const out = [];
      for (const n of options.inventory.nodes)
        for (const i of await inner.listInstances(n.vimName ?? n.name, o))
          if (where(i.name, i.host) === host) out.push({ ...i, host });
      return out;
    },
  };
  return { nodes, vim };
}
