/**
 * Rule 5, migrations: each starts on a node of its wave at the instance's current host, targets an up
 * compute outside the wave in the same site, uses a mode the instance and the campaign allow, moves
 * an instance once per wave, and no batch moves more of a server group than its `maxImpacted`.
 *
 * @internal
 * @module
 */
import type { Campaign } from '../../model/campaign.js';
import type { Instance } from '../../model/inventory.js';
import type { Migration } from '../../model/plan.js';
import { type Findings, ViolationCode } from '../violations.js';
import { describeState, push, siteOf } from './common.js';
import type { Placement } from './placement.js';

/**
 * Rule 5 for wave `w`: checks each migration (source, target, mode, site, repeats, batches) and
 * applies it to the placement. Returns the instances moved (each once) and the nodes that received
 * any, for the capacity, affinity and availability rules. @internal
 */
export function checkMigrations(
  findings: Findings,
  p: Placement,
  migrations: readonly Migration[],
  w: number,
  action: Campaign['strategy']['instanceAction'],
): { instances: number[]; receivers: number[] } {
  const moved: number[] = [];
  const receivers: number[] = [];
  const unknownNamed = new Set<string>();
  const batches = new Map<number, Map<number, string[]>>();
  let lastFromName: string | undefined;
  let lastFrom: number | undefined;
  let hint = -1;
  for (const m of migrations) {
    if (m.from !== lastFromName) {
      lastFromName = m.from;
      lastFrom = p.nodeId.get(m.from);
    }
    const i = p.findInstance(m.instance, lastFrom, hint);
    hint = i === undefined ? -1 : p.next[i]!;
    let repeated: boolean;
    if (i === undefined) {
      repeated = unknownNamed.has(m.instance);
      unknownNamed.add(m.instance);
    } else {
      repeated = p.namedAt[i] === w;
      p.namedAt[i] = w;
    }
    if (repeated)
      findings.add(
        ViolationCode.MigrationRepeated,
        w,
        [m.instance],
        `instance "${m.instance}" is migrated more than once in wave ${w}`,
      );

    const source: string[] = [];
    if (i === undefined) source.push(`instance "${m.instance}" is not in the inventory`);
    else if (p.hostName(i) !== m.from)
      source.push(`instance "${m.instance}" is on "${p.hostName(i)}", not "${m.from}"`);
    if (lastFrom === undefined || p.inWave[lastFrom] !== w)
      source.push(`"${m.from}" is not a node of wave ${w}`);
    if (source.length > 0)
      findings.add(
        ViolationCode.MigrationSource,
        w,
        [m.instance, m.from],
        `migration of "${m.instance}" from "${m.from}": ${source.join('; ')}`,
      );

    const to = p.nodeId.get(m.to);
    const toNode = to === undefined ? undefined : p.nodeList[to];
    const target: string[] = [];
    if (to === undefined || toNode === undefined) target.push('is not in the inventory');
    else {
      if (p.compute[to] !== 1) target.push('is not a compute node');
      if (p.up[to] !== 1) target.push(`is ${describeState(toNode.state)}`);
      if (p.inWave[to] === w) target.push(`is in wave ${w} itself`);
    }
    if (target.length > 0)
      findings.add(
        ViolationCode.MigrationTarget,
        w,
        [m.instance, m.to],
        `migration of "${m.instance}" to "${m.to}": the target ${target.join(', ')}`,
      );

    if (i === undefined) continue;
    const mode = modeProblem(p.mobility[i]!, m.mode, action);
    if (mode !== undefined)
      findings.add(
        ViolationCode.MigrationMode,
        w,
        [m.instance],
        `${m.mode} migration of "${m.instance}": ${mode}`,
      );
    const current = p.host[i]!;
    const fromNode = current >= 0 ? p.nodeList[current] : undefined;
    if (fromNode !== undefined && toNode !== undefined && siteOf(fromNode) !== siteOf(toNode))
      findings.add(
        ViolationCode.MigrationSite,
        w,
        [m.instance, fromNode.name, toNode.name],
        `migration of "${m.instance}" from "${fromNode.name}" (site ${siteOf(fromNode)}) to "${toNode.name}" (site ${siteOf(toNode)}) leaves its site`,
      );
    const g = p.groupOf[i]!;
    if (g >= 0) {
      const batch = batches.get(m.batch) ?? new Map<number, string[]>();
      batches.set(m.batch, batch);
      push(batch, g, m.instance);
    }
    if (to === undefined) continue;
    if (p.movedAt[i] !== w) {
      p.movedAt[i] = w;
      p.startHost[i] = current;
      moved.push(i);
    }
    if (m.mode === 'cold') p.coldAt[i] = w;
    p.leave(i);
    p.arrive(i, to);
    if (p.received[to] !== w) {
      p.received[to] = w;
      receivers.push(to);
    }
  }
  checkBatches(findings, p, batches, w);
  return { instances: moved, receivers };
}

/** One batch of a wave migrates at most `maxImpacted` members of each server group. */
function checkBatches(
  findings: Findings,
  p: Placement,
  batches: ReadonlyMap<number, ReadonlyMap<number, readonly string[]>>,
  w: number,
): void {
  for (const [batch, groups] of [...batches].sort((a, b) => a[0] - b[0]))
    for (const [g, names] of groups) {
      const group = p.groups[g];
      if (group !== undefined && names.length > group.maxImpacted)
        findings.add(
          ViolationCode.MigrationBatch,
          w,
          [group.name, ...names],
          `batch ${batch} of wave ${w} migrates ${names.length} members of server group "${group.name}", more than maxImpacted ${group.maxImpacted}`,
        );
    }
}

/** Why a migration's mode is not allowed, or `undefined` when it is. */
function modeProblem(
  mobility: Instance['migration'],
  mode: Migration['mode'],
  action: Campaign['strategy']['instanceAction'],
): string | undefined {
  if (action === 'none' || action === 'stop-start')
    return `the campaign's instanceAction is ${action}: no instance is migrated`;
  if (mobility === 'none') return 'the instance cannot move (migration: none)';
  if (mode !== 'cold' && mobility === 'cold') return 'the instance only moves cold (migration: cold)';
  if (mode !== 'cold' && action === 'cold-migrate') return "the campaign's instanceAction is cold-migrate";
  return undefined;
}
