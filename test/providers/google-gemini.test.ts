import { ApiError as GenAiApiError, GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/errors';
import { googleChat } from '../../src/providers/google/chat';
import { googleProvider } from '../../src/providers/google/index';
import { SKIP_THOUGHT_SIGNATURE } from '../../src/providers/google/request';
import type { CallContext } from '../../src/providers/types';
import { ChatRequest, type ChatCompletionChunk } from '../../src/tasks/chat';
import type { MockUpstream } from '../helpers/mock-upstream';
import { GOOGLE_MOCK_BLOCKED, GOOGLE_MOCK_STREAM_ERROR, GOOGLE_TEST_KEY, startGoogleMock } from '../mocks/google';

let mock: MockUpstream;

beforeAll(async () => {
  mock = await startGoogleMock();
});
afterAll(() => mock.close());
beforeEach(() => mock.clearFaults());

function ctx(overrides: Partial<CallContext> = {}, upstream: MockUpstream = mock): CallContext {
  return {
    provider: 'google',
    providerModelId: 'gemini-2.5-flash',
    credentials: { apiKey: GOOGLE_TEST_KEY, baseUrl: upstream.url, extra: {} },
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
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } },
};

describe('gemini chat', () => {
  it('is registered as the google provider with the public base URL', () => {
    expect(googleProvider).toMatchObject({ id: 'google', defaultBaseUrl: 'https://generativelanguage.googleapis.com', chat: googleChat });
  });

  it('answers a chat job as an OpenAI chat completion and bills the tokens Gemini reported', async () => {
    const { result, units } = await googleChat.chat(ask('Hello Gemini', { temperature: 0.3, top_p: 0.9, max_tokens: 100, stop: ['END'] }), ctx());
    expect(result.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'Echo: Hello Gemini' });
    expect(result.choices[0]!.finish_reason).toBe('stop');
    expect(result).toMatchObject({ object: 'chat.completion', id: 'mockresp1', model: 'gemini-2.5-flash' });
    const sent = mock.lastRequest!;
    expect(sent.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent.headers['x-goog-api-key']).toBe(GOOGLE_TEST_KEY);
    expect(sent.json).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Hello Gemini' }] }],
      generationConfig: { temperature: 0.3, topP: 0.9, maxOutputTokens: 100, stopSequences: ['END'] },
    });
    expect(units).toEqual({ input_tokens: result.usage!.prompt_tokens, cached_input_tokens: 0, output_tokens: 3 });
    expect(units.input_tokens).toBeGreaterThan(0);
  });

  it('bills thinking tokens as output and splits cached prompt tokens out of the input', async () => {
    const thinking = await startGoogleMock({ cachedTokens: 4, thoughtsTokens: 10 });
    try {
      const { result, units } = await googleChat.chat(ask('Think about it'), ctx({}, thinking));
      expect(units).toEqual({ input_tokens: result.usage!.prompt_tokens - 4, cached_input_tokens: 4, output_tokens: 4 + 10 });
      expect(result.usage).toMatchObject({ completion_tokens: 14, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 10 } });
    } finally {
      await thinking.close();
    }
  });

  it('sends system text as systemInstruction, the assistant as "model", images as inlineData and fileData', async () => {
    const request = ChatRequest.parse({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: [{ type: 'text', text: 'Look' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.jpg?size=2' } }] },
      ],
    });
    const { result } = await googleChat.chat(request, ctx());
    expect(result.choices[0]!.message.content).toBe('Echo: Look [2 images]');
    expect(mock.lastRequest!.json).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Hi' }] },
        { role: 'model', parts: [{ text: 'Hello!' }] },
        {
          role: 'user',
          parts: [{ text: 'Look' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }, { fileData: { fileUri: 'https://example.com/cat.jpg?size=2', mimeType: 'image/jpeg' } }],
        },
      ],
    });
  });

  it('asks for JSON with a schema and returns n candidates as n choices', async () => {
    const schema = { type: 'object', properties: { echo: { type: 'string' } }, required: ['echo'], additionalProperties: false };
    const { result } = await googleChat.chat(ask('json please', { n: 2, response_format: { type: 'json_schema', json_schema: { name: 'echo', schema } } }), ctx());
    expect(mock.lastRequest!.json.generationConfig).toEqual({ candidateCount: 2, responseMimeType: 'application/json', responseJsonSchema: schema });
    expect(result.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(JSON.parse(result.choices[0]!.message.content!)).toEqual({ echo: 'json please' });
  });

  it('reports MAX_TOKENS as length', async () => {
    const { result } = await googleChat.chat(ask('one two three four', { max_completion_tokens: 2 }), ctx());
    expect(result.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: 'Echo: one ' } });
  });

  it('round-trips a tool call: functionCall → tool_calls, tool message → functionResponse', async () => {
    const first = await googleChat.chat(ask('Paris', { tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'get_weather' } } }), ctx());
    expect(mock.lastRequest!.json.tools).toEqual([{ functionDeclarations: [{ name: 'get_weather', description: 'Weather for a city', parametersJsonSchema: weatherTool.function.parameters }] }]);
    expect(mock.lastRequest!.json.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
    const choice = first.result.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]!;
    expect(call.id).toMatch(/^call_/);
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });

    const followUp = ChatRequest.parse({
      messages: [
        { role: 'user', content: 'Paris' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '21°C and sunny' },
      ],
      tools: [weatherTool],
    });
    const second = await googleChat.chat(followUp, ctx());
    expect(second.result.choices[0]!.message.content).toBe('Tool result: {"result":"21°C and sunny"}');
    expect(mock.lastRequest!.json.contents.slice(1)).toEqual([
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: SKIP_THOUGHT_SIGNATURE }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { result: '21°C and sunny' } } }] },
    ]);
  });

  it('streams text as OpenAI chunks and ends with a usage chunk', async () => {
    const chunks = await collect(await googleChat.chatStream(ask('Stream this please'), ctx()));
    expect(mock.lastRequest!.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent');
    expect(mock.lastRequest!.query.get('alt')).toBe('sse');
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Echo: Stream this please');
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]!.finish_reason).toBe('stop');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: 4 });
    expect(last.usage!.prompt_tokens).toBeGreaterThan(0);
  });

  it('streams a function call as a tool_calls delta', async () => {
    const chunks = await collect(await googleChat.chatStream(ask('Rome', { tools: [weatherTool] }), ctx()));
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather' } });
    expect(JSON.parse(calls[0]!.function!.arguments!)).toEqual({ city: 'Rome' });
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('detects a stream that stops before a chunk with a finishReason', async () => {
    mock.failNext({ kind: 'cut', afterEvents: 2 });
    const stream = await googleChat.chatStream(ask('This stream will be cut short'), ctx());
    const error = await failure(collect(stream));
    expect(error.kind).toBe('protocol');
    expect(error.message).toContain('stream ended before it was complete');
  });

  it('turns an error object inside the stream into a retryable upstream error', async () => {
    const stream = await googleChat.chatStream(ask(`now ${GOOGLE_MOCK_STREAM_ERROR}`), ctx());
    const error = await failure(collect(stream));
    expect(error).toMatchObject({ kind: 'http', statusCode: 503, isRetryable: true });
    expect(error.message).toContain('overloaded');
  });

  it('fails a blocked prompt as a content-policy 400 that no other provider should retry', async () => {
    const error = await failure(googleChat.chat(ask(`bad ${GOOGLE_MOCK_BLOCKED}`), ctx()));
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain('PROHIBITED_CONTENT');
    const streamed = await failure(googleChat.chatStream(ask(`bad ${GOOGLE_MOCK_BLOCKED}`), ctx()));
    expect(streamed).toMatchObject({ statusCode: 400, isRetryable: false });
  });

  describe('failures', () => {
    it('429 RESOURCE_EXHAUSTED is retryable after the delay Gemini asks for', async () => {
      mock.failNext({ kind: 'status', status: 429, message: 'You exceeded your current quota.' });
      const error = await failure(googleChat.chat(ask('hi'), ctx()));
      expect(error).toMatchObject({ statusCode: 429, isRetryable: true, retryAfterMs: 30_000 });
      expect(error.message).toContain('exceeded your current quota');
    });

    it('429 with a Retry-After header uses the header', async () => {
      mock.failNext({ kind: 'status', status: 429, message: 'Resource has been exhausted. Please retry in 3s.', headers: { 'retry-after': '7' } });
      const error = await failure(googleChat.chatStream(ask('hi'), ctx()));
      expect(error).toMatchObject({ statusCode: 429, isRetryable: true, retryAfterMs: 7_000 });
    });

    it.each([500, 503])('%i is retryable', async (status) => {
      mock.failNext({ kind: 'status', status });
      const error = await failure(googleChat.chat(ask('hi'), ctx()));
      expect(error).toMatchObject({ kind: 'http', statusCode: status, isRetryable: true });
    });

    it('a hang past timeoutMs is a timeout', async () => {
      mock.failNext({ kind: 'hang' });
      const error = await failure(googleChat.chat(ask('hi'), ctx({ timeoutMs: 200 })));
      expect(error).toMatchObject({ kind: 'timeout', isRetryable: true });
    });

    it('a reset connection is a connect failure', async () => {
      mock.failNext({ kind: 'reset' });
      const error = await failure(googleChat.chat(ask('hi'), ctx()));
      expect(error).toMatchObject({ kind: 'connect', isRetryable: true });
    });

    it('malformed JSON is a protocol failure', async () => {
      mock.failNext({ kind: 'malformed' });
      const error = await failure(googleChat.chat(ask('hi'), ctx()));
      expect(error.kind).toBe('protocol');
    });

    it('a wrong key is a 400 with Google’s message, not retryable', async () => {
      const error = await failure(googleChat.chat(ask('hi'), { ...ctx(), credentials: { apiKey: 'AIza-wrong', baseUrl: mock.url, extra: {} } }));
      expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
      expect(error.message).toContain('API key not valid');
    });

    it('401 is not retryable', async () => {
      mock.failNext({ kind: 'status', status: 401, message: 'Request had invalid authentication credentials.' });
      const error = await failure(googleChat.chat(ask('hi'), ctx()));
      expect(error).toMatchObject({ statusCode: 401, isRetryable: false });
      expect(error.message).toContain('invalid authentication credentials');
    });
  });
});

describe('the Gemini mock against the official SDK', () => {
  const client = () => new GoogleGenAI({ apiKey: GOOGLE_TEST_KEY, httpOptions: { baseUrl: mock.url } });

  it('generates content', async () => {
    const response = await client().models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi SDK', config: { systemInstruction: 'Be brief.', maxOutputTokens: 50 } });
    expect(response.text).toBe('Echo: Hi SDK');
    expect(response.candidates?.[0]?.finishReason).toBe('STOP');
    expect(response.usageMetadata?.candidatesTokenCount).toBe(3);
    expect(mock.lastRequest!.json.systemInstruction).toMatchObject({ parts: [{ text: 'Be brief.' }] });
  });

  it('streams content', async () => {
    const stream = await client().models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Hi stream' });
    const texts: string[] = [];
    let finish: string | undefined;
    for await (const chunk of stream) {
      texts.push(chunk.text ?? '');
      finish = chunk.candidates?.[0]?.finishReason ?? finish;
    }
    expect(texts.join('')).toBe('Echo: Hi stream');
    expect(finish).toBe('STOP');
  });

  it('parses a function call', async () => {
    const response = await client().models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Oslo',
      config: { tools: [{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } } } }] }] },
    });
    expect(response.functionCalls?.[0]).toMatchObject({ name: 'get_weather', args: { city: 'Oslo' } });
  });

  it('surfaces the mock’s error body as the SDK’s ApiError', async () => {
    mock.failNext({ kind: 'status', status: 429, message: 'Resource has been exhausted' });
    const error = await client()
      .models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenAiApiError);
    expect((error as GenAiApiError).status).toBe(429);
    expect((error as GenAiApiError).message).toContain('RESOURCE_EXHAUSTED');
  });
});
