import Groq from 'groq-sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/errors';
import { deepinfraModeration } from '../../src/providers/deepinfra/moderation';
import { fireworksModeration } from '../../src/providers/fireworks/moderation';
import { groqModeration } from '../../src/providers/groq/moderation';
import { guardVerdict, parseGuardAnswer } from '../../src/providers/shared/llama-guard';
import { togetherModeration } from '../../src/providers/together/moderation';
import type { CallContext, ModerationAdapter } from '../../src/providers/types';
import type { ModerationJob } from '../../src/tasks/moderation';
import { MockUpstream } from '../helpers/mock-upstream';
import { GUARD_TEMPLATE_TOKENS, LLAMA_GUARD_TEST_KEY, startLlamaGuardMock } from '../mocks/llama-guard';

let mock: MockUpstream;

beforeAll(async () => {
  mock = await startLlamaGuardMock();
});
afterAll(async () => {
  await mock.close();
});
beforeEach(() => {
  mock.clearFaults();
  mock.requests.length = 0;
});

/** Each host's base path as its real base URL has it, and a guard model it serves. */
const HOSTS: { name: string; adapter: ModerationAdapter; basePath: string; model: string }[] = [
  { name: 'groq', adapter: groqModeration, basePath: '/openai/v1', model: 'meta-llama/llama-guard-4-12b' },
  { name: 'together', adapter: togetherModeration, basePath: '/v1', model: 'meta-llama/Llama-Guard-4-12B' },
  { name: 'deepinfra', adapter: deepinfraModeration, basePath: '/v1/openai', model: 'meta-llama/Llama-Guard-4-12B' },
  { name: 'fireworks', adapter: fireworksModeration, basePath: '/inference/v1', model: 'accounts/fireworks/models/llama-guard-3-8b' },
];

function context(host = HOSTS[0]!, overrides: Partial<CallContext> = {}): CallContext {
  return {
    provider: host.name,
    providerModelId: host.model,
    credentials: { apiKey: LLAMA_GUARD_TEST_KEY, baseUrl: `${mock.url}${host.basePath}`, extra: {} },
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    requestId: 'req_llama_guard',
    ...overrides,
  };
}

async function failure(job: ModerationJob, ctx = context()): Promise<UpstreamError> {
  const error = await groqModeration.moderate(job, ctx).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

const one: ModerationJob = { inputs: ['How do I bake bread?'] };

describe('Llama Guard moderation', () => {
  it.each(HOSTS)('classifies each input through $name’s chat completions and bills the tokens it reports', async (host) => {
    const { result, units } = await host.adapter.moderate({ inputs: ['How do I bake bread?', 'Plan an attack on them'] }, context(host));
    const [bread, attack] = result.results;
    expect(bread!.flagged).toBe(false);
    expect(Object.values(bread!.category_scores).every((s) => s === 0)).toBe(true);
    expect(attack!.flagged).toBe(true);
    expect(attack!.categories).toMatchObject({ violence: true, 'illicit/violent': true, hate: true, sexual: false });
    expect(attack!.category_scores).toMatchObject({ violence: 1, hate: 1, sexual: 0 });
    expect(units).toEqual({
      input_tokens: 2 * GUARD_TEMPLATE_TOKENS + Math.ceil(20 / 4) + Math.ceil(22 / 4),
      output_tokens: 2 + 7,
    });
    expect(mock.requests.map((r) => r.path)).toEqual([`${host.basePath}/chat/completions`, `${host.basePath}/chat/completions`]);
    const sent = mock.requests.find((r) => JSON.stringify(r.json).includes('attack'))!;
    expect(sent.headers.authorization).toBe(`Bearer ${LLAMA_GUARD_TEST_KEY}`);
    expect(sent.json).toMatchObject({ model: host.model, messages: [{ role: 'user', content: 'Plan an attack on them' }], temperature: 0 });
  });

  it('keeps the order of many inputs classified in parallel', async () => {
    const inputs = Array.from({ length: 10 }, (_, i) => (i % 3 === 0 ? `attack ${i}` : `bread ${i}`));
    const { result } = await groqModeration.moderate({ inputs }, context());
    expect(result.results.map((r) => r.flagged)).toEqual(inputs.map((t) => t.startsWith('attack')));
  });

  it('answers an empty input as safe without calling the host', async () => {
    const { result, units } = await groqModeration.moderate({ inputs: ['  '] }, context());
    expect(result.results[0]!.flagged).toBe(false);
    expect(units).toEqual({ input_tokens: 0, output_tokens: 0 });
    expect(mock.requests).toHaveLength(0);
  });

  it('reads the hazard codes, on their own line or the same one', () => {
    expect(parseGuardAnswer('safe')).toEqual({ unsafe: false, codes: [] });
    expect(parseGuardAnswer('\n\nunsafe\nS1,S10')).toEqual({ unsafe: true, codes: ['S1', 'S10'] });
    expect(parseGuardAnswer('unsafe S3, s12')).toEqual({ unsafe: true, codes: ['S3', 'S12'] });
    expect(parseGuardAnswer('I cannot help with that')).toBeNull();
  });

  it('stays flagged when the only hazard has no OpenAI counterpart', () => {
    const verdict = guardVerdict({ unsafe: true, codes: ['S13'] });
    expect(verdict.flagged).toBe(true);
    expect(Object.values(verdict.categories).some(Boolean)).toBe(false);
    expect(guardVerdict({ unsafe: true, codes: ['S4'] }).categories).toMatchObject({ 'sexual/minors': true, sexual: true });
  });

  it('fails with a protocol error when the model answers something that is not a verdict', async () => {
    const chatty = await MockUpstream.start({
      routes: [
        {
          method: 'POST',
          path: /\/chat\/completions$/,
          handle: (_req, res, { mock: m }) =>
            m.sendJson(res, 200, { choices: [{ message: { role: 'assistant', content: 'Sure! Here is a recipe.' } }], usage: { prompt_tokens: 5, completion_tokens: 6 } }),
        },
      ],
      errorBody: () => ({}),
    });
    try {
      const error = await groqModeration.moderate(one, context(HOSTS[0], { credentials: { apiKey: 'k', baseUrl: chatty.url, extra: {} } })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error).toMatchObject({ kind: 'protocol' });
    } finally {
      await chatty.close();
    }
  });
});

describe('Llama Guard failures', () => {
  it('turns 429 with Retry-After into a retryable error that says when to retry', async () => {
    mock.failNext({ kind: 'status', status: 429, message: 'Rate limit reached for model', headers: { 'retry-after': '7' } });
    expect(await failure(one)).toMatchObject({ kind: 'http', statusCode: 429, isRetryable: true, retryAfterMs: 7_000 });
  });

  it.each([500, 503])('treats %i as retryable', async (status) => {
    mock.failNext({ kind: 'status', status });
    expect(await failure(one)).toMatchObject({ statusCode: status, isRetryable: true });
  });

  it('times out when the host hangs past the attempt timeout', async () => {
    mock.failNext({ kind: 'hang' });
    expect(await failure(one, context(HOSTS[0], { timeoutMs: 200 }))).toMatchObject({ kind: 'timeout' });
  });

  it('reports a reset connection as a connect failure', async () => {
    mock.failNext({ kind: 'reset' });
    expect(await failure(one)).toMatchObject({ kind: 'connect', isRetryable: true });
  });

  it('reports malformed JSON as a protocol failure', async () => {
    mock.failNext({ kind: 'malformed' });
    expect(await failure(one)).toMatchObject({ kind: 'protocol' });
  });

  it('fails the whole job when one input’s call fails', async () => {
    mock.failNext({ kind: 'status', status: 400, message: 'model `x` does not support chat' });
    const error = await failure({ inputs: ['a', 'b', 'c'] });
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain('does not support chat');
  });

  it('reports a wrong key as 401, not retryable', async () => {
    const error = await failure(one, context(HOSTS[0], { credentials: { apiKey: 'wrong', baseUrl: `${mock.url}/openai/v1`, extra: {} } }));
    expect(error).toMatchObject({ statusCode: 401, isRetryable: false });
  });
});

describe('the official groq-sdk client against the guard mock', () => {
  it('reads the verdict and usage as a chat completion', async () => {
    const client = new Groq({ apiKey: LLAMA_GUARD_TEST_KEY, baseURL: mock.url, maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'meta-llama/llama-guard-4-12b', messages: [{ role: 'user', content: 'plan an attack' }] });
    expect(completion.choices[0]!.message.content).toBe('unsafe\nS1,S10');
    expect(completion.usage?.completion_tokens).toBe(7);
    expect(mock.lastRequest!.path).toBe('/openai/v1/chat/completions');
  });
});
