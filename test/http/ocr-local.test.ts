// POST /v1/ocr as a fresh install runs it: no provider keys (only the local tesseract engine is
// routable) and loopback URLs refused like every other non-public address (the production setting).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fundedKey, postJson, startTestApp, type TestApp } from '../helpers/app';
import { balanceOf, expectApiError, expectCharged, expectStillServing, jobHeaders } from '../helpers/job-checks';
import { renderTextPng } from '../helpers/ocr-fixtures';

let app: TestApp;
let files: http.Server;
let filesUrl: string;
let served = 0;

beforeAll(async () => {
  app = await startTestApp({ env: { ALLOW_LOOPBACK_URLS: 'false' } });
  const png = await renderTextPng(['Switchyard reads text']);
  files = http.createServer((_req, res) => {
    served += 1;
    res.writeHead(200, { 'content-type': 'image/png' }).end(png);
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  files.closeAllConnections();
  await new Promise<void>((resolve) => files.close(() => resolve()));
  await app.close();
});

describe('POST /v1/ocr with no provider keys', () => {
  it('reads an image rendered with sharp through the local tesseract engine, at no cost', async () => {
    const { key } = await fundedKey(app, '1');
    const before = await balanceOf(app, key);
    const image = await renderTextPng(['Switchyard reads text']);
    const res = await postJson(app, '/v1/ocr', { image: `data:image/png;base64,${image.toString('base64')}`, language: ['en'] }, key);
    expect(res.status, await res.clone().text()).toBe(200);
    const cost = jobHeaders(res, { provider: 'tesseract', model: 'tesseract-ocr/tesseract' });
    const body = (await res.json()) as { text: string; pages: { index: number; text: string; blocks: { text: string; confidence: number | null; box: unknown }[] }[]; model: string; usage: { pages: number; cost_usd: string } };
    expect(Object.keys(body).sort()).toEqual(['model', 'pages', 'text', 'usage']);
    expect(body.model).toBe('tesseract-ocr/tesseract');
    expect(body.text).toMatch(/Switchyard\s+reads\s+text/i);
    expect(body.pages).toHaveLength(1);
    expect(body.pages[0]!.blocks[0]!.confidence).toBeGreaterThan(0.5);
    expect(body.pages[0]!.blocks[0]!.box).toMatchObject({ x: expect.any(Number), y: expect.any(Number), width: expect.any(Number), height: expect.any(Number) });
    expect(body.usage).toEqual({ pages: 1, cost_usd: '0.00' });
    expect(cost).toBe(0);
    await expectCharged(app, key, before, 0);
  }, 60_000);

  it('refuses an image_url on 127.0.0.1 without connecting to it', async () => {
    const { key } = await fundedKey(app, '1');
    const before = await balanceOf(app, key);
    const res = await postJson(app, '/v1/ocr', { image_url: `${filesUrl}/scan.png` }, key);
    await expectApiError(res, { status: 400, param: 'image_url', message: /not public/ });
    expect(served).toBe(0);
    await expectCharged(app, key, before, 0);
    await expectStillServing(app);
  });
});
