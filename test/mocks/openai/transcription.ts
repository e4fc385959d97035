// POST /audio/transcriptions as OpenAI (and Groq, which copies it) answers it: multipart in, the
// five response formats out (json, text, srt, verbose_json, vtt; diarized_json for the diarizing
// model), each model's own format limits, `usage` the way each model is billed, and OpenAI's
// 400s for a missing file, corrupt audio, an unknown language or a format the model lacks.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { whisperLanguageName } from '../../../src/providers/shared/whisper-languages';
import { audioDuration } from '../../helpers/audio';
import type { RecordedRequest, Route, RouteContext } from '../../helpers/mock-upstream';
import { scriptFor, subtitles, type Script } from '../scripted-transcript';

export type TranscriptionFlavour = 'openai' | 'groq';

const GROQ_MODELS = new Set(['whisper-large-v3', 'whisper-large-v3-turbo']);

/** The response formats each model answers, or null for a model the host does not have. */
function formatsOf(flavour: TranscriptionFlavour, model: string): string[] | null {
  if (flavour === 'groq') return GROQ_MODELS.has(model) ? ['json', 'text', 'verbose_json'] : null;
  if (model === 'whisper-1') return ['json', 'text', 'srt', 'verbose_json', 'vtt'];
  if (/^gpt-4o-transcribe-diarize/.test(model)) return ['json', 'text', 'diarized_json'];
  if (/^gpt-4o(-mini)?-transcribe/.test(model)) return ['json', 'text'];
  return null;
}

/** OpenAI's error envelope, with the param and code these 400s carry. */
export function openaiStyleError(message: string, param: string | null = null, code: string | null = null) {
  return { error: { message, type: 'invalid_request_error', param, code } };
}

export function transcriptionRoutes(flavour: TranscriptionFlavour): Route[] {
  return [{ method: 'POST', path: /\/audio\/transcriptions$/, handle: (req, res, ctx) => transcribe(flavour, req, res, ctx) }];
}

export const openaiTranscriptionRoutes: Route[] = transcriptionRoutes('openai');

async function transcribe(flavour: TranscriptionFlavour, req: RecordedRequest, res: http.ServerResponse, ctx: RouteContext): Promise<void> {
  const fail = (status: number, message: string, param: string | null = null, code: string | null = null) =>
    ctx.mock.sendJson(res, status, openaiStyleError(message, param, code));
  const contentType = String(req.headers['content-type'] ?? '');
  if (!contentType.startsWith('multipart/form-data')) {
    return fail(400, `Invalid Content-Type header (${contentType || 'none'}), expected multipart/form-data.`);
  }
  const form = await new Response(new Uint8Array(req.body), { headers: { 'content-type': contentType } }).formData();
  const file = form.get('file');
  const model = form.get('model');
  if (!(file instanceof Blob)) return fail(400, "Missing required parameter: 'file'.", 'file', 'missing_required_parameter');
  if (typeof model !== 'string') return fail(400, "Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  const formats = formatsOf(flavour, model);
  if (!formats) return fail(404, `The model \`${model}\` does not exist or you do not have access to it.`, null, 'model_not_found');
  const format = String(form.get('response_format') ?? 'json');
  if (!formats.includes(format)) {
    return fail(400, `response_format '${format}' is not compatible with model '${model}'. Use ${formats.map((f) => `'${f}'`).join(' or ')} instead.`, 'response_format', 'unsupported_value');
  }
  const language = form.get('language');
  if (typeof language === 'string' && !whisperLanguageName(language)) {
    return fail(400, `Invalid language '${language}'. Language parameter must be specified in ISO-639-1 format.`, 'language', 'invalid_language_format');
  }
  const bytes = Buffer.from(await file.arrayBuffer());
  const duration = await audioDuration(bytes, file.type || undefined);
  if (duration === null) return fail(400, 'Audio file might be corrupted or unsupported', 'file', 'invalid_value');

  const script = scriptFor(duration);
  const headers = { 'x-request-id': `req_${randomUUID().replace(/-/g, '')}`, 'openai-processing-ms': '42' };
  if (format === 'text' || format === 'srt' || format === 'vtt') {
    const body = format === 'text' ? `${script.text}\n` : subtitles(script, format);
    res.writeHead(200, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  const groqExtra = flavour === 'groq' ? { x_groq: { id: `req_${randomUUID().replace(/-/g, '').slice(0, 26)}` } } : {};
  const usage = flavour === 'groq' ? {} : { usage: usageOf(model, script, form.get('prompt')) };
  let body: Record<string, unknown>;
  if (format === 'verbose_json') {
    const granularities = form.getAll('timestamp_granularities[]').map(String);
    body = verboseJson(flavour, script, typeof language === 'string' ? language : 'en', granularities);
  } else if (format === 'diarized_json') {
    body = diarizedJson(script);
  } else {
    body = { text: script.text };
  }
  ctx.mock.sendJson(res, 200, { ...body, ...usage, ...groqExtra }, headers);
}

function verboseJson(flavour: TranscriptionFlavour, script: Script, language: string, granularities: string[]) {
  const name = whisperLanguageName(language) ?? 'english';
  // Segments come by default; asking only for words drops them.
  const withSegments = granularities.length === 0 || granularities.includes('segment');
  return {
    task: 'transcribe',
    // Groq capitalizes the language name; OpenAI does not.
    language: flavour === 'groq' ? name[0]!.toUpperCase() + name.slice(1) : name,
    duration: script.duration,
    text: script.text,
    ...(withSegments
      ? {
          segments: script.sentences.map((s, id) => ({
            id,
            seek: 0,
            start: s.start,
            end: s.end,
            text: ` ${s.text}`,
            tokens: s.words.map((_, i) => 50364 + id * 10 + i),
            temperature: 0,
            avg_logprob: -0.21,
            compression_ratio: 1.08,
            no_speech_prob: 0.012,
          })),
        }
      : {}),
    ...(granularities.includes('word') ? { words: script.words.map((w) => ({ word: w.punctuated.replace(/[.,!?]$/, ''), start: w.start, end: w.end })) } : {}),
  };
}

function diarizedJson(script: Script) {
  return {
    task: 'transcribe',
    duration: script.duration,
    text: script.text,
    segments: script.sentences.map((s, i) => ({ type: 'transcript.text.segment', id: `seg_${i}`, start: s.start, end: s.end, text: s.text, speaker: s.speaker === 0 ? 'A' : 'B' })),
  };
}

/** whisper-1 is billed by the (whole) second; the gpt-4o models by audio and text tokens. */
function usageOf(model: string, script: Script, prompt: unknown) {
  if (model.startsWith('whisper')) return { type: 'duration', seconds: Math.ceil(script.duration) };
  const audioTokens = Math.ceil(script.duration * 10);
  const textTokens = typeof prompt === 'string' ? prompt.split(/\s+/).filter(Boolean).length : 0;
  const outputTokens = script.words.length + SENTENCE_END_TOKENS;
  return {
    type: 'tokens',
    input_tokens: audioTokens + textTokens,
    input_token_details: { text_tokens: textTokens, audio_tokens: audioTokens },
    output_tokens: outputTokens,
    total_tokens: audioTokens + textTokens + outputTokens,
  };
}

const SENTENCE_END_TOKENS = 3;

/** The usage the mock reports for this much audio on a gpt-4o transcription model, without a prompt. */
export function expectedTokenUsage(duration: number): { input_tokens: number; output_tokens: number } {
  const script = scriptFor(duration);
  return { input_tokens: Math.ceil(duration * 10), output_tokens: script.words.length + SENTENCE_END_TOKENS };
}
