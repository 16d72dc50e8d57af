/**
 * The simulator backend of `escalator serve` on a full disk: a write of the simulated cloud's operation
 * log that fails must not end the process (it used to throw from a timer of the simulated cloud, which
 * took `serve` down with every campaign); the cloud refuses further calls with a permanent adapter error
 * that says why, so the campaign pauses on it.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Runs a script under a file size limit of 1 KiB (writes past it fail with EFBIG, as on a full disk). */
function runWithFullDisk(script: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'bash',
      ['-c', 'ulimit -f 1 && exec "$0" "$@"', process.execPath, '--import', 'tsx', script],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('simulator backend on a full disk', () => {
  it('keeps the process alive and refuses calls with a permanent error once its log cannot be written', async () => {
    const { code, out } = await runWithFullDisk('test/support/fill-operation-log.ts');
    expect(out).toContain('reboot accepted');
    expect(out).toContain(
      'call refused: {"code":"ESC_ADAPTER_FAILURE","reason":"simulator-log-unwritable","retryable":false}',
    );
    expect(out).toMatch(/cannot record its operations in .*c\.jsonl \(EFBIG: file too large, write\)/);
    // The reboot finished later, in a timer, and its write failed too: the process lived on.
    expect(out).toContain('still alive');
    expect(code).toBe(0);
  });
});
