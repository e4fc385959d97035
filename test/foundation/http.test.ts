import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toHttpError } from '../../src/http/errors';
import { InvalidRequest, RateLimited } from '../../src/errors';
import { startTestApp, type TestApp } from '../helpers/app';

describe('HTTP foundation', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('answers /healthz and /readyz', async () => {
    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
  });

  it('gives every response a request id, keeping a well-formed one from the client', async () => {
    const fresh = await fetch(`${app.url}/healthz`);
    expect(fresh.headers.get('x-request-id')).toMatch(/^req_[A-Za-z0-9]{24}$/);
    const kept = await fetch(`${app.url}/healthz`, { headers: { 'x-request-id': 'client-trace-123456' } });
    expect(kept.headers.get('x-request-id')).toBe('client-trace-123456');
    const hostile = await fetch(`${app.url}/healthz`, { headers: { 'x-request-id': 'bad id\twith<script>' } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('answers malformed JSON with a 400 in the OpenAI error shape', async () => {
    const res = await fetch(`${app.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model": "x", "messages": [',
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toEqual({ error: { message: expect.stringContaining('not valid JSON'), type: 'invalid_request_error', code: 'invalid_request', param: null } });
  });

  it('answers an oversized JSON body with 413', async () => {
    const res = await fetch(`${app.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ padding: 'x'.repeat(11 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('answers an unknown route with a 404 in the error shape', async () => {
    const res = await fetch(`${app.url}/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('not_found_error');
  });

  it('logs one line per request with its id, method, path and status, never the query or the key', async () => {
    const res = await fetch(`${app.url}/v1/models?task=chat&secret=q-value`, { headers: { 'x-request-id': 'trace-log-line-0001', authorization: 'Bearer sy_live_should_never_appear' } });
    await res.arrayBuffer();
    const missing = await fetch(`${app.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sy_live_should_never_appear' }, body: '{}' });
    await missing.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = app.log.lines.map((line) => JSON.parse(line) as { level: number; msg: string; req?: { id: string; method: string; url: string }; res?: { statusCode: number } });
    const models = lines.filter((l) => l.req?.id === 'trace-log-line-0001');
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ level: 30, req: { method: 'GET', url: '/v1/models' }, res: { statusCode: 200 }, msg: expect.stringMatching(/^GET \/v1\/models 200 \d+ms$/) });
    const refused = lines.filter((l) => l.req?.id === missing.headers.get('x-request-id'));
    expect(refused).toMatchObject([{ req: { method: 'POST', url: '/v1/chat/completions' }, res: { statusCode: 401 } }]);
    expect(app.log.text()).not.toContain('q-value');
    expect(app.log.text()).not.toContain('sy_live_should_never_appear');
  });

  it('keeps serving after bad requests', async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
  });
});

describe('error mapping', () => {
  it('names the failing field of a zod error in param', () => {
    const schema = z.object({ messages: z.array(z.object({ role: z.string() })) });
    const result = schema.safeParse({ messages: [{ role: 1 }] });
    const http = toHttpError(result.error);
    expect(http.status).toBe(400);
    expect(http.body.error.param).toBe('messages.0.role');
  });

  it('maps typed errors to their status, and rate limits carry Retry-After', () => {
    expect(toHttpError(new InvalidRequest('bad', 'x')).status).toBe(400);
    const limited = toHttpError(new RateLimited('slow down', 2.2, { 'x-ratelimit-limit-requests': '10' }));
    expect(limited.status).toBe(429);
    expect(limited.headers).toMatchObject({ 'retry-after': '3', 'x-ratelimit-limit-requests': '10' });
  });

  it('never leaks an unexpected error message', () => {
    const http = toHttpError(new Error('password=hunter2'));
    expect(http.status).toBe(500);
    expect(JSON.stringify(http.body)).not.toContain('hunter2');
  });
});
