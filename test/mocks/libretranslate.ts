// The LibreTranslate mock, modelled on the server's /translate handler: JSON or form bodies,
// q as a string or a list, source "auto" or a code (its own "pb"/"zh"/"zt" or the BCP 47 aliases
// pt-BR/zh-Hans/zh-Hant), detectedLanguage only for "auto" (a list for a batch), answers in
// BCP 47 as newer servers do, and its {"error": "…"} bodies. A server started with an API key
// answers 403 "Invalid API key" to a wrong key and 400 to a missing one.
import { MockUpstream, type RecordedRequest, type Route } from '../helpers/mock-upstream';
import { fakeDetect, fakeTranslate } from './fake-translator';

export function libretranslateErrorBody(status: number, message: string) {
  return { error: status === 429 ? `Slowdown: ${message}` : message };
}

const LANGUAGES = new Set('ar de en es fr it ja ko nl pl pt pb ru sv tr uk zh zt'.split(' '));
const ALIASES: Record<string, string> = { 'pt-br': 'pb', 'zh-hans': 'zh', 'zh-hant': 'zt' };
const ISO: Record<string, string> = { pb: 'pt-BR', zh: 'zh-Hans', zt: 'zh-Hant' };

function toModel(code: unknown): string | null {
  if (typeof code !== 'string' || code === '') return null;
  const lower = code.toLowerCase();
  return ALIASES[lower] ?? lower;
}

function fields(req: RecordedRequest): Record<string, unknown> {
  if (req.json !== undefined) return req.json as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(req.body.toString('utf8')));
}

function translate(req: RecordedRequest, apiKey: string | null): { status: number; body: unknown } {
  const f = fields(req);
  const error = (status: number, message: string) => ({ status, body: { error: message } });
  if (apiKey !== null) {
    if (f.api_key === undefined || f.api_key === '') return error(400, 'Please contact the server operator to get an API key');
    if (f.api_key !== apiKey) return error(403, 'Invalid API key');
  }
  const q = f.q;
  if (!q || (Array.isArray(q) && q.length === 0)) return error(400, 'Invalid request: missing q parameter');
  const source = toModel(f.source);
  const target = toModel(f.target);
  if (!source) return error(400, 'Invalid request: missing source parameter');
  if (!target) return error(400, 'Invalid request: missing target parameter');
  if (source !== 'auto' && !LANGUAGES.has(source)) return error(400, `${source} is not supported`);
  if (!LANGUAGES.has(target)) return error(400, `${target} is not supported`);
  if (f.format !== undefined && f.format !== 'text' && f.format !== 'html') return error(400, `${String(f.format)} format is not supported`);
  const texts = (Array.isArray(q) ? q : [q]).map(String);
  const translated = texts.map((text) => fakeTranslate(text, ISO[target] ?? target));
  const result: Record<string, unknown> = { translatedText: Array.isArray(q) ? translated : translated[0] };
  if (source === 'auto') {
    // The server detects once over all texts and repeats that answer for each of them.
    const language = fakeDetect(texts.join(' '));
    const detected = { confidence: 90.0, language: ISO[language] ?? language };
    result.detectedLanguage = Array.isArray(q) ? texts.map(() => detected) : detected;
  }
  return { status: 200, body: result };
}

export function libretranslateRoutes(apiKey: string | null = null): Route[] {
  return [
    {
      method: 'POST',
      path: /\/translate$/,
      handle(req, res, { mock }) {
        const { status, body } = translate(req, apiKey);
        mock.sendJson(res, status, body);
      },
    },
  ];
}

export function startLibretranslateMock(apiKey: string | null = null): Promise<MockUpstream> {
  return MockUpstream.start({ routes: libretranslateRoutes(apiKey), errorBody: libretranslateErrorBody });
}
