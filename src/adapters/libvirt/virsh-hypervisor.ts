/**
 * The {@link Hypervisor} port over libvirt's `virsh`, run on the node through a {@link CommandTransport}
 * (the OpenSSH one in production).
 * @module
 */
import { AdapterError, ErrorCode, EscalatorError } from '../../errors.js';
import { redactString } from '../../logging/redact.js';
import type { CallOptions } from '../../ports/common.js';
import type { Domain, Hypervisor } from '../../ports/hypervisor.js';
import type { CommandResult } from '../../ports/node-agent.js';
import type { CommandTransport, NodeEndpoint } from '../../ports/transport.js';

/** Options of {@link createVirshHypervisor}. */
export interface VirshHypervisorOptions {
  /** Runs commands on nodes, e.g. {@link "escalator/ssh"!createOpenSshTransport | createOpenSshTransport}. */
  readonly transport: CommandTransport;
  /** Where a node is: see {@link "escalator/ssh"!inventoryEndpoints | inventoryEndpoints}. May throw an {@link AdapterError}. */
  readonly endpoints: (node: string) => NodeEndpoint;
  /** The libvirt connection URI (`virsh -c`). @defaultValue 'qemu:///system' */
  readonly uri?: string | undefined;
  /** Prefix `virsh` with `sudo -n --` (for a login user outside the libvirt group). @defaultValue false */
  readonly sudo?: boolean | undefined;
  /** Timeout of one `virsh` call. @defaultValue 60_000 */
  readonly timeoutMs?: number | undefined;
}

/** virsh's state words (C locale) to the port's. `idle`/`blocked` are running domains waiting for I/O. */
const STATES: Readonly<Record<string, Domain['state']>> = {
  running: 'running',
  idle: 'running',
  blocked: 'running',
  paused: 'paused',
  'shut off': 'shutoff',
};

/** Messages of a libvirt daemon that is restarting or not up yet: worth trying again. */
const UNAVAILABLE =
  /failed to connect to the hypervisor|cannot connect|Connection (reset|refused)|libvirt-sock|End of file while reading/i;

function tail(result: CommandResult): string {
  const text = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' | ');
  return `exit ${result.exitCode}${text ? `: ${redactString(text.slice(-300))}` : ''}`;
}

/**
 * Creates the virsh {@link Hypervisor}:
 * - `domains`: `virsh list --all --name`, then `virsh domstate --domain <name>` for each (a domain that
 *   vanished in between is left out); `idle` and `blocked` count as running, `shut off` as shutoff,
 *   anything else (`crashed`, `pmsuspended`, `in shutdown`) as other.
 * - `version`: `virsh version --daemon`, as `libvirt <daemon version>, <hypervisor> <version>`.
 * - `ready`: whether `virsh version --daemon` reaches the daemon.
 *
 * Every call runs `env LC_ALL=C virsh -c <uri> ...` so the output is parsed in one language. A daemon
 * that does not answer is a transient {@link AdapterError} (`libvirt-unavailable`), other failures a
 * permanent one (`virsh-failed`).
 *
 * @example
 * ```ts
 * const hypervisor = createVirshHypervisor({ transport, endpoints: inventoryEndpoints(inventory) });
 * if (await hypervisor.ready('cmp-001')) console.log(await hypervisor.domains('cmp-001'));
 * ```
 */
export function createVirshHypervisor(options: VirshHypervisorOptions): Hypervisor {
  if (!options || typeof options.transport?.exec !== 'function')
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      'transport is not set. Pass createVirshHypervisor({ transport: createOpenSshTransport(), endpoints })',
    );
  if (typeof options.endpoints !== 'function')
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      'endpoints is not set. Pass createVirshHypervisor({ transport, endpoints: inventoryEndpoints(inventory) })',
    );
  const uri = options.uri ?? 'qemu:///system';
  if (uri === '' || uri.startsWith('-'))
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      `uri must be a libvirt URI such as qemu:///system, got "${uri}"`,
    );
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0))
    throw new EscalatorError(ErrorCode.InvalidOption, `timeoutMs must be above 0, got ${options.timeoutMs}`);

  const virsh = async (node: string, args: readonly string[], call: CallOptions): Promise<CommandResult> => {
    let endpoint: NodeEndpoint;
    try {
      endpoint = options.endpoints(node);
    } catch (error) {
      if (EscalatorError.is(error)) throw error;
      throw new AdapterError(`no endpoint for node ${node}: ${String(error)}`, {
        kind: 'permanent',
        reason: 'unknown-node',
        cause: error,
      });
    }
    const argv = ['env', 'LC_ALL=C', 'virsh', '-c', uri, ...args];
    return options.transport.exec(endpoint, options.sudo ? ['sudo', '-n', '--', ...argv] : argv, {
      timeoutMs: options.timeoutMs ?? 60_000,
      signal: call.signal,
    });
  };
  const failure = (node: string, what: string, result: CommandResult) =>
    UNAVAILABLE.test(result.stderr)
      ? new AdapterError(`libvirt on ${node} does not answer ${what} (${tail(result)})`, {
          kind: 'transient',
          reason: 'libvirt-unavailable',
        })
      : new AdapterError(`virsh on ${node} failed to ${what} (${tail(result)})`, {
          kind: 'permanent',
          reason: 'virsh-failed',
        });

  return {
    async domains(node, call = {}) {
      const list = await virsh(node, ['list', '--all', '--name'], call);
      if (list.exitCode !== 0) throw failure(node, 'list domains', list);
      const names = list.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '');
      const out: Domain[] = [];
      for (const name of names) {
        const state = await virsh(node, ['domstate', '--domain', name], call);
        if (state.exitCode !== 0) {
          if (/failed to get domain|Domain not found/i.test(state.stderr)) continue; // gone meanwhile
          throw failure(node, `read the state of ${name}`, state);
        }
        const word = state.stdout.trim().split('\n')[0]?.trim() ?? '';
        out.push({ name, state: STATES[word] ?? 'other' });
      }
      return out;
    },
    async version(node, call = {}) {
      const result = await virsh(node, ['version', '--daemon'], call);
      if (result.exitCode !== 0) throw failure(node, 'tell its version', result);
      const field = (label: string) =>
        new RegExp(`^\\s*${label}:\\s*(.+)$`, 'm').exec(result.stdout)?.[1]?.trim();
      const daemon = field('Running against daemon');
      const hypervisor = field('Running hypervisor');
      const library = field('Using library');
      const parts = [daemon ? `libvirt ${daemon}` : library, hypervisor].filter((p) => p !== undefined);
      if (parts.length === 0)
        throw new AdapterError(`virsh on ${node} printed no version`, {
          kind: 'permanent',
          reason: 'virsh-failed',
        });
      return parts.join(', ');
    },
    async ready(node, call = {}) {
      const result = await virsh(node, ['version', '--daemon'], call);
      return result.exitCode === 0 && /Running against daemon/.test(result.stdout);
    },
  };
}
