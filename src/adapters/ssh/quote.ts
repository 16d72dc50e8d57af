/**
 * POSIX shell quoting. SSH gives the remote side one command *string*, which the login shell of the
 * remote user parses; every argument Escalator sends goes through {@link shellQuote} so that the shell
 * sees it as one literal word, whatever it contains (`;`, `$(...)`, backticks, quotes, newlines).
 * @module
 */
import { AdapterError } from '../../errors.js';

/**
 * Words made only of these characters mean themselves to every POSIX shell (and to bash and zsh), so
 * they are left bare for readable logs. `=` is safe inside a word but not first (zsh expands `=cmd`);
 * `~`, `*`, `?`, `[`, `{`, `!`, `#` and whitespace are never safe.
 */
const SAFE_WORD = /^[A-Za-z0-9_@%+:,./-][A-Za-z0-9_@%+:,./=-]*$/;

/**
 * Quotes one argument for a POSIX shell: returns it unchanged when it is a safe word, otherwise wraps it
 * in single quotes, writing each embedded `'` as `'\''`. Inside single quotes nothing is special, not
 * even a newline, so the result is always one literal word.
 *
 * Throws a permanent {@link AdapterError} (reason `invalid-argument`) for a NUL byte, which no Unix
 * argument can hold (it would silently cut the argument short).
 *
 * @example
 * ```ts
 * shellQuote('nova-compute'); // nova-compute
 * shellQuote("it's; rm -rf /"); // 'it'\''s; rm -rf /'
 * shellQuote(''); // ''
 * ```
 */
export function shellQuote(arg: string): string {
  if (typeof arg !== 'string')
    throw new AdapterError(`shell arguments must be strings, got ${typeof arg}`, {
      kind: 'permanent',
      reason: 'invalid-argument',
    });
  if (arg.includes('\0'))
    throw new AdapterError(`a shell argument contains a NUL byte, which no command can receive`, {
      kind: 'permanent',
      reason: 'invalid-argument',
    });
  if (SAFE_WORD.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * Joins an argv into one shell command line, each argument quoted by {@link shellQuote}. The shell
 * that parses the result runs `argv[0]` with exactly the arguments `argv[1..]`: no word splitting, no
 * globbing, no expansion, no second command.
 *
 * @example
 * ```ts
 * shellCommand(['dpkg-query', '-W', '-f', '${Package}\\n', 'nova-common']);
 * // dpkg-query -W -f '${Package}\n' nova-common
 * ```
 */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0)
    throw new AdapterError('a command needs at least a program name', {
      kind: 'permanent',
      reason: 'invalid-argument',
    });
  return argv.map(shellQuote).join(' ');
}
