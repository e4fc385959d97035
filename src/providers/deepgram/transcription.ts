// Deepgram pre-recorded transcription: POST /v1/listen with the raw audio bytes; features are
// query parameters. Utterances become segments, words keep their punctuated form, and the bill
// is `metadata.duration`, the seconds Deepgram processed.
import { z } from 'zod';
import type { TranscriptionResult } from '../../tasks/transcription';
import type { TranscriptionAdapter } from '../types';
import { joinUrl } from '../shared/auth';
import { roundSeconds } from '../shared/audio';
import { callJson } from '../shared/upstream';
import { deepgramHeaders } from './api';

const Word = z.object({
  word: z.string(),
  punctuated_word: z.string().optional(),
  start: z.number(),
  end: z.number(),
  speaker: z.number().int().nonnegative().optional(),
});

const ListenResponse = z.object({
  metadata: z.object({ request_id: z.string(), duration: z.number().nonnegative() }),
  results: z.object({
    channels: z
      .array(
        z.object({
          alternatives: z.array(z.object({ transcript: z.string(), words: z.array(Word).optional() })).min(1),
          detected_language: z.string().optional(),
        }),
      )
      .min(1),
    utterances: z
      .array(z.object({ start: z.number(), end: z.number(), transcript: z.string(), speaker: z.number().int().nonnegative().optional() }))
      .optional(),
  }),
});

export const deepgramTranscription: TranscriptionAdapter = {
  async transcribe(request, ctx) {
    const query = new URLSearchParams({ model: ctx.providerModelId, smart_format: 'true', punctuate: 'true', utterances: 'true' });
    if (request.diarize) query.set('diarize', 'true');
    if (request.language) query.set('language', request.language);
    else query.set('detect_language', 'true');
    const { data } = await callJson(
      {
        provider: ctx.provider,
        url: `${joinUrl(ctx.credentials.baseUrl, 'v1/listen')}?${query}`,
        headers: { ...deepgramHeaders(ctx.credentials), 'content-type': request.file.mime },
        body: request.file.bytes,
        timeoutMs: ctx.timeoutMs,
        signal: ctx.signal,
      },
      ListenResponse,
    );
    const channel = data.results.channels[0]!;
    const best = channel.alternatives[0]!;
    const result: TranscriptionResult = {
      text: best.transcript,
      language: channel.detected_language ?? request.language ?? null,
      duration: data.metadata.duration,
      segments: (data.results.utterances ?? []).map((u, index) => ({
        id: index,
        start: u.start,
        end: u.end,
        text: u.transcript,
        ...(request.diarize && u.speaker !== undefined ? { speaker: speakerLabel(u.speaker) } : {}),
      })),
      words: request.wordTimestamps
        ? (best.words ?? []).map((w) => ({
            word: w.punctuated_word ?? w.word,
            start: w.start,
            end: w.end,
            ...(request.diarize && w.speaker !== undefined ? { speaker: speakerLabel(w.speaker) } : {}),
          }))
        : [],
    };
    return { result, units: { audio_seconds: roundSeconds(data.metadata.duration) } };
  },
};

/** Deepgram numbers speakers from 0; other providers letter them, so 0 → "A", like AssemblyAI and OpenAI. */
function speakerLabel(index: number): string {
  return index < 26 ? String.fromCharCode(65 + index) : `S${index}`;
}
