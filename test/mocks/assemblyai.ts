// AssemblyAI's async transcription on 127.0.0.1: POST /v2/upload (raw bytes → upload_url),
// POST /v2/transcript (→ a queued transcript), GET /v2/transcript/{id} (processing, then completed
// or error after a set number of polls), GET /v2/transcript/{id}/sentences. The raw key in
// `authorization`; errors as {"error": "…"}; times in milliseconds, audio_duration in seconds.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { audioDuration } from '../helpers/audio';
import { MockUpstream, type RecordedRequest, type Route, type RouteContext } from '../helpers/mock-upstream';
import { scriptFor, type Script, type ScriptWord } from './scripted-transcript';

export const ASSEMBLYAI_TEST_KEY = 'aai-test-key-0123456789abcdef';
const UPLOAD_HOST = 'https://cdn.assemblyai.com/upload/';

export function assemblyaiErrorBody(_status: number, message: string) {
  return { error: message };
}

interface Job {
  id: string;
  params: Record<string, unknown>;
  polls: number;
  /** Set when the audio could not be transcribed. */
  failure: string | null;
  script: Script | null;
}

export interface AssemblyAIMockOptions {
  apiKey?: string;
  /** How many GETs answer `processing` before the transcript completes (or fails). */
  pollsUntilDone?: number;
}

export function startAssemblyAIMock(options: AssemblyAIMockOptions = {}): Promise<MockUpstream> {
  return MockUpstream.start({
    routes: assemblyaiRoutes(options.pollsUntilDone ?? 1),
    errorBody: assemblyaiErrorBody,
    authorize: (req) => req.headers.authorization === (options.apiKey ?? ASSEMBLYAI_TEST_KEY),
  });
}

export function assemblyaiRoutes(pollsUntilDone: number): Route[] {
  const uploads = new Map<string, Buffer>();
  const jobs = new Map<string, Job>();
  const find = (req: RecordedRequest, res: http.ServerResponse, ctx: RouteContext): Job | undefined => {
    const job = jobs.get(/\/v2\/transcript\/([^/]+)/.exec(req.path)?.[1] ?? '');
    if (!job) ctx.mock.sendJson(res, 404, assemblyaiErrorBody(404, 'Transcript lookup error, transcript id not found'));
    return job;
  };
  return [
    {
      method: 'POST',
      path: /\/v2\/upload$/,
      handle(req, res, ctx) {
        if (req.body.length === 0) return ctx.mock.sendJson(res, 400, assemblyaiErrorBody(400, 'Upload failed, the request body is empty'));
        const id = randomUUID();
        uploads.set(id, req.body);
        ctx.mock.sendJson(res, 200, { upload_url: `${UPLOAD_HOST}${id}` });
      },
    },
    {
      method: 'POST',
      path: /\/v2\/transcript$/,
      async handle(req, res, ctx) {
        const params = req.json as Record<string, unknown> | undefined;
        const fail = (message: string) => ctx.mock.sendJson(res, 400, assemblyaiErrorBody(400, message));
        if (!params || typeof params.audio_url !== 'string') return fail('audio_url is required');
        if ('speech_model' in params) return fail('speech_model is no longer supported; use speech_models');
        if (params.speech_models !== undefined && (!Array.isArray(params.speech_models) || params.speech_models.length === 0)) {
          return fail('speech_models must be a non-empty list of model names');
        }
        const bytes = params.audio_url.startsWith(UPLOAD_HOST) ? uploads.get(params.audio_url.slice(UPLOAD_HOST.length)) : undefined;
        const duration = bytes ? await audioDuration(bytes) : null;
        const job: Job = {
          id: randomUUID(),
          params,
          polls: 0,
          failure: !bytes
            ? `Download error, unable to download ${params.audio_url}. Please make sure the file exists and is accessible from the internet.`
            : duration === null
              ? 'Transcoding failed. File does not appear to contain audio. File type is text/plain (ASCII text).'
              : null,
          script: duration === null ? null : scriptFor(duration),
        };
        jobs.set(job.id, job);
        ctx.mock.sendJson(res, 200, transcriptBody(job, 'queued'));
      },
    },
    {
      method: 'GET',
      path: /\/v2\/transcript\/[^/]+\/sentences$/,
      handle(req, res, ctx) {
        const job = find(req, res, ctx);
        if (!job) return;
        if (!job.script || job.polls <= pollsUntilDone) return ctx.mock.sendJson(res, 400, assemblyaiErrorBody(400, 'This transcript has a status of processing. Transcripts must have a status of completed before requesting captions.'));
        const words = (ws: ScriptWord[]) => ws.map((w) => wordBody(w, job));
        ctx.mock.sendJson(res, 200, {
          id: job.id,
          confidence: 0.97,
          audio_duration: Math.round(job.script.duration),
          sentences: job.script.sentences.map((s) => ({ text: s.text, start: ms(s.start), end: ms(s.end), confidence: 0.97, words: words(s.words), speaker: job.params.speaker_labels ? letter(s.speaker) : null, channel: null })),
        });
      },
    },
    {
      method: 'GET',
      path: /\/v2\/transcript\/[^/]+$/,
      handle(req, res, ctx) {
        const job = find(req, res, ctx);
        if (!job) return;
        job.polls++;
        const status = job.polls <= pollsUntilDone ? 'processing' : job.failure ? 'error' : 'completed';
        ctx.mock.sendJson(res, 200, transcriptBody(job, status));
      },
    },
  ];
}

function transcriptBody(job: Job, status: 'queued' | 'processing' | 'completed' | 'error') {
  const p = job.params;
  const base = {
    id: job.id,
    status,
    audio_url: p.audio_url,
    speech_models: p.speech_models ?? null,
    speech_model_used: status === 'completed' ? ((p.speech_models as string[] | undefined)?.[0] ?? 'universal-3-5-pro') : null,
    language_detection: p.language_detection ?? false,
    speaker_labels: p.speaker_labels ?? false,
    punctuate: p.punctuate ?? true,
    format_text: p.format_text ?? true,
    webhook_auth: false,
    auto_highlights: false,
    redact_pii: false,
    summarization: false,
    language_confidence: null,
    language_confidence_threshold: null,
    language_codes: null,
    acoustic_model: 'assemblyai_default',
    language_model: 'assemblyai_default',
    text: null,
    words: null,
    utterances: null,
    confidence: null,
    audio_duration: null,
    language_code: (p.language_code as string | undefined) ?? null,
  };
  if (status === 'error') return { ...base, error: job.failure };
  if (status !== 'completed' || !job.script) return base;
  const script = job.script;
  return {
    ...base,
    text: script.text,
    words: script.words.map((w) => wordBody(w, job)),
    utterances: p.speaker_labels
      ? script.sentences.map((s) => ({ text: s.text, start: ms(s.start), end: ms(s.end), confidence: 0.97, speaker: letter(s.speaker), words: s.words.map((w) => wordBody(w, job)) }))
      : null,
    confidence: 0.97,
    // AssemblyAI reports whole seconds.
    audio_duration: Math.round(script.duration),
    language_code: p.language_detection ? 'en' : ((p.language_code as string | undefined) ?? 'en_us'),
    language_confidence: p.language_detection ? 0.98 : null,
  };
}

function wordBody(w: ScriptWord, job: Job) {
  return { text: w.punctuated, start: ms(w.start), end: ms(w.end), confidence: 0.97, speaker: job.params.speaker_labels ? letter(w.speaker) : null };
}

function ms(seconds: number): number {
  return Math.round(seconds * 1000);
}

function letter(speaker: number): string {
  return String.fromCharCode(65 + speaker);
}
