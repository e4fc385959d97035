import OpenAI, { toFile } from 'openai';
import type { TranscriptionDiarized } from 'openai/resources/audio/transcriptions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openaiSpeech } from '../../src/providers/openai/speech';
import { openaiTranscription } from '../../src/providers/openai/transcription';
import type { CallContext } from '../../src/providers/types';
import { SPEECH_CONTENT_TYPES, SpeechRequest } from '../../src/tasks/speech';
import type { TranscriptionRequest } from '../../src/tasks/transcription';
import { audioDuration, toneWav } from '../helpers/audio';
import { MockUpstream } from '../helpers/mock-upstream';
import { itMapsUpstreamFailures, upstreamFailure } from '../helpers/upstream-failures';
import { OPENAI_TEST_KEY, openaiErrorBody, startOpenAIMock } from '../mocks/openai';
import { spokenSeconds } from '../mocks/openai/speech';
import { expectedTokenUsage } from '../mocks/openai/transcription';
import { SCRIPT_SENTENCES, scriptFor } from '../mocks/scripted-transcript';

const KEY = OPENAI_TEST_KEY;
const SECONDS = 3.5;
let mock: MockUpstream;

beforeAll(async () => {
  mock = await startOpenAIMock();
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.clearFaults();
  mock.requests.length = 0;
});

function ctx(providerModelId: string, timeoutMs = 2_000): CallContext {
  return {
    provider: 'openai',
    providerModelId,
    credentials: { apiKey: KEY, baseUrl: `${mock.url}/v1`, extra: {} },
    timeoutMs,
    signal: new AbortController().signal,
    requestId: 'req_openai_audio',
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

async function sentForm() {
  const req = mock.lastRequest!;
  return new Response(new Uint8Array(req.body), { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
}

describe('OpenAI transcription', () => {
  it('asks whisper-1 for verbose_json and returns segments, words, language and the seconds OpenAI bills', async () => {
    const { result, units } = await openaiTranscription.transcribe(transcription({ wordTimestamps: true }), ctx('whisper-1'));
    const script = scriptFor(SECONDS);
    expect(result.text).toBe(SCRIPT_SENTENCES.join(' '));
    expect(result.language).toBe('en');
    expect(result.duration).toBe(SECONDS);
    expect(result.segments).toEqual(script.sentences.map((s, id) => ({ id, start: s.start, end: s.end, text: s.text })));
    expect(result.words[0]).toEqual({ word: 'Hello', start: 0, end: script.words[0]!.end });
    expect(result.words).toHaveLength(script.words.length);
    // usage.seconds is what OpenAI bills: whole seconds, rounded up.
    expect(units).toEqual({ audio_seconds: 4 });

    const sent = mock.lastRequest!;
    expect(sent.path).toBe('/v1/audio/transcriptions');
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    const form = await sentForm();
    expect(form.get('model')).toBe('whisper-1');
    expect(form.get('response_format')).toBe('verbose_json');
    expect(form.getAll('timestamp_granularities[]')).toEqual(['segment', 'word']);
    const file = form.get('file') as File;
    expect(file.name).toBe('tone.wav');
    expect(Buffer.from(await file.arrayBuffer()).equals(toneWav(SECONDS))).toBe(true);
  });

  it('asks only for segments when words are not wanted, and passes language, prompt and temperature', async () => {
    const { result } = await openaiTranscription.transcribe(transcription({ language: 'de', prompt: 'Switchyard', temperature: 0.2 }), ctx('whisper-1'));
    expect(result.words).toEqual([]);
    expect(result.segments).toHaveLength(3);
    expect(result.language).toBe('de');
    const form = await sentForm();
    expect(form.getAll('timestamp_granularities[]')).toEqual(['segment']);
    expect([form.get('language'), form.get('prompt'), form.get('temperature')]).toEqual(['de', 'Switchyard', '0.2']);
  });

  it('bills gpt-4o-transcribe and gpt-4o-mini-transcribe by the tokens their json usage reports', async () => {
    for (const model of ['gpt-4o-transcribe', 'gpt-4o-mini-transcribe']) {
      const { result, units } = await openaiTranscription.transcribe(transcription({ language: 'en' }), ctx(model));
      expect((await sentForm()).get('response_format')).toBe('json');
      expect(result).toEqual({ text: SCRIPT_SENTENCES.join(' '), language: 'en', duration: null, segments: [], words: [] });
      expect(units).toEqual(expectedTokenUsage(SECONDS));
    }
  });

  it('asks the diarizing model for diarized_json and keeps its speakers', async () => {
    const { result, units } = await openaiTranscription.transcribe(transcription({ diarize: true }), ctx('gpt-4o-transcribe-diarize'));
    const form = await sentForm();
    expect([form.get('response_format'), form.get('chunking_strategy')]).toEqual(['diarized_json', 'auto']);
    expect(result.segments.map((s) => s.speaker)).toEqual(['A', 'B', 'A']);
    expect(result.duration).toBe(SECONDS);
    expect(units).toEqual(expectedTokenUsage(SECONDS));
  });

  it("passes on OpenAI's 400 for unreadable audio as a client error", async () => {
    const garbage = transcription({ file: { bytes: Buffer.from('not audio at all'), mime: 'audio/wav', format: 'wav', filename: 'x.wav' } });
    const error = await upstreamFailure(openaiTranscription.transcribe(garbage, ctx('whisper-1')));
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain('Audio file might be corrupted or unsupported');
  });

  it('fails loudly when verbose_json lacks a field it depends on', async () => {
    const changed = await MockUpstream.start({
      routes: [{ method: 'POST', path: /\/audio\/transcriptions$/, handle: (_req, res, c) => c.mock.sendJson(res, 200, { task: 'transcribe', text: 'hi' }) }],
      errorBody: openaiErrorBody,
    });
    try {
      const error = await upstreamFailure(openaiTranscription.transcribe(transcription(), { ...ctx('whisper-1'), credentials: { apiKey: KEY, baseUrl: changed.url, extra: {} } }));
      expect(error).toMatchObject({ kind: 'protocol' });
      expect(error.message).toMatch(/language|duration/);
    } finally {
      await changed.close();
    }
  });

  describe('failure modes', () => {
    itMapsUpstreamFailures({ mock: () => mock, run: (timeoutMs) => openaiTranscription.transcribe(transcription(), ctx('whisper-1', timeoutMs)) });
  });
});

describe('OpenAI speech', () => {
  const speech = (extra: Record<string, unknown> = {}) => SpeechRequest.parse({ input: 'Hello there, Switchyard 👋', voice: 'alloy', ...extra });

  it('returns mp3 audio and bills the input characters (code points)', async () => {
    const { result, units } = await openaiSpeech.speak(speech({ instructions: 'Speak calmly.' }), ctx('tts-1'));
    expect(result.contentType).toBe('audio/mpeg');
    expect(await audioDuration(result.audio, 'audio/mpeg')).toBeGreaterThan(0);
    // 25 code points (26 UTF-16 units: the emoji is one character).
    expect(units).toEqual({ characters: 25 });
    const sent = mock.lastRequest!;
    expect(sent.path).toBe('/v1/audio/speech');
    // tts-1 takes no instructions: they are not sent.
    expect(sent.json).toEqual({ model: 'tts-1', input: 'Hello there, Switchyard 👋', voice: 'alloy', response_format: 'mp3' });
  });

  it('returns real audio in every format OpenAI makes, with its content type', async () => {
    for (const format of ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const) {
      const { result } = await openaiSpeech.speak(speech({ response_format: format, speed: 1.25 }), ctx('gpt-4o-mini-tts'));
      expect(result.contentType).toBe(SPEECH_CONTENT_TYPES[format]);
      if (format === 'pcm') expect(result.audio.length).toBe(Math.round(spokenSeconds('Hello there, Switchyard 👋') * 24_000) * 2);
      else expect(await audioDuration(result.audio, SPEECH_CONTENT_TYPES[format]), format).toBeGreaterThan(0);
    }
    expect(mock.lastRequest!.json).toMatchObject({ speed: 1.25 });
  });

  it('sends instructions to gpt-4o-mini-tts', async () => {
    await openaiSpeech.speak(speech({ instructions: 'Whisper it.' }), ctx('gpt-4o-mini-tts'));
    expect(mock.lastRequest!.json).toMatchObject({ instructions: 'Whisper it.' });
  });

  it("passes on OpenAI's 400 for a voice the model lacks, not retryable", async () => {
    const error = await upstreamFailure(openaiSpeech.speak(speech({ voice: 'marin' }), ctx('tts-1')));
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain("Invalid value: 'marin'");
  });

  describe('failure modes', () => {
    itMapsUpstreamFailures({ mock: () => mock, run: (timeoutMs) => openaiSpeech.speak(speech(), ctx('tts-1', timeoutMs)) });
  });
});

describe('the official openai SDK against the mock', () => {
  const client = () => new OpenAI({ apiKey: KEY, baseURL: `${mock.url}/v1`, maxRetries: 0 });
  const wav = () => toFile(toneWav(SECONDS), 'tone.wav', { type: 'audio/wav' });

  it('transcribes in every response format whisper-1 has', async () => {
    const json = await client().audio.transcriptions.create({ file: await wav(), model: 'whisper-1' });
    expect(json.text).toBe(SCRIPT_SENTENCES.join(' '));
    expect(json.usage).toEqual({ type: 'duration', seconds: 4 });

    const text = await client().audio.transcriptions.create({ file: await wav(), model: 'whisper-1', response_format: 'text' });
    expect(text).toBe(`${SCRIPT_SENTENCES.join(' ')}\n`);

    const srt = await client().audio.transcriptions.create({ file: await wav(), model: 'whisper-1', response_format: 'srt' });
    expect(srt).toMatch(/^1\n00:00:00,000 --> 00:00:\d\d,\d{3}\nHello from the Switchyard mock\.\n/);

    const vtt = await client().audio.transcriptions.create({ file: await wav(), model: 'whisper-1', response_format: 'vtt' });
    expect(vtt).toMatch(/^WEBVTT\n\n00:00:00\.000 --> /);

    const verbose = await client().audio.transcriptions.create({
      file: await wav(),
      model: 'whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
    });
    expect(verbose).toMatchObject({ task: 'transcribe', language: 'english', duration: SECONDS });
    expect(verbose.segments).toHaveLength(3);
    expect(verbose.words?.[0]?.word).toBe('Hello');
  });

  it('reads token usage from gpt-4o-transcribe and speakers from the diarizing model', async () => {
    const json = await client().audio.transcriptions.create({ file: await wav(), model: 'gpt-4o-transcribe' });
    expect(json.usage).toMatchObject({ type: 'tokens', ...expectedTokenUsage(SECONDS) });
    const diarized = await client().audio.transcriptions.create({ file: await wav(), model: 'gpt-4o-transcribe-diarize', response_format: 'diarized_json', chunking_strategy: 'auto' });
    // The SDK's overloads type diarized_json answers as plain transcriptions.
    expect((diarized as unknown as TranscriptionDiarized).segments.map((s) => s.speaker)).toEqual(['A', 'B', 'A']);
  });

  it("raises the SDK's BadRequestError for a format the model lacks", async () => {
    const attempt = client().audio.transcriptions.create({ file: await wav(), model: 'gpt-4o-mini-transcribe', response_format: 'srt' });
    await expect(attempt).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('creates speech the SDK hands back as audio', async () => {
    for (const format of ['mp3', 'wav', 'opus'] as const) {
      const response = await client().audio.speech.create({ model: 'tts-1', voice: 'nova', input: 'One, two, three.', response_format: format });
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(await audioDuration(bytes, response.headers.get('content-type') ?? undefined), format).toBeGreaterThan(0);
    }
  });
});
