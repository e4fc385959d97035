// ElevenLabs text to speech on 127.0.0.1: POST /v1/text-to-speech/{voice_id}?output_format=…
// with `xi-api-key`, JSON {text, model_id, voice_settings}; the answer is the audio in the asked
// codec and rate, with `character-cost` (credits: half a credit per character on Flash/Turbo),
// `request-id` and `history-item-id` headers. Errors: {"detail":{"status","message"}}, and 422
// validation errors as {"detail":[{loc,msg,type}]}.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { silentG711, silentMp3, silentOggOpus, tonePcm, wavFile } from '../helpers/audio';
import { MockUpstream, type RecordedRequest, type Route, type RouteContext } from '../helpers/mock-upstream';

export const ELEVENLABS_TEST_KEY = 'sk_test_elevenlabs_0123456789';

const STATUS_NAMES: Record<number, string> = {
  400: 'invalid_request',
  401: 'invalid_api_key',
  403: 'quota_exceeded',
  404: 'voice_not_found',
  429: 'too_many_concurrent_requests',
  500: 'internal_server_error',
  503: 'system_busy',
};

export function elevenlabsErrorBody(status: number, message: string) {
  return { detail: { status: STATUS_NAMES[status] ?? 'error', message } };
}

/** Premade voices the mock account has (ids as GET /v1/voices lists them). */
export const ELEVENLABS_VOICES = new Set(['21m00Tcm4TlvDq8ikWAM', 'AZnzlk1XvdvUeBnXmlld', 'EXAVITQu4vr4xnSDxMaL', '2EiwWnXFnvU5JabPnv8n', 'JBFqnCBsd6RMkjVDRZzb']);

/** Models and their credits per character. */
const MODELS: Record<string, number> = {
  eleven_multilingual_v2: 1,
  eleven_v3: 1,
  eleven_monolingual_v1: 1,
  eleven_flash_v2_5: 0.5,
  eleven_flash_v2: 0.5,
  eleven_turbo_v2_5: 0.5,
  eleven_turbo_v2: 0.5,
};

const FORMAT = /^(mp3_(22050_32|24000_48|44100_(32|64|96|128|192))|pcm_(8000|16000|22050|24000|32000|44100|48000)|wav_(8000|16000|22050|24000|32000|44100|48000)|opus_48000_(32|64|96|128|192)|ulaw_8000|alaw_8000)$/;

export interface ElevenLabsMockOptions {
  apiKey?: string;
  /** The header that carries the billed credits; null to send none. */
  costHeader?: 'character-cost' | 'x-character-cost' | null;
}

export function startElevenLabsMock(options: ElevenLabsMockOptions = {}): Promise<MockUpstream> {
  return MockUpstream.start({
    routes: elevenlabsRoutes(options.costHeader === undefined ? 'character-cost' : options.costHeader),
    errorBody: elevenlabsErrorBody,
    authorize: (req) => req.headers['xi-api-key'] === (options.apiKey ?? ELEVENLABS_TEST_KEY),
  });
}

export function elevenlabsRoutes(costHeader: string | null): Route[] {
  return [{ method: 'POST', path: /\/v1\/text-to-speech\/[^/]+$/, handle: (req, res, ctx) => speak(req, res, ctx, costHeader) }];
}

function speak(req: RecordedRequest, res: http.ServerResponse, ctx: RouteContext, costHeader: string | null): void {
  const invalid = (loc: string[], msg: string) => ctx.mock.sendJson(res, 422, { detail: [{ loc, msg, type: 'value_error' }] });
  const fail = (status: number, message: string) => ctx.mock.sendJson(res, status, elevenlabsErrorBody(status, message));
  const voiceId = decodeURIComponent(req.path.split('/').at(-1)!);
  const format = req.query.get('output_format') ?? 'mp3_44100_128';
  if (!FORMAT.test(format)) return invalid(['query', 'output_format'], `Input should be a valid output format, got '${format}'`);
  const body = req.json as Record<string, unknown> | undefined;
  if (!body || typeof body.text !== 'string' || body.text.length === 0) return invalid(['body', 'text'], 'Field required');
  const model = typeof body.model_id === 'string' ? body.model_id : 'eleven_multilingual_v2';
  const credits = MODELS[model];
  if (credits === undefined) return fail(400, `A model with model ID ${model} does not exist.`);
  const speed = (body.voice_settings as { speed?: unknown } | undefined)?.speed;
  if (speed !== undefined && (typeof speed !== 'number' || speed < 0.7 || speed > 1.2)) {
    return invalid(['body', 'voice_settings', 'speed'], 'Input should be less than or equal to 1.2 and greater than or equal to 0.7');
  }
  if (!ELEVENLABS_VOICES.has(voiceId)) return fail(404, `A voice with voice_id ${voiceId} was not found.`);

  const seconds = Math.min(10, Math.max(0.5, body.text.length / 15));
  const { audio, contentType } = render(format, seconds);
  const requestId = randomUUID().replace(/-/g, '');
  res.writeHead(200, {
    'content-type': contentType,
    'transfer-encoding': 'chunked',
    'request-id': requestId,
    'x-request-id': requestId,
    'history-item-id': randomUUID().replace(/-/g, '').slice(0, 20),
    ...(costHeader ? { [costHeader]: String(Math.ceil([...body.text].length * credits)) } : {}),
  });
  for (let offset = 0; offset < audio.length; offset += 4096) res.write(audio.subarray(offset, offset + 4096));
  res.end();
}

function render(format: string, seconds: number): { audio: Buffer; contentType: string } {
  const [codec, rate] = format.split('_') as [string, string];
  switch (codec) {
    case 'mp3':
      return { audio: silentMp3(seconds), contentType: 'audio/mpeg' };
    case 'pcm':
      return { audio: tonePcm(seconds, Number(rate)), contentType: 'audio/pcm' };
    case 'wav':
      return { audio: wavFile(tonePcm(seconds, Number(rate)), Number(rate)), contentType: 'audio/wav' };
    case 'opus':
      return { audio: silentOggOpus(seconds), contentType: 'audio/ogg' };
    default:
      return { audio: silentG711(seconds, codec === 'ulaw' ? 'mulaw' : 'alaw'), contentType: codec === 'ulaw' ? 'audio/basic' : 'audio/alaw' };
  }
}
