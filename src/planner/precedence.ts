/**
 * Which nodes must wait for which. Nodes with the same site, roles and outdated components share a
 * "signature"; precedence is worked out between signatures (a handful), never between node pairs.
 *
 * Rules (also checked by the plan checker):
 * - dependencies: a node with outdated component `b` waits for every node of its site with an outdated
 *   dependency `a` of `b`, unless it has `a` outdated itself (then it upgrades both, in order, in one
 *   go); across sites only when `a` is a shared service of the other node's site (each site runs its
 *   own control plane, except what it shares);
 * - control plane first: in a site, compute nodes wait for the site's controllers.
 */
import { alg, Graph } from '@dagrejs/graphlib';
import { dependencyGraph } from '../catalog/catalog.js';
import { InfeasiblePlanError } from '../errors.js';
import type { NodeState, World } from './world.js';

/** @internal */
export interface Precedence {
  /** Signature of each node (index into `signatures`), -1 for nodes not planned. */
  readonly signatureOf: Int32Array;
  /** Per signature: signatures it waits for. */
  readonly waitsFor: readonly (readonly number[])[];
  /** Per signature: planned nodes not yet in a wave. */
  readonly remaining: number[];
  /** Per signature: a sample node name, for messages. */
  readonly sample: readonly string[];
}

/** @internal */
export function buildPrecedence(world: World): Precedence {
  const depGraph = dependencyGraph(world.catalog);
  const ancestors = new Map<string, Set<string>>();
  const ancestorsOf = (c: string): Set<string> => {
    let set = ancestors.get(c);
    if (set) return set;
    set = new Set<string>();
    if (depGraph.hasNode(c))
      for (const p of depGraph.predecessors(c) ?? []) for (const a of [p, ...ancestorsOf(p)]) set.add(a);
    ancestors.set(c, set);
    return set;
  };

  const keyIndex = new Map<string, number>();
  const members: NodeState[] = [];
  const signatureOf = new Int32Array(world.nodes.length).fill(-1);
  for (const node of world.nodes) {
    if (!node.planned) continue;
    const key = `${node.site}|${[...node.roles].sort().join(',')}|${[...node.outdated].sort().join(',')}`;
    let s = keyIndex.get(key);
    if (s === undefined) {
      s = members.length;
      keyIndex.set(key, s);
      members.push(node);
    }
    signatureOf[node.index] = s;
  }
  const remaining = new Array<number>(members.length).fill(0);
  for (const s of signatureOf) if (s >= 0) remaining[s] = (remaining[s] ?? 0) + 1;

  const sharedServices = new Map(world.inventory.sites.map((s) => [s.name, new Set(s.sharedServices)]));
  const graph = new Graph({ directed: true });
  for (let i = 0; i < members.length; i++) graph.setNode(String(i));
  const waitsFor = members.map((x, xi) => {
    const needs = new Set<string>();
    for (const b of x.outdated) for (const a of ancestorsOf(b)) if (!x.outdated.includes(a)) needs.add(a);
    const out: number[] = [];
    members.forEach((y, yi) => {
      if (yi === xi) return;
      const shared = sharedServices.get(y.site);
      const dependency = y.outdated.some(
        (a) => needs.has(a) && (x.site === y.site || shared?.has(a) === true),
      );
      const controlFirst =
        x.site === y.site && x.isCompute && !x.roles.includes('controller') && y.roles.includes('controller');
      if (dependency || controlFirst) {
        out.push(yi);
        graph.setEdge(String(yi), String(xi));
      }
    });
    return out;
  });
  if (!alg.isAcyclic(graph)) {
    const cycle = (alg.findCycles(graph)[0] ?? []).map((s) => members[Number(s)]);
    throw new InfeasiblePlanError('nodes wait for each other through component dependencies', {
      constraint: 'dependency-order',
      nodes: cycle.map((n) => n?.name ?? ''),
      instances: [],
      fix: `upgrade the components these nodes share in separate campaigns (${cycle
        .map((n) => `${n?.name}: ${n?.outdated.join(', ')}`)
        .join('; ')})`,
    });
  }
  return { signatureOf, waitsFor, remaining, sample: members.map((m) => m.name) };
}

/** Whether every signature the node waits for is finished. @internal */
export function isReady(precedence: Precedence, node: NodeState): boolean {
  const s = precedence.signatureOf[node.index] ?? -1;
  if (s < 0) return false;
  return (precedence.waitsFor[s] ?? []).every((p) => precedence.remaining[p] === 0);
}
