/**
 * Transports a host may supply beneath the adapters: how to make an HTTP request, how to run a command
 * on a node. The library's adapters speak protocols over these and never open connections themselves.
 */
import type { CallOptions } from './common.js';
import type { CommandResult } from './node-agent.js';

/** An HTTP request. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** An HTTP response, body already read. */
export interface HttpResponse {
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Makes one HTTP request. The default is built on Node's `fetch`. */
export type HttpTransport = (request: HttpRequest) => Promise<HttpResponse>;

/** Where and as whom to run commands. */
export interface NodeEndpoint {
  readonly node: string;
  readonly address: string;
  readonly port?: number | undefined;
  readonly user?: string | undefined;
  /** Names a credential the host resolves; the secret itself never passes through Escalator. */
  readonly credentialsRef?: string | undefined;
}

/** Options of {@link CommandTransport.exec}. */
export interface ExecOptions extends CallOptions {
  readonly timeoutMs?: number | undefined;
  /** Receives output as it arrives (for logs and live views). */
  readonly onOutput?: ((chunk: string, stream: 'stdout' | 'stderr') => void) | undefined;
}

/** Runs a command (argv, never a shell string) on a node. */
export interface CommandTransport {
  exec(endpoint: NodeEndpoint, argv: readonly string[], options?: ExecOptions): Promise<CommandResult>;
  /** Closes reused connections. */
  close?(): Promise<void>;
}
