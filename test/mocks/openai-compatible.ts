// The OpenAI-compatible hosts, mocked on 127.0.0.1: chat completions in each host's dialect of
// OpenAI's format (ids, usage fields, extras, keep-alives, error bodies, rate-limit headers) under
// the host's own base path. `startOpenAICompatibleMock('groq')` serves Groq; point the adapter at
// `hostBaseUrl(mock, 'groq')`.
import { randomUUID } from 'node:crypto';
import { MockUpstream } from '../helpers/mock-upstream';
import { chatCompletionsRoute, hex, isRecord, type ChatDialect, type TokenCounts } from './openai/chat';

export const COMPATIBLE_HOSTS = ['groq', 'together', 'fireworks', 'deepinfra', 'deepseek', 'ollama'] as const;
export type CompatibleHost = (typeof COMPATIBLE_HOSTS)[number];

/** Each host's base path, as in its real base URL (api.groq.com/openai/v1, api.deepseek.com …). */
export const HOST_BASE_PATHS: Record<CompatibleHost, string> = {
  groq: '/openai/v1',
  together: '/v1',
  fireworks: '/inference/v1',
  deepinfra: '/v1/openai',
  deepseek: '',
  ollama: '/v1',
};

export function hostTestKey(host: CompatibleHost): string {
  return `${host}-test-key`;
}

export function hostBaseUrl(mock: MockUpstream, host: CompatibleHost): string {
  return `${mock.url}${HOST_BASE_PATHS[host]}`;
}

/** Ollama ignores the key; every other host answers 401 without the right one. */
export function startOpenAICompatibleMock(host: CompatibleHost, apiKey = hostTestKey(host)): Promise<MockUpstream> {
  const dialect = HOST_DIALECTS[host];
  return MockUpstream.start({
    routes: [chatCompletionsRoute(dialect)],
    errorBody: dialect.error,
    authorize: host === 'ollama' ? undefined : (req) => req.headers.authorization === `Bearer ${apiKey}`,
  });
}

const plainUsage = (c: TokenCounts) => ({ prompt_tokens: c.prompt, completion_tokens: c.completion, total_tokens: c.prompt + c.completion });

/** {"error":{"message","type","param","code"}}, OpenAI's envelope, which most hosts copy. */
function openaiStyleError(type: (status: number) => string, code: (status: number) => string | null = () => null) {
  return (status: number, message: string) => ({ error: { message, type: type(status), param: null, code: code(status) } });
}

const GROQ_UNSUPPORTED = ['logprobs', 'logit_bias', 'top_logprobs'];

const groq: ChatDialect = {
  completionId: () => `chatcmpl-${randomUUID()}`,
  systemFingerprint: 'fp_mock0groq',
  usage: (c) => ({
    queue_time: 0.012,
    prompt_tokens: c.prompt,
    prompt_time: 0.004,
    completion_tokens: c.completion,
    completion_time: 0.021,
    total_tokens: c.prompt + c.completion,
    total_time: 0.025,
    prompt_tokens_details: { cached_tokens: c.cached },
  }),
  streamUsage: 'include_usage',
  extras: {
    completion: () => ({ x_groq: { id: `req_${hex(13)}` } }),
    firstChunk: () => ({ x_groq: { id: `req_${hex(13)}` } }),
    finishChunk: (_id, c) => ({ x_groq: { id: `req_${hex(13)}`, usage: groq.usage(c) } }),
  },
  choiceFields: { logprobs: null },
  headers: () => ({
    'x-request-id': `req_${hex(13)}`,
    'x-ratelimit-limit-requests': '14400',
    'x-ratelimit-limit-tokens': '6000',
    'x-ratelimit-remaining-requests': '14399',
    'x-ratelimit-remaining-tokens': '5990',
    'x-ratelimit-reset-requests': '6s',
    'x-ratelimit-reset-tokens': '100ms',
  }),
  error: openaiStyleError(
    (s) => (s === 429 ? 'tokens' : s >= 500 ? 'internal_server_error' : 'invalid_request_error'),
    (s) => (s === 401 ? 'invalid_api_key' : s === 429 ? 'rate_limit_exceeded' : null),
  ),
  // https://console.groq.com/docs/openai: these answer 400.
  reject(body) {
    const field = GROQ_UNSUPPORTED.find((name) => body[name] != null);
    if (field) return { status: 400, message: `'${field}' : property '${field}' is unsupported` };
    if (Array.isArray(body.messages) && body.messages.some((m) => isRecord(m) && m.name != null)) {
      return { status: 400, message: "'messages.0' : for 'role:user' the following must be satisfied[('messages.0.name' : property 'name' is unsupported)]" };
    }
    if (body.n != null && body.n !== 1) return { status: 400, message: "'n' : number must be at most 1" };
    return null;
  },
};

const together: ChatDialect = {
  completionId: () => hex(8) + '-' + hex(4),
  systemFingerprint: null,
  usage: plainUsage,
  streamUsage: 'include_usage',
  choiceFields: { logprobs: null },
  headers: () => ({ 'x-ratelimit-limit': '600', 'x-ratelimit-remaining': '599', 'x-ratelimit-reset': '1', 'x-request-id': hex(16) }),
  error: openaiStyleError(
    (s) => (s === 429 ? 'rate_limit_exceeded' : s >= 500 ? 'server_error' : 'invalid_request_error'),
    (s) => (s === 401 ? 'invalid_api_key' : null),
  ),
  reject: () => null,
};

// Fireworks wraps its errors as {"error":{"object":"error","type","message"}} and puts usage on
// the finish chunk of a stream.
const fireworks: ChatDialect = {
  completionId: () => randomUUID(),
  systemFingerprint: null,
  usage: (c) => ({ ...plainUsage(c), prompt_tokens_details: { cached_tokens: c.cached } }),
  streamUsage: 'finish_chunk',
  choiceFields: {},
  headers: () => ({ 'x-ratelimit-limit-requests': '6000', 'x-ratelimit-remaining-requests': '5999', 'fireworks-server-processing-time': '0.010' }),
  error: (status, message) => ({
    error: { object: 'error', type: status === 429 ? 'rate_limit_error' : status >= 500 ? 'internal_server_error' : 'invalid_request_error', message },
  }),
  reject: () => null,
};

const deepinfra: ChatDialect = {
  completionId: () => `chatcmpl-${hex(16)}`,
  systemFingerprint: null,
  usage: (c) => ({ ...plainUsage(c), prompt_tokens_details: c.cached ? { cached_tokens: c.cached } : null, estimated_cost: 0.0000123 }),
  streamUsage: 'include_usage',
  choiceFields: { logprobs: null },
  headers: () => ({ 'x-robots-tag': 'noindex' }),
  error: openaiStyleError((s) => (s >= 500 ? 'server_error' : 'invalid_request_error')),
  reject: () => null,
};

// DeepSeek: uuid ids, cache hits in its own usage fields, keep-alives while a request waits.
const deepseek: ChatDialect = {
  completionId: () => randomUUID(),
  systemFingerprint: 'fp_mock0deepseek_prod0820_fp8_kvcache',
  usage: (c) => ({
    ...plainUsage(c),
    prompt_tokens_details: { cached_tokens: c.cached },
    prompt_cache_hit_tokens: c.cached,
    prompt_cache_miss_tokens: c.prompt - c.cached,
  }),
  streamUsage: 'include_usage',
  choiceFields: { logprobs: null },
  headers: () => ({ 'x-ds-trace-id': hex(16) }),
  error: openaiStyleError(
    (s) => (s === 401 ? 'authentication_error' : s === 429 ? 'rate_limit_error' : s >= 500 ? 'server_error' : 'invalid_request_error'),
    () => 'invalid_request_error',
  ),
  reject: () => null,
  keepAlive: true,
};

const ollama: ChatDialect = {
  completionId: () => `chatcmpl-${Math.floor(Math.random() * 1000)}`,
  systemFingerprint: 'fp_ollama',
  usage: plainUsage,
  streamUsage: 'include_usage',
  choiceFields: {},
  headers: () => ({}),
  error: openaiStyleError((s) => (s === 400 ? 'invalid_request_error' : s === 404 ? 'not_found_error' : 'api_error')),
  reject: () => null,
};

export const HOST_DIALECTS: Record<CompatibleHost, ChatDialect> = { groq, together, fireworks, deepinfra, deepseek, ollama };
