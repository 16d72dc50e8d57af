/**
 * End to end: a whole Escalator campaign against the real OpenStack (Zed, brought up by
 * scripts/openstack/up.sh, which writes /var/tmp/escalator-openstack/env.json), with the node work going
 * through the SSH adapter to real OpenSSH servers on 127.0.0.1.
 *
 * What runs for real: Keystone, Nova (scheduler, conductor, three fake-driver nova-computes cmp-1..3),
 * Placement; the inventory import; the planner and the plan checker; the engine with its file journal;
 * the OpenStack Vim (disable/enable computes, live migrations, check-empty, drift checks); the OpenSSH
 * transport, `ssh`, one `sshd` per compute node, `sh`, `tar` and `sha256sum` (backups). What is fake:
 * the packages, services and reboots on the nodes (test/support/fake-node-ssh.ts: `apt-get`,
 * `dpkg-query`, `systemctl`, `systemd-run`, `reboot` keeping their state in files), so nothing on this
 * machine is really upgraded or rebooted. Each compute node has its own sshd whose sessions find that
 * node's fakes first on their PATH, so versions, services and boot ids are per node.
 *
 * The test boots an anti-affinity group of two servers (one after another, so they land on two hosts
 * and the third host stays free of the group) and two servers outside any group, imports the inventory,
 * fills in what an installer knows (software versions, SSH access), plans nova-compute 26.2.2 → 27.1.0
 * with a kernel update (which reboots the node), runs the campaign and then checks through Nova and the
 * fakes that it went as promised.
 *
 * Skipped, saying why, when env.json is absent, unless ESCALATOR_REQUIRE_OPENSTACK=1, which turns the
 * absence into a failure (`npm run test:openstack`). The campaign disables computes and moves servers:
 * it must not run at the same time as another test against the same cloud.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenStackVim, importInventory, type OpenStackVim } from '../src/adapters/openstack/index.js';
import {
  createOpenSshTransport,
  createSshNodeAgent,
  inventoryEndpoints,
  type OpenSshTransport,
} from '../src/adapters/ssh/index.js';
import { createRoleAuthorizer } from '../src/auth/index.js';
import { verifyPlan } from '../src/checker/verify-plan.js';
import { systemClock } from '../src/clock/index.js';
import { createEngine, type Engine } from '../src/engine/engine.js';
import { parseCampaign, parseInventory } from '../src/loader/load.js';
import type { Campaign, CampaignInput } from '../src/model/campaign.js';
import type { Inventory, InventoryInput } from '../src/model/inventory.js';
import { type Plan, type StepKind, stepNode } from '../src/model/plan.js';
import { createPlan } from '../src/planner/create-plan.js';
import type { Principal } from '../src/ports/authorizer.js';
import type { LogRecord } from '../src/ports/logger.js';
import type { NodeAgent } from '../src/ports/node-agent.js';
import type { Vim } from '../src/ports/vim.js';
import { createFileStore, type FileStateStore } from '../src/stores/index.js';
import {
  CURRENT,
  type FakeComputes,
  COMPUTE_PACKAGES as PACKAGES,
  packagesOf,
  startFakeComputes,
  TARGET,
} from './support/fake-computes.js';
import type { FakeNode } from './support/fake-node-ssh.js';
import { type OpenStackTestEnv, requireOpenStackEnv } from './support/openstack-env.js';
import {
  adminSession,
  bootPairAndSolos,
  deleteServerGroup,
  deleteServers,
  serverHosts,
  type TestServers,
} from './support/openstack-live.js';
import type { SshServer } from './support/sshd.js';

const env: OpenStackTestEnv | undefined = requireOpenStackEnv('OpenStack campaign test');

const OPERATOR: Principal = { id: 'e2e-operator', roles: ['admin'], via: 'local' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One step transition the engine announced, numbered in the order seen. */
interface StepSeen {
  readonly seq: number;
  readonly id: string;
  readonly kind: StepKind;
  readonly node: string | undefined;
  readonly from: string;
  readonly to: string;
  readonly error?: string | undefined;
}

/** Hosts of the test's servers, read from Nova in one call. */
interface HostSnapshot {
  readonly label: string;
  readonly hosts: Readonly<Record<string, string>>;
  readonly statuses: Readonly<Record<string, string>>;
}

/** What Nova said about a node at the moment its packages were being upgraded. */
interface UpgradeObservation {
  readonly node: string;
  readonly instances: readonly string[];
  readonly status: string | undefined;
  readonly disabledReason: string | undefined;
}

describe.skipIf(!env)('Escalator campaign on the real OpenStack', { timeout: 900_000 }, () => {
  const e = env!;
  const prefix = `esc-e2e-${Date.now().toString(36)}`;
  const campaignId = `${prefix}-campaign`;
  let vim: OpenStackVim;
  let computes: FakeComputes | undefined;
  let root: string;
  const sshd = new Map<string, SshServer>();
  const fakes = new Map<string, FakeNode>();
  let transport: OpenSshTransport | undefined;
  let store: FileStateStore | undefined;
  let engine: Engine | undefined;
  let groupId: string | undefined;
  /** The test's servers, by name. */
  const servers: TestServers = new Map();
  const members = () => [...servers].filter(([, s]) => s.group).map(([name]) => name);

  let inventory: Inventory;
  let campaign: Campaign;
  let plan: Plan;
  const steps: StepSeen[] = [];
  const snapshots: HostSnapshot[] = [];
  const samples: HostSnapshot[] = [];
  const observations: UpgradeObservation[] = [];
  const problems: string[] = [];
  const logs: LogRecord[] = [];
  let outcome: Awaited<ReturnType<Engine['start']>> | undefined;
  let runtimeMs = 0;

  /** Where every test server is now, and its status: one `/servers/detail` call. */
  const readHosts = (label: string): Promise<HostSnapshot> => serverHosts(vim.nova, servers, label);

  beforeAll(async () => {
    const session = adminSession(e);
    vim = createOpenStackVim({ session });

    // One sshd and one set of fakes per compute node.
    computes = await startFakeComputes(e.computeHosts, CURRENT);
    root = computes.root;
    for (const [host, server] of computes.sshd) sshd.set(host, server);
    for (const [host, fake] of computes.fakes) fakes.set(host, fake);
    transport = createOpenSshTransport({
      configFile: 'none',
      knownHostsFile: computes.knownHosts,
      // credentialsRef names the node's key; only the path goes to ssh.
      resolveIdentity: (ref) => {
        const server = sshd.get(ref.replace(/^key-/, ''));
        if (!server) throw new Error(`no key ${ref}`);
        return server.identityFile;
      },
    });
    // Safety first: on every node, the commands the agent runs must be the fakes, never this machine's.
    await computes.assertFakesFirst(transport, (host) => ({
      node: host,
      address: '127.0.0.1',
      port: sshd.get(host)!.port,
      user: sshd.get(host)!.user,
      credentialsRef: `key-${host}`,
    }));
  }, 300_000);

  afterAll(async () => {
    await engine?.close().catch(() => undefined);
    if (vim) {
      // Whatever the campaign left disabled (a failed run), and nothing else.
      const services = await vim.listComputeServices().catch(() => []);
      for (const s of services)
        if (s.status === 'disabled' && s.disabledReason?.startsWith(`escalator ${campaignId}`))
          await vim.enableComputeService(s.host).catch(() => undefined);
      await deleteServers(
        vim.nova,
        [...servers.values()].map((s) => s.id),
      ).catch((error: unknown) => console.warn(`cleanup: ${(error as Error).message}`));
      if (groupId) await deleteServerGroup(vim.nova, groupId).catch(() => undefined);
    }
    await transport?.close().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await computes?.close();
  }, 300_000);

  it('boots an anti-affinity pair on two hosts and two servers outside any group', async () => {
    expect(e.computeHosts.length, 'the test bed has three computes').toBeGreaterThanOrEqual(3);
    groupId = await bootPairAndSolos(vim.nova, e, prefix, servers);
    const now = await readHosts('booted');
    const [a, b] = members();
    expect(now.hosts[a!]).not.toBe(now.hosts[b!]);
    // Two members on three hosts: one host is free of the group, so each member's host can be emptied.
    expect(e.computeHosts.filter((h) => h !== now.hosts[a!] && h !== now.hosts[b!])).toHaveLength(
      e.computeHosts.length - 2,
    );
    snapshots.push(now);
  }, 600_000);

  it('imports the inventory and completes it as an installer would', async () => {
    const warnings: string[] = [];
    const imported: InventoryInput = await importInventory(vim.session, {
      name: prefix,
      nova: vim.nova,
      placement: vim.placement,
      onWarning: (w) => warnings.push(w),
    });
    expect(imported.nodes.map((n) => n.name).sort()).toEqual([...e.computeHosts].sort());
    for (const node of imported.nodes) {
      const server = sshd.get(node.name)!;
      node.software = { ...CURRENT };
      node.access = {
        address: '127.0.0.1',
        port: server.port,
        user: server.user,
        credentialsRef: `key-${node.name}`,
      };
    }
    inventory = parseInventory(JSON.stringify(imported), { file: '<imported>' });
    const group = inventory.serverGroups.find((g) => g.name === `${prefix}-group`);
    expect(group).toMatchObject({ policy: 'anti-affinity', maxImpacted: 1 });
    const booted = snapshots[0]!;
    for (const [name, s] of servers) {
      const instance = inventory.instances.find((i) => i.id === s.id);
      expect(instance, name).toMatchObject({ name, host: booted.hosts[name], migration: 'live' });
      expect(instance?.serverGroup).toBe(s.group ? group?.name : undefined);
    }
    const others = inventory.instances.filter((i) => !servers.has(i.name));
    if (others.length > 0)
      console.warn(
        `the cloud holds ${others.length} server(s) besides the test's (${others.map((i) => `${i.name}@${i.host}`).join(', ')}); ` +
          'the campaign moves them too, but nothing else may change the cloud while it runs',
      );

    const input: CampaignInput = {
      apiVersion: 'escalator/v1',
      kind: 'Campaign',
      metadata: { name: campaignId },
      target: { software: { ...TARGET } },
      strategy: { maxParallel: 1, instanceAction: 'live-migrate' },
      // The backup archives a copy of the configuration the ssh user may read.
      components: { 'nova-compute': { backup: { files: [computes!.novaConf], databases: [] } } },
    };
    campaign = parseCampaign(JSON.stringify(input), { file: '<campaign>', inventory });
  });

  it('plans one compute per wave, each emptied by live migration, and the checker accepts the plan', () => {
    plan = createPlan(inventory, campaign);
    console.info(
      plan.waves
        .map(
          (w) =>
            `wave ${w.index}: ${w.nodes.join(', ')}; ${w.migrations.map((m) => `${m.instance} ${m.from} → ${m.to}`).join(', ')}`,
        )
        .join('\n'),
    );
    const verdict = verifyPlan(inventory, campaign, plan);
    expect(verdict.violations).toEqual([]);
    expect(verdict.ok).toBe(true);
    const upgraded = plan.waves.flatMap((w) => w.nodes);
    expect([...upgraded].sort()).toEqual([...e.computeHosts].sort());
    for (const wave of plan.waves) expect(wave.nodes).toHaveLength(1);
    // Every one of the test's servers leaves each host it is on when that host's turn comes.
    const mine = plan.waves.flatMap((w) => w.migrations).filter((m) => servers.has(m.instance));
    expect(mine.length).toBeGreaterThanOrEqual(servers.size);
    for (const wave of plan.waves)
      for (const m of wave.migrations) {
        expect(m.from).toBe(wave.nodes[0]);
        expect(m.mode).toBe('live');
      }
    // The kernel update reboots each node.
    for (const node of e.computeHosts)
      expect(plan.waves.flatMap((w) => w.steps).some((s) => s.kind === 'reboot' && s.node === node)).toBe(
        true,
      );
  });

  it('runs the campaign to completed through the OpenStack Vim and the SSH node agent', async () => {
    store = createFileStore({ directory: join(root, 'journal') });
    const agent = createSshNodeAgent({
      transport: transport!,
      endpoints: inventoryEndpoints(inventory),
      packages: (component) => PACKAGES[component] ?? [component],
      backupRoot: computes!.backups,
      commands: { bootId: ['escalator-boot-id'] },
      waitReady: { initialDelayMs: 500, maxDelayMs: 2_000, timeoutMs: 120_000 },
      commandTimeoutMs: 120_000,
    });
    const engineVim = createOpenStackVim({ session: vim.session, instances: inventory.instances });

    // Hosts are read after every wave event; the next migration waits for that read, so each
    // snapshot shows the cloud between two waves, not half-way through the next one.
    let snapshotDone: Promise<void> = Promise.resolve();
    const observedVim: Vim = {
      ...engineVim,
      migrate: async (instance, request, options) => {
        await snapshotDone;
        return engineVim.migrate(instance, request, options);
      },
    };
    // At the moment a node's packages are upgraded, ask Nova what runs there and whether it is disabled.
    const observedNodes: NodeAgent = {
      run: (node, argv, options) => agent.run(node, argv, options),
      installedVersions: (node, components, options) => agent.installedVersions(node, components, options),
      installVersions: async (node, software, options) => {
        const [instances, services] = await Promise.all([vim.listInstances(node), vim.listComputeServices()]);
        const service = services.find((s) => s.host === node);
        observations.push({
          node,
          instances: instances.map((i) => i.name),
          status: service?.status,
          disabledReason: service?.disabledReason,
        });
        return agent.installVersions(node, software, options);
      },
      restartServices: (node, services, options) => agent.restartServices(node, services, options),
      bootId: (node, options) => agent.bootId(node, options),
      reboot: (node, options) => agent.reboot(node, options),
      waitReady: (node, options) => agent.waitReady(node, options),
      backup: (node, request, options) => agent.backup(node, request, options),
      restore: (node, backup, options) => agent.restore(node, backup, options),
      health: (node, services, options) => agent.health(node, services, options),
    };

    engine = createEngine({
      adapters: { vim: observedVim, nodes: observedNodes },
      store,
      authorizer: createRoleAuthorizer(),
      clock: systemClock,
      logger: { log: (record) => logs.push(record) },
      // The default policies: the migrate default must ride out Nova's "No valid host" for a member
      // moved onto a host another member left a moment ago (the scheduler's view lags up to 120 s).
      policy: { pollSeconds: 1 },
      owner: `${prefix}-engine`,
    });
    let seq = 0;
    engine.on('step', (s) =>
      steps.push({
        seq: seq++,
        id: s.step.id,
        kind: s.step.kind,
        node: stepNode(s.step),
        from: s.from,
        to: s.to,
        error: s.error?.message,
      }),
    );
    engine.on('wave', (w) => {
      // Read at once; recorded in the order of the events.
      const read = readHosts(`wave ${w.wave} ${w.event}`);
      snapshotDone = snapshotDone.then(async () => {
        try {
          snapshots.push(await read);
        } catch (error) {
          problems.push(`snapshot at wave ${w.wave} ${w.event}: ${(error as Error).message}`);
        }
      });
    });

    // Meanwhile, sample the group members' hosts about twice a second.
    let running = true;
    const sampler = (async () => {
      while (running) {
        try {
          samples.push(await readHosts('sample'));
        } catch (error) {
          problems.push(`sample: ${(error as Error).message}`);
        }
        await sleep(500);
      }
    })();

    const started = Date.now();
    try {
      outcome = await engine.start(OPERATOR, { inventory, campaign, plan });
    } finally {
      runtimeMs = Date.now() - started;
      running = false;
      await sampler;
      await snapshotDone;
    }
    const retries = logs.filter((l) => l.action === 'step.retry');
    console.info(
      `campaign ${campaignId}: ${outcome?.state} in ${(runtimeMs / 1000).toFixed(1)} s` +
        retries.map((l) => `\n  retried ${l.object}: ${l.message}`).join(''),
    );
    const failures = steps.filter((s) => s.error).map((s) => `${s.id}: ${s.error}`);
    expect(
      outcome,
      `${outcome?.reason ?? ''}\nhosts: ${snapshots.map((x) => `${x.label} ${JSON.stringify(x.hosts)}`).join('\n')}\nfailed steps: ${failures.join('\n')}\nlast log records:\n${logs
        .slice(-15)
        .map((l) => `${l.level} ${l.action} ${l.object ?? ''} ${l.message}`)
        .join('\n')}`,
    ).toEqual({ state: 'completed', reason: undefined });
    expect(problems).toEqual([]);
    // Every step of the plan succeeded, each after it started, and nothing had to be retried.
    for (const step of plan.waves.flatMap((w) => w.steps)) {
      const seen = steps.filter((s) => s.id === step.id).map((s) => s.to);
      expect(seen, step.id).toEqual(['running', 'succeeded']);
    }
    // The journal is on disk and ends with the campaign completed.
    const journal = await store.read(campaignId);
    const last = journal.filter((r) => (r as { type?: string }).type === 'campaign').at(-1) as
      | { to?: string }
      | undefined;
    expect(last?.to).toBe('completed');
    expect(engine.status().progress).toMatchObject({ percent: 100, wavesDone: plan.waves.length });
  });

  it('leaves every compute enabled and every server ACTIVE, where the plan put it', async () => {
    expect(outcome?.state).toBe('completed');
    const services = await vim.listComputeServices();
    for (const host of e.computeHosts)
      expect(
        services.find((s) => s.host === host),
        host,
      ).toMatchObject({ status: 'enabled', state: 'up' });
    const end = await readHosts('end');
    // Where the plan said each server would be after the last wave.
    const planned = new Map(inventory.instances.map((i) => [i.name, i.host]));
    for (const m of plan.waves.flatMap((w) => w.migrations)) planned.set(m.instance, m.to);
    for (const name of servers.keys()) {
      expect(end.statuses[name], name).toBe('ACTIVE');
      expect(end.hosts[name], name).toBe(planned.get(name));
    }
    const [a, b] = members();
    expect(end.hosts[a!]).not.toBe(end.hosts[b!]);
  });

  it('never had the anti-affinity members on one host, after any wave or in any sample', () => {
    const [a, b] = members();
    // Before the run, at the start and end of every wave, and at the end.
    expect(snapshots.map((s) => s.label)).toEqual([
      'booted',
      ...plan.waves.flatMap((w) => [`wave ${w.index} started`, `wave ${w.index} verified`]),
    ]);
    expect(samples.length).toBeGreaterThan(plan.waves.length);
    for (const s of [...snapshots, ...samples]) {
      expect(s.hosts[a!], `${a} at ${s.label}`).toBeTruthy();
      expect(s.hosts[b!], `${b} at ${s.label}`).toBeTruthy();
      expect(s.hosts[a!], `${s.label}: ${JSON.stringify(s.hosts)}`).not.toBe(s.hosts[b!]);
    }
    // After each wave, each of the test's servers is where the plan moved it: the wave's node is empty.
    const where = new Map(inventory.instances.map((i) => [i.name, i.host]));
    for (const wave of plan.waves) {
      for (const m of wave.migrations) where.set(m.instance, m.to);
      const after = snapshots.find((s) => s.label === `wave ${wave.index} verified`)!;
      for (const name of servers.keys()) {
        expect(after.hosts[name], `${name} after wave ${wave.index}`).toBe(where.get(name));
        expect(after.hosts[name]).not.toBe(wave.nodes[0]);
      }
    }
  });

  it('emptied each compute before upgrading it: disabled first, migrations after, check-empty passed', () => {
    const at = (id: string, to: string) => steps.find((s) => s.id === id && s.to === to)?.seq ?? -1;
    for (const wave of plan.waves) {
      const node = wave.nodes[0]!;
      const byKind = (kind: StepKind) => wave.steps.find((s) => s.kind === kind && stepNode(s) === node)!;
      const disabled = at(byKind('disable-compute').id, 'succeeded');
      const checked = at(byKind('check-empty').id, 'succeeded');
      const upgrading = at(byKind('upgrade-packages').id, 'running');
      const enabled = at(byKind('enable-compute').id, 'running');
      expect(disabled, `${node} disabled`).toBeGreaterThanOrEqual(0);
      for (const m of wave.steps.filter((s) => s.kind === 'migrate')) {
        expect(m.from).toBe(node);
        expect(at(m.id, 'running'), `${m.id} starts after ${node} is disabled`).toBeGreaterThan(disabled);
        expect(at(m.id, 'succeeded'), `${m.id} ends before ${node}'s check-empty`).toBeLessThan(checked);
      }
      expect(checked, `${node} check-empty succeeded`).toBeGreaterThan(disabled);
      expect(upgrading, `${node} upgraded after it was found empty`).toBeGreaterThan(checked);
      expect(enabled, `${node} enabled again only after its upgrade`).toBeGreaterThan(upgrading);
    }
    // Nova's own view while the packages went in: the node disabled by this campaign and empty.
    expect(observations.map((o) => o.node).sort()).toEqual([...e.computeHosts].sort());
    for (const o of observations) {
      expect(o.instances, `instances on ${o.node} during its upgrade`).toEqual([]);
      expect(o.status, o.node).toBe('disabled');
      expect(o.disabledReason, o.node).toMatch(new RegExp(`^escalator ${campaignId}: `));
    }
  });

  it('upgraded the packages, restarted nova-compute and rebooted each node, per node', () => {
    for (const host of e.computeHosts) {
      const fake = fakes.get(host)!;
      expect(fake.packages(), host).toEqual(packagesOf(TARGET));
      expect(fake.activeServices(), host).toContain('nova-compute');
      expect(fake.bootId(), `${host} rebooted`).not.toBe(`boot-${host}-0`);
      const installs = fake.calls('apt-get').filter((c) => c.args.includes('install'));
      expect(installs, host).toHaveLength(1);
      expect(installs[0]!.args.slice(installs[0]!.args.indexOf('install') + 1).sort()).toEqual(
        Object.entries(packagesOf(TARGET))
          .map(([p, v]) => `${p}=${v}`)
          .sort(),
      );
      expect(installs[0]!.env.DEBIAN_FRONTEND).toBe('noninteractive');
      expect(
        fake.calls('systemctl').some((c) => c.args.includes('restart') && c.args.includes('nova-compute')),
      ).toBe(true);
    }
    console.info(`campaign runtime: ${(runtimeMs / 1000).toFixed(1)} s`);
  });
});
