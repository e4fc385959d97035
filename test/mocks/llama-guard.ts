// A Llama Guard model behind an OpenAI-compatible chat completions endpoint, for any host's base
// path (/openai/v1, /v1, /v1/openai, /inference/v1): the last user turn is classified as
// `unsafe\nS1,S10` when it mentions an attack, `safe` otherwise, with token usage that counts the
// safety prompt the host's chat template adds. Bearer auth; OpenAI-style error bodies.
import { randomBytes } from 'node:crypto';
import { MockUpstream, type RecordedRequest, type Route } from '../helpers/mock-upstream';

export const LLAMA_GUARD_TEST_KEY = 'llama-guard-test-key';

/** Tokens the hosts' Llama Guard chat template adds around the conversation. */
export const GUARD_TEMPLATE_TOKENS = 180;

export function llamaGuardErrorBody(status: number, message: string) {
  const type = status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message, type, param: null, code: status === 401 ? 'invalid_api_key' : null } };
}

function verdictFor(text: string): string {
  return /attack/i.test(text) ? 'unsafe\nS1,S10' : 'safe';
}

function complete(req: RecordedRequest): { status: number; body: unknown } {
  const body = (req.json ?? {}) as { model?: unknown; messages?: unknown };
  const invalid = (message: string, param: string) => ({ status: 400, body: { error: { message, type: 'invalid_request_error', param, code: null } } });
  if (typeof body.model !== 'string' || body.model === '') return invalid("'model' is required", 'model');
  if (!Array.isArray(body.messages) || body.messages.length === 0) return invalid("'messages' must contain at least one message", 'messages');
  const last = body.messages.at(-1) as { role?: unknown; content?: unknown };
  if (typeof last.content !== 'string' || last.content === '') return invalid("'messages[].content' must be a non-empty string", 'messages');
  const content = verdictFor(last.content);
  const promptTokens = GUARD_TEMPLATE_TOKENS + Math.ceil([...last.content].length / 4);
  const completionTokens = content === 'safe' ? 2 : 7;
  return {
    status: 200,
    body: {
      id: `chatcmpl-${randomBytes(12).toString('hex')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      system_fingerprint: 'fp_guard',
    },
  };
}

export const llamaGuardRoutes: Route[] = [
  {
    method: 'POST',
    path: /\/chat\/completions$/,
    handle(req, res, { mock }) {
      const { status, body } = complete(req);
      mock.sendJson(res, status, body);
    },
  },
];

export function startLlamaGuardMock(apiKey = LLAMA_GUARD_TEST_KEY): Promise<MockUpstream> {
  return MockUpstream.start({
    routes: llamaGuardRoutes,
    errorBody: llamaGuardErrorBody,
    authorize: (req) => req.headers.authorization === `Bearer ${apiKey}`,
  });
}
