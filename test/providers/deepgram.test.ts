import { DeepgramClient } from '@deepgram/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deepgramProvider } from '../../src/providers/deepgram';
import { deepgramTranscription } from '../../src/providers/deepgram/transcription';
import type { CallContext } from '../../src/providers/types';
import type { TranscriptionRequest } from '../../src/tasks/transcription';
import { toneWav } from '../helpers/audio';
import type { MockUpstream } from '../helpers/mock-upstream';
import { itMapsUpstreamFailures, upstreamFailure } from '../helpers/upstream-failures';
import { DEEPGRAM_TEST_KEY, startDeepgramMock } from '../mocks/deepgram';
import { SCRIPT_SENTENCES, scriptFor } from '../mocks/scripted-transcript';

const SECONDS = 4.25;
let mock: MockUpstream;

beforeAll(async () => {
  mock = await startDeepgramMock();
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.clearFaults();
  mock.requests.length = 0;
});

function ctx(timeoutMs = 2_000): CallContext {
  return {
    provider: 'deepgram',
    providerModelId: 'nova-3',
    credentials: { apiKey: DEEPGRAM_TEST_KEY, baseUrl: mock.url, extra: {} },
    timeoutMs,
    signal: new AbortController().signal,
    requestId: 'req_deepgram',
  };
}

function transcription(overrides: Partial<TranscriptionRequest> = {}): TranscriptionRequest {
  return {
    file: { bytes: toneWav(SECONDS), mime: 'audio/wav', format: 'wav', filename: 'tone.wav' },
    durationSeconds: SECONDS,
    wordTimestamps: false,
    diarize: false,
    ...overrides,
  };
}

describe('Deepgram transcription', () => {
  it('posts the raw audio to /v1/listen and bills metadata.duration', async () => {
    const { result, units } = await deepgramTranscription.transcribe(transcription(), ctx());
    const script = scriptFor(SECONDS);
    expect(result.text).toBe(SCRIPT_SENTENCES.join(' '));
    expect(result.language).toBe('en');
    expect(result.duration).toBe(SECONDS);
    expect(result.segments).toEqual(script.sentences.map((s, id) => ({ id, start: s.start, end: s.end, text: s.text })));
    expect(result.words).toEqual([]);
    expect(units).toEqual({ audio_seconds: SECONDS });

    const sent = mock.lastRequest!;
    expect(sent.path).toBe('/v1/listen');
    expect(sent.headers.authorization).toBe(`Token ${DEEPGRAM_TEST_KEY}`);
    expect(sent.headers['content-type']).toBe('audio/wav');
    expect(sent.body.equals(toneWav(SECONDS))).toBe(true);
    expect(Object.fromEntries(sent.query)).toEqual({ model: 'nova-3', smart_format: 'true', punctuate: 'true', utterances: 'true', detect_language: 'true' });
  });

  it('diarizes into lettered speakers and keeps punctuated words when asked', async () => {
    const { result } = await deepgramTranscription.transcribe(transcription({ diarize: true, wordTimestamps: true, language: 'en' }), ctx());
    expect(result.segments.map((s) => s.speaker)).toEqual(['A', 'B', 'A']);
    expect(result.words[4]).toMatchObject({ word: 'mock.', speaker: 'A' });
    expect(result.words.at(-1)).toMatchObject({ word: 'time.', speaker: 'A' });
    const query = mock.lastRequest!.query;
    expect([query.get('diarize'), query.get('language'), query.has('detect_language')]).toEqual(['true', 'en', false]);
  });

  it("passes on Deepgram's 400 for unreadable audio with its err_msg", async () => {
    const garbage = transcription({ file: { bytes: Buffer.from('definitely not audio'), mime: 'audio/wav', format: 'wav', filename: 'x.wav' } });
    const error = await upstreamFailure(deepgramTranscription.transcribe(garbage, ctx()));
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain('failed to process audio');
  });

  it('answers a wrong key with 401, not retryable', async () => {
    const wrongKey = { ...ctx(), credentials: { apiKey: 'nope', baseUrl: mock.url, extra: {} } };
    const error = await upstreamFailure(deepgramTranscription.transcribe(transcription(), wrongKey));
    expect(error).toMatchObject({ statusCode: 401, isRetryable: false });
  });

  it('is registered as the deepgram provider with its public base URL', () => {
    expect(deepgramProvider).toMatchObject({ id: 'deepgram', defaultBaseUrl: 'https://api.deepgram.com', transcription: deepgramTranscription });
  });

  describe('failure modes', () => {
    itMapsUpstreamFailures({ mock: () => mock, run: (timeoutMs) => deepgramTranscription.transcribe(transcription(), ctx(timeoutMs)) });
  });
});

describe('the official @deepgram/sdk against the mock', () => {
  const client = () => new DeepgramClient({ apiKey: DEEPGRAM_TEST_KEY, baseUrl: mock.url, maxRetries: 0 });

  it('transcribes a file with listen.v1.media.transcribeFile', async () => {
    const response = await client().listen.v1.media.transcribeFile(toneWav(SECONDS), { model: 'nova-3', smart_format: true, utterances: true, diarize: true });
    if (!('metadata' in response)) throw new Error('expected a transcription, not an accepted callback');
    expect(response.metadata.duration).toBe(SECONDS);
    expect(response.results.channels[0]?.alternatives?.[0]?.transcript).toBe(SCRIPT_SENTENCES.join(' '));
    expect(response.results.utterances?.map((u) => u.speaker)).toEqual([0, 1, 0]);
    expect(mock.lastRequest!.headers.authorization).toBe(`Token ${DEEPGRAM_TEST_KEY}`);
  });

  it("raises the SDK's BadRequestError for an unknown model", async () => {
    const attempt = client().listen.v1.media.transcribeFile(toneWav(1), { model: 'nova-99' as 'nova-3' });
    await expect(attempt).rejects.toMatchObject({ statusCode: 400, body: { err_msg: 'No such model/language/tier combination found.' } });
  });
});
