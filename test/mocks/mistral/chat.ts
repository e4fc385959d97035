// Mistral chat completions, simulated with the OpenAI chat simulator in Mistral's dialect:
// `cmpl-` ids, plain usage that the last stream chunk always carries (no stream_options), and a
// strict request schema: unknown fields answer 422 (mistralai/client-ts ChatCompletionRequest).
import type { Route } from '../../helpers/mock-upstream';
import { chatCompletionsRoute, hex, isRecord, type ChatDialect } from '../openai/chat';

const MISTRAL_FIELDS = new Set([
  'model',
  'messages',
  'stream',
  'temperature',
  'top_p',
  'max_tokens',
  'stop',
  'random_seed',
  'metadata',
  'response_format',
  'tools',
  'tool_choice',
  'presence_penalty',
  'frequency_penalty',
  'n',
  'prediction',
  'parallel_tool_calls',
  'reasoning_effort',
  'prompt_mode',
  'guardrails',
  'prompt_cache_key',
  'service_tier',
  'safe_prompt',
]);

/** Message fields Mistral accepts besides role and content. */
const MESSAGE_FIELDS: Record<string, string[]> = {
  system: [],
  user: [],
  assistant: ['tool_calls', 'prefix'],
  tool: ['tool_call_id', 'name'],
};

export const mistralChatDialect: ChatDialect = {
  completionId: () => `cmpl-${hex(16)}`,
  systemFingerprint: null,
  usage: (c) => ({ prompt_tokens: c.prompt, total_tokens: c.prompt + c.completion, completion_tokens: c.completion }),
  streamUsage: 'finish_chunk',
  choiceFields: {},
  headers: () => ({ 'mistral-correlation-id': hex(16), 'x-ratelimitbysize-limit-minute': '500000', 'x-ratelimitbysize-remaining-minute': '499000' }),
  // Mistral answers validation failures with a pydantic detail list inside its error object.
  error: (status, message) =>
    status === 422
      ? { object: 'error', message: { detail: [{ type: 'extra_forbidden', loc: ['body'], msg: message }] }, type: 'invalid_request_message_error', param: null, code: null }
      : { object: 'error', message, type: status === 429 ? 'rate_limited' : status >= 500 ? 'internal_server_error' : 'invalid_request_error', param: null, code: String(status) },
  reject(body) {
    const field = Object.keys(body).find((name) => !MISTRAL_FIELDS.has(name));
    if (field) return { status: 422, message: `Extra inputs are not permitted: ${field}` };
    for (const message of Array.isArray(body.messages) ? body.messages : []) {
      if (!isRecord(message) || !(String(message.role) in MESSAGE_FIELDS)) return { status: 422, message: `Input tag '${String(message?.role)}' found using 'role' does not match any of the expected tags` };
      const extra = Object.keys(message).find((k) => k !== 'role' && k !== 'content' && !MESSAGE_FIELDS[String(message.role)]!.includes(k));
      if (extra) return { status: 422, message: `Extra inputs are not permitted: messages.${extra}` };
    }
    return null;
  },
};

export const mistralChatRoutes: Route[] = [chatCompletionsRoute(mistralChatDialect)];
