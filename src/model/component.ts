/**
 * What a software component means for an upgrade: the component catalog's entry schema. The built-in
 * catalog (src/catalog) and a campaign's `components` overrides are validated by it.
 */
import { z } from 'zod';
import { name, nameList, role, seconds } from './common.js';

/**
 * How much an upgrade of the component disturbs its node, least to most:
 * - `none`: replaced in place, nothing restarts that users notice;
 * - `service-restart`: its service restarts (a control-plane interruption on that node, covered by
 *   the cluster's redundancy);
 * - `evacuate`: instances on the node must leave first (e.g. qemu, openvswitch on a compute);
 * - `reboot`: the node reboots (e.g. kernel); implies evacuation.
 */
export const DISRUPTIONS = ['none', 'service-restart', 'evacuate', 'reboot'] as const;
/** See {@link DISRUPTIONS}. */
export type Disruption = (typeof DISRUPTIONS)[number];

export const disruption = z.enum(DISRUPTIONS, { error: `expected one of ${DISRUPTIONS.join(', ')}` });

const backup = z.strictObject(
  {
    files: z.array(z.string().min(1), { error: 'expected a list of paths' }).default([]),
    databases: nameList.default([]),
  },
  { error: 'expected { files, databases }' },
);

/** Every field of a catalog entry; a campaign override may give any subset. */
const componentShape = {
  /** Roles of the nodes the component usually lives on. */
  roles: z.array(role, { error: 'expected a list of roles' }).min(1, { error: 'expected at least one role' }),
  /** Components that must be upgraded everywhere before this one. */
  dependsOn: nameList.default([]),
  disruption,
  /**
   * Old and new versions may run side by side during the upgrade. When false, every node with the
   * component is upgraded in one wave (a maintenance window for that service).
   */
  rolling: z.boolean({ error: 'expected true or false' }).default(true),
  /** Expected duration of the component's upgrade on one node. */
  expectedSeconds: seconds,
  /** Distribution packages that make up the component. */
  packages: nameList.default([]),
  /** Service units to restart and check after the upgrade. */
  services: nameList.default([]),
  /** A control-plane service whose availability is accounted for (APIs, schedulers, databases). */
  controlPlane: z.boolean({ error: 'expected true or false' }).default(false),
  /** What to save before the upgrade so that a failed one can be restored. */
  backup: backup.default({ files: [], databases: [] }),
};

/** Schema of one catalog entry. */
export const ComponentSchema = z.strictObject(componentShape, {
  error: 'expected a component object with roles, disruption and expectedSeconds',
});

/** Schema of a partial entry, as a campaign's `components` gives to override or add. */
export const ComponentOverrideSchema = z.strictObject(
  {
    roles: componentShape.roles.optional(),
    dependsOn: nameList.optional(),
    disruption: disruption.optional(),
    rolling: z.boolean({ error: 'expected true or false' }).optional(),
    expectedSeconds: seconds.optional(),
    packages: nameList.optional(),
    services: nameList.optional(),
    controlPlane: z.boolean({ error: 'expected true or false' }).optional(),
    backup: backup.optional(),
  },
  { error: 'expected a component object' },
);

/** Schema of a whole catalog: component name to entry. */
export const CatalogSchema = z.record(name, ComponentSchema, {
  error: 'expected a map of component names to entries',
});

/** A catalog entry. */
export type Component = z.output<typeof ComponentSchema>;
/** A catalog entry as written (defaults may be left out). */
export type ComponentInput = z.input<typeof ComponentSchema>;
/** A partial entry from a campaign. */
export type ComponentOverride = z.output<typeof ComponentOverrideSchema>;
/** Component name to entry. */
export type Catalog = Readonly<Record<string, Component>>;
