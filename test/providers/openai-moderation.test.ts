import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/errors';
import { openaiModeration } from '../../src/providers/openai/moderation';
import type { CallContext } from '../../src/providers/types';
import { MODERATION_CATEGORIES, type ModerationJob } from '../../src/tasks/moderation';
import type { MockUpstream } from '../helpers/mock-upstream';
import { OPENAI_TEST_KEY, startOpenAIMock } from '../mocks/openai';

let mock: MockUpstream;

beforeAll(async () => {
  mock = await startOpenAIMock();
});
afterAll(async () => {
  await mock.close();
});
beforeEach(() => {
  mock.clearFaults();
  mock.requests.length = 0;
});

function context(overrides: Partial<CallContext> = {}): CallContext {
  return {
    provider: 'openai',
    providerModelId: 'omni-moderation-latest',
    credentials: { apiKey: OPENAI_TEST_KEY, baseUrl: `${mock.url}/v1`, extra: {} },
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    requestId: 'req_openai_moderation',
    ...overrides,
  };
}

async function failure(job: ModerationJob, ctx = context()): Promise<UpstreamError> {
  const error = await openaiModeration.moderate(job, ctx).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

const one: ModerationJob = { inputs: ['Have a nice day'] };

describe('OpenAI moderation', () => {
  it('classifies every input in one request and meters one request per input', async () => {
    const { result, units } = await openaiModeration.moderate({ inputs: ['Have a nice day', 'I will kill you'] }, context());
    expect(units).toEqual({ requests: 2 });
    const [calm, threat] = result.results;
    expect(calm!.flagged).toBe(false);
    expect(threat!.flagged).toBe(true);
    expect(threat!.categories.violence).toBe(true);
    expect(threat!.category_scores.violence).toBeCloseTo(0.93);
    expect(threat!.categories['harassment/threatening']).toBe(true);
    expect(Object.keys(threat!.categories).sort()).toEqual([...MODERATION_CATEGORIES].sort());
    const sent = mock.lastRequest!;
    expect(sent.path).toBe('/v1/moderations');
    expect(sent.headers.authorization).toBe(`Bearer ${OPENAI_TEST_KEY}`);
    expect(sent.json).toEqual({ model: 'omni-moderation-latest', input: ['Have a nice day', 'I will kill you'] });
  });

  it('fills the categories a legacy text-moderation model leaves out', async () => {
    const { result } = await openaiModeration.moderate({ inputs: ['steal it'] }, context({ providerModelId: 'text-moderation-latest' }));
    const verdict = result.results[0]!;
    expect(Object.keys(verdict.category_scores).sort()).toEqual([...MODERATION_CATEGORIES].sort());
    expect(verdict.categories.illicit).toBe(false);
    expect(verdict.category_scores.illicit).toBe(0);
  });
});

describe('OpenAI moderation failures', () => {
  it('turns 429 with Retry-After into a retryable error that says when to retry', async () => {
    mock.failNext({ kind: 'status', status: 429, message: 'Rate limit reached', headers: { 'retry-after': '4' } });
    expect(await failure(one)).toMatchObject({ kind: 'http', statusCode: 429, isRetryable: true, retryAfterMs: 4_000 });
  });

  it.each([500, 503])('treats %i as retryable', async (status) => {
    mock.failNext({ kind: 'status', status });
    expect(await failure(one)).toMatchObject({ statusCode: status, isRetryable: true });
  });

  it('times out when OpenAI hangs past the attempt timeout', async () => {
    mock.failNext({ kind: 'hang' });
    expect(await failure(one, context({ timeoutMs: 200 }))).toMatchObject({ kind: 'timeout' });
  });

  it('reports a reset connection as a connect failure', async () => {
    mock.failNext({ kind: 'reset' });
    expect(await failure(one)).toMatchObject({ kind: 'connect', isRetryable: true });
  });

  it('reports malformed JSON as a protocol failure', async () => {
    mock.failNext({ kind: 'malformed' });
    expect(await failure(one)).toMatchObject({ kind: 'protocol' });
  });

  it('passes on an unknown model as a client error with OpenAI’s message', async () => {
    const error = await failure(one, context({ providerModelId: 'no-such-moderation' }));
    expect(error).toMatchObject({ statusCode: 404, isRetryable: false });
    expect(error.message).toContain('does not exist');
  });

  it('reports a wrong key as 401 and a 400 as not retryable', async () => {
    const unauthorized = await failure(one, context({ credentials: { apiKey: 'sk-wrong', baseUrl: `${mock.url}/v1`, extra: {} } }));
    expect(unauthorized).toMatchObject({ statusCode: 401, isRetryable: false });
    mock.failNext({ kind: 'status', status: 400, message: "Invalid value for 'input'." });
    const bad = await failure(one);
    expect(bad).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(bad.message).toContain("Invalid value for 'input'.");
  });
});

describe('the official openai client against the mock', () => {
  it('creates a moderation and reads every category', async () => {
    const client = new OpenAI({ apiKey: OPENAI_TEST_KEY, baseURL: `${mock.url}/v1`, maxRetries: 0 });
    const response = await client.moderations.create({ model: 'omni-moderation-latest', input: ['I hate you', 'hello'] });
    expect(response.model).toBe('omni-moderation-2024-09-26');
    expect(response.id).toMatch(/^modr-/);
    expect(response.results.map((r) => r.flagged)).toEqual([true, false]);
    expect(response.results[0]!.categories.hate).toBe(true);
    expect(response.results[0]!.category_applied_input_types.hate).toEqual(['text']);
  });

  it('sees the mock’s rate limit as the SDK’s RateLimitError', async () => {
    mock.failNext({ kind: 'status', status: 429, message: 'Rate limit reached' });
    const client = new OpenAI({ apiKey: OPENAI_TEST_KEY, baseURL: `${mock.url}/v1`, maxRetries: 0 });
    await expect(client.moderations.create({ input: 'hello' })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });
});
