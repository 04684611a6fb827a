/**
 * One error type for everything that can go wrong talking to MetaStudio, modelled on
 * undici's taxonomy: a stable string `code`, the HTTP status a client should see,
 * the upstream request id when there is one, and the original `cause`.
 */
export type ErrorOrigin = 'UPSTREAM' | 'GATEWAY';

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
} as const;

export class MetaStudioError extends Error {
  override readonly name = 'MetaStudioError';
  readonly code: string;
  readonly httpStatus: number;
  readonly requestId: string | undefined;
  readonly origin: ErrorOrigin;

  constructor(init: {
    code: string;
    message: string;
    httpStatus: number;
    origin: ErrorOrigin;
    requestId?: string | undefined;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.httpStatus = init.httpStatus;
    this.requestId = init.requestId;
    this.origin = init.origin;
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

export function invalidParameter(message: string, cause?: unknown): MetaStudioError {
  return new MetaStudioError({
    code: GatewayErrorCode.INVALID_PARAMETER,
    message,
    httpStatus: 400,
    origin: 'GATEWAY',
    cause,
  });
}

export function isMetaStudioError(error: unknown): error is MetaStudioError {
  return error instanceof MetaStudioError;
}
