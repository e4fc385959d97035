// The Anthropic mock: POST /v1/messages in Anthropic's real format (x-api-key, anthropic-version,
// Message objects, named SSE events, {"type":"error"} bodies), shaped after anthropic-sdk-typescript.
// It echoes the last user text, calls the first (or the forced) tool when tools are offered, and
// answers a tool result with "Tool result: …". A user text containing ANTHROPIC_MOCK_OVERLOADED
// makes a stream fail after message_start with `event: error` overloaded_error.
import type http from 'node:http';
import { MockUpstream, writeSse, type RecordedRequest, type Route, type RouteContext } from '../helpers/mock-upstream';

export const ANTHROPIC_TEST_KEY = 'sk-ant-test';
export const ANTHROPIC_MOCK_OVERLOADED = '[mock:overloaded]';

export interface AnthropicMockOptions {
  apiKey?: string;
  /** Prompt tokens reported as read from the prompt cache (taken out of input_tokens). */
  cacheReadTokens?: number;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

export function anthropicErrorBody(status: number, message: string) {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message }, request_id: `req_mock${status}` };
}

export function startAnthropicMock(options: AnthropicMockOptions = {}): Promise<MockUpstream> {
  const apiKey = options.apiKey ?? ANTHROPIC_TEST_KEY;
  const route: Route = { method: 'POST', path: /\/v1\/messages$/, handle: (req, res, ctx) => handleMessages(req, res, ctx, options) };
  return MockUpstream.start({
    routes: [route],
    errorBody: anthropicErrorBody,
    // The API takes the key as x-api-key, or (API version 2026-10-21, SDK 1.x) as a Bearer token.
    authorize: (req) => req.headers['x-api-key'] === apiKey || req.headers.authorization === `Bearer ${apiKey}`,
  });
}

interface Block {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
}
interface Turn {
  role: string;
  content: string | Block[];
}

function handleMessages(req: RecordedRequest, res: http.ServerResponse, ctx: RouteContext, options: AnthropicMockOptions): void {
  const fail = (message: string) => ctx.mock.sendJson(res, 400, anthropicErrorBody(400, message));
  if (!req.headers['anthropic-version']) return fail('anthropic-version: header is required');
  const body = req.json as Record<string, any> | undefined;
  const problem = validate(body);
  if (problem) return fail(problem);
  const reply = answer(body!, options);
  if (body!.stream) return streamReply(res, ctx, reply);
  ctx.mock.sendJson(res, 200, reply.message, rateLimitHeaders());
}

/** The checks the real API makes that a careless translation would trip. */
function validate(body: Record<string, any> | undefined): string | null {
  if (!body) return 'Request body must be JSON';
  if (typeof body.model !== 'string') return 'model: Field required';
  if (!Number.isInteger(body.max_tokens)) return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: at least one message is required';
  if (body.temperature !== undefined && (body.temperature < 0 || body.temperature > 1)) return 'temperature: range: 0..1';
  const turns = body.messages as Turn[];
  for (const [i, turn] of turns.entries()) {
    if (turn.role !== 'user' && turn.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    const blocks = typeof turn.content === 'string' ? [] : turn.content;
    if (blocks.some((b) => b.type === 'text' && !b.text)) return `messages.${i}: text content blocks must be non-empty`;
    const toolUses = blocks.filter((b) => b.type === 'tool_use').map((b) => b.id);
    if (!toolUses.length) continue;
    const next = turns[i + 1];
    const results = next && typeof next.content !== 'string' ? next.content.filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id) : [];
    if (toolUses.some((id) => !results.includes(id))) {
      return `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${toolUses.join(', ')}`;
    }
  }
  return null;
}

interface Reply {
  message: Record<string, any>;
  text: string | null;
  toolUse: { id: string; name: string; input: Record<string, unknown> } | null;
  overloaded: boolean;
}

function answer(body: Record<string, any>, options: AnthropicMockOptions): Reply {
  const turns = body.messages as Turn[];
  const last = turns.at(-1)!;
  const blocks: Block[] = typeof last.content === 'string' ? [{ type: 'text', text: last.content }] : last.content;
  const userText = blocks.filter((b) => b.type === 'text').map((b) => b.text).join(' ');
  const images = blocks.filter((b) => b.type === 'image').length;
  const toolResults = blocks.filter((b) => b.type === 'tool_result');
  const tools = (body.tools ?? []) as { name: string; input_schema?: { properties?: Record<string, { type?: string }> } }[];
  const choice = body.tool_choice as { type: string; name?: string } | undefined;

  let text: string | null = null;
  let toolUse: Reply['toolUse'] = null;
  let stopReason = 'end_turn';
  let stopSequence: string | null = null;
  if (toolResults.length) {
    text = `Tool result: ${toolResults.map((b) => contentText(b.content)).join('; ')}`;
  } else if (tools.length && choice?.type !== 'none') {
    const tool = tools.find((t) => t.name === choice?.name) ?? tools[0]!;
    toolUse = { id: `toolu_mock${turns.length}`, name: tool.name, input: argumentsFor(tool.input_schema?.properties ?? {}, userText) };
    stopReason = 'tool_use';
  } else {
    let words = `Echo: ${userText}${images ? ` [${images} image${images > 1 ? 's' : ''}]` : ''}`.split(/\s+/).filter(Boolean);
    if (words.length > body.max_tokens) {
      words = words.slice(0, body.max_tokens);
      stopReason = 'max_tokens';
    }
    text = words.join(' ');
    for (const stop of (body.stop_sequences ?? []) as string[]) {
      const at = text.indexOf(stop);
      if (at !== -1) {
        text = text.slice(0, at);
        stopReason = 'stop_sequence';
        stopSequence = stop;
      }
    }
  }

  const promptTokens = Math.ceil(JSON.stringify([body.system ?? '', body.messages, body.tools ?? []]).length / 4);
  const cacheRead = Math.min(options.cacheReadTokens ?? 0, promptTokens);
  const outputTokens = text !== null ? Math.max(1, text.split(/\s+/).filter(Boolean).length) : Math.ceil(JSON.stringify(toolUse!.input).length / 4);
  const content = [
    ...(text !== null ? [{ type: 'text', text }] : []),
    ...(toolUse ? [{ type: 'tool_use', ...toolUse }] : []),
  ];
  const message = {
    id: `msg_mock${String(turns.length).padStart(4, '0')}`,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content,
    stop_reason: stopReason,
    stop_sequence: stopSequence,
    usage: {
      input_tokens: promptTokens - cacheRead,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: cacheRead,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      output_tokens: outputTokens,
      service_tier: 'standard',
    },
  };
  return { message, text, toolUse, overloaded: userText.includes(ANTHROPIC_MOCK_OVERLOADED) };
}

/** String properties get the user's text, numbers 42, booleans true: enough to see arguments travel. */
function argumentsFor(properties: Record<string, { type?: string }>, userText: string): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(properties)) {
    input[name] = schema.type === 'number' || schema.type === 'integer' ? 42 : schema.type === 'boolean' ? true : userText;
  }
  return input;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((b: Block) => b.text ?? '').join('');
  return '';
}

function streamReply(res: http.ServerResponse, ctx: RouteContext, reply: Reply): void {
  const { message } = reply;
  const event = (type: string, data: Record<string, unknown>) => ({ event: type, data: JSON.stringify({ type, ...data }) });
  const events = [
    event('message_start', {
      message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...message.usage, output_tokens: 1 } },
    }),
    event('ping', {}),
  ];
  if (reply.overloaded) {
    events.push(event('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }));
    return writeSse(res, events, ctx.cutAfterEvents);
  }
  let index = 0;
  if (reply.text !== null) {
    events.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
    for (const piece of reply.text.match(/\S+\s*/g) ?? []) events.push(event('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }));
    events.push(event('content_block_stop', { index }));
    index++;
  }
  if (reply.toolUse) {
    const json = JSON.stringify(reply.toolUse.input);
    const half = Math.ceil(json.length / 2);
    events.push(event('content_block_start', { index, content_block: { type: 'tool_use', id: reply.toolUse.id, name: reply.toolUse.name, input: {} } }));
    for (const part of [json.slice(0, half), json.slice(half)]) events.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: part } }));
    events.push(event('content_block_stop', { index }));
  }
  events.push(
    event('message_delta', {
      delta: { stop_reason: message.stop_reason, stop_sequence: message.stop_sequence },
      usage: { output_tokens: message.usage.output_tokens },
    }),
    event('message_stop', {}),
  );
  writeSse(res, events, ctx.cutAfterEvents);
}

function rateLimitHeaders(): Record<string, string> {
  const reset = new Date(Date.now() + 60_000).toISOString();
  return {
    'request-id': 'req_mock',
    'anthropic-ratelimit-requests-limit': '50',
    'anthropic-ratelimit-requests-remaining': '49',
    'anthropic-ratelimit-requests-reset': reset,
    'anthropic-ratelimit-tokens-limit': '40000',
    'anthropic-ratelimit-tokens-remaining': '39000',
    'anthropic-ratelimit-tokens-reset': reset,
  };
}
