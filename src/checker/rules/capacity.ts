/**
 * Rule 6, capacity and (anti-)affinity: where a wave's migrations changed something, no node is over
 * capacity × overcommit, no anti-affinity group gains a shared host, and no affinity group is split.
 *
 * @internal
 * @module
 */
import { type Findings, ViolationCode } from '../violations.js';
import { push } from './common.js';
import type { Placement } from './placement.js';

const RESOURCES = ['vcpus', 'memoryMiB', 'diskGiB'] as const;

// Sums are built in an order the planner may not share: allow for rounding.
const TOLERANCE = 1e-9;

/**
 * Capacity: after wave `w`'s migrations, every node that received instances is within capacity ×
 * overcommit. @internal
 */
export function checkCapacity(
  findings: Findings,
  p: Placement,
  receivers: readonly number[],
  w: number,
): void {
  for (const node of receivers) {
    const over: string[] = [];
    RESOURCES.forEach((resource, r) => {
      const limit = p.limit[node * 3 + r]!;
      const used = p.usage[node * 3 + r]!;
      // NaN (no capacity given) compares false: nothing to check against.
      if (used > limit * (1 + TOLERANCE) + TOLERANCE) over.push(`${resource} ${used} > ${limit}`);
    });
    if (over.length > 0)
      findings.add(
        ViolationCode.Capacity,
        w,
        [p.nodeNames[node]!],
        `after wave ${w}'s migrations, node "${p.nodeNames[node]}" is over capacity × overcommit: ${over.join(', ')}`,
      );
  }
}

/**
 * Anti-affinity: an instance moved in this wave to a node that holds another member of its group
 * (co-locations the inventory already had are not the plan's). Each check walks the group's
 * members or the node's instances, whichever is shorter. @internal
 */
export function checkAntiAffinity(
  findings: Findings,
  p: Placement,
  moved: readonly number[],
  w: number,
): void {
  const reported = new Set<number>();
  for (const i of moved) {
    const g = p.groupOf[i]!;
    const node = p.host[i]!;
    if (g < 0 || p.antiAffinity[g] !== 1 || node === p.startHost[i]) continue;
    const members = p.groupMembers[g]!;
    let crowded = false;
    if (members.length <= p.size[node]!) crowded = members.some((m) => m !== i && p.host[m] === node);
    else
      for (let j = p.head[node]!; j >= 0 && !crowded; j = p.next[j]!) crowded = j !== i && p.groupOf[j] === g;
    const key = g * p.nodeNames.length + node;
    if (!crowded || reported.has(key)) continue;
    reported.add(key);
    const name = p.groups[g]!.name;
    const together = [...p.on(node)].filter((j) => p.groupOf[j] === g).map((j) => p.instances[j]!.name);
    findings.add(
      ViolationCode.AntiAffinity,
      w,
      [name, p.nodeNames[node]!, ...together],
      `after wave ${w}'s migrations, node "${p.nodeNames[node]}" holds ${together.length} members of anti-affinity group "${name}"`,
    );
  }
}

/** Affinity: members of a group that were on one node when the wave started still are. @internal */
export function checkAffinity(findings: Findings, p: Placement, moved: readonly number[], w: number): void {
  const touched = new Set<number>();
  for (const i of moved) {
    const g = p.groupOf[i]!;
    if (g >= 0 && p.groups[g]!.policy === 'affinity') touched.add(g);
  }
  for (const g of touched) {
    const byStart = new Map<number, number[]>();
    for (const m of p.groupMembers[g]!) push(byStart, p.movedAt[m] === w ? p.startHost[m]! : p.host[m]!, m);
    for (const [start, together] of byStart) {
      if (start < 0 || together.length < 2) continue;
      const end = p.host[together[0]!];
      if (together.every((m) => p.host[m] === end)) continue;
      const name = p.groups[g]!.name;
      findings.add(
        ViolationCode.Affinity,
        w,
        [name, ...together.map((m) => p.instances[m]!.name)],
        `wave ${w} separates members of affinity group "${name}" that were together on "${p.nodeNames[start]}"`,
      );
    }
  }
}
