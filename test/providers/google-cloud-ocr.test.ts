import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { googleCloudOcr } from '../../src/providers/google-cloud/ocr';
import type { MockUpstream } from '../helpers/mock-upstream';
import { callContext, expectUpstreamError, mediaFile, ocrRequest, renderTextPdf, renderTextPng, renderTextTiff } from '../helpers/ocr-fixtures';
import { GOOGLE_CLOUD_TEST_KEY, startGoogleCloudMock } from '../mocks/google-cloud';

let mock: MockUpstream;
let png: Buffer;

beforeAll(async () => {
  mock = await startGoogleCloudMock();
  png = await renderTextPng(['Hello Switchyard'], { width: 1000, height: 500 });
});
afterAll(() => mock.close());
beforeEach(() => mock.clearFaults());

const ctx = (extra = {}) => callContext('google-cloud', mock.url, GOOGLE_CLOUD_TEST_KEY, extra);

describe('googleCloudOcr', () => {
  it('reads an image with DOCUMENT_TEXT_DETECTION and maps blocks, boxes in pixels and confidences', async () => {
    const { result, units } = await googleCloudOcr.ocr(ocrRequest(mediaFile(png, 'png'), { languages: ['en'] }), ctx());

    expect(result.text).toBe('Hello Switchyard\nPage 1 of the mock scan');
    expect(result.pages).toHaveLength(1);
    expect(result.pages[0]!.blocks).toEqual([
      { text: 'Hello Switchyard', confidence: 0.98, box: { x: 100, y: 50, width: 500, height: 50 } },
      { text: 'Page 1 of the mock scan', confidence: 0.95, box: { x: 100, y: 150, width: 700, height: 50 } },
    ]);
    expect(units).toEqual({ pages: 1 });

    const sent = mock.lastRequest!;
    expect(sent.path).toBe('/v1/images:annotate');
    expect(sent.headers['x-goog-api-key']).toBe(GOOGLE_CLOUD_TEST_KEY);
    expect(sent.json.requests[0].features).toEqual([{ type: 'DOCUMENT_TEXT_DETECTION' }]);
    expect(sent.json.requests[0].imageContext).toEqual({ languageHints: ['en'] });
    expect(Buffer.from(sent.json.requests[0].image.content, 'base64').equals(png)).toBe(true);
  });

  it('asks for the OCR model the offering names', async () => {
    await googleCloudOcr.ocr(ocrRequest(mediaFile(png, 'png')), ctx({ providerModelId: 'builtin/latest' }));
    expect(mock.lastRequest!.json.requests[0].features).toEqual([{ type: 'DOCUMENT_TEXT_DETECTION', model: 'builtin/latest' }]);
  });

  it('sends a 7-page PDF to files:annotate in batches of 5 pages and bills every page', async () => {
    const pdf = await renderTextPdf(['one', 'two', 'three', 'four', 'five', 'six', 'seven']);
    const before = mock.requests.length;
    const { result, units } = await googleCloudOcr.ocr(ocrRequest(mediaFile(pdf, 'pdf'), { pageCount: 7 }), ctx());

    const calls = mock.requests.slice(before);
    expect(calls.map((c) => c.path)).toEqual(['/v1/files:annotate', '/v1/files:annotate']);
    expect(calls.map((c) => c.json.requests[0].pages).sort()).toEqual([[1, 2, 3, 4, 5], [6, 7]]);
    expect(calls[0]!.json.requests[0].inputConfig.mimeType).toBe('application/pdf');
    expect(result.pages.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(result.pages[6]!.text).toBe('Hello Switchyard\nPage 7 of the mock scan');
    // PDF boxes are in points: 10 % of a 612 × 792 pt page.
    expect(result.pages[0]!.blocks[0]!.box).toEqual({ x: 61.2, y: 79.2, width: 306, height: 79.2 });
    expect(units).toEqual({ pages: 7 });
  });

  it('reads only the pages the job asks for', async () => {
    const pdf = await renderTextPdf(['one', 'two', 'three']);
    const { result, units } = await googleCloudOcr.ocr(ocrRequest(mediaFile(pdf, 'pdf'), { pageCount: 3, pages: [2] }), ctx());
    expect(mock.lastRequest!.json.requests[0].pages).toEqual([3]);
    expect(result.pages.map((p) => p.index)).toEqual([2]);
    expect(units).toEqual({ pages: 1 });
  });

  it('reads each page of a multi-page TIFF with boxes in pixels', async () => {
    const tiff = await renderTextTiff([['first'], ['second']], { width: 800 });
    const { result, units } = await googleCloudOcr.ocr(ocrRequest(mediaFile(tiff, 'tiff'), { pageCount: 2 }), ctx());
    expect(mock.lastRequest!.json.requests[0].inputConfig.mimeType).toBe('image/tiff');
    expect(result.pages.map((p) => p.index)).toEqual([0, 1]);
    expect(result.pages[1]!.blocks[0]!.box).toEqual({ x: 80, y: 40, width: 400, height: 40 });
    expect(units).toEqual({ pages: 2 });
  });

  it('turns a per-image error inside a 200 answer into a client error', async () => {
    const garbage = Buffer.from('definitely not an image');
    const error = await expectUpstreamError(googleCloudOcr.ocr(ocrRequest(mediaFile(garbage, 'png')), ctx()), {
      kind: 'http',
      statusCode: 400,
      isRetryable: false,
    });
    expect(error.message).toContain('Bad image data');
  });

  it('maps 429 with Retry-After to a retryable error that says when to retry', async () => {
    mock.failNext({ kind: 'status', status: 429, message: 'Quota exceeded', headers: { 'retry-after': '2' } });
    await expectUpstreamError(googleCloudOcr.ocr(ocrRequest(mediaFile(png, 'png')), ctx()), {
      kind: 'http',
      statusCode: 429,
      isRetryable: true,
      retryAfterMs: 2000,
    });
  });

  it.each([500, 503])('maps %i to a retryable error', async (status) => {
    mock.failNext({ kind: 'status', status });
    await expectUpstreamError(googleCloudOcr.ocr(ocrRequest(mediaFile(png, 'png')), ctx()), { kind: 'http', statusCode: status, isRetryable: true });
  });

  it('gives up on a hanging upstream after the call timeout', async () => {
    mock.failNext({ kind: 'hang' });
    await expectUpstreamError(googleCloudOcr.ocr(ocrRequest(mediaFile(png, 'png')), ctx({ timeoutMs: 200 })), { kind: 'timeout', isRetryable: true });
  });

  it('reports a reset connection as a connect failure', async () => {
    mock.failNext({ kind: 'reset' });
    await expectUpstreamError(googleCloudOcr.ocr(ocrRequest(mediaFile(png, 'png')), ctx()), { kind: 'connect', isRetryable: true });
  });

  it('reports malformed JSON as a protocol failure', async () => {
    mock.failNext({ kind: 'malformed' });
    await expectUpstreamError(googleCloudOcr.ocr(ocrRequest(mediaFile(png, 'png')), ctx()), { kind: 'protocol', isRetryable: true });
  });

  it('returns 400 and a wrong key (401) as not retryable', async () => {
    mock.failNext({ kind: 'status', status: 400, message: 'Invalid image' });
    await expectUpstreamError(googleCloudOcr.ocr(ocrRequest(mediaFile(png, 'png')), ctx()), { kind: 'http', statusCode: 400, isRetryable: false });
    const wrongKey = callContext('google-cloud', mock.url, 'AIza-wrong');
    await expectUpstreamError(googleCloudOcr.ocr(ocrRequest(mediaFile(png, 'png')), wrongKey), { kind: 'http', statusCode: 401, isRetryable: false });
  });
});
