/**
 * The steps of a correct upgrade, written from the plan format's meaning and not by the planner: for
 * hand-built plans whose tests are about waves, nodes and migrations, so that the step rules find
 * nothing to say and the rule under test is the only one broken.
 */
import type { Campaign } from '../../src/model/campaign.js';
import type { Inventory } from '../../src/model/inventory.js';
import type { Plan, Step } from '../../src/model/plan.js';
import { outdatedComponents } from '../../src/model/scope.js';

const TIMES = { expectedSeconds: 1, timeoutSeconds: 60, verify: 'test' } as const;

/**
 * `plan` with each wave's steps replaced by a correct upgrade of its nodes: per node disable-compute
 * (computes), its migrations, stop-instances (stop-start, instances that stay), check-empty, backup,
 * upgrade-packages, reboot, wait-node, verify-services, start-instances, enable-compute, each after
 * the one before. Nodes the inventory does not know get no steps.
 */
export function withSteps(inventory: Inventory, campaign: Campaign, plan: Plan): Plan {
  const nodes = new Map(inventory.nodes.map((n) => [n.name, n]));
  const host = new Map(inventory.instances.map((i) => [i.name, i.host]));
  const stopStart = campaign.strategy.instanceAction === 'stop-start';
  const waves = plan.waves.map((wave, w) => {
    const steps: Step[] = [];
    const migrationsFrom = new Map<string, string[]>();
    for (const m of wave.migrations) {
      const id = `w${w}.migrate.${m.instance}`;
      steps.push({ id, kind: 'migrate', ...m, after: [`w${w}.${m.from}.disable-compute`], ...TIMES });
      migrationsFrom.set(m.from, [...(migrationsFrom.get(m.from) ?? []), id]);
      if (nodes.has(m.to)) host.set(m.instance, m.to);
    }
    // Where each instance is once this wave's moves are made (one pass a wave, not one a node).
    const onNode = new Map<string, string[]>();
    for (const [instance, h] of host) onNode.set(h, [...(onNode.get(h) ?? []), instance]);
    for (const name of wave.nodes) {
      const node = nodes.get(name);
      if (node === undefined) continue;
      const compute = node.roles.includes('compute');
      const stays = onNode.get(name) ?? [];
      const outdated = outdatedComponents(node, campaign.target);
      const installed = Object.fromEntries(outdated.map((c) => [c, node.software[c] ?? '']));
      const target = Object.fromEntries(outdated.map((c) => [c, campaign.target.software[c] ?? '']));
      const id = (kind: string) => `w${w}.${name}.${kind}`;
      let previous: string[] = [];
      const add = (step: Step) => {
        steps.push(step);
        previous = [step.id];
      };
      const base = (kind: string) => ({ id: id(kind), node: name, after: previous, ...TIMES });
      if (compute) {
        add({ ...base('disable-compute'), kind: 'disable-compute' });
        previous = [...previous, ...(migrationsFrom.get(name) ?? [])];
        if (stopStart && stays.length > 0)
          add({ ...base('stop-instances'), kind: 'stop-instances', instances: stays });
        add({ ...base('check-empty'), kind: 'check-empty', instances: stays });
      }
      add({ ...base('backup'), kind: 'backup', software: installed });
      add({ ...base('upgrade-packages'), kind: 'upgrade-packages', software: target, previous: installed });
      add({ ...base('reboot'), kind: 'reboot' });
      add({ ...base('wait-node'), kind: 'wait-node' });
      add({ ...base('verify-services'), kind: 'verify-services', software: target });
      if (compute && stopStart && stays.length > 0)
        add({ ...base('start-instances'), kind: 'start-instances', instances: stays });
      if (compute) add({ ...base('enable-compute'), kind: 'enable-compute' });
    }
    return { ...wave, steps };
  });
  return { ...plan, waves };
}
