import { Mistral } from '@mistralai/mistralai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/errors';
import { mistralModeration } from '../../src/providers/mistral/moderation';
import type { CallContext } from '../../src/providers/types';
import { MODERATION_CATEGORIES, type ModerationJob } from '../../src/tasks/moderation';
import { MockUpstream } from '../helpers/mock-upstream';
import { MISTRAL_TEST_KEY, startMistralMock } from '../mocks/mistral';

let mock: MockUpstream;

beforeAll(async () => {
  mock = await startMistralMock();
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
    provider: 'mistral',
    providerModelId: 'mistral-moderation-latest',
    credentials: { apiKey: MISTRAL_TEST_KEY, baseUrl: `${mock.url}/v1`, extra: {} },
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    requestId: 'req_mistral_moderation',
    ...overrides,
  };
}

async function failure(job: ModerationJob, ctx = context()): Promise<UpstreamError> {
  const error = await mistralModeration.moderate(job, ctx).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

const one: ModerationJob = { inputs: ['Have a nice day'] };

describe('Mistral moderation', () => {
  it("maps Mistral's categories onto OpenAI's and bills the prompt tokens Mistral reports", async () => {
    const { result, units } = await mistralModeration.moderate({ inputs: ['Have a nice day', 'I will kill you', 'I hate them'] }, context());
    // ⌈15/4⌉ + ⌈15/4⌉ + ⌈11/4⌉ tokens, as the mock counts them.
    expect(units).toEqual({ input_tokens: 4 + 4 + 3 });
    const [calm, threat, hate] = result.results;
    expect(calm!.flagged).toBe(false);
    expect(Object.values(calm!.categories).some(Boolean)).toBe(false);
    expect(threat!.flagged).toBe(true);
    expect(threat!.categories).toMatchObject({ violence: true, 'harassment/threatening': true, hate: false });
    expect(threat!.category_scores.violence).toBeCloseTo(0.95);
    expect(hate!.categories.hate).toBe(true);
    expect(Object.keys(threat!.category_scores).sort()).toEqual([...MODERATION_CATEGORIES].sort());
    const sent = mock.lastRequest!;
    expect(sent.path).toBe('/v1/moderations');
    expect(sent.headers.authorization).toBe(`Bearer ${MISTRAL_TEST_KEY}`);
    expect(sent.json).toEqual({ model: 'mistral-moderation-latest', input: ['Have a nice day', 'I will kill you', 'I hate them'] });
  });

  it('keeps a verdict flagged when only a category without an OpenAI counterpart fires', async () => {
    const { result } = await mistralModeration.moderate({ inputs: ['write to jane@example.com'] }, context());
    expect(result.results[0]!.flagged).toBe(true);
    expect(Object.values(result.results[0]!.categories).some(Boolean)).toBe(false);
  });

  it('reads the 2603 categories (dangerous, criminal) too', async () => {
    const { result } = await mistralModeration.moderate({ inputs: ['how to build a bomb', 'steal a car'] }, context({ providerModelId: 'mistral-moderation-2603' }));
    expect(result.results[0]!.categories['illicit/violent']).toBe(true);
    expect(result.results[1]!.categories.illicit).toBe(true);
  });

  it('estimates tokens when an answer carries no usage', async () => {
    const bare = await MockUpstream.start({
      routes: [
        {
          method: 'POST',
          path: /\/moderations$/,
          handle: (_req, res, { mock: m }) => m.sendJson(res, 200, { id: 'x', model: 'mistral-moderation-2411', results: [{ categories: { sexual: false }, category_scores: { sexual: 0.01 } }] }),
        },
      ],
      errorBody: () => ({}),
    });
    try {
      const { units } = await mistralModeration.moderate({ inputs: ['hello there world'] }, context({ credentials: { apiKey: 'k', baseUrl: bare.url, extra: {} } }));
      expect(units.input_tokens).toBeGreaterThan(0);
    } finally {
      await bare.close();
    }
  });
});

describe('Mistral moderation failures', () => {
  it('turns 429 with Retry-After into a retryable error that says when to retry', async () => {
    mock.failNext({ kind: 'status', status: 429, message: 'Requests rate limit exceeded', headers: { 'retry-after': '2' } });
    expect(await failure(one)).toMatchObject({ kind: 'http', statusCode: 429, isRetryable: true, retryAfterMs: 2_000 });
  });

  it.each([500, 503])('treats %i as retryable', async (status) => {
    mock.failNext({ kind: 'status', status });
    expect(await failure(one)).toMatchObject({ statusCode: status, isRetryable: true });
  });

  it('times out when Mistral hangs past the attempt timeout', async () => {
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

  it('passes on an invalid model as a client error with Mistral’s message', async () => {
    const error = await failure(one, context({ providerModelId: 'mistral-moderation-1999' }));
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain('Invalid model: mistral-moderation-1999');
  });

  it('reports a wrong key as 401, not retryable', async () => {
    const error = await failure(one, context({ credentials: { apiKey: 'wrong', baseUrl: `${mock.url}/v1`, extra: {} } }));
    expect(error).toMatchObject({ statusCode: 401, isRetryable: false });
  });
});

describe('the official Mistral client against the mock', () => {
  it('moderates through classifiers.moderate', async () => {
    const client = new Mistral({ apiKey: MISTRAL_TEST_KEY, serverURL: mock.url });
    const response = await client.classifiers.moderate({ model: 'mistral-moderation-latest', inputs: ['I will kill you', 'hello'] });
    expect(response.model).toBe('mistral-moderation-2411');
    expect(response.results[0]!.categories?.violence_and_threats).toBe(true);
    expect(response.results[1]!.categoryScores?.violence_and_threats).toBeLessThan(0.5);
  });
});
