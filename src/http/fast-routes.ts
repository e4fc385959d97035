// The JSON job routes (chat completions, moderations, translations) served straight from node:http.
// Through express, each job paid for its request and response prototype swaps, a walk past every
// other route's layers and body-parser: a third of the gateway's CPU per job at the benchmark's load.
// Here the same steps run in the same order as on the express routes, with the same handlers:
// request id and access log, metrics, JSON body (same limit, same errors), API key, concurrency
// limit, the handler, errors in the API's shape. A request these routes do not take plainly (a
// query string, a compressed body, a charset other than UTF-8) goes to express, which registers
// the same handlers behind express.json().
import type http from 'node:http';
import typeis from 'type-is';
import type { KeyCache } from '../billing/keys';
import type { Logger } from '../log';
import { authenticate } from './auth';
import { JSON_TYPES } from './body';
import type { ConcurrencyLimiter } from './concurrency';
import { respondWithError } from './errors';
import type { JobHandler, JobRequest, JobResponse } from './jobs';
import type { Metrics } from './metrics';
import { logRequest } from './request-log';

export interface FastRouteSteps {
  logger: Logger;
  /** The access log (request-log.ts). */
  access: Logger;
  metrics: Metrics;
  keys: KeyCache;
  concurrency: ConcurrencyLimiter;
  /** JSON_BODY_LIMIT in bytes. */
  jsonLimitBytes: number;
}

/** Serves POSTs to `routes`' paths itself; everything else goes to `fallback` (the express app). */
export function fastJobRoutes(routes: ReadonlyMap<string, JobHandler>, steps: FastRouteSteps, fallback: http.RequestListener): http.RequestListener {
  return (req, res) => {
    const path = req.url ?? '';
    const handler = req.method === 'POST' ? routes.get(path) : undefined;
    if (!handler || !plainBody(req)) return fallback(req, res);
    void serve(handler, path, req as JobRequest, res as JobResponse, steps);
  };
}

async function serve(handler: JobHandler, path: string, req: JobRequest, res: JobResponse, steps: FastRouteSteps): Promise<void> {
  logRequest(steps.access, req, res);
  steps.metrics.track(req, res, () => path);
  res.locals = {};
  try {
    req.body = await readJsonBody(req, steps.jsonLimitBytes);
    const key = await authenticate(steps.keys, req);
    res.locals.key = key;
    steps.concurrency.admit(key, res);
    await handler(req, res);
  } catch (error) {
    respondWithError(res, error, steps.logger, req.id);
  }
}

/** No content encoding, and UTF-8 or no charset: what this module reads without body-parser. */
function plainBody(req: http.IncomingMessage): boolean {
  const encoding = req.headers['content-encoding'];
  if (encoding && encoding.toLowerCase() !== 'identity') return false;
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  return charset === undefined || charset === 'utf-8' || charset === 'utf8';
}

/**
 * The body as express.json({ strict: true }) reads it: undefined unless the request has a body of a
 * JSON type, {} when that body is empty, else an object or array; body-parser's error types, so the
 * API answers them alike.
 */
export function readJsonBody(req: http.IncomingMessage, limit: number): Promise<unknown> {
  if (!typeis.hasBody(req) || !typeis(req, JSON_TYPES)) return Promise.resolve(undefined);
  if (Number(req.headers['content-length']) > limit) {
    req.resume();
    return Promise.reject(bodyError('entity.too.large', 413, { limit }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('error', onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      stop();
      // The rest is read and dropped, so the connection stays usable for the client's next request.
      req.resume();
      reject(bodyError('entity.too.large', 413, { limit }));
    };
    const onEnd = () => {
      stop();
      try {
        resolve(parseStrictJson(Buffer.concat(chunks, size).toString('utf8')));
      } catch {
        reject(bodyError('entity.parse.failed', 400));
      }
    };
    const onAborted = () => {
      stop();
      reject(bodyError('request.aborted', 400));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('error', onAborted);
  });
}

/** body-parser's strict JSON: an object or an array (after any BOM and whitespace), '' as {}. */
function parseStrictJson(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.length === 0) return {};
  const first = /^[\x20\x09\x0a\x0d]*(.)/s.exec(body)?.[1];
  if (first !== '{' && first !== '[') throw new SyntaxError('not a JSON object or array');
  return JSON.parse(body);
}

function bodyError(type: string, status: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(type), { type, status, expose: true, ...extra });
}

/** JSON_BODY_LIMIT ("512kb", "10mb") in bytes, as express.json reads it. */
export function bodyLimitBytes(limit: string): number {
  const match = /^(\d+)(kb|mb)$/.exec(limit);
  if (!match) throw new Error(`not a body size: ${limit}`);
  return Number(match[1]) * (match[2] === 'mb' ? 1024 * 1024 : 1024);
}
