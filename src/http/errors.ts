// The one place that knows HTTP statuses: every thrown error becomes the OpenAI error shape
// {"error":{"message","type","code","param"}} with the right status.
import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Response } from 'express';
import { ZodError } from 'zod';
import { isDatabaseUnavailable, isDataException } from '../db/availability';
import { AllOfferingsFailed, ApiError, RateLimited, UpstreamClientError, type ErrorCode } from '../errors';
import type { Logger } from '../log';

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_api_key: 401,
  insufficient_credit: 402,
  budget_exceeded: 402,
  forbidden: 403,
  not_found: 404,
  model_not_found: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  no_offering: 422,
  rate_limited: 429,
  upstream_error: 502,
  upstream_unavailable: 503,
  upstream_timeout: 504,
  upstream_client_error: 400,
  service_unavailable: 503,
  internal_error: 500,
};

const TYPE: Record<ErrorCode, string> = {
  invalid_request: 'invalid_request_error',
  invalid_api_key: 'authentication_error',
  insufficient_credit: 'insufficient_quota',
  budget_exceeded: 'insufficient_quota',
  forbidden: 'permission_error',
  not_found: 'not_found_error',
  model_not_found: 'not_found_error',
  payload_too_large: 'invalid_request_error',
  unsupported_media_type: 'invalid_request_error',
  no_offering: 'invalid_request_error',
  rate_limited: 'rate_limit_error',
  upstream_error: 'upstream_error',
  upstream_unavailable: 'upstream_error',
  upstream_timeout: 'upstream_error',
  upstream_client_error: 'invalid_request_error',
  service_unavailable: 'server_error',
  internal_error: 'server_error',
};

export interface HttpError {
  status: number;
  headers: Record<string, string>;
  body: { error: { message: string; type: string; code: string; param: string | null; attempts?: unknown } };
}

export function toHttpError(error: unknown): HttpError {
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    const param = issue?.path.length ? issue.path.map(String).join('.') : null;
    return shape('invalid_request', `${param ? `${param}: ` : ''}${issue?.message ?? 'invalid request'}`, param);
  }
  if (error instanceof ApiError) {
    const http = shape(error.code, error.message, error.param);
    if (error instanceof RateLimited) {
      http.headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
      Object.assign(http.headers, error.limitHeaders);
    }
    if (error instanceof UpstreamClientError) http.status = error.upstreamStatus;
    if (error instanceof AllOfferingsFailed) http.body.error.attempts = error.attempts;
    return http;
  }
  const bodyParserError = fromBodyParser(error);
  if (bodyParserError) return bodyParserError;
  if (isDataException(error)) {
    return shape('invalid_request', 'The request contains a value that cannot be stored (such as a NUL character or an out-of-range number).', null);
  }
  // A lost database is a passing outage, not a bug: 503 with a hint when to try again.
  if (isDatabaseUnavailable(error)) {
    const http = shape('service_unavailable', 'The database is unavailable right now; try again in a few seconds.', null);
    http.headers['retry-after'] = '2';
    return http;
  }
  return shape('internal_error', 'Internal server error.', null);
}

function shape(code: ErrorCode, message: string, param: string | null): HttpError {
  return { status: STATUS[code], headers: {}, body: { error: { message, type: TYPE[code], code, param } } };
}

/** express.json()'s and multer's own errors, which carry a `type` or `code`. */
function fromBodyParser(error: unknown): HttpError | null {
  const e = error as { type?: string; code?: string; field?: string; status?: number; limit?: number };
  switch (e?.type) {
    case 'entity.parse.failed':
      return shape('invalid_request', 'The request body is not valid JSON.', null);
    case 'entity.too.large':
      return shape('payload_too_large', `The request body is larger than ${e.limit} bytes.`, null);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return shape('unsupported_media_type', 'Unsupported content encoding or charset.', null);
    case 'request.aborted':
      return shape('invalid_request', 'The request was aborted by the client.', null);
  }
  switch (e?.code) {
    case 'LIMIT_FILE_SIZE':
      return shape('payload_too_large', 'The uploaded file is larger than this endpoint accepts.', e.field ?? 'file');
    case 'LIMIT_FIELD_VALUE':
    case 'LIMIT_FIELD_KEY':
    case 'LIMIT_PART_COUNT':
    case 'LIMIT_FIELD_COUNT':
      return shape('payload_too_large', 'A form field is larger than this endpoint accepts.', e.field ?? null);
    case 'LIMIT_FILE_COUNT':
    case 'LIMIT_UNEXPECTED_FILE':
      return shape('invalid_request', 'Send exactly one file, in the field "file".', e.field ?? 'file');
  }
  if (e?.status && e.status >= 400 && e.status < 500) {
    return shape('invalid_request', 'The request could not be read.', null);
  }
  return null;
}

export function sendError(res: Response, error: unknown): void {
  const http = toHttpError(error);
  res.status(http.status).set(http.headers).json(http.body);
}

/** A JSON answer, as express's res.json writes it. */
export function sendJson(res: ServerResponse, body: unknown, status = 200, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/**
 * Answers a failed request in the error shape; an unexpected error (a 5xx that is no ApiError) is
 * logged first. After the headers went out nothing can be said: the connection is cut.
 */
export function respondWithError(res: ServerResponse, error: unknown, logger: Logger, requestId: string | undefined): void {
  const http = toHttpError(error);
  if (http.status >= 500 && !(error instanceof ApiError)) {
    logger.error({ err: error, requestId }, 'unhandled error');
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, http.body, http.status, http.headers);
}

export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => respondWithError(res, error, logger, req.id);
}
