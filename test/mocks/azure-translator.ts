// The Azure AI Translator v3 mock: POST /translate?api-version=3.0&to=…(&to=…)[&from=…] with
// [{"Text": …}], answering per text {detectedLanguage?, translations:[{text, to}]} and the
// X-metered-usage header (characters × target languages). Auth is Ocp-Apim-Subscription-Key plus,
// for a regional resource, Ocp-Apim-Subscription-Region. Errors are {"error":{"code","message"}}
// with Azure's six-digit codes (the first three digits are the HTTP status).
import { randomUUID } from 'node:crypto';
import { MockUpstream, type RecordedRequest, type Route } from '../helpers/mock-upstream';
import { codePointLength, fakeDetect, fakeTranslate } from './fake-translator';

export const AZURE_TRANSLATOR_TEST_KEY = 'azure-translator-test-key';
export const AZURE_TRANSLATOR_TEST_REGION = 'westeurope';

export function azureTranslatorErrorBody(status: number, message: string) {
  return { error: { code: status * 1000, message } };
}

const LANGUAGES = new Set(
  'ar de en es fr fr-ca he it ja ko nl pl pt pt-pt ru sr-cyrl sr-latn mn-cyrl sv tr uk zh-hans zh-hant yue'.split(' '),
);

function translate(req: RecordedRequest): { status: number; body: unknown; headers?: Record<string, string> } {
  const fail = (code: number, message: string) => ({ status: Math.floor(code / 1000), body: { error: { code, message } } });
  if (req.query.get('api-version') !== '3.0') return fail(400021, 'The API version parameter is missing or invalid.');
  const targets = req.query.getAll('to');
  if (targets.length === 0 || targets.some((t) => !LANGUAGES.has(t.toLowerCase()))) return fail(400036, 'The target language is not valid.');
  const from = req.query.get('from');
  if (from !== null && !LANGUAGES.has(from.toLowerCase())) return fail(400035, 'The source language is not valid.');
  const body = req.json as unknown;
  if (!Array.isArray(body) || body.length === 0) return fail(400074, 'The body of the request is not valid JSON.');
  if (body.length > 1000) return fail(400077, 'The maximum request size has been exceeded.');
  // Azure reads the field name case-insensitively ("Text" in its docs, "text" works too).
  const texts = body.map((item: Record<string, unknown>) => item.Text ?? item.text);
  if (texts.some((t) => typeof t !== 'string')) return fail(400074, 'The body of the request is not valid JSON.');
  const characters = (texts as string[]).reduce((sum, t) => sum + codePointLength(t), 0);
  if (characters * targets.length > 50_000) return fail(400050, 'The input text is too long.');
  const results = (texts as string[]).map((text) => ({
    ...(from === null ? { detectedLanguage: { language: fakeDetect(text), score: 1.0 } } : {}),
    translations: targets.map((to) => ({ text: fakeTranslate(text, to), to })),
  }));
  return {
    status: 200,
    body: results,
    headers: { 'x-requestid': randomUUID(), 'x-mt-system': 'Microsoft', 'x-metered-usage': String(characters * targets.length) },
  };
}

export const azureTranslatorRoutes: Route[] = [
  {
    method: 'POST',
    path: /\/translate$/,
    handle(req, res, { mock }) {
      const { status, body, headers } = translate(req);
      mock.sendJson(res, status, body, headers);
    },
  },
];

/** `region` null: a global single-service resource, which needs no region header. */
export function startAzureTranslatorMock(apiKey = AZURE_TRANSLATOR_TEST_KEY, region: string | null = AZURE_TRANSLATOR_TEST_REGION): Promise<MockUpstream> {
  return MockUpstream.start({
    routes: azureTranslatorRoutes,
    errorBody: azureTranslatorErrorBody,
    authorize: (req) =>
      req.headers['ocp-apim-subscription-key'] === apiKey && (region === null || req.headers['ocp-apim-subscription-region'] === region),
  });
}
