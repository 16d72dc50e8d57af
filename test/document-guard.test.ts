import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { verifyPlan } from '../src/checker/verify-plan.js';
import { DocumentError } from '../src/errors.js';
import { loadCampaign, loadInventory } from '../src/loader/load.js';
import { summarizeInventory } from '../src/loader/summary.js';
import type { Campaign } from '../src/model/campaign.js';
import type { Inventory } from '../src/model/inventory.js';
import type { Plan } from '../src/model/plan.js';
import { createPlan } from '../src/planner/create-plan.js';
import { createNaivePlan } from '../src/planner/naive.js';
import { replan } from '../src/planner/replan.js';
import { generateCloud } from '../src/testing/synthetic-cloud.js';

const dir = new URL('../examples/minimal/', import.meta.url);
const raw = async (name: string) => parseYaml(await readFile(new URL(name, dir), 'utf8')) as unknown;

function thrown(fn: () => unknown): DocumentError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DocumentError);
    return error as DocumentError;
  }
  throw new Error('expected a DocumentError');
}

describe('entry points given documents that were not parsed', () => {
  it('say so with a DocumentError instead of failing with a TypeError', async () => {
    const inventory = await loadInventory(new URL('inventory.yaml', dir).pathname);
    const campaign = await loadCampaign(new URL('campaign.yaml', dir).pathname, { inventory });
    const rawInventory = (await raw('inventory.yaml')) as Inventory;
    const rawCampaign = (await raw('campaign.yaml')) as Campaign;
    const plan = createPlan(inventory, campaign);

    const e = thrown(() => createPlan(rawInventory, campaign));
    expect(e.file).toBe('<Inventory>');
    expect(e.issues[0]?.code).toBe('not-parsed');
    expect(e.message).toMatch(/parseInventory/);
    expect(thrown(() => createPlan(inventory, rawCampaign)).file).toBe('<Campaign>');
    thrown(() => createNaivePlan(rawInventory, campaign));
    thrown(() => verifyPlan(inventory, campaign, JSON.parse(JSON.stringify({ ...plan, impact: undefined }))));
    thrown(() => replan(plan, { wavesDone: [] }, rawInventory, campaign));
    thrown(() => summarizeInventory(rawInventory));
    thrown(() => summarizeInventory(inventory, rawCampaign));
    // A parsed document passes, with or without a JSON round trip.
    const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
    expect(verifyPlan(copy(inventory), copy(campaign), copy(plan)).ok).toBe(true);
  });

  it('report what zod finds when the value is not a document at all', () => {
    const e = thrown(() => createPlan({ nodes: 'none' } as unknown as Inventory, {} as Campaign));
    expect(e.issues.every((i) => i.code !== 'not-parsed')).toBe(true);
    expect(e.message).toMatch(/<Inventory> /);
    thrown(() => createPlan(undefined as unknown as Inventory, undefined as unknown as Campaign));
    thrown(() => verifyPlan(undefined as unknown as Inventory, {} as Campaign, {} as Plan));
  });

  it('take what generateCloud returns as it is', () => {
    const { inventory, campaign } = generateCloud({ computes: 6, seed: 3 });
    const plan = createPlan(inventory, campaign);
    expect(verifyPlan(inventory, campaign, plan).violations).toEqual([]);
  });
});
