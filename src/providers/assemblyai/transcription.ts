// AssemblyAI async transcription: upload the bytes (POST /v2/upload), submit a transcript
// (POST /v2/transcript), then poll GET /v2/transcript/{id} until it is completed or failed.
// Times arrive in milliseconds; the bill is `audio_duration` (failed transcripts are free).
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { UpstreamError } from '../../errors';
import type { TranscriptionRequest, TranscriptionResult, TranscriptSegment } from '../../tasks/transcription';
import type { CallContext, TranscriptionAdapter } from '../types';
import { roundSeconds } from '../shared/audio';
import { joinUrl } from '../shared/auth';
import { callJson, toUpstreamError, type UpstreamCall } from '../shared/upstream';
import { assemblyaiHeaders } from './api';

const Upload = z.object({ upload_url: z.string().min(1) });

const Timed = z.object({ text: z.string(), start: z.number(), end: z.number(), speaker: z.string().nullish() });

const Transcript = z.object({
  id: z.string(),
  status: z.enum(['queued', 'processing', 'completed', 'error']),
  error: z.string().nullish(),
  text: z.string().nullish(),
  language_code: z.string().nullish(),
  audio_duration: z.number().nonnegative().nullish(),
  words: z.array(Timed).nullish(),
  utterances: z.array(Timed).nullish(),
});
type Transcript = z.infer<typeof Transcript>;

const Sentences = z.object({ sentences: z.array(Timed) });

/** Waits between polls: quick at first (short clips finish in seconds), then every 3 s. */
const POLL_DELAYS_MS = [250, 500, 1000, 2000, 3000];

export const assemblyaiTranscription: TranscriptionAdapter = {
  async transcribe(request, ctx) {
    const { data: upload } = await callJson(
      call(ctx, 'v2/upload', { method: 'POST', body: request.file.bytes, contentType: 'application/octet-stream' }),
      Upload,
    );
    const { data: submitted } = await callJson(
      call(ctx, 'v2/transcript', { method: 'POST', body: JSON.stringify(transcriptParams(request, ctx, upload.upload_url)), contentType: 'application/json' }),
      Transcript,
    );
    const done = await pollUntilDone(submitted, ctx);
    if (done.status === 'error') {
      // Mostly the audio's fault (no speech, unreadable file): another provider would fail too.
      throw new UpstreamError(ctx.provider, 'http', `${ctx.provider} could not transcribe the audio: ${done.error ?? 'no reason given'}`, 422);
    }
    if (done.text == null || done.audio_duration == null) {
      throw new UpstreamError(ctx.provider, 'protocol', `${ctx.provider} sent a completed transcript without text or audio_duration`);
    }
    const result: TranscriptionResult = {
      text: done.text,
      // AssemblyAI's codes carry a region ("en_us"); results name the language only.
      language: done.language_code ? done.language_code.split('_')[0]!.toLowerCase() : (request.language ?? null),
      duration: done.audio_duration,
      segments: await segmentsOf(done, request, ctx),
      words: request.wordTimestamps
        ? (done.words ?? []).map((w) => ({ word: w.text, start: ms(w.start), end: ms(w.end), ...speaker(request, w.speaker) }))
        : [],
    };
    return { result, units: { audio_seconds: roundSeconds(done.audio_duration) } };
  },
};

function transcriptParams(request: TranscriptionRequest, ctx: CallContext, audioUrl: string) {
  return {
    audio_url: audioUrl,
    // `speech_models` (a priority list) replaced the singular `speech_model`, which is now refused.
    speech_models: [ctx.providerModelId],
    punctuate: true,
    format_text: true,
    speaker_labels: request.diarize,
    ...(request.language ? { language_code: request.language } : { language_detection: true }),
  };
}

async function pollUntilDone(transcript: Transcript, ctx: CallContext): Promise<Transcript> {
  const deadline = Date.now() + ctx.timeoutMs;
  let current = transcript;
  for (let attempt = 0; current.status === 'queued' || current.status === 'processing'; attempt++) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new UpstreamError(ctx.provider, 'timeout', `${ctx.provider} transcript ${current.id} was still ${current.status} after ${ctx.timeoutMs} ms`);
    }
    try {
      await sleep(Math.min(POLL_DELAYS_MS[attempt] ?? POLL_DELAYS_MS.at(-1)!, remaining), undefined, { signal: ctx.signal });
    } catch (error) {
      throw toUpstreamError(ctx.provider, error);
    }
    ({ data: current } = await callJson(call(ctx, `v2/transcript/${encodeURIComponent(current.id)}`, { method: 'GET' }), Transcript));
  }
  return current;
}

/** Speaker turns when diarized; otherwise AssemblyAI's sentences, which cost one more request. */
async function segmentsOf(done: Transcript, request: TranscriptionRequest, ctx: CallContext): Promise<TranscriptSegment[]> {
  let spans = done.utterances ?? [];
  if (spans.length === 0) {
    const { data } = await callJson(call(ctx, `v2/transcript/${encodeURIComponent(done.id)}/sentences`, { method: 'GET' }), Sentences);
    spans = data.sentences;
  }
  return spans.map((s, index) => ({ id: index, start: ms(s.start), end: ms(s.end), text: s.text, ...speaker(request, s.speaker) }));
}

function call(ctx: CallContext, path: string, options: { method: 'GET' | 'POST'; body?: string | Buffer; contentType?: string }): UpstreamCall {
  return {
    provider: ctx.provider,
    url: joinUrl(ctx.credentials.baseUrl, path),
    method: options.method,
    headers: { ...assemblyaiHeaders(ctx.credentials), ...(options.contentType ? { 'content-type': options.contentType } : {}) },
    body: options.body,
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
  };
}

function speaker(request: TranscriptionRequest, label: string | null | undefined): { speaker?: string } {
  return request.diarize && label ? { speaker: label } : {};
}

function ms(value: number): number {
  return value / 1000;
}
