/** The role authorizer's policy, static tokens, the tokens file, and the cache for identity outages. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cacheVerifiedPrincipals,
  createRoleAuthorizer,
  createStaticTokenVerifier,
  DEFAULT_ROLES,
  hashToken,
  loadStaticTokens,
  type TokenVerifier,
} from '../src/auth/index.js';
import { createVirtualClock } from '../src/clock/index.js';
import { AdapterError, DocumentError, ErrorCode, EscalatorError } from '../src/errors.js';
import { ACTIONS, type Action, type Principal } from '../src/ports/index.js';

async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'escalator-auth-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('role authorizer', () => {
  const authorizer = createRoleAuthorizer();
  const allowedBy: Record<string, readonly Action[]> = {
    viewer: ['read'],
    operator: ['read', 'create', 'start', 'pause', 'resume', 'approve', 'notify'],
    admin: ACTIONS,
  };

  for (const [role, allowed] of Object.entries(allowedBy))
    for (const action of ACTIONS)
      it(`${role} ${allowed.includes(action) ? 'may' : 'may not'} ${action}`, async () => {
        const decision = await authorizer.authorize({ id: 'p', roles: [role] }, action, 'c1');
        expect(decision.allowed).toBe(allowed.includes(action));
        expect(decision.reason).toBe(
          allowed.includes(action)
            ? `role "${role}" allows "${action}"`
            : `role "${role}" does not allow "${action}"`,
        );
      });

  it('gives a principal with several roles the union of what they allow', async () => {
    const both: Principal = { id: 'p', roles: ['viewer', 'operator'] };
    expect((await authorizer.authorize(both, 'pause', 'c1')).allowed).toBe(true);
    const denied = await authorizer.authorize(both, 'rollback', 'c1');
    expect(denied).toEqual({
      allowed: false,
      reason: 'role "viewer" does not allow "rollback"; role "operator" does not allow "rollback"',
    });
  });

  it('explains refusals for unknown roles and principals without roles', async () => {
    expect((await authorizer.authorize({ id: 'p', roles: ['auditor'] }, 'read', 'c1')).reason).toBe(
      'role "auditor" is not defined',
    );
    expect((await authorizer.authorize({ id: 'bob', roles: [] }, 'read', 'c1')).reason).toBe(
      'principal "bob" has no roles',
    );
    expect((await authorizer.authorize({ id: 'p', roles: ['constructor'] }, 'read', 'c1')).allowed).toBe(
      false,
    );
  });

  it('takes a custom policy, which replaces the built-in one', async () => {
    const custom = createRoleAuthorizer({ roles: { ...DEFAULT_ROLES, approver: ['read', 'approve'] } });
    expect((await custom.authorize({ id: 'p', roles: ['approver'] }, 'approve', 'c1')).allowed).toBe(true);
    const only = createRoleAuthorizer({ roles: { approver: ['approve'] } });
    expect((await only.authorize({ id: 'p', roles: ['admin'] }, 'read', 'c1')).allowed).toBe(false);
    expect(() => createRoleAuthorizer({ roles: { x: ['rollbak' as Action] } })).toThrow(
      /"rollbak" is not an action; did you mean "rollback"\?/,
    );
  });
});

describe('static tokens', () => {
  const operatorToken = 'op-3f9a1c7e5b2d4';
  const adminToken = 'adm-77e1b0c9d2a4f';

  it('verifies tokens stored as sha256 or in clear, and answers undefined for others', async () => {
    const verify = createStaticTokenVerifier([
      { id: 'ana', roles: ['operator'], sha256: hashToken(operatorToken) },
      { id: 'root', roles: ['admin'], token: adminToken },
    ]);
    expect(await verify(operatorToken)).toEqual({ id: 'ana', roles: ['operator'], via: 'static-token' });
    expect(await verify(adminToken)).toEqual({ id: 'root', roles: ['admin'], via: 'static-token' });
    expect(await verify(`${operatorToken}x`)).toBeUndefined();
    expect(await verify('')).toBeUndefined();
    expect(await verify(hashToken(operatorToken))).toBeUndefined(); // the digest is not the token
  });

  it('accepts upper-case sha256 digests, and checks entries eagerly', () => {
    const upper = createStaticTokenVerifier([{ id: 'a', roles: [], sha256: hashToken('t').toUpperCase() }]);
    expect(upper).toBeTypeOf('function');
    expect(() => createStaticTokenVerifier([{ id: 'a', roles: [] }])).toThrow(/exactly one of "sha256"/);
    expect(() => createStaticTokenVerifier([{ id: 'a', roles: [], sha256: 'abc' }])).toThrow(/64 hex digits/);
    expect(() =>
      createStaticTokenVerifier([
        { id: 'a', roles: [], token: 't' },
        { id: 'b', roles: [], sha256: hashToken('t') },
      ]),
    ).toThrow(/static tokens 0 and 1 are the same token/);
  });

  it('loads a YAML tokens file', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'tokens.yaml');
      await writeFile(
        file,
        `tokens:\n  - id: ana\n    roles: [operator]\n    sha256: ${hashToken(operatorToken)}\n  - id: root\n    roles: [admin]\n    token: ${adminToken}\n`,
      );
      const entries = await loadStaticTokens(file);
      expect(entries).toEqual([
        { id: 'ana', roles: ['operator'], sha256: hashToken(operatorToken) },
        { id: 'root', roles: ['admin'], token: adminToken },
      ]);
      const verify = createStaticTokenVerifier(entries);
      expect((await verify(operatorToken))?.id).toBe('ana');
    });
  });

  it('names the file, line and field of a malformed tokens file', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'tokens.yaml');
      await writeFile(
        file,
        'tokens:\n  - id: ana\n    roles: [operator]\n    sha256: not-hex\n  - id: bob\n    roles: [viewer]\n',
      );
      const error = await loadStaticTokens(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DocumentError);
      expect((error as DocumentError).code).toBe(ErrorCode.InvalidDocument);
      const message = (error as Error).message;
      expect(message).toContain(`${file}:4:13 tokens[0].sha256: expected 64 hex digits`);
      expect(message).toContain(`${file}:5:5 tokens[1]: give exactly one of "sha256"`);
      expect(message).not.toContain('not-hex'); // values of token fields are never echoed

      const json = join(dir, 'tokens.json');
      await writeFile(json, JSON.stringify({ tokens: [{ id: 'x', roles: [], token: 't', extra: 1 }] }));
      await expect(loadStaticTokens(json)).rejects.toThrow(/tokens\[0\]\.extra: unknown field "extra"/);
      await expect(loadStaticTokens(join(dir, 'missing.yaml'))).rejects.toThrow(
        /missing\.yaml: cannot read the file/,
      );
    });
  });
});

describe('principal cache', () => {
  const ana: Principal = { id: 'ana', roles: ['operator'], via: 'keystone' };
  const outage = () =>
    new AdapterError('keystone: 503 Service Unavailable', { kind: 'transient', reason: 'http-503' });

  /** A verifier whose behaviour the test switches, counting its calls. */
  function switchable() {
    const state: { mode: 'up' | 'down' | 'revoked' | 'broken'; calls: number } = { mode: 'up', calls: 0 };
    const verify: TokenVerifier = async (token) => {
      state.calls++;
      if (state.mode === 'down') throw outage();
      if (state.mode === 'broken')
        throw new EscalatorError(ErrorCode.AdapterFailure, 'bad request', { retryable: false });
      if (state.mode === 'revoked') return undefined;
      return token === 'tok' ? ana : undefined;
    };
    return { state, verify };
  }

  it('keeps a verified principal while the identity service throws retryable errors', async () => {
    const clock = createVirtualClock({ start: 0 });
    const { state, verify } = switchable();
    const cached = cacheVerifiedPrincipals(verify, { ttlMs: 60_000, clock });
    expect(await cached('tok')).toEqual(ana);
    state.mode = 'down';
    expect(await cached('tok')).toEqual(ana);
    expect(state.calls).toBe(2); // the inner verifier is still asked every time
    await expect(cached('other-token')).rejects.toThrow(/503/); // never verified: nothing to fall back on
    state.mode = 'broken';
    await expect(cached('tok')).rejects.toThrow('bad request'); // not retryable: passed on
  });

  it('forgets a token the identity service says is unknown', async () => {
    const { state, verify } = switchable();
    const cached = cacheVerifiedPrincipals(verify, {
      ttlMs: 60_000,
      clock: createVirtualClock({ start: 0 }),
    });
    expect(await cached('tok')).toEqual(ana);
    state.mode = 'revoked';
    expect(await cached('tok')).toBeUndefined();
    state.mode = 'down';
    await expect(cached('tok')).rejects.toThrow(/503/);
  });

  it('expires a principal ttlMs after its last successful check', async () => {
    const clock = createVirtualClock({ start: 0 });
    const { state, verify } = switchable();
    const cached = cacheVerifiedPrincipals(verify, { ttlMs: 60_000, clock });
    await cached('tok');
    await clock.advance(30_000);
    await cached('tok'); // confirmed again: good until 90 s
    state.mode = 'down';
    await clock.advance(59_000);
    expect(await cached('tok')).toEqual(ana);
    await clock.advance(1_000);
    await expect(cached('tok')).rejects.toThrow(/503/);
  });

  it('checks its options', () => {
    const { verify } = switchable();
    expect(() => cacheVerifiedPrincipals(verify, { ttlMs: 0 })).toThrow(/ttlMs must be/);
  });
});
