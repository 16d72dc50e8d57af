/** The real-cloud backend's SSH connection limit (`ssh.maxConnections`). */
import { describe, expect, it } from 'vitest';
import { limitConcurrency } from '../src/cli/real-cloud.js';
import type { CommandResult } from '../src/ports/node-agent.js';

describe('ssh.maxConnections', () => {
  it('runs at most that many commands at once, the others in the order they came, and passes close on', async () => {
    let running = 0;
    let most = 0;
    const started: string[] = [];
    let closed = false;
    const transport = {
      exec: async (endpoint: { node: string }): Promise<CommandResult> => {
        running++;
        most = Math.max(most, running);
        started.push(endpoint.node);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        if (endpoint.node === 'n3') throw new Error('unreachable');
        return { exitCode: 0, stdout: endpoint.node, stderr: '' };
      },
      close: async () => {
        closed = true;
      },
    };
    const limited = limitConcurrency(transport, 2);
    const nodes = Array.from({ length: 8 }, (_, i) => `n${i}`);
    const results = await Promise.allSettled(
      nodes.map((node) => limited.exec({ node, address: node }, ['true'])),
    );
    expect(most).toBe(2);
    expect(started).toEqual(nodes);
    // A failed command frees its slot like any other.
    expect(results.map((r) => r.status)).toEqual(nodes.map((n) => (n === 'n3' ? 'rejected' : 'fulfilled')));
    await limited.close();
    expect(closed).toBe(true);
  });
});
