/**
 * Rules 2 and 3, wave size: at most `maxParallel` compute nodes a wave, the first wave with computes
 * (the canary) at most `canary` of them, and at most `maxParallel` unclustered non-compute nodes of
 * one role a wave.
 *
 * @internal
 * @module
 */
import type { ResolvedStrategy } from '../../model/scope.js';
import { type Findings, ViolationCode } from '../violations.js';
import { push } from './common.js';
import type { Index } from './inventory-index.js';

/**
 * Checks each wave's size in plan order; keeps whether the canary (the first wave with computes) was
 * seen, which is why it is a class. @internal
 */
export class WaveSize {
  #canarySeen = false;

  constructor(
    private readonly findings: Findings,
    private readonly index: Index,
    private readonly strategy: Pick<ResolvedStrategy, 'maxParallel' | 'canary'>,
  ) {}

  /** Checks wave `w`, whose known nodes are `members`. */
  wave(members: ReadonlySet<string>, w: number): void {
    const { findings, index } = this;
    const { maxParallel, canary } = this.strategy;
    const computes = [...members].filter((n) => index.nodes.get(n)?.roles.includes('compute'));
    if (computes.length > maxParallel)
      findings.add(
        ViolationCode.MaxParallel,
        w,
        computes,
        `wave ${w} takes ${computes.length} compute nodes, more than maxParallel ${maxParallel}`,
      );
    if (computes.length > 0 && !this.#canarySeen) {
      this.#canarySeen = true;
      if (computes.length > canary)
        findings.add(
          ViolationCode.Canary,
          w,
          computes,
          `wave ${w}, the canary, takes ${computes.length} compute nodes, more than canary ${canary}`,
        );
    }
    checkUnclustered(findings, index, members, w, maxParallel);
  }
}

/** Rule 3: non-compute nodes outside clusters, at most maxParallel of each role per wave. @internal */
export function checkUnclustered(
  findings: Findings,
  index: Index,
  members: ReadonlySet<string>,
  w: number,
  maxParallel: number,
): void {
  const byRole = new Map<string, string[]>();
  for (const name of members) {
    const node = index.nodes.get(name);
    if (node === undefined || node.roles.includes('compute') || index.clustersOf.has(name)) continue;
    for (const role of new Set(node.roles)) push(byRole, role, name);
  }
  for (const [role, names] of byRole)
    if (names.length > maxParallel)
      findings.add(
        ViolationCode.MaxParallel,
        w,
        names,
        `wave ${w} takes ${names.length} ${role} nodes that belong to no cluster, more than maxParallel ${maxParallel}`,
      );
}
