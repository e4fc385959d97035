// What every job endpoint test checks from the outside: the job headers, the account charged exactly
// the cost the headers state, and bad input answered in the OpenAI error shape with nothing charged.
import http from 'node:http';
import { expect } from 'vitest';
import { parseUsd } from '../../src/catalog/price';
import type { TestApp } from './app';

export interface Balance {
  balance_usd: string;
  held_usd: string;
  available_usd: string;
}

export async function balanceOf(app: TestApp, key: string): Promise<Balance> {
  const res = await fetch(`${app.url}/v1/balance`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Balance;
}

/** The job headers are present; returns the cost they state, in micro-USD. */
export function jobHeaders(res: Response, expected: { provider: string; model: string }): number {
  expect(res.headers.get('x-switchyard-provider')).toBe(expected.provider);
  expect(res.headers.get('x-switchyard-model')).toBe(expected.model);
  const cost = res.headers.get('x-switchyard-cost-usd');
  expect(cost).toMatch(/^\d+\.\d{2,6}$/);
  expect(res.headers.get('x-request-id')).toBeTruthy();
  return parseUsd(cost!);
}

/** The balance fell by exactly `costMicros` since `before`, and no hold is left behind. */
export async function expectCharged(app: TestApp, key: string, before: Balance, costMicros: number): Promise<void> {
  const after = await balanceOf(app, key);
  expect(parseUsd(before.balance_usd) - parseUsd(after.balance_usd)).toBe(costMicros);
  expect(after.held_usd).toBe('0.00');
}

export interface ExpectedError {
  status: number;
  code?: string;
  param?: string | null;
  message?: RegExp;
}

/** A clean error in the OpenAI shape; returns the error object. */
export async function expectApiError(res: Response, expected: ExpectedError): Promise<{ message: string; type: string; code: string; param: string | null }> {
  const text = await res.text();
  expect(res.status, text).toBe(expected.status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = JSON.parse(text) as { error: { message: string; type: string; code: string; param: string | null } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(typeof body.error.type).toBe('string');
  if (expected.code !== undefined) expect(body.error.code).toBe(expected.code);
  if (expected.param !== undefined) expect(body.error.param).toBe(expected.param);
  if (expected.message) expect(body.error.message).toMatch(expected.message);
  expect(res.headers.get('x-switchyard-cost-usd')).toBeNull();
  return body.error;
}

/** The server still answers after whatever came before. */
export async function expectStillServing(app: TestApp): Promise<void> {
  const res = await fetch(`${app.url}/healthz`);
  expect(res.status).toBe(200);
}

/** fetch with a bearer key and a multipart form. */
export function postForm(app: TestApp, path: string, form: FormData, key?: string): Promise<Response> {
  return fetch(`${app.url}${path}`, { method: 'POST', headers: key ? { authorization: `Bearer ${key}` } : {}, body: form });
}

/**
 * A multipart upload of `bytes` zero bytes in the field "file", sent with a Content-Length on a
 * connection of its own (node:http), answered as a fetch Response.
 */
export function postLargeUpload(app: TestApp, path: string, bytes: number, key: string, filename = 'big.png'): Promise<Response> {
  const boundary = 'switchyard-test-boundary';
  const head = Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${filename}"\r\ncontent-type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = new URL(path, app.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { authorization: `Bearer ${key}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + bytes + tail.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode, headers }));
        });
      },
    );
    req.on('error', reject);
    req.write(head);
    const chunk = Buffer.alloc(1024 * 1024);
    let sent = 0;
    const pump = (): void => {
      while (sent < bytes) {
        const size = Math.min(chunk.length, bytes - sent);
        sent += size;
        if (!req.write(size === chunk.length ? chunk : chunk.subarray(0, size))) return void req.once('drain', pump);
      }
      req.end(tail);
    };
    pump();
  });
}
