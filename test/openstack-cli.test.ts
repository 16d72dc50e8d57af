/**
 * The operator's whole flow against the real OpenStack test bed (scripts/openstack/up.sh), with the CLI
 * alone, each command a separate process as at a terminal: `escalator import` (Nova and Placement, the
 * nodes' installed versions over SSH, an operator overlay merged in) → `plan` → `precheck` → `run`
 * (stops at the approval gate, exit 3) → `approve` → `run` (exit 0) → `status` and `logs`; then a second
 * campaign stopped at its gate and rolled back with `rollback` (exit 4).
 *
 * Everything is configured in escalator.yaml (backend openstack, credentials from the `OS_*`
 * environment, per-node SSH groups, the node agent's packages, backup directory and boot-id command):
 * no TypeScript. Nodes are real sshds on 127.0.0.1 with fake package tools (test/support/fake-computes.ts).
 * While the campaigns run, the test reads Nova twice a second and at every wave boundary the log file
 * shows (`wave.started`, `wave.verified`): the anti-affinity members never share a host, and every server
 * is ACTIVE at the end.
 *
 * Skipped, saying why, when env.json is absent, unless ESCALATOR_REQUIRE_OPENSTACK=1. It disables
 * computes and moves servers: it must not run at the same time as another test against the same cloud.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createOpenStackVim, type OpenStackVim } from '../src/adapters/openstack/index.js';
import { createOpenSshTransport } from '../src/adapters/ssh/index.js';
import { loadInventory } from '../src/loader/load.js';
import { type CliResult, escalator } from './support/cli.js';
import {
  COMPUTE_PACKAGES,
  CURRENT,
  type FakeComputes,
  startFakeComputes,
  TARGET,
} from './support/fake-computes.js';
import { type OpenStackTestEnv, openStackEnvVars, requireOpenStackEnv } from './support/openstack-env.js';
import {
  adminSession,
  bootPairAndSolos,
  deleteServerGroup,
  deleteServers,
  serverHosts,
  type TestServers,
} from './support/openstack-live.js';

const env: OpenStackTestEnv | undefined = requireOpenStackEnv('OpenStack CLI test');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Where the test's servers are, from one `/servers/detail`. */
interface Hosts {
  readonly label: string;
  readonly hosts: Readonly<Record<string, string>>;
  readonly statuses: Readonly<Record<string, string>>;
}

describe.skipIf(!env)('escalator CLI on the real OpenStack', { timeout: 900_000 }, () => {
  const e = env!;
  const prefix = `esc-cli-${Date.now().toString(36)}`;
  const first = `${prefix}-a`;
  const second = `${prefix}-b`;
  let vim: OpenStackVim;
  let computes: FakeComputes;
  let cwd: string;
  let groupId: string | undefined;
  const servers: TestServers = new Map();
  const members = () => [...servers].filter(([, s]) => s.group).map(([name]) => name);
  /** Nova read at every wave boundary the log file showed, and about twice a second. */
  const seen: Hosts[] = [];
  const problems: string[] = [];

  /** The CLI with the cloud's credentials in the `OS_*` environment, nothing else of this process's. */
  const cli = (...args: string[]): Promise<CliResult> =>
    escalator(cwd, args, {
      timeoutMs: 600_000,
      env: {
        PATH: process.env.PATH,
        HOME: cwd,
        USER: 'e2e-operator',
        ...openStackEnvVars(e),
      },
    });
  const show = (r: CliResult) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

  const readHosts = (label: string): Promise<Hosts> => serverHosts(vim.nova, servers, label);

  /**
   * Runs `escalator run` while watching: Nova about twice a second, and once more at every `wave.*`
   * record the log file gains (the CLI process does not wait for these reads: they show the cloud at
   * about that moment).
   */
  const watchedRun = async (campaignFile: string): Promise<CliResult> => {
    const logFile = join(cwd, 'state', 'escalator.log');
    let running = true;
    let offset = existsSync(logFile) ? readFileSync(logFile).length : 0;
    const watcher = (async () => {
      while (running) {
        try {
          const labels: string[] = [];
          if (existsSync(logFile)) {
            const text = readFileSync(logFile);
            const fresh = text.subarray(offset).toString('utf8');
            const end = fresh.lastIndexOf('\n') + 1;
            offset += Buffer.byteLength(fresh.slice(0, end));
            for (const line of fresh.slice(0, end).split('\n').filter(Boolean)) {
              const record = JSON.parse(line) as { action?: string; object?: string };
              if (record.action?.startsWith('wave.')) labels.push(`${record.action} ${record.object ?? ''}`);
            }
          }
          for (const label of labels.length > 0 ? labels : ['sample']) seen.push(await readHosts(label));
        } catch (error) {
          problems.push(`watching: ${(error as Error).message}`);
        }
        await sleep(500);
      }
    })();
    try {
      return await cli('run', 'inventory.yaml', campaignFile);
    } finally {
      running = false;
      await watcher;
    }
  };

  beforeAll(async () => {
    vim = createOpenStackVim({ session: adminSession(e) });
    computes = await startFakeComputes(e.computeHosts, CURRENT);
    cwd = join(computes.root, 'operator');
    mkdirSync(cwd);
    // Safety first: what the agent runs on each node must be that node's fakes, never this machine's.
    const transport = createOpenSshTransport({
      configFile: 'none',
      knownHostsFile: computes.knownHosts,
      resolveIdentity: (path) => path,
    });
    try {
      await computes.assertFakesFirst(transport, (host) => {
        const server = computes.sshd.get(host)!;
        return { ...server.endpoint(host), credentialsRef: server.identityFile };
      });
    } finally {
      await transport.close();
    }

    writeFileSync(
      join(cwd, 'escalator.yaml'),
      stringify({
        apiVersion: 'escalator/v1',
        kind: 'Config',
        metadata: { name: prefix },
        backend: 'openstack',
        stateDirectory: 'state',
        openstack: {},
        ssh: {
          knownHostsFile: computes.knownHosts,
          connectTimeoutSeconds: 5,
          // One group per compute: each test sshd has its own port, user key.
          groups: [...computes.sshd].map(([host, server]) => ({
            match: { names: [host] },
            user: server.user,
            port: server.port,
            identityFile: server.identityFile,
          })),
        },
        nodes: {
          packages: COMPUTE_PACKAGES,
          backupDirectory: computes.backups,
          commands: { bootId: ['escalator-boot-id'] },
          commandTimeoutSeconds: 120,
          waitReady: { firstPollSeconds: 0.5, maxPollSeconds: 2, timeoutSeconds: 120 },
        },
        policies: { pollSeconds: 1 },
      }),
    );
    // What the APIs do not say: where each node is reached.
    writeFileSync(
      join(cwd, 'overlay.yaml'),
      stringify({
        apiVersion: 'escalator/v1',
        kind: 'InventoryOverlay',
        metadata: { name: prefix },
        nodes: e.computeHosts.map((name) => ({ name, access: { address: '127.0.0.1' } })),
      }),
    );
    const campaign = (name: string, target: Record<string, string>) =>
      stringify({
        apiVersion: 'escalator/v1',
        kind: 'Campaign',
        metadata: { name },
        target: { software: target },
        strategy: { maxParallel: 1, instanceAction: 'live-migrate', approveAfterWaves: [0] },
        components: { 'nova-compute': { backup: { files: [computes.novaConf], databases: [] } } },
      });
    writeFileSync(join(cwd, 'campaign-a.yaml'), campaign(first, TARGET));
    writeFileSync(join(cwd, 'campaign-b.yaml'), campaign(second, { ...TARGET, 'nova-compute': '28.0.0' }));
  }, 300_000);

  afterAll(async () => {
    if (vim) {
      for (const s of await vim.listComputeServices().catch(() => []))
        if (s.status === 'disabled' && s.disabledReason?.startsWith(`escalator ${prefix}`))
          await vim.enableComputeService(s.host).catch(() => undefined);
      await deleteServers(
        vim.nova,
        [...servers.values()].map((s) => s.id),
      ).catch((error: unknown) => console.warn(`cleanup: ${(error as Error).message}`));
      if (groupId) await deleteServerGroup(vim.nova, groupId).catch(() => undefined);
    }
    await computes?.close();
  }, 300_000);

  it('boots an anti-affinity pair and two servers outside any group', async () => {
    groupId = await bootPairAndSolos(vim.nova, e, prefix, servers);
    const now = await readHosts('booted');
    const [a, b] = members();
    expect(now.hosts[a!]).not.toBe(now.hosts[b!]);
  }, 600_000);

  it('import reads the cloud and each node’s versions over SSH, and merges the overlay', async () => {
    const r = await cli('import', '-o', 'inventory.yaml', '--merge', 'overlay.yaml');
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(
      /Read from the cloud: \d+ compute node\(s\), \d+ instance\(s\), \d+ server group\(s\)/,
    );
    expect(r.stdout).toContain(
      `Installed versions read on ${e.computeHosts.length} of ${e.computeHosts.length} node(s)`,
    );
    expect(r.stdout + r.stderr).not.toContain(e.password);
    const inventory = await loadInventory(join(cwd, 'inventory.yaml'));
    for (const host of e.computeHosts) {
      const node = inventory.nodes.find((n) => n.name === host);
      expect(node?.access?.address).toBe('127.0.0.1');
      expect(node?.software).toMatchObject(CURRENT);
    }
    for (const [name, s] of servers)
      expect(
        inventory.instances.find((i) => i.id === s.id),
        name,
      ).toMatchObject({ name, migration: 'live' });
  }, 300_000);

  it('plan works offline and precheck passes on the live cloud, changing nothing', async () => {
    const plan = await cli('plan', 'inventory.yaml', 'campaign-a.yaml');
    expect(plan.code, show(plan)).toBe(0);
    for (const host of e.computeHosts) expect(plan.stdout).toContain(host);
    const before = await vim.listComputeServices();
    const pre = await cli('precheck', 'inventory.yaml', 'campaign-a.yaml');
    expect(pre.code, show(pre)).toBe(0);
    const after = await vim.listComputeServices();
    expect(after.map((s) => [s.host, s.status])).toEqual(before.map((s) => [s.host, s.status]));
    for (const fake of computes.fakes.values()) expect(fake.calls('apt-get')).toEqual([]);
  }, 300_000);

  it('run stops at the approval gate after wave 0 (exit 3); approve from another process; run completes (exit 0)', async () => {
    const gate = await watchedRun('campaign-a.yaml');
    expect(gate.code, show(gate)).toBe(3);
    expect(gate.stdout).toContain(`escalator approve ${first}`);
    // One compute upgraded, the others not yet.
    const upgraded = e.computeHosts.filter(
      (h) => computes.fakes.get(h)!.packages()['nova-compute'] === TARGET['nova-compute'],
    );
    expect(upgraded).toHaveLength(1);

    const status = await cli('status', first, '--json');
    expect(status.code, show(status)).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'paused' });

    const approve = await cli('approve', first);
    expect(approve.code, show(approve)).toBe(0);
    const done = await watchedRun('campaign-a.yaml');
    expect(done.code, show(done)).toBe(0);
    expect(done.stdout).toContain(`campaign ${first}: completed`);
    for (const fake of computes.fakes.values())
      expect(fake.packages()).toMatchObject({
        'nova-compute': '27.1.0',
        'python3-nova': '27.1.0',
        'linux-image-amd64': TARGET.kernel,
      });
  }, 900_000);

  it('Nova agrees: every compute enabled, every server ACTIVE, the pair never on one host', async () => {
    expect(problems).toEqual([]);
    const services = await vim.listComputeServices();
    for (const host of e.computeHosts)
      expect(services.find((s) => s.host === host)?.status, host).toBe('enabled');
    const now = await readHosts('after');
    for (const name of servers.keys()) expect(now.statuses[name], name).toBe('ACTIVE');
    // At least one read per wave (the last wave's `verified` may come as the process exits).
    expect(seen.filter((s) => s.label.startsWith('wave.')).length).toBeGreaterThanOrEqual(
      e.computeHosts.length,
    );
    const [a, b] = members();
    for (const s of [...seen, now])
      if (s.hosts[a!] && s.hosts[b!]) expect(s.hosts[a!], s.label).not.toBe(s.hosts[b!]);
  });

  it('status and logs show the completed campaign from the journal and the log file', async () => {
    const status = await cli('status', first, '--json');
    expect(status.code, show(status)).toBe(0);
    const s = JSON.parse(status.stdout) as { state: string; nodes: { name: string; state: string }[] };
    expect(s.state).toBe('completed');
    const logs = await cli('logs', first);
    expect(logs.code, show(logs)).toBe(0);
    expect(logs.stdout).toMatch(/audit\.approve/);
    expect(logs.stdout).toMatch(/wave\.verified/);
    expect(logs.stdout).not.toContain(e.password);
  });

  it('a second campaign stopped at its gate is rolled back with `rollback` (exit 4), the node back on its version', async () => {
    const imported = await cli('import', '-o', 'inventory.yaml', '--merge', 'overlay.yaml');
    expect(imported.code, show(imported)).toBe(0);
    const gate = await watchedRun('campaign-b.yaml');
    expect(gate.code, show(gate)).toBe(3);
    const moved = e.computeHosts.filter(
      (h) => computes.fakes.get(h)!.packages()['nova-compute'] === '28.0.0',
    );
    expect(moved).toHaveLength(1);

    const rollback = await cli('rollback', second);
    expect(rollback.code, show(rollback)).toBe(4);
    for (const fake of computes.fakes.values()) expect(fake.packages()['nova-compute']).toBe('27.1.0');
    const services = await vim.listComputeServices();
    for (const host of e.computeHosts)
      expect(services.find((x) => x.host === host)?.status, host).toBe('enabled');
    const now = await readHosts('rolled back');
    for (const name of servers.keys()) expect(now.statuses[name], name).toBe('ACTIVE');
    const status = await cli('status', second, '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'rolled-back' });
  }, 900_000);
});
