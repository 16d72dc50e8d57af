/**
 * Rule 1, coverage: every up, in-scope node that needs an upgrade is in exactly one wave, and no other
 * node is in any.
 *
 * @internal
 * @module
 */
import { type Findings, ViolationCode } from '../violations.js';
import { describeState } from './common.js';
import type { Index } from './inventory-index.js';

/**
 * Rule 1 for one wave: each node listed once in the whole plan, and only nodes the campaign must
 * upgrade. Records each node's first wave in `firstWave`; returns the wave's known nodes (each once).
 * @internal
 */
export function checkCoverage(
  findings: Findings,
  index: Index,
  names: readonly string[],
  w: number,
  firstWave: Map<string, number>,
): Set<string> {
  const members = new Set<string>();
  const listed = new Set<string>();
  for (const name of names) {
    if (listed.has(name)) {
      findings.add(ViolationCode.NodeRepeated, w, [name], `node "${name}" is listed twice in wave ${w}`);
      continue;
    }
    listed.add(name);
    const node = index.nodes.get(name);
    if (node !== undefined) members.add(name);
    const earlier = firstWave.get(name);
    if (earlier !== undefined) {
      findings.add(
        ViolationCode.NodeRepeated,
        w,
        [name],
        `node "${name}" is in wave ${w} but already in wave ${earlier}`,
      );
      continue;
    }
    firstWave.set(name, w);
    if (index.required.has(name)) continue;
    const why =
      node === undefined
        ? 'is not in the inventory'
        : node.state !== 'up'
          ? `is ${describeState(node.state)}`
          : (index.outdated.get(name)?.length ?? 0) === 0
            ? 'already runs the target versions'
            : 'is out of the campaign scope';
    findings.add(ViolationCode.NodeUnexpected, w, [name], `node "${name}" in wave ${w} ${why}`);
  }
  return members;
}

/** Rule 1 for the whole plan: the nodes that needed an upgrade and are in no wave. @internal */
export function checkMissing(findings: Findings, index: Index, firstWave: ReadonlyMap<string, number>): void {
  for (const name of index.required)
    if (!firstWave.has(name))
      findings.add(
        ViolationCode.NodeMissing,
        undefined,
        [name],
        `node "${name}" needs an upgrade but is in no wave`,
      );
}
