/**
 * The planner's working copy of the cloud: arrays indexed by number, so that planning 10,000 nodes and
 * 120,000 instances stays fast. Built once from the documents; mutated only by the planner as it
 * replays its own decisions.
 */
import type { Campaign } from '../model/campaign.js';
import { type Catalog, DISRUPTIONS, type Disruption } from '../model/component.js';
import type { Inventory, InventoryNode, Role } from '../model/inventory.js';
import {
  inScope,
  instanceTreatment,
  outdatedComponents,
  type ResolvedStrategy,
  resolveStrategy,
} from '../model/scope.js';

/** @internal */
export interface NodeState {
  readonly index: number;
  readonly node: InventoryNode;
  readonly name: string;
  readonly site: string;
  readonly zone: string;
  readonly roles: readonly Role[];
  readonly isCompute: boolean;
  readonly up: boolean;
  /** Outdated components (empty when nothing to do). */
  readonly outdated: readonly string[];
  readonly disruption: Disruption;
  /** Up, in scope and outdated: the campaign upgrades it. */
  readonly planned: boolean;
  /** capacity × overcommit: vcpus, memoryMiB, diskGiB. */
  readonly limit: readonly [number, number, number];
  used: [number, number, number];
  /** Instances on the node now. */
  readonly instances: Set<number>;
  /** Server group index to members on the node now. */
  readonly groups: Map<number, number>;
  /** Wave the node was put in, or -1. */
  wave: number;
  /** Clusters the node is a member of. */
  readonly clusters: number[];
}

/** @internal */
export interface InstanceState {
  readonly index: number;
  readonly name: string;
  host: number;
  readonly resources: readonly [number, number, number];
  readonly group: number;
  readonly vnf: number;
  readonly treatment: 'live' | 'cold' | 'stay';
  moves: number;
}

/** @internal */
export interface GroupState {
  readonly name: string;
  readonly policy: string;
  readonly maxImpacted: number;
  readonly recoverySeconds: number;
  /** Members on nodes that are not up: down for the whole campaign. */
  alreadyDown: number;
}

/** @internal */
export interface VnfState {
  readonly name: string;
  readonly size: number;
  readonly minAvailable: number;
  readonly notify: boolean;
  readonly leadTimeSeconds: number;
  alreadyDown: number;
}

/** @internal */
export interface ClusterState {
  readonly name: string;
  readonly members: readonly number[];
  /** Members that may be down at once: up members − minAvailable. */
  readonly budget: number;
  readonly primary: number;
  readonly minAvailable: number;
  /** Implicit: the nodes of a shared service of a site (keep one up). */
  readonly implicit: boolean;
}

/** @internal */
export interface World {
  readonly inventory: Inventory;
  readonly campaign: Campaign;
  /** The campaign's strategy, resolved once here (`maxParallel` as a number) for every planner. */
  readonly strategy: ResolvedStrategy;
  readonly catalog: Catalog;
  readonly nodes: NodeState[];
  readonly instances: InstanceState[];
  readonly groups: GroupState[];
  readonly vnfs: VnfState[];
  readonly clusters: ClusterState[];
  readonly nodeIndex: ReadonlyMap<string, number>;
}

const rank = (d: Disruption) => DISRUPTIONS.indexOf(d);

/** Builds the planner's world from validated documents. @internal */
export function buildWorld(inventory: Inventory, campaign: Campaign, catalog: Catalog): World {
  const oc = inventory.overcommit;
  const nodeIndex = new Map<string, number>();
  const nodes: NodeState[] = inventory.nodes.map((node, index) => {
    nodeIndex.set(node.name, index);
    const outdated = outdatedComponents(node, campaign.target);
    const up = node.state === 'up';
    let disruption: Disruption = 'none';
    for (const c of outdated) {
      const d = catalog[c]?.disruption ?? 'service-restart';
      if (rank(d) > rank(disruption)) disruption = d;
    }
    const cap = node.capacity;
    return {
      index,
      node,
      name: node.name,
      site: node.site ?? 'default',
      zone: node.zone ?? '',
      roles: node.roles,
      isCompute: node.roles.includes('compute'),
      up,
      outdated,
      disruption,
      planned: up && outdated.length > 0 && inScope(node, campaign.scope),
      limit: cap ? [cap.vcpus * oc.cpu, cap.memoryMiB * oc.memory, cap.diskGiB * oc.disk] : [0, 0, 0],
      used: [0, 0, 0],
      instances: new Set(),
      groups: new Map(),
      wave: -1,
      clusters: [],
    };
  });

  const groupIndex = new Map(inventory.serverGroups.map((g, i) => [g.name, i]));
  const vnfIndex = new Map(inventory.vnfs.map((v, i) => [v.name, i]));
  const groups: GroupState[] = inventory.serverGroups.map((g) => ({
    name: g.name,
    policy: g.policy,
    maxImpacted: g.maxImpacted,
    recoverySeconds: g.recoverySeconds,
    alreadyDown: 0,
  }));
  const vnfSize = new Array<number>(inventory.vnfs.length).fill(0);
  const action = campaign.strategy.instanceAction;
  const instances: InstanceState[] = inventory.instances.map((inst, index) => {
    const r = inst.resources;
    const state: InstanceState = {
      index,
      name: inst.name,
      host: nodeIndex.get(inst.host) ?? -1,
      resources: [r.vcpus, r.memoryMiB, r.diskGiB],
      group: inst.serverGroup === undefined ? -1 : (groupIndex.get(inst.serverGroup) ?? -1),
      vnf: inst.vnf === undefined ? -1 : (vnfIndex.get(inst.vnf) ?? -1),
      treatment: instanceTreatment(inst.migration, action),
      moves: 0,
    };
    if (state.vnf >= 0) vnfSize[state.vnf] = (vnfSize[state.vnf] ?? 0) + 1;
    return state;
  });
  const vnfs: VnfState[] = inventory.vnfs.map((v, i) => ({
    name: v.name,
    size: vnfSize[i] ?? 0,
    minAvailable: v.minAvailable,
    notify: v.maintenance.notify,
    leadTimeSeconds: v.maintenance.leadTimeSeconds,
    alreadyDown: 0,
  }));
  for (const inst of instances) {
    const host = nodes[inst.host];
    if (!host) continue;
    place(host, inst);
    if (!host.up) {
      const g = groups[inst.group];
      if (g) g.alreadyDown++;
      const v = vnfs[inst.vnf];
      if (v) v.alreadyDown++;
    }
  }

  const clusters: ClusterState[] = [];
  const addCluster = (
    name: string,
    members: number[],
    minAvailable: number,
    primary: number,
    implicit: boolean,
  ) => {
    const up = members.filter((m) => nodes[m]?.up).length;
    const ci = clusters.length;
    clusters.push({ name, members, budget: up - minAvailable, primary, minAvailable, implicit });
    for (const m of members) nodes[m]?.clusters.push(ci);
  };
  for (const c of inventory.clusters) {
    const members = c.members.map((m) => nodeIndex.get(m) ?? -1).filter((m) => m >= 0);
    addCluster(
      c.name,
      members,
      c.minAvailable,
      c.primary === undefined ? -1 : (nodeIndex.get(c.primary) ?? -1),
      false,
    );
  }
  // Services other sites depend on (keystone for token validation) must keep one node up at all times.
  for (const site of inventory.sites) {
    if (site.sharedServices.length === 0) continue;
    const members = nodes
      .filter(
        (n) => n.site === site.name && site.sharedServices.some((s) => n.node.software[s] !== undefined),
      )
      .map((n) => n.index);
    const covered = inventory.clusters.some((c) =>
      members.every((m) => c.members.includes(nodes[m]?.name ?? '')),
    );
    if (members.length > 0 && !covered) addCluster(`${site.name}/shared-services`, members, 1, -1, true);
  }
  return {
    inventory,
    campaign,
    strategy: resolveStrategy(inventory, campaign),
    catalog,
    nodes,
    instances,
    groups,
    vnfs,
    clusters,
    nodeIndex,
  };
}

/** Puts an instance on a node, updating usage and group counts. @internal */
export function place(node: NodeState, inst: InstanceState): void {
  node.instances.add(inst.index);
  node.used[0] += inst.resources[0];
  node.used[1] += inst.resources[1];
  node.used[2] += inst.resources[2];
  if (inst.group >= 0) node.groups.set(inst.group, (node.groups.get(inst.group) ?? 0) + 1);
  inst.host = node.index;
}

/** Takes an instance off its node. @internal */
export function unplace(node: NodeState, inst: InstanceState): void {
  node.instances.delete(inst.index);
  node.used[0] -= inst.resources[0];
  node.used[1] -= inst.resources[1];
  node.used[2] -= inst.resources[2];
  if (inst.group >= 0) {
    const left = (node.groups.get(inst.group) ?? 1) - 1;
    if (left === 0) node.groups.delete(inst.group);
    else node.groups.set(inst.group, left);
  }
}

/** Whether `resources` fit on the node. @internal */
export function fits(node: NodeState, resources: readonly [number, number, number]): boolean {
  return (
    node.used[0] + resources[0] <= node.limit[0] + 1e-9 &&
    node.used[1] + resources[1] <= node.limit[1] + 1e-9 &&
    node.used[2] + resources[2] <= node.limit[2] + 1e-9
  );
}
