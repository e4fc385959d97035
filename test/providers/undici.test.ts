// src/providers/shared/undici.ts takes undici's Agent, errors and request() from the package's own
// modules instead of its index. These checks fail if an undici upgrade moves or changes them.
import * as undici from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, errors, request } from '../../src/providers/shared/undici';
import { startHttpServer, type TestHttpServer } from '../helpers/http-server';

let server: TestHttpServer;
let base: string;

beforeAll(async () => {
  server = await startHttpServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => void res.writeHead(201, { 'content-type': 'application/json', 'x-seen': `${req.method} ${req.url}` }).end(JSON.stringify({ body })));
  });
  base = server.url;
});

afterAll(() => server.close());

describe('the undici parts the gateway loads', () => {
  it('are the package’s own Agent and error classes', () => {
    expect(Agent).toBe(undici.Agent);
    expect(errors).toBe(undici.errors);
    expect(new errors.RequestAbortedError()).toBeInstanceOf(undici.errors.UndiciError);
  });

  it('request() sends method, path with query, headers and body on the given dispatcher, as undici.request does', async () => {
    const dispatcher = new Agent();
    try {
      for (const url of [`${base}/v1/x?a=1&b=2`, new URL(`${base}/plain`)]) {
        const options = { dispatcher, method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: '{"q":1}' };
        const ours = await request(url, options);
        const theirs = await undici.request(url, options);
        expect(ours.statusCode).toBe(201);
        expect(ours.headers['x-seen']).toBe(theirs.headers['x-seen']);
        expect(await ours.body.json()).toEqual(await theirs.body.json());
      }
    } finally {
      await dispatcher.close();
    }
  });

  it('request() honours an aborted signal as undici.request does', async () => {
    const dispatcher = new Agent();
    try {
      const controller = new AbortController();
      controller.abort();
      const options = { dispatcher, method: 'GET' as const, signal: controller.signal };
      const ours = await request(`${base}/x`, options).catch((error: unknown) => error);
      const theirs = await undici.request(`${base}/x`, options).catch((error: unknown) => error);
      expect(ours).toBeInstanceOf(Error);
      expect(ours).toBe(theirs); // the signal's own reason, as undici rejects with it
    } finally {
      await dispatcher.close();
    }
  });
});
