import Groq, { toFile } from 'groq-sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { groqTranscription } from '../../src/providers/groq/transcription';
import type { CallContext } from '../../src/providers/types';
import type { TranscriptionRequest } from '../../src/tasks/transcription';
import { toneWav } from '../helpers/audio';
import { MockUpstream } from '../helpers/mock-upstream';
import { itMapsUpstreamFailures, upstreamFailure } from '../helpers/upstream-failures';
import { groqTranscriptionRoutes } from '../mocks/groq/transcription';
import { HOST_DIALECTS, hostBaseUrl, hostTestKey } from '../mocks/openai-compatible';
import { SCRIPT_SENTENCES } from '../mocks/scripted-transcript';

const KEY = hostTestKey('groq');
let mock: MockUpstream;

beforeAll(async () => {
  mock = await MockUpstream.start({
    routes: groqTranscriptionRoutes,
    errorBody: HOST_DIALECTS.groq.error,
    authorize: (req) => req.headers.authorization === `Bearer ${KEY}`,
  });
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.clearFaults();
  mock.requests.length = 0;
});

function ctx(providerModelId = 'whisper-large-v3-turbo', timeoutMs = 2_000): CallContext {
  return {
    provider: 'groq',
    providerModelId,
    credentials: { apiKey: KEY, baseUrl: hostBaseUrl(mock, 'groq'), extra: {} },
    timeoutMs,
    signal: new AbortController().signal,
    requestId: 'req_groq_audio',
  };
}

function transcription(seconds: number, overrides: Partial<TranscriptionRequest> = {}): TranscriptionRequest {
  return {
    file: { bytes: toneWav(seconds), mime: 'audio/wav', format: 'wav', filename: 'tone.wav' },
    durationSeconds: seconds,
    wordTimestamps: false,
    diarize: false,
    ...overrides,
  };
}

describe('Groq transcription', () => {
  it('asks for verbose_json at /openai/v1 and bills the 10-second minimum for short audio', async () => {
    const { result, units } = await groqTranscription.transcribe(transcription(3.5, { wordTimestamps: true }), ctx());
    expect(result.text).toBe(SCRIPT_SENTENCES.join(' '));
    // Groq names the language "English"; results carry the code.
    expect(result.language).toBe('en');
    expect(result.duration).toBe(3.5);
    expect(result.segments).toHaveLength(3);
    expect(result.words.length).toBeGreaterThan(10);
    expect(units).toEqual({ audio_seconds: 10 });
    const sent = mock.lastRequest!;
    expect(sent.path).toBe('/openai/v1/audio/transcriptions');
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('bills the reported duration above the minimum', async () => {
    const { units } = await groqTranscription.transcribe(transcription(12.25), ctx('whisper-large-v3'));
    expect(units).toEqual({ audio_seconds: 12.25 });
  });

  it('passes on an unknown model as a client error with Groq’s message', async () => {
    const error = await upstreamFailure(groqTranscription.transcribe(transcription(2), ctx('whisper-1')));
    expect(error).toMatchObject({ statusCode: 404, isRetryable: false });
    expect(error.message).toContain('does not exist');
  });

  describe('failure modes', () => {
    itMapsUpstreamFailures({ mock: () => mock, run: (timeoutMs) => groqTranscription.transcribe(transcription(2), ctx(undefined, timeoutMs)) });
  });
});

describe('the official groq-sdk against the mock', () => {
  const client = () => new Groq({ apiKey: KEY, baseURL: mock.url, maxRetries: 0 });
  const wav = () => toFile(toneWav(3.5), 'tone.wav', { type: 'audio/wav' });

  it('transcribes as json, text and verbose_json, with Groq’s x_groq id', async () => {
    const json = await client().audio.transcriptions.create({ file: await wav(), model: 'whisper-large-v3-turbo' });
    expect(json.text).toBe(SCRIPT_SENTENCES.join(' '));
    expect((json as unknown as { x_groq: { id: string } }).x_groq.id).toMatch(/^req_/);

    const text = await client().audio.transcriptions.create({ file: await wav(), model: 'whisper-large-v3-turbo', response_format: 'text' });
    expect(String(text).trim()).toBe(SCRIPT_SENTENCES.join(' '));

    const verbose = (await client().audio.transcriptions.create({
      file: await wav(),
      model: 'whisper-large-v3',
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
    })) as unknown as { language: string; duration: number; segments: unknown[]; words: unknown[] };
    expect(verbose).toMatchObject({ language: 'English', duration: 3.5 });
    expect(verbose.segments).toHaveLength(3);
    expect(verbose.words.length).toBeGreaterThan(10);
  });

  it('raises the SDK’s error for srt, which Groq does not make', async () => {
    const attempt = client().audio.transcriptions.create({ file: await wav(), model: 'whisper-large-v3', response_format: 'srt' as 'text' });
    await expect(attempt).rejects.toBeInstanceOf(Groq.BadRequestError);
  });
});
