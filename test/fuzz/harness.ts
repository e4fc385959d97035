// The app the fuzz files hit (OpenAI, Groq, Google Cloud and Stripe mocked; the local OCR engine left
// out, since reading an image there takes seconds), and the check every case must pass: a 2xx, or a
// 4xx in the OpenAI error shape — never a 5xx, never a dropped connection.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { z } from 'zod';
import { createApp } from '../../src/app';
import { OPERATIONS } from '../../src/http/openapi';
import { listen } from '../../src/server';
import { ALL_PROVIDERS } from '../../src/providers/index';
import { startTestApp, type TestApp } from '../helpers/app';
import type { MockUpstream } from '../helpers/mock-upstream';
import { renderTextPng } from '../helpers/ocr-fixtures';
import { GOOGLE_CLOUD_TEST_KEY, startGoogleCloudMock } from '../mocks/google-cloud/index';
import { OPENAI_TEST_KEY, startOpenAIMock } from '../mocks/openai/index';
import { hostBaseUrl, hostTestKey, startOpenAICompatibleMock } from '../mocks/openai-compatible';
import { startStripeMock, STRIPE_TEST_KEY, STRIPE_TEST_WEBHOOK_SECRET, type StripeMock } from '../mocks/stripe';

/** Cases per endpoint, and the seed they come from. */
export const CASES = 300;
export const SEED = 20261127;
const CONCURRENCY = 6;

export interface FuzzApp {
  app: TestApp;
  /** The same app behind the gateway's own server (src/server.ts), which also shapes the parser's refusals. */
  url: string;
  /** A PNG on a loopback file server, for OCR's image_url. */
  imageUrl: string;
  close(): Promise<void>;
}

export async function startFuzzApp(): Promise<FuzzApp> {
  const [openai, groq, google, stripe] = await Promise.all([startOpenAIMock(), startOpenAICompatibleMock('groq'), startGoogleCloudMock(), startStripeMock()]);
  const png = await renderTextPng(['fuzz']);
  const files = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png));
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  const app = await startTestApp({
    providers: ALL_PROVIDERS.filter((p) => p.id !== 'tesseract'),
    env: {
      OPENAI_API_KEY: OPENAI_TEST_KEY,
      OPENAI_BASE_URL: `${openai.url}/v1`,
      GROQ_API_KEY: hostTestKey('groq'),
      GROQ_BASE_URL: hostBaseUrl(groq, 'groq'),
      GOOGLE_CLOUD_API_KEY: GOOGLE_CLOUD_TEST_KEY,
      GOOGLE_CLOUD_BASE_URL: google.url,
      STRIPE_SECRET_KEY: STRIPE_TEST_KEY,
      STRIPE_WEBHOOK_SECRET: STRIPE_TEST_WEBHOOK_SECRET,
      STRIPE_API_BASE: stripe.url,
    },
  });
  const gateway = await listen(createApp(app.deps, app.parts), { port: 0, host: '127.0.0.1', timeoutMs: 5_000, logger: app.deps.logger });
  return {
    app,
    url: `http://127.0.0.1:${gateway.port}`,
    imageUrl: `http://127.0.0.1:${(files.address() as AddressInfo).port}/scan.png`,
    close: async () => {
      gateway.server.closeAllConnections();
      await gateway.shutdown();
      await app.close();
      files.closeAllConnections();
      await new Promise<void>((resolve) => files.close(() => resolve()));
      await Promise.all([openai.close(), groq.close(), google.close(), (stripe as StripeMock).close()]);
    },
  };
}

/** The zod schema a route validates its JSON body (or query) with, as published in /openapi.json. */
export function routeSchema(method: string, path: string, part: 'json' | 'query'): z.ZodType {
  const op = OPERATIONS.find((o) => o.method === method && o.path === path);
  const schema = op?.[part];
  if (!schema) throw new Error(`no ${part} schema for ${method} ${path}`);
  return schema;
}

export interface FuzzRequest {
  method: string;
  path: string;
  token?: string;
  /** Already serialised, so a case can also send text that is not JSON. */
  body?: string;
}

export interface FuzzOutcome {
  status: number;
  requestId: string | null;
  label: string;
}

/** One case: returns the outcome, or a description of how it broke the contract. */
async function runCase(url: string, request: FuzzRequest): Promise<{ outcome: FuzzOutcome; problem: string | null }> {
  const label = `${request.method} ${request.path.slice(0, 200)} ${request.body?.slice(0, 300) ?? ''}`;
  let res: Response;
  try {
    res = await fetch(`${url}${request.path}`, {
      method: request.method,
      headers: { 'content-type': 'application/json', ...(request.token ? { authorization: `Bearer ${request.token}` } : {}) },
      body: request.body,
    });
  } catch (error) {
    return { outcome: { status: 0, requestId: null, label }, problem: `no answer: ${String(error)}` };
  }
  const text = await res.text();
  const outcome = { status: res.status, requestId: res.headers.get('x-request-id'), label };
  if (res.status >= 500) return { outcome, problem: `${res.status}: ${text.slice(0, 300)}` };
  if (res.status >= 400) {
    let error: any;
    try {
      error = JSON.parse(text).error;
    } catch {
      return { outcome, problem: `${res.status} not JSON: ${text.slice(0, 200)}` };
    }
    const clean =
      typeof error?.message === 'string' && error.message.length > 0 && typeof error.type === 'string' && typeof error.code === 'string' && 'param' in error;
    if (!clean) return { outcome, problem: `${res.status} not in the error shape: ${text.slice(0, 200)}` };
    if (res.headers.get('x-switchyard-cost-usd')) return { outcome, problem: `${res.status} with a cost header` };
  }
  return { outcome, problem: null };
}

/** Runs `count` cases made by `make`, a few at a time, and fails with the first few broken ones. */
export async function fuzz(url: string, count: number, make: (i: number) => FuzzRequest): Promise<FuzzOutcome[]> {
  const requests = Array.from({ length: count }, (_, i) => make(i));
  const outcomes: FuzzOutcome[] = [];
  const problems: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const request = requests[next++]!;
      const { outcome, problem } = await runCase(url, request);
      outcomes.push(outcome);
      if (problem) problems.push(`${problem}\n    for ${outcome.label}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  expect(problems.slice(0, 5), `${problems.length} of ${count} cases broke the contract`).toEqual([]);
  // Still serving.
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  return outcomes;
}

/** How many cases ended in each status, for the log. */
export function tally(outcomes: FuzzOutcome[]): string {
  const counts = new Map<number, number>();
  for (const o of outcomes) counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([status, n]) => `${status}×${n}`)
    .join(' ');
}
