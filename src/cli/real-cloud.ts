/**
 * A real OpenStack cloud as the CLI's backend, made from `escalator.yaml`: Keystone from clouds.yaml or
 * the `OS_*` environment, Nova/Placement through the OpenStack VIM, the nodes over the system's OpenSSH
 * (one transport per distinct set of SSH options, e.g. another key for computes), and the VNF managers
 * over HTTP.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { nodeHttpTransport } from '../adapters/http/index.js';
import {
  createKeystoneSession,
  createOpenStackVim,
  type KeystoneSession,
} from '../adapters/openstack/index.js';
import { createOpenSshTransport, createSshNodeAgent, type SshNodeAgent } from '../adapters/ssh/index.js';
import { createHttpVnfManager, inventoryVnfmEndpoints } from '../adapters/vnfm/index.js';
import { resolveCatalog } from '../catalog/catalog.js';
import {
  nodeAgentOptionsOf,
  resolveOpenStackAuth,
  resolveVnfManagers,
  sshSettingsFor,
} from '../config/index.js';
import type { EscalatorConfig } from '../config/types.js';
import { ErrorCode, EscalatorError } from '../errors.js';
import type { BackendFactory } from '../http/backend.js';
import type { Inventory } from '../model/inventory.js';
import type { CommandTransport } from '../ports/transport.js';

/** What the CLI reaches a real cloud with. */
export interface RealCloud {
  /** The Keystone session (tokens renewed as needed). */
  readonly session: KeystoneSession;
  /** The SSH node agent for an inventory's nodes; close its transports with `close`. */
  nodeAgent(inventory: Inventory): { readonly agent: SshNodeAgent; close(): Promise<void> };
  /** Each campaign's adapters. */
  readonly backend: BackendFactory;
}

/** At most `limit` commands of `transport` at once (`ssh.maxConnections`); the others wait in order. @internal */
export function limitConcurrency(
  transport: CommandTransport & { close(): Promise<void> },
  limit: number,
): CommandTransport & { close(): Promise<void> } {
  let running = 0;
  const waiting: (() => void)[] = [];
  const exec: CommandTransport['exec'] = async (endpoint, argv, options) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await transport.exec(endpoint, argv, options);
    } finally {
      // Hand the slot straight to the next one waiting, or free it.
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
  return { exec, close: () => transport.close() };
}

/**
 * One transport per distinct set of options, chosen per node: `createSshNodeAgent` takes one
 * transport, and the configuration may give computes another key or a jump host.
 */
function perNodeTransport(config: EscalatorConfig, inventory: Inventory) {
  const byOptions = new Map<string, CommandTransport & { close(): Promise<void> }>();
  const ofNode = new Map<string, CommandTransport>();
  for (const node of inventory.nodes) {
    const settings = sshSettingsFor(config, node);
    const key = JSON.stringify([settings.transport, settings.maxConnections]);
    let transport = byOptions.get(key);
    if (!transport) {
      const openssh = createOpenSshTransport(settings.transport);
      transport =
        settings.maxConnections === undefined ? openssh : limitConcurrency(openssh, settings.maxConnections);
      byOptions.set(key, transport);
    }
    ofNode.set(node.name, transport);
  }
  const transport: CommandTransport = {
    exec: (endpoint, argv, options) => {
      const t = ofNode.get(endpoint.node) ?? [...byOptions.values()][0];
      if (!t) throw new Error(`no SSH settings for node "${endpoint.node}"`);
      return t.exec(endpoint, argv, options);
    },
  };
  return {
    transport,
    endpoint: (node: string) => {
      const n = inventory.nodes.find((x) => x.name === node);
      if (!n) throw new Error(`node "${node}" is not in the inventory`);
      return sshSettingsFor(config, n).endpoint;
    },
    close: async () => {
      await Promise.all([...byOptions.values()].map((t) => t.close()));
    },
  };
}

/** The CA bundle's text; one that holds no certificate is refused naming the file. */
async function readCaBundle(file: string): Promise<string> {
  const text = await readFile(file, 'utf8');
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      `${file}: the CA bundle (openstack.caBundle, clouds.yaml cacert or OS_CACERT) holds no PEM certificate`,
    );
  return text;
}

/** The real cloud the configuration names (`backend: openstack`). */
export async function connectRealCloud(config: EscalatorConfig): Promise<RealCloud> {
  const auth = await resolveOpenStackAuth(config);
  // fetch cannot take a CA: with a CA bundle, every call (Keystone and the services on the session) goes
  // through a node:https transport that trusts it, with the session's default timeout.
  const ca = auth.caBundle === undefined ? undefined : await readCaBundle(auth.caBundle);
  const session = createKeystoneSession(
    ca === undefined
      ? auth.keystone
      : {
          ...auth.keystone,
          request: { ...auth.keystone.request, transport: nodeHttpTransport({ ca, timeoutMs: 60_000 }) },
        },
  );
  const managers = await resolveVnfManagers(config);
  const nodeAgent = (inventory: Inventory) => {
    const ssh = perNodeTransport(config, inventory);
    const agent = createSshNodeAgent({
      ...nodeAgentOptionsOf(config),
      transport: ssh.transport,
      endpoints: ssh.endpoint,
      catalog: resolveCatalog({}),
    });
    return { agent, close: ssh.close };
  };
  const backend: BackendFactory = (inventory) => {
    const nodes = nodeAgent(inventory);
    const fromInventory = inventoryVnfmEndpoints(inventory);
    return {
      adapters: {
        vim: createOpenStackVim({ session, instances: inventory.instances }),
        nodes: nodes.agent,
        vnfm: createHttpVnfManager({
          endpointOf: (vnf) => managers.endpointOf(vnf) ?? fromInventory(vnf),
          headers: managers.headers,
        }),
      },
      close: nodes.close,
    };
  };
  return { session, nodeAgent, backend };
}
