// Cloud Translation Basic (v2) as the real service answers it: POST /language/translate/v2 with
// {q: string | string[], target, source?, format?, model?} → {"data":{"translations":[…]}}, with
// detectedSourceLanguage only when no source was given, and Google's error envelope for bad input.
// Auth (x-goog-api-key or ?key=) is checked by the composed mock in ./index.ts.
import { MockUpstream, type RecordedRequest, type Route } from '../../helpers/mock-upstream';
import { fakeDetect, fakeTranslate } from '../fake-translator';

export const GOOGLE_TRANSLATION_TEST_KEY = 'AIza-test-google-cloud';

const NAMES: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

/** Google's error envelope; v2 adds the legacy `errors` list. */
export function googleTranslationErrorBody(status: number, message: string) {
  const reason = status === 400 ? 'invalid' : status === 429 ? 'rateLimitExceeded' : 'backendError';
  return { error: { code: status, message, errors: [{ message, domain: 'global', reason }], status: NAMES[status] ?? 'UNKNOWN' } };
}

const LANGUAGES = new Set(
  'af ar bg bn ca cs cy da de el en es et fa fi fr ga he hi hr hu id is it iw ja jw ko lt lv mn ms nl no pl pt pt-pt ro ru sk sl sr sv sw th tr uk ur vi zh zh-cn zh-tw'.split(' '),
);

function translate(req: RecordedRequest): { status: number; body: unknown } {
  const body = (req.json ?? {}) as { q?: unknown; target?: unknown; source?: unknown; format?: unknown; model?: unknown };
  const invalid = (message: string) => ({ status: 400, body: googleTranslationErrorBody(400, message) });
  const q = typeof body.q === 'string' ? [body.q] : body.q;
  if (!Array.isArray(q) || q.length === 0 || q.some((t) => typeof t !== 'string')) return invalid('Required Text');
  if (q.length > 128) return invalid('Too many text segments');
  const target = typeof body.target === 'string' ? body.target : '';
  if (!LANGUAGES.has(target.toLowerCase())) return invalid('Invalid Value');
  const source = typeof body.source === 'string' ? body.source : null;
  if (source !== null && !LANGUAGES.has(source.toLowerCase())) return invalid(`Bad language pair: ${source}|${target}`);
  if (body.format !== undefined && body.format !== 'text' && body.format !== 'html') return invalid('Invalid Value');
  if (body.model !== undefined && body.model !== 'nmt' && body.model !== 'base') return invalid('Invalid Value');
  const translations = (q as string[]).map((text) => ({
    translatedText: fakeTranslate(text, target),
    ...(source === null ? { detectedSourceLanguage: fakeDetect(text) } : {}),
    ...(body.model === 'nmt' ? { model: 'nmt' } : {}),
  }));
  return { status: 200, body: { data: { translations } } };
}

export const googleTranslationRoutes: Route[] = [
  {
    method: 'POST',
    path: /\/language\/translate\/v2$/,
    handle(req, res, { mock }) {
      const { status, body } = translate(req);
      mock.sendJson(res, status, body);
    },
  },
];

/** Translation alone on one mock host, for tests that need nothing else from Google Cloud. */
export function startGoogleTranslationMock(apiKey = GOOGLE_TRANSLATION_TEST_KEY): Promise<MockUpstream> {
  return MockUpstream.start({
    routes: googleTranslationRoutes,
    errorBody: googleTranslationErrorBody,
    authorize: (req) => req.headers['x-goog-api-key'] === apiKey || req.query.get('key') === apiKey,
  });
}
