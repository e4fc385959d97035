// The JSON job routes served straight from node:http answer exactly as the same routes through
// express do: each request below is sent both ways (a query string sends it through express) and
// must get the same status, error body and job headers. And the direct path is really taken.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyLimitBytes, fastJobRoutes, readJsonBody } from '../../src/http/fast-routes';
import { fundedKey } from '../helpers/app';
import { MODEL, startMarket, START_TIMEOUT_MS, type Market } from '../dispatch/market';

let market: Market;
let key: string;

beforeAll(async () => {
  market = await startMarket();
  key = (await fundedKey(market.app, '5')).key;
}, START_TIMEOUT_MS);

afterAll(async () => {
  await market?.close();
});

interface Sent {
  status: number;
  body: unknown;
  headers: Headers;
}

async function post(path: string, body: string | Buffer, headers: Record<string, string>): Promise<Sent> {
  const res = await fetch(`${market.app.url}${path}`, { method: 'POST', headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // kept as text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** The answer without what differs on every call (ids, timestamps). */
function comparable(sent: Sent): unknown {
  const body = sent.body as Record<string, unknown>;
  const { id: _id, created: _created, ...rest } = body && typeof body === 'object' ? body : { id: null, created: null };
  return {
    status: sent.status,
    body: body && typeof body === 'object' ? rest : body,
    contentType: sent.headers.get('content-type'),
    provider: sent.headers.get('x-switchyard-provider'),
    cost: sent.headers.get('x-switchyard-cost-usd'),
    retryAfter: sent.headers.get('retry-after'),
  };
}

describe('the direct JSON job routes', () => {
  const json = () => ({ 'content-type': 'application/json', authorization: `Bearer ${key}` });
  const chat = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hello there' }] });
  const cases: [string, string, () => { body: string | Buffer; headers: Record<string, string> }][] = [
    ['a chat job', '/v1/chat/completions', () => ({ body: chat, headers: json() })],
    ['a chat job with a byte order mark', '/v1/chat/completions', () => ({ body: `\ufeff${chat}`, headers: json() })],
    ['a +json media type with a UTF-8 charset', '/v1/chat/completions', () => ({ body: chat, headers: { ...json(), 'content-type': 'application/vnd.api+json; charset=UTF-8' } })],
    ['malformed JSON', '/v1/chat/completions', () => ({ body: '{"model": "x", "messages": [', headers: json() })],
    ['a JSON string instead of an object', '/v1/chat/completions', () => ({ body: '"hello"', headers: json() })],
    ['an empty body', '/v1/chat/completions', () => ({ body: '', headers: json() })],
    ['a text/plain body', '/v1/chat/completions', () => ({ body: chat, headers: { ...json(), 'content-type': 'text/plain' } })],
    ['a body over the limit', '/v1/chat/completions', () => ({ body: JSON.stringify({ padding: 'x'.repeat(11 * 1024 * 1024) }), headers: json() })],
    ['no key', '/v1/chat/completions', () => ({ body: chat, headers: { 'content-type': 'application/json' } })],
    ['an unknown key', '/v1/chat/completions', () => ({ body: chat, headers: { ...json(), authorization: 'Bearer sy_live_unknown' } })],
    ['an invalid field', '/v1/chat/completions', () => ({ body: JSON.stringify({ model: MODEL, messages: 'hi' }), headers: json() })],
    ['an unknown model', '/v1/chat/completions', () => ({ body: JSON.stringify({ model: 'nobody/nothing', messages: [{ role: 'user', content: 'hi' }] }), headers: json() })],
    ['a text/plain moderation', '/v1/moderations', () => ({ body: '{"input":"hi"}', headers: { ...json(), 'content-type': 'text/plain' } })],
    ['a moderation of an array body', '/v1/moderations', () => ({ body: '[1,2]', headers: json() })],
    ['a translation without a target language', '/v1/translations', () => ({ body: '{"text":"hi"}', headers: json() })],
  ];

  for (const [name, path, make] of cases) {
    it(`answers ${name} as express does`, async () => {
      const direct = make();
      const viaExpress = make();
      const [a, b] = [await post(path, direct.body, direct.headers), await post(`${path}?via=express`, viaExpress.body, viaExpress.headers)];
      expect(comparable(a)).toEqual(comparable(b));
      expect(a.headers.get('x-request-id')).toMatch(/^req_/);
    });
  }

  it('answers a gzip-compressed body through express, which inflates it', async () => {
    const sent = await post('/v1/chat/completions', gzipSync(chat), { ...json(), 'content-encoding': 'gzip' });
    expect(sent.status).toBe(200);
    expect((sent.body as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('echo: hello there');
  });

  it('keeps serving after all of the above', async () => {
    const sent = await post('/v1/chat/completions', chat, json());
    expect(sent.status).toBe(200);
  });
});

describe('fastJobRoutes', () => {
  let server: http.Server;
  let url: string;
  const handled: string[] = [];
  const handedOn: string[] = [];

  beforeAll(async () => {
    const steps = { logger: market.app.deps.logger, access: market.app.deps.logger, metrics: market.app.parts.metrics, keys: market.app.parts.keys, concurrency: market.app.parts.concurrency, jsonLimitBytes: 1024 };
    const routes = new Map([
      [
        '/v1/chat/completions',
        async (req: http.IncomingMessage & { body?: unknown }, res: http.ServerResponse) => {
          handled.push(JSON.stringify(req.body));
          res.end('direct');
        },
      ],
    ]);
    server = http.createServer(
      fastJobRoutes(routes, steps, (req, res) => {
        handedOn.push(`${req.method} ${req.url}`);
        res.end('express');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('serves a plain JSON POST itself and hands everything else to express', async () => {
    const send = (path: string, init: RequestInit) => fetch(`${url}${path}`, init).then((r) => r.text());
    const auth = { authorization: `Bearer ${key}` };
    expect(await send('/v1/chat/completions', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"a":1}' })).toBe('direct');
    expect(await send('/v1/chat/completions', { method: 'POST', headers: { ...auth, 'content-type': 'application/json; charset=utf-8' }, body: '{"a":2}' })).toBe('direct');
    expect(handled).toEqual(['{"a":1}', '{"a":2}']);
    expect(await send('/v1/chat/completions?x=1', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' })).toBe('express');
    expect(await send('/v1/chat/completions', { method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync('{}') })).toBe('express');
    expect(await send('/v1/chat/completions', { method: 'POST', headers: { ...auth, 'content-type': 'application/json; charset=utf-16' }, body: '{}' })).toBe('express');
    expect(await send('/v1/chat/completions', { method: 'GET' })).toBe('express');
    expect(await send('/v1/models', { method: 'GET' })).toBe('express');
    expect(handedOn).toEqual(['POST /v1/chat/completions?x=1', 'POST /v1/chat/completions', 'POST /v1/chat/completions', 'GET /v1/chat/completions', 'GET /v1/models']);
  });

  it('refuses a body over the limit with 413 and keeps the connection usable', async () => {
    const big = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(5_000) }) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'payload_too_large', message: 'The request body is larger than 1024 bytes.' } });
  });
});

describe('readJsonBody', () => {
  it('reads express.json limits the same way', () => {
    expect(bodyLimitBytes('10mb')).toBe(10 * 1024 * 1024);
    expect(bodyLimitBytes('512kb')).toBe(512 * 1024);
  });

  it('leaves a request without a body unread, as express.json does', async () => {
    const req = Object.assign(new (await import('node:stream')).Readable({ read() {} }), { headers: { 'content-type': 'application/json' } });
    expect(await readJsonBody(req as unknown as http.IncomingMessage, 100)).toBeUndefined();
  });
});
