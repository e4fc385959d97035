import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequest } from '../../src/errors';
import { googleCloudSpeech } from '../../src/providers/google-cloud/speech';
import type { CallContext } from '../../src/providers/types';
import { SpeechRequest } from '../../src/tasks/speech';
import { audioDuration } from '../helpers/audio';
import { MockUpstream } from '../helpers/mock-upstream';
import { itMapsUpstreamFailures, upstreamFailure } from '../helpers/upstream-failures';
import { GOOGLE_CLOUD_TEST_KEY, googleErrorBody, startGoogleCloudMock } from '../mocks/google-cloud';

const INPUT = 'Grüße aus dem Rangierbahnhof.';
let mock: MockUpstream;

beforeAll(async () => {
  mock = await startGoogleCloudMock();
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.clearFaults();
  mock.requests.length = 0;
});

function ctx(overrides: Partial<CallContext> = {}, baseUrl = mock.url): CallContext {
  return {
    provider: 'google-cloud',
    providerModelId: 'neural2',
    credentials: { apiKey: GOOGLE_CLOUD_TEST_KEY, baseUrl, extra: {} },
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    requestId: 'req_google_tts',
    ...overrides,
  };
}

const speech = (extra: Record<string, unknown> = {}) => SpeechRequest.parse({ input: INPUT, voice: 'de-DE-Neural2-C', ...extra });

describe('Google Cloud Text-to-Speech', () => {
  it('synthesizes mp3 through text:synthesize and bills the input characters', async () => {
    const { result, units } = await googleCloudSpeech.speak(speech(), ctx());
    expect(result.contentType).toBe('audio/mpeg');
    expect(await audioDuration(result.audio, 'audio/mpeg')).toBeGreaterThan(0);
    expect(units).toEqual({ characters: 29 });
    const sent = mock.lastRequest!;
    expect(sent.path).toBe('/v1/text:synthesize');
    expect(sent.headers['x-goog-api-key']).toBe(GOOGLE_CLOUD_TEST_KEY);
    expect(sent.json).toEqual({ input: { text: INPUT }, voice: { languageCode: 'de-DE', name: 'de-DE-Neural2-C' }, audioConfig: { audioEncoding: 'MP3' } });
  });

  it('asks for OGG_OPUS, LINEAR16 (WAV) and 24 kHz PCM and decodes the base64 audio', async () => {
    const expected = { opus: { audioEncoding: 'OGG_OPUS' }, wav: { audioEncoding: 'LINEAR16' }, pcm: { audioEncoding: 'PCM', sampleRateHertz: 24_000 } };
    for (const [format, audioConfig] of Object.entries(expected)) {
      const { result } = await googleCloudSpeech.speak(speech({ response_format: format, speed: 1.5 }), ctx());
      expect(mock.lastRequest!.json.audioConfig).toEqual({ ...audioConfig, speakingRate: 1.5 });
      if (format === 'pcm') expect(result.audio.length).toBe(Math.round((INPUT.length / 15) * 24_000) * 2);
      else expect(await audioDuration(result.audio, result.contentType), format).toBeGreaterThan(0);
    }
  });

  it('derives the language from voice names of every family', async () => {
    for (const [voice, languageCode] of [['en-US-Chirp3-HD-Charon', 'en-US'], ['cmn-CN-Wavenet-A', 'cmn-CN']]) {
      await googleCloudSpeech.speak(speech({ voice }), ctx());
      expect(mock.lastRequest!.json.voice).toEqual({ languageCode, name: voice });
    }
  });

  it('refuses aac, flac and voices that are not Google voice names, without calling Google', async () => {
    for (const extra of [{ response_format: 'aac' }, { response_format: 'flac' }, { voice: 'alloy' }]) {
      await expect(googleCloudSpeech.speak(speech(extra), ctx())).rejects.toBeInstanceOf(InvalidRequest);
    }
    expect(mock.requests).toHaveLength(0);
  });

  it("passes on Google's 400 for input over 5,000 bytes, not retryable", async () => {
    const error = await upstreamFailure(googleCloudSpeech.speak(speech({ input: 'ü'.repeat(2600) }), ctx()));
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain('longer than the limit of 5000 bytes');
  });

  it('fails loudly when audioContent is not base64 audio', async () => {
    const changed = await MockUpstream.start({
      routes: [{ method: 'POST', path: /\/v1\/text:synthesize$/, handle: (_req, res, c) => c.mock.sendJson(res, 200, { audioContent: '{"not":"audio"}' }) }],
      errorBody: googleErrorBody,
    });
    try {
      expect(await upstreamFailure(googleCloudSpeech.speak(speech(), ctx({}, changed.url)))).toMatchObject({ kind: 'protocol' });
    } finally {
      await changed.close();
    }
  });

  describe('failure modes', () => {
    itMapsUpstreamFailures({ mock: () => mock, run: (timeoutMs) => googleCloudSpeech.speak(speech(), ctx({ timeoutMs })) });
  });
});
