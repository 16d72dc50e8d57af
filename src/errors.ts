/**
 * Errors thrown by Escalator. Every error has a stable string `code` that hosts may switch on;
 * messages may change between releases, codes do not.
 *
 * @module
 */

/** The stable codes of every {@link EscalatorError}. */
export const ErrorCode = {
  /** A document (inventory, campaign, plan, catalog) is malformed or inconsistent. */
  InvalidDocument: 'ESC_INVALID_DOCUMENT',
  /** A file could not be read. */
  FileUnreadable: 'ESC_FILE_UNREADABLE',
  /** The component catalog has a dependency cycle. */
  DependencyCycle: 'ESC_DEPENDENCY_CYCLE',
  /** No plan can honour the constraints. */
  Infeasible: 'ESC_INFEASIBLE',
  /** A state transition that the machine does not allow. */
  IllegalTransition: 'ESC_ILLEGAL_TRANSITION',
  /** The principal may not perform the action. */
  Forbidden: 'ESC_FORBIDDEN',
  /** Another engine holds the campaign's lock. */
  Locked: 'ESC_LOCKED',
  /** The journal is corrupt or truncated. */
  JournalCorrupt: 'ESC_JOURNAL_CORRUPT',
  /** An adapter call failed. */
  AdapterFailure: 'ESC_ADAPTER_FAILURE',
  /** A step ran past its timeout. */
  Timeout: 'ESC_TIMEOUT',
  /** An option given to a factory is missing or wrong. */
  InvalidOption: 'ESC_INVALID_OPTION',
  /** The maintenance window (`finishBy`) is closed, or too short for the next wave. */
  WindowClosed: 'ESC_WINDOW_CLOSED',
} as const;

/** One of the values of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const BRAND = Symbol.for('escalator.error');

/** Options common to every {@link EscalatorError}. */
export interface EscalatorErrorOptions {
  /** The error that caused this one. */
  readonly cause?: unknown;
  /**
   * Whether trying again may succeed (a transient fault).
   * @defaultValue false
   */
  readonly retryable?: boolean | undefined;
}

/**
 * Base class of every error Escalator throws.
 *
 * @example
 * ```ts
 * try { await loadInventory('inventory.yaml'); }
 * catch (e) { if (EscalatorError.is(e) && e.code === 'ESC_INVALID_DOCUMENT') console.error(e.message); }
 * ```
 */
export class EscalatorError extends Error {
  /** The stable code; see {@link ErrorCode}. */
  readonly code: ErrorCode;
  /** Whether trying again may succeed. */
  readonly retryable: boolean;
  /** @internal marks instances across copies of the package */
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options: EscalatorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }

  /**
   * True for any Escalator error, even one thrown by another copy of the package
   * (where `instanceof` fails).
   */
  static is(value: unknown): value is EscalatorError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** Where in a file a problem is, and what it is. */
export interface DocumentIssue {
  /** A stable code for the kind of problem, e.g. `schema`, `unknown-reference`, `duplicate-name`. */
  readonly code: string;
  /** The path of the offending field, e.g. `['strategy', 'maxParallel']`. */
  readonly path: readonly (string | number)[];
  /** What is wrong and what is expected. */
  readonly message: string;
  /** 1-based line, when the source is known. */
  readonly line?: number | undefined;
  /** 1-based column, when the source is known. */
  readonly column?: number | undefined;
}

/** Formats a field path the way users write it: `nodes[3].capacity.vcpus`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? '(document)' : out;
}

/** Formats one issue as `file:line:column path: message`. */
export function formatIssue(file: string, issue: DocumentIssue): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
  return `${where} ${formatPath(issue.path)}: ${issue.message}`;
}

/**
 * A document failed validation. Carries every problem found, not just the first.
 * The message lists them one per line, each as `file:line:column path: message`.
 */
export class DocumentError extends EscalatorError {
  /** The file name (or `<string>` for text given directly). */
  readonly file: string;
  /** Every problem found. */
  readonly issues: readonly DocumentIssue[];

  constructor(file: string, issues: readonly DocumentIssue[]) {
    super(ErrorCode.InvalidDocument, issues.map((i) => formatIssue(file, i)).join('\n'));
    this.file = file;
    this.issues = issues;
  }
}

/** A file could not be read from disk. */
export class FileUnreadableError extends EscalatorError {
  /** The path that was asked for. */
  readonly file: string;
  constructor(file: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(ErrorCode.FileUnreadable, `${file}: cannot read the file (${reason})`, { cause });
    this.file = file;
  }
}

/** The component dependencies form a cycle; `cycle` names it in order. */
export class DependencyCycleError extends EscalatorError {
  /** The components on the cycle, first repeated at the end. */
  readonly cycle: readonly string[];
  constructor(cycle: readonly string[]) {
    super(ErrorCode.DependencyCycle, `component dependencies form a cycle: ${cycle.join(' -> ')}`);
    this.cycle = cycle;
  }
}

/** What an {@link InfeasiblePlanError} is about. */
export interface InfeasibleDetail {
  /** The constraint that cannot be honoured, e.g. `vnf-min-available`, `capacity`, `cluster-quorum`. */
  readonly constraint: string;
  /** Nodes involved. */
  readonly nodes: readonly string[];
  /** Instances involved. */
  readonly instances: readonly string[];
  /** What would make a plan possible. */
  readonly fix: string;
}

/** No plan can honour the constraints; the error says which, on what, and what would fix it. */
export class InfeasiblePlanError extends EscalatorError {
  /** The constraint, objects and fix. */
  readonly detail: InfeasibleDetail;
  constructor(message: string, detail: InfeasibleDetail) {
    const objects = [
      ...detail.nodes.map((n) => `node ${n}`),
      ...detail.instances.map((i) => `instance ${i}`),
    ];
    super(
      ErrorCode.Infeasible,
      `no plan possible: ${message}` +
        (objects.length > 0
          ? ` (${objects.slice(0, 10).join(', ')}${objects.length > 10 ? ', …' : ''})`
          : '') +
        `. Fix: ${detail.fix}`,
    );
    this.detail = detail;
  }
}

/** A transition the state machine does not allow. */
export class IllegalTransitionError extends EscalatorError {
  constructor(
    readonly machine: 'campaign' | 'step',
    readonly from: string,
    readonly event: string,
  ) {
    super(ErrorCode.IllegalTransition, `${machine}: "${event}" is not allowed in state "${from}"`);
  }
}

/** The principal may not perform the action. */
export class ForbiddenError extends EscalatorError {
  constructor(
    readonly principal: string,
    readonly action: string,
    reason: string,
  ) {
    super(ErrorCode.Forbidden, `${principal} may not ${action}: ${reason}`);
  }
}

/** Another engine holds the campaign's lock. */
export class LockedError extends EscalatorError {
  constructor(
    readonly campaign: string,
    readonly holder: string,
  ) {
    super(
      ErrorCode.Locked,
      `campaign "${campaign}" is being run by ${holder}; two engines must not run it at once`,
    );
  }
}

/** The journal is damaged, truncated or out of order; it is never silently accepted. */
export class JournalCorruptError extends EscalatorError {
  constructor(
    readonly campaign: string,
    readonly line: number,
    detail: string,
  ) {
    super(
      ErrorCode.JournalCorrupt,
      `journal of campaign "${campaign}" is corrupt at record ${line}: ${detail}`,
    );
  }
}

/** Whether a failed adapter call may succeed if tried again. */
export type FaultKind = 'transient' | 'permanent';

/**
 * An adapter call failed. `retryable` tells the engine's retry policy whether to try again
 * (transient: 5xx, 429, connection reset, timeout) or not (permanent: 4xx, a refused migration).
 */
export class AdapterError extends EscalatorError {
  /** The adapter's own code, e.g. `http-503`, `ssh-exit-100`, `migration-refused`. */
  readonly reason: string;
  /** The request id of the remote API, when it gave one. */
  readonly requestId?: string | undefined;
  /** For 429: seconds the server asked to wait. */
  readonly retryAfterSeconds?: number | undefined;
  constructor(
    message: string,
    options: {
      kind: FaultKind;
      reason: string;
      requestId?: string | undefined;
      retryAfterSeconds?: number | undefined;
      cause?: unknown;
    },
  ) {
    super(ErrorCode.AdapterFailure, message, {
      retryable: options.kind === 'transient',
      cause: options.cause,
    });
    this.reason = options.reason;
    this.requestId = options.requestId;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** The maintenance window (`finishBy`) has closed, or the next wave cannot finish within it. */
export class WindowClosedError extends EscalatorError {
  constructor(
    /** The end of the window (ISO). */
    readonly finishBy: string,
    message: string,
  ) {
    super(ErrorCode.WindowClosed, message);
  }
}

/** A step ran past its timeout. */
export class StepTimeoutError extends EscalatorError {
  constructor(
    readonly step: string,
    readonly seconds: number,
  ) {
    super(ErrorCode.Timeout, `step ${step} did not finish within ${seconds} s`);
  }
}
