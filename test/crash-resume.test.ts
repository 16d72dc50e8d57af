/**
 * Crash-resume that holds on real nodes: what a step learned before acting is journaled, and a process
 * resumed after a crash acts on the journal, not on memory.
 *
 * - Killed processes (SIGKILL) on scripted nodes whose state is on disk and on which time passes while
 *   no process runs (test/support/scripted-nodes.ts, not the simulator): killed once the reboot was
 *   accepted, once a package install finished, once a migration started; each time a new process
 *   resumes and the campaign completes with every action done once, in the right order.
 * - The SSH node agent keeps no boot id: a fresh agent waits for one other than the journaled one.
 * - Timers and retry budgets go on from the journal (virtual clock, a store that dies at a record).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenSshTransport, createSshNodeAgent } from '../src/adapters/ssh/index.js';
import { createRoleAuthorizer } from '../src/auth/role-authorizer.js';
import { createVirtualClock } from '../src/clock/virtual-clock.js';
import { createEngine } from '../src/engine/engine.js';
import { replay } from '../src/engine/journal.js';
import type { EnginePolicyInput } from '../src/engine/policy.js';
import { AdapterError } from '../src/errors.js';
import { loadCampaign, loadInventory } from '../src/loader/load.js';
import type { Campaign } from '../src/model/campaign.js';
import type { Inventory } from '../src/model/inventory.js';
import type { Plan, Step, StepKind } from '../src/model/plan.js';
import { createPlan } from '../src/planner/create-plan.js';
import type { NodeAgent } from '../src/ports/node-agent.js';
import type { JournalEntry, StateStore } from '../src/ports/state-store.js';
import { createFileStore } from '../src/stores/file-store.js';
import { createMemoryStore } from '../src/stores/memory-store.js';
import { dyingStore } from './support/dying-store.js';
import { FakeCloud } from './support/fake-cloud.js';
import { createFakeNode } from './support/fake-node-ssh.js';
import { type NodeEvent, readScripted, releaseReboot } from './support/scripted-nodes.js';
import { startSshd } from './support/sshd.js';
import { withoutCooldowns } from './support/without-cooldowns.js';

const admin = { id: 'ada', roles: ['admin'] };
let inventory: Inventory;
let campaign: Campaign;
let plan: Plan;
const dirs: string[] = [];

beforeAll(async () => {
  inventory = withoutCooldowns(await loadInventory('examples/minimal/inventory.yaml'));
  campaign = await loadCampaign('examples/minimal/campaign.yaml', { inventory });
  plan = createPlan(inventory, campaign);
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** The plan's step of `kind` on `node` (or for `instance`). */
function stepOf(kind: StepKind, name: string): Step {
  const step = plan.waves
    .flatMap((w) => w.steps)
    .find((s) => s.kind === kind && ('node' in s ? s.node === name : 'instance' in s && s.instance === name));
  if (!step) throw new Error(`the plan has no ${kind} of ${name}`);
  return step;
}

// ---------------------------------------------------------------------------------------------------
// Killed processes on scripted nodes

interface ChildRun {
  readonly killed: boolean;
  readonly state?: string | undefined;
}

/**
 * Runs the child on `dir` until it ends, or kills it (SIGKILL) at the first node event `killAt`
 * accepts. A node's pending reboot is let go once some process waits for the node (the `wait` event):
 * until then the node answers with its old boot id, as one does between `systemd-run --on-active`
 * accepting a reboot and the reboot.
 */
function runChild(dir: string, killAt?: (event: NodeEvent) => boolean): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/support/crash-node-child.ts', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let buffer = '';
    let stderr = '';
    let killed = false;
    let done: string | undefined;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const message = JSON.parse(line) as Record<string, unknown>;
        if ('done' in message) done = String(message['done']);
        if (!('event' in message) || killed) continue;
        const event = { what: String(message['event']), node: String(message['node']) } as NodeEvent;
        if (killAt?.(event)) {
          killed = child.kill('SIGKILL');
          continue;
        }
        if (event.what === 'wait') releaseReboot(dir, event.node);
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (killed && signal === 'SIGKILL') return resolve({ killed: true });
      if (code !== 0 || done === undefined)
        return reject(new Error(`crash-node-child exited with ${code ?? signal}:\n${stderr}`));
      resolve({ killed: false, state: done });
    });
  });
}

/** A campaign killed at `killAt`, then resumed by a new process until it ends. */
async function killAndResume(killAt: (event: NodeEvent) => boolean) {
  const dir = tempDir('escalator-resume-');
  writeFileSync(join(dir, 'documents.json'), JSON.stringify({ inventory, campaign }));
  const first = await runChild(dir, killAt);
  expect(first.killed, 'the first process reached the kill point').toBe(true);
  const second = await runChild(dir);
  const store = createFileStore({ directory: dir });
  const entries = await store.read(campaign.metadata.name);
  await store.close();
  const snapshot = replay(campaign.metadata.name, entries);
  return { outcome: second.state, snapshot, entries, nodes: readScripted(dir) };
}

/** When the step's last record of `event` was written (epoch ms). */
function recordAt(entries: readonly JournalEntry[], step: string, event: string): number {
  const record = entries.findLast((e) => e.type === 'step' && e['step'] === step && e['event'] === event);
  if (!record) throw new Error(`no ${event} record of ${step}`);
  return Date.parse(String(record['at']));
}

const eventsOf = (events: readonly NodeEvent[], node: string, what: string) =>
  events.filter((e) => e.node === node && e.what === what);

describe('killed on real-like nodes, resumed by a new process', () => {
  it('killed once the reboot was accepted: wait-node waits for a new boot id after the journaled one; the compute is enabled after the reboot', {
    timeout: 120_000,
  }, async () => {
    const { outcome, snapshot, entries, nodes } = await killAndResume(
      (e) => e.what === 'reboot' && e.node === 'cmp-1',
    );
    expect(outcome).toBe('completed');
    const reboot = stepOf('reboot', 'cmp-1');
    const wait = stepOf('wait-node', 'cmp-1');
    const enable = stepOf('enable-compute', 'cmp-1');
    const journaled = snapshot.steps[reboot.id]?.data?.bootId;
    expect(journaled).toBe('boot-cmp-1-1');
    expect(snapshot.steps[wait.id]?.data).toEqual({ since: journaled });
    // The resumed process waited (its `wait` for cmp-1 since the journaled boot id), the node went
    // down and came back, and only then did wait-node end and the compute get enabled.
    const resumedWait = nodes.events.find(
      (e) => e.node === 'cmp-1' && e.what === 'wait' && e.pid !== nodes.events[0]?.pid,
    );
    expect(resumedWait?.detail).toBe(journaled);
    const [up] = eventsOf(nodes.events, 'cmp-1', 'up');
    expect(up, 'cmp-1 came back').toBeDefined();
    const ready = eventsOf(nodes.events, 'cmp-1', 'ready');
    expect(ready.map((e) => e.detail)).toEqual(['boot-cmp-1-2']);
    expect(recordAt(entries, wait.id, 'succeed')).toBeGreaterThanOrEqual(up?.at ?? Number.POSITIVE_INFINITY);
    expect(recordAt(entries, enable.id, 'succeed')).toBeGreaterThanOrEqual(
      up?.at ?? Number.POSITIVE_INFINITY,
    );
    // Each node rebooted exactly once.
    expect(Object.fromEntries(Object.entries(nodes.nodes).map(([n, s]) => [n, s.boot]))).toEqual({
      'ctl-1': 1,
      'cmp-1': 2,
      'cmp-2': 2,
    });
    const waited = (ready[0]?.at ?? 0) - (resumedWait?.at ?? 0);
    console.info(`resumed wait-node on cmp-1 waited ${waited} ms for the new boot (downtime 1500 ms)`);
  });

  it('killed once a package install finished: resumed, it restarts the services and does not install again', {
    timeout: 120_000,
  }, async () => {
    const { outcome, snapshot, nodes } = await killAndResume(
      (e) => e.what === 'install' && e.node === 'cmp-1',
    );
    expect(outcome).toBe('completed');
    const upgrade = stepOf('upgrade-packages', 'cmp-1');
    // The versions before were journaled before the install.
    expect(snapshot.steps[upgrade.id]?.data).toEqual({
      'before:nova-compute': '26.2.2',
      'before:kernel': '6.1.0-18-amd64',
    });
    const installs = {
      'cmp-1': eventsOf(nodes.events, 'cmp-1', 'install').length,
      'cmp-2': eventsOf(nodes.events, 'cmp-2', 'install').length,
    };
    expect(installs).toEqual({ 'cmp-1': 1, 'cmp-2': 1 });
    // The services the killed process had stopped were restarted by the new one, after the install.
    const cmp1 = nodes.events.filter((e) => e.node === 'cmp-1');
    const installed = cmp1.findIndex((e) => e.what === 'install');
    const restarted = cmp1.findIndex((e) => e.what === 'restart');
    expect(restarted).toBeGreaterThan(installed);
    expect(cmp1[restarted]?.pid).not.toBe(cmp1[installed]?.pid);
    expect(nodes.nodes['cmp-1']?.servicesActive).toBe(true);
    for (const [id, s] of Object.entries(snapshot.steps)) expect(s.state, id).toBe('succeeded');
  });

  it('killed while a migration runs in the VIM: resumed, it follows that migration and never starts a second one', {
    timeout: 120_000,
  }, async () => {
    const { outcome, snapshot, nodes } = await killAndResume((e) => e.what === 'migrate-start');
    expect(outcome).toBe('completed');
    // An instance may move in each wave (to the other compute, then back): once per instance and target.
    const started = nodes.events
      .filter((e) => e.what === 'migrate-start')
      .map((e) => `${e.detail} → ${e.node}`);
    expect(new Set(started).size).toBe(started.length);
    expect(started.length).toBe(
      plan.waves.flatMap((w) => w.steps).filter((s) => s.kind === 'migrate').length,
    );
    for (const [id, s] of Object.entries(snapshot.steps)) expect(s.state, id).toBe('succeeded');
  });
});

// ---------------------------------------------------------------------------------------------------
// The SSH node agent: nothing in memory

describe('the SSH node agent after a crash', () => {
  it('a fresh agent (a resumed process) waits for a boot id other than the journaled one, not for any answer', async () => {
    const root = tempDir('escalator-resume-ssh-');
    const server = await startSshd({ pathPrefix: [join(root, 'node', 'bin')] });
    chownSync(root, server.uid, server.gid);
    const fake = createFakeNode(join(root, 'node'), server);
    const transport = createOpenSshTransport({
      configFile: 'none',
      knownHostsFile: server.knownHostsFile,
      identityFile: server.identityFile,
    });
    try {
      const agent = () =>
        createSshNodeAgent({
          transport,
          endpoints: (node) => server.endpoint(node),
          // "Accepted", but the reboot has not happened yet (systemd-run --on-active=2).
          commands: { bootId: ['cat', fake.bootIdFile], reboot: ['true'] },
          waitReady: { initialDelayMs: 100, maxDelayMs: 200, timeoutMs: 1_000 },
        });
      const before = await agent().bootId('cmp-1'); // journaled by the reboot step
      await agent().reboot('cmp-1');
      // The process that asked for the reboot is gone; a new agent knows only the journaled boot id.
      const error = await agent()
        .waitReady('cmp-1', { since: before })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(AdapterError);
      expect((error as AdapterError).reason).toBe('node-not-ready');
      expect((error as Error).message).toMatch(/still on boot id .*the reboot has not happened yet/);
      // The node comes back on a new boot: the wait ends.
      writeFileSync(fake.bootIdFile, 'boot-0001\n');
      await agent().waitReady('cmp-1', { since: before });
      expect(await agent().bootId('cmp-1')).toBe('boot-0001');
    } finally {
      await transport.close();
      await server.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Timers and retry budgets resume from the journal

describe('timers and retry budgets after a crash', () => {
  it('a step that had run 50 s of its 60 s timeout times out 10 s after the resume, not 60', async () => {
    const upgrade = stepOf('upgrade-packages', 'cmp-1');
    const clock = createVirtualClock({ autoAdvance: true });
    const cloud = new FakeCloud(inventory, { clock });
    // The install hangs, in the process that dies and in the one that resumes.
    cloud.faults.set('installVersions:cmp-1', ['hang', 'hang']);
    const policy: EnginePolicyInput = {
      hangFactor: 50 / upgrade.expectedSeconds,
      steps: { 'upgrade-packages': { timeoutFactor: 60 / upgrade.timeoutSeconds } },
    };
    const memory = createMemoryStore();
    const make = (store: StateStore) =>
      createEngine({
        adapters: { vim: cloud.vim, nodes: cloud.nodes, vnfm: cloud.vnfm },
        store,
        authorizer: createRoleAuthorizer(),
        clock,
        policy,
      });
    // The process dies 50 s into the step, as it journals the step's hang alarm.
    const first = make(
      dyingStore(
        memory,
        (e) =>
          e.type === 'alarm' &&
          (e['alarm'] as { code: string; object: string }).code === 'step-hang' &&
          (e['alarm'] as { object: string }).object === upgrade.id,
      ),
    );
    await expect(first.start(admin, { inventory, campaign })).rejects.toThrow('the process died');
    await first.close();

    const second = make(memory);
    await second.open(campaign.metadata.name);
    expect((await second.resume(admin)).state).toBe('paused');
    await second.close();
    const entries = await memory.read(campaign.metadata.name);
    const started = recordAt(entries, upgrade.id, 'start');
    const rechecked = recordAt(entries, upgrade.id, 'recheck');
    const timedOut = recordAt(entries, upgrade.id, 'time-out');
    expect(rechecked - started).toBeGreaterThanOrEqual(50_000);
    // 60 s from the step's journaled start: what was left of its timeout after the resume.
    expect(timedOut - started).toBe(60_000);
    expect(timedOut - rechecked).toBeLessThanOrEqual(10_000);
    console.info(
      `timed out ${(timedOut - started) / 1000} s after its start, ${(timedOut - rechecked) / 1000} s after the resume`,
    );
    // The hang alarm the crash swallowed is raised by the resumed run.
    const alarms = entries.filter(
      (e) => e.type === 'alarm' && (e['alarm'] as { object: string }).object === upgrade.id,
    );
    expect(alarms.map((e) => (e['alarm'] as { code: string }).code)).toContain('step-hang');
  });

  it('a step that had used 3 of its 4 attempts gets the rest after a resume, not a fresh budget', async () => {
    const verify = stepOf('verify-services', 'cmp-1');
    const clock = createVirtualClock({ autoAdvance: true });
    const cloud = new FakeCloud(inventory, { clock });
    let healthChecks = 0;
    // cmp-1's services never come up: every attempt of verify-services fails transiently.
    const nodes: NodeAgent = {
      ...cloud.nodes,
      health: async (node, services, o) => {
        if (node !== 'cmp-1') return cloud.nodes.health(node, services, o);
        healthChecks++;
        return { ok: false, services: services.map((name) => ({ name, active: false })) };
      },
    };
    const memory = createMemoryStore();
    const make = (store: StateStore) =>
      createEngine({
        adapters: { vim: cloud.vim, nodes, vnfm: cloud.vnfm },
        store,
        authorizer: createRoleAuthorizer(),
        clock,
        policy: { retry: { retries: 3, minDelayMs: 1_000, factor: 1, maxDelayMs: 1_000 } },
      });
    // The process dies as it journals the start of the 4th attempt: attempts 1 to 3 were made.
    const first = make(
      dyingStore(memory, (e) => e.type === 'attempt' && e['step'] === verify.id && e['attempt'] === 4),
    );
    await expect(first.start(admin, { inventory, campaign })).rejects.toThrow('the process died');
    await first.close();
    const before = await memory.read(campaign.metadata.name);
    expect(replay(campaign.metadata.name, before).steps[verify.id]?.runAttempts).toBe(3);

    healthChecks = 0;
    const second = make(memory);
    await second.open(campaign.metadata.name);
    expect((await second.resume(admin)).state).toBe('paused');
    await second.close();
    // The 3rd attempt, interrupted, runs again, then the 4th: the budget of 4 is spent, the step fails.
    expect(healthChecks).toBe(2);
    const after = (await memory.read(campaign.metadata.name)).slice(before.length);
    expect(after.filter((e) => e.type === 'attempt').map((e) => e['attempt'])).toEqual([4]);
    expect(replay(campaign.metadata.name, [...before, ...after]).steps[verify.id]?.state).toBe('failed');
  });
});
