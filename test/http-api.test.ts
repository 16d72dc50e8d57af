/**
 * The REST API over a real server on 127.0.0.1 with a real HTTP client (global fetch): every route,
 * authentication and authorization, malformed requests, concurrent actions, event streams that resume
 * without gap or duplicate, whole simulated campaigns driven only over HTTP, and a graceful restart.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ROUTES } from '../src/http/index.js';
import { openApiDocument } from '../src/http/openapi.js';
import {
  ActionResultSchema,
  AlarmListSchema,
  CampaignListSchema,
  CampaignStatusSchema,
  CampaignSummarySchema,
  HealthSchema,
  JournalPageSchema,
  NotificationResultSchema,
  ProblemSchema,
} from '../src/http/schemas.js';
import { SECRET_KEY_PATTERN } from '../src/logging/index.js';
import { PlanSchema } from '../src/model/plan.js';
import { createFileStore } from '../src/stores/index.js';
import {
  type ApiResponse,
  call,
  example,
  openEvents,
  readRecords,
  restsIn,
  startApi,
  type TestApi,
  TOKENS,
  wholeJournal,
} from './support/http-api.js';

/** The body, checked against the schema the OpenAPI document publishes for it. */
function valid<S extends z.ZodType>(schema: S, res: ApiResponse): z.output<S> {
  const parsed = schema.safeParse(res.body);
  if (!parsed.success) throw new Error(`response does not match its schema: ${parsed.error.message}`);
  return parsed.data;
}

/** A problem document with this status and code. */
function expectProblem(res: ApiResponse, status: number, code: string): z.output<typeof ProblemSchema> {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = valid(ProblemSchema, res);
  expect(body.code).toBe(code);
  expect(body.status).toBe(status);
  return body;
}

/** Creates a campaign from an example under another id. */
async function create(api: TestApi, name: 'minimal' | 'ha' | 'multi-site', id: string): Promise<ApiResponse> {
  return call(api.base, 'POST', '/v1/campaigns', { as: 'operator', body: { id, ...example(name) } });
}

/** Follows a campaign's events from the start until it rests in one of `states`. */
async function followUntil(api: TestApi, id: string, ...states: string[]) {
  const stream = await openEvents(api.base, id);
  try {
    return await readRecords(stream, restsIn(...states));
  } finally {
    await stream.close();
  }
}

describe('REST API', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ handler: { bodyLimitBytes: 1024 * 1024, heartbeatMs: 200 } });
  });
  afterAll(async () => {
    await api.close();
  });

  describe('service routes', () => {
    it('GET /health needs no token and reports the service', async () => {
      const res = await call(api.base, 'GET', '/health');
      expect(res.status).toBe(200);
      expect(valid(HealthSchema, res).status).toBe('ok');
    });

    it('GET /openapi.json is an OpenAPI 3.1 document listing exactly the routes served', async () => {
      const res = await call(api.base, 'GET', '/openapi.json');
      expect(res.status).toBe(200);
      const doc = JSON.parse(res.text);
      expect(doc.openapi).toBe('3.1.0');
      const documented = Object.entries(doc.paths as Record<string, Record<string, { operationId: string }>>)
        .flatMap(([path, methods]) =>
          Object.entries(methods).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
        )
        .sort();
      const served = ROUTES.map((r) => `${r.method} ${r.path} ${r.operationId}`).sort();
      expect(documented).toEqual(served);
      // Routes without authentication say so; the others use the bearer scheme.
      for (const route of ROUTES) {
        const op = doc.paths[route.path][route.method.toLowerCase()];
        expect(op.security === undefined ? doc.security : op.security).toEqual(
          route.auth ? [{ bearer: [] }] : [],
        );
      }
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      // Every reference resolves inside the document.
      const refs = [...res.text.matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1] ?? '');
      expect(refs.length).toBeGreaterThan(20);
      for (const ref of new Set(refs)) {
        const target = ref
          .replace(/^#\//, '')
          .split('/')
          .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
        expect(target, ref).toBeDefined();
      }
      // Request bodies are the input form: defaults may be left out.
      const inventory = doc.components.schemas.InventoryInput;
      expect(inventory.required).not.toContain('clusters');
      expect(openApiDocument()).toEqual(doc);
    });
  });

  describe('authentication and authorization', () => {
    it('answers 401 with a Bearer challenge without a token, with a bad one, or with another scheme', async () => {
      const none = await call(api.base, 'GET', '/v1/campaigns');
      expectProblem(none, 401, 'ESC_UNAUTHENTICATED');
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="escalator"/);
      const bad = await call(api.base, 'GET', '/v1/campaigns', {
        headers: { authorization: 'Bearer not-a-known-token' },
      });
      expectProblem(bad, 401, 'ESC_UNAUTHENTICATED');
      expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(bad.text).not.toContain('not-a-known-token');
      const basic = await call(api.base, 'GET', '/v1/campaigns', {
        headers: { authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` },
      });
      expectProblem(basic, 401, 'ESC_UNAUTHENTICATED');
      // Every authenticated route refuses an anonymous client.
      for (const route of ROUTES.filter((r) => r.auth)) {
        const path = route.path.replace('{id}', 'x').replace('{action}', 'start');
        expectProblem(await call(api.base, route.method, path), 401, 'ESC_UNAUTHENTICATED');
      }
    });

    it('lets a viewer read but not create, start or notify (403)', async () => {
      expect((await create(api, 'minimal', 'auth-1')).status).toBe(201);
      expect((await call(api.base, 'GET', '/v1/campaigns/auth-1', { as: 'viewer' })).status).toBe(200);
      expectProblem(
        await call(api.base, 'POST', '/v1/campaigns', {
          as: 'viewer',
          body: { id: 'auth-2', ...example('minimal') },
        }),
        403,
        'ESC_FORBIDDEN',
      );
      const start = await call(api.base, 'POST', '/v1/campaigns/auth-1/actions/start', { as: 'viewer' });
      expect(expectProblem(start, 403, 'ESC_FORBIDDEN').detail).toContain('viewer');
      expectProblem(
        await call(api.base, 'POST', '/v1/campaigns/auth-1/notifications', {
          as: 'viewer',
          body: { type: 'alarm', severity: 'warning', object: 'cmp-1', message: 'x' },
        }),
        403,
        'ESC_FORBIDDEN',
      );
      // An operator may not roll back (admin only), and the engine journals the refusal.
      expectProblem(
        await call(api.base, 'POST', '/v1/campaigns/auth-1/actions/commit', { as: 'operator' }),
        403,
        'ESC_FORBIDDEN',
      );
      const journal = await wholeJournal(api.base, 'auth-1');
      expect(journal).toContainEqual(
        expect.objectContaining({
          type: 'audit',
          action: 'commit',
          allowed: false,
          principal: expect.objectContaining({ id: 'operator-1' }),
        }),
      );
      // The campaign did not move.
      expect((await call(api.base, 'GET', '/v1/campaigns/auth-1', { as: 'viewer' })).body.state).toBe(
        'created',
      );
    });

    it('never returns a token or a credential', async () => {
      expect((await create(api, 'ha', 'secrets-1')).status).toBe(201);
      const outputs = [
        await call(api.base, 'GET', '/v1/campaigns/secrets-1', { as: 'admin' }),
        await call(api.base, 'GET', '/v1/campaigns/secrets-1/plan', { as: 'admin' }),
        await call(api.base, 'GET', '/v1/campaigns/secrets-1/journal?limit=1000', { as: 'admin' }),
        await call(api.base, 'GET', '/v1/campaigns', { as: 'admin' }),
      ];
      const keys = new Set<string>();
      const walk = (value: unknown): void => {
        if (Array.isArray(value)) value.forEach(walk);
        else if (value !== null && typeof value === 'object')
          for (const [k, v] of Object.entries(value)) {
            keys.add(k);
            walk(v);
          }
      };
      for (const res of outputs) {
        expect(res.status).toBe(200);
        for (const token of Object.values(TOKENS)) expect(res.text).not.toContain(token);
        expect(res.text.toLowerCase()).not.toContain('bearer');
        walk(res.body);
      }
      // The only credential-looking field is the inventory's credentialsRef: a name, not a secret.
      expect([...keys].filter((k) => SECRET_KEY_PATTERN.test(k))).toEqual(['credentialsRef']);
    });
  });

  describe('malformed requests', () => {
    it('answers 400 to a body that is not JSON', async () => {
      const res = await call(api.base, 'POST', '/v1/campaigns', {
        as: 'operator',
        raw: '{"inventory": {,',
        headers: { 'content-type': 'application/json' },
      });
      expect(expectProblem(res, 400, 'ESC_INVALID_REQUEST').detail).toMatch(/not valid JSON/);
      expectProblem(
        await call(api.base, 'POST', '/v1/campaigns', {
          as: 'operator',
          headers: { 'content-type': 'application/json' },
        }),
        400,
        'ESC_INVALID_REQUEST',
      );
    });

    it('lists every schema problem of the documents with its path', async () => {
      const { inventory, campaign } = example('minimal');
      inventory.nodes[0].roles = ['compute', 'router'];
      inventory.nodes[1].capacity.vcpus = -4;
      inventory.nodes[2].colour = 'blue';
      delete campaign.target;
      const res = await call(api.base, 'POST', '/v1/campaigns', {
        as: 'operator',
        body: { id: 'bad-1', inventory, campaign, extra: true },
      });
      const problem = expectProblem(res, 400, 'ESC_INVALID_DOCUMENT');
      const paths = problem.errors?.map((e) => e.path) ?? [];
      expect(paths).toEqual(
        expect.arrayContaining([
          'inventory.nodes[0].roles[1]',
          'inventory.nodes[1].capacity.vcpus',
          'inventory.nodes[2].colour',
          'campaign.target',
          'extra',
        ]),
      );
      expect(problem.errors?.find((e) => e.path === 'inventory.nodes[2].colour')?.message).toMatch(
        /unknown field/,
      );
      // References are checked too, once the shapes are right.
      const { inventory: inv2, campaign: camp2 } = example('minimal');
      inv2.instances[0].host = 'cmp-404';
      const refs = expectProblem(
        await call(api.base, 'POST', '/v1/campaigns', {
          as: 'operator',
          body: { id: 'bad-2', inventory: inv2, campaign: camp2 },
        }),
        400,
        'ESC_INVALID_DOCUMENT',
      );
      expect(refs.errors?.[0]?.path).toBe('inventory.instances[0].host');
      expect((await call(api.base, 'GET', '/v1/campaigns/bad-1', { as: 'viewer' })).status).toBe(404);
    });

    it('answers 415 to a body that is not JSON by its type, and 413 to one too large', async () => {
      const body = JSON.stringify({ id: 'typed', ...example('minimal') });
      expectProblem(
        await call(api.base, 'POST', '/v1/campaigns', {
          as: 'operator',
          raw: body,
          headers: { 'content-type': 'text/plain' },
        }),
        415,
        'ESC_UNSUPPORTED_MEDIA_TYPE',
      );
      expectProblem(
        await call(api.base, 'POST', '/v1/campaigns', {
          as: 'operator',
          raw: body,
          headers: { 'content-type': 'application/json; charset=latin1' },
        }),
        415,
        'ESC_UNSUPPORTED_MEDIA_TYPE',
      );
      const huge = JSON.stringify({ id: 'huge', ...example('minimal'), padding: 'x'.repeat(1024 * 1024) });
      expectProblem(
        await call(api.base, 'POST', '/v1/campaigns', {
          as: 'operator',
          raw: huge,
          headers: { 'content-type': 'application/json' },
        }),
        413,
        'ESC_BODY_TOO_LARGE',
      );
      // Without Content-Length (chunked), the limit holds as the body arrives.
      const chunked = await new Promise<number>((resolve, reject) => {
        const req = request(`${api.base}/v1/campaigns`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKENS.operator}`, 'content-type': 'application/json' },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        for (let i = 0; i < 20; i++) req.write('x'.repeat(64 * 1024));
        req.end();
      });
      expect(chunked).toBe(413);
    });

    it('answers 422 when a given plan breaks the rules', async () => {
      expect((await create(api, 'minimal', 'plan-src')).status).toBe(201);
      const plan = (await call(api.base, 'GET', '/v1/campaigns/plan-src/plan', { as: 'viewer' })).body;
      plan.waves = plan.waves.slice(1).map((w: { index: number }, i: number) => ({ ...w, index: i }));
      const res = await call(api.base, 'POST', '/v1/campaigns', {
        as: 'operator',
        body: { id: 'plan-bad', ...example('minimal'), plan },
      });
      const problem = expectProblem(res, 422, 'ESC_INVALID_PLAN');
      expect(problem.errors?.length).toBeGreaterThan(0);
      // The plan as made is accepted as given.
      const good = (await call(api.base, 'GET', '/v1/campaigns/plan-src/plan', { as: 'viewer' })).body;
      expect(
        (
          await call(api.base, 'POST', '/v1/campaigns', {
            as: 'operator',
            body: { id: 'plan-given', ...example('minimal'), plan: good },
          })
        ).status,
      ).toBe(201);
    });

    it('checks query parameters and action bodies', async () => {
      expect((await create(api, 'minimal', 'query-1')).status).toBe(201);
      const bad = expectProblem(
        await call(api.base, 'GET', '/v1/campaigns/query-1/journal?after=-1&limit=5000&x=1', {
          as: 'viewer',
        }),
        400,
        'ESC_INVALID_REQUEST',
      );
      expect(bad.errors?.map((e) => e.path).sort()).toEqual(['after', 'limit', 'x']);
      expectProblem(
        await call(api.base, 'GET', '/v1/campaigns/query-1/events', {
          as: 'viewer',
          headers: { 'last-event-id': 'abc' },
        }),
        400,
        'ESC_INVALID_REQUEST',
      );
      expectProblem(
        await call(api.base, 'POST', '/v1/campaigns/query-1/actions/pause', {
          as: 'operator',
          body: { why: 'x' },
        }),
        400,
        'ESC_INVALID_REQUEST',
      );
    });
  });

  describe('not found and method not allowed', () => {
    it('answers 404 for an unknown campaign on every campaign route', async () => {
      for (const route of ROUTES.filter((r) => r.path.includes('{id}'))) {
        const path = route.path.replace('{id}', 'no-such-campaign').replace('{action}', 'start');
        const options =
          route.operationId === 'postNotification'
            ? {
                as: 'admin' as const,
                body: { type: 'alarm', severity: 'warning', object: 'x', message: 'y' },
              }
            : { as: 'admin' as const };
        expectProblem(await call(api.base, route.method, path, options), 404, 'ESC_NOT_FOUND');
      }
    });

    it('answers 404 for an unknown route or action and 405 with Allow for a wrong method', async () => {
      expectProblem(await call(api.base, 'GET', '/v2/campaigns', { as: 'admin' }), 404, 'ESC_NOT_FOUND');
      expectProblem(await call(api.base, 'GET', '/v1/campaigns/', { as: 'admin' }), 404, 'ESC_NOT_FOUND');
      expect((await create(api, 'minimal', 'route-1')).status).toBe(201);
      expectProblem(
        await call(api.base, 'POST', '/v1/campaigns/route-1/actions/explode', { as: 'admin' }),
        404,
        'ESC_NOT_FOUND',
      );
      const wrong = await call(api.base, 'DELETE', '/v1/campaigns/route-1', { as: 'admin' });
      expectProblem(wrong, 405, 'ESC_METHOD_NOT_ALLOWED');
      expect(wrong.headers.get('allow')).toBe('GET');
      expect((await call(api.base, 'PUT', '/v1/campaigns', { as: 'admin' })).headers.get('allow')).toBe(
        'POST, GET',
      );
    });
  });

  describe('campaigns', () => {
    it('creates, lists, shows and plans a campaign', async () => {
      const res = await create(api, 'minimal', 'life-1');
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe('/v1/campaigns/life-1');
      const created = valid(CampaignSummarySchema, res);
      expect(created).toMatchObject({ id: 'life-1', state: 'created', running: false, seq: 2 });
      expectProblem(await create(api, 'minimal', 'life-1'), 409, 'ESC_CONFLICT');
      const list = valid(CampaignListSchema, await call(api.base, 'GET', '/v1/campaigns', { as: 'viewer' }));
      expect(list.campaigns.map((c) => c.id)).toContain('life-1');
      const status = valid(
        CampaignStatusSchema,
        await call(api.base, 'GET', '/v1/campaigns/life-1', { as: 'viewer' }),
      );
      expect(status.nodes.map((n) => n.node)).toContain('cmp-1');
      expect(status.progress.percent).toBe(0);
      const plan = valid(
        PlanSchema,
        await call(api.base, 'GET', '/v1/campaigns/life-1/plan', { as: 'viewer' }),
      );
      expect(plan).toMatchObject({ apiVersion: 'escalator/v1', kind: 'Plan' });
      // The campaign id defaults to the campaign's name.
      const named = await call(api.base, 'POST', '/v1/campaigns', {
        as: 'operator',
        body: example('minimal'),
      });
      expect(named.body.id).toBe('computes-to-antelope');
      const journal = valid(
        JournalPageSchema,
        await call(api.base, 'GET', '/v1/campaigns/life-1/journal', { as: 'viewer' }),
      );
      expect(journal.records.map((r) => r.type)).toEqual(['created', 'audit']);
      expect(journal.records[1]).toMatchObject({
        action: 'create',
        allowed: true,
        principal: { id: 'operator-1' },
      });
    });

    it('of two concurrent starts, accepts exactly one and answers 409 to the other', async () => {
      expect((await create(api, 'minimal', 'race-1')).status).toBe(201);
      const results = await Promise.all(
        [0, 1].map(() => call(api.base, 'POST', '/v1/campaigns/race-1/actions/start', { as: 'operator' })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([202, 409]);
      const accepted = results.find((r) => r.status === 202)!;
      expect(valid(ActionResultSchema, accepted)).toMatchObject({ action: 'start', running: true });
      expect(accepted.body.state).not.toBe('created');
      expectProblem(results.find((r) => r.status === 409)!, 409, 'ESC_ILLEGAL_TRANSITION');
      await followUntil(api, 'race-1', 'completed');
      // Only one run: the engine saw a single start.
      const journal = (await wholeJournal(api.base, 'race-1')) as { type: string; event?: string }[];
      expect(journal.filter((r) => r.type === 'campaign' && r.event === 'start')).toHaveLength(1);
    });

    it('walks a campaign through its actions: gate, approve, pause, resume, commit, and refuses illegal ones', async () => {
      // After the gate, 14 waves are left: the pause sent right after the approval lands while they run.
      const paced = api;
      {
        expect((await create(paced, 'multi-site', 'walk-1')).status).toBe(201);
        const act = (action: string, as: 'operator' | 'admin' = 'operator', body?: unknown) =>
          call(paced.base, 'POST', `/v1/campaigns/walk-1/actions/${action}`, { as, body });
        expectProblem(await act('approve'), 409, 'ESC_ILLEGAL_TRANSITION');
        expect((await act('start')).status).toBe(202);
        // approveAfterWaves: [0] stops the campaign after its first wave.
        const toGate = await followUntil(paced, 'walk-1', 'paused');
        expect(JSON.parse(toGate.at(-1)?.data ?? '{}').reason).toMatch(/approval needed after wave 0/);
        const approved = await act('approve');
        expect(valid(ActionResultSchema, approved)).toMatchObject({ state: 'executing', running: true });
        // Pause while it runs: running steps finish, then it rests in paused with the reason given.
        const paused = await act('pause', 'operator', { reason: 'change freeze' });
        expect(paused.status).toBe(202);
        expect(paused.body.running).toBe(true);
        const stream = await openEvents(paced.base, 'walk-1', { lastEventId: String(approved.body.seq) });
        const records = await readRecords(stream, restsIn('paused', 'completed'));
        await stream.close();
        const rest = JSON.parse(records.at(-1)?.data ?? '{}');
        expect(rest).toMatchObject({ to: 'paused', reason: expect.stringContaining('change freeze') });
        // Steps that were running when the pause was asked for finished and were journaled.
        const steps = new Map<string, string>();
        for (const r of (await wholeJournal(paced.base, 'walk-1')) as {
          type: string;
          step: string;
          to: string;
        }[])
          if (r.type === 'step') steps.set(r.step, r.to);
        expect([...steps.values()]).not.toContain('running');
        expectProblem(await act('pause'), 409, 'ESC_ILLEGAL_TRANSITION');
        expectProblem(await act('commit', 'admin'), 409, 'ESC_ILLEGAL_TRANSITION');
        expect((await act('resume')).status).toBe(202);
        await followUntil(paced, 'walk-1', 'completed');
        expectProblem(await act('resume'), 409, 'ESC_ILLEGAL_TRANSITION');
        expectProblem(await act('start'), 409, 'ESC_ILLEGAL_TRANSITION');
        const committed = await act('commit', 'admin');
        expect(valid(ActionResultSchema, committed)).toMatchObject({ state: 'committed', running: false });
        expectProblem(await act('rollback', 'admin'), 409, 'ESC_ILLEGAL_TRANSITION');
        const alarms = await call(paced.base, 'GET', '/v1/campaigns/walk-1/alarms', { as: 'viewer' });
        expect(valid(AlarmListSchema, alarms).alarms).toBeInstanceOf(Array);
      }
    });

    it('rolls back a completed campaign, aborts a running one', async () => {
      expect((await create(api, 'minimal', 'undo-1')).status).toBe(201);
      expect(
        (await call(api.base, 'POST', '/v1/campaigns/undo-1/actions/start', { as: 'operator' })).status,
      ).toBe(202);
      await followUntil(api, 'undo-1', 'completed');
      const rollback = await call(api.base, 'POST', '/v1/campaigns/undo-1/actions/rollback', { as: 'admin' });
      expect(rollback.status).toBe(202);
      expect(rollback.body).toMatchObject({ state: 'rolling-back', running: true });
      // Undone step by step, or (when an undo is impossible) restored from the backups.
      const end = await followUntil(api, 'undo-1', 'rolled-back', 'restored', 'failed');
      expect(['rolled-back', 'restored']).toContain(JSON.parse(end.at(-1)?.data ?? '{}').to);

      expect((await create(api, 'ha', 'abort-1')).status).toBe(201);
      expect(
        (await call(api.base, 'POST', '/v1/campaigns/abort-1/actions/start', { as: 'operator' })).status,
      ).toBe(202);
      const stream = await openEvents(api.base, 'abort-1');
      await readRecords(stream, (r) => r.type === 'wave');
      await stream.close();
      const aborted = await call(api.base, 'POST', '/v1/campaigns/abort-1/actions/abort', {
        as: 'admin',
        body: { reason: 'wrong cloud' },
      });
      expect(aborted.status).toBe(202);
      expect(aborted.body).toMatchObject({ state: 'failed', running: false });
      expect(aborted.body.reason).toContain('wrong cloud');
    });
  });

  describe('events', () => {
    it('sends one event per journal record, and a reconnecting client gets exactly what it missed', async () => {
      expect((await create(api, 'ha', 'sse-1')).status).toBe(201);
      expect(
        (await call(api.base, 'POST', '/v1/campaigns/sse-1/actions/start', { as: 'operator' })).status,
      ).toBe(202);
      const first = await openEvents(api.base, 'sse-1');
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      const before = await readRecords(first, () => false, 40);
      await first.close();
      // The campaign goes on while the client is away.
      const lastId = before.at(-1)?.seq ?? 0;
      const again = await openEvents(api.base, 'sse-1', { lastEventId: String(lastId) });
      const after = await readRecords(again, restsIn('completed'));
      await again.close();
      const seqs = [...before, ...after].map((r) => r.seq);
      const journal = (await wholeJournal(api.base, 'sse-1')) as { seq: number; type: string }[];
      expect(seqs).toEqual(journal.map((r) => r.seq)); // no gap, no duplicate, in order
      expect([...before, ...after].map((r) => r.type)).toEqual(journal.map((r) => r.type));
      expect(JSON.parse(after.at(-1)?.data ?? '{}')).toEqual(journal.at(-1));

      // ?lastEventId= does the same for clients that cannot set headers; heartbeats follow the replay.
      const tail = await openEvents(api.base, 'sse-1', { query: `?lastEventId=${journal.length - 3}` });
      const events = [];
      for (
        let e = await tail.next();
        e && !(e.event === 'comment' && e.data.includes('heartbeat'));
        e = await tail.next()
      )
        events.push(e);
      await tail.close();
      expect(events.filter((e) => e.id !== undefined).map((e) => Number(e.id))).toEqual(
        journal.slice(-3).map((r) => r.seq),
      );
    });

    it('drives the ha example only over HTTP: create, start, follow events until completed, every node upgraded', async () => {
      const created = await create(api, 'ha', 'ha-http');
      expect(created.status).toBe(201);
      const stream = await openEvents(api.base, 'ha-http', { as: 'operator' });
      expect(
        (await call(api.base, 'POST', '/v1/campaigns/ha-http/actions/start', { as: 'operator' })).status,
      ).toBe(202);
      const records = await readRecords(stream, restsIn('completed', 'failed', 'paused'));
      await stream.close();
      expect(JSON.parse(records.at(-1)?.data ?? '{}').to).toBe('completed');
      expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
      const status = valid(
        CampaignStatusSchema,
        await call(api.base, 'GET', '/v1/campaigns/ha-http', { as: 'viewer' }),
      );
      expect(status.state).toBe('completed');
      expect(status.progress.percent).toBe(100);
      expect(status.nodes).toHaveLength(35);
      expect(status.nodes.every((n) => n.state === 'upgraded')).toBe(true);
      expect(status.modules.every((m) => m.upgraded === m.nodes)).toBe(true);
      expect(status.sites.every((s) => s.upgraded === s.nodes)).toBe(true);
    });
  });

  describe('notifications', () => {
    it('takes alarms, node events and maintenance replies, journaled and visible', async () => {
      expect((await create(api, 'minimal', 'notify-1')).status).toBe(201);
      const alarm = await call(api.base, 'POST', '/v1/campaigns/notify-1/notifications', {
        as: 'operator',
        body: { type: 'alarm', severity: 'warning', object: 'cmp-2', message: 'fan speed high' },
      });
      expect(alarm.status).toBe(202);
      const { seq } = valid(NotificationResultSchema, alarm);
      const node = await call(api.base, 'POST', '/v1/campaigns/notify-1/notifications', {
        as: 'operator',
        body: { type: 'node-event', node: 'cmp-1', event: 'up' },
      });
      expect(node.status).toBe(202);
      const reply = await call(api.base, 'POST', '/v1/campaigns/notify-1/notifications', {
        as: 'operator',
        body: { type: 'maintenance-reply', notice: 'notify-1/w1.notify.vnf', reply: 'ack' },
      });
      expect(reply.status).toBe(202);
      const page = valid(
        JournalPageSchema,
        await call(api.base, 'GET', `/v1/campaigns/notify-1/journal?after=${seq - 2}`, { as: 'viewer' }),
      );
      expect(page.records).toContainEqual(
        expect.objectContaining({
          type: 'alarm',
          alarm: expect.objectContaining({
            code: 'external-alarm',
            object: 'cmp-2',
            message: 'fan speed high',
          }),
        }),
      );
      expect(page.records).toContainEqual(
        expect.objectContaining({
          type: 'audit',
          action: 'notify',
          allowed: true,
          principal: expect.objectContaining({ id: 'operator-1' }),
        }),
      );
      const alarms = valid(
        AlarmListSchema,
        await call(api.base, 'GET', '/v1/campaigns/notify-1/alarms', { as: 'viewer' }),
      );
      expect(alarms.alarms.map((a) => a.code)).toEqual(['external-alarm', 'node-up']);
      const invalid = expectProblem(
        await call(api.base, 'POST', '/v1/campaigns/notify-1/notifications', {
          as: 'operator',
          body: { type: 'maintenance-reply', notice: 'n', reply: 'maybe' },
        }),
        400,
        'ESC_INVALID_REQUEST',
      );
      expect(invalid.errors?.map((e) => e.path)).toEqual(['reply']);
    });
  });
});

describe('request timeout', () => {
  it('answers 408 when the body does not arrive in time', async () => {
    const api = await startApi({ handler: { requestTimeoutMs: 300 } });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${api.base}/v1/campaigns`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${TOKENS.operator}`,
            'content-type': 'application/json',
            'content-length': '100',
          },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.write('{"id":'); // and nothing more
      });
      expect(status).toBe(408);
    } finally {
      await api.close();
    }
  });
});

describe('service restart', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'escalator-http-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('pauses running campaigns on a graceful shutdown; a new service opens and resumes them', async () => {
    const options = {
      simulatorDirectory: join(directory, '.simulator'),
      speed: 2000,
    };
    const first = await startApi({ ...options, store: createFileStore({ directory }) });
    expect((await create(first, 'minimal', 'restart-1')).status).toBe(201);
    expect(
      (await call(first.base, 'POST', '/v1/campaigns/restart-1/actions/start', { as: 'operator' })).status,
    ).toBe(202);
    const stream = await openEvents(first.base, 'restart-1');
    await readRecords(stream, (r) => r.type === 'step' && JSON.parse(r.data).to === 'succeeded');
    const closing = first.close();
    // The stream ends with the service; new requests are refused meanwhile.
    await readRecords(stream, () => false);
    await stream.close();
    await closing;
    const journal = await first.store.read('restart-1');
    const last = journal.filter((r) => r.type === 'campaign').at(-1);
    expect(last).toMatchObject({ to: 'paused', reason: expect.stringContaining('shutting down') });
    const lastAt = Date.parse(String(journal.at(-1)?.['at']));

    const second = await startApi({ ...options, store: createFileStore({ directory }), start: lastAt + 1 });
    try {
      const status = valid(
        CampaignStatusSchema,
        await call(second.base, 'GET', '/v1/campaigns/restart-1', { as: 'viewer' }),
      );
      expect(status).toMatchObject({ state: 'paused', running: false });
      expect(
        (await call(second.base, 'POST', '/v1/campaigns/restart-1/actions/resume', { as: 'operator' }))
          .status,
      ).toBe(202);
      await followUntil(second, 'restart-1', 'completed');
      const done = valid(
        CampaignStatusSchema,
        await call(second.base, 'GET', '/v1/campaigns/restart-1', { as: 'viewer' }),
      );
      expect(done.nodes.filter((n) => n.wave !== undefined).every((n) => n.state === 'upgraded')).toBe(true);
      // Nothing was journaled twice: the records read back and replay.
      const all = await wholeJournal(second.base, 'restart-1');
      expect(all.map((r) => (r as { seq: number }).seq)).toEqual(all.map((_, i) => i + 1));
    } finally {
      await second.close();
    }
  });
});
