import { ElevenLabsClient, ElevenLabsError } from '@elevenlabs/elevenlabs-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequest } from '../../src/errors';
import { elevenlabsProvider } from '../../src/providers/elevenlabs';
import { elevenlabsSpeech } from '../../src/providers/elevenlabs/speech';
import type { CallContext } from '../../src/providers/types';
import { SpeechRequest } from '../../src/tasks/speech';
import { audioDuration } from '../helpers/audio';
import type { MockUpstream } from '../helpers/mock-upstream';
import { itMapsUpstreamFailures, upstreamFailure } from '../helpers/upstream-failures';
import { ELEVENLABS_TEST_KEY, startElevenLabsMock } from '../mocks/elevenlabs';

const RACHEL = '21m00Tcm4TlvDq8ikWAM';
const INPUT = 'Good evening, Switchyard! ✨';
let mock: MockUpstream;

beforeAll(async () => {
  mock = await startElevenLabsMock();
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.clearFaults();
  mock.requests.length = 0;
});

function ctx(overrides: Partial<CallContext> = {}, target: MockUpstream = mock): CallContext {
  return {
    provider: 'elevenlabs',
    providerModelId: 'eleven_multilingual_v2',
    credentials: { apiKey: ELEVENLABS_TEST_KEY, baseUrl: target.url, extra: {} },
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    requestId: 'req_elevenlabs',
    ...overrides,
  };
}

const speech = (extra: Record<string, unknown> = {}) => SpeechRequest.parse({ input: INPUT, voice: RACHEL, ...extra });

describe('ElevenLabs speech', () => {
  it('posts to /v1/text-to-speech/{voice} and bills the character-cost header', async () => {
    const { result, units } = await elevenlabsSpeech.speak(speech(), ctx());
    expect(result.contentType).toBe('audio/mpeg');
    expect(await audioDuration(result.audio, 'audio/mpeg')).toBeGreaterThan(0);
    expect(units).toEqual({ characters: 27 });
    const sent = mock.lastRequest!;
    expect(sent.path).toBe(`/v1/text-to-speech/${RACHEL}`);
    expect(sent.query.get('output_format')).toBe('mp3_44100_128');
    expect(sent.headers['xi-api-key']).toBe(ELEVENLABS_TEST_KEY);
    expect(sent.json).toEqual({ text: INPUT, model_id: 'eleven_multilingual_v2' });
  });

  it('bills the half credits a Flash model reports, not the characters', async () => {
    const { units } = await elevenlabsSpeech.speak(speech(), ctx({ providerModelId: 'eleven_flash_v2_5' }));
    expect(units).toEqual({ characters: 14 });
  });

  it('reads x-character-cost too, and counts code points when no header comes', async () => {
    for (const costHeader of ['x-character-cost', null] as const) {
      const other = await startElevenLabsMock({ costHeader });
      try {
        const { units } = await elevenlabsSpeech.speak(speech(), ctx({ providerModelId: 'eleven_flash_v2_5' }, other));
        // The header says 14 credits; without it, the 27 characters of the input.
        expect(units, String(costHeader)).toEqual({ characters: costHeader ? 14 : 27 });
      } finally {
        await other.close();
      }
    }
  });

  it('maps opus, wav and pcm onto ElevenLabs output formats and returns real audio', async () => {
    const expected = { opus: 'opus_48000_64', wav: 'wav_24000', pcm: 'pcm_24000' } as const;
    for (const [format, outputFormat] of Object.entries(expected) as [keyof typeof expected, string][]) {
      const { result } = await elevenlabsSpeech.speak(speech({ response_format: format }), ctx());
      expect(mock.lastRequest!.query.get('output_format')).toBe(outputFormat);
      if (format === 'pcm') expect(result.audio.length % 2).toBe(0);
      else expect(await audioDuration(result.audio, result.contentType), format).toBeGreaterThan(0);
    }
  });

  it('refuses aac and flac, which ElevenLabs cannot make, without calling it', async () => {
    for (const format of ['aac', 'flac']) {
      await expect(elevenlabsSpeech.speak(speech({ response_format: format }), ctx())).rejects.toBeInstanceOf(InvalidRequest);
    }
    expect(mock.requests).toHaveLength(0);
  });

  it('takes premade voice names, and sends speed in voice_settings within ElevenLabs’ range', async () => {
    await elevenlabsSpeech.speak(speech({ voice: 'Bella', speed: 1.1 }), ctx());
    expect(mock.lastRequest!.path).toBe('/v1/text-to-speech/EXAVITQu4vr4xnSDxMaL');
    expect(mock.lastRequest!.json).toMatchObject({ voice_settings: { speed: 1.1 } });
    await expect(elevenlabsSpeech.speak(speech({ speed: 2 }), ctx())).rejects.toMatchObject({ code: 'invalid_request', param: 'speed' });
  });

  it("passes on an unknown voice as a client error with ElevenLabs' detail.message", async () => {
    const error = await upstreamFailure(elevenlabsSpeech.speak(speech({ voice: 'NoSuchVoice000000000' }), ctx()));
    expect(error).toMatchObject({ statusCode: 404, isRetryable: false });
    expect(error.message).toContain('A voice with voice_id NoSuchVoice000000000 was not found.');
  });

  it('passes on an unknown model as a client error', async () => {
    const error = await upstreamFailure(elevenlabsSpeech.speak(speech(), ctx({ providerModelId: 'eleven_nonexistent_v9' })));
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain('A model with model ID eleven_nonexistent_v9 does not exist.');
  });

  it('is registered as the elevenlabs provider with its public base URL', () => {
    expect(elevenlabsProvider).toMatchObject({ id: 'elevenlabs', defaultBaseUrl: 'https://api.elevenlabs.io', speech: elevenlabsSpeech });
  });

  describe('failure modes', () => {
    itMapsUpstreamFailures({ mock: () => mock, run: (timeoutMs) => elevenlabsSpeech.speak(speech(), ctx({ timeoutMs })) });
  });
});

describe('the official @elevenlabs/elevenlabs-js SDK against the mock', () => {
  const client = () => new ElevenLabsClient({ apiKey: ELEVENLABS_TEST_KEY, baseUrl: mock.url, maxRetries: 0 });

  async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  }

  it('converts text to speech and exposes the character-cost header', async () => {
    const { data, rawResponse } = await client()
      .textToSpeech.convert(RACHEL, { text: INPUT, modelId: 'eleven_flash_v2_5', outputFormat: 'mp3_44100_128' })
      .withRawResponse();
    const audio = await readAll(data);
    expect(await audioDuration(audio, 'audio/mpeg')).toBeGreaterThan(0);
    expect(rawResponse.headers.get('character-cost')).toBe('14');
    expect(mock.lastRequest!.json).toEqual({ text: INPUT, model_id: 'eleven_flash_v2_5' });
  });

  it("raises the SDK's errors with ElevenLabs' bodies", async () => {
    await expect(client().textToSpeech.convert(RACHEL, { text: INPUT, voiceSettings: { speed: 3 } })).rejects.toMatchObject({ statusCode: 422 });
    const unknown = client().textToSpeech.convert('NoSuchVoice000000000', { text: INPUT });
    await expect(unknown).rejects.toBeInstanceOf(ElevenLabsError);
    await expect(unknown).rejects.toMatchObject({ statusCode: 404, body: { detail: { status: 'voice_not_found' } } });
  });
});
