// The buffered upstream call (callJson) against a real HTTP server on 127.0.0.1: what it accepts,
// and how each way a call can go wrong reaches the dispatcher.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { callJson } from '../../src/providers/shared/upstream';
import { startHttpServer, type TestHttpServer } from '../helpers/http-server';
import { upstreamFailure as failure } from '../helpers/upstream-failures';

const Answer = z.object({ ok: z.boolean(), text: z.string() });

let server: TestHttpServer;
let base: string;
/** Bodies the server received, by path. */
const received = new Map<string, string>();

beforeAll(async () => {
  server = await startHttpServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.set(req.url!, body);
      const route = req.url!.split('?')[0];
      if (route === '/ok') return void res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' }).end(JSON.stringify({ ok: true, text: 'é'.repeat(40_000) }));
      if (route === '/big') {
        // Chunked, with no content-length: the limit is found while reading.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`{"ok":true,"text":"${'x'.repeat(60_000)}`);
        res.write('x'.repeat(60_000));
        return void res.end('"}');
      }
      if (route === '/limited') return void res.writeHead(429, { 'retry-after': '7' }).end(JSON.stringify({ error: { message: 'slow down' } }));
      if (route === '/huge-error') return void res.writeHead(500).end(`{"error":{"message":"broken"},"pad":"${'p'.repeat(200_000)}"}`);
      if (route === '/malformed') return void res.writeHead(200).end('{"ok": tru');
      if (route === '/wrong-shape') return void res.writeHead(200).end('{"ok":"yes"}');
      if (route === '/hang') return; // never answers
      res.writeHead(404).end();
    });
  });
  base = server.url;
});

afterAll(() => server.close());

const call = (path: string, extra: Partial<Parameters<typeof callJson>[0]> = {}) =>
  ({ provider: 'testhost', url: `${base}${path}`, headers: { 'content-type': 'application/json' }, body: '{"q":1}', timeoutMs: 2_000, ...extra }) as Parameters<typeof callJson>[0];

describe('callJson', () => {
  it('sends the body and returns the parsed answer, multi-byte text across chunks intact, with its headers', async () => {
    const { data, headers } = await callJson(call('/ok?x=1'), Answer);
    expect(data).toEqual({ ok: true, text: 'é'.repeat(40_000) });
    expect(headers['x-upstream']).toBe('yes');
    expect(received.get('/ok?x=1')).toBe('{"q":1}');
  });

  it('refuses an answer larger than maxBytes', async () => {
    const error = await failure(callJson(call('/big', { maxBytes: 100_000 }), Answer));
    expect(error.kind).toBe('protocol');
    expect(error.message).toBe('testhost sent more than 100000 bytes');
    // The same answer under a limit it fits is read whole.
    const { data } = await callJson(call('/big', { maxBytes: 200_000 }), Answer);
    expect(data.text).toHaveLength(120_000);
  });

  it('turns a non-2xx answer into an http error with the provider message and its retry delay', async () => {
    const error = await failure(callJson(call('/limited'), Answer));
    expect(error.kind).toBe('http');
    expect(error.statusCode).toBe(429);
    expect(error.message).toBe('testhost answered 429: slow down');
    expect(error.retryAfterMs).toBe(7_000);
  });

  it('reads only the start of a large error body', async () => {
    const error = await failure(callJson(call('/huge-error'), Answer));
    expect(error.statusCode).toBe(500);
    // Cut at 64 KB, the JSON no longer parses: the start of the text is the message.
    expect(error.message).toMatch(/^testhost answered 500: \{"error":\{"message":"broken"\}/);
    expect(error.message.length).toBeLessThan(400);
  });

  it('says so when the answer is not JSON or not the expected shape', async () => {
    expect((await failure(callJson(call('/malformed'), Answer))).message).toBe('testhost sent malformed JSON');
    expect((await failure(callJson(call('/wrong-shape'), Answer))).message).toMatch(/^testhost sent an unexpected response: ok:/);
  });

  it('stops waiting when the signal aborts, and when the provider does not answer in time', async () => {
    const controller = new AbortController();
    const pending = callJson(call('/hang', { signal: controller.signal }), Answer);
    setTimeout(() => controller.abort(new Error('client went away')), 50);
    expect((await failure(pending)).kind).toBe('aborted');
    expect((await failure(callJson(call('/ok', { signal: controller.signal }), Answer))).kind).toBe('aborted');
    expect((await failure(callJson(call('/hang', { timeoutMs: 200 }), Answer))).kind).toBe('timeout');
  });

  it('reports a provider that cannot be reached as a connection failure', async () => {
    const error = await failure(callJson(call('/ok', { url: 'http://127.0.0.1:1/ok' }), Answer));
    expect(error.kind).toBe('connect');
  });
});
