import net from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidRequest, PayloadTooLarge } from '../../../src/errors';
import { inspectImageUrl } from '../../../src/http/media/inputs';
import { fetchRemoteFile, type ResolveHost } from '../../../src/http/media/remote';
import { startHttpServer, type TestHttpServer } from '../../helpers/http-server';
import { solidImage } from './samples';

// The network rule of these tests: nothing but 127.0.0.1 is ever connected to. Every refusal of
// another address must happen before a connection is attempted, which the spies on net.connect
// and tls.connect (what undici connects with) prove.
const connects = { tcp: vi.spyOn(net, 'connect'), tls: vi.spyOn(tls, 'connect') };
const connectCount = () => connects.tcp.mock.calls.length + connects.tls.mock.calls.length;

let server: TestHttpServer;
let base: string;
let png: Buffer;
const seen: { path: string; host: string | undefined }[] = [];
const endless = { written: 0, closed: false };

beforeAll(async () => {
  png = await solidImage(30, 20).png().toBuffer();
  server = await startHttpServer((req, res) => {
    seen.push({ path: req.url ?? '', host: req.headers.host });
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/image.png':
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
        return;
      case '/redirect':
        res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
        return;
      case '/missing':
        res.writeHead(404).end('not here');
        return;
      case '/endless': {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.on('close', () => (endless.closed = true));
        const chunk = Buffer.alloc(64 * 1024, 1);
        const pump = () => {
          while (!res.destroyed && endless.written < 200 * 1024 * 1024) {
            endless.written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
        };
        pump();
        return;
      }
      case '/declared-huge':
        res.writeHead(200, { 'content-length': String(100 * 1024 * 1024) });
        res.write(Buffer.alloc(1024));
        return;
      case '/hang':
        return;
      case '/stall-body':
        res.writeHead(200, { 'content-length': '1000' });
        res.write(Buffer.alloc(10));
        return;
      default: {
        const hops = /^\/chain\/(\d+)$/.exec(url.pathname);
        if (hops) {
          const left = Number(hops[1]);
          res.writeHead(301, { location: left > 1 ? `/chain/${left - 1}` : '/image.png' }).end();
          return;
        }
        res.writeHead(404).end();
      }
    }
  });
  base = server.url;
});

afterAll(() => server.close());

beforeEach(() => {
  connects.tcp.mockClear();
  connects.tls.mockClear();
  seen.length = 0;
});

afterEach(() => {
  for (const call of connects.tcp.mock.calls) {
    const options = call[0] as { host?: string; lookup?: unknown };
    expect(['127.0.0.1', 'localhost', 'rebind.test']).toContain(options.host);
  }
});

const loopback = { param: 'image_url', allowLoopback: true } as const;

async function refusal(url: string, options: Parameters<typeof fetchRemoteFile>[1] = { param: 'image_url' }): Promise<InvalidRequest> {
  const error = await fetchRemoteFile(url, options).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidRequest);
  expect((error as InvalidRequest).param).toBe(options.param);
  return error as InvalidRequest;
}

describe('fetchRemoteFile: what it fetches', () => {
  it('fetches an image from an allowed server and names it after the URL', async () => {
    const file = await fetchRemoteFile(`${base}/image.png`, loopback);
    expect(file.bytes.equals(png)).toBe(true);
    expect(file.filename).toBe('image.png');
  });

  it('feeds the inspectors: an image_url becomes a checked MediaFile', async () => {
    const inspected = await inspectImageUrl(`${base}/image.png`, loopback);
    expect(inspected).toMatchObject({ pageCount: 1, width: 30, height: 20, file: { format: 'png', mime: 'image/png' } });
  });

  it('decodes a data: URL locally, taking the type from the bytes and not from the URL', async () => {
    const url = `data:text/plain;base64,${png.toString('base64')}`;
    const file = await fetchRemoteFile(url, { param: 'image_url' });
    expect(file.bytes.equals(png)).toBe(true);
    expect((await inspectImageUrl(url, { param: 'image_url' })).file.mime).toBe('image/png');
    expect(connectCount()).toBe(0);
  });

  it('refuses a data: URL that is not base64, or not valid base64, with 400', async () => {
    expect((await refusal('data:image/png,%89PNG')).message).toMatch(/must be base64-encoded/);
    expect((await refusal('data:image/png;base64,@@@@')).message).toMatch(/not valid base64/);
  });

  it('refuses a data: URL over the size cap with 413 before decoding it', async () => {
    const error = await fetchRemoteFile(`data:image/png;base64,${'A'.repeat(4000)}`, { param: 'image_url', maxBytes: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLarge);
    expect((error as PayloadTooLarge).param).toBe('image_url');
  });

  it('follows up to three redirects, each checked', async () => {
    const file = await fetchRemoteFile(`${base}/chain/3`, loopback);
    expect(file.filename).toBe('image.png');
    expect(seen.map((s) => s.path)).toEqual(['/chain/3', '/chain/2', '/chain/1', '/image.png']);
  });

  it('refuses a fourth redirect with 400', async () => {
    expect((await refusal(`${base}/chain/4`, loopback)).message).toMatch(/redirects more than 3 times/);
  });

  it('refuses a URL that answers 404 with 400', async () => {
    expect((await refusal(`${base}/missing`, loopback)).message).toMatch(/answered HTTP 404/);
  });
});

describe('fetchRemoteFile: what it refuses before connecting', () => {
  it.each(['file:///etc/passwd', 'ftp://example.com/a.png', 'gopher://example.com/', 'javascript:alert(1)', 'ws://example.com/'])(
    'refuses %s with 400 naming the field',
    async (url) => {
      const error = await refusal(url, { param: 'audio_url' });
      expect(error.message).toMatch(/^audio_url: only http, https and data: URLs are accepted/);
      expect(connectCount()).toBe(0);
    },
  );

  it('refuses text that is not a URL with 400', async () => {
    expect((await refusal('not a url')).message).toBe('image_url is not a valid URL.');
  });

  it('refuses a URL with credentials in it', async () => {
    await refusal('http://user:secret@127.0.0.1/', loopback);
    expect(connectCount()).toBe(0);
  });

  it('refuses loopback unless loopback is explicitly allowed', async () => {
    expect((await refusal(`${base}/image.png`)).message).toMatch(/the address 127.0.0.1 is not public \(loopback\)/);
    expect(seen).toEqual([]);
    expect(connectCount()).toBe(0);
    await expect(fetchRemoteFile(`${base}/image.png`, loopback)).resolves.toMatchObject({ filename: 'image.png' });
  });

  it.each([
    ['http://10.0.0.1/a.png', 'private'],
    ['http://192.168.1.1/a.png', 'private'],
    ['http://172.16.5.4/a.png', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'linkLocal'],
    ['http://100.64.0.1/a.png', 'carrierGradeNat'],
    ['http://0.0.0.0/a.png', 'unspecified'],
    ['http://224.0.0.1/a.png', 'multicast'],
    ['http://240.0.0.1/a.png', 'reserved'],
    ['http://[::1]/a.png', 'loopback'],
    ['http://[::ffff:127.0.0.1]/a.png', 'ipv4Mapped loopback'],
    ['http://[::ffff:169.254.169.254]/a.png', 'ipv4Mapped linkLocal'],
    ['http://[64:ff9b::10.0.0.1]/a.png', 'rfc6052 private'],
    ['http://[fc00::1]/a.png', 'uniqueLocal'],
    ['http://[fd12:3456::1]/a.png', 'uniqueLocal'],
    ['http://[fe80::1]/a.png', 'linkLocal'],
    ['http://[2002:7f00:1::1]/a.png', '6to4'],
    ['http://[::]/a.png', 'unspecified'],
    ['http://2130706433/a.png', 'loopback'],
    ['http://0x7f.1/a.png', 'loopback'],
  ])('refuses %s (%s) without sending a packet', async (url, range) => {
    const resolve = vi.fn<ResolveHost>();
    const error = await refusal(url, { param: 'image_url', resolve });
    expect(error.message).toContain(`(${range})`);
    expect(resolve).not.toHaveBeenCalled();
    expect(connectCount()).toBe(0);
  });

  it('refuses every private range even when loopback is allowed', async () => {
    for (const url of ['http://10.0.0.1/', 'http://169.254.169.254/', 'http://[fc00::1]/', 'http://100.64.0.1/']) {
      await refusal(url, loopback);
    }
    expect(connectCount()).toBe(0);
  });

  it('refuses a host name that resolves to loopback (localhost)', async () => {
    const port = new URL(base).port;
    expect((await refusal(`http://localhost:${port}/image.png`)).message).toMatch(/localhost resolves to an address that is not public/);
    expect(seen).toEqual([]);
    expect(connectCount()).toBe(0);
  });

  it('refuses a host name when any one of its addresses is private', async () => {
    const resolve: ResolveHost = async () => [
      { address: '8.8.8.8', family: 4 },
      { address: '10.1.2.3', family: 4 },
    ];
    await refusal('http://mixed.example/a.png', { param: 'image_url', resolve });
    expect(connectCount()).toBe(0);
  });

  it('refuses a host name that does not resolve with 400', async () => {
    const resolve: ResolveHost = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect((await refusal('http://nowhere.example/', { param: 'image_url', resolve })).message).toMatch(/could not be resolved \(ENOTFOUND\)/);
  });

  it('refuses a redirect from an allowed server to a private address before connecting to it', async () => {
    for (const target of ['http://10.0.0.1/a.png', 'http://169.254.169.254/latest/meta-data/', 'http://[::ffff:10.0.0.1]/']) {
      connects.tcp.mockClear();
      const error = await refusal(`${base}/redirect?to=${encodeURIComponent(target)}`, loopback);
      expect(error.message).toMatch(/is not public/);
      expect(connectCount()).toBe(1); // the allowed first hop only
    }
  });

  it('refuses a redirect to a file: URL', async () => {
    expect((await refusal(`${base}/redirect?to=${encodeURIComponent('file:///etc/passwd')}`, loopback)).message).toMatch(/only http, https/);
  });

  it('connects to the address it checked, so a DNS answer that changes afterwards cannot redirect it', async () => {
    const answers = ['127.0.0.1', '10.0.0.1'];
    const resolve = vi.fn<ResolveHost>(async () => [{ address: answers.shift() ?? '10.0.0.1', family: 4 }]);
    const port = new URL(base).port;
    const file = await fetchRemoteFile(`http://rebind.test:${port}/image.png`, { ...loopback, resolve });
    expect(file.bytes.equals(png)).toBe(true);
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(seen).toEqual([{ path: '/image.png', host: `rebind.test:${port}` }]);
  });
});

describe('fetchRemoteFile: size and time', () => {
  it('stops reading a body past the size cap with 413', async () => {
    endless.written = 0;
    endless.closed = false;
    const error = await fetchRemoteFile(`${base}/endless`, { ...loopback, maxBytes: 1024 * 1024 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLarge);
    expect((error as PayloadTooLarge).message).toBe('image_url: the file is larger than 1048576 bytes.');
    await vi.waitFor(() => expect(endless.closed).toBe(true));
    expect(endless.written).toBeLessThan(32 * 1024 * 1024);
  });

  it('refuses a body whose declared length is over the cap without reading it', async () => {
    const started = performance.now();
    const error = await fetchRemoteFile(`${base}/declared-huge`, { ...loopback, maxBytes: 1024 * 1024 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLarge);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('gives up on a server that never answers with 400 at the deadline', async () => {
    const started = performance.now();
    const error = await fetchRemoteFile(`${base}/hang`, { ...loopback, timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequest);
    expect((error as InvalidRequest).message).toBe('image_url: the download did not finish within 300 ms.');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('gives up on a body that stalls with 400 at the deadline', async () => {
    const error = await fetchRemoteFile(`${base}/stall-body`, { ...loopback, timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequest);
    expect((error as InvalidRequest).message).toMatch(/did not finish within 300 ms/);
  });

  it('gives up on a host name whose lookup never returns with 400 at the deadline', async () => {
    const resolve: ResolveHost = () => new Promise(() => {});
    const error = await fetchRemoteFile('http://slow-dns.example/', { param: 'image_url', timeoutMs: 200, resolve }).catch((e: unknown) => e);
    expect((error as InvalidRequest).message).toMatch(/did not finish within 200 ms/);
  });
});
