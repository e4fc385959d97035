import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { azureDocumentIntelligenceProvider } from '../../src/providers/azure-document-intelligence';
import { azureDocumentIntelligenceOcr } from '../../src/providers/azure-document-intelligence/ocr';
import type { MockUpstream } from '../helpers/mock-upstream';
import { callContext, expectUpstreamError, mediaFile, ocrRequest, renderTextPdf, renderTextPng } from '../helpers/ocr-fixtures';
import { AZURE_DI_TEST_KEY, defaultAzureDiBehaviour, startAzureDocumentIntelligenceMock, type AzureDiBehaviour } from '../mocks/azure-document-intelligence';

let mock: MockUpstream;
let png: Buffer;
const behaviour: AzureDiBehaviour = defaultAzureDiBehaviour();

beforeAll(async () => {
  mock = await startAzureDocumentIntelligenceMock(behaviour);
  png = await renderTextPng(['Hello Switchyard'], { width: 1000, height: 500 });
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.clearFaults();
  Object.assign(behaviour, defaultAzureDiBehaviour(), { onAccepted: undefined });
});

const ctx = (extra = {}) => callContext('azure-document-intelligence', mock.url, AZURE_DI_TEST_KEY, { providerModelId: 'prebuilt-read', ...extra });
const ocrPng = (extra = {}) => azureDocumentIntelligenceOcr.ocr(ocrRequest(mediaFile(png, 'png')), ctx(extra));

describe('azureDocumentIntelligenceOcr', () => {
  it('has no default endpoint, so the registry asks for AZURE_DOCUMENT_INTELLIGENCE_BASE_URL', () => {
    expect(azureDocumentIntelligenceProvider).toMatchObject({ id: 'azure-document-intelligence', defaultBaseUrl: '' });
    expect(azureDocumentIntelligenceProvider.ocr).toBe(azureDocumentIntelligenceOcr);
  });

  it('submits the image, polls notStarted → running → succeeded and maps paragraphs to blocks in pixels', async () => {
    const before = mock.requests.length;
    const { result, units } = await azureDocumentIntelligenceOcr.ocr(ocrRequest(mediaFile(png, 'png'), { languages: ['en'] }), ctx());

    expect(result.text).toBe('Hello Switchyard\nPage 1 of the mock scan');
    expect(result.pages).toEqual([
      {
        index: 0,
        text: 'Hello Switchyard\nPage 1 of the mock scan',
        blocks: [
          { text: 'Hello Switchyard', confidence: 0.995, box: { x: 100, y: 50, width: 320, height: 50 } },
          { text: 'Page 1 of the mock scan', confidence: 0.9, box: { x: 100, y: 150, width: 460, height: 50 } },
        ],
      },
    ]);
    expect(units).toEqual({ pages: 1 });

    const calls = mock.requests.slice(before);
    expect(calls.map((c) => c.method)).toEqual(['POST', 'GET', 'GET', 'GET']);
    const submit = calls[0]!;
    expect(submit.path).toBe('/documentintelligence/documentModels/prebuilt-read:analyze');
    expect(Object.fromEntries(submit.query)).toEqual({ 'api-version': '2024-11-30', stringIndexType: 'utf16CodeUnit', locale: 'en' });
    expect(submit.headers['ocp-apim-subscription-key']).toBe(AZURE_DI_TEST_KEY);
    expect(Buffer.from(submit.json.base64Source, 'base64').equals(png)).toBe(true);
    expect(calls[1]!.headers['ocp-apim-subscription-key']).toBe(AZURE_DI_TEST_KEY);
  });

  it('reports PDF boxes in points (inches × 72) and asks only for the wanted pages', async () => {
    const pdf = await renderTextPdf(['one', 'two', 'three']);
    const before = mock.requests.length;
    const { result, units } = await azureDocumentIntelligenceOcr.ocr(ocrRequest(mediaFile(pdf, 'pdf'), { pageCount: 3, pages: [1, 2] }), ctx());

    expect(mock.requests[before]!.query.get('pages')).toBe('2,3');
    expect(result.pages.map((p) => p.index)).toEqual([1, 2]);
    expect(result.pages[0]!.text).toBe('Hello Switchyard\nPage 2 of the mock scan');
    expect(result.pages[0]!.blocks[0]!.box).toEqual({ x: 61.2, y: 79.2, width: 195.84, height: 79.2 });
    expect(result.text).toContain('Page 3 of the mock scan');
    expect(units).toEqual({ pages: 2 });
  });

  it('waits as long as Retry-After says between polls', async () => {
    Object.assign(behaviour, { retryAfter: '1', pending: ['running'] });
    const started = Date.now();
    await ocrPng();
    // 202 says 1 s, the running poll says 1 s again.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  });

  it('turns a failed analysis of a broken document into a client error', async () => {
    const broken = Buffer.from('not a document at all');
    const error = await expectUpstreamError(azureDocumentIntelligenceOcr.ocr(ocrRequest(mediaFile(broken, 'png')), ctx()), {
      kind: 'http',
      statusCode: 400,
      isRetryable: false,
    });
    expect(error.message).toContain('InvalidContent');
  });

  it('turns a failed analysis on Azure’s side into a retryable error', async () => {
    behaviour.failWith = { code: 'InternalServerError', message: 'An unexpected error occurred.' };
    await expectUpstreamError(ocrPng(), { kind: 'http', statusCode: 500, isRetryable: true });
  });

  it('gives up with a timeout when the analysis does not finish within the call timeout', async () => {
    behaviour.pending = Array.from({ length: 1_000 }, () => 'running' as const);
    const started = Date.now();
    await expectUpstreamError(ocrPng({ timeoutMs: 600 }), { kind: 'timeout', isRetryable: true });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('stops polling when the job is aborted', async () => {
    behaviour.pending = Array.from({ length: 1_000 }, () => 'running' as const);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await expectUpstreamError(ocrPng({ signal: controller.signal }), { kind: 'aborted', isRetryable: false });
  });

  it('maps 429 with Retry-After to a retryable error that says when to retry', async () => {
    mock.failNext({ kind: 'status', status: 429, message: 'Rate limit is exceeded. Try again in 3 seconds.', headers: { 'retry-after': '3' } });
    await expectUpstreamError(ocrPng(), { kind: 'http', statusCode: 429, isRetryable: true, retryAfterMs: 3000 });
  });

  it.each([500, 503])('maps %i on submit to a retryable error', async (status) => {
    mock.failNext({ kind: 'status', status });
    await expectUpstreamError(ocrPng(), { kind: 'http', statusCode: status, isRetryable: true });
  });

  it('maps 503 while polling to a retryable error', async () => {
    behaviour.onAccepted = () => mock.failNext({ kind: 'status', status: 503 });
    await expectUpstreamError(ocrPng(), { kind: 'http', statusCode: 503, isRetryable: true });
  });

  it('gives up on a hanging submit after the call timeout', async () => {
    mock.failNext({ kind: 'hang' });
    await expectUpstreamError(ocrPng({ timeoutMs: 300 }), { kind: 'timeout', isRetryable: true });
  });

  it('reports a reset connection as a connect failure', async () => {
    mock.failNext({ kind: 'reset' });
    await expectUpstreamError(ocrPng(), { kind: 'connect', isRetryable: true });
  });

  it('reports a malformed poll answer, and an accepted document without Operation-Location, as protocol failures', async () => {
    behaviour.onAccepted = () => mock.failNext({ kind: 'malformed' });
    await expectUpstreamError(ocrPng(), { kind: 'protocol', isRetryable: true });
    behaviour.onAccepted = undefined;
    mock.failNext({ kind: 'malformed' });
    await expectUpstreamError(ocrPng(), { kind: 'protocol', isRetryable: true });
  });

  it('returns 400 and a wrong key (401) as not retryable', async () => {
    mock.failNext({ kind: 'status', status: 400, message: 'Invalid request.' });
    await expectUpstreamError(ocrPng(), { kind: 'http', statusCode: 400, isRetryable: false });
    const wrongKey = callContext('azure-document-intelligence', mock.url, 'wrong', { providerModelId: 'prebuilt-read' });
    await expectUpstreamError(azureDocumentIntelligenceOcr.ocr(ocrRequest(mediaFile(png, 'png')), wrongKey), { kind: 'http', statusCode: 401, isRetryable: false });
  });
});
