/**
 * The replayed placement that rules 5, 6 and 7 (migrations, capacity and (anti-)affinity,
 * availability) read and the migrations move: where every instance is, what every node holds, and
 * which server group and VNF members are down whatever the plan does. Nodes, instances, server groups
 * and VNFs are numbered and kept in typed arrays (reads are in bounds by construction, hence the `!`),
 * and each node's instances form a linked list: at 100,000s of instances, string-keyed maps and sets
 * would cost more than the checks themselves. The rules write its per-wave marks directly, which is
 * why its fields are not private.
 *
 * @internal
 * @module
 */
import type { Instance, Inventory, InventoryNode, ServerGroup, Vnf } from '../../model/inventory.js';

/** The replayed placement (see the module comment). @internal */
export class Placement {
  readonly nodeNames: readonly string[];
  readonly nodeId = new Map<string, number>();
  readonly nodeList: readonly InventoryNode[];
  readonly up: Uint8Array;
  readonly compute: Uint8Array;
  /** capacity × overcommit, 3 per node (vcpus, memoryMiB, diskGiB); NaN without a capacity. */
  readonly limit: Float64Array;

  readonly instances: readonly Instance[];
  readonly instanceNames: readonly string[];
  readonly mobility: readonly Instance['migration'][];
  /** Built on first need: most migrations find their instance on their `from` node. */
  #instanceId: Map<string, number> | undefined;
  /** Resources, 3 per instance. */
  readonly resources: Float64Array;
  readonly groups: readonly ServerGroup[];
  /** Server group of each instance, -1 for none (or an unknown one). */
  readonly groupOf: Int32Array;
  readonly antiAffinity: Uint8Array;
  readonly groupMembers: number[][];
  readonly vnfs: readonly Vnf[];
  readonly vnfOf: Int32Array;
  readonly vnfSize: Int32Array;

  /** Node of each instance, -1 for a host the inventory does not know. */
  readonly host: Int32Array;
  /** Each node's instances, in arrival order: a doubly linked list. */
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly size: Int32Array;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** Resources used, 3 per node. */
  readonly usage: Float64Array;
  /** Members of each server group / VNF on nodes that are not up (always down). */
  readonly groupDown: Int32Array;
  readonly vnfDown: Int32Array;

  // Per-wave marks, equal to the wave's number when set in that wave (so never cleared).
  readonly inWave: Int32Array;
  readonly received: Int32Array;
  readonly movedAt: Int32Array;
  readonly startHost: Int32Array;
  readonly coldAt: Int32Array;
  readonly namedAt: Int32Array;
  readonly seenAt: Int32Array;

  constructor(inventory: Inventory) {
    const nodes = inventory.nodes;
    const nodeCount = nodes.length;
    this.nodeList = nodes;
    this.nodeNames = nodes.map((n) => n.name);
    nodes.forEach((n, id) => {
      if (!this.nodeId.has(n.name)) this.nodeId.set(n.name, id);
    });
    this.up = Uint8Array.from(nodes, (n) => (n.state === 'up' ? 1 : 0));
    this.compute = Uint8Array.from(nodes, (n) => (n.roles.includes('compute') ? 1 : 0));
    this.limit = new Float64Array(nodeCount * 3).fill(Number.NaN);
    const oc = inventory.overcommit;
    nodes.forEach((n, id) => {
      if (n.capacity === undefined) return;
      this.limit[id * 3] = n.capacity.vcpus * oc.cpu;
      this.limit[id * 3 + 1] = n.capacity.memoryMiB * oc.memory;
      this.limit[id * 3 + 2] = n.capacity.diskGiB * oc.disk;
    });

    this.groups = inventory.serverGroups;
    const groupId = new Map(this.groups.map((g, i) => [g.name, i]));
    this.antiAffinity = Uint8Array.from(this.groups, (g) => (g.policy === 'anti-affinity' ? 1 : 0));
    this.groupMembers = this.groups.map(() => []);
    this.groupDown = new Int32Array(this.groups.length);
    this.vnfs = inventory.vnfs;
    const vnfId = new Map(this.vnfs.map((v, i) => [v.name, i]));
    this.vnfSize = new Int32Array(this.vnfs.length);
    this.vnfDown = new Int32Array(this.vnfs.length);

    this.instances = inventory.instances;
    this.instanceNames = this.instances.map((i) => i.name);
    this.mobility = this.instances.map((i) => i.migration);
    const count = this.instances.length;
    this.resources = new Float64Array(count * 3);
    this.groupOf = new Int32Array(count).fill(-1);
    this.vnfOf = new Int32Array(count).fill(-1);
    this.host = new Int32Array(count).fill(-1);
    this.head = new Int32Array(nodeCount).fill(-1);
    this.tail = new Int32Array(nodeCount).fill(-1);
    this.size = new Int32Array(nodeCount);
    this.next = new Int32Array(count).fill(-1);
    this.prev = new Int32Array(count).fill(-1);
    this.usage = new Float64Array(nodeCount * 3);
    // Inventories list instances host by host: look a host up once per run of equal hosts.
    let lastHostName: string | undefined;
    let lastHost: number | undefined;
    this.instances.forEach((instance, i) => {
      this.resources[i * 3] = instance.resources.vcpus;
      this.resources[i * 3 + 1] = instance.resources.memoryMiB;
      this.resources[i * 3 + 2] = instance.resources.diskGiB;
      const g = instance.serverGroup === undefined ? undefined : groupId.get(instance.serverGroup);
      if (g !== undefined) {
        this.groupOf[i] = g;
        this.groupMembers[g]?.push(i);
      }
      const v = instance.vnf === undefined ? undefined : vnfId.get(instance.vnf);
      if (v !== undefined) {
        this.vnfOf[i] = v;
        this.vnfSize[v]!++;
      }
      if (instance.host !== lastHostName) {
        lastHostName = instance.host;
        lastHost = this.nodeId.get(instance.host);
      }
      if (lastHost === undefined) this.#countDown(i, 1);
      else this.arrive(i, lastHost);
    });

    this.inWave = new Int32Array(nodeCount).fill(-1);
    this.received = new Int32Array(nodeCount).fill(-1);
    this.movedAt = new Int32Array(count).fill(-1);
    this.startHost = new Int32Array(count).fill(-1);
    this.coldAt = new Int32Array(count).fill(-1);
    this.namedAt = new Int32Array(count).fill(-1);
    this.seenAt = new Int32Array(count).fill(-1);
  }

  /** True when node `node` is known and up in the inventory. */
  isUp(node: number): boolean {
    return node >= 0 && this.up[node] === 1;
  }

  /** The name of instance `i`'s host, as the inventory writes it when the host is unknown. */
  hostName(i: number): string {
    const h = this.host[i]!;
    return h >= 0 ? this.nodeNames[h]! : this.instances[i]!.host;
  }

  #countDown(i: number, by: number): void {
    const g = this.groupOf[i]!;
    if (g >= 0) this.groupDown[g]! += by;
    const v = this.vnfOf[i]!;
    if (v >= 0) this.vnfDown[v]! += by;
  }

  /** Puts instance `i` on `node`: placement, load and always-down counts. */
  arrive(i: number, node: number): void {
    this.host[i] = node;
    const last = this.tail[node]!;
    this.prev[i] = last;
    this.next[i] = -1;
    if (last >= 0) this.next[last] = i;
    else this.head[node] = i;
    this.tail[node] = i;
    this.size[node]!++;
    for (let r = 0; r < 3; r++) this.usage[node * 3 + r]! += this.resources[i * 3 + r]!;
    if (this.up[node] !== 1) this.#countDown(i, 1);
  }

  /** Takes instance `i` off its host: placement, load and always-down counts. */
  leave(i: number): void {
    const node = this.host[i]!;
    if (node < 0) {
      this.#countDown(i, -1);
      return;
    }
    const before = this.prev[i]!;
    const after = this.next[i]!;
    if (before >= 0) this.next[before] = after;
    else this.head[node] = after;
    if (after >= 0) this.prev[after] = before;
    else this.tail[node] = before;
    this.size[node]!--;
    for (let r = 0; r < 3; r++) this.usage[node * 3 + r]! -= this.resources[i * 3 + r]!;
    if (this.up[node] !== 1) this.#countDown(i, -1);
  }

  /**
   * The number of the instance named `name`, `undefined` when unknown. It is looked for first at
   * `hint` (the instance after the one moved before, as plans list a node's instances in order)
   * and then among the few on `from` (where it is in a valid plan): that spares hashing 100,000s
   * of names.
   */
  findInstance(name: string, from: number | undefined, hint: number): number | undefined {
    if (hint >= 0 && this.host[hint] === from && this.instanceNames[hint] === name) return hint;
    if (from !== undefined && this.size[from]! <= 64)
      for (let i = this.head[from]!; i >= 0; i = this.next[i]!) if (this.instanceNames[i] === name) return i;
    if (this.#instanceId === undefined) {
      this.#instanceId = new Map();
      this.instanceNames.forEach((n, i) => {
        if (!this.#instanceId?.has(n)) this.#instanceId?.set(n, i);
      });
    }
    return this.#instanceId.get(name);
  }

  /** The instances on `node`, in arrival order. */
  *on(node: number): Generator<number> {
    for (let i = this.head[node]!; i >= 0; i = this.next[i]!) yield i;
  }

  /**
   * Marks the nodes of wave `w` (its known nodes `members`) as in the wave and returns the instances
   * on them when it starts: those are down during the wave unless they leave.
   */
  startWave(members: ReadonlySet<string>, w: number): number[] {
    const memberIds: number[] = [];
    for (const name of members) {
      const id = this.nodeId.get(name);
      if (id === undefined) continue;
      this.inWave[id] = w;
      memberIds.push(id);
    }
    // Instances on the wave's nodes when it starts: down unless they leave.
    const resident: number[] = [];
    for (const id of memberIds) for (let i = this.head[id]!; i >= 0; i = this.next[i]!) resident.push(i);
    return resident;
  }
}
