import { Mistral } from '@mistralai/mistralai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/errors';
import { mistralChat } from '../../src/providers/mistral/chat';
import type { CallContext, ChatStream } from '../../src/providers/types';
import { ChatRequest, type ChatCompletionChunk } from '../../src/tasks/chat';
import { MockUpstream, writeSse, type Route } from '../helpers/mock-upstream';
import { mistralChatDialect, mistralChatRoutes } from '../mocks/mistral/chat';

const KEY = 'mistral-test-key';
let mock: MockUpstream;

beforeAll(async () => {
  mock = await MockUpstream.start({
    routes: mistralChatRoutes,
    errorBody: mistralChatDialect.error,
    authorize: (req) => req.headers.authorization === `Bearer ${KEY}`,
  });
});
afterAll(() => mock.close());
beforeEach(() => mock.clearFaults());

function ctx(overrides: Partial<CallContext> = {}, baseUrl = `${mock.url}/v1`): CallContext {
  return {
    provider: 'mistral',
    providerModelId: 'mistral-small-latest',
    credentials: { apiKey: KEY, baseUrl, extra: {} },
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    requestId: 'req_test',
    ...overrides,
  };
}

function chatRequest(extra: Record<string, unknown> = {}): ChatRequest {
  return ChatRequest.parse({
    model: 'mistralai/mistral-small',
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

describe('mistral chat adapter', () => {
  it('answers a chat job and reports Mistral’s token counts as units', async () => {
    const { result, units } = await mistralChat.chat(chatRequest(), ctx());
    expect(result.choices[0]?.message.content).toBe('echo: Hello there');
    expect(result.id).toMatch(/^cmpl-/);
    expect(units).toEqual({ input_tokens: 10, cached_input_tokens: 0, output_tokens: 3 });
  });

  it('sends only what Mistral accepts, under its names', async () => {
    const request = chatRequest({
      seed: 7,
      user: 'end-user-1',
      max_completion_tokens: 40,
      logit_bias: { '1': 2 },
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: 'Hello there', name: 'ann' },
      ],
    });
    const { result } = await mistralChat.chat(request, ctx());
    expect(result.choices[0]?.message.content).toBe('echo: Hello there');
    const sent = mock.lastRequest!.json;
    expect(sent).toMatchObject({ model: 'mistral-small-latest', random_seed: 7, max_tokens: 40 });
    expect(Object.keys(sent).sort()).toEqual(['max_tokens', 'messages', 'model', 'random_seed']);
    expect(sent.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello there' },
    ]);
  });

  it('streams without stream_options and captures the usage of the last chunk', async () => {
    const chunks = await collect(await mistralChat.chatStream(chatRequest({ stream: true }), ctx()));
    expect(mock.lastRequest!.json).not.toHaveProperty('stream_options');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('echo: Hello there');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 });
  });

  it('detects a stream cut halfway', async () => {
    mock.failNext({ kind: 'cut', afterEvents: 3 });
    expect(await upstreamError(collect(await mistralChat.chatStream(chatRequest({ stream: true }), ctx())))).toMatchObject({ kind: 'protocol' });
  });
});

describe('mistral chat failures', () => {
  it('maps 429 with Retry-After to a retryable error carrying the wait', async () => {
    mock.failNext({ kind: 'status', status: 429, message: 'Requests rate limit exceeded', headers: { 'retry-after': '4' } });
    const error = await upstreamError(mistralChat.chat(chatRequest(), ctx()));
    expect(error).toMatchObject({ statusCode: 429, isRetryable: true, retryAfterMs: 4000 });
    expect(error.message).toContain('Requests rate limit exceeded');
  });

  it.each([500, 503])('maps %i to a retryable error', async (status) => {
    mock.failNext({ kind: 'status', status });
    expect(await upstreamError(mistralChat.chat(chatRequest(), ctx()))).toMatchObject({ statusCode: status, isRetryable: true });
  });

  it('times out when Mistral hangs past ctx.timeoutMs', async () => {
    mock.failNext({ kind: 'hang' });
    expect(await upstreamError(mistralChat.chat(chatRequest(), ctx({ timeoutMs: 200 })))).toMatchObject({ kind: 'timeout' });
  });

  it('maps a reset connection to kind connect', async () => {
    mock.failNext({ kind: 'reset' });
    expect(await upstreamError(mistralChat.chat(chatRequest(), ctx()))).toMatchObject({ kind: 'connect' });
  });

  it('maps malformed JSON to kind protocol', async () => {
    mock.failNext({ kind: 'malformed' });
    expect(await upstreamError(mistralChat.chat(chatRequest(), ctx()))).toMatchObject({ kind: 'protocol' });
  });

  it('returns a 400 as not retryable, with Mistral’s message', async () => {
    mock.failNext({ kind: 'status', status: 400, message: 'Invalid model: mistral-nope' });
    const error = await upstreamError(mistralChat.chat(chatRequest(), ctx()));
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain('Invalid model: mistral-nope');
  });

  it('returns a 422 validation error as not retryable, with its detail', async () => {
    mock.failNext({ kind: 'status', status: 422, message: 'Extra inputs are not permitted: foo' });
    const error = await upstreamError(mistralChat.chat(chatRequest(), ctx()));
    expect(error).toMatchObject({ statusCode: 422, isRetryable: false });
    expect(error.message).toContain('Extra inputs are not permitted');
  });

  it('returns a wrong key as a 401 that is not retryable', async () => {
    const base = ctx();
    const error = await upstreamError(mistralChat.chat(chatRequest(), { ...base, credentials: { ...base.credentials, apiKey: 'nope' } }));
    expect(error).toMatchObject({ statusCode: 401, isRetryable: false });
  });
});

describe('mistral answers beyond OpenAI’s format', () => {
  // Magistral-style content chunks and Mistral's own finish reasons, which the simulator does not produce.
  const odd: Route = {
    method: 'POST',
    path: /\/chat\/completions$/,
    handle(req, res, routeCtx) {
      const head = { id: 'cmpl-odd', object: 'chat.completion', created: 1, model: 'magistral-small-latest' };
      if (req.json.stream !== true) {
        const content = [
          { type: 'thinking', thinking: [{ type: 'text', text: 'Let me think.' }] },
          { type: 'text', text: 'Answer' },
        ];
        const usage = { prompt_tokens: 4, completion_tokens: 9, total_tokens: 13 };
        return routeCtx.mock.sendJson(res, 200, { ...head, choices: [{ index: 0, message: { role: 'assistant', content, tool_calls: null, prefix: false }, finish_reason: 'model_length' }], usage });
      }
      const chunk = { ...head, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'par' }, finish_reason: 'error' }] };
      return writeSse(res, [{ data: JSON.stringify(chunk) }, { data: '[DONE]' }], null);
    },
  };
  let oddMock: MockUpstream;
  beforeAll(async () => {
    oddMock = await MockUpstream.start({ routes: [odd], errorBody: mistralChatDialect.error });
  });
  afterAll(() => oddMock.close());

  it('keeps the text of content chunks and maps model_length to length', async () => {
    const { result, units } = await mistralChat.chat(chatRequest(), ctx({}, `${oddMock.url}/v1`));
    expect(result.choices[0]?.message.content).toBe('Answer');
    expect(result.choices[0]?.finish_reason).toBe('length');
    expect(units).toEqual({ input_tokens: 4, cached_input_tokens: 0, output_tokens: 9 });
  });

  it('fails the stream when Mistral stops it with finish_reason "error"', async () => {
    const error = await upstreamError(collect(await mistralChat.chatStream(chatRequest({ stream: true }), ctx({}, `${oddMock.url}/v1`))));
    expect(error).toMatchObject({ kind: 'protocol', message: expect.stringContaining('finish_reason "error"') });
  });
});

describe('the Mistral chat mock, driven by @mistralai/mistralai', () => {
  const client = () => new Mistral({ apiKey: KEY, serverURL: mock.url });

  it('completes a chat', async () => {
    const response = await client().chat.complete({ model: 'mistral-small-latest', messages: [{ role: 'user', content: 'Hi Mistral' }] });
    expect(response.choices[0]?.message?.content).toBe('echo: Hi Mistral');
    expect(response.usage.promptTokens).toBe(5);
  });

  it('streams a chat with usage on the last event', async () => {
    const stream = await client().chat.stream({ model: 'mistral-small-latest', messages: [{ role: 'user', content: 'Hi stream' }] });
    let text = '';
    let total: number | undefined;
    for await (const event of stream) {
      const delta = event.data.choices[0]?.delta.content;
      text += typeof delta === 'string' ? delta : '';
      total = event.data.usage?.totalTokens ?? total;
    }
    expect(text).toBe('echo: Hi stream');
    expect(total).toBe(8);
  });
});
