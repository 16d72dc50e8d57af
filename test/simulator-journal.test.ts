/**
 * The simulator against its own journal directory: simulated time does not depend on real I/O or on
 * `speed`; fault targets are checked against the inventory; a fault that struck is kept in the cloud's
 * log and does not strike again on resume; a resume takes the campaign's lock before it writes.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createVirtualClock } from '../src/clock/virtual-clock.js';
import { DocumentError, ErrorCode, EscalatorError } from '../src/errors.js';
import { loadCampaign, loadInventory } from '../src/loader/load.js';
import { type CloudOperation, createSimulatedCloud, type SimulatedCloud } from '../src/simulator/cloud.js';
import { checkFaults, parseFaultFlag, parseFaultScenario } from '../src/simulator/faults.js';
import { resumeSimulation, simulateCampaign } from '../src/simulator/run.js';
import { createFileStore } from '../src/stores/file-store.js';

const dir = mkdtempSync(join(tmpdir(), 'escalator-sim-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(dir, `run-${++dirs}`);

const inventory = await loadInventory('examples/ha/inventory.yaml');
const campaign = await loadCampaign('examples/ha/campaign.yaml', { inventory });

/** Relative difference of two durations. */
const apart = (a: number, b: number): number => Math.abs(a - b) / Math.max(a, b);

describe('simulated time does not depend on real I/O or speed', () => {
  it('the HA example takes the same simulated time with a file journal, at a speed, and with neither', async () => {
    const plain = await simulateCampaign({ inventory, campaign, seed: 1 });
    const journaled = await simulateCampaign({ inventory, campaign, seed: 1, journal: freshDir() });
    // 20,000x: about 0.7 s of pacing for the whole campaign; the clock's pacing is the same at any speed.
    const paced = await simulateCampaign({ inventory, campaign, seed: 1, speed: 20_000 });
    for (const r of [plain, journaled, paced]) expect(r.outcome.state).toBe('completed');
    // The plan expects about 3 h 50 min; before the fix the journaled run took 10-12 h, its waves'
    // nodes running one after another.
    expect(plain.simulatedSeconds).toBeGreaterThan(3 * 3600);
    expect(plain.simulatedSeconds).toBeLessThan(4.5 * 3600);
    expect(apart(journaled.simulatedSeconds, plain.simulatedSeconds)).toBeLessThanOrEqual(0.01);
    expect(apart(paced.simulatedSeconds, plain.simulatedSeconds)).toBeLessThanOrEqual(0.01);
  });

  it('a timed fault strikes at its time with a file journal, not during the prechecks', async () => {
    const faults = [{ kind: 'node-dies' as const, node: 'cmp-20', atSeconds: 3 * 3600 }];
    const journaled = await simulateCampaign({ inventory, campaign, seed: 1, faults, journal: freshDir() });
    const plain = await simulateCampaign({ inventory, campaign, seed: 1, faults });
    const prechecked = (r: typeof plain) => r.transitions.find((t) => t.from === 'prechecking');
    expect(prechecked(journaled)?.to).toBe('backing-up');
    expect(journaled.outcome.state).toBe(plain.outcome.state);
    expect(journaled.transitions.map((t) => `${t.from}>${t.to}`)).toEqual(
      plain.transitions.map((t) => `${t.from}>${t.to}`),
    );
  });
});

describe('fault targets are checked against the inventory', () => {
  it('an unknown node, instance or VNF, or a VNF whose manager is never asked, is named', () => {
    const issues = checkFaults(
      [
        { kind: 'upgrade-fails', node: 'nosuch-node', transient: false },
        { kind: 'migration-fails', instance: 'vm-nope' },
        { kind: 'vnfm-nack', vnf: 'vFW' },
        { kind: 'vnfm-silent', vnf: 'vEPC-MMX' },
        { kind: 'node-dies', node: 'cmp-03', atSeconds: 60 },
        { kind: 'api-error', error: '5xx', probability: 0.05 },
      ],
      inventory,
    );
    expect(issues.map((i) => [i.path, i.code])).toEqual([
      [[0, 'node'], 'unknown-reference'],
      [[1, 'instance'], 'unknown-reference'],
      [[2, 'vnf'], 'never-asked'],
      [[3, 'vnf'], 'unknown-reference'],
    ]);
    expect(issues[0]?.message).toMatch(/unknown node "nosuch-node"/);
    expect(issues[2]?.message).toMatch(/VNF "vFW" has no manager to ask/);
    expect(issues[3]?.message).toMatch(/did you mean "vEPC-MME"/);
  });

  it('a flag or a scenario file with a bad target is a DocumentError naming it', () => {
    expect(() => parseFaultFlag('upgrade-fails:nosuch-node', inventory)).toThrow(
      /^--fault upgrade-fails:nosuch-node node: unknown node "nosuch-node"/,
    );
    expect(() => parseFaultFlag('vnfm-nack:vFW', inventory)).toThrow(DocumentError);
    expect(parseFaultFlag('vnfm-nack:vEPC-MME', inventory)).toEqual({ kind: 'vnfm-nack', vnf: 'vEPC-MME' });
    expect(() =>
      parseFaultScenario('faults:\n  - { kind: node-no-return, node: cmp-99 }\n', 'faults.yaml', inventory),
    ).toThrow(/^faults\.yaml:2:\d+ faults\[0\]\.node: unknown node "cmp-99"/);
  });

  it('simulateCampaign refuses them before anything runs', async () => {
    const journal = freshDir();
    await expect(
      simulateCampaign({
        inventory,
        campaign,
        journal,
        faults: [{ kind: 'node-no-return', node: 'cmp-99' }],
      }),
    ).rejects.toSatisfy((e) => EscalatorError.is(e) && e.code === ErrorCode.InvalidDocument);
    expect(() => readFileSync(join(journal, 'simulation.json'))).toThrow(/ENOENT/);
  });
});

describe('faults that struck do not strike again on resume', () => {
  it('the cloud logs a strike, and a cloud that replays the log does not strike again', async () => {
    const faults = [{ kind: 'upgrade-fails' as const, node: 'cmp-03', transient: false }];
    const install = (cloud: SimulatedCloud) =>
      cloud.nodes.installVersions('cmp-03', { 'nova-compute': '27.1.0' });
    const ops: CloudOperation[] = [];
    const options = () => ({ clock: createVirtualClock({ autoAdvance: true }), faults });
    const first = createSimulatedCloud(inventory, { ...options(), onOperation: (op) => ops.push(op) });
    await expect(install(first)).rejects.toThrow(/apt-get failed on cmp-03/);
    expect(ops.filter((op) => op.k === 'fault')).toHaveLength(1);
    await expect(install(createSimulatedCloud(inventory, options()))).rejects.toThrow(/apt-get failed/);
    const restarted = createSimulatedCloud(inventory, options());
    restarted.replay(ops);
    await expect(install(restarted)).resolves.toBeUndefined();
  });

  it('upgrade-fails pauses the campaign once; the resume completes it', async () => {
    const journal = freshDir();
    const faults = [{ kind: 'upgrade-fails' as const, node: 'cmp-03', transient: false }];
    const first = await simulateCampaign({ inventory, campaign, seed: 1, faults, journal });
    expect(first.outcome.state).toBe('paused');
    expect(first.failures.map((f) => f.step)).toEqual(['w4.cmp-03.upgrade-packages']);
    const struck = readFileSync(join(journal, 'cloud.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"k":"fault"'));
    expect(struck.map((l) => JSON.parse(l).f)).toEqual([0]);
    const resumed = await resumeSimulation(journal);
    expect(resumed.outcome.state).toBe('completed');
  });

  it('node-no-return pauses on wait-node; the resume (the node fixed meanwhile) completes', async () => {
    const journal = freshDir();
    const faults = [{ kind: 'node-no-return' as const, node: 'cmp-03' }];
    const first = await simulateCampaign({ inventory, campaign, seed: 1, faults, journal });
    expect(first.outcome.state).toBe('paused');
    expect((await resumeSimulation(journal)).outcome.state).toBe('completed');
  });

  it('a campaign that had ended is not run again: its result comes back, marked', async () => {
    const journal = freshDir();
    const first = await simulateCampaign({ inventory, campaign, seed: 1, journal });
    expect(first.outcome.state).toBe('completed');
    const again = await resumeSimulation(journal);
    expect(again.outcome.state).toBe('completed');
    expect(again.alreadyEnded).toBe(true);
    expect(again.endedAt).toBe(first.endedAt);
  });
});

describe('resume takes the lock before it writes', () => {
  it('while another engine holds the campaign, resume is refused and the cloud log is untouched', async () => {
    const journal = freshDir();
    const faults = [{ kind: 'upgrade-fails' as const, node: 'cmp-03', transient: false }];
    await simulateCampaign({ inventory, campaign, seed: 1, faults, journal });
    // As if killed while vm migrated: the resume's recovery would log the migration's end.
    const log = join(journal, 'cloud.jsonl');
    const lastAt = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').at(-1) ?? '{}').at as number;
    const victim = inventory.instances[0]?.name ?? '';
    appendFileSync(
      log,
      `${JSON.stringify({ k: 'mig', at: lastAt, i: victim, st: 'running', to: 'cmp-24' })}\n` +
        `${JSON.stringify({ k: 'inst', at: lastAt, i: victim, st: 'MIGRATING' })}\n`,
    );
    const before = readFileSync(log, 'utf8');
    const lock = await createFileStore({ directory: join(journal, 'journal') }).lock(
      campaign.metadata.name,
      'another-engine',
    );
    try {
      await expect(resumeSimulation(journal)).rejects.toSatisfy(
        (e) => EscalatorError.is(e) && e.code === ErrorCode.Locked,
      );
      expect(readFileSync(log, 'utf8')).toBe(before);
    } finally {
      await lock.release();
    }
    // With the lock free, the same resume recovers the migration (logs its end) and completes.
    expect((await resumeSimulation(journal)).outcome.state).toBe('completed');
    expect(readFileSync(log, 'utf8').slice(before.length)).toContain(`"i":"${victim}","st":"error"`);
  });
});
