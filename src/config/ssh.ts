/**
 * A node's SSH settings: escalator.yaml's `ssh` defaults, then every group whose `match` fits the node,
 * in order, then the inventory's `access` block for what none of them sets.
 * @module
 */
import type { OpenSshTransportOptions } from '../adapters/ssh/openssh-transport.js';
import type { InventoryNode } from '../model/inventory.js';
import type { NodeEndpoint } from '../ports/transport.js';
import type { EscalatorConfig } from './types.js';

/**
 * What {@link sshSettingsFor} gives for one node.
 * @example
 * ```ts
 * const config = await loadConfig('escalator.yaml');
 * const settings: SshNodeSettings[] = inventory.nodes.map((node) => sshSettingsFor(config, node));
 * ```
 */
export interface SshNodeSettings {
  /**
   * Where and as whom: the node's name; the inventory's `access.address`, or the node's name when it
   * has no access block; the port and user of the config, else of the inventory; the inventory's
   * `credentialsRef` only when the config names no key for the node (a configured `identityFile` wins).
   */
  readonly endpoint: NodeEndpoint;
  /**
   * Exactly the options of `createOpenSshTransport` for this node (`identityFile`, `knownHostsFile`,
   * `strictHostKeyChecking`, `connectTimeoutSeconds`, and `extraOptions.ProxyJump` for a jump host).
   * Nodes whose options are equal may share one transport.
   */
  readonly transport: OpenSshTransportOptions;
  /** Privileged commands go through `sudo -n` (`createSshNodeAgent({ sudo })`). */
  readonly sudo: boolean;
  /** SSH connections open at once, when the config limits them (the transport has no such option yet). */
  readonly maxConnections?: number | undefined;
}

const globs = new Map<string, RegExp>();

/** A glob (`*`, `?`, `[a-z]`, `[!a-z]`) as a regular expression matching whole names. */
function globRegExp(glob: string): RegExp {
  let re = globs.get(glob);
  if (re) return re;
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) out += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        const negate = body.startsWith('!');
        if (negate) body = body.slice(1);
        out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
        i = end;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  re = new RegExp(`^${out}$`, 's');
  if (globs.size > 1000) globs.clear();
  globs.set(glob, re);
  return re;
}

/** Whether `name` matches a glob of `ssh.groups[].match.names` (also used for `vnfManagers[].vnf`). @internal */
export function matchesGlob(name: string, glob: string): boolean {
  return globRegExp(glob).test(name);
}

type Group = EscalatorConfig['ssh']['groups'][number];

function matches(group: Group, node: InventoryNode): boolean {
  const { roles, names } = group.match;
  if (roles !== undefined && !roles.some((r) => node.roles.includes(r))) return false;
  if (names !== undefined && !names.some((g) => matchesGlob(node.name, g))) return false;
  return true;
}

/**
 * The SSH settings of one node: the `ssh` defaults of escalator.yaml, overridden by every group whose
 * `match` fits the node (all of its conditions: one of the roles, one of the name globs), later groups
 * over earlier ones; port and user fall back on the inventory's `access` block.
 *
 * @example
 * ```ts
 * import { createOpenSshTransport, createSshNodeAgent } from 'escalator/ssh';
 * const config = await loadConfig('escalator.yaml');
 * const node = inventory.nodes[0]!;
 * const { endpoint, transport, sudo } = sshSettingsFor(config, node);
 * const nodes = createSshNodeAgent({ transport: createOpenSshTransport(transport), endpoints: () => endpoint, sudo });
 * ```
 */
export function sshSettingsFor(config: EscalatorConfig, node: InventoryNode): SshNodeSettings {
  const { groups, ...defaults } = config.ssh;
  let s: Omit<Group, 'match'> & { strictHostKeyChecking: 'yes' | 'accept-new'; sudo: boolean } = defaults;
  for (const group of groups) {
    if (!matches(group, node)) continue;
    const { match: _, ...overrides } = group;
    const set = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
    s = { ...s, ...(set as Partial<typeof s>) };
  }
  const access = node.access;
  const port = s.port ?? access?.port;
  const user = s.user ?? access?.user;
  const credentialsRef = s.identityFile === undefined ? access?.credentialsRef : undefined;
  const endpoint: NodeEndpoint = {
    node: node.name,
    address: access?.address ?? node.name,
    ...(port === undefined ? {} : { port }),
    ...(user === undefined ? {} : { user }),
    ...(credentialsRef === undefined ? {} : { credentialsRef }),
  };
  const transport: OpenSshTransportOptions = {
    strictHostKeyChecking: s.strictHostKeyChecking,
    ...(s.identityFile === undefined ? {} : { identityFile: s.identityFile }),
    ...(s.knownHostsFile === undefined ? {} : { knownHostsFile: s.knownHostsFile }),
    ...(s.connectTimeoutSeconds === undefined ? {} : { connectTimeoutSeconds: s.connectTimeoutSeconds }),
    ...(s.jumpHost === undefined ? {} : { extraOptions: { ProxyJump: s.jumpHost } }),
  };
  return {
    endpoint,
    transport,
    sudo: s.sudo,
    ...(s.maxConnections === undefined ? {} : { maxConnections: s.maxConnections }),
  };
}
