/**
 * Errors of the REST API and their RFC 9457 problem documents. The service throws Escalator's own
 * errors (forbidden, illegal transition, invalid document...) or a {@link ServiceError} for what only a
 * service has (unknown campaign, duplicate id); {@link toProblem} maps either to a status and a problem
 * with the stable `ESC_*` code. Anything else is a 500 that says nothing of the server's internals.
 * @module
 */
import { DocumentError, ErrorCode, EscalatorError, formatPath } from '../errors.js';
import type { Problem } from './schemas.js';

/**
 * Codes the REST API adds to {@link ErrorCode}, for what only a service or HTTP has. Stable, like
 * every `ESC_*` code.
 */
export const HttpErrorCode = {
  /** Malformed request: not JSON, a bad query parameter, a bad path segment. */
  InvalidRequest: 'ESC_INVALID_REQUEST',
  /** No bearer token, or one the verifier does not know. */
  Unauthenticated: 'ESC_UNAUTHENTICATED',
  /** No such route or campaign. */
  NotFound: 'ESC_NOT_FOUND',
  /** The route exists, not with this method. */
  MethodNotAllowed: 'ESC_METHOD_NOT_ALLOWED',
  /** The request clashes with the current state (a campaign id already taken). */
  Conflict: 'ESC_CONFLICT',
  /** The body is larger than the service accepts. */
  BodyTooLarge: 'ESC_BODY_TOO_LARGE',
  /** The body is not JSON. */
  UnsupportedMediaType: 'ESC_UNSUPPORTED_MEDIA_TYPE',
  /** The service is starting, stopping, or cannot check a token right now. */
  Unavailable: 'ESC_UNAVAILABLE',
  /** A plan exists for the documents but breaks the checker's rules. */
  InvalidPlan: 'ESC_INVALID_PLAN',
  /**
   * The campaign's engine stopped on an error (its journal could not be written): it is readable but
   * takes no command until the service restarts. Other campaigns are not affected.
   */
  CampaignFaulted: 'ESC_CAMPAIGN_FAULTED',
  /** Something unexpected; the server's log has the details. */
  Internal: 'ESC_INTERNAL',
} as const;
/** One of the values of {@link HttpErrorCode}. */
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];

/** One problem found in a request, as listed in a problem's `errors`. */
export interface RequestIssue {
  /** Where, as users write it: `inventory.nodes[3].capacity.vcpus`; `(document)` for the whole body. */
  readonly path: string;
  readonly message: string;
  /** The kind of problem: `schema`, `unknown-field`, `unknown-reference`, a checker rule... */
  readonly code?: string | undefined;
}

/** An error of the service or the HTTP layer, with its status and code. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode | ErrorCode,
    message: string,
    readonly options: {
      readonly errors?: readonly RequestIssue[] | undefined;
      readonly headers?: Readonly<Record<string, string>> | undefined;
    } = {},
  ) {
    super(message);
  }
}

/** Shorthand for a 404 on a campaign. */
export function campaignNotFound(id: string): ServiceError {
  return new ServiceError(
    404,
    HttpErrorCode.NotFound,
    `no campaign "${id}": list them with GET /v1/campaigns`,
  );
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** How each core code answers over HTTP. Codes not listed are 500s whose message is not shown. */
const CORE_STATUS: Readonly<Partial<Record<string, number>>> = {
  [ErrorCode.InvalidDocument]: 400,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.IllegalTransition]: 409,
  [ErrorCode.Locked]: 409,
  [ErrorCode.Infeasible]: 422,
  [ErrorCode.DependencyCycle]: 422,
};

/** A problem document, its status and extra headers. */
export interface ProblemResponse {
  readonly status: number;
  readonly body: Problem;
  readonly headers: Readonly<Record<string, string>>;
  /** Whether the error was unexpected (to be logged with its stack). */
  readonly unexpected: boolean;
}

/**
 * Maps an error to its problem document. `instance` is the request's path; `requestId` names the
 * request in the server's log (shown on 500s, whose detail says nothing else).
 */
export function toProblem(error: unknown, instance: string, requestId: string): ProblemResponse {
  if (error instanceof ServiceError)
    return {
      status: error.status,
      body: problem(error.status, error.code, error.message, instance, error.options.errors),
      headers: error.options.headers ?? {},
      unexpected: false,
    };
  if (EscalatorError.is(error)) {
    const status = CORE_STATUS[error.code];
    if (status !== undefined) {
      const errors =
        error instanceof DocumentError
          ? error.issues.map((i) => ({ path: formatPath(i.path), message: i.message, code: i.code }))
          : undefined;
      return {
        status,
        body: problem(status, error.code, error.message, instance, errors),
        headers: {},
        unexpected: false,
      };
    }
    return {
      status: 500,
      body: {
        ...problem(500, error.code, internalDetail(requestId), instance, undefined),
        requestId,
      },
      headers: {},
      unexpected: true,
    };
  }
  return {
    status: 500,
    body: {
      ...problem(500, HttpErrorCode.Internal, internalDetail(requestId), instance, undefined),
      requestId,
    },
    headers: {},
    unexpected: true,
  };
}

function internalDetail(requestId: string): string {
  return `the server could not handle the request; its log has the details under request id ${requestId}`;
}

/** Builds a problem document. */
export function problem(
  status: number,
  code: string,
  detail: string,
  instance: string,
  errors: readonly RequestIssue[] | undefined,
): Problem {
  return {
    type: `urn:escalator:problem:${code.replace(/^ESC_/, '').toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    instance,
    ...(errors === undefined ? {} : { errors: errors.map((e) => ({ ...e })) }),
  };
}
