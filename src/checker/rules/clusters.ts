/**
 * Rule 4, clusters: a wave leaves every cluster `minAvailable` members up and every site's shared
 * services one node up, and a cluster's primary is upgraded after its other members.
 *
 * @internal
 * @module
 */
import type { Inventory } from '../../model/inventory.js';
import { type Findings, ViolationCode } from '../violations.js';
import { push } from './common.js';
import type { Index } from './inventory-index.js';

/** Rule 4, quorum part: clusters with a member in the wave keep `minAvailable` members up. @internal */
export function checkClusters(
  findings: Findings,
  inventory: Inventory,
  index: Index,
  members: ReadonlySet<string>,
  w: number,
): void {
  const inWave = new Map<number, string[]>();
  for (const name of members) for (const c of index.clustersOf.get(name) ?? []) push(inWave, c, name);
  for (const [c, names] of inWave) {
    const cluster = inventory.clusters[c];
    if (cluster === undefined) continue;
    const up = (index.clusterBaseUp[c] ?? 0) - names.filter((n) => index.nodes.get(n)?.state === 'up').length;
    if (up < cluster.minAvailable)
      findings.add(
        ViolationCode.ClusterQuorum,
        w,
        [cluster.name, ...names],
        `wave ${w} leaves cluster "${cluster.name}" with ${up} members up, fewer than minAvailable ${cluster.minAvailable}`,
      );
  }
}

/** Rule 4, shared services: one up node of each implicit group stays out of the wave. @internal */
export function checkSharedServices(
  findings: Findings,
  index: Index,
  members: ReadonlySet<string>,
  w: number,
): void {
  const inWave = new Map<number, string[]>();
  for (const name of members) for (const g of index.sharedOf.get(name) ?? []) push(inWave, g, name);
  for (const [g, names] of inWave) {
    const group = index.sharedGroups[g];
    if (group === undefined) continue;
    const up = group.up - names.filter((n) => index.nodes.get(n)?.state === 'up').length;
    if (up < 1)
      findings.add(
        ViolationCode.SharedService,
        w,
        [group.site, ...names],
        `wave ${w} takes down every up node of site "${group.site}" that runs its shared services`,
      );
  }
}

/** Rule 4, primaries: a cluster's primary strictly after its other upgraded members. @internal */
export function checkPrimaries(
  findings: Findings,
  inventory: Inventory,
  firstWave: ReadonlyMap<string, number>,
): void {
  for (const cluster of inventory.clusters) {
    if (cluster.primary === undefined) continue;
    const pw = firstWave.get(cluster.primary);
    if (pw === undefined) continue;
    const late = cluster.members.filter((m) => m !== cluster.primary && (firstWave.get(m) ?? -1) >= pw);
    if (late.length > 0)
      findings.add(
        ViolationCode.PrimaryOrder,
        pw,
        [cluster.name, cluster.primary, ...late],
        `primary "${cluster.primary}" of cluster "${cluster.name}" is in wave ${pw}, not after ${late.map((m) => `"${m}" (wave ${firstWave.get(m)})`).join(', ')}`,
      );
  }
}
