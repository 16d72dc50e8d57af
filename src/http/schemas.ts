/**
 * The REST API's bodies as zod schemas: the single source of request validation and of the OpenAPI
 * document's schemas. Request bodies reuse the escalator/v1 document schemas (Inventory, Campaign,
 * Plan); response bodies describe what the engine's status, journal and alarms look like on the wire.
 * @module
 */
import { z } from 'zod';
import { CAMPAIGN_STATES, STEP_STATES } from '../engine/machine.js';
import { CampaignSchema } from '../model/campaign.js';
import { InventorySchema } from '../model/inventory.js';
import { PlanSchema } from '../model/plan.js';
import { ACTIONS } from '../ports/authorizer.js';
import { CAMPAIGN_ID_PATTERN } from '../stores/journal-format.js';

/** The actions of `POST /v1/campaigns/{id}/actions/{action}`. */
export const CAMPAIGN_ACTIONS = [
  'start',
  'pause',
  'resume',
  'abort',
  'rollback',
  'approve',
  'skip',
  'restore',
  'commit',
] as const;
/** See {@link CAMPAIGN_ACTIONS}. */
export type CampaignAction = (typeof CAMPAIGN_ACTIONS)[number];

const idMessage =
  'expected 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or a digit (the id names a directory)';

/** A campaign id, as the stores accept it. */
export const CampaignIdSchema = z
  .string({ error: idMessage })
  .regex(CAMPAIGN_ID_PATTERN, { error: idMessage });

// ---------------------------------------------------------------------------------------------
// Requests

/** `POST /v1/campaigns`: the documents, and the plan when already made (it is then checked, not remade). */
export const CreateCampaignRequestSchema = z.strictObject(
  {
    /** @defaultValue the campaign's `metadata.name` */
    id: CampaignIdSchema.optional(),
    inventory: InventorySchema,
    campaign: CampaignSchema,
    plan: PlanSchema.optional(),
  },
  { error: 'expected an object { id?, inventory, campaign, plan? }' },
);
/** The validated body of `POST /v1/campaigns`. */
export type CreateCampaignRequest = z.output<typeof CreateCampaignRequestSchema>;

/** The optional body of `POST /v1/campaigns/{id}/actions/{action}`. */
export const ActionRequestSchema = z.strictObject(
  {
    /** Why: recorded in the journal by `pause`, `abort`, `rollback` and `skip`. */
    reason: z.string().min(1).max(500).optional(),
    /** The step `skip` gives up on (required by `skip`, refused by the other actions). */
    step: z.string().min(1).max(300).optional(),
  },
  { error: 'expected an object { reason?, step? }' },
);

const severity = z.enum(['critical', 'major', 'minor', 'warning'], {
  error: 'expected one of critical, major, minor, warning',
});

/**
 * `POST /v1/campaigns/{id}/notifications`: passive monitoring. The VIM or a node agent reports an alarm or
 * a node going down or up; a VNF manager answers a maintenance notice.
 */
export const NotificationSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('maintenance-reply'),
      /** The notice's id, as sent to the VNF manager (`<campaign>/<step>`). */
      notice: z.string().min(1).max(400),
      reply: z.enum(['ack', 'nack'], { error: 'expected ack or nack' }),
    }),
    z.strictObject({
      type: z.literal('alarm'),
      severity,
      object: z.string().min(1).max(253),
      message: z.string().min(1).max(2000),
    }),
    z.strictObject({
      type: z.literal('node-event'),
      node: z.string().min(1).max(253),
      event: z.enum(['down', 'up'], { error: 'expected down or up' }),
      message: z.string().min(1).max(2000).optional(),
    }),
  ],
  { error: 'expected a notification: { type: "maintenance-reply" | "alarm" | "node-event", ... }' },
);
/** A validated notification. */
export type NotificationRequest = z.output<typeof NotificationSchema>;

const whole = (what: string) =>
  z
    .string()
    .regex(/^(0|[1-9][0-9]{0,14})$/, { error: `expected ${what}` })
    .transform(Number);

/** The query of `GET /v1/campaigns/{id}/journal`. */
export const JournalQuerySchema = z.strictObject({
  /** Records after this sequence number. @defaultValue 0 */
  after: whole('a whole number, 0 or more').optional(),
  /** At most this many records. @defaultValue 100 */
  limit: whole('a whole number from 1 to 1000')
    .refine((n) => n >= 1 && n <= 1000, { error: 'expected a whole number from 1 to 1000' })
    .optional(),
});

// ---------------------------------------------------------------------------------------------
// Responses

/** An RFC 9457 problem: every error the API returns. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  /** The stable `ESC_*` code: switch on this, not on the text. */
  code: z.string(),
  instance: z.string(),
  /** Every problem found in the request, when it was invalid. */
  errors: z
    .array(z.object({ path: z.string(), message: z.string(), code: z.string().optional() }))
    .optional(),
  /** Correlates with the server's log (500s). */
  requestId: z.string().optional(),
});
/** See `ProblemSchema`. */
export type Problem = z.output<typeof ProblemSchema>;

/** `GET /health`. */
export const HealthSchema = z.object({
  status: z.enum(['starting', 'ok', 'degraded', 'stopping']),
  uptimeSeconds: z.number(),
  campaigns: z.object({
    total: z.number().int(),
    running: z.number().int(),
    /** Found in the store but not loaded (locked by another engine, journal damaged). */
    unavailable: z.number().int(),
    /**
     * Loaded, but their engine stopped on an error (their journal could not be written: disk full, I/O
     * error); readable, taking no command until the service restarts. Any makes the status `degraded`.
     */
    faulted: z.number().int(),
  }),
});
/** See `HealthSchema`. */
export type Health = z.output<typeof HealthSchema>;

const ProgressSchema = z.object({
  percent: z.number(),
  etaSeconds: z.number(),
  stepsDone: z.number().int(),
  stepsTotal: z.number().int(),
  wavesDone: z.number().int(),
  wavesTotal: z.number().int(),
});

export const AlarmSchema = z.object({
  code: z.string(),
  severity,
  object: z.string(),
  message: z.string(),
  at: z.string(),
  clearedAt: z.string().optional(),
});

const campaignState = z.enum(CAMPAIGN_STATES);
const stepState = z.enum(STEP_STATES);

/** One campaign in `GET /v1/campaigns`. */
export const CampaignSummarySchema = z.object({
  id: z.string(),
  state: campaignState,
  reason: z.string().optional(),
  /** Whether the engine is working on it now (a run in progress). */
  running: z.boolean(),
  /** The last journal record's sequence number. */
  seq: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  progress: ProgressSchema,
  href: z.string(),
  /**
   * Set when the campaign's engine stopped on an error (its journal could not be written): its state is
   * the last one written; it takes no command until the service restarts and resumes it from the journal.
   */
  fault: z
    .object({
      /** The error's code (`ENOSPC`, `EIO`, an `ESC_*` code). */
      code: z.string(),
      message: z.string(),
      /** When the service saw it (ISO 8601). */
      at: z.string(),
    })
    .optional(),
});
/** See `CampaignSummarySchema`. */
export type CampaignSummary = z.output<typeof CampaignSummarySchema>;

/** `GET /v1/campaigns`. */
export const CampaignListSchema = z.object({
  campaigns: z.array(CampaignSummarySchema),
  /** Campaigns found in the store that could not be opened. */
  unavailable: z.array(z.object({ id: z.string(), code: z.string(), message: z.string() })),
});

/** `GET /v1/campaigns/{id}`: the status table per node, module, cluster and site. */
export const CampaignStatusSchema = CampaignSummarySchema.extend({
  failures: z.number().int(),
  alarms: z.array(AlarmSchema),
  nodes: z.array(
    z.object({
      node: z.string(),
      site: z.string(),
      roles: z.array(z.string()),
      wave: z.number().int().optional(),
      state: z.enum(['untouched', 'pending', 'in-progress', 'upgraded', 'failed', 'rolled-back']),
      step: z.string().optional(),
    }),
  ),
  modules: z.array(
    z.object({
      component: z.string(),
      target: z.string(),
      nodes: z.number().int(),
      upgraded: z.number().int(),
    }),
  ),
  clusters: z.array(
    z.object({
      cluster: z.string(),
      members: z.number().int(),
      minAvailable: z.number().int(),
      out: z.number().int(),
      upgraded: z.number().int(),
    }),
  ),
  sites: z.array(
    z.object({
      site: z.string(),
      nodes: z.number().int(),
      planned: z.number().int(),
      upgraded: z.number().int(),
    }),
  ),
});
/** See `CampaignStatusSchema`. */
export type CampaignStatusBody = z.output<typeof CampaignStatusSchema>;

/** `POST /v1/campaigns/{id}/actions/{action}`: accepted; where the campaign stands now. */
export const ActionResultSchema = z.object({
  id: z.string(),
  action: z.enum(CAMPAIGN_ACTIONS),
  state: campaignState,
  reason: z.string().optional(),
  running: z.boolean(),
  seq: z.number().int(),
  href: z.string(),
});
/** See `ActionResultSchema`. */
export type ActionResult = z.output<typeof ActionResultSchema>;

/** `POST /v1/campaigns/{id}/notifications`: accepted. */
export const NotificationResultSchema = z.object({
  accepted: z.literal(true),
  /** The last journal record's sequence number after the notification was taken. */
  seq: z.number().int(),
});

const at = z.string();
const seq = z.number().int().positive();
const stepError = z.object({ code: z.string(), message: z.string() });

/** One journal record, as stored (the `record` events of the engine). */
export const JournalRecordSchema = z.discriminatedUnion('type', [
  z.object({
    seq,
    type: z.literal('created'),
    at,
    campaignId: z.string(),
    inventory: InventorySchema,
    campaign: CampaignSchema,
    plan: PlanSchema,
  }),
  z.object({
    seq,
    type: z.literal('campaign'),
    at,
    event: z.string(),
    from: campaignState,
    to: campaignState,
    reason: z.string().optional(),
  }),
  z.object({
    seq,
    type: z.literal('step'),
    at,
    step: z.string(),
    event: z.string(),
    from: stepState,
    to: stepState,
    error: stepError.optional(),
    data: z.record(z.string(), z.string()).optional(),
  }),
  z.object({
    seq,
    type: z.literal('wave'),
    at,
    wave: z.number().int(),
    event: z.enum(['started', 'verified', 'approved']),
  }),
  z.object({
    seq,
    type: z.literal('audit'),
    at,
    principal: z.object({ id: z.string(), roles: z.array(z.string()), via: z.string().optional() }),
    action: z.enum(ACTIONS),
    allowed: z.boolean(),
    reason: z.string(),
    /** How many denials the record stands for (repeated ones are coalesced); 1 when absent. */
    count: z.number().int().positive().optional(),
  }),
  /** An intent that waits for a safe point (pause, rollback), failed steps to retry, a new window. */
  z.object({
    seq,
    type: z.literal('request'),
    at,
    request: z.enum(['pause', 'rollback', 'retry', 'window']),
    reason: z.string().optional(),
    steps: z.array(z.string()).optional(),
    finishBy: z.string().optional(),
  }),
  z.object({
    seq,
    type: z.literal('backup'),
    at,
    step: z.string(),
    backup: z.object({
      node: z.string(),
      label: z.string(),
      location: z.string(),
      software: z.record(z.string(), z.string()),
      checksum: z.string(),
    }),
  }),
  /** A running step's retry policy began attempt `attempt` (2 for the first retry). */
  z.object({ seq, type: z.literal('attempt'), at, step: z.string(), attempt: z.number().int().positive() }),
  z.object({ seq, type: z.literal('alarm'), at, alarm: AlarmSchema }),
  z.object({ seq, type: z.literal('alarm-cleared'), at, code: z.string(), object: z.string() }),
  z.object({
    seq,
    type: z.literal('precheck'),
    at,
    report: z.object({
      ok: z.boolean(),
      checks: z.array(
        z.object({ name: z.string(), ok: z.boolean(), detail: z.string(), nodes: z.array(z.string()) }),
      ),
      unhealthyNodes: z.array(z.string()),
    }),
  }),
  z.object({
    seq,
    type: z.literal('replan'),
    at,
    plan: PlanSchema,
    inventory: InventorySchema.optional(),
    reason: z.string(),
    /** The wave before which the plan was re-planned. */
    wave: z.number().int().optional(),
  }),
  /** A compaction snapshot: the campaign's whole state up to `seq`. */
  z.object({ seq, type: z.literal('snapshot'), at, state: z.record(z.string(), z.unknown()) }),
]);

/** `GET /v1/campaigns/{id}/journal`: one page. */
export const JournalPageSchema = z.object({
  records: z.array(JournalRecordSchema),
  /** The campaign's last sequence number when the page was read. */
  lastSeq: z.number().int(),
  /** The next page, when there are more records. */
  next: z.string().optional(),
});

/** `GET /v1/campaigns/{id}/alarms`. */
export const AlarmListSchema = z.object({ alarms: z.array(AlarmSchema) });
