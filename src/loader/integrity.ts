/**
 * Referential integrity of documents that already passed their schema: names that must exist, exist;
 * numbers that must fit, fit. Pure functions returning every issue found.
 */

import { resolveCatalog } from '../catalog/catalog.js';
import { DependencyCycleError, DocumentError, type DocumentIssue } from '../errors.js';
import type { Campaign } from '../model/campaign.js';
import type { Catalog } from '../model/component.js';
import type { Inventory } from '../model/inventory.js';
import { didYouMean } from '../util/did-you-mean.js';

type Path = (string | number)[];

function issue(code: string, path: Path, message: string): DocumentIssue {
  return { code, path, message };
}

/** Reports names used twice in one list. */
function duplicates(
  list: readonly { name: string }[],
  field: string,
  what: string,
  out: DocumentIssue[],
): Map<string, number> {
  const seen = new Map<string, number>();
  list.forEach((item, i) => {
    const first = seen.get(item.name);
    if (first === undefined) seen.set(item.name, i);
    else
      out.push(
        issue(
          'duplicate-name',
          [field, i, 'name'],
          `${what} "${item.name}" is already declared at ${field}[${first}]`,
        ),
      );
  });
  return seen;
}

function unknown(kind: string, name: string, known: Map<string, unknown> | Set<string>): string {
  return `unknown ${kind} "${name}"${didYouMean(name, known.keys())}`;
}

/** Checks an Inventory's references and numbers. */
export function checkInventory(inventory: Inventory): DocumentIssue[] {
  const out: DocumentIssue[] = [];
  const nodes = duplicates(inventory.nodes, 'nodes', 'node', out);
  const sites = duplicates(inventory.sites, 'sites', 'site', out);
  duplicates(inventory.clusters, 'clusters', 'cluster', out);
  duplicates(inventory.instances, 'instances', 'instance', out);
  const groups = duplicates(inventory.serverGroups, 'serverGroups', 'server group', out);
  const vnfs = duplicates(inventory.vnfs, 'vnfs', 'VNF', out);

  inventory.nodes.forEach((node, i) => {
    if (sites.size > 0 && node.site !== undefined && !sites.has(node.site))
      out.push(issue('unknown-reference', ['nodes', i, 'site'], unknown('site', node.site, sites)));
    if (sites.size > 1 && node.site === undefined)
      out.push(
        issue(
          'missing-site',
          ['nodes', i],
          `node "${node.name}" needs a site: the inventory declares several`,
        ),
      );
    if (node.roles.includes('compute') && node.capacity === undefined)
      out.push(
        issue(
          'missing-capacity',
          ['nodes', i],
          `compute node "${node.name}" needs a capacity { vcpus, memoryMiB, diskGiB }`,
        ),
      );
  });

  inventory.clusters.forEach((cluster, i) => {
    const members = new Set<string>();
    cluster.members.forEach((member, j) => {
      if (!nodes.has(member))
        out.push(issue('unknown-reference', ['clusters', i, 'members', j], unknown('node', member, nodes)));
      if (members.has(member))
        out.push(issue('duplicate-name', ['clusters', i, 'members', j], `"${member}" is listed twice`));
      members.add(member);
    });
    if (cluster.primary !== undefined && !members.has(cluster.primary))
      out.push(
        issue(
          'unknown-reference',
          ['clusters', i, 'primary'],
          `primary "${cluster.primary}" is not a member of cluster "${cluster.name}"${didYouMean(cluster.primary, members)}`,
        ),
      );
    if (cluster.minAvailable > members.size)
      out.push(
        issue(
          'too-large',
          ['clusters', i, 'minAvailable'],
          `minAvailable ${cluster.minAvailable} is more than the ${members.size} members of cluster "${cluster.name}"`,
        ),
      );
  });

  const used = new Map<string, { vcpus: number; memoryMiB: number; diskGiB: number }>();
  const vnfSize = new Map<string, number>();
  const groupHosts = new Map<string, Map<string, string>>(); // group -> host -> first instance
  const groupHostSets = new Map<string, Set<string>>();
  inventory.instances.forEach((instance, i) => {
    const hostIndex = nodes.get(instance.host);
    if (hostIndex === undefined) {
      out.push(issue('unknown-reference', ['instances', i, 'host'], unknown('node', instance.host, nodes)));
    } else {
      const host = inventory.nodes[hostIndex];
      if (host && !host.roles.includes('compute'))
        out.push(
          issue(
            'not-compute',
            ['instances', i, 'host'],
            `instance "${instance.name}" is on "${instance.host}", which has no compute role`,
          ),
        );
      const u = used.get(instance.host) ?? { vcpus: 0, memoryMiB: 0, diskGiB: 0 };
      u.vcpus += instance.resources.vcpus;
      u.memoryMiB += instance.resources.memoryMiB;
      u.diskGiB += instance.resources.diskGiB;
      used.set(instance.host, u);
    }
    if (instance.serverGroup !== undefined) {
      const g = groups.get(instance.serverGroup);
      if (g === undefined)
        out.push(
          issue(
            'unknown-reference',
            ['instances', i, 'serverGroup'],
            unknown('server group', instance.serverGroup, groups),
          ),
        );
      else {
        const policy = inventory.serverGroups[g]?.policy;
        const hosts = groupHosts.get(instance.serverGroup) ?? new Map<string, string>();
        const other = hosts.get(instance.host);
        if (policy === 'anti-affinity' && other !== undefined)
          out.push(
            issue(
              'policy-broken',
              ['instances', i, 'host'],
              `anti-affinity group "${instance.serverGroup}" already has "${other}" on "${instance.host}"`,
            ),
          );
        if (policy === 'affinity' && hosts.size > 0 && other === undefined)
          out.push(
            issue(
              'policy-broken',
              ['instances', i, 'host'],
              `affinity group "${instance.serverGroup}" has its other members on "${[...hosts.keys()][0]}", not "${instance.host}"`,
            ),
          );
        if (other === undefined) hosts.set(instance.host, instance.name);
        groupHosts.set(instance.serverGroup, hosts);
        groupHostSets.set(instance.serverGroup, new Set(hosts.keys()));
      }
    }
    if (instance.vnf !== undefined) {
      if (!vnfs.has(instance.vnf))
        out.push(issue('unknown-reference', ['instances', i, 'vnf'], unknown('VNF', instance.vnf, vnfs)));
      vnfSize.set(instance.vnf, (vnfSize.get(instance.vnf) ?? 0) + 1);
    }
  });

  const { overcommit } = inventory;
  inventory.nodes.forEach((node, i) => {
    const u = used.get(node.name);
    if (!u || !node.capacity) return;
    const limits: [keyof typeof u, number][] = [
      ['vcpus', node.capacity.vcpus * overcommit.cpu],
      ['memoryMiB', node.capacity.memoryMiB * overcommit.memory],
      ['diskGiB', node.capacity.diskGiB * overcommit.disk],
    ];
    for (const [resource, limit] of limits)
      if (u[resource] > limit + 1e-9)
        out.push(
          issue(
            'over-capacity',
            ['nodes', i, 'capacity', resource],
            `instances on "${node.name}" use ${u[resource]} ${resource}, more than its capacity × overcommit (${limit})`,
          ),
        );
  });

  inventory.vnfs.forEach((vnf, i) => {
    const size = vnfSize.get(vnf.name) ?? 0;
    if (vnf.minAvailable > size)
      out.push(
        issue(
          'too-large',
          ['vnfs', i, 'minAvailable'],
          `minAvailable ${vnf.minAvailable} is more than the ${size} instances of VNF "${vnf.name}"`,
        ),
      );
  });
  return out;
}

/**
 * Resolves a campaign's catalog, turning catalog problems into issues under `components`.
 * Returns the catalog, or undefined when it has problems (reported in `out`).
 */
export function catalogOf(campaign: Campaign, out: DocumentIssue[]): Catalog | undefined {
  try {
    return resolveCatalog(campaign.components);
  } catch (error) {
    if (error instanceof DocumentError)
      for (const i of error.issues) out.push({ ...i, path: ['components', ...i.path] });
    else if (error instanceof DependencyCycleError)
      out.push(issue('dependency-cycle', ['components'], error.message));
    else throw error;
    return undefined;
  }
}

/** Checks a Campaign on its own: catalog overrides, targets known to the catalog, canary size. */
export function checkCampaign(campaign: Campaign): DocumentIssue[] {
  const out: DocumentIssue[] = [];
  const catalog = catalogOf(campaign, out);
  if (catalog)
    for (const component of Object.keys(campaign.target.software))
      if (!Object.hasOwn(catalog, component))
        out.push(
          issue(
            'unknown-component',
            ['target', 'software', component],
            `unknown component "${component}"${didYouMean(component, Object.keys(catalog))}; describe it under components:`,
          ),
        );
  const { maxParallel, canary } = campaign.strategy;
  if (typeof maxParallel === 'number' && canary > maxParallel)
    out.push(
      issue(
        'too-large',
        ['strategy', 'canary'],
        `canary ${canary} is larger than maxParallel ${maxParallel}`,
      ),
    );
  return out;
}

/** Checks a Campaign against the Inventory it will run on: scope names exist, targets are installed somewhere. */
export function checkCampaignAgainstInventory(campaign: Campaign, inventory: Inventory): DocumentIssue[] {
  const out: DocumentIssue[] = [];
  const installed = new Set<string>();
  const sites = new Set<string>(inventory.sites.map((s) => s.name));
  const zones = new Set<string>();
  const nodes = new Set<string>();
  for (const node of inventory.nodes) {
    for (const c of Object.keys(node.software)) installed.add(c);
    if (node.site !== undefined) sites.add(node.site);
    if (node.zone !== undefined) zones.add(node.zone);
    nodes.add(node.name);
  }
  for (const component of Object.keys(campaign.target.software))
    if (!installed.has(component))
      out.push(
        issue(
          'not-installed',
          ['target', 'software', component],
          `no node has "${component}"${didYouMean(component, installed)}`,
        ),
      );
  const scopes: [keyof Campaign['scope'], string, Set<string>][] = [
    ['sites', 'site', sites],
    ['zones', 'zone', zones],
    ['nodes', 'node', nodes],
  ];
  for (const [field, kind, known] of scopes)
    campaign.scope[field]?.forEach((name, i) => {
      if (!known.has(name))
        out.push(issue('unknown-reference', ['scope', field, i], unknown(kind, name, known)));
    });
  return out;
}
