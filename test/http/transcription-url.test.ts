// POST /v1/audio/transcriptions with `audio_url` instead of a file: fetched with the same SSRF
// defences as OCR's image_url, then transcribed like an upload.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fundedKey, startTestApp, type TestApp } from '../helpers/app';
import { toneWav } from '../helpers/audio';
import { balanceOf, expectApiError, expectStillServing, postForm } from '../helpers/job-checks';
import type { MockUpstream } from '../helpers/mock-upstream';
import { OPENAI_TEST_KEY, startOpenAIMock } from '../mocks/openai/index';

let app: TestApp;
let openaiMock: MockUpstream;
let files: http.Server;
let filesUrl = '';
let key: string;

beforeAll(async () => {
  openaiMock = await startOpenAIMock();
  const wav = toneWav(2);
  files = http.createServer((req, res) => {
    if (req.url === '/talk.wav') res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  app = await startTestApp({ env: { OPENAI_API_KEY: OPENAI_TEST_KEY, OPENAI_BASE_URL: `${openaiMock.url}/v1` } });
  key = (await fundedKey(app, '5')).key;
}, 180_000);

afterAll(async () => {
  await app?.close();
  await openaiMock?.close();
  await new Promise<void>((resolve) => files?.close(() => resolve()));
});

function form(fields: Record<string, string | Blob>): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return body;
}

describe('audio_url', () => {
  it('fetches the audio, reads its duration from its headers and transcribes it', async () => {
    const res = await postForm(app, '/v1/audio/transcriptions', form({ model: 'openai/whisper-1', audio_url: `${filesUrl}/talk.wav`, response_format: 'verbose_json' }), key);
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as { text: string; duration: number };
    expect(body.text.length).toBeGreaterThan(0);
    expect(body.duration).toBeCloseTo(2, 0);
    expect(res.headers.get('x-switchyard-provider')).toBe('openai');
    expect(openaiMock.lastRequest?.path).toMatch(/audio\/transcriptions$/);
  });

  it('refuses private, link-local, file: and missing URLs without fetching them, and charges nothing', async () => {
    const before = await balanceOf(app, key);
    const calls = openaiMock.requests.length;
    for (const url of ['http://10.0.0.1/a.wav', 'http://169.254.169.254/latest/meta-data', 'http://[::ffff:10.0.0.1]/a.wav', 'file:///etc/passwd']) {
      await expectApiError(await postForm(app, '/v1/audio/transcriptions', form({ audio_url: url }), key), { status: 400, param: 'audio_url' });
    }
    await expectApiError(await postForm(app, '/v1/audio/transcriptions', form({ audio_url: `${filesUrl}/missing.wav` }), key), { status: 400, param: 'audio_url' });
    await expectApiError(
      await postForm(app, '/v1/audio/transcriptions', form({ audio_url: `${filesUrl}/talk.wav`, file: new Blob([toneWav(1)]) }), key),
      { status: 400, param: 'audio_url' },
    );
    expect(openaiMock.requests.length).toBe(calls);
    expect(await balanceOf(app, key)).toEqual(before);
    await expectStillServing(app);
  });
});
