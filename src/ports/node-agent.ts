/**
 * The `NodeAgent` port: what the engine does on a node (over SSH in the default adapter).
 */
import type { CallOptions } from './common.js';

/** Output of a command run on a node. */
export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link NodeAgent.run}. */
export interface RunOptions extends CallOptions {
  /** Kill the command after this many milliseconds. */
  readonly timeoutMs?: number | undefined;
}

/** What to save before changing a node. */
export interface BackupRequest {
  /** A label unique in the campaign, e.g. `w3.cmp-004`. */
  readonly label: string;
  /** Component to installed version, to go back to. */
  readonly software: Readonly<Record<string, string>>;
  readonly files: readonly string[];
  readonly databases: readonly string[];
}

/** A saved backup, as recorded in the journal. */
export interface BackupRef {
  readonly node: string;
  readonly label: string;
  /** Where the adapter keeps it (a path on the node, an object key...). */
  readonly location: string;
  readonly software: Readonly<Record<string, string>>;
  /** Checksum of the backup's content, checked before a restore. */
  readonly checksum: string;
}

/** The state of a node's services. */
export interface HealthReport {
  readonly ok: boolean;
  readonly services: readonly { readonly name: string; readonly active: boolean }[];
}

/** Options of {@link NodeAgent.waitReady}. */
export interface WaitReadyOptions extends CallOptions {
  /**
   * The boot id the node had before it was asked to reboot, as journaled by the `reboot` step: the
   * wait ends only when the node answers with another one, so a node still going down (or a process
   * resumed after a crash, which remembers nothing) is not taken for a node that came back. Without
   * it, the first answer ends the wait.
   */
  readonly since?: string | undefined;
}

/** The node port. Every method may reject with an {@link AdapterError}. */
export interface NodeAgent {
  /** Runs a command given as argv (never a shell string). */
  run(node: string, argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** Installed versions of the given components (absent ones are left out). */
  installedVersions(
    node: string,
    components: readonly string[],
    options?: CallOptions,
  ): Promise<Record<string, string>>;
  /** Installs exactly these versions (upgrade or downgrade), non-interactively. */
  installVersions(
    node: string,
    software: Readonly<Record<string, string>>,
    options?: CallOptions,
  ): Promise<void>;
  restartServices(node: string, services: readonly string[], options?: CallOptions): Promise<void>;
  /** An id that changes at every boot (Linux: /proc/sys/kernel/random/boot_id). */
  bootId(node: string, options?: CallOptions): Promise<string>;
  /** Starts a reboot; resolves once the node accepted it (it then goes away). */
  reboot(node: string, options?: CallOptions): Promise<void>;
  /**
   * Resolves when the node answers again, with a boot id other than `options.since` when given;
   * rejects on abort. Keeps no state between calls: what it waits for is all in its arguments.
   */
  waitReady(node: string, options?: WaitReadyOptions): Promise<void>;
  backup(node: string, request: BackupRequest, options?: CallOptions): Promise<BackupRef>;
  restore(node: string, backup: BackupRef, options?: CallOptions): Promise<void>;
  health(node: string, services: readonly string[], options?: CallOptions): Promise<HealthReport>;
}
