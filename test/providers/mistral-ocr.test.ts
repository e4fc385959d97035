import { Mistral } from '@mistralai/mistralai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mistralOcr } from '../../src/providers/mistral/ocr';
import type { MockUpstream } from '../helpers/mock-upstream';
import { callContext, expectUpstreamError, mediaFile, ocrRequest, renderTextPdf, renderTextPng } from '../helpers/ocr-fixtures';
import { MISTRAL_TEST_KEY, startMistralMock } from '../mocks/mistral';

let mock: MockUpstream;
let png: Buffer;

beforeAll(async () => {
  mock = await startMistralMock();
  png = await renderTextPng(['Hello Switchyard'], { width: 1000, height: 500 });
});
afterAll(() => mock.close());
beforeEach(() => mock.clearFaults());

const ctx = (extra = {}) => callContext('mistral', `${mock.url}/v1`, MISTRAL_TEST_KEY, { providerModelId: 'mistral-ocr-latest', ...extra });
const ocrPng = (extra = {}) => mistralOcr.ocr(ocrRequest(mediaFile(png, 'png')), ctx(extra));

describe('mistralOcr', () => {
  it('sends the image as a data URL and maps OCR 4 blocks to text blocks with pixel boxes', async () => {
    const { result, units } = await ocrPng();

    expect(result.text).toBe('Hello Switchyard\n\nPage 1 of the mock scan.');
    expect(result.pages).toEqual([
      {
        index: 0,
        text: 'Hello Switchyard\n\nPage 1 of the mock scan.',
        blocks: [
          { text: 'Hello Switchyard', confidence: null, box: { x: 100, y: 50, width: 500, height: 50 } },
          { text: 'Page 1 of the mock scan.', confidence: null, box: { x: 100, y: 150, width: 700, height: 50 } },
        ],
      },
    ]);
    expect(units).toEqual({ pages: 1 });

    const sent = mock.lastRequest!;
    expect(sent.path).toBe('/v1/ocr');
    expect(sent.headers.authorization).toBe(`Bearer ${MISTRAL_TEST_KEY}`);
    expect(sent.json).toMatchObject({ model: 'mistral-ocr-latest', include_blocks: true, include_image_base64: false });
    expect(sent.json.document).toEqual({ type: 'image_url', image_url: `data:image/png;base64,${png.toString('base64')}` });
  });

  it('sends a PDF as a document URL, asks for the wanted pages and bills pages_processed', async () => {
    const pdf = await renderTextPdf(['one', 'two', 'three']);
    const { result, units } = await mistralOcr.ocr(ocrRequest(mediaFile(pdf, 'pdf'), { pageCount: 3, pages: [1, 2] }), ctx());

    expect(mock.lastRequest!.json.document.type).toBe('document_url');
    expect(mock.lastRequest!.json.document.document_url.startsWith('data:application/pdf;base64,JVBER')).toBe(true);
    expect(mock.lastRequest!.json.pages).toEqual([1, 2]);
    expect(result.pages.map((p) => p.index)).toEqual([1, 2]);
    // Mistral renders the page at 200 dpi; PDF boxes are reported in points.
    expect(result.pages[0]!.blocks[0]!.box).toEqual({ x: 61.2, y: 79.2, width: 306, height: 79.2 });
    expect(units).toEqual({ pages: 2 });
  });

  it('splits the markdown into paragraph blocks without boxes when the model returns no blocks', async () => {
    const { result } = await ocrPng({ providerModelId: 'mistral-ocr-2505' });
    expect(result.pages[0]!.blocks).toEqual([
      { text: 'Hello Switchyard', confidence: null, box: null },
      { text: 'Page 1 of the mock scan.', confidence: null, box: null },
    ]);
  });

  it('speaks the format the official Mistral client parses', async () => {
    const client = new Mistral({ apiKey: MISTRAL_TEST_KEY, serverURL: mock.url });
    const response = await client.ocr.process({
      model: 'mistral-ocr-latest',
      document: { type: 'image_url', imageUrl: `data:image/png;base64,${png.toString('base64')}` },
    });
    expect(response.pages[0]!.markdown).toContain('Hello Switchyard');
    expect(response.pages[0]!.dimensions).toEqual({ dpi: 200, width: 1000, height: 500 });
    expect(response.pages[0]!.blocks?.map((b) => b.type)).toEqual(['title', 'text', 'image']);
    expect(response.usageInfo.pagesProcessed).toBe(1);
  });

  it('maps 429 with Retry-After to a retryable error that says when to retry', async () => {
    mock.failNext({ kind: 'status', status: 429, message: 'Requests rate limit exceeded', headers: { 'retry-after': '4' } });
    await expectUpstreamError(ocrPng(), { kind: 'http', statusCode: 429, isRetryable: true, retryAfterMs: 4000 });
  });

  it.each([500, 503])('maps %i to a retryable error', async (status) => {
    mock.failNext({ kind: 'status', status });
    await expectUpstreamError(ocrPng(), { kind: 'http', statusCode: status, isRetryable: true });
  });

  it('gives up on a hanging upstream after the call timeout', async () => {
    mock.failNext({ kind: 'hang' });
    await expectUpstreamError(ocrPng({ timeoutMs: 200 }), { kind: 'timeout', isRetryable: true });
  });

  it('reports a reset connection as a connect failure', async () => {
    mock.failNext({ kind: 'reset' });
    await expectUpstreamError(ocrPng(), { kind: 'connect', isRetryable: true });
  });

  it('reports malformed JSON as a protocol failure', async () => {
    mock.failNext({ kind: 'malformed' });
    await expectUpstreamError(ocrPng(), { kind: 'protocol', isRetryable: true });
  });

  it('returns an unreadable document (400) and a wrong key (401) as not retryable', async () => {
    const garbage = mediaFile(Buffer.from('not an image'), 'png');
    const error = await expectUpstreamError(mistralOcr.ocr(ocrRequest(garbage), ctx()), { kind: 'http', statusCode: 400, isRetryable: false });
    expect(error.message).toContain('Could not read the document');
    const wrongKey = callContext('mistral', `${mock.url}/v1`, 'wrong', { providerModelId: 'mistral-ocr-latest' });
    await expectUpstreamError(mistralOcr.ocr(ocrRequest(mediaFile(png, 'png')), wrongKey), { kind: 'http', statusCode: 401, isRetryable: false });
  });
});
