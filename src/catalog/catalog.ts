/**
 * Resolving the component catalog: built-in entries, a campaign's overrides merged on top, each entry
 * validated, every dependency known, and no cycle.
 */
import { alg, Graph } from '@dagrejs/graphlib';
import { DependencyCycleError, DocumentError, type DocumentIssue } from '../errors.js';
import { type Catalog, type Component, type ComponentOverride, ComponentSchema } from '../model/component.js';
import { didYouMean } from '../util/did-you-mean.js';
import { BUILTIN_CATALOG } from './builtin.js';

/**
 * Merges overrides onto the built-in catalog and validates the result.
 *
 * An override of a known component replaces only the fields it gives; an override of an unknown one
 * adds a component and must then give every required field.
 *
 * @throws {@link DocumentError} when an entry is incomplete or depends on an unknown component.
 * @throws {@link DependencyCycleError} when dependencies form a cycle.
 * @example
 * ```ts
 * const catalog = resolveCatalog({ kernel: { expectedSeconds: 600 } });
 * ```
 */
export function resolveCatalog(
  overrides: Readonly<Record<string, ComponentOverride>> = {},
  source = 'components',
): Catalog {
  const issues: DocumentIssue[] = [];
  const catalog: Record<string, Component> = {};
  const names = new Set([...Object.keys(BUILTIN_CATALOG), ...Object.keys(overrides)]);
  for (const name of names) {
    // Names such as __proto__ or constructor collide with plain-object keys (here and in graphlib,
    // which would then write to Object.prototype): refuse them.
    if (name in Object.prototype) {
      issues.push({ code: 'catalog-entry', path: [name], message: `"${name}" cannot be a component name` });
      continue;
    }
    const merged = { ...BUILTIN_CATALOG[name], ...stripUndefined(overrides[name] ?? {}) };
    const parsed = ComponentSchema.safeParse(merged);
    if (parsed.success) catalog[name] = parsed.data;
    else
      for (const issue of parsed.error.issues)
        issues.push({
          code: 'catalog-entry',
          path: [name, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
          message: Object.hasOwn(BUILTIN_CATALOG, name)
            ? issue.message
            : `${issue.message} (a new component must give roles, disruption and expectedSeconds)`,
        });
  }
  for (const [name, component] of Object.entries(catalog)) {
    component.dependsOn.forEach((dep, i) => {
      if (!Object.hasOwn(catalog, dep))
        issues.push({
          code: 'unknown-reference',
          path: [name, 'dependsOn', i],
          message: `unknown component "${dep}"${didYouMean(dep, Object.keys(catalog))}`,
        });
    });
  }
  if (issues.length > 0) throw new DocumentError(source, issues);
  assertAcyclic(catalog);
  return catalog;
}

/**
 * The dependency graph of a catalog: an edge `a -> b` means `a` must be upgraded everywhere before `b`.
 */
export function dependencyGraph(catalog: Catalog): Graph {
  const graph = new Graph({ directed: true });
  for (const name of Object.keys(catalog)) graph.setNode(name);
  for (const [name, component] of Object.entries(catalog))
    for (const dep of component.dependsOn) graph.setEdge(dep, name);
  return graph;
}

/**
 * The depth of every component in the dependency graph: 0 for those that depend on nothing, and one
 * more than the deepest dependency otherwise. Components of equal depth may be upgraded together.
 */
export function dependencyDepths(catalog: Catalog): ReadonlyMap<string, number> {
  const graph = dependencyGraph(catalog);
  const depth = new Map<string, number>();
  for (const name of alg.topsort(graph)) {
    const preds = graph.predecessors(name) ?? [];
    depth.set(name, preds.length === 0 ? 0 : Math.max(...preds.map((p) => depth.get(p) ?? 0)) + 1);
  }
  return depth;
}

function assertAcyclic(catalog: Catalog): void {
  const graph = dependencyGraph(catalog);
  if (alg.isAcyclic(graph)) return;
  // findCycles gives strongly connected components; walk one to name the cycle in order.
  const component = alg.findCycles(graph)[0] ?? [];
  const members = new Set(component);
  const start = [...members].sort()[0] ?? '';
  const cycle = [start];
  let current = start;
  for (;;) {
    const next = (graph.successors(current) ?? []).filter((n) => members.has(n)).sort()[0];
    if (next === undefined) break;
    if (cycle.includes(next)) {
      cycle.push(next);
      break;
    }
    cycle.push(next);
    current = next;
  }
  throw new DependencyCycleError(cycle.slice(cycle.indexOf(cycle.at(-1) ?? start)));
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
