/** The planner builds steps that are members of the step union, and plans survive a round trip. */
import { describe, expect, it } from 'vitest';
import { CampaignSchema } from '../../src/model/campaign.js';
import { InventorySchema } from '../../src/model/inventory.js';
import { PlanSchema, STEP_KINDS, StepSchema } from '../../src/model/plan.js';
import { createPlan } from '../../src/planner/create-plan.js';
import { minimalCampaign, minimalInventory } from '../support/documents.js';

function planFor(instanceAction: 'live-migrate' | 'stop-start') {
  const inventory = minimalInventory();
  inventory.vnfs = [{ name: 'vnf-a', minAvailable: 0, maintenance: { notify: true, leadTimeSeconds: 30 } }];
  inventory.instances = [{ ...inventory.instances![0]!, vnf: 'vnf-a' }];
  const campaign = minimalCampaign();
  campaign.target = { software: { 'nova-compute': '27.1.0', kernel: '6.1.0-21', keystone: '23.0.0' } };
  campaign.strategy = { instanceAction };
  return createPlan(InventorySchema.parse(inventory), CampaignSchema.parse(campaign));
}

describe('planned steps', () => {
  const plans = [planFor('live-migrate'), planFor('stop-start')];
  const steps = plans.flatMap((p) => p.waves.flatMap((w) => w.steps));

  it('cover every kind, each exactly a member of the union', () => {
    expect(new Set(steps.map((s) => s.kind))).toEqual(new Set(STEP_KINDS));
    for (const s of steps) expect(StepSchema.parse(s), s.id).toEqual(s);
  });

  it('survive JSON and the strict schema unchanged', () => {
    for (const plan of plans) expect(PlanSchema.parse(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
  });

  it("carry what their undo needs: an upgrade's previous versions, a notice's instances", () => {
    for (const s of steps) {
      if (s.kind === 'upgrade-packages') {
        expect(Object.keys(s.previous).sort(), s.id).toEqual(Object.keys(s.software).sort());
        expect(s.previous, s.id).not.toEqual(s.software);
      }
      if (s.kind === 'notify-vnf-done') expect(s.instances).toEqual(['vm-1']);
    }
  });
});
