// OpenAI's POST /audio/transcriptions, shared by every host that copies it (OpenAI, Groq …).
// The adapter asks for the richest response the model has: verbose_json (segments, words,
// duration) for Whisper, diarized_json for the diarizing model, plain json for the token-billed
// gpt-4o models. Units come from the answer's `usage` when there is one.
import { z } from 'zod';
import type { Units } from '../../catalog/price';
import type { TranscriptionRequest, TranscriptionResult } from '../../tasks/transcription';
import type { CallContext, Metered, TranscriptionAdapter } from '../types';
import { roundSeconds } from './audio';
import { bearerHeaders, joinUrl } from './auth';
import { callJson, type UpstreamCall } from './upstream';
import { whisperLanguageCode } from './whisper-languages';

export type OpenAITranscriptionFormat = 'verbose_json' | 'json' | 'diarized_json';

export interface OpenAICompatibleTranscriptionHost {
  /** The response format to ask this model for. */
  responseFormat(providerModelId: string): OpenAITranscriptionFormat;
  /** The host bills at least this many seconds per request (Groq: 10). */
  minimumBilledSeconds?: number;
}

const Usage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('duration'), seconds: z.number().nonnegative() }),
  z.object({ type: z.literal('tokens'), input_tokens: z.number().int().nonnegative(), output_tokens: z.number().int().nonnegative() }),
]);
type Usage = z.infer<typeof Usage>;

const VerboseJson = z.object({
  language: z.string(),
  duration: z.number().nonnegative(),
  text: z.string(),
  segments: z.array(z.object({ id: z.number().int(), start: z.number(), end: z.number(), text: z.string() })).optional(),
  words: z.array(z.object({ word: z.string(), start: z.number(), end: z.number() })).optional(),
  usage: Usage.optional(),
});

const Json = z.object({ text: z.string(), usage: Usage.optional() });

const DiarizedJson = z.object({
  duration: z.number().nonnegative(),
  text: z.string(),
  segments: z.array(z.object({ id: z.string(), start: z.number(), end: z.number(), text: z.string(), speaker: z.string() })),
  usage: Usage.optional(),
});

export function openaiCompatibleTranscription(host: OpenAICompatibleTranscriptionHost): TranscriptionAdapter {
  return {
    async transcribe(request, ctx) {
      const format = host.responseFormat(ctx.providerModelId);
      const call = await transcriptionCall(request, ctx, format);
      const metered = await parseTranscription(call, request, format);
      const floor = host.minimumBilledSeconds;
      if (floor !== undefined && metered.units.audio_seconds !== undefined) {
        metered.units.audio_seconds = Math.max(floor, metered.units.audio_seconds);
      }
      return metered;
    },
  };
}

async function transcriptionCall(request: TranscriptionRequest, ctx: CallContext, format: OpenAITranscriptionFormat): Promise<UpstreamCall> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(request.file.bytes)], { type: request.file.mime }), request.file.filename);
  form.append('model', ctx.providerModelId);
  form.append('response_format', format);
  if (request.language) form.append('language', request.language);
  // The diarizing model takes no prompt.
  if (request.prompt && format !== 'diarized_json') form.append('prompt', request.prompt);
  if (request.temperature !== undefined) form.append('temperature', String(request.temperature));
  if (format === 'verbose_json') {
    // Asking for words alone drops the segments, so segments are always asked for too.
    form.append('timestamp_granularities[]', 'segment');
    if (request.wordTimestamps) form.append('timestamp_granularities[]', 'word');
  }
  // Required by the diarizing model for inputs over 30 s.
  if (format === 'diarized_json') form.append('chunking_strategy', 'auto');
  // The platform's own multipart encoder (boundary and escaping included).
  const encoded = new Response(form);
  const body = Buffer.from(await encoded.arrayBuffer());
  return {
    provider: ctx.provider,
    url: joinUrl(ctx.credentials.baseUrl, 'audio/transcriptions'),
    headers: { ...bearerHeaders(ctx.credentials), 'content-type': encoded.headers.get('content-type') ?? 'multipart/form-data' },
    body,
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
  };
}

async function parseTranscription(call: UpstreamCall, request: TranscriptionRequest, format: OpenAITranscriptionFormat): Promise<Metered<TranscriptionResult>> {
  if (format === 'verbose_json') {
    const { data } = await callJson(call, VerboseJson);
    const result: TranscriptionResult = {
      text: data.text.trim(),
      language: whisperLanguageCode(data.language),
      duration: data.duration,
      segments: (data.segments ?? []).map((s) => ({ id: s.id, start: s.start, end: s.end, text: s.text.trim() })),
      words: (data.words ?? []).map((w) => ({ word: w.word.trim(), start: w.start, end: w.end })),
    };
    return { result, units: data.usage ? unitsOf(data.usage) : { audio_seconds: roundSeconds(data.duration) } };
  }
  if (format === 'diarized_json') {
    const { data } = await callJson(call, DiarizedJson);
    const result: TranscriptionResult = {
      text: data.text.trim(),
      language: request.language ?? null,
      duration: data.duration,
      segments: data.segments.map((s, index) => ({ id: index, start: s.start, end: s.end, text: s.text.trim(), speaker: s.speaker })),
      words: [],
    };
    return { result, units: data.usage ? unitsOf(data.usage) : { audio_seconds: roundSeconds(data.duration) } };
  }
  const { data } = await callJson(call, Json);
  const result: TranscriptionResult = {
    text: data.text.trim(),
    // Plain json names no language: it is the one we asked for, if any.
    language: request.language ?? null,
    duration: data.usage?.type === 'duration' ? data.usage.seconds : null,
    segments: [],
    words: [],
  };
  // No usage in the answer: bill the duration the edge measured.
  return { result, units: data.usage ? unitsOf(data.usage) : { audio_seconds: roundSeconds(request.durationSeconds) } };
}

function unitsOf(usage: Usage): Units {
  if (usage.type === 'tokens') return { input_tokens: usage.input_tokens, output_tokens: usage.output_tokens };
  return { audio_seconds: roundSeconds(usage.seconds) };
}
