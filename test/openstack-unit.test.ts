/**
 * The OpenStack adapter against a real HTTP server on 127.0.0.1 replaying canned Keystone, Nova,
 * Placement and Neutron answers: the exact failure shapes (5xx, 429, 404, resets, timeouts), token
 * renewal on a virtual clock, microversion negotiation, and the mapping of Nova's records.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createKeystoneSession,
  createOpenStackVim,
  importInventory,
  type KeystoneSession,
  keystoneTokenVerifier,
  mapMigrationStatus,
  NOVA_MAX_MICROVERSION,
} from '../src/adapters/openstack/index.js';
import { createVirtualClock } from '../src/clock/virtual-clock.js';
import { AdapterError, EscalatorError } from '../src/errors.js';
import { type FakeOpenStack, startFakeOpenStack, tokenBody } from './support/fake-openstack-server.js';

const PASSWORD = 'hunter2-very-secret';
const TOKEN = 'gAAAAABtoken-secret-1';

let os: FakeOpenStack;

function routeKeystone(fake: FakeOpenStack, options: Parameters<typeof tokenBody>[1] = {}) {
  let n = 0;
  fake.route('POST /identity/v3/auth/tokens', () => {
    n++;
    return {
      status: 201,
      headers: {
        'X-Subject-Token': n === 1 ? TOKEN : `${TOKEN}-${n}`,
        'x-openstack-request-id': `req-ks-${n}`,
      },
      body: tokenBody(fake.url, options),
    };
  });
}

function routeNovaVersion(fake: FakeOpenStack, max: string, min = '2.1') {
  fake.route('GET /compute/v2.1/', {
    body: { version: { id: 'v2.1', status: 'CURRENT', version: max, min_version: min, links: [] } },
  });
}

function session(fake: FakeOpenStack, extra: Partial<Parameters<typeof createKeystoneSession>[0]> = {}) {
  return createKeystoneSession({
    authUrl: `${fake.url}/identity`,
    credentials: { password: { username: 'admin', password: PASSWORD, projectName: 'admin' } },
    region: 'RegionOne',
    ...extra,
  });
}

async function rejection(promise: Promise<unknown>): Promise<AdapterError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AdapterError);
    return error as AdapterError;
  }
  throw new Error('expected a rejection');
}

beforeEach(async () => {
  os = await startFakeOpenStack();
  routeKeystone(os);
  routeNovaVersion(os, '2.93');
});
afterEach(async () => {
  await os.close();
});

describe('JSON client errors', () => {
  let s: KeystoneSession;
  beforeEach(() => {
    s = session(os);
  });

  it('maps a 5xx to a transient error with the request id and the service explanation', async () => {
    os.route('GET /compute/v2.1/os-services', {
      status: 503,
      headers: { 'x-openstack-request-id': 'req-503' },
      body: { computeFault: { code: 503, message: 'Service Unavailable: nova-conductor is away' } },
    });
    const vim = createOpenStackVim({ session: s });
    const e = await rejection(vim.listComputeServices());
    expect(e.retryable).toBe(true);
    expect(e.reason).toBe('http-503');
    expect(e.requestId).toBe('req-503');
    expect(e.message).toContain('nova-conductor is away');
    expect(e.message).toContain('req-503');
    expect(EscalatorError.is(e)).toBe(true);
    expect(e.code).toBe('ESC_ADAPTER_FAILURE');
  });

  it('maps a 429 to a transient error carrying Retry-After', async () => {
    os.route('GET /compute/v2.1/os-services', {
      status: 429,
      headers: { 'Retry-After': '7', 'x-compute-request-id': 'req-429' },
      body: { overLimit: { code: 429, message: 'Too many requests' } },
    });
    const e = await rejection(createOpenStackVim({ session: s }).listComputeServices());
    expect(e.retryable).toBe(true);
    expect(e.reason).toBe('http-429');
    expect(e.retryAfterSeconds).toBe(7);
    expect(e.requestId).toBe('req-429');
  });

  it('maps a 404 to a permanent error with the compute request id', async () => {
    os.route('GET /compute/v2.1/servers/0b9c5f3e-2f7e-4c53-9d7a-6f0d1b1d2a11', {
      status: 404,
      headers: { 'x-compute-request-id': 'req-404' },
      body: { itemNotFound: { code: 404, message: 'Instance could not be found.' } },
    });
    os.route('GET /compute/v2.1/servers/0b9c5f3e-2f7e-4c53-9d7a-6f0d1b1d2a11/action', { status: 404 });
    const e = await rejection(
      s.request({
        url: `${os.url}/compute/v2.1/servers/0b9c5f3e-2f7e-4c53-9d7a-6f0d1b1d2a11`,
        service: 'nova',
      }),
    );
    expect(e.retryable).toBe(false);
    expect(e.reason).toBe('http-404');
    expect(e.requestId).toBe('req-404');
    expect(e.message).toContain('Instance could not be found.');
  });

  it('maps a connection reset and a timeout to transient errors', async () => {
    os.route('GET /compute/v2.1/os-services', { reset: true });
    const reset = await rejection(createOpenStackVim({ session: s }).listComputeServices());
    expect(reset.retryable).toBe(true);
    expect(reset.reason).toBe('http-unreachable');
    expect(reset.message).toMatch(/UND_ERR_SOCKET|ECONNRESET/);

    const slow = session(os, { request: { timeoutMs: 200 } });
    os.route('GET /compute/v2.1/os-services', { hang: true });
    const timeout = await rejection(createOpenStackVim({ session: slow }).listComputeServices());
    expect(timeout.retryable).toBe(true);
    expect(timeout.reason).toBe('http-timeout');
  });

  it('maps a refused connection to a transient error', async () => {
    const closed = await startFakeOpenStack();
    const url = closed.url;
    await closed.close();
    const dead = createKeystoneSession({
      authUrl: `${url}/v3`,
      credentials: { applicationCredential: { id: 'ac', secret: 'ac-secret' } },
    });
    const e = await rejection(dead.token());
    expect(e.retryable).toBe(true);
    expect(e.reason).toBe('http-unreachable');
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('sends Connection: close, the token and the microversion on every request', async () => {
    os.route('GET /compute/v2.1/os-services', { body: { services: [] } });
    await createOpenStackVim({ session: s }).listComputeServices();
    expect(os.log.length).toBeGreaterThanOrEqual(3);
    for (const r of os.log) expect(r.headers.connection).toBe('close');
    const call = os.calls('GET /compute/v2.1/os-services')[0]!;
    expect(call.headers['x-auth-token']).toBe(TOKEN);
    expect(call.headers['openstack-api-version']).toBe(`compute ${NOVA_MAX_MICROVERSION}`);
    expect(call.headers['x-openstack-nova-api-version']).toBe(NOVA_MAX_MICROVERSION);
    expect(call.query.get('binary')).toBe('nova-compute');
  });

  it('never puts passwords or tokens in error messages', async () => {
    os.route('POST /identity/v3/auth/tokens', {
      status: 401,
      headers: { 'x-openstack-request-id': 'req-401' },
      body: {
        error: {
          code: 401,
          title: 'Unauthorized',
          message: `bad password=${PASSWORD} for X-Auth-Token: ${TOKEN}`,
        },
      },
    });
    const e = await rejection(session(os).token());
    expect(e.retryable).toBe(false);
    expect(e.reason).toBe('http-401');
    expect(e.requestId).toBe('req-401');
    const everything = `${e.message} ${JSON.stringify(e)} ${String(e.stack)}`;
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(TOKEN);
  });

  it('rejects with the signal reason when the caller aborts', async () => {
    os.route('GET /compute/v2.1/os-services', { hang: true });
    const controller = new AbortController();
    const call = createOpenStackVim({ session: s }).listComputeServices({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('operator stopped it')), 50);
    await expect(call).rejects.toThrow('operator stopped it');
  });
});

describe('Keystone session', () => {
  it('renews the token before it expires, measured on its own clock (server clock skewed)', async () => {
    const clock = createVirtualClock();
    // Tokens last one hour (server time in 2020; the local clock is in 2026): renewed 5 min before.
    const s = session(os, { clock });
    expect(await s.token()).toBe(TOKEN);
    await clock.advance(50 * 60_000);
    expect(await s.token()).toBe(TOKEN);
    expect(os.calls('POST /identity/v3/auth/tokens')).toHaveLength(1);
    await clock.advance(6 * 60_000);
    expect(await s.token()).toBe(`${TOKEN}-2`);
    expect(os.calls('POST /identity/v3/auth/tokens')).toHaveLength(2);
  });

  it('shares one authentication between concurrent callers', async () => {
    const s = session(os);
    const tokens = await Promise.all([s.token(), s.token(), s.token()]);
    expect(new Set(tokens)).toEqual(new Set([TOKEN]));
    expect(os.calls('POST /identity/v3/auth/tokens')).toHaveLength(1);
  });

  it('sends password and application-credential bodies as Keystone v3 expects', async () => {
    await session(os).token();
    const app = createKeystoneSession({
      authUrl: `${os.url}/identity/v3/`,
      credentials: { applicationCredential: { id: 'ac-1', secret: 'ac-secret' } },
    });
    await app.token();
    const [password, appCred] = os.calls('POST /identity/v3/auth/tokens').map((r) => r.body);
    expect(password).toEqual({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { name: 'Default' }, password: PASSWORD } },
        },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    });
    expect(appCred).toEqual({
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: { id: 'ac-1', secret: 'ac-secret' },
        },
      },
    });
  });

  it('re-authenticates once when a service says 401', async () => {
    os.route('GET /compute/v2.1/os-services', [
      { status: 401, body: { error: { message: 'token revoked' } } },
      { body: { services: [] } },
    ]);
    const vim = createOpenStackVim({ session: session(os) });
    await expect(vim.listComputeServices()).resolves.toEqual([]);
    expect(os.calls('POST /identity/v3/auth/tokens')).toHaveLength(2);
    const [first, second] = os.calls('GET /compute/v2.1/os-services');
    expect(first?.headers['x-auth-token']).toBe(TOKEN);
    expect(second?.headers['x-auth-token']).toBe(`${TOKEN}-2`);
  });

  it('finds endpoints by type, interface and region, and says what the catalog has when not', async () => {
    const s = session(os);
    expect(await s.endpoint('compute')).toBe(`${os.url}/compute/v2.1`);
    expect(await s.endpoint('compute', { interface: 'internal' })).toBe(`${os.url}/internal/compute/v2.1`);
    expect(await s.endpoint('compute', { region: 'RegionTwo' })).toBe(`${os.url}/r2/compute/v2.1`);
    expect(await s.findEndpoint('volumev3')).toBeUndefined();
    const e = await rejection(s.endpoint('volumev3'));
    expect(e.reason).toBe('endpoint-not-found');
    expect(e.retryable).toBe(false);
    expect(e.message).toContain('compute');
    const overridden = session(os, { endpointOverride: { compute: 'http://10.0.0.9:8774/v2.1/' } });
    expect(await overridden.endpoint('compute')).toBe('http://10.0.0.9:8774/v2.1');
  });

  it('validates tokens, and the verifier turns them into principals with Keystone role names', async () => {
    os.route('GET /identity/v3/auth/tokens', (r) =>
      r.headers['x-subject-token'] === 'user-token'
        ? {
            body: tokenBody(os.url, {
              roles: ['member', 'escalator-operator'],
              expiresAt: '2030-01-01T00:00:00Z',
            }),
          }
        : { status: 404, body: { error: { code: 404, message: 'Could not find token' } } },
    );
    const s = session(os);
    const info = await s.validateToken('user-token');
    expect(info).toEqual({
      id: 'u-1',
      name: 'admin',
      domainId: 'default',
      roles: ['member', 'escalator-operator'],
      projectId: 'p-1',
      projectName: 'admin',
      expiresAt: '2030-01-01T00:00:00Z',
    });
    expect(await s.validateToken('bogus')).toBeUndefined();
    const verify = keystoneTokenVerifier(s);
    expect(await verify('user-token')).toEqual({
      id: 'u-1',
      roles: ['member', 'escalator-operator'],
      via: 'keystone',
    });
    expect(await verify('bogus')).toBeUndefined();
    expect((await keystoneTokenVerifier(s, { principalId: 'user-name' })('user-token'))?.id).toBe('admin');
    // Our own token authenticates the validation; the subject is the one checked.
    const call = os.calls('GET /identity/v3/auth/tokens')[0]!;
    expect(call.headers['x-auth-token']).toBe(TOKEN);
  });

  it('refuses unusable options with a message that says how to fix them', () => {
    expect(() =>
      createKeystoneSession({
        authUrl: 'controller:5000',
        credentials: { applicationCredential: { id: 'a', secret: 'b' } },
      }),
    ).toThrow(/authUrl/);
    expect(() =>
      createKeystoneSession({
        authUrl: 'http://k:5000',
        credentials: {} as never,
      }),
    ).toThrow(/exactly one/);
    expect(() => createOpenStackVim({} as never)).toThrow(/session/);
  });
});

describe('Nova microversions', () => {
  it('fails with nova-too-old, naming the versions, when the cloud is older than the minimum', async () => {
    routeNovaVersion(os, '2.42');
    const e = await rejection(createOpenStackVim({ session: session(os) }).listComputeServices());
    expect(e.reason).toBe('nova-too-old');
    expect(e.retryable).toBe(false);
    expect(e.message).toContain('2.42');
    expect(e.message).toContain('2.56');
    expect(os.calls('GET /compute/v2.1/os-services')).toHaveLength(0);
  });

  it('fails with nova-too-old on a v2.0 API without microversions', async () => {
    os.route('GET /compute/v2.1/', { body: { version: { id: 'v2.0', version: '', min_version: '' } } });
    const e = await rejection(createOpenStackVim({ session: session(os) }).listComputeServices());
    expect(e.reason).toBe('nova-too-old');
  });

  it('uses the cloud maximum when lower than the preferred one, and caps a newer cloud', async () => {
    routeNovaVersion(os, '2.79');
    expect(await createOpenStackVim({ session: session(os) }).nova.microversion()).toBe('2.79');
    routeNovaVersion(os, '2.96');
    expect(await createOpenStackVim({ session: session(os) }).nova.microversion()).toBe(
      NOVA_MAX_MICROVERSION,
    );
    routeNovaVersion(os, '2.96');
    expect(await createOpenStackVim({ session: session(os), microversion: '2.60' }).nova.microversion()).toBe(
      '2.60',
    );
    const e = await rejection(
      createOpenStackVim({ session: session(os), microversion: '2.97' }).nova.microversion(),
    );
    expect(e.reason).toBe('nova-microversion-unsupported');
  });
});

describe('Nova as a Vim', () => {
  const services = [
    {
      id: 'svc-1',
      binary: 'nova-compute',
      host: 'cmp-1',
      zone: 'az1',
      status: 'enabled',
      state: 'up',
      disabled_reason: null,
      forced_down: false,
      updated_at: '2026-01-01T00:00:00.000000',
    },
    {
      id: 'svc-2',
      binary: 'nova-compute',
      host: 'cmp-2',
      zone: 'az1',
      status: 'disabled',
      state: 'down',
      disabled_reason: 'broken fan',
      forced_down: false,
      updated_at: '2025-12-31T00:00:00.000000',
    },
    {
      id: 'svc-3',
      binary: 'nova-compute',
      host: 'cmp-3',
      zone: 'az2',
      status: 'enabled',
      state: 'down',
      disabled_reason: null,
      forced_down: true,
      updated_at: null,
    },
  ];
  const ID = '5d8f8e4c-0a3b-4c57-9d54-1c1f4b0a0001';

  beforeEach(() => {
    os.route('GET /compute/v2.1/os-services', (r) => ({
      body: { services: services.filter((s) => !r.query.get('host') || s.host === r.query.get('host')) },
    }));
  });

  it('lists compute services, disables with a reason and enables by service UUID', async () => {
    os.route('PUT /compute/v2.1/os-services/svc-1', (r) => ({
      body: { service: { id: 'svc-1', ...(r.body as object) } },
    }));
    const vim = createOpenStackVim({ session: session(os) });
    const list = await vim.listComputeServices();
    expect(
      list.map(({ host, status, state, disabledReason }) => ({ host, status, state, disabledReason })),
    ).toEqual([
      { host: 'cmp-1', status: 'enabled', state: 'up', disabledReason: undefined },
      { host: 'cmp-2', status: 'disabled', state: 'down', disabledReason: 'broken fan' },
      { host: 'cmp-3', status: 'enabled', state: 'down', disabledReason: undefined },
    ]);
    await vim.disableComputeService('cmp-1', 'escalator c1: w1.disable');
    await vim.enableComputeService('cmp-1');
    expect(os.calls('PUT /compute/v2.1/os-services/svc-1').map((r) => r.body)).toEqual([
      { status: 'disabled', disabled_reason: 'escalator c1: w1.disable' },
      { status: 'enabled' },
    ]);
    const e = await rejection(vim.disableComputeService('cmp-9', 'x'));
    expect(e.reason).toBe('unknown-compute-host');
    expect(e.message).toContain('cmp-1');
  });

  it('reports compute services down or forced down as critical alarms', async () => {
    const alarms = await createOpenStackVim({ session: session(os) }).listAlarms();
    expect(alarms.map((a) => [a.resource, a.severity, a.id])).toEqual([
      ['cmp-2', 'critical', 'nova-compute-down:cmp-2'],
      ['cmp-3', 'critical', 'nova-compute-forced-down:cmp-3'],
    ]);
  });

  it('takes hypervisor capacity from Placement from 2.88 on, and from Nova before', async () => {
    const hv = {
      id: 'rp-1',
      hypervisor_hostname: 'cmp-1.example',
      state: 'up',
      status: 'enabled',
      service: { host: 'cmp-1', id: 'svc-1' },
      servers: [
        { uuid: 'a', name: 'a' },
        { uuid: 'b', name: 'b' },
      ],
    };
    os.route('GET /compute/v2.1/os-hypervisors/detail', (r) => ({
      body: {
        hypervisors: [
          r.headers['x-openstack-nova-api-version'] === '2.87'
            ? {
                ...hv,
                servers: undefined,
                vcpus: 8,
                vcpus_used: 2,
                memory_mb: 16384,
                memory_mb_used: 4096,
                local_gb: 100,
                running_vms: 2,
              }
            : hv,
        ],
      },
    }));
    os.route('GET /placement/resource_providers', {
      body: { resource_providers: [{ uuid: 'rp-1', name: 'cmp-1.example', generation: 3 }] },
    });
    os.route('GET /placement/resource_providers/rp-1/inventories', {
      body: {
        resource_provider_generation: 3,
        inventories: {
          VCPU: { total: 8, reserved: 0, allocation_ratio: 16, min_unit: 1, max_unit: 8, step_size: 1 },
          MEMORY_MB: {
            total: 16384,
            reserved: 512,
            allocation_ratio: 1.5,
            min_unit: 1,
            max_unit: 16384,
            step_size: 1,
          },
          DISK_GB: { total: 100, reserved: 0, allocation_ratio: 1, min_unit: 1, max_unit: 100, step_size: 1 },
        },
      },
    });
    os.route('GET /placement/resource_providers/rp-1/usages', {
      body: { resource_provider_generation: 3, usages: { VCPU: 2, MEMORY_MB: 4096, DISK_GB: 20 } },
    });
    const current = await createOpenStackVim({ session: session(os) }).listHypervisors();
    expect(current).toEqual([
      expect.objectContaining({
        host: 'cmp-1',
        state: 'up',
        vcpus: 8,
        memoryMiB: 15872,
        vcpusUsed: 2,
        memoryMiBUsed: 4096,
        diskGiB: 100,
        runningVms: 2,
        allocationRatios: { cpu: 16, memory: 1.5, disk: 1 },
        capacitySource: 'placement',
      }),
    ]);
    expect(os.calls('GET /compute/v2.1/os-hypervisors/detail')[0]?.query.get('with_servers')).toBe('true');
    const old = await createOpenStackVim({ session: session(os), microversion: '2.87' }).listHypervisors();
    expect(old).toEqual([
      expect.objectContaining({
        host: 'cmp-1',
        vcpus: 8,
        memoryMiB: 16384,
        vcpusUsed: 2,
        runningVms: 2,
        capacitySource: 'nova',
      }),
    ]);
  });

  it('lists a host’s instances across pages, by inventory name when given', async () => {
    const server = (n: number) => ({
      id: `00000000-0000-4000-8000-00000000000${n}`,
      name: `vm-${n}`,
      status: 'ACTIVE',
      'OS-EXT-SRV-ATTR:host': 'cmp-1',
    });
    os.route('GET /compute/v2.1/servers/detail', (r) => {
      const marker = r.query.get('marker');
      if (!marker)
        return {
          body: {
            servers: [server(1), server(2)],
            servers_links: [
              {
                rel: 'next',
                href: `http://public.example/v2.1/servers/detail?limit=2&marker=${server(2).id}`,
              },
            ],
          },
        };
      return { body: { servers: [server(3)] } };
    });
    const vim = createOpenStackVim({
      session: session(os),
      pageSize: 2,
      instances: [{ name: 'web-a', id: server(3).id }],
    });
    const list = await vim.listInstances('cmp-1');
    expect(list.map((i) => i.name)).toEqual(['vm-1', 'vm-2', 'web-a']);
    const calls = os.calls('GET /compute/v2.1/servers/detail');
    expect(calls.map((c) => c.query.get('marker'))).toEqual([null, server(2).id]);
    expect(calls[0]?.query.get('host')).toBe('cmp-1');
    expect(calls[0]?.query.get('all_tenants')).toBe('1');
  });

  it('resolves instance names once, and refuses an ambiguous name', async () => {
    os.route('GET /compute/v2.1/servers/detail', (r) => ({
      body: {
        servers:
          r.query.get('name') === '^web\\.1$'
            ? [
                { id: ID, name: 'web.1', status: 'ACTIVE' },
                { id: 'other', name: 'web.10', status: 'ACTIVE' },
              ]
            : [
                { id: 'd1', name: 'dup', status: 'ACTIVE' },
                { id: 'd2', name: 'dup', status: 'ACTIVE' },
              ],
      },
    }));
    const vim = createOpenStackVim({ session: session(os) });
    expect(await vim.nova.resolveInstance('web.1')).toBe(ID);
    expect(await vim.nova.resolveInstance('web.1')).toBe(ID);
    expect(os.calls('GET /compute/v2.1/servers/detail')).toHaveLength(1);
    const e = await rejection(vim.nova.resolveInstance('dup'));
    expect(e.reason).toBe('instance-ambiguous');
  });

  describe('migrations', () => {
    let server: Record<string, unknown>;
    let records: Record<string, unknown>[];
    beforeEach(() => {
      server = {
        id: ID,
        name: 'web-1',
        status: 'ACTIVE',
        'OS-EXT-SRV-ATTR:host': 'cmp-1',
        'OS-EXT-STS:task_state': null,
      };
      records = [
        {
          id: 7,
          status: 'completed',
          instance_uuid: ID,
          source_compute: 'cmp-3',
          dest_compute: 'cmp-1',
          migration_type: 'live-migration',
        },
      ];
      os.route(`GET /compute/v2.1/servers/${ID}`, () => ({ body: { server } }));
      os.route('GET /compute/v2.1/os-migrations', () => ({ body: { migrations: records } }));
      os.route(`POST /compute/v2.1/servers/${ID}/action`, { status: 202 });
    });

    it('follows a live migration from accepted to completed, not trusting the 202', async () => {
      const vim = createOpenStackVim({ session: session(os) });
      expect(await vim.migrationStatus(ID)).toEqual({ status: 'completed', host: 'cmp-1' });
      await vim.migrate(ID, { mode: 'live', target: 'cmp-2' });
      expect(os.calls(`POST /compute/v2.1/servers/${ID}/action`)[0]?.body).toEqual({
        'os-migrateLive': { host: 'cmp-2', block_migration: 'auto' },
      });
      // Accepted, no record yet: the old completed record is not taken for this migration.
      server = { ...server, status: 'MIGRATING', 'OS-EXT-STS:task_state': 'migrating' };
      expect((await vim.migrationStatus(ID)).status).toBe('queued');
      records = [
        { ...records[0], id: 8, status: 'running', source_compute: 'cmp-1', dest_compute: 'cmp-2' },
        ...records,
      ];
      expect(await vim.migrationStatus(ID)).toMatchObject({ status: 'running', host: 'cmp-1' });
      // The host changed and the task ended, but the record still says running: still running.
      server = {
        ...server,
        status: 'ACTIVE',
        'OS-EXT-SRV-ATTR:host': 'cmp-2',
        'OS-EXT-STS:task_state': null,
      };
      expect(await vim.migrationStatus(ID)).toMatchObject({ status: 'running', host: 'cmp-2' });
      records = [{ ...records[0], status: 'completed' }, ...records.slice(1)];
      expect(await vim.migrationStatus(ID)).toEqual({ status: 'completed', host: 'cmp-2' });
    });

    it('reports a refused migration as an error with why, though Nova answered 202', async () => {
      const vim = createOpenStackVim({ session: session(os) });
      await vim.migrate(ID, { mode: 'live', target: 'cmp-2' });
      records = [
        {
          id: 8,
          status: 'error',
          instance_uuid: ID,
          source_compute: 'cmp-1',
          dest_compute: 'cmp-2',
          migration_type: 'live-migration',
        },
        ...records,
      ];
      os.route(`GET /compute/v2.1/servers/${ID}/os-instance-actions`, {
        body: { instanceActions: [{ action: 'live-migration', request_id: 'req-lm', message: 'Error' }] },
      });
      os.route(`GET /compute/v2.1/servers/${ID}/os-instance-actions/req-lm`, {
        body: {
          instanceAction: {
            events: [
              {
                event: 'conductor_live_migrate_instance',
                result: 'Error',
                details: 'No valid host was found.',
              },
            ],
          },
        },
      });
      const status = await vim.migrationStatus(ID);
      expect(status.status).toBe('error');
      expect(status.host).toBe('cmp-1');
      expect(status.message).toContain('No valid host was found.');
      expect(status.message).toContain('cmp-1 → cmp-2');
      // Nova's scheduler may refuse on a stale view of the hosts: worth asking again later.
      expect(status.retryable).toBe(true);
    });

    it('confirms a cold migration waiting in VERIFY_RESIZE', async () => {
      const vim = createOpenStackVim({ session: session(os) });
      await vim.migrate(ID, { mode: 'cold', target: 'cmp-2' });
      expect(os.calls(`POST /compute/v2.1/servers/${ID}/action`)[0]?.body).toEqual({
        migrate: { host: 'cmp-2' },
      });
      records = [
        {
          id: 8,
          status: 'finished',
          instance_uuid: ID,
          source_compute: 'cmp-1',
          dest_compute: 'cmp-2',
          migration_type: 'migration',
        },
        ...records,
      ];
      server = { ...server, status: 'VERIFY_RESIZE', 'OS-EXT-SRV-ATTR:host': 'cmp-2' };
      expect(await vim.migrationStatus(ID)).toMatchObject({ status: 'running', host: 'cmp-2' });
      expect(os.calls(`POST /compute/v2.1/servers/${ID}/action`)[1]?.body).toEqual({ confirmResize: null });
      // Still VERIFY_RESIZE while Nova confirms: not confirmed twice.
      records = [{ ...records[0], status: 'confirming' }, ...records.slice(1)];
      expect(await vim.migrationStatus(ID)).toMatchObject({ status: 'running', host: 'cmp-2' });
      expect(os.calls(`POST /compute/v2.1/servers/${ID}/action`)).toHaveLength(2);
      server = { ...server, status: 'ACTIVE' };
      records = [{ ...records[0], status: 'confirmed' }, ...records.slice(1)];
      expect(await vim.migrationStatus(ID)).toEqual({ status: 'completed', host: 'cmp-2' });
    });

    it('aborts in-progress live migrations', async () => {
      os.route(`GET /compute/v2.1/servers/${ID}/migrations`, {
        body: { migrations: [{ id: 8, status: 'running' }] },
      });
      os.route(`DELETE /compute/v2.1/servers/${ID}/migrations/8`, { status: 202 });
      await createOpenStackVim({ session: session(os) }).abortMigration(ID);
      expect(os.calls(`DELETE /compute/v2.1/servers/${ID}/migrations/8`)).toHaveLength(1);
    });

    it('stops a server and waits for SHUTOFF; stopping a stopped one does nothing', async () => {
      const clock = createVirtualClock({ autoAdvance: true });
      let polls = 0;
      os.route(`GET /compute/v2.1/servers/${ID}`, () => {
        polls++;
        return {
          body: {
            server:
              polls < 3
                ? { ...server, 'OS-EXT-STS:task_state': polls === 1 ? null : 'powering-off' }
                : { ...server, status: 'SHUTOFF' },
          },
        };
      });
      const vim = createOpenStackVim({ session: session(os), clock });
      await vim.stopInstance(ID);
      expect(os.calls(`POST /compute/v2.1/servers/${ID}/action`).map((r) => r.body)).toEqual([
        { 'os-stop': null },
      ]);
      await vim.stopInstance(ID);
      expect(os.calls(`POST /compute/v2.1/servers/${ID}/action`)).toHaveLength(1);
    });

    it('maps every Nova migration status', () => {
      for (const s of ['accepted', 'queued', 'preparing', 'pre-migrating'])
        expect(mapMigrationStatus(s)).toBe('queued');
      for (const s of ['running', 'post-migrating', 'migrating', 'finished', 'confirming', 'reverting'])
        expect(mapMigrationStatus(s)).toBe('running');
      for (const s of ['completed', 'confirmed', 'done']) expect(mapMigrationStatus(s)).toBe('completed');
      for (const s of ['error', 'failed', 'cancelled', 'reverted'])
        expect(mapMigrationStatus(s)).toBe('error');
    });
  });

  it('lists server groups with one policy, network agents, and no volume services without Cinder', async () => {
    os.route('GET /compute/v2.1/os-server-groups', {
      body: { server_groups: [{ id: 'g1', name: 'db', policy: 'anti-affinity', rules: {}, members: [ID] }] },
    });
    os.route('GET /network/v2.0/agents', {
      body: {
        agents: [
          {
            id: 'a1',
            binary: 'neutron-dhcp-agent',
            host: 'net-1',
            alive: false,
            admin_state_up: true,
            agent_type: 'DHCP agent',
          },
        ],
      },
    });
    const vim = createOpenStackVim({ session: session(os) });
    expect(await vim.listServerGroups()).toEqual([
      { id: 'g1', name: 'db', policy: 'anti-affinity', members: [ID], projectId: undefined },
    ]);
    expect(await vim.listNetworkAgents()).toEqual([
      expect.objectContaining({ binary: 'neutron-dhcp-agent', host: 'net-1', state: 'down', enabled: true }),
    ]);
    expect(await vim.listVolumeServices()).toEqual([]);
  });

  it('lists Cinder services when the catalog has block storage', async () => {
    routeKeystone(os, { withCinder: true });
    os.route('GET /volume/v3/p-1/os-services', {
      body: {
        services: [
          { binary: 'cinder-volume', host: 'st-1@lvm', zone: 'nova', status: 'enabled', state: 'down' },
        ],
      },
    });
    const services = await createOpenStackVim({ session: session(os) }).listVolumeServices();
    expect(services).toEqual([
      expect.objectContaining({ binary: 'cinder-volume', host: 'st-1@lvm', state: 'down', enabled: true }),
    ]);
  });

  it('imports an inventory with unique names, flavors, groups and the lowest ratios', async () => {
    os.route('GET /compute/v2.1/os-hypervisors/detail', {
      body: {
        hypervisors: ['cmp-1', 'cmp-2', 'cmp-3'].map((h, i) => ({
          id: `rp-${i + 1}`,
          hypervisor_hostname: h,
          state: 'up',
          status: 'enabled',
          service: { host: h },
        })),
      },
    });
    os.route('GET /placement/resource_providers', {
      body: { resource_providers: [1, 2, 3].map((i) => ({ uuid: `rp-${i}`, name: `cmp-${i}` })) },
    });
    for (const i of [1, 2, 3]) {
      os.route(`GET /placement/resource_providers/rp-${i}/inventories`, {
        body: {
          inventories: {
            VCPU: { total: 16, reserved: 0, allocation_ratio: i === 3 ? 8 : 16 },
            MEMORY_MB: { total: 65536, reserved: 1024, allocation_ratio: 1 },
            DISK_GB: { total: 500, reserved: 0, allocation_ratio: 1 },
          },
        },
      });
      os.route(`GET /placement/resource_providers/rp-${i}/usages`, { body: { usages: {} } });
    }
    const flavor = { vcpus: 2, ram: 4096, disk: 20, ephemeral: 0, swap: 0, original_name: 'm1.medium' };
    os.route('GET /compute/v2.1/servers/detail', {
      body: {
        servers: [
          {
            id: 'aaaaaaaa-1',
            name: 'web',
            status: 'ACTIVE',
            'OS-EXT-SRV-ATTR:host': 'cmp-1',
            flavor,
            image: { id: 'img' },
          },
          {
            id: 'bbbbbbbb-2',
            name: 'web',
            status: 'SHUTOFF',
            'OS-EXT-SRV-ATTR:host': 'cmp-2',
            flavor,
            image: '',
          },
          { id: 'cccccccc-3', name: 'lost', status: 'ERROR', 'OS-EXT-SRV-ATTR:host': null, flavor },
        ],
      },
    });
    os.route('GET /compute/v2.1/os-server-groups', {
      body: {
        server_groups: [
          { id: 'g1', name: 'web-group', policy: 'anti-affinity', members: ['aaaaaaaa-1', 'bbbbbbbb-2'] },
        ],
      },
    });
    const warnings: string[] = [];
    const inventory = await importInventory(session(os), { name: 'lab', onWarning: (w) => warnings.push(w) });
    expect(inventory.metadata).toEqual({ name: 'lab' });
    expect(inventory.nodes).toEqual([
      {
        name: 'cmp-1',
        roles: ['compute'],
        state: 'up',
        zone: 'az1',
        software: {},
        capacity: { vcpus: 16, memoryMiB: 64512, diskGiB: 500 },
      },
      {
        name: 'cmp-2',
        roles: ['compute'],
        state: 'down',
        zone: 'az1',
        software: {},
        capacity: { vcpus: 16, memoryMiB: 64512, diskGiB: 500 },
      },
      {
        name: 'cmp-3',
        roles: ['compute'],
        state: 'down',
        zone: 'az2',
        software: {},
        capacity: { vcpus: 16, memoryMiB: 64512, diskGiB: 500 },
      },
    ]);
    expect(inventory.instances).toEqual([
      {
        name: 'web-aaaaaaaa',
        id: 'aaaaaaaa-1',
        host: 'cmp-1',
        resources: { vcpus: 2, memoryMiB: 4096, diskGiB: 20 },
        migration: 'live',
        serverGroup: 'web-group',
      },
      {
        name: 'web-bbbbbbbb',
        id: 'bbbbbbbb-2',
        host: 'cmp-2',
        resources: { vcpus: 2, memoryMiB: 4096, diskGiB: 0 },
        migration: 'cold',
        serverGroup: 'web-group',
      },
    ]);
    // A parsed Inventory: defaults filled in (recoverySeconds), ready for createPlan and the engine.
    expect(inventory.serverGroups).toEqual([
      { name: 'web-group', policy: 'anti-affinity', maxImpacted: 1, recoverySeconds: 0 },
    ]);
    expect(inventory.overcommit).toEqual({ cpu: 8, memory: 1, disk: 1 });
    expect(warnings.join('\n')).toMatch(/lost.*no host/);
    expect(warnings.join('\n')).toMatch(/cpu allocation ratios \(16, 8\)/);
  });
});
