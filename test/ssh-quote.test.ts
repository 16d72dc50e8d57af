/**
 * POSIX shell quoting: whatever the argument, a real shell (dash and bash) reads back exactly it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from '../src/adapters/ssh/index.js';
import { AdapterError } from '../src/errors.js';

const SHELLS = ['/bin/sh', '/bin/bash', '/bin/dash'].filter((s) => existsSync(s));

/** What `shell` prints for `printf '%s\037' <command words>`: the words as the shell parsed them. */
function parsedBy(shell: string, line: string): string[] {
  const result = spawnSync(shell, ['-c', `printf '%s\\037' ${line}`], { encoding: 'utf8' });
  expect(result.status).toBe(0);
  return result.stdout.split('\x1f').slice(0, -1);
}

describe('shellQuote', () => {
  it('leaves safe words bare and single-quotes the rest', () => {
    expect(shellQuote('nova-compute')).toBe('nova-compute');
    expect(shellQuote('pkg=1:2.0-1ubuntu1')).toBe('pkg=1:2.0-1ubuntu1');
    expect(shellQuote('/var/backups/escalator')).toBe('/var/backups/escalator');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('$(id)')).toBe("'$(id)'");
    expect(shellQuote('=cmd')).toBe("'=cmd'"); // zsh expands a leading =
    expect(shellQuote('~')).toBe("'~'");
  });

  it('rejects a NUL byte with a permanent invalid-argument error', () => {
    expect(() => shellQuote('a\0b')).toThrow(AdapterError);
    try {
      shellQuote('a\0b');
    } catch (error) {
      expect((error as AdapterError).reason).toBe('invalid-argument');
      expect((error as AdapterError).retryable).toBe(false);
    }
    expect(() => shellCommand([])).toThrow(AdapterError);
  });

  it.each(SHELLS)('round-trips hostile arguments through %s', (shell) => {
    const hostile = [
      'a; touch /tmp/x',
      '$(id)',
      '`id`',
      "'",
      "''",
      '"',
      '\\',
      'x\ny',
      '\t',
      '*',
      '?',
      '[a]',
      '{a,b}',
      '!!',
      '#',
      '&',
      '|',
      '>out',
      '<in',
      '$HOME',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion, to be left unexpanded
      '${HOME}',
      '~root',
      '-n',
      '--',
      'ünïcödé ✓',
    ];
    expect(parsedBy(shell, hostile.map(shellQuote).join(' '))).toEqual(hostile);
    expect(parsedBy(shell, shellCommand(hostile))).toEqual(hostile);
  });

  it('round-trips any string through the shell (property)', () => {
    const shell = SHELLS[0]!;
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'binary', maxLength: 24 }).filter((s) => !s.includes('\0')),
          { minLength: 1, maxLength: 5 },
        ),
        (args) => {
          expect(parsedBy(shell, shellCommand(args))).toEqual(args);
        },
      ),
      { numRuns: 150 },
    );
  });
});
