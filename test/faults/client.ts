// A chat job as a client sends it, recorded for the billing invariant: its request id (sent by the
// client, so a job that never got an answer can still be looked up), the status, the stated cost,
// and for streams the SSE payloads.
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
import { parseUsd } from '../../src/catalog/price';
import type { JobRecord } from './books';

export interface ChatResult extends JobRecord {
  body: any;
  headers: Record<string, string | string[] | undefined>;
  /** For streams: the data payloads, [DONE] included. */
  events: string[];
  /** The transport error when no answer came back. */
  error?: unknown;
}

export function newRequestId(tag = 'fault'): string {
  return `${tag}-${randomBytes(12).toString('hex')}`;
}

export function sseData(text: string): string[] {
  return text
    .split(/\n\n/)
    .map((block) => block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n'))
    .filter(Boolean);
}

/** The cost a job's answer states: the header for buffered answers, the final usage chunk for streams. */
function statedCost(headers: ChatResult['headers'], body: any, events: string[]): number | null {
  const header = headers['x-switchyard-cost-usd'];
  if (typeof header === 'string') return parseUsd(header);
  if (typeof body?.usage?.cost_usd === 'string') return parseUsd(body.usage.cost_usd);
  for (const data of [...events].reverse()) {
    if (data === '[DONE]') continue;
    try {
      const chunk = JSON.parse(data);
      if (typeof chunk?.usage?.cost_usd === 'string') return parseUsd(chunk.usage.cost_usd);
    } catch {
      // not JSON: ignore
    }
  }
  return null;
}

/**
 * POSTs a chat job over undici (one agent per caller keeps a load test's connection count exact).
 * Never throws: a transport failure comes back as status null.
 */
export async function sendChat(
  baseUrl: string,
  key: string,
  body: Record<string, unknown>,
  options: { requestId?: string; dispatcher?: Agent; signal?: AbortSignal } = {},
): Promise<ChatResult> {
  const requestId = options.requestId ?? newRequestId();
  try {
    const res = await request(`${baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-request-id': requestId },
      body: JSON.stringify(body),
      dispatcher: options.dispatcher,
      signal: options.signal,
    });
    const text = await res.body.text();
    const contentType = String(res.headers['content-type'] ?? '');
    const events = contentType.startsWith('text/event-stream') ? sseData(text) : [];
    let parsed: unknown = text;
    if (contentType.includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const status = res.statusCode;
    // The id the server filed the job under (its own, when it did not take the client's).
    const filedAs = typeof res.headers['x-request-id'] === 'string' ? res.headers['x-request-id'] : requestId;
    return { requestId: filedAs, status, body: parsed, headers: res.headers, events, costMicros: status < 300 ? statedCost(res.headers, parsed, events) : null };
  } catch (error) {
    return { requestId, status: null, body: null, headers: {}, events: [], error };
  }
}

/** A clean error answer: the OpenAI shape with a message, type and code, nothing else. */
export function isCleanError(result: ChatResult): boolean {
  const error = result.body?.error;
  return (
    typeof result.body === 'object' &&
    result.body !== null &&
    typeof error?.message === 'string' &&
    error.message.length > 0 &&
    typeof error.type === 'string' &&
    typeof error.code === 'string' &&
    'param' in error
  );
}
