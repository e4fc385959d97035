// OpenAI chat completions, simulated. Answers are deterministic and derived from the request so
// tests can assert on them: "echo: <last user text>"; a tool call when `tools` are given and the
// last user message names one; Llama Guard verdicts when the model id contains "guard" ("unsafe\nS1,S10"
// when the last message contains the word "attack", else "safe"). Tokens are counted as words.
// Hosts that speak dialects of this format (Groq, DeepSeek, Mistral …) reuse the simulator with a
// ChatDialect naming their differences.
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { RecordedRequest, Route, RouteContext } from '../../helpers/mock-upstream';

export interface TokenCounts {
  prompt: number;
  completion: number;
  /** Prompt tokens "served from cache": everything before the last message. */
  cached: number;
}

export interface ChatDialect {
  completionId(): string;
  systemFingerprint: string | null;
  /** The host's usage object. */
  usage(counts: TokenCounts): Record<string, unknown>;
  /** OpenAI sends an extra `choices: []` chunk when asked (include_usage); Mistral and Fireworks put
   * usage on the finish chunk, always. */
  streamUsage: 'include_usage' | 'finish_chunk';
  /** Extra top-level fields (Groq's x_groq) on the completion, the first chunk and the finish chunk. */
  extras?: {
    completion?(id: string): Record<string, unknown>;
    firstChunk?(id: string): Record<string, unknown>;
    finishChunk?(id: string, counts: TokenCounts): Record<string, unknown>;
  };
  /** Per-choice fields OpenAI sends that some hosts do not (`logprobs: null`). */
  choiceFields: Record<string, unknown>;
  /** Headers on every answer (rate-limit state, request id). */
  headers(): Record<string, string>;
  /** The host's error body. */
  error(status: number, message: string): unknown;
  /** Why the host refuses a request it does not accept (status and message), or null. */
  reject(body: Record<string, unknown>): { status: number; message: string } | null;
  /** DeepSeek: SSE keep-alive comments before a stream, blank lines before a JSON answer. */
  keepAlive?: boolean;
}

type Plan = { kind: 'text'; text: string } | { kind: 'tool'; name: string; arguments: string };

export function chatCompletionsRoute(dialect: ChatDialect): Route {
  return { method: 'POST', path: /\/chat\/completions$/, handle: (req, res, ctx) => answerChat(dialect, req, res, ctx) };
}

function answerChat(dialect: ChatDialect, req: RecordedRequest, res: http.ServerResponse, ctx: RouteContext): void {
  const body: unknown = req.json;
  if (!isRecord(body) || typeof body.model !== 'string' || !Array.isArray(body.messages) || body.messages.length === 0) {
    return ctx.mock.sendJson(res, 400, dialect.error(400, 'model and messages are required'), dialect.headers());
  }
  const refusal = dialect.reject(body);
  if (refusal) return ctx.mock.sendJson(res, refusal.status, dialect.error(refusal.status, refusal.message), dialect.headers());
  const messages = body.messages.filter(isRecord);
  const plan = planAnswer(body.model, messages, body.tools);
  const counts = countTokens(messages, plan);
  const id = dialect.completionId();
  if (body.stream === true) {
    const options = isRecord(body.stream_options) ? body.stream_options : {};
    return streamAnswer(dialect, res, ctx, { id, model: body.model, plan, counts, includeUsage: options.include_usage === true });
  }
  const message =
    plan.kind === 'text'
      ? { role: 'assistant', content: plan.text, refusal: null, annotations: [] }
      : { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: toolCallId(), type: 'function', function: { name: plan.name, arguments: plan.arguments } }] };
  const completion = {
    id,
    object: 'chat.completion',
    created: nowSeconds(),
    model: body.model,
    choices: [{ index: 0, message, ...dialect.choiceFields, finish_reason: plan.kind === 'text' ? 'stop' : 'tool_calls' }],
    usage: dialect.usage(counts),
    ...(dialect.systemFingerprint ? { system_fingerprint: dialect.systemFingerprint } : {}),
    ...dialect.extras?.completion?.(id),
  };
  const text = JSON.stringify(completion);
  res.writeHead(200, { 'content-type': 'application/json', ...dialect.headers() });
  res.end(dialect.keepAlive ? `\n\n${text}` : text);
}

interface StreamJob {
  id: string;
  model: string;
  plan: Plan;
  counts: TokenCounts;
  includeUsage: boolean;
}

function streamAnswer(dialect: ChatDialect, res: http.ServerResponse, ctx: RouteContext, job: StreamJob): void {
  const created = nowSeconds();
  const head = {
    id: job.id,
    object: 'chat.completion.chunk',
    created,
    model: job.model,
    ...(dialect.systemFingerprint ? { system_fingerprint: dialect.systemFingerprint } : {}),
  };
  const usageNull = dialect.streamUsage === 'include_usage' && job.includeUsage ? { usage: null } : {};
  const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ ...head, choices: [{ index: 0, delta, ...dialect.choiceFields, finish_reason: finish }], ...usageNull, ...extra });

  const events: string[] = [];
  if (job.plan.kind === 'text') {
    events.push(chunk({ role: 'assistant', content: '' }, null, dialect.extras?.firstChunk?.(job.id)));
    for (const piece of words(job.plan.text)) events.push(chunk({ content: piece }));
  } else {
    const call = { index: 0, id: toolCallId(), type: 'function', function: { name: job.plan.name, arguments: '' } };
    events.push(chunk({ role: 'assistant', content: null, tool_calls: [call] }, null, dialect.extras?.firstChunk?.(job.id)));
    for (const piece of words(job.plan.arguments)) events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
  }
  const finish = job.plan.kind === 'text' ? 'stop' : 'tool_calls';
  const finishExtra = {
    ...dialect.extras?.finishChunk?.(job.id, job.counts),
    ...(dialect.streamUsage === 'finish_chunk' ? { usage: dialect.usage(job.counts) } : {}),
  };
  events.push(chunk(dialect.streamUsage === 'finish_chunk' ? { content: '' } : {}, finish, finishExtra));
  if (dialect.streamUsage === 'include_usage' && job.includeUsage) {
    events.push(JSON.stringify({ ...head, choices: [], usage: dialect.usage(job.counts) }));
  }
  events.push('[DONE]');
  writeChatSse(res, events, ctx.cutAfterEvents, dialect);
}

/**
 * writeSse's framing and cut behaviour, plus the host's headers and DeepSeek's `: keep-alive`
 * comments, which writeSse cannot send.
 */
function writeChatSse(res: http.ServerResponse, events: string[], cutAfter: number | null, dialect: ChatDialect): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...dialect.headers() });
  if (dialect.keepAlive) res.write(': keep-alive\n\n: keep-alive\n\n');
  let sent = 0;
  for (const data of events) {
    if (cutAfter !== null && sent >= cutAfter) {
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    res.write(`data: ${data}\n\n`);
    sent++;
  }
  res.end();
}

function planAnswer(model: string, messages: Record<string, unknown>[], tools: unknown): Plan {
  const last = messages.at(-1);
  const lastText = last ? textOf(last.content) : '';
  if (/guard/i.test(model)) return { kind: 'text', text: /\battack\b/i.test(lastText) ? 'unsafe\nS1,S10' : 'safe' };
  const userText = textOf([...messages].reverse().find((m) => m.role === 'user')?.content);
  const named = Array.isArray(tools)
    ? tools.map((t) => (isRecord(t) && isRecord(t.function) ? String(t.function.name) : '')).find((name) => name && userText.includes(name))
    : undefined;
  if (named) return { kind: 'tool', name: named, arguments: JSON.stringify({ text: userText }) };
  return { kind: 'text', text: `echo: ${userText}` };
}

function countTokens(messages: Record<string, unknown>[], plan: Plan): TokenCounts {
  const perMessage = messages.map((m) => words(textOf(m.content)).length + 3);
  const prompt = perMessage.reduce((a, b) => a + b, 0);
  const cached = perMessage.slice(0, -1).reduce((a, b) => a + b, 0);
  const completion = words(plan.kind === 'text' ? plan.text : plan.arguments).length + (plan.kind === 'tool' ? 1 : 0);
  return { prompt, completion, cached };
}

export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (isRecord(part) && part.type === 'text' ? String(part.text ?? '') : '')).join('');
}

/** Splits text into pieces that concatenate back to it, one per "token". */
function words(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

export function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function toolCallId(): string {
  return `call_${hex(12)}`;
}

/** OpenAI's error envelope (the shape of openaiErrorBody in ./index), for the route's own refusals. */
function openaiChatError(status: number, message: string) {
  const type = status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error';
  const code = status === 401 ? 'invalid_api_key' : status === 429 ? 'rate_limit_exceeded' : null;
  return { error: { message, type, param: null, code } };
}

export const openaiChatDialect: ChatDialect = {
  completionId: () => `chatcmpl-${hex(15)}`,
  systemFingerprint: 'fp_mock0openai',
  usage: (c) => ({
    prompt_tokens: c.prompt,
    completion_tokens: c.completion,
    total_tokens: c.prompt + c.completion,
    prompt_tokens_details: { cached_tokens: c.cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  }),
  streamUsage: 'include_usage',
  choiceFields: { logprobs: null },
  headers: () => openaiRateLimitHeaders(9999),
  error: openaiChatError,
  reject(body) {
    if (body.stream_options != null && body.stream !== true) {
      return { status: 400, message: "The 'stream_options' parameter is only allowed when 'stream' is enabled." };
    }
    return null;
  },
};

/** OpenAI's rate-limit headers; tests add them (with retry-after) to a queued 429. */
export function openaiRateLimitHeaders(remainingRequests: number): Record<string, string> {
  return {
    'x-request-id': `req_${hex(16)}`,
    'openai-processing-ms': '12',
    'x-ratelimit-limit-requests': '10000',
    'x-ratelimit-remaining-requests': String(remainingRequests),
    'x-ratelimit-reset-requests': remainingRequests > 0 ? '6ms' : '1s',
    'x-ratelimit-limit-tokens': '30000000',
    'x-ratelimit-remaining-tokens': remainingRequests > 0 ? '29999000' : '0',
    'x-ratelimit-reset-tokens': '0s',
  };
}

export const openaiChatRoutes: Route[] = [chatCompletionsRoute(openaiChatDialect)];
