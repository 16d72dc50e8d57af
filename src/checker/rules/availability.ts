/**
 * Rule 7, availability: during each wave, server groups keep at most `maxImpacted` members down and
 * VNFs at least `minAvailable` instances running, counting the instances already down.
 *
 * @internal
 * @module
 */
import { type Findings, ViolationCode } from '../violations.js';
import { increment, push } from './common.js';
import type { Placement } from './placement.js';

/**
 * Who is down during the wave: the always-down (on nodes that are not up when the wave starts)
 * plus those the wave takes down: left on its nodes, moved cold, or moved onto a node not up.
 * Server groups keep at most `maxImpacted` members down and VNFs `minAvailable` running. @internal
 */
export function checkAvailability(
  findings: Findings,
  p: Placement,
  resident: readonly number[],
  moved: readonly number[],
  w: number,
): void {
  const groupDown = new Map<number, number[]>();
  const vnfDown = new Map<number, number[]>();
  const consider = (i: number) => {
    if (p.seenAt[i] === w) return;
    p.seenAt[i] = w;
    const start = p.movedAt[i] === w ? p.startHost[i]! : p.host[i]!;
    if (!p.isUp(start)) return;
    const end = p.host[i]!;
    if (p.coldAt[i] !== w && p.isUp(end) && p.inWave[end] !== w) return;
    const g = p.groupOf[i]!;
    if (g >= 0) push(groupDown, g, i);
    const v = p.vnfOf[i]!;
    if (v >= 0) push(vnfDown, v, i);
  };
  for (const i of resident) consider(i);
  for (const i of moved) consider(i);

  // The always-down counts already follow the moves: take them back to the wave's start.
  const groupCorrection = new Map<number, number>();
  const vnfCorrection = new Map<number, number>();
  for (const i of moved) {
    const start = p.isUp(p.startHost[i]!);
    if (start === p.isUp(p.host[i]!)) continue;
    const correction = start ? -1 : 1;
    const g = p.groupOf[i]!;
    if (g >= 0) increment(groupCorrection, g, correction);
    const v = p.vnfOf[i]!;
    if (v >= 0) increment(vnfCorrection, v, correction);
  }
  const names = (list: readonly number[]) => list.map((i) => p.instances[i]!.name);
  for (const [g, down] of groupDown) {
    const group = p.groups[g]!;
    const total = p.groupDown[g]! + (groupCorrection.get(g) ?? 0) + down.length;
    if (total > group.maxImpacted)
      findings.add(
        ViolationCode.ServerGroupImpact,
        w,
        [group.name, ...names(down)],
        `wave ${w} has ${total} members of server group "${group.name}" down, more than maxImpacted ${group.maxImpacted}`,
      );
  }
  for (const [v, down] of vnfDown) {
    const vnf = p.vnfs[v]!;
    const running = p.vnfSize[v]! - p.vnfDown[v]! - (vnfCorrection.get(v) ?? 0) - down.length;
    if (running < vnf.minAvailable)
      findings.add(
        ViolationCode.VnfMinAvailable,
        w,
        [vnf.name, ...names(down)],
        `wave ${w} leaves VNF "${vnf.name}" with ${running} instances running, fewer than minAvailable ${vnf.minAvailable}`,
      );
  }
}
