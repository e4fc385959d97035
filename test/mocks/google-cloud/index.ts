// The Google Cloud mock: Vision, Text-to-Speech and Translation on one host (GOOGLE_CLOUD_BASE_URL).
import { MockUpstream } from '../../helpers/mock-upstream';
import { googleSpeechRoutes } from './speech';
import { googleTranslationRoutes } from './translation';
import { googleVisionRoutes } from './vision';

/** Google's error envelope: {"error":{"code","message","status"}}. */
export function googleErrorBody(status: number, message: string) {
  const names: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED' };
  return { error: { code: status, message, status: names[status] ?? 'UNKNOWN' } };
}

export const GOOGLE_CLOUD_TEST_KEY = 'AIza-test-google-cloud';

export function startGoogleCloudMock(apiKey = GOOGLE_CLOUD_TEST_KEY): Promise<MockUpstream> {
  return MockUpstream.start({
    routes: [...googleVisionRoutes, ...googleSpeechRoutes, ...googleTranslationRoutes],
    errorBody: googleErrorBody,
    authorize: (req) => req.headers['x-goog-api-key'] === apiKey || req.query.get('key') === apiKey,
  });
}
