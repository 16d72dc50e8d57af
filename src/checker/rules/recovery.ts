/**
 * Rule 10, recovery time: after an impact on a member of a server group (a migration, or the member
 * stopped or rebooted with its node), the engine gives the group `recoverySeconds` before the next
 * impact. A wave that impacts k members of a group, at most `maxImpacted` at a time, so waits at least
 * (⌈k / maxImpacted⌉ − 1) × `recoverySeconds`; a wave expected to take less promises a time box the
 * campaign cannot keep (`finishBy` decides on these estimates).
 *
 * @internal
 * @module
 */
import type { Wave } from '../../model/plan.js';
import { type Findings, ViolationCode } from '../violations.js';
import type { Placement } from './placement.js';

/** The members of each server group a wave's steps impact, by group number. */
function impactedMembers(p: Placement, wave: Wave): Map<number, Set<string>> {
  const disrupted = new Set<string>(); // nodes whose staying instances go down
  for (const s of wave.steps) if (s.kind === 'reboot' || s.kind === 'stop-instances') disrupted.add(s.node);
  const byGroup = new Map<number, Set<string>>();
  const add = (instance: string) => {
    const i = p.findInstance(instance, undefined, -1);
    const g = i === undefined ? -1 : p.groupOf[i]!;
    if (g < 0) return;
    const members = byGroup.get(g) ?? new Set<string>();
    members.add(instance);
    byGroup.set(g, members);
  };
  for (const s of wave.steps) {
    if (s.kind === 'migrate') add(s.instance);
    if (s.kind === 'check-empty' && disrupted.has(s.node)) for (const i of s.instances) add(i);
  }
  return byGroup;
}

/** Rule 10 (see the module comment), for wave `w`. @internal */
export function checkRecovery(findings: Findings, p: Placement, wave: Wave, w: number): void {
  for (const [g, members] of impactedMembers(p, wave)) {
    const group = p.groups[g]!;
    const cooldowns = Math.ceil(members.size / group.maxImpacted) - 1;
    const needed = cooldowns * group.recoverySeconds;
    if (needed > wave.expectedSeconds)
      findings.add(
        ViolationCode.RecoveryTime,
        w,
        [group.name],
        `wave ${w} is expected to take ${wave.expectedSeconds} s, but it impacts ${members.size} members of server group "${group.name}" (maxImpacted ${group.maxImpacted}), which needs ${cooldowns} × recoverySeconds ${group.recoverySeconds} = ${needed} s`,
      );
  }
}
