/**
 * Runs the CLI from its TypeScript sources in a child process, as a user would run `escalator`.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** tsx's loader, so the child runs src/ directly. */
export const TSX = join(ROOT, 'node_modules/tsx/dist/esm/index.mjs');
/** The CLI's entry point. */
export const MAIN = join(ROOT, 'src/cli/main.ts');

/** What one CLI run gave. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link escalator}. */
export interface CliOptions {
  /** The child's environment. @defaultValue this process's */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** @defaultValue 120_000 */
  readonly timeoutMs?: number | undefined;
}

/** Runs `escalator ...args` in `cwd` and resolves with its exit code and output, whatever the code. */
export async function escalator(
  cwd: string,
  args: readonly string[],
  options: CliOptions = {},
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', TSX, MAIN, ...args], {
      cwd,
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 16 * 2 ** 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
