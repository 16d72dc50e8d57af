/**
 * Input that is not a document at all — binary bytes, or more text than any inventory has — is refused
 * before parsing with one problem, so a wrong file costs one line, not megabytes of quoted bytes.
 */
import { describe, expect, it } from 'vitest';
import { DocumentError } from '../src/errors.js';
import { parseInventory } from '../src/loader/load.js';
import { MAX_SOURCE_LENGTH, parseSource } from '../src/loader/source.js';

const problems = (text: string) => {
  const parsed = parseSource(text);
  return 'syntax' in parsed ? parsed.syntax : [];
};

describe('not a document', () => {
  it('a NUL or another forbidden control byte near the start: one problem where it is', () => {
    expect(problems('apiVersion: escalator/v1\nkind: Inv\u0000entory\n')).toEqual([
      {
        message: 'not a YAML or JSON text: binary content (byte 0x00) in the first 1024 bytes',
        line: 2,
        column: 10,
      },
    ]);
    expect(problems('\u001b[31m{}')).toHaveLength(1);
  });

  it('invalid UTF-8 (decoded as U+FFFD) is binary; tabs, CR LF and a BOM are text', () => {
    const decoded = Buffer.from([0x6b, 0x3a, 0x20, 0xc3, 0x28, 0x0a]).toString('utf8');
    expect(problems(decoded)[0]?.message).toMatch(/binary content \(invalid UTF-8\)/);
    expect(problems('\ufeffa:\r\n\tb\n')).toHaveLength(problems('a:\r\n\tb\n').length);
    expect(problems('{"a": 1}')).toEqual([]);
  });

  it('a text over the size limit is refused without being parsed', () => {
    // Far more than the limit would take seconds to parse as YAML; refused, it takes no time at all.
    const huge = 'a'.repeat(MAX_SOURCE_LENGTH + 1);
    expect(problems(huge)).toEqual([
      { message: expect.stringMatching(/^too large: 128 MB, more than the 128 MB/), line: 1, column: 1 },
    ]);
  });

  it('a loader names the file in a single issue', () => {
    const error = (() => {
      try {
        parseInventory('\u0000\u0001\u0002binary', { file: 'photo.jpg' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DocumentError);
    expect((error as DocumentError).issues).toHaveLength(1);
    expect((error as DocumentError).message).toBe(
      'photo.jpg:1:1 (document): not a YAML or JSON text: binary content (byte 0x00) in the first 1024 bytes',
    );
  });
});
