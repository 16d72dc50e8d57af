/**
 * The redaction rules added for documents shown whole over the API: keys named `key`, credentials in
 * query strings, references to credentials left readable, and no object bound when asked.
 */
import { describe, expect, it } from 'vitest';
import { isSecretKey, REDACTED, redact, redactString } from '../src/logging/index.js';

describe('redaction of documents', () => {
  it('treats a key that is or ends in the word "key" as secret, not one that merely contains it', () => {
    for (const key of ['key', 'keys', 'ssh-key', 'access_key', 'signing.key', 'API Key'])
      expect(isSecretKey(key), key).toBe(true);
    for (const key of ['monkey', 'keyboard', 'turnkey', 'keyName']) expect(isSecretKey(key), key).toBe(false);
  });

  it('shows where a secret is kept (credentialsRef), not the secret', () => {
    expect(isSecretKey('credentialsRef')).toBe(false);
    expect(isSecretKey('password_ref')).toBe(false);
    expect(isSecretKey('credentials')).toBe(true);
    expect(redact({ access: { user: 'root', credentialsRef: 'vault-ssh', password: 'pw' } })).toEqual({
      access: { user: 'root', credentialsRef: 'vault-ssh', password: REDACTED },
    });
  });

  it('redacts credentials passed in a query string, and keeps the other parameters', () => {
    expect(redactString('https://vnfm.example/notify?key=k1&site=a&sig=s2&x-amz-signature=s3#top')).toBe(
      `https://vnfm.example/notify?key=${REDACTED}&site=a&sig=${REDACTED}&x-amz-signature=${REDACTED}#top`,
    );
    expect(redactString('GET /v1/x?access_token=t1&auth=a1 200')).toBe(
      `GET /v1/x?access_token=${REDACTED}&auth=${REDACTED} 200`,
    );
    // Nothing that could hold a secret: the string comes back as it is.
    expect(redactString('nova-compute 27.1.0 on cmp-001')).toBe('nova-compute 27.1.0 on cmp-001');
  });

  it('copies a document whole past 10,000 objects when asked', () => {
    const nodes = Array.from({ length: 12_000 }, (_, i) => ({ name: `cmp-${i}`, password: 'p' }));
    const bounded = redact({ nodes }) as { nodes: unknown[] };
    expect(bounded.nodes).toContain('[Truncated]');
    const whole = redact({ nodes }, { maxObjects: Number.POSITIVE_INFINITY }) as { nodes: unknown[] };
    expect(whole.nodes).toHaveLength(12_000);
    expect(whole.nodes.at(-1)).toEqual({ name: 'cmp-11999', password: REDACTED });
  });
});
