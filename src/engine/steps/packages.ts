/**
 * The packages family: `backup` saves what a failed upgrade needs, `upgrade-packages` installs the
 * target versions (undone by installing the previous ones), `verify-services` checks the result.
 */
import { AdapterError } from '../../errors.js';
import type { StepOf } from '../../model/plan.js';
import {
  installAndRestart,
  nothingToUndo,
  type StepHandler,
  type StepHandlers,
  servicesOf,
  versionsMatch,
} from './context.js';

const versions = (software: Readonly<Record<string, string>>) =>
  Object.entries(software)
    .map(([c, v]) => `${c} ${v}`)
    .join(', ');

/**
 * `backup`: saves the files and databases the catalog names for the node's components, with their
 * current versions. Done when a backup with the step's id as label was recorded. Not undone: a backup
 * harms no one, and restoring needs it.
 */
export const backup: StepHandler<StepOf<'backup'>> = {
  describe: (step) => `back up ${step.node} (${versions(step.software)})`,
  async run(ctx, step) {
    const files = new Set<string>();
    const databases = new Set<string>();
    for (const c of Object.keys(step.software)) {
      for (const f of ctx.catalog[c]?.backup.files ?? []) files.add(f);
      for (const d of ctx.catalog[c]?.backup.databases ?? []) databases.add(d);
    }
    const saved = await ctx.adapters.nodes.backup(
      step.node,
      { label: step.id, software: step.software, files: [...files], databases: [...databases] },
      { signal: ctx.signal },
    );
    return { backup: saved };
  },
  isDone: async (ctx, step) => ctx.backups.some((b) => b.label === step.id),
  undo: nothingToUndo,
};

/**
 * `upgrade-packages`: installs the target versions and restarts the components' services; done when
 * the node reports them. Undone by installing `previous` the same way.
 */
export const upgradePackages: StepHandler<StepOf<'upgrade-packages'>> = {
  describe: (step) => `install ${versions(step.software)} on ${step.node}`,
  async run(ctx, step) {
    await installAndRestart(ctx, step.node, step.software);
    return undefined;
  },
  isDone: (ctx, step) => versionsMatch(ctx, step.node, step.software),
  undo: (ctx, step) => installAndRestart(ctx, step.node, step.previous),
};

/**
 * `verify-services`: the node reports the target versions and the components' services are active;
 * both failures are transient (services may still be starting), so the retry policy waits for them.
 */
export const verifyServices: StepHandler<StepOf<'verify-services'>> = {
  describe: (step) => `verify ${step.node} runs ${versions(step.software)}`,
  async run(ctx, step) {
    const node = step.node;
    if (!(await versionsMatch(ctx, node, step.software)))
      throw new AdapterError(`${node} does not report the target versions yet`, {
        kind: 'transient',
        reason: 'versions-differ',
      });
    const health = await ctx.adapters.nodes.health(node, servicesOf(ctx, step.software), {
      signal: ctx.signal,
    });
    if (!health.ok)
      throw new AdapterError(
        `services not active on ${node}: ${health.services
          .filter((s) => !s.active)
          .map((s) => s.name)
          .join(', ')}`,
        { kind: 'transient', reason: 'services-down' },
      );
    return undefined;
  },
  isDone: async () => false, // a check, with no effect: looking again is the answer
  undo: nothingToUndo,
};

/** The handlers of the packages family, by kind. */
export const PACKAGES_HANDLERS: StepHandlers<'backup' | 'upgrade-packages' | 'verify-services'> = {
  backup,
  'upgrade-packages': upgradePackages,
  'verify-services': verifyServices,
};
