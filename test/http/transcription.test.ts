// POST /v1/audio/transcriptions through the real app over HTTP, with the official openai SDK as the
// client and provider mocks (OpenAI, Deepgram, Groq) speaking their real wire formats.
import http from 'node:http';
import OpenAI, { toFile } from 'openai';
import sharp from 'sharp';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUsd } from '../../src/catalog/price';
import { toneWav } from '../helpers/audio';
import { fundedKey, startTestApp, type TestApp } from '../helpers/app';
import { MockUpstream } from '../helpers/mock-upstream';
import { DEEPGRAM_TEST_KEY, startDeepgramMock } from '../mocks/deepgram';
import { groqTranscriptionRoutes } from '../mocks/groq/transcription';
import { OPENAI_TEST_KEY, startOpenAIMock } from '../mocks/openai/index';
import { HOST_DIALECTS, hostBaseUrl, hostTestKey } from '../mocks/openai-compatible';
import { SCRIPT_SENTENCES } from '../mocks/scripted-transcript';

const TEXT = SCRIPT_SENTENCES.join(' ');
const SECONDS = 3;

let app: TestApp;
let openaiMock: MockUpstream;
let deepgramMock: MockUpstream;
let groqMock: MockUpstream;
let key: string;
let client: OpenAI;

// Every request on a connection of its own: on a busy machine a pooled connection left idle can be
// closed by the server's keep-alive timer just as the next request goes out on it (a race of
// HTTP/1.1 keep-alive, not of these endpoints), which the SDK, with retries off, reports as a reset.
const dispatcher = new Agent({ pipelining: 0 });
const fetchOptions = { dispatcher } as unknown as OpenAI.RequestOptions['fetchOptions'];
const send = (url: string, init: RequestInit) => fetch(url, { ...init, dispatcher } as unknown as RequestInit);

beforeAll(async () => {
  openaiMock = await startOpenAIMock();
  deepgramMock = await startDeepgramMock();
  groqMock = await MockUpstream.start({
    routes: groqTranscriptionRoutes,
    errorBody: HOST_DIALECTS.groq.error,
    authorize: (req) => req.headers.authorization === `Bearer ${hostTestKey('groq')}`,
  });
  app = await startTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_TEST_KEY,
      OPENAI_BASE_URL: `${openaiMock.url}/v1`,
      DEEPGRAM_API_KEY: DEEPGRAM_TEST_KEY,
      DEEPGRAM_BASE_URL: deepgramMock.url,
      GROQ_API_KEY: hostTestKey('groq'),
      GROQ_BASE_URL: hostBaseUrl(groqMock, 'groq'),
    },
  });
  key = (await fundedKey(app, '5')).key;
  client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: key, maxRetries: 0, fetchOptions });
});

afterAll(async () => {
  await app?.close();
  await Promise.all([openaiMock?.close(), deepgramMock?.close(), groqMock?.close(), dispatcher.close()]);
});

const wav = () => new File([new Uint8Array(toneWav(SECONDS))], 'tone.wav', { type: 'audio/wav' });

/** The provider forced by model id: OpenAI's bare "whisper-1", or Deepgram's Nova-3. */
const ROUTES = [
  { provider: 'openai', model: 'whisper-1', catalogModel: 'openai/whisper-1' },
  { provider: 'deepgram', model: 'deepgram/nova-3', catalogModel: 'deepgram/nova-3' },
] as const;

async function balance(apiKey = key): Promise<{ balance: number; held: number }> {
  const response = await send(`${app.url}/v1/balance`, { headers: { authorization: `Bearer ${apiKey}` } });
  const body = (await response.json()) as { balance_usd: string; held_usd: string };
  return { balance: parseUsd(body.balance_usd), held: parseUsd(body.held_usd) };
}

/** The types and keys of a JSON value, with arrays reduced to their first element: "same shape". */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? [shape(value[0])] : [];
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, shape(v)]));
  }
  return typeof value;
}

describe('POST /v1/audio/transcriptions with the openai SDK', () => {
  it('answers json with the text and a usage carrying seconds and cost, the same shape from OpenAI and Deepgram', async () => {
    const bodies = [];
    for (const route of ROUTES) {
      const { data, response } = await client.audio.transcriptions.create({ file: wav(), model: route.model }).withResponse();
      expect(data.text).toBe(TEXT);
      expect(data.usage).toMatchObject({ type: 'duration', seconds: SECONDS, cost_usd: response.headers.get('x-switchyard-cost-usd') });
      expect(response.headers.get('x-switchyard-provider')).toBe(route.provider);
      expect(response.headers.get('x-switchyard-model')).toBe(route.catalogModel);
      bodies.push(data);
    }
    expect(shape(bodies[0])).toEqual(shape(bodies[1]));
  });

  it('answers text as the bare transcript', async () => {
    for (const route of ROUTES) {
      const text = await client.audio.transcriptions.create({ file: wav(), model: route.model, response_format: 'text' });
      expect(text).toBe(`${TEXT}\n`);
    }
  });

  it('answers verbose_json in OpenAI’s shape, with words when asked, identical in shape across providers', async () => {
    const bodies = [];
    for (const route of ROUTES) {
      const data = await client.audio.transcriptions.create({
        file: wav(),
        model: route.model,
        response_format: 'verbose_json',
        timestamp_granularities: ['word', 'segment'],
      });
      expect(data).toMatchObject({ task: 'transcribe', language: 'english', duration: SECONDS, text: TEXT });
      expect(data.segments!.map((s) => s.text)).toEqual(SCRIPT_SENTENCES);
      expect(data.segments![0]).toMatchObject({ id: 0, start: 0 });
      expect(data.words!.length).toBe(TEXT.split(' ').length);
      expect(data.words![1]!.start).toBeGreaterThan(0);
      bodies.push(data);
    }
    expect(shape(bodies[0])).toEqual(shape(bodies[1]));
  });

  it('leaves words out of verbose_json unless they were asked for', async () => {
    const data = await client.audio.transcriptions.create({ file: wav(), model: 'deepgram/nova-3', response_format: 'verbose_json' });
    expect(data.segments).toHaveLength(3);
    expect(data).not.toHaveProperty('words');
  });

  it('answers srt and vtt cues built from the segments, the same from both providers', async () => {
    for (const format of ['srt', 'vtt'] as const) {
      const answers: string[] = [];
      for (const route of ROUTES) {
        answers.push(await client.audio.transcriptions.create({ file: wav(), model: route.model, response_format: format }));
      }
      const [fromOpenAI, fromDeepgram] = answers as [string, string];
      const separator = format === 'srt' ? ',' : '.';
      expect(fromOpenAI.startsWith(format === 'srt' ? '1\n00:00:00,000 --> ' : 'WEBVTT\n\n00:00:00.000 --> ')).toBe(true);
      for (const sentence of SCRIPT_SENTENCES) expect(fromOpenAI).toContain(`\n${sentence}\n`);
      expect(fromOpenAI.match(new RegExp(`\\d\\d:\\d\\d:\\d\\d\\${separator}\\d{3} --> `, 'g'))).toHaveLength(3);
      // Both mocks time the same script over the same audio, so the subtitles agree exactly.
      expect(fromDeepgram).toBe(fromOpenAI);
    }
  });

  it('routes by `provider` preferences given as a JSON string in the form (Groq with model auto)', async () => {
    const { data, response } = await client.audio.transcriptions
      .create({ file: wav(), model: 'auto', response_format: 'verbose_json', provider: JSON.stringify({ only: ['groq'] }) } as OpenAI.Audio.TranscriptionCreateParamsNonStreaming<'verbose_json'>)
      .withResponse();
    expect(response.headers.get('x-switchyard-provider')).toBe('groq');
    expect(data).toMatchObject({ task: 'transcribe', language: 'english', text: TEXT });
    // Groq bills at least 10 seconds a request.
    expect(data.usage).toMatchObject({ type: 'duration', seconds: 10 });
  });

  it('passes language, prompt and temperature to the provider', async () => {
    openaiMock.requests.length = 0;
    await client.audio.transcriptions.create({ file: wav(), model: 'whisper-1', language: 'de', prompt: 'Switchyard', temperature: 0.2 });
    const sent = await new Response(new Uint8Array(openaiMock.lastRequest!.body), { headers: { 'content-type': String(openaiMock.lastRequest!.headers['content-type']) } }).formData();
    expect([sent.get('language'), sent.get('prompt'), sent.get('temperature'), sent.get('model')]).toEqual(['de', 'Switchyard', '0.2', 'whisper-1']);
  });

  it('charges the account exactly the cost in x-switchyard-cost-usd', async () => {
    const { key: ownKey } = await fundedKey(app, '1');
    const own = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: ownKey, maxRetries: 0, fetchOptions });
    for (const route of ROUTES) {
      const before = await balance(ownKey);
      const { response } = await own.audio.transcriptions.create({ file: wav(), model: route.model }).withResponse();
      const cost = parseUsd(response.headers.get('x-switchyard-cost-usd')!);
      expect(cost).toBeGreaterThan(0);
      const after = await balance(ownKey);
      expect(before.balance - after.balance).toBe(cost);
      expect(after.held).toBe(0);
    }
  });
});

/** Each bad input: the status and param in OpenAI's error shape, nothing charged, nothing held. */
async function expectRefused(call: () => Promise<unknown>, status: number, param: string | null, code?: string): Promise<void> {
  const before = await balance();
  const error = await call().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  const apiError = error as InstanceType<typeof OpenAI.APIError>;
  expect(apiError.status).toBe(status);
  expect(apiError.error).toMatchObject({ message: expect.any(String), type: expect.any(String), code: expect.any(String), param });
  if (code) expect(apiError.code).toBe(code);
  const after = await balance();
  expect(after).toEqual({ balance: before.balance, held: 0 });
}

describe('bad input to /v1/audio/transcriptions', () => {
  it('refuses a request without a file (400, param file)', async () => {
    const params = { model: 'whisper-1' } as OpenAI.Audio.TranscriptionCreateParamsNonStreaming;
    await expectRefused(() => client.audio.transcriptions.create(params), 400, 'file');
  });

  it('refuses a JSON body, which cannot carry the audio (415)', async () => {
    const before = await balance();
    const response = await send(`${app.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'whisper-1', temperature: 0.2 }),
    });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unsupported_media_type');
    expect(await balance()).toEqual({ balance: before.balance, held: 0 });
  });

  it('refuses a text file named .wav by its bytes (415)', async () => {
    const file = await toFile(Buffer.from('just some notes, not audio at all\n'.repeat(20)), 'notes.wav', { type: 'audio/wav' });
    await expectRefused(() => client.audio.transcriptions.create({ file, model: 'whisper-1' }), 415, 'file', 'unsupported_media_type');
  });

  it('refuses a PNG named .mp3 by its bytes (415)', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } }).png().toBuffer();
    const file = await toFile(png, 'song.mp3', { type: 'audio/mpeg' });
    await expectRefused(() => client.audio.transcriptions.create({ file, model: 'whisper-1' }), 415, 'file', 'unsupported_media_type');
  });

  it('refuses an unknown model (404, param model)', async () => {
    await expectRefused(() => client.audio.transcriptions.create({ file: wav(), model: 'nobody/no-such-model' }), 404, 'model', 'model_not_found');
    await expectRefused(() => client.audio.transcriptions.create({ file: wav(), model: 'whisper-9' }), 404, 'model', 'model_not_found');
  });

  it('refuses a chat model for transcription (404)', async () => {
    await expectRefused(() => client.audio.transcriptions.create({ file: wav(), model: 'openai/gpt-oss-120b' }), 404, 'model', 'model_not_found');
  });

  it('refuses fields of the wrong type, naming them in param (400)', async () => {
    await expectRefused(() => client.audio.transcriptions.create({ file: wav(), model: 'whisper-1', temperature: 'hot' as unknown as number }), 400, 'temperature');
    await expectRefused(() => client.audio.transcriptions.create({ file: wav(), model: 'whisper-1', temperature: 3 }), 400, 'temperature');
    await expectRefused(() => client.audio.transcriptions.create({ file: wav(), model: 'whisper-1', language: 'english please' }), 400, 'language');
    await expectRefused(
      () => client.audio.transcriptions.create({ file: wav(), model: 'whisper-1', timestamp_granularities: ['sentence' as 'word'], response_format: 'verbose_json' }),
      400,
      'timestamp_granularities[]',
    );
    // A field sent twice arrives as a list, not a string.
    await expectRefused(() => client.audio.transcriptions.create({ file: wav(), model: ['whisper-1', 'deepgram/nova-3'] as unknown as string }), 400, 'model');
  });

  it('refuses an invalid response_format (400)', async () => {
    await expectRefused(() => client.audio.transcriptions.create({ file: wav(), model: 'whisper-1', response_format: 'xml' as 'json' }), 400, 'response_format');
  });

  it('refuses streaming, which it does not offer (400)', async () => {
    await expectRefused(() => client.audio.transcriptions.create({ file: wav(), model: 'whisper-1', stream: true }), 400, 'stream');
  });

  it('refuses malformed `provider` JSON and unknown preference fields (400)', async () => {
    const withProvider = (provider: string) => ({ file: wav(), model: 'whisper-1', provider }) as unknown as OpenAI.Audio.TranscriptionCreateParamsNonStreaming;
    await expectRefused(() => client.audio.transcriptions.create(withProvider('{"only": [openai]')), 400, 'provider');
    await expectRefused(() => client.audio.transcriptions.create(withProvider('{"sort": "cheapest"}')), 400, 'provider.sort');
  });

  it('answers 422 when no offering the preferences allow can serve the job (diarization from Groq)', async () => {
    const params = { file: wav(), model: 'auto', response_format: 'diarized_json', provider: JSON.stringify({ only: ['groq'] }) };
    await expectRefused(() => client.audio.transcriptions.create(params as unknown as OpenAI.Audio.TranscriptionCreateParamsNonStreaming), 422, null, 'no_offering');
  });

  it('refuses a request without a key (401) before reading the upload', async () => {
    const anonymous = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: 'sk-not-a-switchyard-key', maxRetries: 0, fetchOptions });
    await expectRefused(() => anonymous.audio.transcriptions.create({ file: wav(), model: 'whisper-1' }), 401, null, 'invalid_api_key');
    const response = await send(`${app.url}/v1/audio/transcriptions`, { method: 'POST', body: new FormData() });
    expect(response.status).toBe(401);
    await response.arrayBuffer();
  });

  it('answers 413 to a declared 60 MB upload before the client has sent it, and to a chunked one at the limit', async () => {
    const before = await balance();
    const declared = await oversizedUpload(60 * 1024 * 1024, { chunked: false });
    expect(declared.status).toBe(413);
    expect(declared.body.error).toMatchObject({ code: 'payload_too_large', param: 'file', type: 'invalid_request_error' });
    // Refused from its declared length: the answer came while most of the body was still unsent.
    expect(declared.sentBytes).toBeLessThan(30 * 1024 * 1024);
    // Without a declared length, multer keeps at most the limit and discards the rest.
    const chunked = await oversizedUpload(60 * 1024 * 1024, { chunked: true });
    expect(chunked.status).toBe(413);
    expect(chunked.body.error).toMatchObject({ code: 'payload_too_large', param: 'file' });
    expect(await balance()).toEqual({ balance: before.balance, held: 0 });
  });

  it('answers 413 to a 60 MB upload through the SDK too', async () => {
    const file = await toFile(Buffer.alloc(60 * 1024 * 1024), 'huge.wav', { type: 'audio/wav' });
    await expectRefused(() => client.audio.transcriptions.create({ file, model: 'whisper-1' }), 413, 'file', 'payload_too_large');
  });

  it('keeps serving after every bad input', async () => {
    const data = await client.audio.transcriptions.create({ file: wav(), model: 'whisper-1' });
    expect(data.text).toBe(TEXT);
  });
});

/**
 * Streams a multipart upload of `size` file bytes a mebibyte at a time, with or without a declared
 * length; stops sending once the answer arrives and reports how much had been sent by then.
 */
function oversizedUpload(size: number, options: { chunked: boolean }): Promise<{ status: number; body: { error: Record<string, unknown> }; sentBytes: number }> {
  const boundary = 'switchyard-oversized-upload';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const chunk = Buffer.alloc(1024 * 1024);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request(`${app.url}/v1/audio/transcriptions`, {
      method: 'POST',
      agent: false,
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        ...(options.chunked ? {} : { 'content-length': String(head.length + size + tail.length) }),
      },
    });
    req.on('response', (res) => {
      answered = true;
      const sentBytes = sent;
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(parts).toString('utf8')), sentBytes });
      });
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.write(head);
    const pump = () => {
      while (!answered && sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end(tail);
    };
    pump();
  });
}
