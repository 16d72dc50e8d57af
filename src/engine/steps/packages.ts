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

/** The journal key of a component's version before the upgrade. */
const BEFORE = 'before:';

/**
 * `upgrade-packages`: installs the target versions and restarts the components' services. Journals
 * the versions found before (under `before:<component>`). Installs only what is not in place yet, so a
 * run after a crash or a retry after a failed restart does not install again; done when the node
 * reports the target versions and their services are active. Undone by installing `previous` the same way.
 */
export const upgradePackages: StepHandler<StepOf<'upgrade-packages'>> = {
  describe: (step) => `install ${versions(step.software)} on ${step.node}`,
  async prepare(ctx, step) {
    const installed = await ctx.adapters.nodes.installedVersions(step.node, Object.keys(step.software), {
      signal: ctx.signal,
    });
    return Object.fromEntries(
      Object.keys(step.software).map((c) => [`${BEFORE}${c}`, installed[c] ?? 'none']),
    );
  },
  async run(ctx, step) {
    if (await versionsMatch(ctx, step.node, step.software)) {
      // Installed by an earlier attempt or a process that crashed: the restart may not have followed.
      const services = servicesOf(ctx, step.software);
      if (services.length > 0)
        await ctx.adapters.nodes.restartServices(step.node, services, { signal: ctx.signal });
      return undefined;
    }
    await installAndRestart(ctx, step.node, step.software);
    return undefined;
  },
  async isDone(ctx, step) {
    if (!(await versionsMatch(ctx, step.node, step.software))) return false;
    const services = servicesOf(ctx, step.software);
    if (services.length === 0) return true;
    // Installed but not restarted (the crash fell between the two): run again, which only restarts.
    return (await ctx.adapters.nodes.health(step.node, services, { signal: ctx.signal })).ok;
  },
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
