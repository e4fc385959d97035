// Alibaba Cloud Model Studio's OpenAI-compatible chat completions, as Qwen-MT answers them: Bearer
// auth, a known qwen-mt-* model, exactly one user message (a system message or a second turn is
// refused, as Qwen-MT does), translation_options with target_lang and source_lang as English
// language names ("auto" for the source allowed), optional terms applied as a glossary, and a
// chat.completion with usage in tokens. Errors use Model Studio's compatible-mode envelope
// {"error":{message,type,param,code},"request_id"}.
import { randomUUID } from 'node:crypto';
import { MockUpstream, type RecordedRequest } from '../helpers/mock-upstream';
import { fakeTranslate } from './fake-translator';

export const DASHSCOPE_TEST_KEY = 'sk-dashscope-test';

const MODELS = new Set(['qwen-mt-turbo', 'qwen-mt-plus', 'qwen-mt-flash', 'qwen-mt-lite']);

/** The language names the mock knows, and the code the fake translator takes for each. */
const LANGUAGES: Record<string, string> = {
  English: 'en',
  Chinese: 'zh',
  'Traditional Chinese': 'zh',
  German: 'de',
  French: 'fr',
  Spanish: 'es',
  Portuguese: 'pt',
  Japanese: 'ja',
  Korean: 'ko',
  Arabic: 'ar',
  Cantonese: 'zh',
};

const ERROR_TYPES: Record<number, { type: string; code: string }> = {
  400: { type: 'invalid_request_error', code: 'invalid_parameter_error' },
  401: { type: 'invalid_request_error', code: 'invalid_api_key' },
  403: { type: 'invalid_request_error', code: 'AccessDenied' },
  404: { type: 'invalid_request_error', code: 'model_not_found' },
  429: { type: 'limit_requests', code: 'limit_requests' },
};

export function dashscopeErrorBody(status: number, message: string) {
  const kind = ERROR_TYPES[status] ?? { type: 'internal_error', code: 'internal_error' };
  return { error: { message, type: kind.type, param: null, code: kind.code }, request_id: randomUUID() };
}

/** Qwen's tokenizer, roughly: four characters of Latin text or one CJK character per token. */
export function mockTokens(text: string): number {
  let tokens = 0;
  let latin = 0;
  for (const ch of text) {
    if (/[\u3000-\u9fff\uac00-\ud7af]/u.test(ch)) tokens++;
    else latin++;
  }
  return tokens + Math.ceil(latin / 4);
}

/** The instruction Qwen-MT wraps around the text, counted in the prompt tokens it reports. */
export const QWEN_MT_TEMPLATE_TOKENS = 30;

function complete(req: RecordedRequest): { status: number; body: unknown } {
  const error = (status: number, message: string) => ({ status, body: dashscopeErrorBody(status, message) });
  const body = req.json as Record<string, any> | undefined;
  if (!body || typeof body !== 'object') return error(400, 'The request body is not valid JSON.');
  if (!MODELS.has(body.model)) return error(404, `The model \`${String(body.model)}\` does not exist or you do not have access to it.`);
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length !== 1 || messages[0]?.role !== 'user' || typeof messages[0]?.content !== 'string') {
    return error(400, '<400> InternalError.Algo.InvalidParameter: The messages must contain exactly one user message for translation.');
  }
  const options = body.translation_options;
  if (!options || typeof options !== 'object') return error(400, '<400> InternalError.Algo.InvalidParameter: translation_options is required.');
  const { source_lang: source, target_lang: target, terms } = options as Record<string, any>;
  if (typeof target !== 'string' || !(target in LANGUAGES)) {
    return error(400, `<400> InternalError.Algo.InvalidParameter: The target_lang ${String(target)} is not supported.`);
  }
  if (source !== 'auto' && !(typeof source === 'string' && source in LANGUAGES)) {
    return error(400, `<400> InternalError.Algo.InvalidParameter: The source_lang ${String(source)} is not supported.`);
  }
  const glossary: Record<string, string> = {};
  if (terms !== undefined) {
    if (!Array.isArray(terms)) return error(400, '<400> InternalError.Algo.InvalidParameter: terms must be a list.');
    for (const term of terms) glossary[String(term?.source)] = String(term?.target);
  }
  const text = messages[0].content as string;
  const translated = fakeTranslate(text, LANGUAGES[target]!, glossary);
  const prompt = mockTokens(text) + QWEN_MT_TEMPLATE_TOKENS;
  const completion = mockTokens(translated);
  return {
    status: 200,
    body: {
      choices: [{ message: { role: 'assistant', content: translated }, finish_reason: 'stop', index: 0, logprobs: null }],
      object: 'chat.completion',
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
      created: Math.floor(Date.now() / 1000),
      system_fingerprint: null,
      model: body.model,
      id: `chatcmpl-${randomUUID()}`,
    },
  };
}

export function startDashscopeMock(apiKey = DASHSCOPE_TEST_KEY): Promise<MockUpstream> {
  return MockUpstream.start({
    routes: [
      {
        method: 'POST',
        path: '/compatible-mode/v1/chat/completions',
        handle(req, res, { mock }) {
          // Model Studio's own wording for a wrong key, rather than the mock server's generic one.
          if (req.headers.authorization !== `Bearer ${apiKey}`) return mock.sendJson(res, 401, dashscopeErrorBody(401, 'Incorrect API key provided. '));
          const { status, body } = complete(req);
          mock.sendJson(res, status, body);
        },
      },
    ],
    errorBody: dashscopeErrorBody,
  });
}

/** The mock's base URL, with Model Studio's compatible-mode path as in the real one. */
export function dashscopeBaseUrl(mock: MockUpstream): string {
  return `${mock.url}/compatible-mode/v1`;
}
