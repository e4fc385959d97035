import { AssemblyAI } from 'assemblyai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assemblyaiProvider } from '../../src/providers/assemblyai';
import { assemblyaiTranscription } from '../../src/providers/assemblyai/transcription';
import type { CallContext } from '../../src/providers/types';
import type { TranscriptionRequest } from '../../src/tasks/transcription';
import { toneWav } from '../helpers/audio';
import type { MockUpstream } from '../helpers/mock-upstream';
import { itMapsUpstreamFailures, upstreamFailure } from '../helpers/upstream-failures';
import { ASSEMBLYAI_TEST_KEY, startAssemblyAIMock } from '../mocks/assemblyai';
import { SCRIPT_SENTENCES, scriptFor } from '../mocks/scripted-transcript';

const SECONDS = 4.4;
let mock: MockUpstream;

beforeAll(async () => {
  mock = await startAssemblyAIMock();
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.clearFaults();
  mock.requests.length = 0;
});

function ctx(overrides: Partial<CallContext> = {}, target: MockUpstream = mock): CallContext {
  return {
    provider: 'assemblyai',
    providerModelId: 'universal-2',
    credentials: { apiKey: ASSEMBLYAI_TEST_KEY, baseUrl: target.url, extra: {} },
    timeoutMs: 5_000,
    signal: new AbortController().signal,
    requestId: 'req_assemblyai',
    ...overrides,
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

const calls = () => mock.requests.map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/, '{id}')}`);

describe('AssemblyAI transcription', () => {
  it('uploads, submits and polls through queued and processing to completed, billing audio_duration', async () => {
    const { result, units } = await assemblyaiTranscription.transcribe(transcription({ wordTimestamps: true }), ctx());
    const script = scriptFor(SECONDS);
    expect(calls()).toEqual(['POST /v2/upload', 'POST /v2/transcript', 'GET /v2/transcript/{id}', 'GET /v2/transcript/{id}', 'GET /v2/transcript/{id}/sentences']);
    expect(result.text).toBe(SCRIPT_SENTENCES.join(' '));
    expect(result.language).toBe('en');
    expect(result.duration).toBe(4);
    // Sentences become segments; milliseconds become seconds.
    expect(result.segments).toEqual(script.sentences.map((s, id) => ({ id, start: s.start, end: s.end, text: s.text })));
    expect(result.words[0]).toEqual({ word: 'Hello', start: script.words[0]!.start, end: script.words[0]!.end });
    expect(units).toEqual({ audio_seconds: 4 });

    const [upload, submit] = mock.requests;
    expect(upload!.headers.authorization).toBe(ASSEMBLYAI_TEST_KEY);
    expect(upload!.headers['content-type']).toBe('application/octet-stream');
    expect(upload!.body.equals(toneWav(SECONDS))).toBe(true);
    expect(submit!.json).toEqual({
      audio_url: expect.stringMatching(/^https:\/\/cdn\.assemblyai\.com\/upload\//),
      speech_models: ['universal-2'],
      punctuate: true,
      format_text: true,
      speaker_labels: false,
      language_detection: true,
    });
  });

  it('diarizes into utterances with speakers and sends the language when given', async () => {
    const { result } = await assemblyaiTranscription.transcribe(transcription({ diarize: true, wordTimestamps: true, language: 'en_us' }), ctx());
    expect(calls()).not.toContain('GET /v2/transcript/{id}/sentences');
    expect(result.segments.map((s) => s.speaker)).toEqual(['A', 'B', 'A']);
    expect(result.words[5]).toMatchObject({ word: 'This', speaker: 'B' });
    expect(result.language).toBe('en');
    expect(mock.requests[1]!.json).toMatchObject({ language_code: 'en_us', speaker_labels: true });
    expect(mock.requests[1]!.json).not.toHaveProperty('language_detection');
  });

  it('turns a transcript that ends in error into a non-retryable error with AssemblyAI’s reason', async () => {
    const garbage = transcription({ file: { bytes: Buffer.from('plain text, not audio'), mime: 'audio/wav', format: 'wav', filename: 'x.wav' } });
    const error = await upstreamFailure(assemblyaiTranscription.transcribe(garbage, ctx()));
    expect(error).toMatchObject({ kind: 'http', statusCode: 422, isRetryable: false });
    expect(error.message).toContain('Transcoding failed. File does not appear to contain audio.');
  });

  it('gives up polling with a timeout once ctx.timeoutMs has passed', async () => {
    const slow = await startAssemblyAIMock({ pollsUntilDone: 1_000 });
    try {
      const started = Date.now();
      const error = await upstreamFailure(assemblyaiTranscription.transcribe(transcription(), ctx({ timeoutMs: 900 }, slow)));
      expect(error).toMatchObject({ kind: 'timeout', isRetryable: true });
      expect(error.message).toContain('still processing');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await slow.close();
    }
  });

  it('stops polling when the caller aborts', async () => {
    const slow = await startAssemblyAIMock({ pollsUntilDone: 1_000 });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 400);
      const error = await upstreamFailure(assemblyaiTranscription.transcribe(transcription(), ctx({ signal: controller.signal }, slow)));
      expect(error).toMatchObject({ kind: 'aborted' });
    } finally {
      await slow.close();
    }
  });

  it('reports a 503 while polling as retryable', async () => {
    const job = assemblyaiTranscription.transcribe(transcription(), ctx());
    // Upload and submit succeed; the first poll (250 ms later) meets the outage.
    while (mock.requests.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    mock.failNext({ kind: 'status', status: 503, message: 'Service temporarily unavailable' });
    expect(await upstreamFailure(job)).toMatchObject({ statusCode: 503, isRetryable: true });
    expect(calls()).toEqual(['POST /v2/upload', 'POST /v2/transcript', 'GET /v2/transcript/{id}']);
  });

  it('answers a wrong key with 401 and AssemblyAI’s message, not retryable', async () => {
    const error = await upstreamFailure(assemblyaiTranscription.transcribe(transcription(), ctx({ credentials: { apiKey: 'wrong', baseUrl: mock.url, extra: {} } })));
    expect(error).toMatchObject({ statusCode: 401, isRetryable: false });
    expect(error.message).toContain('Invalid authentication');
  });

  it('is registered as the assemblyai provider with its public base URL', () => {
    expect(assemblyaiProvider).toMatchObject({ id: 'assemblyai', defaultBaseUrl: 'https://api.assemblyai.com', transcription: assemblyaiTranscription });
  });

  describe('failure modes', () => {
    itMapsUpstreamFailures({ mock: () => mock, run: (timeoutMs) => assemblyaiTranscription.transcribe(transcription(), ctx({ timeoutMs })) });
  });
});

describe('the official assemblyai SDK against the mock', () => {
  const client = () => new AssemblyAI({ apiKey: ASSEMBLYAI_TEST_KEY, baseUrl: mock.url });

  it('transcribes with transcripts.transcribe (upload, submit, poll)', async () => {
    const transcript = await client().transcripts.transcribe({ audio: toneWav(SECONDS), speaker_labels: true, speech_models: ['universal-2'] }, { pollingInterval: 20 });
    expect(transcript.status).toBe('completed');
    expect(transcript.text).toBe(SCRIPT_SENTENCES.join(' '));
    expect(transcript.audio_duration).toBe(4);
    expect(transcript.utterances?.map((u) => u.speaker)).toEqual(['A', 'B', 'A']);
    expect(calls().slice(0, 2)).toEqual(['POST /v2/upload', 'POST /v2/transcript']);
    const sentences = await client().transcripts.sentences(transcript.id);
    expect(sentences.sentences).toHaveLength(3);
  });

  it('hands back an error transcript the way the SDK expects', async () => {
    const transcript = await client().transcripts.transcribe({ audio: Buffer.from('not audio') }, { pollingInterval: 20 });
    expect(transcript.status).toBe('error');
    expect(transcript.error).toContain('Transcoding failed');
  });

  it('throws the error message of a refused request', async () => {
    const wrong = new AssemblyAI({ apiKey: 'wrong', baseUrl: mock.url });
    await expect(wrong.transcripts.get('anything')).rejects.toThrow('Invalid authentication');
  });
});
