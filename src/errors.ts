/**
 * The gateway's one error vocabulary, for queries, mutations and subscriptions alike.
 * One error type, modelled on undici's taxonomy: a stable string `code`, the HTTP status a
 * client should see, the upstream request id when there is one, and the original `cause`.
 * Upstream errors keep upstream's code; the gateway's own come from the factories below,
 * which own each code with its status.
 */
export type ErrorOrigin = 'UPSTREAM' | 'GATEWAY';

/**
 * What failed, whatever status it is answered with: code that must decide what a failure
 * means (src/jobs/create/failure-outcome.ts) reads this, never the status. Set by the
 * factories below; not sent to clients, so it can be refined without touching the contract.
 */
export type ErrorKind =
  /** MetaStudio (or its API Gateway) answered and refused: a 4xx. */
  | 'upstream-refused'
  /** MetaStudio answered with a failure of its own: a 5xx. */
  | 'upstream-failed'
  | 'upstream-timeout'
  | 'upstream-unavailable'
  | 'bad-upstream-response'
  /** The caller's input was refused: a field, the photo, or an upload that broke off, went idle or grew too large. */
  | 'input-refused'
  | 'malformed-request'
  | 'rate-limited'
  | 'quota-exceeded'
  | 'too-many-uploads'
  /** No turn in the upstream budget's queue (or the caller left while waiting). */
  | 'upstream-busy'
  | 'idempotency-key-reused'
  | 'job-not-found'
  | 'store-unavailable'
  | 'internal';

export const GatewayErrorCode = {
  /** The upstream did not answer within UPSTREAM_TIMEOUT_MS. */
  UPSTREAM_TIMEOUT: 'GATEWAY.UPSTREAM_TIMEOUT',
  /** Connection refused, reset, or the host could not be resolved. */
  UPSTREAM_UNAVAILABLE: 'GATEWAY.UPSTREAM_UNAVAILABLE',
  /** HTML or unparsable body, or a status the API does not use. */
  BAD_UPSTREAM_RESPONSE: 'GATEWAY.BAD_UPSTREAM_RESPONSE',
  /** The gateway's own store (SQLite or Redis) could not be used; nothing was sent upstream. */
  STORE_UNAVAILABLE: 'GATEWAY.STORE_UNAVAILABLE',
  /** A gateway bug; details are in its logs, never in the response. */
  INTERNAL_ERROR: 'GATEWAY.INTERNAL_ERROR',
  /** The gateway refused the input before calling upstream (same code MetaStudio uses). */
  INVALID_PARAMETER: 'MSS.00000003',
  /** No such job for this caller: unknown, or another principal's (answered alike). */
  JOB_NOT_FOUND: 'GATEWAY.JOB_NOT_FOUND',
  /** Too many creates per minute for this principal. */
  RATE_LIMITED: 'GATEWAY.RATE_LIMITED',
  /** Too many unfinished jobs for this principal. */
  QUOTA_EXCEEDED: 'GATEWAY.QUOTA_EXCEEDED',
  /** An idempotencyKey used again with a different input. */
  IDEMPOTENCY_KEY_REUSED: 'GATEWAY.IDEMPOTENCY_KEY_REUSED',
  /** This instance is already streaming as many uploads as it allows. */
  TOO_MANY_UPLOADS: 'GATEWAY.TOO_MANY_UPLOADS',
  /** A create could not get a turn within the upstream budget (UPSTREAM_RATE_LIMITS); nothing was sent upstream. */
  UPSTREAM_BUSY: 'GATEWAY.UPSTREAM_BUSY',
} as const;

export class MetaStudioError extends Error {
  override readonly name = 'MetaStudioError';
  readonly code: string;
  readonly httpStatus: number;
  readonly requestId: string | undefined;
  readonly origin: ErrorOrigin;
  /** Undefined for an error built without one: what it means is then unknown. */
  readonly kind: ErrorKind | undefined;

  constructor(init: {
    code: string;
    message: string;
    httpStatus: number;
    origin: ErrorOrigin;
    kind?: ErrorKind | undefined;
    requestId?: string | undefined;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.httpStatus = init.httpStatus;
    this.requestId = init.requestId;
    this.origin = init.origin;
    this.kind = init.kind;
  }

  /** Worth trying again: the call may not have reached MetaStudio, or it was overloaded. */
  get transient(): boolean {
    return (
      this.code === GatewayErrorCode.UPSTREAM_UNAVAILABLE ||
      this.code === GatewayErrorCode.UPSTREAM_TIMEOUT ||
      (this.origin === 'UPSTREAM' && (this.httpStatus === 429 || this.httpStatus >= 502))
    );
  }
}

/**
 * The HTTP request itself was malformed in a way found only once the mutation had started
 * (a multipart part after the file): reported as an HTTP 400, like any malformed request.
 */
export class MalformedRequestError extends MetaStudioError {}

export const malformedRequest = (message: string) =>
  new MalformedRequestError({ code: 'BAD_REQUEST', message, httpStatus: 400, origin: 'GATEWAY', kind: 'malformed-request' });

export function invalidParameter(message: string, cause?: unknown): MetaStudioError {
  return new MetaStudioError({
    code: GatewayErrorCode.INVALID_PARAMETER,
    message,
    httpStatus: 400,
    origin: 'GATEWAY',
    kind: 'input-refused',
    cause,
  });
}

function gatewayError(kind: ErrorKind, code: string, httpStatus: number, message: string, extra: { requestId?: string | undefined; cause?: unknown } = {}) {
  return new MetaStudioError({ code, message, httpStatus, origin: 'GATEWAY', kind, ...extra });
}

/** MetaStudio (or its API Gateway) refused: its own code, message and status are kept. */
export const upstreamError = (code: string, message: string, httpStatus: number, requestId: string | undefined) =>
  new MetaStudioError({ code, message, httpStatus, origin: 'UPSTREAM', kind: httpStatus < 500 ? 'upstream-refused' : 'upstream-failed', requestId });
export const upstreamTimeout = (message: string, requestId?: string, cause?: unknown) =>
  gatewayError('upstream-timeout', GatewayErrorCode.UPSTREAM_TIMEOUT, 504, message, { requestId, cause });
export const upstreamUnavailable = (message: string, cause?: unknown, requestId?: string) =>
  gatewayError('upstream-unavailable', GatewayErrorCode.UPSTREAM_UNAVAILABLE, 502, message, { cause, requestId });
export const badUpstreamResponse = (message: string, requestId?: string, cause?: unknown) =>
  gatewayError('bad-upstream-response', GatewayErrorCode.BAD_UPSTREAM_RESPONSE, 502, message, { requestId, cause });
export const storeUnavailable = (cause?: unknown) =>
  gatewayError('store-unavailable', GatewayErrorCode.STORE_UNAVAILABLE, 503, 'The gateway cannot record jobs right now; nothing was sent to MetaStudio', { cause });
export const internalError = (cause?: unknown) =>
  gatewayError('internal', GatewayErrorCode.INTERNAL_ERROR, 500, 'The gateway could not complete the call', { cause });
export const jobNotFound = (jobId: string) => gatewayError('job-not-found', GatewayErrorCode.JOB_NOT_FOUND, 404, `No picture-modeling job ${jobId} for this caller`);
export const rateLimited = (retryAfterMs: number, perMinute: number) =>
  gatewayError(
    'rate-limited',
    GatewayErrorCode.RATE_LIMITED,
    429,
    `At most ${perMinute} creates per minute; retry in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s. Nothing was sent to MetaStudio`,
  );
export const quotaExceeded = (max: number) =>
  gatewayError(
    'quota-exceeded',
    GatewayErrorCode.QUOTA_EXCEEDED,
    429,
    `At most ${max} unfinished jobs at once; retry when one of your jobs has ended. Nothing was sent to MetaStudio`,
  );
export const idempotencyKeyReused = () =>
  gatewayError('idempotency-key-reused', GatewayErrorCode.IDEMPOTENCY_KEY_REUSED, 422, 'This idempotencyKey was already used with a different input');
export const tooManyUploads = (max: number) =>
  gatewayError('too-many-uploads', GatewayErrorCode.TOO_MANY_UPLOADS, 503, `This instance is already receiving ${max} uploads; retry in a few seconds`);

export const tooManyUploadsForPrincipal = (max: number) =>
  gatewayError('too-many-uploads', GatewayErrorCode.TOO_MANY_UPLOADS, 429, `You are already sending ${max} uploads at once; retry when one of them is over`);
export const upstreamBusy = (retryAfterMs: number, why: string) =>
  gatewayError(
    'upstream-busy',
    GatewayErrorCode.UPSTREAM_BUSY,
    503,
    `${why}; retry in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s. Nothing was sent to MetaStudio`,
  );

/**
 * API Gateway refused the call for its rate limit (429 APIG.0308 / APIGW.0308): MetaStudio
 * never saw it, so it may be sent again later. A daily quota under the same code is not
 * a throttle: waiting seconds would not help, so it goes to the client as it is.
 */
export function isUpstreamThrottle(error: unknown): error is MetaStudioError {
  return (
    isMetaStudioError(error) &&
    error.origin === 'UPSTREAM' &&
    error.httpStatus === 429 &&
    (error.code === 'APIG.0308' || error.code === 'APIGW.0308') &&
    !/\b(day|daily|quota)\b/i.test(error.message)
  );
}

/**
 * MetaStudio answered and refused (a 4xx): the request was judged and nothing was done.
 * For a read of one job that means "not found" to the caller; for a create, no job.
 */
export function isUpstreamRefusal(error: unknown): error is MetaStudioError {
  return isMetaStudioError(error) && error.origin === 'UPSTREAM' && error.httpStatus < 500;
}

export function isMetaStudioError(error: unknown): error is MetaStudioError {
  return error instanceof MetaStudioError;
}
