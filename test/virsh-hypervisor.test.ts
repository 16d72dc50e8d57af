/**
 * The virsh hypervisor adapter over the real OpenSSH transport and a real sshd on 127.0.0.1, with a fake
 * `virsh` first on the sessions' PATH (test/support/fake-node-ssh.ts).
 */
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVirshHypervisor } from '../src/adapters/libvirt/index.js';
import {
  createOpenSshTransport,
  inventoryEndpoints,
  type OpenSshTransport,
} from '../src/adapters/ssh/index.js';
import { AdapterError } from '../src/errors.js';
import { parseInventory } from '../src/loader/load.js';
import type { Hypervisor } from '../src/ports/hypervisor.js';
import { createFakeNode, type FakeNode } from './support/fake-node-ssh.js';
import { rejection } from './support/rejections.js';
import { type SshServer, startSshd } from './support/sshd.js';

let server: SshServer;
let fake: FakeNode;
let transport: OpenSshTransport;
let hypervisor: Hypervisor;
let root: string;
let marker: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'escalator-virsh-'));
  marker = join(tmpdir(), `pwned-virsh-${randomBytes(6).toString('hex')}`);
  server = await startSshd({ pathPrefix: [join(root, 'node', 'bin')] });
  chownSync(root, server.uid, server.gid);
  fake = createFakeNode(join(root, 'node'), server);
  transport = createOpenSshTransport({
    configFile: 'none',
    knownHostsFile: server.knownHostsFile,
    identityFile: server.identityFile,
  });
  const which = await transport.exec(server.endpoint(), ['sh', '-c', 'command -v virsh']);
  expect(which.stdout.trim()).toBe(join(fake.bin, 'virsh')); // never the machine's own virsh
  hypervisor = createVirshHypervisor({ transport, endpoints: (node) => server.endpoint(node) });
});

afterAll(async () => {
  await transport?.close();
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
  if (marker) rmSync(marker, { force: true });
});

describe('virsh hypervisor', () => {
  it('lists domains with their states', async () => {
    fake.setDomains({
      'instance-0001': 'running',
      'instance-0002': 'shut off',
      'instance-0003': 'paused',
      'instance-0004': 'crashed',
      'instance-0005': 'idle',
      'instance-0006': '__gone__', // listed, then gone before domstate
    });
    fake.clearCalls();
    expect(await hypervisor.domains('cmp-1')).toEqual([
      { name: 'instance-0001', state: 'running' },
      { name: 'instance-0002', state: 'shutoff' },
      { name: 'instance-0003', state: 'paused' },
      { name: 'instance-0004', state: 'other' },
      { name: 'instance-0005', state: 'running' },
    ]);
    const calls = fake.calls('virsh');
    expect(calls[0]?.args).toEqual(['-c', 'qemu:///system', 'list', '--all', '--name']);
    expect(calls[0]?.env.LC_ALL).toBe('C');
    expect(calls[1]?.args).toEqual(['-c', 'qemu:///system', 'domstate', '--domain', 'instance-0001']);
  });

  it('gives an empty list for a node without domains', async () => {
    fake.setDomains({});
    expect(await hypervisor.domains('cmp-1')).toEqual([]);
  });

  it('tells the libvirt and hypervisor versions, and is ready when the daemon answers', async () => {
    expect(await hypervisor.version('cmp-1')).toBe('libvirt 9.0.0, QEMU 7.2.0');
    expect(await hypervisor.ready('cmp-1')).toBe(true);
    expect(fake.calls('virsh').at(-1)?.args).toEqual(['-c', 'qemu:///system', 'version', '--daemon']);
  });

  it('is not ready while libvirtd is down, and listing then fails transiently', async () => {
    fake.fail('virsh-down');
    try {
      expect(await hypervisor.ready('cmp-1')).toBe(false);
      const error = await rejection(hypervisor.domains('cmp-1'));
      expect(error).toBeInstanceOf(AdapterError);
      expect((error as AdapterError).reason).toBe('libvirt-unavailable');
      expect((error as AdapterError).retryable).toBe(true);
    } finally {
      fake.fail('virsh-down', false);
    }
  });

  it('uses the configured URI and finds nodes through the inventory', async () => {
    const inventory = parseInventory(
      [
        'apiVersion: escalator/v1',
        'kind: Inventory',
        'metadata: { name: lab }',
        'nodes:',
        '  - name: cmp-7',
        '    roles: [compute]',
        '    capacity: { vcpus: 8, memoryMiB: 16384, diskGiB: 100 }',
        `    access: { address: 127.0.0.1, port: ${server.port}, user: ${server.user} }`,
        '  - name: cmp-8',
        '    roles: [compute]',
        '    capacity: { vcpus: 8, memoryMiB: 16384, diskGiB: 100 }',
      ].join('\n'),
    );
    const remote = createVirshHypervisor({
      transport,
      endpoints: inventoryEndpoints(inventory),
      uri: 'qemu+tcp://10.0.0.1/system',
    });
    fake.setDomains({ vm: 'running' });
    fake.clearCalls();
    expect(await remote.domains('cmp-7')).toEqual([{ name: 'vm', state: 'running' }]);
    expect(fake.calls('virsh')[0]?.args.slice(0, 2)).toEqual(['-c', 'qemu+tcp://10.0.0.1/system']);
    const error = await rejection(remote.domains('cmp-8'));
    expect((error as AdapterError).reason).toBe('ssh-no-access');
    expect((error as AdapterError).retryable).toBe(false);
  });

  it('passes hostile domain names literally', async () => {
    const names = [`vm; touch ${marker}`, `$(touch ${marker})`, `\`touch ${marker}\``, `'"; touch ${marker}`];
    fake.setDomains(Object.fromEntries(names.map((n) => [n, 'running'])));
    fake.clearCalls();
    expect((await hypervisor.domains('cmp-1')).map((d) => d.name)).toEqual(names);
    expect(
      fake
        .calls('virsh')
        .slice(1)
        .map((c) => c.args.at(-1)),
    ).toEqual(names);
    expect(existsSync(marker)).toBe(false);
  });

  it('maps an unreachable node to a transient error', async () => {
    const down = createVirshHypervisor({
      transport,
      endpoints: (node) => ({ ...server.endpoint(node), port: 1 }),
    });
    const error = await rejection(down.version('cmp-1'));
    expect((error as AdapterError).reason).toBe('ssh-unreachable');
    expect((error as AdapterError).retryable).toBe(true);
  });
});
