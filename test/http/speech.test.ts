// POST /v1/audio/speech through the real app over HTTP, with the official openai SDK as the client
// and provider mocks (OpenAI, ElevenLabs, Google Cloud) speaking their real wire formats.
import OpenAI from 'openai';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUsd } from '../../src/catalog/price';
import { audioDuration } from '../helpers/audio';
import { fundedKey, startTestApp, type TestApp } from '../helpers/app';
import type { MockUpstream } from '../helpers/mock-upstream';
import { ELEVENLABS_TEST_KEY, startElevenLabsMock } from '../mocks/elevenlabs';
import { GOOGLE_CLOUD_TEST_KEY, startGoogleCloudMock } from '../mocks/google-cloud/index';
import { OPENAI_TEST_KEY, startOpenAIMock } from '../mocks/openai/index';

const INPUT = 'Hello from Switchyard.';

let app: TestApp;
let openaiMock: MockUpstream;
let elevenlabsMock: MockUpstream;
let googleMock: MockUpstream;
let key: string;
let client: OpenAI;

// Every request on a connection of its own: on a busy machine a pooled connection left idle can be
// closed by the server's keep-alive timer just as the next request goes out on it (a race of
// HTTP/1.1 keep-alive, not of these endpoints), which the SDK, with retries off, reports as a reset.
const dispatcher = new Agent({ pipelining: 0 });
const fetchOptions = { dispatcher } as unknown as OpenAI.RequestOptions['fetchOptions'];
const send = (url: string, init: RequestInit) => fetch(url, { ...init, dispatcher } as unknown as RequestInit);

beforeAll(async () => {
  [openaiMock, elevenlabsMock, googleMock] = await Promise.all([startOpenAIMock(), startElevenLabsMock(), startGoogleCloudMock()]);
  app = await startTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_TEST_KEY,
      OPENAI_BASE_URL: `${openaiMock.url}/v1`,
      ELEVENLABS_API_KEY: ELEVENLABS_TEST_KEY,
      ELEVENLABS_BASE_URL: elevenlabsMock.url,
      GOOGLE_CLOUD_API_KEY: GOOGLE_CLOUD_TEST_KEY,
      GOOGLE_CLOUD_BASE_URL: googleMock.url,
    },
  });
  key = (await fundedKey(app, '5')).key;
  client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: key, maxRetries: 0, fetchOptions });
});

afterAll(async () => {
  await app?.close();
  await Promise.all([openaiMock?.close(), elevenlabsMock?.close(), googleMock?.close(), dispatcher.close()]);
});

async function balance(apiKey = key): Promise<{ balance: number; held: number }> {
  const response = await send(`${app.url}/v1/balance`, { headers: { authorization: `Bearer ${apiKey}` } });
  const body = (await response.json()) as { balance_usd: string; held_usd: string };
  return { balance: parseUsd(body.balance_usd), held: parseUsd(body.held_usd) };
}

/** The first bytes each format starts with. */
const SIGNATURES: Record<string, (b: Buffer) => boolean> = {
  mp3: (b) => b.subarray(0, 3).toString('latin1') === 'ID3' || (b[0] === 0xff && (b[1]! & 0xe0) === 0xe0),
  opus: (b) => b.subarray(0, 4).toString('latin1') === 'OggS',
  aac: (b) => b[0] === 0xff && (b[1]! & 0xf6) === 0xf0,
  flac: (b) => b.subarray(0, 4).toString('latin1') === 'fLaC',
  wav: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WAVE',
  pcm: (b) => b.length > 0 && b.length % 2 === 0,
};

const CONTENT_TYPES: Record<string, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/ogg',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

/** Speaks and reads the whole answer, so no connection is left holding an unread body. */
async function speakFully(params: OpenAI.Audio.SpeechCreateParams, sdk = client): Promise<{ headers: Headers; bytes: Buffer }> {
  const response = await sdk.audio.speech.create(params);
  return { headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

describe('POST /v1/audio/speech with the openai SDK', () => {
  it('returns the audio of every response_format with its content type, through OpenAI by its bare model id', async () => {
    for (const format of ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const) {
      const response = await client.audio.speech.create({ model: 'tts-1', input: INPUT, voice: 'alloy', response_format: format });
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(response.headers.get('content-type')).toBe(CONTENT_TYPES[format]);
      expect(SIGNATURES[format]!(bytes)).toBe(true);
      expect(response.headers.get('x-switchyard-provider')).toBe('openai');
      expect(response.headers.get('x-switchyard-model')).toBe('openai/tts-1');
      // tts-1: USD 15 per million characters.
      expect(response.headers.get('x-switchyard-cost-usd')).toBe('0.00033');
    }
  });

  it('speaks through ElevenLabs and Google Cloud with the same kind of answer', async () => {
    const routes = [
      { model: 'elevenlabs/eleven-multilingual-v2', voice: 'Rachel', provider: 'elevenlabs' },
      { model: 'google/cloud-tts-standard', voice: 'en-US-Standard-A', provider: 'google-cloud' },
    ];
    for (const route of routes) {
      const response = await client.audio.speech.create({ model: route.model, input: INPUT, voice: route.voice, response_format: 'mp3' });
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(response.headers.get('content-type')).toBe('audio/mpeg');
      expect(await audioDuration(bytes, 'audio/mpeg')).toBeGreaterThan(0);
      expect(response.headers.get('x-switchyard-provider')).toBe(route.provider);
      expect(response.headers.get('x-switchyard-model')).toBe(route.model);
      expect(parseUsd(response.headers.get('x-switchyard-cost-usd')!)).toBeGreaterThan(0);
    }
  });

  it('picks, for model auto, a model that has the voice', async () => {
    const rachel = await speakFully({ model: 'auto', input: INPUT, voice: 'Rachel' });
    expect(rachel.headers.get('x-switchyard-provider')).toBe('elevenlabs');
    const alloy = await speakFully({ model: 'auto', input: INPUT, voice: 'alloy' });
    expect(alloy.headers.get('x-switchyard-provider')).toBe('openai');
  });

  it('routes by `provider` preferences in the JSON body', async () => {
    const params = { model: 'auto', input: INPUT, voice: 'en-US-Standard-A', provider: { only: ['google-cloud'] } } as OpenAI.Audio.SpeechCreateParams;
    const { headers, bytes } = await speakFully(params);
    expect(headers.get('x-switchyard-provider')).toBe('google-cloud');
    expect(SIGNATURES.mp3!(bytes)).toBe(true);
  });

  it('passes speed and instructions to the provider', async () => {
    await speakFully({ model: 'openai/gpt-4o-mini-tts', input: INPUT, voice: 'coral', speed: 1.5, instructions: 'Cheerfully.' });
    expect(openaiMock.lastRequest!.json).toMatchObject({ model: 'gpt-4o-mini-tts', input: INPUT, voice: 'coral', speed: 1.5, instructions: 'Cheerfully.' });
  });

  it('charges the account exactly the cost in x-switchyard-cost-usd', async () => {
    const { key: ownKey } = await fundedKey(app, '1');
    const own = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: ownKey, maxRetries: 0, fetchOptions });
    for (const [model, voice] of [['tts-1', 'alloy'], ['elevenlabs/eleven-flash-v2-5', 'Bella']] as const) {
      const before = await balance(ownKey);
      const { headers } = await speakFully({ model, input: INPUT, voice }, own);
      const cost = parseUsd(headers.get('x-switchyard-cost-usd')!);
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
  expect(await balance()).toEqual({ balance: before.balance, held: 0 });
}

describe('bad input to /v1/audio/speech', () => {
  const speak = (params: Record<string, unknown>) => () => client.audio.speech.create({ model: 'tts-1', input: INPUT, voice: 'alloy', ...params } as OpenAI.Audio.SpeechCreateParams);

  it('refuses an empty input (400, param input)', async () => {
    await expectRefused(speak({ input: '' }), 400, 'input', 'invalid_request');
  });

  it('answers 422 for a voice no model has, with model auto', async () => {
    await expectRefused(speak({ model: 'auto', voice: 'no-such-voice' }), 422, null, 'no_offering');
  });

  it('refuses an unknown model (404, param model)', async () => {
    await expectRefused(speak({ model: 'nobody/no-such-tts' }), 404, 'model', 'model_not_found');
    await expectRefused(speak({ model: 'whisper-1' }), 404, 'model', 'model_not_found');
  });

  it('refuses fields of the wrong type, naming them in param (400)', async () => {
    await expectRefused(speak({ speed: 'fast' }), 400, 'speed');
    await expectRefused(speak({ speed: 9 }), 400, 'speed');
    await expectRefused(speak({ input: 42 }), 400, 'input');
    await expectRefused(speak({ voice: ['alloy'] }), 400, 'voice');
  });

  it('refuses an invalid response_format (400)', async () => {
    await expectRefused(speak({ response_format: 'ogg' }), 400, 'response_format');
  });

  it('refuses the SSE stream format, which it does not offer (400)', async () => {
    await expectRefused(speak({ stream_format: 'sse' }), 400, 'stream_format');
  });

  it('refuses malformed `provider` preferences (400)', async () => {
    await expectRefused(speak({ provider: '{"only": [openai' }), 400, 'provider');
    await expectRefused(speak({ provider: { sort: 'cheapest' } }), 400, 'provider.sort');
  });

  it('answers 422 when the asked model cannot make the asked format (ElevenLabs makes no AAC)', async () => {
    await expectRefused(speak({ model: 'elevenlabs/eleven-v3', voice: 'Rachel', response_format: 'aac' }), 422, null, 'no_offering');
  });

  it('refuses a speed the serving provider does not take, charging nothing (ElevenLabs: 0.7 to 1.2)', async () => {
    await expectRefused(speak({ model: 'elevenlabs/eleven-v3', voice: 'Rachel', speed: 2 }), 400, 'speed');
  });

  it('refuses malformed JSON and a body that is not a JSON object (400)', async () => {
    const post = (body: string) =>
      send(`${app.url}/v1/audio/speech`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
    for (const body of ['{"model": "tts-1", "input": ', '["tts-1"]', '"hello"']) {
      const before = await balance();
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
      expect(await balance()).toEqual({ balance: before.balance, held: 0 });
    }
  });

  it('refuses a request without a valid key (401)', async () => {
    const anonymous = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: 'sk-not-a-switchyard-key', maxRetries: 0, fetchOptions });
    await expectRefused(() => anonymous.audio.speech.create({ model: 'tts-1', input: INPUT, voice: 'alloy' }), 401, null, 'invalid_api_key');
    const response = await send(`${app.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(401);
    await response.arrayBuffer();
  });

  it('keeps serving after every bad input', async () => {
    const { bytes } = await speakFully({ model: 'tts-1', input: INPUT, voice: 'alloy' });
    expect(SIGNATURES.mp3!(bytes)).toBe(true);
  });
});
