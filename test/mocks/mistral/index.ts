// The Mistral mock: chat completions, OCR and moderations on one host.
import { MockUpstream } from '../../helpers/mock-upstream';
import { mistralChatRoutes } from './chat';
import { mistralModerationRoutes } from './moderation';
import { mistralOcrRoutes } from './ocr';

/** Mistral's error body: {"object":"error","message","type","param","code"}. */
export function mistralErrorBody(status: number, message: string) {
  return { object: 'error', message, type: status === 429 ? 'rate_limited' : status >= 500 ? 'internal_server_error' : 'invalid_request_error', param: null, code: String(status) };
}

export const MISTRAL_TEST_KEY = 'mistral-test-key';

export function startMistralMock(apiKey = MISTRAL_TEST_KEY): Promise<MockUpstream> {
  return MockUpstream.start({
    routes: [...mistralChatRoutes, ...mistralOcrRoutes, ...mistralModerationRoutes],
    errorBody: mistralErrorBody,
    authorize: (req) => req.headers.authorization === `Bearer ${apiKey}`,
  });
}
