import Groq from 'groq-sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/errors';
import { deepinfraChat } from '../../src/providers/deepinfra/chat';
import { deepseekChat } from '../../src/providers/deepseek/chat';
import { fireworksChat } from '../../src/providers/fireworks/chat';
import { groqChat, groqChatProfile } from '../../src/providers/groq/chat';
import { ollamaChat } from '../../src/providers/ollama/chat';
import { openAICompatibleChat } from '../../src/providers/shared/openai-compatible';
import { togetherChat } from '../../src/providers/together/chat';
import type { CallContext, ChatAdapter, ChatStream } from '../../src/providers/types';
import { ChatRequest, type ChatCompletionChunk } from '../../src/tasks/chat';
import type { MockUpstream } from '../helpers/mock-upstream';
import { hostBaseUrl, hostTestKey, startOpenAICompatibleMock, type CompatibleHost } from '../mocks/openai-compatible';

function chatRequest(extra: Record<string, unknown> = {}): ChatRequest {
  return ChatRequest.parse({
    model: 'meta-llama/llama-3.3-70b-instruct',
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

// Each host with its adapter, a model id in its style, and the cached prompt tokens it reports for
// the two-message request above (the mock caches everything before the last message).
const hosts: { host: CompatibleHost; adapter: ChatAdapter; model: string; cached: number }[] = [
  { host: 'groq', adapter: groqChat, model: 'llama-3.3-70b-versatile', cached: 5 },
  { host: 'together', adapter: togetherChat, model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', cached: 0 },
  { host: 'fireworks', adapter: fireworksChat, model: 'accounts/fireworks/models/llama-v3p3-70b-instruct', cached: 5 },
  { host: 'deepinfra', adapter: deepinfraChat, model: 'meta-llama/Llama-3.3-70B-Instruct', cached: 5 },
  { host: 'deepseek', adapter: deepseekChat, model: 'deepseek-chat', cached: 5 },
  { host: 'ollama', adapter: ollamaChat, model: 'llama3.2', cached: 0 },
];

describe.each(hosts)('$host chat adapter', ({ host, adapter, model, cached }) => {
  let mock: MockUpstream;
  beforeAll(async () => {
    mock = await startOpenAICompatibleMock(host);
  });
  afterAll(() => mock.close());
  beforeEach(() => mock.clearFaults());

  const ctx = (overrides: Partial<CallContext> = {}, apiKey: string | null = hostTestKey(host)): CallContext => ({
    provider: host,
    providerModelId: model,
    credentials: { apiKey, baseUrl: hostBaseUrl(mock, host), extra: {} },
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    requestId: 'req_test',
    ...overrides,
  });

  it('answers a chat job at the host’s own path with its model id', async () => {
    const { result } = await adapter.chat(chatRequest({ max_completion_tokens: 64 }), ctx());
    expect(result.choices[0]?.message.content).toBe('echo: Hello there');
    expect(mock.lastRequest!.json.model).toBe(model);
    expect(mock.lastRequest!.path).toMatch(/\/chat\/completions$/);
    expect(mock.lastRequest!.json[host === 'groq' ? 'max_completion_tokens' : 'max_tokens']).toBe(64);
  });

  it('reports the units from the host’s usage, cached tokens apart', async () => {
    const { units } = await adapter.chat(chatRequest(), ctx());
    expect(units).toEqual({ input_tokens: 10 - cached, cached_input_tokens: cached, output_tokens: 3 });
  });

  it('streams the answer and captures usage on the last chunk carrying it', async () => {
    const chunks = await collect(await adapter.chatStream(chatRequest({ stream: true }), ctx()));
    expect(mock.lastRequest!.json.stream_options).toEqual({ include_usage: true });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('echo: Hello there');
    const usage = chunks.filter((c) => c.usage).at(-1)?.usage;
    expect(usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 3, prompt_tokens_details: { cached_tokens: cached } });
  });

  it('detects a stream cut halfway', async () => {
    mock.failNext({ kind: 'cut', afterEvents: 2 });
    expect(await upstreamError(collect(await adapter.chatStream(chatRequest({ stream: true }), ctx())))).toMatchObject({ kind: 'protocol' });
  });

  it('maps 429 with Retry-After to a retryable error carrying the wait', async () => {
    mock.failNext({ kind: 'status', status: 429, message: 'Rate limit reached', headers: { 'retry-after': '3' } });
    expect(await upstreamError(adapter.chat(chatRequest(), ctx()))).toMatchObject({ statusCode: 429, isRetryable: true, retryAfterMs: 3000 });
  });

  it.each([500, 503])('maps %i to a retryable error', async (status) => {
    mock.failNext({ kind: 'status', status });
    expect(await upstreamError(adapter.chat(chatRequest(), ctx()))).toMatchObject({ statusCode: status, isRetryable: true });
  });

  it('times out when the host hangs past ctx.timeoutMs', async () => {
    mock.failNext({ kind: 'hang' });
    expect(await upstreamError(adapter.chatStream(chatRequest({ stream: true }), ctx({ timeoutMs: 200 })))).toMatchObject({ kind: 'timeout' });
  });

  it('maps a reset connection to kind connect', async () => {
    mock.failNext({ kind: 'reset' });
    expect(await upstreamError(adapter.chat(chatRequest(), ctx()))).toMatchObject({ kind: 'connect', isRetryable: true });
  });

  it('maps malformed JSON to kind protocol', async () => {
    mock.failNext({ kind: 'malformed' });
    expect(await upstreamError(adapter.chat(chatRequest(), ctx()))).toMatchObject({ kind: 'protocol' });
  });

  it('returns a 400 as not retryable, with the message from the host’s error body', async () => {
    mock.failNext({ kind: 'status', status: 400, message: `${host} says the request is invalid` });
    const error = await upstreamError(adapter.chat(chatRequest(), ctx()));
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain(`${host} says the request is invalid`);
  });

  if (host === 'ollama') {
    it('works without a key, as a local server does', async () => {
      const { result } = await adapter.chat(chatRequest(), ctx({}, null));
      expect(result.choices[0]?.message.content).toBe('echo: Hello there');
      expect(mock.lastRequest!.headers.authorization).toBeUndefined();
    });
  } else {
    it('returns a wrong key as a 401 that is not retryable', async () => {
      expect(await upstreamError(adapter.chat(chatRequest(), ctx({}, 'wrong-key')))).toMatchObject({ statusCode: 401, isRetryable: false });
    });
  }

  it('answers Llama Guard verdicts for guard models', async () => {
    const guard = ctx({ providerModelId: 'meta-llama/llama-guard-4-12b' });
    const unsafe = await adapter.chat(chatRequest({ messages: [{ role: 'user', content: 'how do I attack the server' }] }), guard);
    const safe = await adapter.chat(chatRequest({ messages: [{ role: 'user', content: 'how do I bake bread' }] }), guard);
    expect(unsafe.result.choices[0]?.message.content).toBe('unsafe\nS1,S10');
    expect(safe.result.choices[0]?.message.content).toBe('safe');
  });
});

describe('host quirks', () => {
  it('drops the fields Groq refuses (logprobs, messages[].name) instead of failing', async () => {
    const mock = await startOpenAICompatibleMock('groq');
    try {
      const ctx: CallContext = {
        provider: 'groq',
        providerModelId: 'llama-3.1-8b-instant',
        credentials: { apiKey: hostTestKey('groq'), baseUrl: hostBaseUrl(mock, 'groq'), extra: {} },
        timeoutMs: 2_000,
        signal: new AbortController().signal,
        requestId: 'req_test',
      };
      const request = chatRequest({ logprobs: true, top_logprobs: 2, messages: [{ role: 'user', content: 'named', name: 'ann' }] });
      const { result } = await groqChat.chat(request, ctx);
      expect(result.choices[0]?.message.content).toBe('echo: named');
      expect(mock.lastRequest!.json).not.toHaveProperty('logprobs');
      expect(mock.lastRequest!.json.messages[0]).not.toHaveProperty('name');
      expect(result).not.toHaveProperty('x_groq');

      // Groq also reports stream usage in x_groq.usage; a profile that does not ask for the usage
      // chunk still gets the totals from there.
      const withoutOptIn = openAICompatibleChat({ ...groqChatProfile, streamUsage: 'always' });
      const chunks = await collect(await withoutOptIn.chatStream(chatRequest({ stream: true }), ctx));
      expect(mock.lastRequest!.json).not.toHaveProperty('stream_options');
      expect(chunks.filter((c) => c.usage).at(-1)?.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 3 });
      expect(chunks.at(-1)?.choices).not.toEqual([]);
    } finally {
      await mock.close();
    }
  });

  it('tolerates DeepSeek’s keep-alive comments and blank lines and reads its cache-hit tokens', async () => {
    const mock = await startOpenAICompatibleMock('deepseek');
    try {
      const res = await fetch(`${hostBaseUrl(mock, 'deepseek')}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${hostTestKey('deepseek')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'deepseek-chat', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } }),
      });
      const raw = await res.text();
      expect(raw.startsWith(': keep-alive\n\n')).toBe(true);
      expect(raw).toContain('"prompt_cache_hit_tokens"');
    } finally {
      await mock.close();
    }
  });
});

describe('the host mock, driven by official SDKs', () => {
  it('groq-sdk creates a completion and consumes a stream from the Groq mock', async () => {
    const mock = await startOpenAICompatibleMock('groq');
    try {
      const groq = new Groq({ apiKey: hostTestKey('groq'), baseURL: mock.url, maxRetries: 0 });
      const completion = await groq.chat.completions.create({ model: 'llama-3.3-70b-versatile', messages: [{ role: 'user', content: 'Hi Groq' }] });
      expect(completion.choices[0]?.message.content).toBe('echo: Hi Groq');
      expect(completion.x_groq?.id).toMatch(/^req_/);
      expect(mock.lastRequest!.path).toBe('/openai/v1/chat/completions');

      const stream = await groq.chat.completions.create({ model: 'llama-3.3-70b-versatile', messages: [{ role: 'user', content: 'Hi stream' }], stream: true });
      let text = '';
      let usage: number | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        usage = chunk.x_groq?.usage?.total_tokens ?? usage;
      }
      expect(text).toBe('echo: Hi stream');
      expect(usage).toBe(8);
    } finally {
      await mock.close();
    }
  });

  it.each(['together', 'fireworks', 'deepinfra', 'deepseek', 'ollama'] as const)('the openai SDK streams from the %s mock', async (host) => {
    const mock = await startOpenAICompatibleMock(host);
    try {
      const client = new OpenAI({ apiKey: hostTestKey(host), baseURL: hostBaseUrl(mock, host), maxRetries: 0 });
      const completion = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] });
      expect(completion.choices[0]?.message.content).toBe('echo: Hi');
      const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hi there' }], stream: true, stream_options: { include_usage: true } });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe('echo: Hi there');
    } finally {
      await mock.close();
    }
  });
});
