/**
 * The node:http(s) transport against real servers on 127.0.0.1: an HTTPS server whose certificate a
 * throwaway CA signed (made with the openssl CLI in a temporary directory), and a plain HTTP one.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHttpTransport } from '../src/adapters/http/index.js';
import { EscalatorError } from '../src/errors.js';
import { expectAdapterError, rejection } from './support/rejections.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let dir: string;
let ca: string;
let handler: Handler = (_req, res) => res.end();
const servers: Server[] = [];
let httpsUrl: string;
let httpUrl: string;
let otherNameUrl: string;

/**
 * Makes a CA and two certificates it signs: `cert` for 127.0.0.1 and localhost, `otherCert` for
 * another name only.
 */
function makeCertificates(into: string): { ca: string; key: string; cert: string; otherCert: string } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: into, stdio: 'pipe' });
  try {
    openssl('version');
  } catch {
    throw new Error('openssl is missing: install it (Debian: apt-get install openssl)');
  }
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test-ca');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  const sign = (name: string, altNames: string) => {
    writeFileSync(join(into, `${name}.cnf`), `subjectAltName=${altNames}\nbasicConstraints=CA:FALSE\n`);
    openssl(
      ...['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '1'],
      ...['-days', '2', '-extfile', `${name}.cnf`, '-out', `${name}.pem`],
    );
    return readFileSync(join(into, `${name}.pem`), 'utf8');
  };
  return {
    ca: readFileSync(join(into, 'ca.pem'), 'utf8'),
    key: readFileSync(join(into, 'server.key'), 'utf8'),
    cert: sign('server', 'IP:127.0.0.1,DNS:localhost'),
    otherCert: sign('other', 'DNS:other.example'),
  };
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

const serve = (req: IncomingMessage, res: ServerResponse) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    body += chunk;
  });
  req.on('end', () => handler(req, res, body));
};

const echo: Handler = (req, res, body) => {
  res.writeHead(200, { 'Content-Type': 'application/json', 'X-Request-Id': 'req-1' });
  res.end(JSON.stringify({ method: req.method, length: req.headers['content-length'] ?? null, body }));
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'escalator-tls-'));
  const pki = makeCertificates(dir);
  ca = pki.ca;
  httpsUrl = `https://127.0.0.1:${await listen(createHttpsServer({ key: pki.key, cert: pki.cert }, serve))}`;
  httpUrl = `http://127.0.0.1:${await listen(createHttpServer(serve))}`;
  const other = createHttpsServer({ key: pki.key, cert: pki.otherCert }, serve);
  otherNameUrl = `https://127.0.0.1:${await listen(other)}`;
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('node http transport', () => {
  it('GETs and POSTs over HTTPS when the CA is trusted: status, lower-case headers, body', async () => {
    handler = echo;
    const request = nodeHttpTransport({ ca });
    const got = await request({ method: 'GET', url: `${httpsUrl}/x` });
    expect(got.status).toBe(200);
    expect(got.headers['x-request-id']).toBe('req-1');
    expect(got.headers['content-type']).toBe('application/json');
    expect(JSON.parse(got.body)).toEqual({ method: 'GET', length: null, body: '' });

    const body = JSON.stringify({ name: 'héllo ✓' });
    const posted = await request({
      method: 'POST',
      url: `${httpsUrl}/y`,
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    expect(JSON.parse(posted.body)).toEqual({
      method: 'POST',
      length: String(Buffer.byteLength(body)),
      body,
    });
  });

  it('takes the CA as a Buffer or a list too', async () => {
    handler = echo;
    for (const given of [Buffer.from(ca), [ca]]) {
      const got = await nodeHttpTransport({ ca: given, keepAlive: false })({ method: 'GET', url: httpsUrl });
      expect(got.status).toBe(200);
    }
  });

  it('refuses a ca that holds no PEM certificate', () => {
    expect(() => nodeHttpTransport({ ca: 'not a certificate' })).toThrow(EscalatorError);
    expect(() => nodeHttpTransport({ timeoutMs: 0 })).toThrow(/timeoutMs/);
  });

  it('without the CA: a permanent http-tls error that points at openstack.caBundle', async () => {
    handler = echo;
    const error = expectAdapterError(
      await rejection(nodeHttpTransport()({ method: 'GET', url: httpsUrl })),
      'permanent',
      'http-tls',
    );
    expect(error.message).toMatch(/not trusted/);
    expect(error.message).toContain('openstack.caBundle');
    expect(error.message).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('a certificate for another name is a permanent http-tls error too', async () => {
    handler = echo;
    const error = expectAdapterError(
      await rejection(nodeHttpTransport({ ca })({ method: 'GET', url: otherNameUrl })),
      'permanent',
      'http-tls',
    );
    expect(error.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('resolves a non-2xx response like any other', async () => {
    handler = (_req, res) => {
      res.writeHead(503, { 'Retry-After': '7' });
      res.end('busy');
    };
    const got = await nodeHttpTransport({ ca })({ method: 'DELETE', url: `${httpsUrl}/z` });
    expect(got).toMatchObject({ status: 503, body: 'busy' });
    expect(got.headers['retry-after']).toBe('7');
  });

  it('speaks plain http:// as well', async () => {
    handler = echo;
    const got = await nodeHttpTransport({ ca })({ method: 'PUT', url: `${httpUrl}/p`, body: 'x' });
    expect(got.status).toBe(200);
    expect(JSON.parse(got.body)).toEqual({ method: 'PUT', length: '1', body: 'x' });
  });

  it('maps a server that does not answer in time to a transient http-timeout', async () => {
    handler = () => {};
    const started = Date.now();
    expectAdapterError(
      await rejection(nodeHttpTransport({ ca, timeoutMs: 300 })({ method: 'GET', url: httpsUrl })),
      'transient',
      'http-timeout',
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('counts the body in the timeout', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('partial'); // and never ends
    };
    expectAdapterError(
      await rejection(nodeHttpTransport({ timeoutMs: 300 })({ method: 'GET', url: httpUrl })),
      'transient',
      'http-timeout',
    );
  });

  it('maps a connection cut in the body to a transient http-unreachable', async () => {
    handler = (req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('partial', () => req.socket.destroy());
    };
    expectAdapterError(
      await rejection(nodeHttpTransport()({ method: 'GET', url: httpUrl })),
      'transient',
      'http-unreachable',
    );
  });

  it('maps a refused connection to a transient http-unreachable', async () => {
    const closed = createHttpServer();
    const port = await new Promise<number>((resolve) =>
      closed.listen(0, '127.0.0.1', () => {
        const p = (closed.address() as { port: number }).port;
        closed.close(() => resolve(p));
      }),
    );
    const error = expectAdapterError(
      await rejection(nodeHttpTransport({ ca })({ method: 'GET', url: `https://127.0.0.1:${port}/` })),
      'transient',
      'http-unreachable',
    );
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('maps a request that cannot be sent to a permanent error, without the secret in the message', async () => {
    const request = nodeHttpTransport();
    for (const url of ['http://user:hunter2@127.0.0.1:1/', 'ftp://127.0.0.1/', 'not a url']) {
      const error = expectAdapterError(
        await rejection(request({ method: 'GET', url })),
        'permanent',
        'http-invalid-request',
      );
      expect(error.message).not.toContain('hunter2');
    }
    expectAdapterError(
      await rejection(request({ method: 'GET', url: httpUrl, headers: { 'bad header': 'x' } })),
      'permanent',
      'http-invalid-request',
    );
  });

  it('rejects with the request signal reason when aborted', async () => {
    handler = () => {};
    const reason = new Error('stop');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 100);
    const request = nodeHttpTransport({ ca });
    expect(await rejection(request({ method: 'GET', url: httpsUrl, signal: controller.signal }))).toBe(
      reason,
    );
    // Already aborted: nothing is sent.
    expect(await rejection(request({ method: 'GET', url: httpsUrl, signal: controller.signal }))).toBe(
      reason,
    );
  });
});
