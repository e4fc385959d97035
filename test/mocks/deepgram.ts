// Deepgram's pre-recorded API on 127.0.0.1: POST /v1/listen with raw audio bytes and
// `Authorization: Token <key>`, features as query parameters (punctuate, smart_format, diarize,
// utterances, language, detect_language), the answer in Deepgram's shape (metadata.duration,
// results.channels[].alternatives[].words with punctuated_word and speaker, results.utterances),
// and its error body {err_code, err_msg, request_id}.
import { createHash, randomUUID } from 'node:crypto';
import type http from 'node:http';
import { audioDuration } from '../helpers/audio';
import { MockUpstream, type RecordedRequest, type Route, type RouteContext } from '../helpers/mock-upstream';
import { scriptFor, type ScriptWord } from './scripted-transcript';

export const DEEPGRAM_TEST_KEY = 'dg-test-key-0123456789';

const ERROR_CODES: Record<number, string> = {
  400: 'Bad Request',
  401: 'INVALID_AUTH',
  402: 'ASR_PAYMENT_REQUIRED',
  403: 'INSUFFICIENT_PERMISSIONS',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

export function deepgramErrorBody(status: number, message: string) {
  return { err_code: ERROR_CODES[status] ?? 'Bad Request', err_msg: message, request_id: randomUUID() };
}

/** Deepgram's pre-recorded models and their domain variants (nova-3-medical, nova-2-phonecall …). */
const MODELS = /^((nova-3|nova-2|nova|enhanced|base)(-(general|medical|meeting|phonecall|finance|conversationalai|voicemail|video|drivethru|automotive|atc))?|whisper(-(tiny|base|small|medium|large))?)$/;

export const deepgramRoutes: Route[] = [{ method: 'POST', path: /\/v1\/listen$/, handle: listen }];

export function startDeepgramMock(apiKey = DEEPGRAM_TEST_KEY): Promise<MockUpstream> {
  return MockUpstream.start({
    routes: deepgramRoutes,
    errorBody: deepgramErrorBody,
    authorize: (req) => req.headers.authorization === `Token ${apiKey}`,
  });
}

async function listen(req: RecordedRequest, res: http.ServerResponse, ctx: RouteContext): Promise<void> {
  const fail = (message: string) => ctx.mock.sendJson(res, 400, deepgramErrorBody(400, message));
  const flag = (name: string) => req.query.get(name) === 'true';
  const model = req.query.get('model') ?? 'base';
  if (!MODELS.test(model)) return fail('No such model/language/tier combination found.');
  const contentType = String(req.headers['content-type'] ?? '');
  if (contentType.includes('json')) return fail('This mock transcribes uploaded bytes only, not {"url": …} bodies.');
  const duration = await audioDuration(req.body, contentType.startsWith('audio/') ? contentType : undefined);
  if (duration === null) return fail('Bad Request: failed to process audio: corrupt or unsupported data');

  const script = scriptFor(duration);
  const punctuated = flag('punctuate') || flag('smart_format');
  const diarize = flag('diarize');
  const word = (w: ScriptWord) => ({
    word: w.word,
    start: w.start,
    end: w.end,
    confidence: 0.98,
    ...(diarize ? { speaker: w.speaker, speaker_confidence: 0.9 } : {}),
    ...(punctuated ? { punctuated_word: w.punctuated } : {}),
  });
  const transcript = punctuated ? script.text : script.words.map((w) => w.word).join(' ');
  const modelId = randomUUID();
  const body = {
    metadata: {
      transaction_key: 'deprecated',
      request_id: randomUUID(),
      sha256: createHash('sha256').update(req.body).digest('hex'),
      created: new Date().toISOString(),
      duration,
      channels: 1,
      models: [modelId],
      model_info: { [modelId]: { name: `general-${model}`, version: '2025-01-01.0', arch: model } },
    },
    results: {
      channels: [
        {
          alternatives: [{ transcript, confidence: 0.98, words: script.words.map(word) }],
          ...(flag('detect_language') && !req.query.get('language') ? { detected_language: 'en', language_confidence: 0.97 } : {}),
        },
      ],
      ...(flag('utterances')
        ? {
            utterances: script.sentences.map((s) => ({
              start: s.start,
              end: s.end,
              confidence: 0.98,
              channel: 0,
              transcript: punctuated ? s.text : s.words.map((w) => w.word).join(' '),
              words: s.words.map(word),
              ...(diarize ? { speaker: s.speaker } : {}),
              id: randomUUID(),
            })),
          }
        : {}),
    },
  };
  ctx.mock.sendJson(res, 200, body, { 'dg-request-id': body.metadata.request_id });
}
