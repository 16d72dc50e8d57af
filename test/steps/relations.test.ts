/** Typed relations between steps (indexSteps), on plain values and on a plan the planner made. */
import { describe, expect, it } from 'vitest';
import { indexSteps } from '../../src/engine/steps/relations.js';
import { CampaignSchema } from '../../src/model/campaign.js';
import { InventorySchema } from '../../src/model/inventory.js';
import type { Plan, Step } from '../../src/model/plan.js';
import { createPlan } from '../../src/planner/create-plan.js';
import { minimalCampaign, minimalInventory } from '../support/documents.js';

const common = { after: [], expectedSeconds: 5, timeoutSeconds: 60, verify: 'checked' };

const disable0: Step = { id: 'w0.cmp-1.disable-compute', kind: 'disable-compute', node: 'cmp-1', ...common };
const move0: Step = {
  id: 'w0.migrate.vm-1',
  kind: 'migrate',
  instance: 'vm-1',
  from: 'cmp-1',
  to: 'cmp-3',
  mode: 'live',
  batch: 0,
  ...common,
  after: ['w0.cmp-1.disable-compute'],
};
const notify0: Step = {
  id: 'w0.notify.vnf-a',
  kind: 'notify-vnf',
  vnf: 'vnf-a',
  instances: ['vm-1'],
  ...common,
};
const enable0: Step = { id: 'w0.cmp-1.enable-compute', kind: 'enable-compute', node: 'cmp-1', ...common };
// In wave 1, vm-2 leaves cmp-2 — a node of wave 1 whose disable step is not in this plan.
const move1: Step = {
  id: 'w1.migrate.vm-2',
  kind: 'migrate',
  instance: 'vm-2',
  from: 'cmp-2',
  to: 'cmp-1',
  mode: 'cold',
  batch: 0,
  ...common,
};
const disable1: Step = { id: 'w1.cmp-1.disable-compute', kind: 'disable-compute', node: 'cmp-1', ...common };

const plan: Pick<Plan, 'waves'> = {
  waves: [
    {
      index: 0,
      nodes: ['cmp-1'],
      migrations: [],
      steps: [notify0, disable0, move0, enable0],
      canary: true,
      expectedSeconds: 0,
    },
    {
      index: 1,
      nodes: ['cmp-2'],
      migrations: [],
      steps: [disable1, move1],
      canary: false,
      expectedSeconds: 0,
    },
  ],
};

describe('indexSteps', () => {
  const index = indexSteps(plan);

  it('finds steps by id, and their wave', () => {
    expect(index.step('w0.migrate.vm-1')).toBe(move0);
    expect(index.waveOf('w0.migrate.vm-1')).toBe(0);
    expect(index.waveOf('w1.migrate.vm-2')).toBe(1);
    expect(index.step('w9.nothing')).toBeUndefined();
    expect(index.waveOf('w9.nothing')).toBeUndefined();
  });

  it('finds node steps by wave, node and kind, typed by kind', () => {
    const disable = index.nodeStep(0, 'cmp-1', 'disable-compute');
    expect(disable).toBe(disable0);
    expect(disable?.node).toBe('cmp-1');
    expect(index.nodeStep(0, 'cmp-1', 'enable-compute')).toBe(enable0);
    expect(index.nodeStep(1, 'cmp-1', 'disable-compute')).toBe(disable1);
    expect(index.nodeStep(1, 'cmp-1', 'enable-compute')).toBeUndefined();
    expect(index.nodeStep(0, 'cmp-2', 'disable-compute')).toBeUndefined();
  });

  it('finds migrations by instance and VNF notices by VNF, never mixing the name spaces', () => {
    expect(index.migrateStep(0, 'vm-1')).toBe(move0);
    expect(index.migrateStep(1, 'vm-1')).toBeUndefined();
    expect(index.vnfStep(0, 'vnf-a', 'notify-vnf')).toBe(notify0);
    expect(index.vnfStep(0, 'vnf-a', 'notify-vnf-done')).toBeUndefined();
    expect(index.nodeStep(0, 'vm-1', 'disable-compute')).toBeUndefined();
  });

  it("sourceDisable: the disable-compute of a migration's source in the migration's wave", () => {
    if (move0.kind !== 'migrate' || move1.kind !== 'migrate') throw new Error('not migrations');
    expect(index.sourceDisable(move0)).toBe(disable0);
    // Wave 1 disables cmp-1 (the target), not cmp-2 (the source): none.
    expect(index.sourceDisable(move1)).toBeUndefined();
    // A migration of another plan: none.
    expect(index.sourceDisable({ ...move0, id: 'w5.migrate.vm-1' })).toBeUndefined();
  });

  it("agrees with the planner's dependencies: each migration waits for its source's disable", () => {
    const inventory = InventorySchema.parse(minimalInventory());
    const made = createPlan(inventory, CampaignSchema.parse(minimalCampaign()));
    const planned = indexSteps(made);
    const migrations = made.waves.flatMap((w) => w.steps).filter((s) => s.kind === 'migrate');
    expect(migrations.length).toBeGreaterThan(0);
    for (const m of migrations) {
      const disable = planned.sourceDisable(m);
      expect(disable?.node).toBe(m.from);
      expect(m.after).toContain(disable?.id);
    }
  });
});
