/**
 * Online validation before a campaign changes anything: the live cloud is healthy and is what the plan
 * assumes. The report says what is wrong and which nodes to leave out to go ahead anyway.
 */

import type { Campaign } from '../model/campaign.js';
import type { Catalog } from '../model/component.js';
import type { Inventory } from '../model/inventory.js';
import type { Plan } from '../model/plan.js';
import { inScope } from '../model/scope.js';
import { versionMatches } from '../model/versions.js';
import type { Adapters } from '../ports/adapters.js';
import { mapLimit } from '../util/map-limit.js';
import type { PrecheckReport, PrecheckResult } from './journal.js';
import { vimHost } from './steps/index.js';

/** Checks the live cloud against the plan before starting. Never throws for what it finds. */
export async function runPrechecks(
  adapters: Adapters,
  inventory: Inventory,
  plan: Plan,
  catalog: Catalog,
  signal: AbortSignal,
): Promise<PrecheckReport> {
  const options = { signal };
  const checks: PrecheckResult[] = [];
  const byHost = new Map(inventory.nodes.map((n) => [n.vimName ?? n.name, n.name]));
  const planned = new Set(plan.waves.flatMap((w) => w.nodes));
  const plannedNodes = inventory.nodes.filter((n) => planned.has(n.name));
  const guard = async (name: string, fn: () => Promise<Omit<PrecheckResult, 'name'>>) => {
    try {
      checks.push({ name, ...(await fn()) });
    } catch (error) {
      checks.push({ name, ok: false, detail: `could not check: ${(error as Error).message}`, nodes: [] });
    }
  };

  await guard('compute services up', async () => {
    const services = new Map((await adapters.vim.listComputeServices(options)).map((s) => [s.host, s]));
    const bad = plannedNodes
      .filter((n) => n.roles.includes('compute'))
      .filter((n) => services.get(vimHost(inventory, n.name))?.state !== 'up')
      .map((n) => n.name);
    return {
      ok: bad.length === 0,
      detail: bad.length ? `not up in the VIM: ${bad.join(', ')}` : 'all up',
      nodes: bad,
    };
  });
  await guard('hypervisors up', async () => {
    const hypervisors = await adapters.vim.listHypervisors(options);
    const bad = hypervisors.filter((h) => h.state !== 'up').map((h) => byHost.get(h.host) ?? h.host);
    return {
      ok: bad.length === 0,
      detail: bad.length ? `down: ${bad.join(', ')}` : `${hypervisors.length} up`,
      nodes: bad,
    };
  });
  await guard('network agents and volume services up', async () => {
    const services = [
      ...(await adapters.vim.listNetworkAgents(options)),
      ...(await adapters.vim.listVolumeServices(options)),
    ];
    const down = services.filter((s) => s.enabled && s.state !== 'up');
    const nodes = [...new Set(down.map((s) => byHost.get(s.host) ?? s.host))];
    return {
      ok: down.length === 0,
      detail: down.length
        ? `down: ${down.map((s) => `${s.binary}@${s.host}`).join(', ')}`
        : `${services.length} up`,
      nodes,
    };
  });
  await guard('no critical alarms', async () => {
    const alarms = await adapters.vim.listAlarms(options);
    const critical = alarms.filter((a) => a.severity === 'critical');
    return {
      ok: critical.length === 0,
      detail: critical.length
        ? critical.map((a) => `${a.resource}: ${a.message}`).join('; ')
        : `${alarms.length} alarm(s), none critical`,
      nodes: critical.map((a) => byHost.get(a.resource) ?? a.resource).filter((r) => planned.has(r)),
    };
  });
  await guard('versions as the inventory says', async () => {
    const differ = await mapLimit(plannedNodes, 16, async (n) => {
      const installed = await adapters.nodes.installedVersions(n.name, Object.keys(n.software), options);
      const wrong = Object.entries(n.software).filter(
        ([c, v]) => installed[c] !== undefined && !versionMatches(installed[c] ?? '', v),
      );
      return wrong.length > 0
        ? `${n.name} (${wrong.map(([c]) => `${c} ${installed[c]} ≠ ${n.software[c]}`).join(', ')})`
        : '';
    });
    const bad = differ.filter(Boolean);
    return {
      ok: bad.length === 0,
      detail: bad.length ? `differ: ${bad.join('; ')}` : `${plannedNodes.length} nodes checked`,
      nodes: bad.map((b) => b.split(' ')[0] ?? b),
    };
  });
  await guard('redundancy present', async () => {
    const short: string[] = [];
    const nodes: string[] = [];
    for (const cluster of inventory.clusters) {
      if (!cluster.members.some((m) => planned.has(m))) continue;
      const services = cluster.component ? (catalog[cluster.component]?.services ?? []) : [];
      // An answer of "not healthy" is evidence; an error (after retries) is not: it is "unknown".
      const healthy = await mapLimit(cluster.members, 8, async (m) =>
        adapters.nodes.health(m, services, options).then(
          (h) => (h.ok ? 'up' : 'down'),
          (error: unknown) => `unknown (${error instanceof Error ? error.message : String(error)})`,
        ),
      );
      const up = healthy.filter((h) => h === 'up').length;
      if (up < cluster.minAvailable + 1) {
        const unknown = cluster.members.filter((_, i) => healthy[i]?.startsWith('unknown'));
        short.push(
          `${cluster.name}: ${up} healthy, needs ${cluster.minAvailable + 1} to take one down` +
            (unknown.length ? ` (could not check ${unknown.join(', ')})` : ''),
        );
        nodes.push(...cluster.members.filter((_, i) => healthy[i] === 'down'));
      }
    }
    return {
      ok: short.length === 0,
      detail: short.length ? short.join('; ') : 'every cluster can lose a member',
      nodes,
    };
  });
  await guard('spare capacity for every wave', async () => {
    const hypervisors = new Map(
      (await adapters.vim.listHypervisors(options)).map((h) => [byHost.get(h.host) ?? h.host, h]),
    );
    const memory = new Map(inventory.instances.map((i) => [i.name, i.resources.memoryMiB]));
    const short: string[] = [];
    for (const wave of plan.waves) {
      if (wave.migrations.length === 0) continue;
      const inWave = new Set(wave.nodes);
      const demand = wave.migrations.reduce((s, m) => s + (memory.get(m.instance) ?? 0), 0);
      let free = 0;
      for (const [node, h] of hypervisors)
        if (!inWave.has(node) && h.state === 'up' && h.memoryMiB !== undefined)
          free += h.memoryMiB * inventory.overcommit.memory - (h.memoryMiBUsed ?? 0);
      if (free < demand)
        short.push(`wave ${wave.index} moves ${demand} MiB, ${Math.max(0, Math.round(free))} MiB free`);
    }
    return {
      ok: short.length === 0,
      detail: short.length ? short.join('; ') : 'enough free memory for every wave',
      nodes: [],
    };
  });
  const unhealthyNodes = [...new Set(checks.flatMap((c) => c.nodes))];
  return { ok: checks.every((c) => c.ok), checks, unhealthyNodes };
}

/**
 * A copy of the campaign whose scope leaves out the given nodes: what the prechecks offer when some
 * nodes are unhealthy. The scope becomes an explicit node list.
 */
export function excludeNodes(campaign: Campaign, inventory: Inventory, nodes: readonly string[]): Campaign {
  const drop = new Set(nodes);
  const keep = inventory.nodes
    .filter((n) => inScope(n, campaign.scope) && !drop.has(n.name))
    .map((n) => n.name);
  return { ...campaign, scope: { ...campaign.scope, nodes: keep } };
}
