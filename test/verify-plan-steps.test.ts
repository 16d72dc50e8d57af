/**
 * The whole plan is checked, steps included: the attack that got through before (the HA plan with
 * three extra steps in wave 0 that reboot two of ctl-1/2/3's quorum members while ctl-2 upgrades) is
 * refused by `verifyPlan`, by the engine, by `POST /v1/campaigns` and by `escalator validate --plan`,
 * each naming the steps. The planner's own plans stay clean.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoleAuthorizer } from '../src/auth/role-authorizer.js';
import { verifyPlan } from '../src/checker/verify-plan.js';
import { createVirtualClock } from '../src/clock/virtual-clock.js';
import { createEngine } from '../src/engine/engine.js';
import { loadCampaign, loadInventory } from '../src/loader/load.js';
import type { Campaign } from '../src/model/campaign.js';
import type { Inventory } from '../src/model/inventory.js';
import type { Plan, Step } from '../src/model/plan.js';
import { createPlan } from '../src/planner/create-plan.js';
import { createSimulatedCloud } from '../src/simulator/index.js';
import { createMemoryStore } from '../src/stores/memory-store.js';
import { call, example, startApi, type TestApi } from './support/http-api.js';

let inventory: Inventory;
let campaign: Campaign;
let plan: Plan;
let attacked: Plan;
const EXTRA = ['w0.ctl-1.reboot-extra', 'w0.ctl-3.reboot-extra', 'w0.ctl-3.wait-extra'];

beforeAll(async () => {
  inventory = await loadInventory('examples/ha/inventory.yaml');
  campaign = await loadCampaign('examples/ha/campaign.yaml', { inventory });
  plan = createPlan(inventory, campaign);
  const wave0 = plan.waves[0];
  expect(wave0?.nodes).not.toContain('ctl-1');
  const times = { expectedSeconds: 60, timeoutSeconds: 180, verify: 'the node answers' };
  const extra: Step[] = [
    { id: EXTRA[0] as string, kind: 'reboot', node: 'ctl-1', after: [], ...times },
    { id: EXTRA[1] as string, kind: 'reboot', node: 'ctl-3', after: [], ...times },
    { id: EXTRA[2] as string, kind: 'wait-node', node: 'ctl-3', after: [EXTRA[1] as string], ...times },
  ];
  attacked = {
    ...plan,
    waves: plan.waves.map((w, i) => (i === 0 ? { ...w, steps: [...w.steps, ...extra] } : w)),
  };
});

describe('a plan changed by hand to break a quorum', () => {
  it("verifyPlan names the added steps; the planner's plan is clean", () => {
    expect(verifyPlan(inventory, campaign, plan).ok).toBe(true);
    const verdict = verifyPlan(inventory, campaign, attacked);
    expect(verdict.ok).toBe(false);
    const named = verdict.violations.map((v) => v.message).join('\n');
    for (const id of EXTRA.slice(0, 2)) expect(named).toContain(id);
    expect(verdict.violations.every((v) => v.wave === 0)).toBe(true);
  });

  it('the engine refuses to create the campaign with it, and nothing is written', async () => {
    const clock = createVirtualClock({ autoAdvance: true });
    const cloud = createSimulatedCloud(inventory, { clock });
    const store = createMemoryStore();
    const engine = createEngine({
      adapters: { vim: cloud.vim, nodes: cloud.nodes },
      store,
      authorizer: createRoleAuthorizer(),
      clock,
    });
    const error = await engine
      .start({ id: 'olga', roles: ['operator'] }, { inventory, campaign, plan: attacked })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ESC_INVALID_DOCUMENT' });
    expect((error as Error).message).toContain(EXTRA[0]);
    expect(await store.read(campaign.metadata.name)).toEqual([]);
  });
});

describe("a node emptied before its VNFs' managers agreed", () => {
  it("verifyPlan names the disable-compute that does not wait for the VNF's notice", () => {
    const steps = plan.waves.flatMap((w) => w.steps);
    const disable = steps.find((s) => s.kind === 'disable-compute' && s.after.length > 0);
    expect(disable).toBeDefined();
    const hasty = {
      ...plan,
      waves: plan.waves.map((w) => ({
        ...w,
        steps: w.steps.map((s) => (s.id === disable?.id ? { ...s, after: [] } : s)),
      })),
    };
    const found = verifyPlan(inventory, campaign, hasty).violations.filter((v) => v.code === 'vnf-notice');
    expect(found).toEqual([
      expect.objectContaining({
        objects: expect.arrayContaining([disable?.id]),
        message: expect.stringContaining('does not wait for the maintenance notice of'),
      }),
    ]);
  });
});

describe('over the REST API and the CLI', () => {
  let api: TestApi;
  let dir: string;
  beforeAll(async () => {
    api = await startApi();
    dir = await mkdtemp(join(tmpdir(), 'escalator-attack-'));
  });
  afterAll(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('POST /v1/campaigns answers 422 naming the step', async () => {
    const { inventory: inv, campaign: camp } = example('ha');
    const res = await call(api.base, 'POST', '/v1/campaigns', {
      as: 'operator',
      body: { id: 'attack-1', inventory: inv, campaign: camp, plan: attacked },
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain(EXTRA[0]);
    expect((await call(api.base, 'GET', '/v1/campaigns/attack-1', { as: 'viewer' })).status).toBe(404);
  });

  it('escalator validate --plan exits 1 naming the step', async () => {
    const file = join(dir, 'plan.json');
    await writeFile(file, JSON.stringify(attacked));
    const result = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'validate',
        'examples/ha/inventory.yaml',
        'examples/ha/campaign.yaml',
        '--plan',
        file,
      ],
      { timeout: 50_000 },
    ).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    expect(result.code).toBe(1);
    expect(result.out).toContain(EXTRA[0]);
  });
});
