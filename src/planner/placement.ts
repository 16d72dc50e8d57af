/**
 * Choosing where each instance goes. Targets are looked for in the instance's own site and zone (then,
 * when it has no room, the site's other zones), first among nodes that are final (already upgraded, or
 * not to be upgraded) so the instance moves once, then among nodes upgraded last. Never a node of the
 * wave, never over capacity × overcommit, never beside another member of a hard anti-affinity group.
 */
import type { InstanceState, NodeState, World } from './world.js';
import { fits } from './world.js';

/** A binary max-heap of node indices by a numeric key. */
class MaxHeap {
  #items: { node: number; key: number }[] = [];
  get size(): number {
    return this.#items.length;
  }
  push(node: number, key: number): void {
    const items = this.#items;
    items.push({ node, key });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent];
      const c = items[i];
      if (!p || !c || p.key >= c.key) break;
      items[parent] = c;
      items[i] = p;
      i = parent;
    }
  }
  pop(): number | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (!top || !last) return undefined;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if ((items[l]?.key ?? -Infinity) > (items[m]?.key ?? -Infinity)) m = l;
        if ((items[r]?.key ?? -Infinity) > (items[m]?.key ?? -Infinity)) m = r;
        if (m === i) break;
        const a = items[i];
        const b = items[m];
        if (!a || !b) break;
        items[i] = b;
        items[m] = a;
        i = m;
      }
    }
    return top.node;
  }
}

/** Fraction of the scarcest resource left free: higher is emptier. */
function freeShare(node: NodeState): number {
  let share = 1;
  for (let d = 0; d < 3; d++) {
    const limit = node.limit[d] ?? 0;
    if (limit > 0) share = Math.min(share, (limit - (node.used[d] ?? 0)) / limit);
  }
  return share;
}

/** A group of instances that move together: one instance, or the members of an affinity group on a host. */
export interface MoveUnit {
  readonly instances: readonly InstanceState[];
  readonly resources: readonly [number, number, number];
  readonly group: number;
}

/** @internal */
export class TargetFinder {
  readonly #world: World;
  /** site|zone -> heap of final nodes by free share. */
  readonly #final = new Map<string, MaxHeap>();
  /** site|zone -> heap of planned, not yet upgraded nodes by how late they are upgraded. */
  readonly #later = new Map<string, MaxHeap>();
  readonly #lateness: Float64Array;
  readonly #smallest: readonly [number, number, number];
  /** site -> its site|zone keys, in the order first seen. */
  readonly #zones = new Map<string, string[]>();

  /** `lateness[i]`: higher for nodes expected to be upgraded later. */
  constructor(world: World, lateness: Float64Array) {
    this.#world = world;
    this.#lateness = lateness;
    let small: [number, number, number] = [Infinity, Infinity, Infinity];
    for (const inst of world.instances)
      if (inst.treatment !== 'stay')
        small = small.map((v, d) => Math.min(v, inst.resources[d] ?? 0)) as typeof small;
    this.#smallest = small;
    for (const node of world.nodes) {
      if (!node.isCompute || !node.up) continue;
      if (node.planned) this.#heap(this.#later, node).push(node.index, lateness[node.index] ?? 0);
      else this.#heap(this.#final, node).push(node.index, freeShare(node));
    }
  }

  #heap(map: Map<string, MaxHeap>, node: NodeState): MaxHeap {
    const key = `${node.site}|${node.zone}`;
    let heap = map.get(key);
    if (!heap) {
      heap = new MaxHeap();
      map.set(key, heap);
      const zones = this.#zones.get(node.site);
      if (!zones) this.#zones.set(node.site, [key]);
      else if (!zones.includes(key)) zones.push(key);
    }
    return heap;
  }

  /** A node just upgraded becomes a final target. */
  markFinal(node: NodeState): void {
    this.#heap(this.#final, node).push(node.index, freeShare(node));
  }

  /**
   * Finds a target for the unit, away from `source`'s wave; returns the node or undefined.
   * Does not place the unit (the caller does, then calls {@link TargetFinder.placed}).
   */
  find(unit: MoveUnit, source: NodeState, wave: number): NodeState | undefined {
    const own = `${source.site}|${source.zone}`;
    const soft = this.#world.groups[unit.group]?.policy === 'soft-anti-affinity';
    const strict = this.#world.groups[unit.group]?.policy === 'anti-affinity' || soft;
    // The instance's own zone first; the site's other zones only when its own has no room.
    const zones = [own, ...(this.#zones.get(source.site) ?? []).filter((z) => z !== own)];
    for (const zone of zones)
      for (const allowNeighbour of soft ? [false, true] : [false]) {
        for (const [map, final] of [
          [this.#final, true],
          [this.#later, false],
        ] as const) {
          const heap = map.get(zone);
          if (!heap) continue;
          const node = this.#search(heap, final, unit, wave, strict && !allowNeighbour);
          if (node) return node;
        }
      }
    return undefined;
  }

  /** After placing on `node`, refresh its position. */
  placed(node: NodeState): void {
    if (node.planned && node.wave < 0) return; // lateness keys do not change
    this.#heap(this.#final, node).push(node.index, freeShare(node));
  }

  #search(
    heap: MaxHeap,
    final: boolean,
    unit: MoveUnit,
    wave: number,
    antiAffinity: boolean,
  ): NodeState | undefined {
    const aside: number[] = [];
    let found: NodeState | undefined;
    for (let tries = 0; heap.size > 0 && tries < 4096; tries++) {
      const index = heap.pop();
      if (index === undefined) break;
      const node = this.#world.nodes[index];
      if (!node) continue;
      // Stale heap entries: a later node that became part of a wave or final moves to the other heap.
      const isFinal = !node.planned || (node.wave >= 0 && node.wave < wave);
      if (isFinal !== final || node.wave === wave) {
        if (node.wave === wave) aside.push(index);
        continue;
      }
      if (!this.#usable(node)) continue; // full for good: drop it
      const blocked =
        (antiAffinity && unit.group >= 0 && (node.groups.get(unit.group) ?? 0) > 0) ||
        (!final && this.#pilesUp(node, unit));
      if (!blocked && fits(node, unit.resources)) {
        found = node;
        break;
      }
      aside.push(index);
    }
    for (const index of aside) {
      const node = this.#world.nodes[index];
      if (node) heap.push(index, final ? freeShare(node) : (this.#lateness[index] ?? 0));
    }
    if (found && !final) heap.push(found.index, this.#lateness[found.index] ?? 0);
    return found;
  }

  /**
   * Whether the unit's members that are down whenever their node is (cold movers) would join so many
   * such members of their server group or VNF on `node`, a node still to be upgraded, that its wave
   * could never afford them all down at once.
   */
  #pilesUp(node: NodeState, unit: MoveUnit): boolean {
    const { groups, vnfs, instances } = this.#world;
    const cold = unit.instances.filter((i) => i.treatment !== 'live' && (i.group >= 0 || i.vnf >= 0));
    if (cold.length === 0) return false;
    const there = [...node.instances].flatMap((i) => {
      const inst = instances[i];
      return inst && inst.treatment !== 'live' ? [inst] : [];
    });
    const down = [...there, ...cold];
    for (const { group: g, vnf: v } of cold) {
      const group = groups[g];
      if (group && group.alreadyDown + down.filter((i) => i.group === g).length > group.maxImpacted)
        return true;
      const vnf = vnfs[v];
      if (vnf && vnf.size - vnf.alreadyDown - down.filter((i) => i.vnf === v).length < vnf.minAvailable)
        return true;
    }
    return false;
  }

  /** A node with no room left for even the smallest movable instance is no target any more. */
  #usable(node: NodeState): boolean {
    return fits(node, this.#smallest);
  }
}
