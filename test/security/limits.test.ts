// Every size limit, enforced at the endpoint with a clean 4xx and nothing charged: the JSON body,
// uploads, pixels, pages, audio length, and the number of jobs one key may have in flight
// (MAX_CONCURRENT_JOBS_PER_KEY, set to 2 here).
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fundedKey, postJson, startTestApp, type TestApp } from '../helpers/app';
import { expectApiError, postForm, postLargeUpload } from '../helpers/job-checks';
import { MockUpstream, type Route } from '../helpers/mock-upstream';
import { pdfWithPages, webmAudio } from '../http/media/samples';
import { chatCompletionsRoute } from '../mocks/openai/chat';
import { HOST_DIALECTS, hostBaseUrl, hostTestKey } from '../mocks/openai-compatible';
import { expectBooksBalanced } from '../faults/books';
import { sendChat } from '../faults/client';

let app: TestApp;
let groq: MockUpstream;
let account: { key: string; keyId: string; accountId: string };
/** While set, the mock holds chat requests until it resolves. */
let gate: Promise<void> | null = null;

beforeAll(async () => {
  const chat = chatCompletionsRoute(HOST_DIALECTS.groq);
  const gated: Route = { ...chat, handle: async (req, res, ctx) => (gate && (await gate), chat.handle(req, res, ctx)) };
  groq = await MockUpstream.start({ routes: [gated], errorBody: HOST_DIALECTS.groq.error });
  app = await startTestApp({
    env: { GROQ_API_KEY: hostTestKey('groq'), GROQ_BASE_URL: hostBaseUrl(groq, 'groq'), JSON_BODY_LIMIT: '64kb', MAX_CONCURRENT_JOBS_PER_KEY: '2' },
  });
  account = await fundedKey(app, '5');
}, 180_000);

afterAll(async () => {
  await app?.close();
  await groq?.close();
});

function fileForm(bytes: Buffer, filename: string, fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(bytes)]), filename);
  return form;
}

/** Nothing was charged or held for anything this file refused. */
async function nothingCharged(): Promise<void> {
  const books = await expectBooksBalanced(app.database.db, account.accountId, []);
  expect(books.balanceMicros).toBe(5_000_000);
}

describe('size limits', () => {
  it('refuses a JSON body over JSON_BODY_LIMIT with 413', async () => {
    const body = { model: 'auto', messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] };
    await expectApiError(await postJson(app, '/v1/chat/completions', body, account.key), { status: 413, code: 'payload_too_large' });
    await nothingCharged();
  });

  it('refuses uploads over the OCR (50 MB) and transcription (25 MB) caps with 413', async () => {
    await expectApiError(await postLargeUpload(app, '/v1/ocr', 51 * 1024 * 1024, account.key), { status: 413, code: 'payload_too_large', param: 'file' });
    await expectApiError(await postLargeUpload(app, '/v1/audio/transcriptions', 26 * 1024 * 1024, account.key, 'big.mp3'), { status: 413, code: 'payload_too_large', param: 'file' });
    await nothingCharged();
  }, 60_000);

  it('refuses an image over 40 megapixels, by its header', async () => {
    const huge = await sharp({ create: { width: 7_000, height: 6_000, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png({ compressionLevel: 1 }).toBuffer();
    const error = await expectApiError(await postForm(app, '/v1/ocr', fileForm(huge, 'huge.png'), account.key), { status: 413, param: 'file' });
    expect(error.message).toMatch(/megapixels/);
    await nothingCharged();
  }, 60_000);

  it('refuses a PDF over 1,000 pages', async () => {
    const error = await expectApiError(await postForm(app, '/v1/ocr', fileForm(await pdfWithPages(1_001), 'long.pdf'), account.key), { status: 413, param: 'file' });
    expect(error.message).toMatch(/pages/);
    await nothingCharged();
  }, 60_000);

  it("refuses audio longer than any offering transcribes (the catalog's longest, 10 hours), by its header", async () => {
    const res = await postForm(app, '/v1/audio/transcriptions', fileForm(webmAudio(11 * 3600), 'meeting.webm', { model: 'auto' }), account.key);
    const error = await expectApiError(res, { status: 413, param: 'file' });
    expect(error.message).toMatch(/minutes/);
    await nothingCharged();
  });
});

describe('concurrent jobs', () => {
  it('refuses a key its third job in flight with 429 and Retry-After, serves other keys, and frees the slots as jobs finish', async () => {
    let open!: () => void;
    gate = new Promise<void>((resolve) => (open = resolve));
    const before = groq.requests.length;
    const body = { model: 'auto', messages: [{ role: 'user', content: 'hold on' }] };
    const running = [sendChat(app.url, account.key, body), sendChat(app.url, account.key, body)];
    const deadline = Date.now() + 10_000;
    while (groq.requests.length < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(app.parts.concurrency.inFlight(account.keyId)).toBe(2);

    const third = await sendChat(app.url, account.key, body);
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('rate_limited');
    expect(third.body.error.message).toMatch(/jobs running/);
    expect(third.headers['retry-after']).toBe('1');
    expect(groq.requests.length).toBe(before + 2);

    // Another key is not held back by this one.
    const other = await fundedKey(app, '1');
    const otherJob = sendChat(app.url, other.key, body);
    gate = null;
    open();
    const done = await Promise.all([...running, otherJob]);
    for (const job of done) expect(job.status).toBe(200);
    expect(app.parts.concurrency.inFlight(account.keyId)).toBe(0);
    expect((await sendChat(app.url, account.key, body)).status).toBe(200);
    expect(app.parts.concurrency.inFlight()).toBe(0);
  });
});
