// The typed errors every layer throws. Only src/http/errors.ts turns them into HTTP statuses.

export type ErrorCode =
  | 'invalid_request'
  | 'invalid_api_key'
  | 'insufficient_credit'
  | 'budget_exceeded'
  | 'forbidden'
  | 'not_found'
  | 'model_not_found'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'no_offering'
  | 'rate_limited'
  | 'upstream_error'
  | 'upstream_unavailable'
  | 'upstream_timeout'
  | 'upstream_client_error'
  | 'service_unavailable'
  | 'internal_error';

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidRequest extends ApiError {
  constructor(message: string, param: string | null = null) {
    super('invalid_request', message, param);
  }
}

export class Unauthorized extends ApiError {
  constructor(message = 'Invalid or missing API key.') {
    super('invalid_api_key', message);
  }
}

export class PaymentRequired extends ApiError {
  constructor(message: string, code: 'insufficient_credit' | 'budget_exceeded' = 'insufficient_credit') {
    super(code, message);
  }
}

export class Forbidden extends ApiError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

export class NotFound extends ApiError {
  constructor(message: string, code: 'not_found' | 'model_not_found' = 'not_found', param: string | null = null) {
    super(code, message, param);
  }
}

export class PayloadTooLarge extends ApiError {
  constructor(message: string, param: string | null = null) {
    super('payload_too_large', message, param);
  }
}

export class UnsupportedMediaType extends ApiError {
  constructor(message: string, param: string | null = null) {
    super('unsupported_media_type', message, param);
  }
}

/** No offering in the catalog can serve this job (422). */
export class NoOffering extends ApiError {
  constructor(message: string) {
    super('no_offering', message);
  }
}

export class RateLimited extends ApiError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    readonly limitHeaders: Record<string, string> = {},
  ) {
    super('rate_limited', message);
  }
}

export class ServiceUnavailable extends ApiError {
  constructor(message: string) {
    super('service_unavailable', message);
  }
}

export type UpstreamFailureKind = 'connect' | 'timeout' | 'http' | 'protocol' | 'aborted';

/**
 * A provider call that failed. `isRetryable` tells the dispatcher whether another offering may
 * succeed: connection failures, timeouts, 408, 409, 429 and 5xx are; other 4xx answers are the
 * caller's own fault and go back to the client as they are.
 */
export class UpstreamError extends Error {
  readonly isRetryable: boolean;

  constructor(
    readonly provider: string,
    readonly kind: UpstreamFailureKind,
    message: string,
    readonly statusCode: number | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'UpstreamError';
    this.isRetryable =
      kind === 'connect' ||
      kind === 'timeout' ||
      kind === 'protocol' ||
      (kind === 'http' && statusCode !== null && (statusCode === 408 || statusCode === 409 || statusCode === 429 || statusCode >= 500));
  }
}

/** Every offering tried for a job failed; carries each attempt's reason. */
export class AllOfferingsFailed extends ApiError {
  constructor(
    message: string,
    readonly attempts: { provider: string; model: string; reason: string; statusCode: number | null; kind: UpstreamFailureKind }[],
  ) {
    super(attempts.every((a) => a.kind === 'timeout') ? 'upstream_timeout' : attempts.some((a) => a.statusCode === 503 || a.statusCode === 429) ? 'upstream_unavailable' : 'upstream_error', message);
  }
}

/** A client error from upstream (400, 401, 403, 404, 413, 422 …) returned as it is. */
export class UpstreamClientError extends ApiError {
  constructor(
    message: string,
    readonly upstreamStatus: number,
    readonly provider: string,
  ) {
    super('upstream_client_error', message);
  }
}
