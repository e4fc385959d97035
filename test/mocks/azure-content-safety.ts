// The Azure AI Content Safety mock: POST /contentsafety/text:analyze?api-version=… with
// {text, categories?, blocklistNames?, haltOnBlocklistHit?, outputType?} → {blocklistsMatch,
// categoriesAnalysis: [{category, severity}]}. FourSeverityLevels answers 0/2/4/6, Eight 0–7.
// Text over 10,000 characters is refused as Azure does. Auth is Ocp-Apim-Subscription-Key;
// errors are {"error":{"code","message","details","innererror"}}. Severities come from a keyword table.
import { MockUpstream, type RecordedRequest, type Route } from '../helpers/mock-upstream';

export const AZURE_CONTENT_SAFETY_TEST_KEY = 'azure-content-safety-test-key';

const CODES: Record<number, string> = { 400: 'InvalidRequestBody', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 429: 'TooManyRequests', 500: 'InternalServerError', 503: 'ServiceUnavailable' };

export function azureContentSafetyErrorBody(status: number, message: string) {
  return { error: { code: CODES[status] ?? 'InternalServerError', message, details: [], innererror: { code: CODES[status] ?? 'Unknown', message } } };
}

const CATEGORIES = ['Hate', 'SelfHarm', 'Sexual', 'Violence'];
const VERSIONS = new Set(['2023-10-01', '2024-09-01']);

/** Eight-level severities per keyword; FourSeverityLevels rounds them down to 0/2/4/6. */
const KEYWORDS: Record<string, Record<string, number>> = {
  stupid: { Hate: 2 },
  hate: { Hate: 5 },
  kill: { Violence: 7 },
  punch: { Violence: 3 },
  'hurt myself': { SelfHarm: 4 },
  nsfw: { Sexual: 3 },
};

function analyze(req: RecordedRequest): { status: number; body: unknown } {
  const fail = (status: number, code: string, message: string) => ({ status, body: { error: { code, message, details: [], innererror: { code, message } } } });
  const version = req.query.get('api-version');
  if (!version || !VERSIONS.has(version)) {
    return fail(404, 'ApiVersionUnsupported', `The HTTP resource that matches the request URI '${req.path}' does not support the API version '${version ?? ''}'.`);
  }
  const body = (req.json ?? {}) as { text?: unknown; categories?: unknown; outputType?: unknown };
  if (typeof body.text !== 'string' || body.text.length === 0) return fail(400, 'InvalidRequestBody', 'The field text must be a non-empty string.');
  if (body.text.length > 10_000) return fail(400, 'InvalidRequestBody', 'The text length is over the limit of 10000 characters.');
  const asked = body.categories === undefined ? CATEGORIES : body.categories;
  if (!Array.isArray(asked) || asked.some((c) => !CATEGORIES.includes(c as string))) return fail(400, 'InvalidRequestBody', 'Invalid category.');
  const outputType = body.outputType ?? 'FourSeverityLevels';
  if (outputType !== 'FourSeverityLevels' && outputType !== 'EightSeverityLevels') return fail(400, 'InvalidRequestBody', 'Invalid outputType.');
  const lower = body.text.toLowerCase();
  const categoriesAnalysis = (asked as string[]).map((category) => {
    let severity = 0;
    for (const [word, hits] of Object.entries(KEYWORDS)) if (lower.includes(word)) severity = Math.max(severity, hits[category] ?? 0);
    return { category, severity: outputType === 'FourSeverityLevels' ? Math.floor(severity / 2) * 2 : severity };
  });
  return { status: 200, body: { blocklistsMatch: [], categoriesAnalysis } };
}

export const azureContentSafetyRoutes: Route[] = [
  {
    method: 'POST',
    path: /\/contentsafety\/text:analyze$/,
    handle(req, res, { mock }) {
      const { status, body } = analyze(req);
      mock.sendJson(res, status, body);
    },
  },
];

export function startAzureContentSafetyMock(apiKey = AZURE_CONTENT_SAFETY_TEST_KEY): Promise<MockUpstream> {
  return MockUpstream.start({
    routes: azureContentSafetyRoutes,
    errorBody: azureContentSafetyErrorBody,
    authorize: (req) => req.headers['ocp-apim-subscription-key'] === apiKey,
  });
}
