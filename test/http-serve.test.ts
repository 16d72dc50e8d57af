/**
 * `escalator serve`: the generated admin token is printed once (standard error) and stored nowhere,
 * campaigns survive a restart (file store and simulated clouds under --journal), and the real command
 * shuts down on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../src/auth/index.js';
import { parseListen, serve } from '../src/cli/commands/serve.js';
import type { Io } from '../src/cli/io.js';
import { example } from './support/http-api.js';

function captureIo(): Io & { readonly lines: { out: string[]; err: string[] } } {
  const lines = { out: [] as string[], err: [] as string[] };
  return {
    lines,
    out: (line) => lines.out.push(line),
    err: (line) => lines.err.push(line),
    exitCode: () => undefined,
    isTty: false,
  };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  return out;
}

describe('escalator serve', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'escalator-serve-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses --listen', () => {
    expect(parseListen('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen('9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseListen(':9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(() => parseListen('localhost')).toThrow(/host:port/);
    expect(() => parseListen('h:70000')).toThrow(/host:port/);
  });

  it('prints a generated admin token once, keeps campaigns across a restart, stores no token', async () => {
    const journal = join(dir, 'journal');
    const io = captureIo();
    const first = await serve({ listen: '127.0.0.1:0', journal, logLevel: 'warn' }, io);
    expect(io.lines.out[0]).toBe(`Escalator API on ${first.url} (OpenAPI: ${first.url}/openapi.json)`);
    const tokenLine = io.lines.err.find((l) => l.startsWith('admin token (shown once, not stored): '));
    const token = tokenLine?.split(': ')[1] ?? '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(io.lines.out.join('\n')).not.toContain(token);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${first.url}/v1/campaigns`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ id: 'served-1', ...example('minimal') }),
    });
    expect(created.status).toBe(201);
    expect(
      (await fetch(`${first.url}/v1/campaigns/served-1/actions/start`, { method: 'POST', headers: auth }))
        .status,
    ).toBe(202);
    // Follow to the end through the API.
    for (;;) {
      const status = (await (
        await fetch(`${first.url}/v1/campaigns/served-1`, { headers: auth })
      ).json()) as {
        state: string;
        running: boolean;
      };
      if (!status.running && status.state !== 'created') {
        expect(status.state).toBe('completed');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await first.close()).toEqual({ paused: [], stillRunning: [] });
    expect(await first.close()).toEqual({ paused: [], stillRunning: [] }); // idempotent

    // Neither the token nor its digest's source is on disk; the journal and the simulated cloud are.
    const files = await filesUnder(journal);
    expect(files.some((f) => f.endsWith(join('served-1', 'journal.jsonl')))).toBe(true);
    expect(files.some((f) => f.endsWith(join('.simulator', 'served-1.jsonl')))).toBe(true);
    for (const file of files) expect(await readFile(file, 'utf8')).not.toContain(token);

    const again = captureIo();
    const second = await serve({ listen: '127.0.0.1:0', journal, logLevel: 'warn' }, again);
    try {
      expect(again.lines.out[1]).toContain('1 campaign(s) opened');
      const newToken = again.lines.err.find((l) => l.startsWith('admin token'))?.split(': ')[1] ?? '';
      expect(newToken).not.toBe(token);
      // The old token is gone with the old process.
      expect(
        (await fetch(`${second.url}/v1/campaigns`, { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(401);
      const list = (await (
        await fetch(`${second.url}/v1/campaigns`, { headers: { authorization: `Bearer ${newToken}` } })
      ).json()) as { campaigns: { id: string; state: string }[] };
      expect(list.campaigns).toEqual([expect.objectContaining({ id: 'served-1', state: 'completed' })]);
    } finally {
      await second.close();
    }
  });

  it('runs as a command, with a tokens file, and shuts down on SIGTERM', async () => {
    const tokens = join(dir, 'tokens.yaml');
    await writeFile(
      tokens,
      `tokens:\n  - { id: ops, roles: [operator], sha256: ${hashToken('ops-token-1')} }\n`,
    );
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'serve',
        '--listen',
        '127.0.0.1:0',
        '--tokens',
        tokens,
        '--journal',
        join(dir, 'cmd'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const m = /Escalator API on (http:\/\/[^ ]+)/.exec(stdout);
        if (m?.[1]) resolve(m[1]);
      });
      void exited.then((code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
    });
    try {
      expect((await fetch(`${url}/health`)).status).toBe(200);
      expect(
        (await fetch(`${url}/v1/campaigns`, { headers: { authorization: 'Bearer ops-token-1' } })).status,
      ).toBe(200);
      expect(stderr).not.toContain('admin token');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('SIGTERM: shutting down');
  });

  it('keeps the server up when an error reaches its listening socket', async () => {
    const running = await serve(
      { listen: '127.0.0.1:0', journal: join(dir, 'socket'), logLevel: 'error' },
      captureIo(),
    );
    try {
      // Without a listener, this 'error' event would be thrown, and would end the process.
      expect(() =>
        running.server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' })),
      ).not.toThrow();
      expect((await fetch(`${running.url}/health`)).status).toBe(200);
    } finally {
      await running.close();
    }
  });

  it('keeps serving when its disk is full: the campaign stops, the server and its other campaigns do not', async () => {
    const tokens = join(dir, 'full-tokens.yaml');
    await writeFile(
      tokens,
      `tokens:\n  - { id: ops, roles: [operator], sha256: ${hashToken('ops-token-2')} }\n`,
    );
    // A file size limit makes every write past 32 KiB fail (EFBIG), as a full disk does (ENOSPC).
    const child = spawn(
      'bash',
      [
        '-c',
        'ulimit -f 32 && exec "$0" "$@"',
        process.execPath,
        '--import',
        'tsx',
        'src/cli/main.ts',
        'serve',
        '--listen',
        '127.0.0.1:0',
        '--tokens',
        tokens,
        '--journal',
        join(dir, 'full'),
        '--log-level',
        'error',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let exitCode: number | null | undefined;
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => {
        exitCode = code;
        resolve(code);
      }),
    );
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const m = /Escalator API on (http:\/\/[^ ]+)/.exec(stdout);
        if (m?.[1]) resolve(m[1]);
      });
      void exited.then((code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
    });
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: 'Bearer ops-token-2', 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return {
        status: res.status,
        body: (await res.json()) as Record<string, unknown> & { fault?: { code: string } },
      };
    };
    try {
      // Six more computes: their steps' records pass 32 KiB of journal during the run (the minimal
      // example's whole journal is about 12 KiB; the documents, each in its own file, stay below).
      const heavy = example('minimal');
      const nodes = heavy.inventory.nodes as { name: string }[];
      const compute = nodes.find((n) => n.name === 'cmp-1')!;
      for (let i = 1; i <= 6; i++) nodes.push({ ...compute, name: `cmp-x${i}` });
      expect((await api('POST', '/v1/campaigns', { id: 'heavy', ...heavy })).status).toBe(201);
      expect((await api('POST', '/v1/campaigns', { id: 'light', ...example('minimal') })).status).toBe(201);
      expect((await api('POST', '/v1/campaigns/heavy/actions/start')).status).toBe(202);
      let heavyNow = (await api('GET', '/v1/campaigns/heavy')).body;
      for (let i = 0; i < 1000 && !heavyNow.fault && exitCode === undefined; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        heavyNow = (await api('GET', '/v1/campaigns/heavy')).body;
      }
      expect(
        heavyNow.fault?.code,
        JSON.stringify({ ...heavyNow, exitCode, stderr: stderr.slice(-2000) }).slice(0, 3000),
      ).toBe('EFBIG');
      expect(heavyNow.running).toBe(false);
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'degraded', campaigns: { faulted: 1 } });
      const resume = await api('POST', '/v1/campaigns/heavy/actions/resume');
      expect([resume.status, resume.body['code']]).toEqual([503, 'ESC_CAMPAIGN_FAULTED']);
      // The other campaign starts and runs on the same server.
      expect((await api('POST', '/v1/campaigns/light/actions/start')).status).toBe(202);
      let light = (await api('GET', '/v1/campaigns/light')).body;
      for (let i = 0; i < 1000 && light['state'] !== 'completed' && exitCode === undefined; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        light = (await api('GET', '/v1/campaigns/light')).body;
      }
      expect(light['state']).toBe('completed');
      expect(exitCode).toBeUndefined();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
