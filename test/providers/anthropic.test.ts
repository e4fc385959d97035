import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequest, UpstreamError } from '../../src/errors';
import { anthropicChat } from '../../src/providers/anthropic/chat';
import { anthropicProvider } from '../../src/providers/anthropic/index';
import type { CallContext } from '../../src/providers/types';
import { ChatRequest, type ChatCompletionChunk } from '../../src/tasks/chat';
import type { MockUpstream } from '../helpers/mock-upstream';
import { ANTHROPIC_MOCK_OVERLOADED, ANTHROPIC_TEST_KEY, startAnthropicMock } from '../mocks/anthropic';

let mock: MockUpstream;

beforeAll(async () => {
  mock = await startAnthropicMock();
});
afterAll(() => mock.close());
beforeEach(() => mock.clearFaults());

function ctx(overrides: Partial<CallContext> = {}, extra: Record<string, string> = {}): CallContext {
  return {
    provider: 'anthropic',
    providerModelId: 'claude-sonnet-4-5',
    credentials: { apiKey: ANTHROPIC_TEST_KEY, baseUrl: mock.url, extra },
    timeoutMs: 5_000,
    signal: new AbortController().signal,
    requestId: 'req_test',
    ...overrides,
  };
}

const ask = (text: string, extra: Record<string, unknown> = {}) => ChatRequest.parse({ messages: [{ role: 'user', content: text }], ...extra });

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

describe('anthropic chat', () => {
  it('is registered as the anthropic provider with the public base URL', () => {
    expect(anthropicProvider).toMatchObject({ id: 'anthropic', defaultBaseUrl: 'https://api.anthropic.com', chat: anthropicChat });
  });

  it('answers a chat job as an OpenAI chat completion and bills Anthropic-reported tokens', async () => {
    const { result, units } = await anthropicChat.chat(ask('Hello there', { temperature: 0.2, stop: 'STOP' }), ctx());
    expect(result.object).toBe('chat.completion');
    expect(result.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'Echo: Hello there' });
    expect(result.choices[0]!.finish_reason).toBe('stop');
    const sent = mock.lastRequest!;
    expect(sent.path).toBe('/v1/messages');
    expect(sent.headers['x-api-key']).toBe(ANTHROPIC_TEST_KEY);
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.json).toMatchObject({ model: 'claude-sonnet-4-5', max_tokens: 4096, temperature: 0.2, stop_sequences: ['STOP'] });
    expect(units.input_tokens).toBeGreaterThan(0);
    expect(units).toEqual({ input_tokens: result.usage!.prompt_tokens, cached_input_tokens: 0, output_tokens: 3 });
    expect(result.usage).toMatchObject({ completion_tokens: 3, total_tokens: result.usage!.prompt_tokens + 3 });
  });

  it('splits prompt-cache reads out of the input tokens', async () => {
    const cached = await startAnthropicMock({ cacheReadTokens: 5 });
    try {
      const { result, units } = await anthropicChat.chat(ask('Hello cache'), { ...ctx(), credentials: { apiKey: ANTHROPIC_TEST_KEY, baseUrl: cached.url, extra: {} } });
      expect(units.cached_input_tokens).toBe(5);
      expect(result.usage!.prompt_tokens_details?.cached_tokens).toBe(5);
      expect(result.usage!.prompt_tokens).toBe(units.input_tokens! + 5);
    } finally {
      await cached.close();
    }
  });

  it('moves system and developer messages to `system`, merges same-role turns and sends images', async () => {
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    const request = ChatRequest.parse({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in English.' }] },
        { role: 'user', content: 'First part.' },
        { role: 'user', content: [{ type: 'text', text: 'Look:' }, { type: 'image_url', image_url: { url: png } }, { type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } }] },
      ],
      max_completion_tokens: 50,
    });
    const { result } = await anthropicChat.chat(request, ctx());
    expect(result.choices[0]!.message.content).toBe('Echo: First part. Look: [2 images]');
    const sent = mock.lastRequest!.json;
    expect(sent.system).toBe('Be brief.\n\nAnswer in English.');
    expect(sent.max_tokens).toBe(50);
    expect(sent.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'First part.' },
          { type: 'text', text: 'Look:' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
        ],
      },
    ]);
  });

  it('uses the configured default max_tokens when the request sets none, and reports length', async () => {
    const { result } = await anthropicChat.chat(ask('one two three four five'), ctx({}, { default_max_tokens: '3' }));
    expect(mock.lastRequest!.json.max_tokens).toBe(3);
    expect(result.choices[0]!.finish_reason).toBe('length');
  });

  it('rejects n > 1, which Anthropic cannot serve', async () => {
    await expect(anthropicChat.chat(ask('hi', { n: 2 }), ctx())).rejects.toBeInstanceOf(InvalidRequest);
  });

  it('round-trips a tool call: tool_use → tool_calls, tool message → tool_result', async () => {
    const first = await anthropicChat.chat(ask('Paris', { tools: [weatherTool], tool_choice: 'required', parallel_tool_calls: false }), ctx());
    expect(mock.lastRequest!.json.tools).toEqual([{ name: 'get_weather', description: 'Weather for a city', input_schema: weatherTool.function.parameters }]);
    expect(mock.lastRequest!.json.tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
    const choice = first.result.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]!;
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });

    const followUp = ChatRequest.parse({
      messages: [
        { role: 'user', content: 'Paris' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '21°C and sunny' },
      ],
      tools: [weatherTool],
    });
    const second = await anthropicChat.chat(followUp, ctx());
    expect(second.result.choices[0]!.message.content).toBe('Tool result: 21°C and sunny');
    expect(mock.lastRequest!.json.messages.slice(1)).toEqual([
      { role: 'assistant', content: [{ type: 'tool_use', id: call.id, name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '21°C and sunny' }] },
    ]);
  });

  it('streams text as OpenAI chunks and ends with a usage chunk', async () => {
    const chunks = await collect(await anthropicChat.chatStream(ask('Stream this please'), ctx()));
    expect(mock.lastRequest!.json.stream).toBe(true);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Echo: Stream this please');
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]!.finish_reason).toBe('stop');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: 4 });
    expect(last.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('streams a tool call with its arguments in pieces', async () => {
    const chunks = await collect(await anthropicChat.chatStream(ask('Rome', { tools: [weatherTool] }), ctx()));
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, id: 'toolu_mock1', type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(JSON.parse(calls.map((c) => c.function?.arguments ?? '').join(''))).toEqual({ city: 'Rome' });
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('detects a stream cut before message_stop', async () => {
    mock.failNext({ kind: 'cut', afterEvents: 4 });
    const stream = await anthropicChat.chatStream(ask('This stream will be cut short'), ctx());
    const error = await failure(collect(stream));
    expect(error.kind).toBe('protocol');
    expect(error.message).toContain('stream ended before it was complete');
    expect(error.isRetryable).toBe(true);
  });

  it('turns a mid-stream overloaded_error event into a retryable 529', async () => {
    const stream = await anthropicChat.chatStream(ask(`busy ${ANTHROPIC_MOCK_OVERLOADED}`), ctx());
    const error = await failure(collect(stream));
    expect(error).toMatchObject({ kind: 'http', statusCode: 529, isRetryable: true });
    expect(error.message).toContain('Overloaded');
  });

  describe('failures', () => {
    it('429 with retry-after is retryable after that delay', async () => {
      mock.failNext({ kind: 'status', status: 429, message: 'Number of request tokens has exceeded your rate limit', headers: { 'retry-after': '7' } });
      const error = await failure(anthropicChat.chat(ask('hi'), ctx()));
      expect(error).toMatchObject({ statusCode: 429, isRetryable: true, retryAfterMs: 7000 });
      expect(error.message).toContain('exceeded your rate limit');
    });

    it.each([500, 503, 529])('%i is retryable', async (status) => {
      mock.failNext({ kind: 'status', status });
      const error = await failure(anthropicChat.chat(ask('hi'), ctx()));
      expect(error).toMatchObject({ kind: 'http', statusCode: status, isRetryable: true });
    });

    it('a stream refused with 529 fails before any chunk', async () => {
      mock.failNext({ kind: 'status', status: 529, message: 'Overloaded' });
      const error = await failure(anthropicChat.chatStream(ask('hi'), ctx()));
      expect(error).toMatchObject({ statusCode: 529, isRetryable: true });
    });

    it('a hang past timeoutMs is a timeout', async () => {
      mock.failNext({ kind: 'hang' });
      const error = await failure(anthropicChat.chat(ask('hi'), ctx({ timeoutMs: 200 })));
      expect(error).toMatchObject({ kind: 'timeout', isRetryable: true });
    });

    it('a reset connection is a connect failure', async () => {
      mock.failNext({ kind: 'reset' });
      const error = await failure(anthropicChat.chat(ask('hi'), ctx()));
      expect(error).toMatchObject({ kind: 'connect', isRetryable: true });
    });

    it('malformed JSON is a protocol failure', async () => {
      mock.failNext({ kind: 'malformed' });
      const error = await failure(anthropicChat.chat(ask('hi'), ctx()));
      expect(error.kind).toBe('protocol');
    });

    it('400 is not retryable and carries Anthropic’s message', async () => {
      mock.failNext({ kind: 'status', status: 400, message: 'messages.0.content: Input should be a valid list' });
      const error = await failure(anthropicChat.chat(ask('hi'), ctx()));
      expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
      expect(error.message).toContain('messages.0.content: Input should be a valid list');
    });

    it('a wrong key is a 401 that is not retryable', async () => {
      const error = await failure(anthropicChat.chat(ask('hi'), { ...ctx(), credentials: { apiKey: 'sk-ant-wrong', baseUrl: mock.url, extra: {} } }));
      expect(error).toMatchObject({ statusCode: 401, isRetryable: false });
      expect(error.message).toContain('Invalid authentication');
    });
  });
});

describe('the Anthropic mock against the official SDK', () => {
  const client = () => new Anthropic({ apiKey: ANTHROPIC_TEST_KEY, baseURL: mock.url, maxRetries: 0 });

  it('creates a message', async () => {
    const message = await client().messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Hi SDK' }] });
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'Echo: Hi SDK' });
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.output_tokens).toBe(3);
  });

  it('streams a message and assembles it', async () => {
    const stream = client().messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Hi stream' }] });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const message = await stream.finalMessage();
    expect(texts.join('')).toBe('Echo: Hi stream');
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'Echo: Hi stream' });
    expect(message.usage.output_tokens).toBe(3);
  });

  it('streams a tool call the SDK parses into input', async () => {
    const stream = client().messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      messages: [{ role: 'user', content: 'Oslo' }],
    });
    const message = await stream.finalMessage();
    expect(message.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Oslo' } });
  });

  it('sends a mid-stream error event the SDK raises as an API error', async () => {
    const stream = client().messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: ANTHROPIC_MOCK_OVERLOADED }] });
    const error = await stream.finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
  });

  it('surfaces the mock’s error body as the SDK’s typed error', async () => {
    mock.failNext({ kind: 'status', status: 529, message: 'Overloaded' });
    const error = await client()
      .messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
  });
});
