/**
 * Transient errors retried call by call, with real-cloud figures: one lost call is never taken for
 * ill health (prechecks), never pauses a campaign as an "internal error" (a reboot's boot-id read),
 * and a cloud answering 5% of its API calls with a 503 is upgraded anyway.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createRoleAuthorizer } from '../src/auth/role-authorizer.js';
import { resolveCatalog } from '../src/catalog/catalog.js';
import { createVirtualClock } from '../src/clock/virtual-clock.js';
import { createEngine } from '../src/engine/engine.js';
import { DEFAULT_POLICY } from '../src/engine/policy.js';
import { runPrechecks } from '../src/engine/prechecks.js';
import { retryingAdapters } from '../src/engine/run/retrying-adapters.js';
import { AdapterError } from '../src/errors.js';
import { loadCampaign, loadInventory } from '../src/loader/load.js';
import type { Campaign } from '../src/model/campaign.js';
import type { Inventory } from '../src/model/inventory.js';
import { createPlan } from '../src/planner/create-plan.js';
import { createSimulatedCloud, simulateCampaign } from '../src/simulator/index.js';
import { createMemoryStore } from '../src/stores/memory-store.js';
import { FakeCloud } from './support/fake-cloud.js';

let minimal: { inventory: Inventory; campaign: Campaign };
let ha: { inventory: Inventory; campaign: Campaign };
beforeAll(async () => {
  const mi = await loadInventory('examples/minimal/inventory.yaml');
  minimal = {
    inventory: mi,
    campaign: await loadCampaign('examples/minimal/campaign.yaml', { inventory: mi }),
  };
  const hi = await loadInventory('examples/ha/inventory.yaml');
  const hc = await loadCampaign('examples/ha/campaign.yaml', { inventory: hi });
  ha = { inventory: hi, campaign: { ...hc, strategy: { ...hc.strategy, approveAfterWaves: [] } } };
});

const admin = { id: 'ada', roles: ['admin'] };
const unavailable = () =>
  new AdapterError('503 Service Unavailable', { kind: 'transient', reason: 'http-503' });

describe('call by call', () => {
  it("one 503 on a reboot's boot-id read is retried, not an internal error that pauses the campaign", async () => {
    const clock = createVirtualClock({ autoAdvance: true });
    const cloud = new FakeCloud(minimal.inventory, { clock });
    let failures = 1;
    const engine = createEngine({
      adapters: {
        vim: cloud.vim,
        nodes: {
          ...cloud.nodes,
          bootId: async (node, o) => {
            if (node === 'cmp-1' && failures-- > 0) throw unavailable();
            return cloud.nodes.bootId(node, o);
          },
        },
      },
      store: createMemoryStore(),
      authorizer: createRoleAuthorizer(),
      clock,
    });
    expect(await engine.start(admin, minimal)).toMatchObject({ state: 'completed' });
    expect(failures).toBeLessThan(0); // the failing read happened
    expect(cloud.count('reboot:cmp-1')).toBe(1);
  });

  it('prechecks: a health read that fails and then answers counts as healthy; one that keeps failing names no node to exclude', async () => {
    const clock = createVirtualClock({ autoAdvance: true });
    const { inventory, campaign } = ha;
    const plan = createPlan(inventory, campaign);
    const catalog = resolveCatalog(campaign.components);
    const cloud = createSimulatedCloud(inventory, { clock, seed: 1 });
    const flaky = new Map<string, number>([['ctl-1', 2]]);
    const always = new Set<string>();
    const nodes = {
      ...cloud.nodes,
      health: async (node: string, services: readonly string[], o?: { signal?: AbortSignal }) => {
        const left = flaky.get(node) ?? 0;
        if (left > 0 || always.has(node)) {
          flaky.set(node, left - 1);
          throw unavailable();
        }
        return cloud.nodes.health(node, services, o);
      },
    };
    const adapters = retryingAdapters(
      { vim: cloud.vim, nodes },
      { ...DEFAULT_POLICY.retry, minDelayMs: 10 },
      clock,
    );
    const signal = new AbortController().signal;
    const passed = await runPrechecks(adapters, inventory, plan, catalog, signal);
    expect(passed.checks.find((c) => c.name === 'redundancy present')).toMatchObject({ ok: true });
    always.add('ctl-1');
    const unknown = await runPrechecks(adapters, inventory, plan, catalog, signal);
    const redundancy = unknown.checks.find((c) => c.name === 'redundancy present');
    expect(redundancy?.ok).toBe(false);
    expect(redundancy?.detail).toContain('could not check ctl-1');
    expect(unknown.unhealthyNodes).not.toContain('ctl-1');
  });
});

describe('a cloud that answers 5% of its calls with a 503', () => {
  it('the HA example completes on every seed (12 seeds; 0 of 20 did before)', async () => {
    const outcomes: string[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      const result = await simulateCampaign({
        ...ha,
        seed,
        faults: [{ kind: 'api-error', error: '5xx', probability: 0.05 }],
      });
      outcomes.push(
        `${seed}: ${result.outcome.state}${result.outcome.reason ? ` (${result.outcome.reason})` : ''}`,
      );
    }
    expect(outcomes.filter((o) => !o.endsWith(': completed'))).toEqual([]);
  });
});
