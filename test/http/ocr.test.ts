// POST /v1/ocr through the real app over HTTP: documents read by Google Cloud Vision and Mistral OCR
// (mocks on 127.0.0.1) and by the local tesseract engine, each answer in the same shape, the
// account charged exactly the cost in the headers; and every kind of bad document refused cleanly.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fundedKey, postJson, startTestApp, type TestApp } from '../helpers/app';
import { balanceOf, expectApiError, expectCharged, expectStillServing, jobHeaders, postForm, postLargeUpload, type Balance } from '../helpers/job-checks';
import { renderTextPdf, renderTextPng } from '../helpers/ocr-fixtures';
import type { MockUpstream } from '../helpers/mock-upstream';
import { GOOGLE_CLOUD_TEST_KEY, startGoogleCloudMock } from '../mocks/google-cloud/index';
import { MISTRAL_TEST_KEY, startMistralMock } from '../mocks/mistral/index';
import { pdfWithPages } from './media/samples';

const VISION = { provider: 'google-cloud', model: 'google/cloud-vision-document-text' };
const MISTRAL = { provider: 'mistral', model: 'mistralai/mistral-ocr-2512' };

let google: MockUpstream;
let mistral: MockUpstream;
let app: TestApp;
let key: string;
let files: http.Server;
let filesUrl: string;
let png: Buffer;
let pdf: Buffer;

beforeAll(async () => {
  [google, mistral] = await Promise.all([startGoogleCloudMock(), startMistralMock()]);
  app = await startTestApp({
    env: {
      GOOGLE_CLOUD_API_KEY: GOOGLE_CLOUD_TEST_KEY,
      GOOGLE_CLOUD_BASE_URL: google.url,
      MISTRAL_API_KEY: MISTRAL_TEST_KEY,
      MISTRAL_BASE_URL: `${mistral.url}/v1`,
    },
  });
  png = await renderTextPng(['Hello Switchyard']);
  pdf = await renderTextPdf(['First page', 'Second page', 'Third page']);
  // A file server on loopback for image_url (the test app allows loopback URLs, nothing else).
  files = http.createServer((req, res) => {
    const body = req.url === '/scan.pdf' ? pdf : req.url === '/scan.png' ? png : null;
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  files.closeAllConnections();
  await new Promise<void>((resolve) => files.close(() => resolve()));
  await app.close();
  await Promise.all([google.close(), mistral.close()]);
});

beforeEach(async () => {
  ({ key } = await fundedKey(app, '10'));
  google.requests.length = 0;
  mistral.requests.length = 0;
});

function fileForm(bytes: Buffer, filename: string, fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(bytes)]), filename);
  return form;
}

interface OcrAnswer {
  text: string;
  pages: { index: number; text: string; blocks: { text: string; confidence: number | null; box: { x: number; y: number; width: number; height: number } | null }[] }[];
  model: string;
  usage: { pages: number; cost_usd: string };
}

function expectOcrShape(body: OcrAnswer): void {
  expect(Object.keys(body).sort()).toEqual(['model', 'pages', 'text', 'usage']);
  expect(Object.keys(body.usage).sort()).toEqual(['cost_usd', 'pages']);
  expect(typeof body.text).toBe('string');
  for (const page of body.pages) {
    expect(Object.keys(page).sort()).toEqual(['blocks', 'index', 'text']);
    for (const block of page.blocks) {
      expect(Object.keys(block).sort()).toEqual(['box', 'confidence', 'text']);
      if (block.box) expect(Object.keys(block.box).sort()).toEqual(['height', 'width', 'x', 'y']);
    }
  }
}

describe('POST /v1/ocr', () => {
  it.each([VISION, MISTRAL])('reads an uploaded PNG through $provider in the common shape and charges the header cost', async (served) => {
    const before = await balanceOf(app, key);
    const res = await postForm(app, '/v1/ocr', fileForm(png, 'scan.png', { model: served.model }), key);
    expect(res.status, await res.clone().text()).toBe(200);
    const cost = jobHeaders(res, served);
    const body = (await res.json()) as OcrAnswer;
    expectOcrShape(body);
    expect(body.model).toBe(served.model);
    expect(body.text).toMatch(/Hello Switchyard/);
    expect(body.pages).toHaveLength(1);
    expect(body.pages[0]!.index).toBe(0);
    expect(body.pages[0]!.blocks.length).toBeGreaterThan(0);
    expect(body.usage.pages).toBe(1);
    expect(cost).toBeGreaterThan(0);
    expect(body.usage.cost_usd).toBe(res.headers.get('x-switchyard-cost-usd'));
    await expectCharged(app, key, before, cost);
  });

  it('fetches a PDF from image_url, counts its pages and reads only the pages asked for', async () => {
    const before = await balanceOf(app, key);
    const res = await postJson(app, '/v1/ocr', { image_url: `${filesUrl}/scan.pdf`, pages: '0,2', provider: { only: ['google-cloud'] } }, key);
    expect(res.status, await res.clone().text()).toBe(200);
    const cost = jobHeaders(res, VISION);
    const body = (await res.json()) as OcrAnswer;
    expectOcrShape(body);
    expect(body.pages.map((p) => p.index)).toEqual([0, 2]);
    expect(body.usage.pages).toBe(2);
    // USD 1.50 per 1,000 pages, two pages.
    expect(cost).toBe(3_000);
    const sent = google.lastRequest!.json.requests[0];
    expect(sent.inputConfig.mimeType).toBe('application/pdf');
    expect(sent.pages).toEqual([1, 3]);
    await expectCharged(app, key, before, cost);
  });

  it('takes base64 in JSON and page ranges as a list', async () => {
    const res = await postJson(app, '/v1/ocr', { image: pdf.toString('base64'), pages: ['1-2'], model: MISTRAL.model }, key);
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as OcrAnswer;
    expect(body.pages.map((p) => p.index)).toEqual([1, 2]);
    expect(mistral.lastRequest!.json.pages).toEqual([1, 2]);
  });

  it('turns an EXIF-rotated photo upright before sending it', async () => {
    const sideways = await sharp(png).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const stored = await sharp(sideways).metadata();
    const res = await postForm(app, '/v1/ocr', fileForm(sideways, 'photo.jpg', { model: VISION.model }), key);
    expect(res.status, await res.clone().text()).toBe(200);
    const sent = Buffer.from(google.lastRequest!.json.requests[0].image.content, 'base64');
    const upright = await sharp(sent).metadata();
    expect(upright.format).toBe('jpeg');
    expect(upright.orientation ?? 1).toBe(1);
    expect([upright.width, upright.height]).toEqual([stored.height, stored.width]);
  });

  it('converts an image to PNG for a model that does not read its format', async () => {
    const gif = await sharp(png).gif().toBuffer();
    const res = await postForm(app, '/v1/ocr', fileForm(gif, 'scan.gif', { model: MISTRAL.model }), key);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(mistral.lastRequest!.json.document.image_url).toMatch(/^data:image\/png;base64,/);
  });

  it('takes routing preferences as a JSON string in a multipart form', async () => {
    const res = await postForm(app, '/v1/ocr', fileForm(png, 'scan.png', { provider: JSON.stringify({ only: ['mistral'], sort: 'price' }) }), key);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('x-switchyard-provider')).toBe('mistral');
    expect(google.requests).toHaveLength(0);
  });

  it('passes language hints to the provider', async () => {
    const res = await postForm(app, '/v1/ocr', fileForm(png, 'scan.png', { model: VISION.model, language: 'EN,de-de' }), key);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(google.lastRequest!.json.requests[0].imageContext.languageHints).toEqual(['en', 'de-DE']);
  });
});

describe('POST /v1/ocr refuses bad input cleanly, charges nothing and keeps serving', () => {
  let before: Balance;
  beforeEach(async () => {
    before = await balanceOf(app, key);
  });

  async function refused(res: Response, expected: Parameters<typeof expectApiError>[1]): Promise<void> {
    await expectApiError(res, expected);
    await expectCharged(app, key, before, 0);
    expect(google.requests.length + mistral.requests.length).toBe(0);
    await expectStillServing(app);
  }

  it('malformed JSON', async () => {
    const res = await fetch(`${app.url}/v1/ocr`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"image": "abc' });
    await refused(res, { status: 400, code: 'invalid_request' });
  });

  it.each([
    [{ image: 42 }, 'image'],
    [{ image_url: ['http://x'] }, 'image_url'],
    [{ image: 'aGk=', pages: { from: 1 } }, 'pages'],
    [{ image: 'aGk=', pages: '3-1' }, 'pages'],
    [{ image: 'aGk=', model: 7 }, 'model'],
    [{ image: 'aGk=', provider: { only: 'google-cloud' } }, 'provider.only'],
  ])('a wrong type (%j) names the field', async (body, param) => {
    await refused(await postJson(app, '/v1/ocr', body, key), { status: 400, param });
  });

  it('routing preferences in a form that are not JSON', async () => {
    await refused(await postForm(app, '/v1/ocr', fileForm(png, 'scan.png', { provider: '{only: mistral}' }), key), { status: 400, param: 'provider' });
  });

  it('a bad language tag', async () => {
    await refused(await postForm(app, '/v1/ocr', fileForm(png, 'scan.png', { language: 'english' }), key), { status: 400, param: 'language.0' });
  });

  it('no document at all', async () => {
    const form = new FormData();
    form.append('model', VISION.model);
    await refused(await postForm(app, '/v1/ocr', form, key), { status: 400, param: 'file' });
  });

  it('two documents at once', async () => {
    await refused(await postForm(app, '/v1/ocr', fileForm(png, 'scan.png', { image_url: `${filesUrl}/scan.png` }), key), { status: 400, param: 'image_url' });
  });

  it('a body in a type no parser reads', async () => {
    const res = await fetch(`${app.url}/v1/ocr`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'image/png' }, body: new Uint8Array(png) });
    await refused(res, { status: 415 });
  });

  it('a text file named .png', async () => {
    await refused(await postForm(app, '/v1/ocr', fileForm(Buffer.from('just some text, not an image\n'), 'scan.png'), key), { status: 415, param: 'file' });
  });

  it('a truncated PNG', async () => {
    const noisy = await sharp(Buffer.alloc(400 * 400 * 3, 0).map((_, i) => (i * 7919) % 251), { raw: { width: 400, height: 400, channels: 3 } }).png().toBuffer();
    await refused(await postForm(app, '/v1/ocr', fileForm(noisy.subarray(0, Math.floor(noisy.length / 2)), 'cut.png'), key), { status: 400, param: 'file' });
  });

  it('a PNG that decodes to 100 megapixels', async () => {
    const huge = await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png({ compressionLevel: 9 }).toBuffer();
    await refused(await postForm(app, '/v1/ocr', fileForm(huge, 'huge.png'), key), { status: 413, param: 'file' });
  });

  it('a 60 MB upload', async () => {
    await refused(await postLargeUpload(app, '/v1/ocr', 60 * 1024 * 1024, key), { status: 413, param: 'file' });
  });

  it('a PDF over the page limit', async () => {
    await refused(await postForm(app, '/v1/ocr', fileForm(await pdfWithPages(1_001), 'long.pdf'), key), { status: 413, param: 'file' });
  }, 60_000);

  it('a page the document does not have', async () => {
    await refused(await postJson(app, '/v1/ocr', { image: png.toString('base64'), pages: [1] }, key), { status: 400, param: 'pages' });
  });

  it.each(['http://10.0.0.1/x.png', 'http://169.254.169.254/latest/meta-data/', 'http://[::ffff:192.168.1.1]/x.png', 'http://0.0.0.0:80/x.png'])(
    'a private-network image_url (%s), refused before any connection',
    async (url) => {
      await refused(await postJson(app, '/v1/ocr', { image_url: url }, key), { status: 400, param: 'image_url' });
    },
  );

  it.each(['file:///etc/passwd', 'ftp://example.com/x.png', 'gopher://127.0.0.1/'])('a %s URL', async (url) => {
    await refused(await postJson(app, '/v1/ocr', { image_url: url }, key), { status: 400, param: 'image_url' });
  });

  it('an unknown model', async () => {
    await refused(await postForm(app, '/v1/ocr', fileForm(png, 'scan.png', { model: 'nobody/no-such-ocr' }), key), { status: 404, code: 'model_not_found' });
  });

  it('a model of another task', async () => {
    await refused(await postForm(app, '/v1/ocr', fileForm(png, 'scan.png', { model: 'deepl/translate' }), key), { status: 404, code: 'model_not_found' });
  });

  it('no API key', async () => {
    const res = await postForm(app, '/v1/ocr', fileForm(png, 'scan.png'));
    await expectApiError(res, { status: 401, code: 'invalid_api_key' });
    await expectStillServing(app);
  });
});
