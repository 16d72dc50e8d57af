/** Redaction of secrets, and the loggers that apply it. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  createConsoleLogger,
  createJsonLinesLogger,
  noopLogger,
  REDACTED,
  redact,
  redactString,
  withContext,
} from '../src/logging/index.js';
import type { LogRecord } from '../src/ports/index.js';

const PEM = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEAx7Z1ks6k0mG3a7Xy1+T7VtVvX3kZ0pQ1T4n7Xv0o1Zg8nW5e',
  'b3o2b2xvZ3kgaXMgbm90IGEga2V5IGJ1dCBsb29rcyBsaWtlIG9uZQ==',
  '-----END RSA PRIVATE KEY-----',
].join('\n');

describe('redact', () => {
  it('replaces values under secret-looking keys, at any depth, and leaves the rest', () => {
    const input = {
      user: 'admin',
      password: 'hunter2',
      nested: { auth: { token: 'gAAAAABk', api_key: 'k1', 'API-Key': 'k2', privateKey: { pem: 'x' } } },
      headers: { Authorization: 'Basic YWRtaW46aHVudGVyMg==', Cookie: 'session=1' },
      list: [{ client_secret: 's' }, { name: 'ok' }],
      passphrase: 'p',
      credentials: ['a', 'b'],
      tokens: 3, // matches too: over-redacting a count is cheap
      emptyPassword: null,
      count: 7,
    };
    expect(redact(input)).toEqual({
      user: 'admin',
      password: REDACTED,
      nested: { auth: { token: REDACTED, api_key: REDACTED, 'API-Key': REDACTED, privateKey: REDACTED } },
      headers: { Authorization: REDACTED, Cookie: REDACTED },
      list: [{ client_secret: REDACTED }, { name: 'ok' }],
      passphrase: REDACTED,
      credentials: REDACTED,
      tokens: REDACTED,
      emptyPassword: null,
      count: 7,
    });
    expect(input.password).toBe('hunter2'); // a copy, not an edit
  });

  it('replaces secrets written inside strings', () => {
    const cases: [string, string][] = [
      ['curl -H "Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig-_x" https://api', 'Bearer [REDACTED]'],
      ['got Bearer abc.def== back', 'got Bearer [REDACTED] back'],
      ['X-Auth-Token: gAAAAABkXYZ123 then more', 'X-Auth-Token: [REDACTED] then more'],
      ['mysql --user=nova password=s3cr3t --host db', 'password=[REDACTED] --host db'],
      ['{"password": "s3cr3t", "user": "u"}', '{"password": "[REDACTED]", "user": "u"}'],
      ["db_password='x y z' end", "db_password='[REDACTED]' end"],
      ['https://admin:hunter2@keystone:5000/v3', 'https://admin:[REDACTED]@keystone:5000/v3'],
      ['Set-Cookie: session=abc; HttpOnly', 'Set-Cookie: [REDACTED]'],
    ];
    for (const [input, expected] of cases) {
      const out = redactString(input);
      expect(out, input).toContain(expected);
      for (const secret of [
        'eyJhbGciOi',
        'abc.def',
        'gAAAAABkXYZ123',
        's3cr3t',
        'x y z',
        'hunter2',
        'session=abc',
      ])
        expect(out, input).not.toContain(secret);
    }
    expect(redactString('3 tokens left, 12 checks passed')).toBe('3 tokens left, 12 checks passed');
  });

  it('removes PEM private key blocks, even a cut one', () => {
    const out = redactString(`key follows\n${PEM}\nafter`);
    expect(out).toBe(`key follows\n${REDACTED}\nafter`);
    expect(redactString(PEM.slice(0, 80))).toBe(REDACTED);
    const certificate = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    expect(redactString(certificate)).toBe(certificate);
  });

  it('is idempotent', () => {
    const once = redactString('password=abc Authorization: Bearer xyz');
    expect(redactString(once)).toBe(once);
  });

  it('handles cycles, errors, dates, maps, sets, bigints and binary data', () => {
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic['self'] = cyclic;
    cyclic['list'] = [cyclic];
    const error = Object.assign(new Error('login failed for password=abc'), { code: 'E1', token: 't' });
    const out = redact({
      cyclic,
      error,
      when: new Date(Date.UTC(2026, 0, 1)),
      map: new Map<string, unknown>([
        ['secret', 's'],
        ['ok', 1],
      ]),
      set: new Set(['x']),
      big: 10n,
      bytes: Buffer.from('abcd'),
      fn: () => 1,
    });
    expect(out).toEqual({
      cyclic: { name: 'a', self: '[Circular]', list: ['[Circular]'] },
      error: { name: 'Error', message: 'login failed for password=[REDACTED]', code: 'E1', token: REDACTED },
      when: '2026-01-01T00:00:00.000Z',
      map: { secret: REDACTED, ok: 1 },
      set: ['x'],
      big: '10',
      bytes: '[4 bytes]',
    });
    const shared = { v: 1 };
    expect(redact({ a: shared, b: shared })).toEqual({ a: { v: 1 }, b: { v: 1 } }); // shared is not a cycle
  });

  it('stays bounded on deep nesting and on shared sub-objects that would multiply', () => {
    let deep: Record<string, unknown> = { end: true };
    for (let i = 0; i < 100; i++) deep = { next: deep };
    expect(JSON.stringify(redact(deep))).toContain('[Truncated]');
    let shared: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 60; i++) shared = { a: shared, b: shared }; // 2^60 paths, 61 objects
    expect(JSON.stringify(redact(shared))).toContain('[Truncated]');
  });

  it('keeps a key named __proto__ a plain field', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
    const out = redact(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(out)).toEqual(['__proto__', 'a']);
  });
});

function record(fields: Partial<LogRecord> = {}): LogRecord {
  return { time: '2026-01-01T00:00:00.000Z', level: 'info', action: 'step.start', message: 'go', ...fields };
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('loggers', () => {
  it('JSON lines: one redacted object per line, in order, filtered by level', async () => {
    const { stream, text } = collect();
    const logger = createJsonLinesLogger({ stream, level: 'info' });
    logger.log(record({ message: 'token=abc', data: { password: 'p', node: 'cmp-1' } }));
    logger.log(record({ level: 'debug', message: 'dropped' }));
    for (let i = 0; i < 100; i++) logger.log(record({ action: `a${i}` }));
    await logger.flush();
    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(101);
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '2026-01-01T00:00:00.000Z',
      level: 'info',
      action: 'step.start',
      message: 'token=[REDACTED]',
      data: { password: REDACTED, node: 'cmp-1' },
    });
    expect(lines.slice(1).map((l) => (JSON.parse(l) as LogRecord).action)).toEqual(
      Array.from({ length: 100 }, (_, i) => `a${i}`),
    );
  });

  it('JSON lines to a file: appends, and close waits for the data', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'escalator-log-'));
    try {
      const file = join(dir, 'log.jsonl');
      const first = createJsonLinesLogger({ file });
      first.log(record({ action: 'one' }));
      await first.close();
      const second = createJsonLinesLogger({ file });
      second.log(record({ action: 'two', data: { headers: { 'X-Auth-Token': 'abc' } } }));
      await second.close();
      second.log(record({ action: 'after close' }));
      const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as LogRecord).action)).toEqual(['one', 'two']);
      expect(lines[1]).not.toContain('abc');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('JSON lines: reports a file it cannot write once, without throwing from log', async () => {
    const errors: Error[] = [];
    // Its directory cannot be made: a regular file stands where the directory would be.
    const dir = await mkdtemp(join(tmpdir(), 'escalator-log-'));
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, '');
    try {
      const logger = createJsonLinesLogger({
        file: join(blocker, 'log.jsonl'),
        onError: (e) => errors.push(e),
      });
      logger.log(record());
      await expect(logger.flush()).rejects.toThrow(/ENOTDIR|EEXIST/);
      logger.log(record());
      expect(errors).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('JSON lines: wants exactly one of file and stream', () => {
    expect(() => createJsonLinesLogger({})).toThrow(/exactly one of \{ file \}/);
  });

  it('console: one readable line per record, redacted, control characters neutralised', () => {
    const { stream, text } = collect();
    const logger = createConsoleLogger({ level: 'warn', stream });
    logger.log(record({ level: 'info', message: 'dropped' }));
    logger.log(
      record({
        level: 'error',
        object: 'cmp-004',
        message: 'failed: password=x\nsecond line \u001b[31m',
        code: 'ESC_TIMEOUT',
      }),
    );
    expect(text()).toBe(
      '2026-01-01T00:00:00.000Z ERROR step.start cmp-004 failed: password=[REDACTED] ⏎ second line \\u001b[31m [ESC_TIMEOUT]\n',
    );
    expect(() => createConsoleLogger({ level: 'loud' as 'info' })).toThrow(/not a log level/);
  });

  it('withContext adds the campaign and data unless the record has its own', () => {
    const seen: LogRecord[] = [];
    const inner = { log: (r: LogRecord) => seen.push(r) };
    const logger = withContext(inner, { campaign: 'c1', data: { engine: 'e1', node: 'default' } });
    logger.log(record());
    logger.log(record({ campaign: 'c2', data: { node: 'cmp-1' } }));
    expect(seen[0]).toMatchObject({ campaign: 'c1', data: { engine: 'e1', node: 'default' } });
    expect(seen[1]).toMatchObject({ campaign: 'c2', data: { engine: 'e1', node: 'cmp-1' } });
    noopLogger.log(record());
  });
});
