import http from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/errors';
import { openaiChat } from '../../src/providers/openai/chat';
import type { CallContext, ChatStream } from '../../src/providers/types';
import { ChatRequest, type ChatCompletionChunk } from '../../src/tasks/chat';
import { MockUpstream, writeSse, type Route } from '../helpers/mock-upstream';
import { openaiChatDialect, openaiChatRoutes, openaiRateLimitHeaders } from '../mocks/openai/chat';

const KEY = 'sk-test-openai';
let mock: MockUpstream;

beforeAll(async () => {
  mock = await MockUpstream.start({
    routes: openaiChatRoutes,
    errorBody: openaiChatDialect.error,
    authorize: (req) => req.headers.authorization === `Bearer ${KEY}`,
  });
});
afterAll(() => mock.close());
beforeEach(() => mock.clearFaults());

function ctx(overrides: Partial<CallContext> = {}, baseUrl = `${mock.url}/v1`): CallContext {
  return {
    provider: 'openai',
    providerModelId: 'gpt-4o-mini',
    credentials: { apiKey: KEY, baseUrl, extra: {} },
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    requestId: 'req_test',
    ...overrides,
  };
}

function chatRequest(extra: Record<string, unknown> = {}): ChatRequest {
  return ChatRequest.parse({
    model: 'openai/gpt-4o-mini',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello there' },
    ],
    ...extra,
  });
}

async function collect(stream: ChatStream): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function upstreamError(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }];

describe('openai chat adapter', () => {
  it('answers a chat job with the upstream completion and the tokens OpenAI reported', async () => {
    const { result, units } = await openaiChat.chat(chatRequest(), ctx());
    expect(result.choices[0]?.message.content).toBe('echo: Hello there');
    expect(result.id).toMatch(/^chatcmpl-/);
    expect(result.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 });
    // The system message is the cached prefix: priced apart, so it leaves input_tokens.
    expect(units).toEqual({ input_tokens: 5, cached_input_tokens: 5, output_tokens: 3 });
  });

  it('sends the provider model id, the token limit as max_completion_tokens, and no Switchyard fields', async () => {
    await openaiChat.chat(chatRequest({ max_tokens: 50, provider: { order: ['openai'] }, temperature: null }), ctx());
    const sent = mock.lastRequest!.json;
    expect(sent.model).toBe('gpt-4o-mini');
    expect(sent.max_completion_tokens).toBe(50);
    expect(sent).not.toHaveProperty('max_tokens');
    expect(sent).not.toHaveProperty('provider');
    expect(sent).not.toHaveProperty('temperature');
    expect(sent).not.toHaveProperty('stream_options');
    expect(mock.lastRequest!.path).toBe('/v1/chat/completions');
  });

  it('sends OPENAI_ORGANIZATION and OPENAI_PROJECT as OpenAI headers', async () => {
    const base = ctx();
    await openaiChat.chat(chatRequest(), { ...base, credentials: { ...base.credentials, extra: { organization: 'org-1', project: 'proj-1' } } });
    expect(mock.lastRequest!.headers['openai-organization']).toBe('org-1');
    expect(mock.lastRequest!.headers['openai-project']).toBe('proj-1');
  });

  it('returns tool calls when the model calls a tool', async () => {
    const { result } = await openaiChat.chat(chatRequest({ tools, messages: [{ role: 'user', content: 'call get_weather for Paris' }] }), ctx());
    expect(result.choices[0]?.finish_reason).toBe('tool_calls');
    expect(result.choices[0]?.message.tool_calls?.[0]?.function).toEqual({ name: 'get_weather', arguments: '{"text":"call get_weather for Paris"}' });
  });

  it('streams chunks, asks for usage, and ends with the usage chunk', async () => {
    const chunks = await collect(await openaiChat.chatStream(chatRequest({ stream: true }), ctx()));
    expect(mock.lastRequest!.json.stream_options).toEqual({ include_usage: true });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('echo: Hello there');
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 5 } });
  });

  it('streams tool call arguments in pieces that add up', async () => {
    const request = chatRequest({ stream: true, tools, messages: [{ role: 'user', content: 'use get_weather now' }] });
    const chunks = await collect(await openaiChat.chatStream(request, ctx()));
    const args = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []).map((t) => t.function?.arguments ?? '').join('');
    expect(JSON.parse(args)).toEqual({ text: 'use get_weather now' });
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'tool_calls')).toBe(true);
  });

  it('detects a stream cut halfway', async () => {
    mock.failNext({ kind: 'cut', afterEvents: 2 });
    const stream = await openaiChat.chatStream(chatRequest({ stream: true }), ctx());
    expect(await upstreamError(collect(stream))).toMatchObject({ kind: 'protocol', isRetryable: true });
  });
});

describe('openai chat failures', () => {
  it('maps 429 with Retry-After to a retryable error carrying the wait', async () => {
    mock.failNext({ kind: 'status', status: 429, message: 'Rate limit reached for requests', headers: { 'retry-after': '2', ...openaiRateLimitHeaders(0) } });
    const error = await upstreamError(openaiChat.chat(chatRequest(), ctx()));
    expect(error).toMatchObject({ kind: 'http', statusCode: 429, isRetryable: true, retryAfterMs: 2000 });
    expect(error.message).toContain('Rate limit reached for requests');
  });

  it.each([500, 503])('maps %i to a retryable error', async (status) => {
    mock.failNext({ kind: 'status', status });
    expect(await upstreamError(openaiChat.chat(chatRequest(), ctx()))).toMatchObject({ statusCode: status, isRetryable: true });
  });

  it('maps 500 before a stream starts to a retryable error from chatStream', async () => {
    mock.failNext({ kind: 'status', status: 500 });
    expect(await upstreamError(openaiChat.chatStream(chatRequest({ stream: true }), ctx()))).toMatchObject({ statusCode: 500, isRetryable: true });
  });

  it('times out when upstream hangs past ctx.timeoutMs', async () => {
    mock.failNext({ kind: 'hang' });
    expect(await upstreamError(openaiChat.chat(chatRequest(), ctx({ timeoutMs: 200 })))).toMatchObject({ kind: 'timeout', isRetryable: true });
  });

  it('maps a reset connection to kind connect', async () => {
    mock.failNext({ kind: 'reset' });
    expect(await upstreamError(openaiChat.chat(chatRequest(), ctx()))).toMatchObject({ kind: 'connect', isRetryable: true });
  });

  it('maps malformed JSON to kind protocol', async () => {
    mock.failNext({ kind: 'malformed' });
    expect(await upstreamError(openaiChat.chat(chatRequest(), ctx()))).toMatchObject({ kind: 'protocol' });
  });

  it('returns a 400 as not retryable, with OpenAI’s message', async () => {
    mock.failNext({ kind: 'status', status: 400, message: "Invalid value for 'temperature'" });
    const error = await upstreamError(openaiChat.chat(chatRequest(), ctx()));
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain("Invalid value for 'temperature'");
  });

  it('returns a wrong key as a 401 that is not retryable', async () => {
    const base = ctx();
    const error = await upstreamError(openaiChat.chat(chatRequest(), { ...base, credentials: { ...base.credentials, apiKey: 'sk-wrong' } }));
    expect(error).toMatchObject({ statusCode: 401, isRetryable: false });
    expect(error.message).toContain('Invalid authentication');
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await upstreamError(openaiChat.chat(chatRequest(), ctx({ signal: controller.signal })))).toMatchObject({ kind: 'aborted' });
  });
});

describe('openai chat streams that break the format', () => {
  // An upstream whose behaviour is picked by the model id, for what the fault queue cannot express.
  const chunk = (content: string) =>
    JSON.stringify({ id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] });
  const odd: Route = {
    method: 'POST',
    path: /\/chat\/completions$/,
    handle(req, res: http.ServerResponse, routeCtx) {
      const model = String(req.json.model);
      if (req.json.stream !== true) {
        const message = { role: 'assistant', content: 'three words here' };
        return routeCtx.mock.sendJson(res, 200, { id: 'chatcmpl-x', object: 'chat.completion', created: 1, model, choices: [{ index: 0, message, finish_reason: 'stop' }] });
      }
      if (model === 'no-done') return writeSse(res, [{ data: chunk('partial') }], null);
      if (model === 'bad-chunk') return writeSse(res, [{ data: chunk('a') }, { data: '{"id": ' }, { data: '[DONE]' }], null);
      if (model === 'mid-error') return writeSse(res, [{ data: chunk('a') }, { data: '{"error":{"message":"The server had an error while processing your request.","type":"server_error"}}' }], null);
      if (model === 'no-usage') return writeSse(res, [{ data: chunk('four words of output') }, { data: '[DONE]' }], null);
      return writeSse(res, [{ data: '{"object":"something.else"}' }, { data: '[DONE]' }], null);
    },
  };
  let oddMock: MockUpstream;
  beforeAll(async () => {
    oddMock = await MockUpstream.start({ routes: [odd], errorBody: openaiChatDialect.error });
  });
  afterAll(() => oddMock.close());

  const streamOf = async (model: string) => collect(await openaiChat.chatStream(chatRequest({ stream: true }), ctx({ providerModelId: model }, oddMock.url)));

  it('throws a protocol error when the stream ends without [DONE]', async () => {
    expect(await upstreamError(streamOf('no-done'))).toMatchObject({ kind: 'protocol', message: expect.stringContaining('ended before') });
  });

  it('throws a protocol error on a chunk that is not JSON', async () => {
    expect(await upstreamError(streamOf('bad-chunk'))).toMatchObject({ kind: 'protocol' });
  });

  it('throws a protocol error on a chunk of another shape', async () => {
    expect(await upstreamError(streamOf('other-shape'))).toMatchObject({ kind: 'protocol' });
  });

  it('throws with the provider’s message when an error arrives mid-stream', async () => {
    const error = await upstreamError(streamOf('mid-error'));
    expect(error.message).toContain('The server had an error while processing your request.');
  });

  it('measures the units itself when a completion carries no usage', async () => {
    const { units } = await openaiChat.chat(chatRequest(), ctx({ providerModelId: 'no-usage' }, oddMock.url));
    expect(units.output_tokens).toBe(3);
    expect(units.input_tokens).toBeGreaterThan(0);
    expect(units.cached_input_tokens).toBe(0);
  });

  it('measures usage itself when the host reports none', async () => {
    const chunks = await streamOf('no-usage');
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toMatchObject({ completion_tokens: 4, prompt_tokens_details: { cached_tokens: 0 } });
    expect(chunks.at(-1)?.usage?.prompt_tokens).toBeGreaterThan(0);
  });
});

describe('the OpenAI mock, driven by the official openai SDK', () => {
  const client = () => new OpenAI({ apiKey: KEY, baseURL: `${mock.url}/v1`, maxRetries: 0 });

  it('creates a completion', async () => {
    const completion = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi SDK' }] });
    expect(completion.choices[0]?.message.content).toBe('echo: Hi SDK');
    expect(completion.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
  });

  it('consumes a stream with its usage chunk', async () => {
    const stream = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi stream' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let total = 0;
    for await (const part of stream) {
      text += part.choices[0]?.delta.content ?? '';
      total = part.usage?.total_tokens ?? total;
    }
    expect(text).toBe('echo: Hi stream');
    expect(total).toBe(8);
  });

  it('surfaces the mock’s 429 as the SDK’s RateLimitError', async () => {
    mock.failNext({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    await expect(client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });
});
