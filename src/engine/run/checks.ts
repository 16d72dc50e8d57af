/**
 * The engine's looks at the live cloud between waves: drift before a wave (is the cloud still what
 * the plan assumes?), verification after a wave and after the campaign (target versions, services up).
 * Each returns what is wrong as one sentence, or undefined.
 */

import type { Catalog } from '../../model/component.js';
import { stepNode, type Wave } from '../../model/plan.js';
import { versionMatches } from '../../model/versions.js';
import { mapLimit } from '../../util/map-limit.js';
import { describeError } from '../core/effects.js';
import type { CampaignSnapshot } from '../journal.js';
import { vimHost } from '../steps/index.js';
import type { RunEnv } from './env.js';

/**
 * Re-reads the live state before a wave and compares it with what the plan expects: the wave's
 * compute nodes are up, the targets are up and enabled, and the instances on the wave's nodes are the
 * ones the plan knows.
 */
export async function checkDrift(
  env: RunEnv,
  state: CampaignSnapshot,
  wave: Wave,
  signal: AbortSignal,
): Promise<string | undefined> {
  const { vim } = env.retried;
  const computes = new Set(
    state.inventory.nodes.filter((n) => n.roles.includes('compute')).map((n) => n.name),
  );
  const services = new Map((await vim.listComputeServices({ signal })).map((s) => [s.host, s]));
  const problems: string[] = [];
  for (const node of wave.nodes) {
    if (!computes.has(node)) continue;
    const s = services.get(vimHost(state.inventory, node));
    if (s?.state !== 'up') problems.push(`${node} is ${s ? s.state : 'unknown to the VIM'}`);
  }
  for (const target of new Set(wave.migrations.map((m) => m.to))) {
    const s = services.get(vimHost(state.inventory, target));
    if (s?.state !== 'up') problems.push(`target ${target} is ${s ? s.state : 'unknown to the VIM'}`);
    else if (s.status === 'disabled' && !s.disabledReason?.startsWith(`escalator ${state.id}`))
      problems.push(`target ${target} was disabled by someone else (${s.disabledReason ?? 'no reason'})`);
  }
  const expected = expectedPlacement(state, wave.index);
  await mapLimit(
    wave.nodes.filter((n) => computes.has(n)),
    16,
    async (node) => {
      const live = await vim.listInstances(vimHost(state.inventory, node), { signal });
      const want = expected.get(node) ?? new Set<string>();
      const unexpected = live.filter((i) => !want.has(i.name)).map((i) => i.name);
      const missing = [...want].filter((name) => !live.some((i) => i.name === name));
      if (unexpected.length)
        problems.push(`${node} hosts instances the plan does not know: ${unexpected.join(', ')}`);
      if (missing.length) problems.push(`${node} no longer hosts ${missing.join(', ')}`);
    },
  );
  const critical = (await vim.listAlarms({ signal })).filter((a) => a.severity === 'critical');
  for (const a of critical) problems.push(`critical alarm on ${a.resource}: ${a.message}`);
  return problems.length ? problems.join('; ') : undefined;
}

/** Test after a wave: its nodes run the target versions and their services are up. */
export async function verifyWave(
  env: RunEnv,
  state: CampaignSnapshot,
  catalog: Catalog,
  wave: Wave,
  signal: AbortSignal,
): Promise<string | undefined> {
  const problems: string[] = [];
  const failed = wave.steps.filter((s) => ['failed', 'timed-out'].includes(state.steps[s.id]?.state ?? ''));
  // Nodes with a step that did not succeed (given up under `continue`) are not expected upgraded.
  const skippedNodes = new Set<string>();
  for (const s of wave.steps) {
    const node = stepNode(s);
    if (node !== undefined && state.steps[s.id]?.state !== 'succeeded') skippedNodes.add(node);
  }
  const { nodes } = env.retried;
  await mapLimit(
    wave.nodes.filter((n) => !skippedNodes.has(n)),
    16,
    async (node) => {
      const inv = state.inventory.nodes.find((n) => n.name === node);
      const target = Object.fromEntries(
        Object.keys(inv?.software ?? {})
          .filter((c) => state.campaign.target.software[c] !== undefined)
          .map((c) => [c, state.campaign.target.software[c] ?? '']),
      );
      try {
        const installed = await nodes.installedVersions(node, Object.keys(target), { signal });
        const wrong = Object.entries(target).filter(([c, v]) => !versionMatches(installed[c] ?? '', v));
        if (wrong.length)
          problems.push(`${node} runs ${wrong.map(([c]) => `${c} ${installed[c] ?? 'none'}`).join(', ')}`);
        const services = Object.keys(target).flatMap((c) => catalog[c]?.services ?? []);
        const health = await nodes.health(node, services, { signal });
        if (!health.ok) problems.push(`${node}: services down`);
      } catch (error) {
        problems.push(`${node}: ${describeError(error).message}`);
      }
    },
  );
  // Failed steps under `continue` were already accounted for by policy; only report the rest.
  if (failed.length > 0 && state.campaign.strategy.onFailure !== 'continue')
    problems.push(`failed steps: ${failed.map((s) => s.id).join(', ')}`);
  return problems.length ? problems.join('; ') : undefined;
}

/** Test after the last wave: every wave again, and no compute left disabled by this campaign. */
export async function verifyCampaign(
  env: RunEnv,
  state: CampaignSnapshot,
  catalog: Catalog,
  signal: AbortSignal,
): Promise<string | undefined> {
  const problems: string[] = [];
  for (const wave of state.plan.waves) {
    const p = await verifyWave(env, state, catalog, wave, signal);
    if (p) problems.push(p);
  }
  const services = await env.retried.vim.listComputeServices({ signal }).catch(() => []);
  const ours = services.filter(
    (s) => s.status === 'disabled' && s.disabledReason?.startsWith(`escalator ${state.id}`),
  );
  if (ours.length) problems.push(`compute services still disabled: ${ours.map((s) => s.host).join(', ')}`);
  return problems.length ? problems.join('; ') : undefined;
}

/**
 * Why a step on a node may have failed, from the VIM: its compute service is down (a dead
 * nova-compute makes calls hang until they time out, and the timeout alone says nothing). Undefined
 * when the node is not a compute, its service is up, or the VIM cannot tell.
 */
export async function diagnoseNode(
  env: RunEnv,
  state: CampaignSnapshot,
  node: string,
  signal: AbortSignal,
): Promise<string | undefined> {
  const inventoryNode = state.inventory.nodes.find((n) => n.name === node);
  if (!inventoryNode?.roles.includes('compute')) return undefined;
  const services = await env.retried.vim.listComputeServices({ signal }).catch(() => undefined);
  const service = services?.find((s) => s.host === vimHost(state.inventory, node));
  if (!services) return undefined;
  if (!service) return `the VIM does not know a compute service on ${node}`;
  return service.state === 'down' ? `the compute service of ${node} is down in the VIM` : undefined;
}

/** Expected instances on each node at the start of a wave, replaying the plan's migrations. */
function expectedPlacement(state: CampaignSnapshot, wave: number): Map<string, Set<string>> {
  const host = new Map(state.inventory.instances.map((i) => [i.name, i.host]));
  for (const w of state.plan.waves) {
    if (w.index >= wave) break;
    for (const m of w.migrations) host.set(m.instance, m.to);
  }
  const out = new Map<string, Set<string>>();
  for (const [instance, node] of host) {
    const set = out.get(node);
    if (set) set.add(instance);
    else out.set(node, new Set([instance]));
  }
  return out;
}
