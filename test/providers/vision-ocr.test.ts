import OpenAI from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UnsupportedMediaType } from '../../src/errors';
import { deepinfraOcr } from '../../src/providers/deepinfra/ocr';
import { fireworksOcr } from '../../src/providers/fireworks/ocr';
import { cleanTranscript } from '../../src/providers/shared/vision-ocr';
import { togetherOcr } from '../../src/providers/together/ocr';
import type { MockUpstream } from '../helpers/mock-upstream';
import { callContext, expectUpstreamError, mediaFile, ocrRequest, renderTextPdf, renderTextPng, renderTextTiff } from '../helpers/ocr-fixtures';
import { startVisionOcrMock, VISION_OCR_MOCK_TEXT, VISION_OCR_TEST_KEY } from '../mocks/vision-ocr';

let mock: MockUpstream;
let png: Buffer;

beforeAll(async () => {
  mock = await startVisionOcrMock();
  png = await renderTextPng(['Hello Switchyard'], { width: 560, height: 280 });
});
afterAll(() => mock.close());
beforeEach(() => mock.clearFaults());

const deepinfra = (model = 'deepseek-ai/DeepSeek-OCR', extra = {}) =>
  callContext('deepinfra', `${mock.url}/v1/openai`, VISION_OCR_TEST_KEY, { providerModelId: model, ...extra });
const ocrPng = (extra = {}) => deepinfraOcr.ocr(ocrRequest(mediaFile(png, 'png')), deepinfra('deepseek-ai/DeepSeek-OCR', extra));
const sentImage = (i = -1) => Buffer.from(mock.requests.at(i)!.json.messages[0].content[1].image_url.url.split(',')[1], 'base64');

describe('vision OCR over an OpenAI-compatible chat endpoint', () => {
  it('sends the page as an image_url data URL with the model’s own instruction and bills the chat tokens', async () => {
    const { result, units } = await ocrPng();

    expect(result.text).toBe(VISION_OCR_MOCK_TEXT);
    expect(result.pages).toEqual([
      {
        index: 0,
        text: VISION_OCR_MOCK_TEXT,
        blocks: [
          { text: 'Hello Switchyard', confidence: null, box: null },
          { text: 'Read by a vision model.', confidence: null, box: null },
        ],
      },
    ]);
    // 560 × 280 px = 200 patches of 28 × 28, plus the 3-token prompt.
    expect(units).toEqual({ input_tokens: 203, output_tokens: 11, pages: 1 });

    const sent = mock.lastRequest!;
    expect(sent.path).toBe('/v1/openai/chat/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${VISION_OCR_TEST_KEY}`);
    expect(sent.json).toMatchObject({ model: 'deepseek-ai/DeepSeek-OCR', temperature: 0 });
    expect(sent.json.messages[0].content[0]).toEqual({ type: 'text', text: 'Free OCR.' });
    expect(sent.json.messages[0].content[1].image_url.url.startsWith('data:image/png;base64,')).toBe(true);
    expect(sentImage().equals(png)).toBe(true);
  });

  it('cuts olmOCR’s front matter off the transcript', async () => {
    const { result } = await deepinfraOcr.ocr(ocrRequest(mediaFile(png, 'png')), deepinfra('allenai/olmOCR-2-7B-1025'));
    expect(mock.lastRequest!.json.messages[0].content[0].text).toContain('front matter');
    expect(result.text).toBe(VISION_OCR_MOCK_TEXT);
  });

  it('asks other vision models for a plain transcription', async () => {
    await deepinfraOcr.ocr(ocrRequest(mediaFile(png, 'png')), deepinfra('Qwen/Qwen2.5-VL-32B-Instruct'));
    expect(mock.lastRequest!.json.messages[0].content[0].text).toMatch(/^Transcribe all the text/);
  });

  it('reads each page of a TIFF as a PNG and adds up the tokens', async () => {
    const tiff = await renderTextTiff([['first'], ['second'], ['third']], { width: 560, height: 280 });
    const before = mock.requests.length;
    const { result, units } = await deepinfraOcr.ocr(ocrRequest(mediaFile(tiff, 'tiff'), { pageCount: 3, pages: [0, 2] }), deepinfra());

    expect(mock.requests.length - before).toBe(2);
    expect(mock.lastRequest!.json.messages[0].content[1].image_url.url.startsWith('data:image/png;base64,')).toBe(true);
    expect(result.pages.map((p) => p.index)).toEqual([0, 2]);
    expect(units).toEqual({ input_tokens: 406, output_tokens: 22, pages: 2 });
  });

  it('scales a large scan down so its longest side is 1600 px', async () => {
    const large = await renderTextPng(['Hello Switchyard'], { width: 3200, height: 1200, fontSize: 120 });
    await deepinfraOcr.ocr(ocrRequest(mediaFile(large, 'png')), deepinfra());
    const meta = await sharp(sentImage()).metadata();
    expect([meta.width, meta.height]).toEqual([1600, 600]);
  });

  it('sends a photo with an EXIF orientation upright', async () => {
    const sideways = await sharp(png).rotate(-90).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    await deepinfraOcr.ocr(ocrRequest(mediaFile(sideways, 'jpeg')), deepinfra());
    const meta = await sharp(sentImage()).metadata();
    expect([meta.format, meta.width, meta.height, meta.orientation ?? 1]).toEqual(['png', 560, 280, 1]);
  });

  it('refuses a PDF, which a chat vision endpoint cannot take', async () => {
    const pdf = await renderTextPdf(['one']);
    await expect(deepinfraOcr.ocr(ocrRequest(mediaFile(pdf, 'pdf')), deepinfra())).rejects.toBeInstanceOf(UnsupportedMediaType);
  });

  it('serves Together and Fireworks through the same adapter on their own base paths', async () => {
    await togetherOcr.ocr(ocrRequest(mediaFile(png, 'png')), callContext('together', `${mock.url}/v1`, VISION_OCR_TEST_KEY, { providerModelId: 'allenai/olmOCR-2-7B-1025' }));
    expect(mock.lastRequest!.path).toBe('/v1/chat/completions');
    await fireworksOcr.ocr(ocrRequest(mediaFile(png, 'png')), callContext('fireworks', `${mock.url}/inference/v1`, VISION_OCR_TEST_KEY, { providerModelId: 'accounts/fireworks/models/qwen2p5-vl-32b-instruct' }));
    expect(mock.lastRequest!.path).toBe('/inference/v1/chat/completions');
  });

  it('answers in the chat completion format the official OpenAI client parses', async () => {
    const client = new OpenAI({ apiKey: VISION_OCR_TEST_KEY, baseURL: `${mock.url}/v1`, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'deepseek-ai/DeepSeek-OCR',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Free OCR.' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } }] }],
    });
    expect(completion.choices[0]!.message.content).toBe(VISION_OCR_MOCK_TEXT);
    expect(completion.usage?.prompt_tokens).toBe(203);
  });

  it('strips a code fence and grounding tags a model may wrap the text in', () => {
    expect(cleanTranscript('```markdown\nHello\n```')).toBe('Hello');
    expect(cleanTranscript('<|ref|>Title<|/ref|><|det|>[[10, 20, 300, 40]]<|/det|>\nTitle')).toBe('Title\nTitle');
  });

  it('maps 429 with Retry-After to a retryable error that says when to retry', async () => {
    mock.failNext({ kind: 'status', status: 429, message: 'Rate limited', headers: { 'retry-after': '5' } });
    await expectUpstreamError(ocrPng(), { kind: 'http', statusCode: 429, isRetryable: true, retryAfterMs: 5000 });
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

  it('returns 400 and a wrong key (401) as not retryable', async () => {
    mock.failNext({ kind: 'status', status: 400, message: 'Bad request' });
    await expectUpstreamError(ocrPng(), { kind: 'http', statusCode: 400, isRetryable: false });
    const wrongKey = callContext('deepinfra', `${mock.url}/v1/openai`, 'wrong', { providerModelId: 'deepseek-ai/DeepSeek-OCR' });
    await expectUpstreamError(deepinfraOcr.ocr(ocrRequest(mediaFile(png, 'png')), wrongKey), { kind: 'http', statusCode: 401, isRetryable: false });
  });
});
