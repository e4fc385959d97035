// The OpenAI mock: one server on 127.0.0.1 for every OpenAI endpoint Switchyard calls.
import { MockUpstream } from '../../helpers/mock-upstream';
import { openaiChatRoutes } from './chat';
import { openaiModerationRoutes } from './moderation';
import { openaiSpeechRoutes } from './speech';
import { openaiTranscriptionRoutes } from './transcription';

/** OpenAI's error envelope: {"error":{"message","type","param","code"}}. */
export function openaiErrorBody(status: number, message: string) {
  const type = status === 401 ? 'invalid_request_error' : status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error';
  const code = status === 401 ? 'invalid_api_key' : status === 429 ? 'rate_limit_exceeded' : null;
  return { error: { message, type, param: null, code } };
}

export const OPENAI_TEST_KEY = 'sk-test-openai';

export function startOpenAIMock(apiKey = OPENAI_TEST_KEY): Promise<MockUpstream> {
  return MockUpstream.start({
    routes: [...openaiChatRoutes, ...openaiTranscriptionRoutes, ...openaiSpeechRoutes, ...openaiModerationRoutes],
    errorBody: openaiErrorBody,
    authorize: (req) => req.headers.authorization === `Bearer ${apiKey}`,
  });
}
