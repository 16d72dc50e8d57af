/**
 * An {@link HttpTransport} on `node:http` / `node:https` that can trust a CA bundle besides the public
 * CAs, which Node's `fetch` cannot: for clouds whose certificates a private CA signed.
 * @module
 */
import { type ClientRequest, Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { AdapterError, ErrorCode, EscalatorError } from '../../errors.js';
import { redactString } from '../../logging/redact.js';
import type { HttpResponse, HttpTransport } from '../../ports/transport.js';

/** Options of {@link nodeHttpTransport}. */
export interface NodeHttpTransportOptions {
  /**
   * PEM certificates of CAs to trust, added to Node's bundled public CAs (`tls.rootCertificates`), e.g.
   * the text of `openstack.caBundle`. Given, it replaces `NODE_EXTRA_CA_CERTS`, as any `ca` does in Node.
   * @defaultValue Node's default CAs only
   */
  readonly ca?: string | Buffer | readonly (string | Buffer)[] | undefined;
  /** Time allowed for one request, body included. @defaultValue 30_000 */
  readonly timeoutMs?: number | undefined;
  /** Reuse connections (one agent per transport). @defaultValue true */
  readonly keepAlive?: boolean | undefined;
}

/** OpenSSL's certificate verification failures, and Node's name check: retrying cannot fix them. */
const UNTRUSTED_CERTIFICATE = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Makes an {@link HttpTransport} on `node:http` / `node:https`, with the contract of `fetchTransport`:
 * every response, whatever its status, resolves (redirects are not followed); a request that cannot be
 * made rejects with a transient {@link AdapterError}: `http-timeout` past `timeoutMs`, `http-unreachable`
 * when the connection fails (refused, reset, DNS, TLS handshake); a server certificate that does not
 * verify is a permanent `http-tls`, and a request that cannot be sent at all (bad URL, credentials in the
 * URL, a protocol other than http(s), a bad header) a permanent `http-invalid-request`.
 * A request aborted by its own signal rejects with the signal's reason.
 *
 * @example
 * ```ts
 * const session = createKeystoneSession({
 *   authUrl: 'https://keystone.example:5000/v3',
 *   credentials: { password: { username, password, projectName } },
 *   request: { transport: nodeHttpTransport({ ca: await readFile('/etc/escalator/cloud-ca.pem', 'utf8') }) },
 * });
 * ```
 */
export function nodeHttpTransport(options: NodeHttpTransportOptions = {}): HttpTransport {
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0))
    throw new EscalatorError(ErrorCode.InvalidOption, `timeoutMs must be a number above 0, got ${timeoutMs}`);
  const { ca } = options;
  const extra: readonly (string | Buffer)[] =
    ca === undefined ? [] : typeof ca === 'string' || Buffer.isBuffer(ca) ? [ca] : ca;
  // Node silently ignores text that holds no certificate: a wrong file would only show as failed requests.
  for (const pem of extra)
    if (!String(pem).includes('-----BEGIN CERTIFICATE-----'))
      throw new EscalatorError(
        ErrorCode.InvalidOption,
        'ca must be PEM certificates (-----BEGIN CERTIFICATE-----)',
      );
  const keepAlive = options.keepAlive ?? true;
  const httpAgent = new HttpAgent({ keepAlive });
  // A `ca` replaces Node's roots: keep the public CAs so that other endpoints still verify.
  const httpsAgent = new HttpsAgent({
    keepAlive,
    ...(extra.length > 0 ? { ca: [...rootCertificates, ...extra] } : {}),
  });

  return async (request) => {
    request.signal?.throwIfAborted();
    const where = `${request.method} ${redactString(request.url)}`;
    const invalid = (detail: string, cause?: unknown) =>
      new AdapterError(`${where} cannot be sent: ${redactString(detail)}`, {
        kind: 'permanent',
        reason: 'http-invalid-request',
        cause,
      });
    let url: URL;
    try {
      url = new URL(request.url);
    } catch (error) {
      throw invalid('not a valid URL', error);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw invalid(`unsupported protocol ${url.protocol} (http: or https: only)`);
    if (url.username !== '' || url.password !== '')
      throw invalid('the URL holds credentials; send them in a header');
    const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
    const headers = {
      ...request.headers,
      ...(body === undefined ? {} : { 'content-length': String(body.length) }),
    };

    return new Promise<HttpResponse>((resolve, reject) => {
      let req: ClientRequest | undefined;
      let settled = false;
      const settle = (outcome: { response: HttpResponse } | { error: unknown }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        if ('response' in outcome) resolve(outcome.response);
        else {
          req?.destroy();
          reject(outcome.error);
        }
      };
      const onAbort = () => settle({ error: request.signal?.reason });
      const timer = setTimeout(
        () =>
          settle({
            error: new AdapterError(`${where} got no answer within ${timeoutMs} ms`, {
              kind: 'transient',
              reason: 'http-timeout',
            }),
          }),
        timeoutMs,
      );
      request.signal?.addEventListener('abort', onAbort, { once: true });
      const failed = (error: unknown) => settle({ error: failure(where, error) });
      try {
        const [send, agent] =
          url.protocol === 'https:' ? [httpsRequest, httpsAgent] : [httpRequest, httpAgent];
        req = send(url, { method: request.method, headers, agent });
      } catch (error) {
        // Thrown before anything is sent: a header name or value Node refuses.
        settle({ error: invalid(error instanceof Error ? error.message : String(error), error) });
        return;
      }
      req.on('error', failed);
      req.on('response', (res) => {
        res.setEncoding('utf8');
        let text = '';
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('error', failed);
        res.on('end', () => {
          const responseHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers))
            if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
          settle({ response: { status: res.statusCode ?? 0, headers: responseHeaders, body: text } });
        });
      });
      req.end(body);
    });
  };
}

/** A failed connection: permanent when the certificate does not verify, transient otherwise. */
function failure(where: string, error: unknown): AdapterError {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = String((error as Error | undefined)?.message ?? error);
  if (typeof code === 'string' && UNTRUSTED_CERTIFICATE.has(code))
    return new AdapterError(
      `${where} failed: the server's TLS certificate is not trusted (${code}: ${redactString(message)}). ` +
        'Check openstack.caBundle: it must hold the CA that signed the certificate, and the certificate ' +
        'must name the host; retrying cannot help',
      { kind: 'permanent', reason: 'http-tls', cause: error },
    );
  return new AdapterError(`${where} failed: ${redactString(typeof code === 'string' ? code : message)}`, {
    kind: 'transient',
    reason: 'http-unreachable',
    cause: error,
  });
}
