/** progressOf: the time left from the waves' estimates, scaled by how the verified waves went. */
import { describe, expect, it } from 'vitest';
import { applyRecord, type CampaignSnapshot, progressOf } from '../src/index.js';
import { parseCampaign, parseInventory } from '../src/loader/load.js';
import { createPlan } from '../src/planner/create-plan.js';
import { minimalCampaign, minimalInventory } from './support/documents.js';

function snapshotOfMinimal(): CampaignSnapshot {
  const inventory = parseInventory(JSON.stringify(minimalInventory()));
  const campaign = parseCampaign(JSON.stringify(minimalCampaign()), { inventory });
  const plan = createPlan(inventory, campaign);
  const at = '2026-12-06T00:00:00.000Z';
  return applyRecord(undefined, { seq: 1, type: 'created', at, campaignId: 'c', inventory, campaign, plan });
}

describe('progressOf: the ETA', () => {
  it('is the plan’s wave estimates before anything ran, far less than the work of all steps', () => {
    const s = snapshotOfMinimal();
    const waves = s.plan.waves.reduce((n, w) => n + w.expectedSeconds, 0);
    const work = s.plan.waves
      .flatMap((w) => w.steps)
      .reduce((n, st) => n + Math.max(1, st.expectedSeconds), 0);
    expect(s.plan.waves.length).toBeGreaterThanOrEqual(2);
    expect(progressOf(s).etaSeconds).toBe(Math.round(waves));
    expect(waves).toBeLessThan(work);
  });

  it('scales what is left by how long the verified waves took against their estimates', () => {
    const s = snapshotOfMinimal() as CampaignSnapshot & Record<string, unknown>;
    const [first, ...rest] = s.plan.waves;
    const started = Date.parse('2026-12-06T01:00:00.000Z');
    const draft = s as unknown as {
      wavesDone: number[];
      waveTimes: Record<number, { started: string; verified: string }>;
      steps: Record<string, { state: string }>;
    };
    for (const step of first!.steps) draft.steps[step.id] = { state: 'succeeded' };
    draft.wavesDone = [first!.index];
    // The first wave took twice its estimate: the rest is expected to as well.
    draft.waveTimes = {
      [first!.index]: {
        started: new Date(started).toISOString(),
        verified: new Date(started + 2 * first!.expectedSeconds * 1000).toISOString(),
      },
    };
    const left = rest.reduce((n, w) => n + w.expectedSeconds, 0);
    expect(progressOf(s).etaSeconds).toBe(Math.round(2 * left));
    // Half the work of the next wave done: half its estimate is left of it.
    const next = rest[0]!;
    const weights = next.steps.map((st) => Math.max(1, st.expectedSeconds));
    const half = weights.reduce((a, b) => a + b, 0) / 2;
    let sum = 0;
    for (const [i, step] of next.steps.entries()) {
      if (sum + weights[i]! > half) break;
      sum += weights[i]!;
      draft.steps[step.id] = { state: 'succeeded' };
    }
    const expected = 2 * (left - next.expectedSeconds * (sum / (2 * half)));
    expect(progressOf(s).etaSeconds).toBe(Math.round(expected));
  });
});
