// POST /v1/audio/transcriptions — OpenAI's multipart request (file, model, language, prompt,
// response_format, temperature, timestamp_granularities[]) plus `provider` routing preferences as a
// JSON string. The file's type, size and duration come from its bytes before anything is dispatched;
// the answer is rendered in the asked format whichever provider served it.
import { Router } from 'express';
import { z } from 'zod';
import type { Catalog } from '../catalog/catalog';
import { formatUsd } from '../catalog/price';
import type { Job } from '../dispatch/job';
import { InvalidRequest, UnsupportedMediaType } from '../errors';
import type { TranscriptionRequest } from '../tasks/transcription';
import { parsePreferences, runBufferedJob, type Charge, type JobServices } from './jobs';
import { inspectAudioUrl, inspectUploadedAudio, singleFileUpload } from './media';
import { resolveModelId } from './model-ids';
import { renderTranscript, RESPONSE_FORMATS } from './transcript-formats';

/**
 * Uploads are held in memory, so they are capped here whatever the catalog allows (Deepgram and
 * AssemblyAI take gigabytes): OpenAI's own limit, which OpenAI clients already respect. Larger
 * files are refused with 413.
 */
export const TRANSCRIPTION_UPLOAD_CAP_BYTES = 25 * 1024 * 1024;

export interface TranscriptionRouterOptions {
  /** Raises or lowers the in-memory upload cap (never above the catalog's largest max_file_mb). */
  maxUploadBytes?: number;
  /** Tests only (config ALLOW_LOOPBACK_URLS): lets `audio_url` reach 127.0.0.1. */
  allowLoopbackUrls?: boolean;
}

const LANGUAGE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const DECIMAL = /^(\d+(\.\d*)?|\.\d+)$/;

/** The form's text fields. Multipart has only strings (arrays for repeated or "[]" fields). */
const TranscriptionForm = z.object({
  model: z.string().trim().min(1).max(200).default('auto'),
  language: z.string().trim().regex(LANGUAGE, 'expected an ISO-639-1 language code such as "en"').optional(),
  prompt: z.string().max(8_000).optional(),
  response_format: z.enum(RESPONSE_FORMATS).default('json'),
  temperature: z.string().trim().regex(DECIMAL, 'expected a number from 0 to 1').transform(Number).pipe(z.number().min(0).max(1)).optional(),
  timestamp_granularities: z
    .preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(z.enum(['word', 'segment'])).max(2))
    .optional(),
  /** Instead of `file`: an http(s) or data: URL of the audio, fetched with the SSRF defences of src/http/media/remote.ts. */
  audio_url: z.string().trim().min(1).max(8_192).optional(),
  stream: z.enum(['false'], { error: 'streamed transcription is not offered; leave stream unset or false' }).optional(),
});
type TranscriptionForm = z.infer<typeof TranscriptionForm>;

/** Form names as the client wrote them, for `param` in errors. */
const FIELD_NAMES: Record<string, string> = { timestamp_granularities: 'timestamp_granularities[]' };

export function transcriptionRouter(services: JobServices, options: TranscriptionRouterOptions = {}): Router {
  const catalog = services.dispatcher.options.catalog;
  const limits = transcriptionLimits(catalog, options);
  const router = Router();
  router.post('/audio/transcriptions', singleFileUpload({ maxFileBytes: limits.maxFileBytes }), async (req, res) => {
    if (!req.is('multipart/form-data')) {
      throw new UnsupportedMediaType('Send the request as multipart/form-data, with the audio in the field "file".');
    }
    const fields = (req.body ?? {}) as Record<string, unknown>;
    const form = parseForm(fields);
    const preferences = parsePreferences(fields.provider);
    if (form.audio_url && req.file) throw new InvalidRequest('Send either a file or an audio_url, not both.', 'audio_url');
    const audio = form.audio_url
      ? await inspectAudioUrl(form.audio_url, {
          param: 'audio_url',
          maxBytes: limits.maxFileBytes,
          maxDurationSeconds: limits.maxDurationSeconds,
          allowLoopback: options.allowLoopbackUrls ?? false,
        })
      : await inspectUploadedAudio(req, { maxDurationSeconds: limits.maxDurationSeconds });

    const format = form.response_format;
    // Words only exist in verbose_json; asking for them elsewhere would narrow the offerings for nothing.
    const wordTimestamps = format === 'verbose_json' && (form.timestamp_granularities ?? []).includes('word');
    const diarize = format === 'diarized_json';
    // Subtitles and verbose_json are built from segment timings: a model without them would give one cue for the whole file.
    const timestamps = format === 'srt' || format === 'vtt' || format === 'verbose_json';
    const request: TranscriptionRequest = {
      file: audio.file,
      durationSeconds: audio.durationSeconds,
      language: form.language,
      prompt: form.prompt,
      temperature: form.temperature,
      wordTimestamps,
      diarize,
    };
    const job: Omit<Job, 'policy'> = {
      task: 'transcription',
      model: resolveModelId(catalog, 'transcription', form.model),
      needs: {
        inputFormat: audio.file.format,
        fileBytes: audio.file.bytes.length,
        durationSeconds: audio.durationSeconds,
        ...(timestamps ? { timestamps } : {}),
        ...(wordTimestamps ? { wordTimestamps } : {}),
        ...(diarize ? { diarization: diarize } : {}),
      },
      measure: { audioSeconds: audio.durationSeconds },
      preferences,
    };
    const { result, charge } = await runBufferedJob(services, req, res, job, (_c, ctx, adapter) => adapter.transcription!.transcribe(request, ctx));
    const rendered = renderTranscript(format, result, {
      durationSeconds: audio.durationSeconds,
      requestedLanguage: form.language,
      includeWords: wordTimestamps,
      usage: transcriptionUsage(charge, result.duration ?? audio.durationSeconds),
    });
    if (typeof rendered.body === 'string') res.status(200).type(rendered.contentType).send(rendered.body);
    else res.status(200).json(rendered.body);
  });
  return router;
}

function parseForm(fields: Record<string, unknown>): TranscriptionForm {
  // Empty form fields are what many clients send for "not set".
  const present = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== ''));
  const parsed = TranscriptionForm.safeParse(present);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = String(issue.path[0] ?? '');
  const param = FIELD_NAMES[field] ?? field;
  throw new InvalidRequest(`${param}: ${issue.message}`, param || null);
}

/** OpenAI's usage object (seconds, or tokens for token-billed models) with what the job cost. */
function transcriptionUsage(charge: Charge, durationSeconds: number): Record<string, unknown> {
  const units = charge.units;
  const cost_usd = formatUsd(charge.costMicros);
  if (units.audio_seconds === undefined && (units.input_tokens !== undefined || units.output_tokens !== undefined)) {
    const input = units.input_tokens ?? 0;
    const output = units.output_tokens ?? 0;
    return { type: 'tokens', input_tokens: input, output_tokens: output, total_tokens: input + output, cost_usd };
  }
  return { type: 'duration', seconds: units.audio_seconds ?? durationSeconds, cost_usd };
}

interface TranscriptionLimits {
  maxFileBytes: number;
  maxDurationSeconds: number;
}

/** The largest file and the longest audio any transcription offering takes, the file capped in memory. */
export function transcriptionLimits(catalog: Catalog, options: TranscriptionRouterOptions = {}): TranscriptionLimits {
  let largestMb = 0;
  let longest = 0;
  for (const offering of catalog.offerings) {
    if (offering.model.task !== 'transcription') continue;
    const caps = offering.model.capabilities;
    largestMb = Math.max(largestMb, Math.min(offering.limits.max_file_mb ?? caps.max_file_mb, caps.max_file_mb));
    longest = Math.max(longest, Math.min(offering.limits.max_duration_seconds ?? caps.max_duration_seconds, caps.max_duration_seconds));
  }
  const cap = options.maxUploadBytes ?? TRANSCRIPTION_UPLOAD_CAP_BYTES;
  return {
    maxFileBytes: Math.min(cap, Math.floor(largestMb * 1024 * 1024)) || cap,
    maxDurationSeconds: longest || 4 * 60 * 60,
  };
}
