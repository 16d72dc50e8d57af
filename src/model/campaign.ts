/**
 * The escalator/v1 Campaign: what to reach and how. Field names and meanings are a contract with
 * installers (docs/formats.md).
 */
import { z } from 'zod';
import { apiVersion, metadata, name, nameList, positiveCount, role, softwareVersions } from './common.js';
import { ComponentOverrideSchema } from './component.js';

const parallelMessage = 'expected a positive integer or a percentage like "10%"';

/** A number of nodes, or a percentage of the in-scope compute nodes ("10%"). */
export const maxParallel = z.union(
  [
    z
      .number({ error: parallelMessage })
      .int({ error: parallelMessage })
      .positive({ error: parallelMessage })
      .max(Number.MAX_SAFE_INTEGER, { error: parallelMessage }),
    z
      .string({ error: parallelMessage })
      .regex(/^(?:100(?:\.0+)?|[1-9]\d?(?:\.\d+)?)%$/, { error: parallelMessage }),
  ],
  { error: parallelMessage },
);

export const INSTANCE_ACTIONS = ['live-migrate', 'cold-migrate', 'stop-start', 'none'] as const;
export const FAILURE_POLICIES = ['pause', 'rollback', 'continue'] as const;

export const StrategySchema = z.strictObject(
  {
    maxParallel: maxParallel.default(1),
    canary: positiveCount.default(1),
    instanceAction: z
      .enum(INSTANCE_ACTIONS, { error: `expected one of ${INSTANCE_ACTIONS.join(', ')}` })
      .default('live-migrate'),
    siteOrder: z
      .enum(['sequential', 'parallel'], { error: 'expected sequential or parallel' })
      .default('sequential'),
    onFailure: z
      .enum(FAILURE_POLICIES, { error: `expected one of ${FAILURE_POLICIES.join(', ')}` })
      .default('pause'),
    maxFailures: z
      .number({ error: 'expected a whole number, 0 or more' })
      .int({ error: 'expected a whole number, 0 or more' })
      .nonnegative({ error: 'expected a whole number, 0 or more' })
      .default(0),
    finishBy: z
      .string({ error: 'expected an ISO 8601 date-time like "2026-12-01T06:00:00Z"' })
      .datetime({ offset: true, error: 'expected an ISO 8601 date-time like "2026-12-01T06:00:00Z"' })
      .optional(),
    /** Wave indices after which an operator must approve before the campaign goes on. */
    approveAfterWaves: z
      .array(z.number().int().nonnegative(), { error: 'expected a list of wave indices' })
      .default([]),
  },
  { error: 'expected a strategy object' },
);

export const ScopeSchema = z.strictObject(
  {
    sites: nameList.optional(),
    zones: nameList.optional(),
    roles: z.array(role, { error: 'expected a list of roles' }).optional(),
    nodes: nameList.optional(),
  },
  { error: 'expected { sites, zones, roles, nodes }' },
);

/** Zod schema of the escalator/v1 Campaign. */
export const CampaignSchema = z.strictObject(
  {
    apiVersion,
    kind: z.literal('Campaign', { error: 'expected "Campaign"' }),
    metadata,
    target: z.strictObject(
      {
        software: softwareVersions.refine((s) => Object.keys(s).length > 0, {
          error: 'expected at least one component with its target version',
        }),
      },
      { error: 'expected { software: { component: version } }' },
    ),
    scope: ScopeSchema.default({}),
    strategy: StrategySchema.default({
      maxParallel: 1,
      canary: 1,
      instanceAction: 'live-migrate',
      siteOrder: 'sequential',
      onFailure: 'pause',
      maxFailures: 0,
      approveAfterWaves: [],
    }),
    components: z
      .record(name, ComponentOverrideSchema, { error: 'expected a map of component names to overrides' })
      .default({}),
  },
  { error: 'expected a Campaign document (an object with apiVersion, kind, metadata, target)' },
);

/** An escalator/v1 Campaign, with every default filled in. */
export type Campaign = z.output<typeof CampaignSchema>;
/**
 * A Campaign document as written in a file: zod's input type of {@link CampaignSchema}, where fields
 * with defaults may be left out. Parse it (`parseCampaign`, `loadCampaign`, `CampaignSchema.parse`)
 * to get a {@link Campaign}; what the engine's `create` takes is a `NewCampaign`.
 */
export type CampaignInput = z.input<typeof CampaignSchema>;
/** How the campaign proceeds. */
export type Strategy = Campaign['strategy'];
/** Which part of the cloud the campaign touches. */
export type Scope = Campaign['scope'];
/** What is done with instances on a node that goes down. */
export type InstanceAction = (typeof INSTANCE_ACTIONS)[number];
/** What the engine does when a step fails. */
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];
