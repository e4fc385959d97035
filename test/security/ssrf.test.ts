// SSRF through POST /v1/ocr's image_url: the gateway must never fetch what only it can reach.
// Without ALLOW_LOOPBACK_URLS, a file server on 127.0.0.1 that would happily serve an image is never
// reached by any spelling of a loopback address; private, link-local, CGNAT, IPv6-mapped and NAT64
// forms and other schemes are refused too. Redirects are checked hop by hop: with loopback allowed
// (as tests need) a loopback server redirecting to a private or metadata address is still refused.
// Every refusal is a 400 naming image_url, with nothing charged.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fundedKey, postJson, startTestApp, type TestApp } from '../helpers/app';
import { expectApiError } from '../helpers/job-checks';
import { renderTextPng } from '../helpers/ocr-fixtures';
import { expectBooksBalanced } from '../faults/books';

let app: TestApp;
let files: http.Server;
let port = 0;
/** Requests the file server received, by path. */
const reached: string[] = [];
let account: { key: string; accountId: string };

beforeAll(async () => {
  const png = await renderTextPng(['secret internal document']);
  files = http.createServer((req, res) => {
    reached.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://files');
    if (url.pathname === '/redirect') return void res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
    if (url.pathname === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  port = (files.address() as AddressInfo).port;
  app = await startTestApp({ env: { ALLOW_LOOPBACK_URLS: 'false' } });
  account = await fundedKey(app, '1');
}, 180_000);

afterAll(async () => {
  files?.closeAllConnections();
  await new Promise<void>((resolve) => files?.close(() => resolve()));
  await app?.close();
});

async function refusedUrl(imageUrl: string): Promise<void> {
  const res = await postJson(app, '/v1/ocr', { image_url: imageUrl }, account.key);
  const error = await expectApiError(res, { status: 400, param: 'image_url' });
  expect(error.message.length).toBeGreaterThan(0);
}

describe('without ALLOW_LOOPBACK_URLS', () => {
  const loopbacks = () => [
    `http://127.0.0.1:${port}/scan.png`,
    `http://localhost:${port}/scan.png`,
    `http://127.1:${port}/scan.png`,
    `http://2130706433:${port}/scan.png`,
    `http://0x7f000001:${port}/scan.png`,
    `http://0177.0.0.1:${port}/scan.png`,
    `http://[::1]:${port}/scan.png`,
    `http://[::ffff:127.0.0.1]:${port}/scan.png`,
    `http://[::ffff:7f00:1]:${port}/scan.png`,
    `http://0.0.0.0:${port}/scan.png`,
    `http://user:pass@127.0.0.1:${port}/scan.png`,
    `HTTP://127.0.0.1:${port}/scan.png`,
  ];

  it('never reaches a loopback server, however its address is spelled', async () => {
    expect(app.config.ALLOW_LOOPBACK_URLS).toBe(false);
    for (const url of loopbacks()) await refusedUrl(url);
    expect(reached).toEqual([]);
  });

  it.each([
    ['private 10/8', 'http://10.0.0.1/scan.png'],
    ['private 172.16/12', 'http://172.16.5.4/scan.png'],
    ['private 192.168/16', 'http://192.168.1.1/scan.png'],
    ['CGNAT', 'http://100.64.0.1/scan.png'],
    ['cloud metadata (link-local)', 'http://169.254.169.254/latest/meta-data/'],
    ['IPv6 link-local', 'http://[fe80::1]/scan.png'],
    ['IPv6 unique-local', 'http://[fd12:3456::1]/scan.png'],
    ['IPv4-mapped private', 'http://[::ffff:10.0.0.1]/scan.png'],
    ['IPv4-mapped metadata, hex', 'http://[::ffff:a9fe:a9fe]/latest/meta-data/'],
    ['NAT64 metadata', 'http://[64:ff9b::a9fe:a9fe]/latest/meta-data/'],
    ['broadcast', 'http://255.255.255.255/scan.png'],
    ['file scheme', 'file:///etc/passwd'],
    ['ftp scheme', 'ftp://127.0.0.1/scan.png'],
    ['gopher scheme', 'gopher://127.0.0.1:6379/_INFO'],
    ['not a URL', 'javascript:alert(1)'],
  ])('refuses %s', async (_name, url) => {
    await refusedUrl(url);
  });
});

describe('redirects (loopback allowed for the first hop, as in tests)', () => {
  it.each([
    ['a private address', 'http://10.1.2.3/scan.png'],
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data/iam/'],
    ['an IPv4-mapped private address', 'http://[::ffff:192.168.0.1]/scan.png'],
    ['IPv6 link-local', 'http://[fe80::1]/scan.png'],
    ['a file: URL', 'file:///etc/passwd'],
  ])('refuses a redirect to %s', async (_name, target) => {
    app.config.ALLOW_LOOPBACK_URLS = true;
    try {
      reached.length = 0;
      await refusedUrl(`http://127.0.0.1:${port}/redirect?to=${encodeURIComponent(target)}`);
      expect(reached).toEqual([`/redirect?to=${encodeURIComponent(target)}`]);
    } finally {
      app.config.ALLOW_LOOPBACK_URLS = false;
    }
  });

  it('stops following a redirect loop', async () => {
    app.config.ALLOW_LOOPBACK_URLS = true;
    try {
      reached.length = 0;
      await refusedUrl(`http://127.0.0.1:${port}/loop`);
      expect(reached.length).toBeLessThanOrEqual(4);
    } finally {
      app.config.ALLOW_LOOPBACK_URLS = false;
    }
  });
});

it('charged nothing for any refused URL', async () => {
  const books = await expectBooksBalanced(app.database.db, account.accountId, []);
  expect(books.balanceMicros).toBe(1_000_000);
});
