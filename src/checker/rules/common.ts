/**
 * Small helpers the checker's rules share: sites, node states for messages, and multimaps.
 *
 * @internal
 * @module
 */
import type { InventoryNode } from '../../model/inventory.js';

/** The site of a node that names none. */
const DEFAULT_SITE = 'default';

/** The site a node belongs to (`default` when it names none). @internal */
export function siteOf(node: InventoryNode): string {
  return node.site ?? DEFAULT_SITE;
}

/** A node state as words for a message ("in maintenance" rather than "maintenance"). @internal */
export function describeState(state: InventoryNode['state']): string {
  return state === 'maintenance' ? 'in maintenance' : state;
}

/** Appends `value` to the list under `key`, creating it: a multimap without a library. @internal */
export function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** Adds `by` to the count under `key` (0 when absent). @internal */
export function increment<K>(map: Map<K, number>, key: K, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}
