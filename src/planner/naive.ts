/**
 * The naive strategy, for comparison: what a user without Escalator does. Fixed batches of
 * `maxParallel` nodes in inventory order, whatever their role; instances go where a Nova-like
 * scheduler would send them (the enabled host with the most free memory that honours the server
 * group's policy), and stay down where no host takes them. Quorums, `maxImpacted` and `minAvailable`
 * are not looked at: that is the point of the comparison.
 */
import { resolveCatalog } from '../catalog/catalog.js';
import { assertCampaign, assertInventory } from '../loader/assert-parsed.js';
import type { Campaign } from '../model/campaign.js';
import { API_VERSION } from '../model/common.js';
import type { Inventory } from '../model/inventory.js';
import type { Plan } from '../model/plan.js';
import { toWave } from './create-plan.js';
import type { PlannedMigration, WaveDraft } from './waves.js';
import { buildWorld, fits, type InstanceState, type NodeState, place, unplace } from './world.js';

/** Plans a campaign the naive way (see the module comment). Never fails: it just causes outages. */
export function createNaivePlan(inventory: Inventory, campaign: Campaign): Plan {
  assertInventory(inventory);
  assertCampaign(campaign);
  const catalog = resolveCatalog(campaign.components);
  const world = buildWorld(inventory, campaign, catalog);
  const batch = world.strategy.maxParallel;
  const planned = world.nodes.filter((n) => n.planned);
  const drafts: WaveDraft[] = [];
  for (let start = 0; start < planned.length; start += batch) {
    const index = drafts.length;
    const nodes = planned.slice(start, start + batch);
    for (const n of nodes) n.wave = index;
    const migrations: PlannedMigration[] = [];
    for (const n of nodes) {
      if (!n.isCompute) continue;
      for (const i of [...n.instances]) {
        const inst = world.instances[i];
        if (!inst || inst.treatment === 'stay') continue;
        const target = schedule(world.nodes, world, inst, index);
        if (!target) continue;
        unplace(n, inst);
        place(target, inst);
        inst.moves++;
        migrations.push({
          instance: inst,
          from: n,
          to: target,
          mode: inst.treatment === 'cold' ? 'cold' : 'live',
          batch: 0,
        });
      }
    }
    const stays = new Map<number, InstanceState[]>();
    for (const n of nodes)
      stays.set(
        n.index,
        [...n.instances].flatMap((i) => world.instances[i] ?? []),
      );
    drafts.push({ index, nodes, migrations, canary: index === 0, down: [...stays.values()].flat(), stays });
  }
  const waves = drafts.map((draft) => toWave(world, draft));
  return {
    apiVersion: API_VERSION,
    kind: 'Plan',
    metadata: {
      name: `${campaign.metadata.name}-naive`,
      inventory: inventory.metadata.name,
      campaign: campaign.metadata.name,
    },
    waves,
    totals: {
      waves: waves.length,
      nodes: planned.length,
      migrations: waves.reduce((s, w) => s + w.migrations.length, 0),
      instancesToMove: world.instances.filter((i) => i.moves > 0).length,
      movedTwice: world.instances.filter((i) => i.moves > 1).length,
      estimatedSeconds: waves.reduce((s, w) => s + w.expectedSeconds, 0),
      lowerBoundWaves: 0,
    },
    impact: [],
    skipped: [],
  };
}

/** A Nova-like scheduler: enabled, up computes of the same site and zone, room, group policy; most free memory wins. */
function schedule(
  nodes: readonly NodeState[],
  world: ReturnType<typeof buildWorld>,
  inst: InstanceState,
  wave: number,
): NodeState | undefined {
  const source = nodes[inst.host];
  let best: NodeState | undefined;
  for (const n of nodes) {
    if (!n.isCompute || !n.up || n.wave === wave || n.index === inst.host) continue;
    if (source && (n.site !== source.site || n.zone !== source.zone)) continue;
    if (!fits(n, inst.resources)) continue;
    const policy = world.groups[inst.group]?.policy;
    if (policy === 'anti-affinity' && (n.groups.get(inst.group) ?? 0) > 0) continue;
    if (!best || n.limit[1] - n.used[1] > best.limit[1] - best.used[1]) best = n;
  }
  return best;
}
