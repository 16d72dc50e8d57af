/**
 * Compute nodes for the end-to-end tests against the real OpenStack: one real sshd per compute host on
 * 127.0.0.1, whose sessions find that node's fake `apt-get`, `dpkg-query`, `systemctl`, `reboot`... and
 * `escalator-boot-id` first on their PATH (test/support/fake-node-ssh.ts), so versions, services and
 * boot ids are per node and nothing on this machine is upgraded or rebooted. Also a copy of
 * `/etc/nova` the SSH user may read (what the nova-compute backup archives) and a backup directory.
 */
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { shellQuote } from '../../src/adapters/ssh/index.js';
import type { CommandTransport } from '../../src/ports/transport.js';
import { createFakeNode, type FakeNode } from './fake-node-ssh.js';
import { type SshServer, startSshd } from './sshd.js';

/** What the installer knows the compute nodes run now, and what the campaigns bring. */
export const CURRENT = { 'nova-compute': '26.2.2', kernel: '6.1.0-18-amd64' } as const;
export const TARGET = { 'nova-compute': '27.1.0', kernel: '6.1.0-21-amd64' } as const;

/** The Debian packages that carry each component's version (both nova packages follow nova-compute). */
export const COMPUTE_PACKAGES: Readonly<Record<string, readonly string[]>> = {
  'nova-compute': ['nova-compute', 'python3-nova'],
  kernel: ['linux-image-amd64'],
};

/** Component versions as the package versions the fakes hold. */
export function packagesOf(versions: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(versions).flatMap(([c, v]) => (COMPUTE_PACKAGES[c] ?? [c]).map((p) => [p, v] as const)),
  );
}

/** The fake computes of one test. */
export interface FakeComputes {
  /** Everything of the test lives here (removed by `close`). */
  readonly root: string;
  readonly sshd: ReadonlyMap<string, SshServer>;
  readonly fakes: ReadonlyMap<string, FakeNode>;
  /** known_hosts with every sshd's host key. */
  readonly knownHosts: string;
  /** The configuration directory the nova-compute backup archives. */
  readonly novaConf: string;
  /** Where the nodes' backups go. */
  readonly backups: string;
  /** Checks that every command the agent runs resolves to this node's fakes, never this machine's. */
  assertFakesFirst(
    transport: CommandTransport,
    endpointOf: (host: string) => Parameters<CommandTransport['exec']>[0],
  ): Promise<void>;
  close(): Promise<void>;
}

const AGENT_COMMANDS = [
  'apt-get',
  'dpkg-query',
  'systemctl',
  'systemd-run',
  'shutdown',
  'reboot',
  'escalator-boot-id',
];

/** Starts one sshd and one set of fakes per host, each holding `current` versions, nova-compute running. */
export async function startFakeComputes(
  hosts: readonly string[],
  current: Readonly<Record<string, string>>,
): Promise<FakeComputes> {
  const root = mkdtempSync(join(tmpdir(), 'escalator-computes-'));
  const sshd = new Map<string, SshServer>();
  const fakes = new Map<string, FakeNode>();
  const close = async () => {
    for (const server of sshd.values()) await server.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    for (const host of hosts) {
      const server = await startSshd({ pathPrefix: [join(root, host, 'bin')] });
      sshd.set(host, server);
      chownSync(root, server.uid, server.gid);
      const fake = createFakeNode(join(root, host), server);
      fake.setPackages(packagesOf(current));
      writeFileSync(join(fake.state, 'active.json'), JSON.stringify(['nova-compute']));
      chownSync(join(fake.state, 'active.json'), server.uid, server.gid);
      writeFileSync(join(fake.state, 'boot_id'), `boot-${host}-0\n`);
      // The agent reads the boot id with this command (`nodes.commands.bootId`), found on the node's PATH.
      writeFileSync(
        join(fake.bin, 'escalator-boot-id'),
        `#!/bin/sh\nexec cat ${shellQuote(fake.bootIdFile)}\n`,
        {
          mode: 0o755,
        },
      );
      fakes.set(host, fake);
    }
    const owner = sshd.get(hosts[0]!)!;
    const novaConf = join(root, 'etc', 'nova');
    mkdirSync(novaConf, { recursive: true });
    writeFileSync(join(novaConf, 'nova.conf'), '[DEFAULT]\ncompute_driver = fake.FakeDriver\n');
    const backups = join(root, 'backups');
    mkdirSync(backups);
    for (const dir of [join(root, 'etc'), novaConf, join(novaConf, 'nova.conf'), backups])
      chownSync(dir, owner.uid, owner.gid);
    const knownHosts = join(root, 'known_hosts');
    writeFileSync(
      knownHosts,
      [...sshd.values()].map((s) => `[127.0.0.1]:${s.port} ${s.hostPublicKey}\n`).join(''),
    );
    return {
      root,
      sshd,
      fakes,
      knownHosts,
      novaConf,
      backups,
      async assertFakesFirst(transport, endpointOf) {
        for (const host of hosts) {
          const which = await transport.exec(endpointOf(host), [
            'sh',
            '-c',
            `for c in ${AGENT_COMMANDS.join(' ')}; do command -v "$c"; done`,
          ]);
          const paths = which.stdout.trim().split('\n');
          expect(paths, which.stderr).toHaveLength(AGENT_COMMANDS.length);
          for (const path of paths) expect(path.startsWith(`${fakes.get(host)!.bin}/`), path).toBe(true);
        }
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
