// The one way Switchyard talks to a provider: undici with keep-alive pools, a per-attempt
// timeout, the caller's abort signal, and every failure turned into an UpstreamError.
import { Agent, errors as undiciErrors, request, type Dispatcher } from './undici';
import type { z } from 'zod';
import { UpstreamError } from '../../errors';

const agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000, connections: 256 });

const MAX_ERROR_BODY = 64 * 1024;

export interface UpstreamCall {
  provider: string;
  url: string;
  method?: 'GET' | 'POST' | 'DELETE' | 'PUT';
  headers?: Record<string, string>;
  body?: string | Buffer | Uint8Array;
  /** Bounds the wait for headers and any gap between body chunks. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Largest body accepted from upstream (bytes). */
  maxBytes?: number;
  /** Reads a retry delay (ms) from an error body, for providers that put it there (Google's RetryInfo). */
  retryAfterFromBody?: (text: string) => number | null;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: Dispatcher.ResponseData['body'];
}

/** Sends the call; resolves on a 2xx answer with its body unread, throws UpstreamError otherwise. */
export async function callUpstream(call: UpstreamCall): Promise<UpstreamResponse> {
  let response: Dispatcher.ResponseData;
  try {
    response = await request(call.url, {
      method: call.method ?? 'POST',
      headers: call.headers,
      body: call.body,
      dispatcher: agent,
      signal: call.signal,
      headersTimeout: call.timeoutMs,
      bodyTimeout: call.timeoutMs,
    });
  } catch (error) {
    throw toUpstreamError(call.provider, error);
  }
  const headers = flattenHeaders(response.headers);
  if (response.statusCode >= 200 && response.statusCode < 300) {
    return { status: response.statusCode, headers, body: response.body };
  }
  const text = await readCapped(response.body, MAX_ERROR_BODY).catch(() => '');
  throw httpError(call, response.statusCode, headers, text);
}

/** A non-2xx answer as the error the dispatcher acts on: the provider's own message, and any retry delay it gave. */
function httpError(call: UpstreamCall, status: number, headers: Record<string, string>, text: string): UpstreamError {
  return new UpstreamError(
    call.provider,
    'http',
    `${call.provider} answered ${status}: ${upstreamErrorMessage(text) ?? (text.slice(0, 300) || 'no body')}`,
    status,
    retryAfterMs(headers) ?? call.retryAfterFromBody?.(text) ?? null,
  );
}

/** Sends the call and parses the JSON answer with the provider's own response schema. */
export async function callJson<T extends z.ZodType>(
  call: UpstreamCall,
  schema: T,
): Promise<{ data: z.infer<T>; headers: Record<string, string> }> {
  const { text, headers } = await callText(call, call.maxBytes ?? 32 * 1024 * 1024);
  return { data: parseUpstreamJson(call.provider, text, schema), headers };
}

/**
 * A call whose whole answer is wanted at once, on undici's dispatcher API: the bytes are collected
 * as they arrive. request() would set up a Readable body stream, an async resource and an abort
 * listener through events.addAbortListener for a caller that reads the body later, and iterating
 * that stream costs a promise per chunk: on the chat path that was most of undici's share of the
 * CPU beyond what a bare proxy spends. Failures are those of callUpstream: a non-2xx answer is an
 * UpstreamError with the provider's message and any retry delay.
 */
function callText(call: UpstreamCall, limit: number): Promise<{ text: string; headers: Record<string, string> }> {
  const { signal, provider } = call;
  if (signal?.aborted) return Promise.reject(new UpstreamError(provider, 'aborted', `${provider} call aborted`));
  const url = new URL(call.url);
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | null = null;
    let status = 0;
    let ok = false;
    let headers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let size = 0;
    const onAbort = () => controller?.abort(new undiciErrors.RequestAbortedError());
    signal?.addEventListener('abort', onAbort, { once: true });
    agent.dispatch(
      {
        origin: url.origin,
        path: url.pathname + url.search,
        method: call.method ?? 'POST',
        headers: call.headers,
        body: call.body,
        headersTimeout: call.timeoutMs,
        bodyTimeout: call.timeoutMs,
      },
      {
        onRequestStart(c) {
          controller = c;
          if (signal?.aborted) c.abort(new undiciErrors.RequestAbortedError());
        },
        onResponseStart(c, statusCode, responseHeaders) {
          status = statusCode;
          ok = statusCode >= 200 && statusCode < 300;
          headers = flattenHeaders(responseHeaders);
        },
        onResponseData(c, chunk) {
          size += chunk.length;
          // An error body is read only as far as its message needs; an answer past the limit is refused.
          if (!ok && size > MAX_ERROR_BODY) return;
          if (ok && size > limit) return c.abort(new UpstreamError(provider, 'protocol', `${provider} sent more than ${limit} bytes`));
          chunks.push(chunk);
        },
        onResponseEnd() {
          signal?.removeEventListener('abort', onAbort);
          const text = Buffer.concat(chunks).toString('utf8');
          if (ok) resolve({ text, headers });
          else reject(httpError(call, status, headers, text));
        },
        onResponseError(c, error) {
          signal?.removeEventListener('abort', onAbort);
          reject(toUpstreamError(provider, error));
        },
      },
    );
  });
}

/** Sends the call and returns the whole body as bytes (audio). */
export async function callBytes(call: UpstreamCall): Promise<{ bytes: Buffer; headers: Record<string, string> }> {
  const response = await callUpstream(call);
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    const limit = call.maxBytes ?? 64 * 1024 * 1024;
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > limit) throw new UpstreamError(call.provider, 'protocol', `${call.provider} sent more than ${limit} bytes`);
      chunks.push(chunk as Buffer);
    }
    return { bytes: Buffer.concat(chunks), headers: response.headers };
  } catch (error) {
    throw toUpstreamError(call.provider, error);
  }
}

export function parseUpstreamJson<T extends z.ZodType>(provider: string, text: string, schema: T): z.infer<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UpstreamError(provider, 'protocol', `${provider} sent malformed JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UpstreamError(
      provider,
      'protocol',
      `${provider} sent an unexpected response: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/** The start of an error body, for its message. */
async function readCapped(body: AsyncIterable<Buffer | Uint8Array>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) break;
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Maps a thrown network error onto the typed error the dispatcher acts on. */
export function toUpstreamError(provider: string, error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const err = error as { name?: string; code?: string; message?: string };
  if (err?.name === 'AbortError' || err?.code === 'UND_ERR_ABORTED' || error instanceof undiciErrors.RequestAbortedError) {
    return new UpstreamError(provider, 'aborted', `${provider} call aborted`);
  }
  if (
    err?.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    err?.code === 'UND_ERR_BODY_TIMEOUT' ||
    err?.code === 'UND_ERR_CONNECT_TIMEOUT' ||
    err?.name === 'TimeoutError'
  ) {
    return new UpstreamError(provider, 'timeout', `${provider} timed out`);
  }
  return new UpstreamError(provider, 'connect', `${provider} connection failed: ${err?.code ?? err?.message ?? 'unknown error'}`);
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** Retry-After in ms from `retry-after-ms`, `retry-after` seconds or an HTTP date. */
export function retryAfterMs(headers: Record<string, string>, now = Date.now()): number | null {
  const ms = headers['retry-after-ms'];
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers['retry-after'];
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** The human message inside the common provider error bodies (OpenAI, Anthropic, Google, Azure, DeepL, Deepgram …). */
export function upstreamErrorMessage(text: string): string | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  const b = body as Record<string, any>;
  const candidates = [b?.error?.message, b?.message, b?.err_msg, b?.detail?.message, typeof b?.error === 'string' ? b.error : null, typeof b?.detail === 'string' ? b.detail : null];
  const found = candidates.find((c) => typeof c === 'string' && c.length > 0);
  return found ? String(found).slice(0, 500) : null;
}
