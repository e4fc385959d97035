// POST /audio/speech as OpenAI answers it: JSON in, the audio itself out, chunked, in the asked
// format (real, decodable bytes: MP3 frames, Ogg Opus, ADTS AAC, FLAC, WAV, bare 24 kHz PCM),
// with OpenAI's 400s for an unknown voice or format, an input over 4,096 characters or a speed
// out of range. The audio lasts about as long as reading the input would.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { silentAac, silentFlac, silentMp3, silentOggOpus, tonePcm, wavFile } from '../../helpers/audio';
import type { RecordedRequest, Route, RouteContext } from '../../helpers/mock-upstream';
import { openaiStyleError } from './transcription';

const ORIGINAL_VOICES = ['alloy', 'ash', 'coral', 'echo', 'fable', 'onyx', 'nova', 'sage', 'shimmer'];
const NEWER_VOICES = [...ORIGINAL_VOICES, 'ballad', 'verse', 'marin', 'cedar'];
const MAX_INPUT = 4096;

/** Each format's bytes and the content type OpenAI sends with them. */
export const OPENAI_SPEECH_FORMATS: Record<string, { contentType: string; render: (seconds: number) => Buffer }> = {
  mp3: { contentType: 'audio/mpeg', render: silentMp3 },
  opus: { contentType: 'audio/opus', render: silentOggOpus },
  aac: { contentType: 'audio/aac', render: silentAac },
  flac: { contentType: 'audio/flac', render: silentFlac },
  wav: { contentType: 'audio/wav', render: (s) => wavFile(tonePcm(s, 24_000), 24_000) },
  pcm: { contentType: 'audio/pcm', render: (s) => tonePcm(s, 24_000) },
};

function voicesOf(model: string): string[] | null {
  if (model === 'tts-1' || model === 'tts-1-hd') return ORIGINAL_VOICES;
  if (model.startsWith('gpt-4o-mini-tts')) return NEWER_VOICES;
  return null;
}

/** Seconds of speech for this input, at about 15 characters a second, kept short for tests. */
export function spokenSeconds(input: string): number {
  return Math.min(10, Math.max(0.5, input.length / 15));
}

export const openaiSpeechRoutes: Route[] = [{ method: 'POST', path: /\/audio\/speech$/, handle: speak }];

function speak(req: RecordedRequest, res: http.ServerResponse, ctx: RouteContext): void {
  const fail = (status: number, message: string, param: string | null = null, code: string | null = null) =>
    ctx.mock.sendJson(res, status, openaiStyleError(message, param, code));
  const body = req.json as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object') {
    return fail(400, 'We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.');
  }
  const { model, input, voice, response_format: format = 'mp3', speed, stream_format: streamFormat = 'audio' } = body;
  if (typeof model !== 'string') return fail(400, "Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  const voices = voicesOf(model);
  if (!voices) return fail(404, `The model \`${model}\` does not exist or you do not have access to it.`, null, 'model_not_found');
  if (typeof input !== 'string' || input.length === 0) return fail(400, "Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  if (input.length > MAX_INPUT) {
    return fail(400, `Invalid 'input': string too long. Expected a string with maximum length ${MAX_INPUT}, but got a string with length ${input.length} instead.`, 'input', 'string_above_max_length');
  }
  if (typeof voice !== 'string' || !voices.includes(voice)) {
    return fail(400, `Invalid value: '${String(voice)}'. Supported values are: ${voices.map((v) => `'${v}'`).join(', ')}.`, 'voice', 'invalid_value');
  }
  const rendering = typeof format === 'string' ? OPENAI_SPEECH_FORMATS[format] : undefined;
  if (!rendering) {
    return fail(400, `Invalid value: '${String(format)}'. Supported values are: ${Object.keys(OPENAI_SPEECH_FORMATS).map((f) => `'${f}'`).join(', ')}.`, 'response_format', 'invalid_value');
  }
  if (speed !== undefined && (typeof speed !== 'number' || speed < 0.25 || speed > 4)) {
    return fail(400, `Invalid 'speed': expected a number between 0.25 and 4.0, got ${String(speed)}.`, 'speed', 'invalid_value');
  }
  if (streamFormat !== 'audio') return fail(400, `stream_format '${String(streamFormat)}' is not served by this mock.`, 'stream_format', 'unsupported_value');

  const audio = rendering.render(spokenSeconds(input));
  res.writeHead(200, { 'content-type': rendering.contentType, 'transfer-encoding': 'chunked', 'x-request-id': `req_${randomUUID().replace(/-/g, '')}`, 'openai-processing-ms': '87' });
  for (let offset = 0; offset < audio.length; offset += 4096) res.write(audio.subarray(offset, offset + 4096));
  res.end();
}
