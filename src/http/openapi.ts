/**
 * The OpenAPI 3.1 document of the REST API, generated from the zod schemas (request bodies in their
 * input form, where defaults may be left out; responses in their output form). Served at
 * `GET /openapi.json`.
 * @module
 */
import { z } from 'zod';
import { CampaignSchema } from '../model/campaign.js';
import { InventorySchema } from '../model/inventory.js';
import { PlanSchema } from '../model/plan.js';
import { CAMPAIGN_ID_PATTERN } from '../stores/journal-format.js';
import {
  ActionRequestSchema,
  ActionResultSchema,
  AlarmListSchema,
  AlarmSchema,
  CAMPAIGN_ACTIONS,
  CampaignListSchema,
  CampaignStatusSchema,
  CampaignSummarySchema,
  CreateCampaignRequestSchema,
  HealthSchema,
  JournalPageSchema,
  JournalRecordSchema,
  NotificationResultSchema,
  NotificationSchema,
  ProblemSchema,
} from './schemas.js';

/** The API's version, as the document states it. */
export const API_DOCUMENT_VERSION = '0.1.0';

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: string, description: string): Json => ({
  description,
  content: { 'application/json': { schema: ref(schema) } },
});
const problems = (...names: string[]): Json =>
  Object.fromEntries(names.map((n) => [PROBLEM_STATUS[n], { $ref: `#/components/responses/${n}` }]));

const PROBLEM_STATUS: Readonly<Record<string, string>> = {
  BadRequest: '400',
  Unauthorized: '401',
  Forbidden: '403',
  NotFound: '404',
  Conflict: '409',
  TooLarge: '413',
  UnsupportedMediaType: '415',
  Unprocessable: '422',
  Internal: '500',
  Unavailable: '503',
};

const PROBLEM_DESCRIPTIONS: Readonly<Record<string, string>> = {
  BadRequest: 'The body or query is invalid: `errors` lists every problem with its path.',
  Unauthorized: 'No bearer token, or one the service does not know (see `WWW-Authenticate`).',
  Forbidden: "The principal's roles do not allow the action.",
  NotFound: 'No such campaign (or action).',
  Conflict: "Not allowed in the campaign's current state (`ESC_ILLEGAL_TRANSITION`), or the id is taken.",
  TooLarge:
    'The body is larger than this route takes (by default: create 32 MiB, action 4 KiB, notification 64 KiB); ' +
    'the rest of it is not read and the connection closes.',
  UnsupportedMediaType: 'The body is not `application/json`.',
  Unprocessable: 'The documents are valid but no plan honours them, or the given plan breaks the rules.',
  Internal: 'Something unexpected; `requestId` names it in the server log.',
  Unavailable:
    "The service is starting or shutting down, or tokens cannot be checked now; or the campaign's engine " +
    'stopped on an error (`ESC_CAMPAIGN_FAULTED`: its journal could not be written) and it takes no command ' +
    'until the service restarts.',
};

const idParameter: Json = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The campaign id (by default its `metadata.name`).',
  schema: { type: 'string', pattern: CAMPAIGN_ID_PATTERN.source },
};

/** Generates every body schema once, cross-referenced under `#/components/schemas`. */
function componentSchemas(): Record<string, Json> {
  const input = z.registry<{ id: string }>();
  input.add(CreateCampaignRequestSchema, { id: 'CreateCampaignRequest' });
  input.add(InventorySchema, { id: 'InventoryInput' });
  input.add(CampaignSchema, { id: 'CampaignInput' });
  input.add(PlanSchema, { id: 'PlanInput' });
  input.add(ActionRequestSchema, { id: 'ActionRequest' });
  input.add(NotificationSchema, { id: 'Notification' });

  const output = z.registry<{ id: string }>();
  output.add(ProblemSchema, { id: 'Problem' });
  output.add(HealthSchema, { id: 'Health' });
  output.add(CampaignSummarySchema, { id: 'CampaignSummary' });
  output.add(CampaignListSchema, { id: 'CampaignList' });
  output.add(CampaignStatusSchema, { id: 'CampaignStatus' });
  output.add(PlanSchema, { id: 'Plan' });
  output.add(InventorySchema, { id: 'Inventory' });
  output.add(CampaignSchema, { id: 'Campaign' });
  output.add(ActionResultSchema, { id: 'ActionResult' });
  output.add(JournalRecordSchema, { id: 'JournalRecord' });
  output.add(JournalPageSchema, { id: 'JournalPage' });
  output.add(AlarmSchema, { id: 'Alarm' });
  output.add(AlarmListSchema, { id: 'AlarmList' });
  output.add(NotificationResultSchema, { id: 'NotificationResult' });

  const uri = (id: string) => `#/components/schemas/${id}`;
  const schemas: Record<string, Json> = {};
  for (const io of ['input', 'output'] as const) {
    const generated = z.toJSONSchema(io === 'input' ? input : output, { io, uri, unrepresentable: 'any' });
    for (const [name, schema] of Object.entries(generated.schemas)) {
      // Each schema is embedded in the document: its own dialect and id would only get in the way.
      const { $schema: _dialect, $id: _id, ...rest } = schema as Json;
      schemas[name] = rest;
    }
  }
  return schemas;
}

function build(): Json {
  const read = (summary: string, schema: string, description: string, extra: Json = {}): Json => ({
    summary,
    ...extra,
    responses: {
      '200': json(schema, description),
      ...problems('Unauthorized', 'Forbidden', 'NotFound', 'Internal'),
    },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Escalator',
      version: API_DOCUMENT_VERSION,
      description:
        'Plans and runs zero-outage upgrades of NFV clouds. Every route but `/health` and `/openapi.json` ' +
        'needs `Authorization: Bearer <token>`. Errors are RFC 9457 problems with a stable `code` (`ESC_*`).',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: [{ name: 'campaigns' }, { name: 'service' }],
    paths: {
      '/health': {
        get: {
          operationId: 'getHealth',
          tags: ['service'],
          summary: "The service's own health",
          security: [],
          responses: {
            '200': json(
              'Health',
              'Serving (`ok`, or `degraded` when some stored campaign could not be opened).',
            ),
            '503': json('Health', 'Starting or stopping.'),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          tags: ['service'],
          summary: 'This document',
          security: [],
          responses: {
            '200': {
              description: 'The OpenAPI 3.1 document.',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      },
      '/v1/campaigns': {
        post: {
          operationId: 'createCampaign',
          tags: ['campaigns'],
          summary: 'Create a campaign: validate the documents, plan (unless a plan is given), check the plan',
          description:
            'The campaign is journaled in state `created` and waits for `POST .../actions/start`. Every ' +
            'problem of the documents is reported at once, each with its path. The principal is authorized ' +
            'before the body is read: a refused request is answered (401, 403) without reading it.',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: ref('CreateCampaignRequest') } },
          },
          responses: {
            '201': {
              description: 'Created.',
              headers: { Location: { description: 'The campaign.', schema: { type: 'string' } } },
              content: { 'application/json': { schema: ref('CampaignSummary') } },
            },
            ...problems(
              'BadRequest',
              'Unauthorized',
              'Forbidden',
              'Conflict',
              'TooLarge',
              'UnsupportedMediaType',
              'Unprocessable',
              'Internal',
              'Unavailable',
            ),
          },
        },
        get: {
          operationId: 'listCampaigns',
          tags: ['campaigns'],
          summary: 'The campaigns the principal may read',
          responses: {
            '200': json(
              'CampaignList',
              'The campaigns, and those found in the store that could not be opened.',
            ),
            ...problems('Unauthorized', 'Internal'),
          },
        },
      },
      '/v1/campaigns/{id}': {
        get: read(
          'Status table per node, module, cluster and site, with progress and state',
          'CampaignStatus',
          'The status.',
          { operationId: 'getCampaign', tags: ['campaigns'], parameters: [idParameter] },
        ),
      },
      '/v1/campaigns/{id}/plan': {
        get: read("The campaign's escalator/v1 Plan", 'Plan', 'The plan being carried out.', {
          operationId: 'getPlan',
          tags: ['campaigns'],
          parameters: [idParameter],
        }),
      },
      '/v1/campaigns/{id}/actions/{action}': {
        post: {
          operationId: 'postAction',
          tags: ['campaigns'],
          summary: 'Start, pause, resume, abort, roll back, approve, skip a step, restore or commit',
          description:
            'Answers once the engine accepted the action (authorized, allowed in the current state); runs go ' +
            'on in the background: follow them with `/events`. Concurrent actions on one campaign are ' +
            'serialised: of two `start`s, one is accepted and the other gets a 409.',
          parameters: [
            idParameter,
            {
              name: 'action',
              in: 'path',
              required: true,
              schema: { type: 'string', enum: [...CAMPAIGN_ACTIONS] },
            },
          ],
          requestBody: {
            required: false,
            content: { 'application/json': { schema: ref('ActionRequest') } },
          },
          responses: {
            '202': {
              description: 'Accepted; where the campaign stands now.',
              headers: { Location: { description: 'The campaign.', schema: { type: 'string' } } },
              content: { 'application/json': { schema: ref('ActionResult') } },
            },
            ...problems(
              'BadRequest',
              'Unauthorized',
              'Forbidden',
              'NotFound',
              'Conflict',
              'TooLarge',
              'UnsupportedMediaType',
              'Internal',
              'Unavailable',
            ),
          },
        },
      },
      '/v1/campaigns/{id}/journal': {
        get: read('The journal, a page at a time', 'JournalPage', 'Records after `after`, at most `limit`.', {
          operationId: 'getJournal',
          tags: ['campaigns'],
          parameters: [
            idParameter,
            {
              name: 'after',
              in: 'query',
              description: 'Records after this seq (default 0).',
              schema: { type: 'integer', minimum: 0 },
            },
            {
              name: 'limit',
              in: 'query',
              description: 'At most this many records (default 100).',
              schema: { type: 'integer', minimum: 1, maximum: 1000 },
            },
          ],
        }),
      },
      '/v1/campaigns/{id}/alarms': {
        get: read('Alarms raised during the campaign', 'AlarmList', 'The alarms, oldest first.', {
          operationId: 'getAlarms',
          tags: ['campaigns'],
          parameters: [idParameter],
        }),
      },
      '/v1/campaigns/{id}/events': {
        get: {
          operationId: 'getEvents',
          tags: ['campaigns'],
          summary: 'The journal as Server-Sent Events: the records written so far, then each new one',
          description:
            'One event per journal record: `id: <seq>`, `event: <record type>`, `data: <the record as JSON>` ' +
            '(see JournalRecord). A reconnecting client sends `Last-Event-ID` (or `?lastEventId=`) and ' +
            'receives exactly the records it missed. Comments (`: heartbeat`) keep idle streams open.',
          parameters: [
            idParameter,
            {
              name: 'Last-Event-ID',
              in: 'header',
              description: 'The seq of the last event received.',
              schema: { type: 'string', pattern: '^[0-9]+$' },
            },
            {
              name: 'lastEventId',
              in: 'query',
              description: 'Same as the `Last-Event-ID` header, for clients that cannot set headers.',
              schema: { type: 'integer', minimum: 0 },
            },
          ],
          responses: {
            '200': {
              description: 'An endless event stream.',
              content: {
                'text/event-stream': {
                  schema: { type: 'string' },
                  example:
                    'id: 3\nevent: campaign\ndata: {"seq":3,"type":"campaign","from":"created","to":"prechecking"}\n\n',
                },
              },
            },
            ...problems('BadRequest', 'Unauthorized', 'Forbidden', 'NotFound', 'Internal', 'Unavailable'),
          },
        },
      },
      '/v1/campaigns/{id}/notifications': {
        post: {
          operationId: 'postNotification',
          tags: ['campaigns'],
          summary: 'Passive monitoring: an event from the VIM, a node agent or a VNF manager',
          description:
            'An alarm, a node going down or up (journaled; a critical alarm or a node down pauses a running ' +
            "campaign at its next safe point), or a VNF manager's answer to a maintenance notice.",
          parameters: [idParameter],
          requestBody: { required: true, content: { 'application/json': { schema: ref('Notification') } } },
          responses: {
            '202': json('NotificationResult', 'Taken.'),
            ...problems(
              'BadRequest',
              'Unauthorized',
              'Forbidden',
              'NotFound',
              'TooLarge',
              'UnsupportedMediaType',
              'Internal',
              'Unavailable',
            ),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            "A token from the service's tokens file (or the admin token `escalator serve` prints).",
        },
      },
      responses: Object.fromEntries(
        Object.entries(PROBLEM_DESCRIPTIONS).map(([name, description]) => [
          name,
          { description, content: { 'application/problem+json': { schema: ref('Problem') } } },
        ]),
      ),
      schemas: componentSchemas(),
    },
  };
}

let cached: Json | undefined;

/**
 * The OpenAPI 3.1 document of the REST API (built once, then shared: do not mutate it).
 *
 * @example
 * ```ts
 * writeFileSync('openapi.json', JSON.stringify(openApiDocument(), null, 2));
 * ```
 */
export function openApiDocument(): Readonly<Record<string, unknown>> {
  cached ??= build();
  return cached;
}
