/**
 * Rules 8, 9 and 10, order: sites one at a time when sequential, controllers before the computes of
 * their site, and a node after the nodes upgrading the components its own components depend on.
 *
 * @internal
 * @module
 */
import type { Catalog } from '../../model/component.js';
import type { Inventory } from '../../model/inventory.js';
import { type Findings, ViolationCode } from '../violations.js';
import { push, siteOf } from './common.js';
import type { Index } from './inventory-index.js';

/** Rule 8: sites one at a time (with `siteOrder: sequential`); keeps which sites are done. @internal */
export class SiteOrder {
  /** Sites that were followed by a wave of another site: they may not come back. */
  private readonly closed = new Set<string>();
  /** Sites seen and not yet closed. */
  private readonly open = new Set<string>();

  constructor(
    private readonly findings: Findings,
    private readonly enabled: boolean,
  ) {}

  wave(index: Index, members: ReadonlySet<string>, w: number): void {
    if (!this.enabled) return;
    const sites = new Set<string>();
    for (const name of members) {
      const node = index.nodes.get(name);
      if (node !== undefined) sites.add(siteOf(node));
    }
    if (sites.size === 0) return;
    const list = [...sites];
    if (list.length > 1)
      this.findings.add(ViolationCode.SiteMixed, w, list, `wave ${w} mixes sites ${list.join(', ')}`);
    for (const site of list)
      if (this.closed.has(site))
        this.findings.add(
          ViolationCode.SiteOrder,
          w,
          [site],
          `wave ${w} returns to site "${site}" after another site's wave followed it`,
        );
    const only = list.length === 1 ? list[0] : undefined;
    for (const site of this.open)
      if (site !== only) {
        this.open.delete(site);
        this.closed.add(site);
      }
    for (const site of list) if (!this.closed.has(site)) this.open.add(site);
  }
}

/** Rule 9: within a site, controllers before the computes that are not controllers. @internal */
export function checkControllersFirst(
  findings: Findings,
  index: Index,
  firstWave: ReadonlyMap<string, number>,
): void {
  const controllers = new Map<string, { name: string; wave: number }[]>();
  const lastController = new Map<string, number>();
  for (const [name, wave] of firstWave) {
    const node = index.nodes.get(name);
    if (!node?.roles.includes('controller')) continue;
    push(controllers, siteOf(node), { name, wave });
    lastController.set(siteOf(node), Math.max(wave, lastController.get(siteOf(node)) ?? -1));
  }
  // firstWave is in plan order, so computes come grouped by wave, waves ascending.
  const early = new Map<string, { wave: number; names: string[] }>();
  const flush = (site: string) => {
    const group = early.get(site);
    if (group === undefined) return;
    early.delete(site);
    const late = (controllers.get(site) ?? []).filter((c) => c.wave >= group.wave).map((c) => c.name);
    findings.add(
      ViolationCode.ControlBeforeCompute,
      group.wave,
      [...group.names, ...late],
      `wave ${group.wave} upgrades compute nodes of site "${site}" before its controllers ${late.map((c) => `"${c}"`).join(', ')} are done`,
    );
  };
  for (const [name, wave] of firstWave) {
    const node = index.nodes.get(name);
    if (!node?.roles.includes('compute') || node.roles.includes('controller')) continue;
    const site = siteOf(node);
    if (wave > (lastController.get(site) ?? -1)) continue;
    const group = early.get(site);
    if (group?.wave === wave) group.names.push(name);
    else {
      flush(site);
      early.set(site, { wave, names: [name] });
    }
  }
  for (const site of [...early.keys()]) flush(site);
}

/**
 * Rule 10: a node after every node of its site upgrading a component its outdated components depend
 * on (and after every node upgrading such a component that another site shares). @internal
 */
export function checkDependencies(
  findings: Findings,
  inventory: Inventory,
  index: Index,
  catalog: Catalog,
  firstWave: ReadonlyMap<string, number>,
): void {
  const ancestors = new Map<string, ReadonlySet<string>>();
  const ancestorsOf = (component: string, path: Set<string> = new Set()): ReadonlySet<string> => {
    const known = ancestors.get(component);
    if (known !== undefined) return known;
    const out = new Set<string>();
    path.add(component);
    for (const dep of catalog[component]?.dependsOn ?? []) {
      if (path.has(dep)) continue; // a cycle (only in a hand-made catalog): do not loop
      out.add(dep);
      for (const a of ancestorsOf(dep, path)) out.add(a);
    }
    path.delete(component);
    ancestors.set(component, out);
    return out;
  };

  // Each site runs its own control plane: a dependency binds nodes of one site, and crosses sites
  // only for the services a site shares with the others (sites[].sharedServices).
  const siteOf = new Map(inventory.nodes.map((n) => [n.name, n.site ?? 'default']));
  const sharedBy = new Map<string, string[]>();
  for (const site of inventory.sites)
    for (const service of site.sharedServices)
      sharedBy.set(service, [...(sharedBy.get(service) ?? []), site.name]);
  const last = new Map<string, { wave: number; node: string }>();
  for (const [name, wave] of firstWave)
    for (const component of index.outdated.get(name) ?? []) {
      const key = `${siteOf.get(name)}\n${component}`;
      if (wave >= (last.get(key)?.wave ?? -1)) last.set(key, { wave, node: name });
    }

  // Most nodes share their set of outdated components: compute what it needs once per set.
  const needs = new Map<string, readonly string[]>();
  for (const [name, wave] of firstWave) {
    const outdated = index.outdated.get(name) ?? [];
    if (outdated.length === 0) continue;
    const key = outdated.join('\n');
    let needed = needs.get(key);
    if (needed === undefined) {
      const own = new Set(outdated);
      const all = new Set<string>();
      for (const b of outdated) for (const a of ancestorsOf(b)) if (!own.has(a)) all.add(a);
      needed = [...all];
      needs.set(key, needed);
    }
    const blockers: string[] = [];
    const nodes = new Set<string>();
    const site = siteOf.get(name);
    for (const a of needed)
      for (const from of new Set([site, ...(sharedBy.get(a) ?? [])])) {
        const before = last.get(`${from}\n${a}`);
        if (before === undefined || before.wave < wave) continue;
        const b = outdated.find((c) => ancestorsOf(c).has(a));
        blockers.push(`${b} needs ${a}, upgraded on "${before.node}" in wave ${before.wave}`);
        nodes.add(before.node);
      }
    if (blockers.length > 0)
      findings.add(
        ViolationCode.DependencyOrder,
        wave,
        [name, ...nodes],
        `node "${name}" in wave ${wave} comes too early: ${blockers.join('; ')}`,
      );
  }
}
