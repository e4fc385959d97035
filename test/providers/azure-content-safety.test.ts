import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/errors';
import { azureContentSafetyProvider } from '../../src/providers/azure-content-safety';
import { azureContentSafetyModeration, splitForAnalysis } from '../../src/providers/azure-content-safety/moderation';
import type { CallContext } from '../../src/providers/types';
import { MODERATION_CATEGORIES, type ModerationJob } from '../../src/tasks/moderation';
import type { MockUpstream } from '../helpers/mock-upstream';
import { AZURE_CONTENT_SAFETY_TEST_KEY, startAzureContentSafetyMock } from '../mocks/azure-content-safety';

let mock: MockUpstream;

beforeAll(async () => {
  mock = await startAzureContentSafetyMock();
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
    provider: 'azure-content-safety',
    providerModelId: 'text-analyze',
    credentials: { apiKey: AZURE_CONTENT_SAFETY_TEST_KEY, baseUrl: mock.url, extra: {} },
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    requestId: 'req_content_safety',
    ...overrides,
  };
}

async function failure(job: ModerationJob, ctx = context()): Promise<UpstreamError> {
  const error = await azureContentSafetyModeration.moderate(job, ctx).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

const one: ModerationJob = { inputs: ['Have a nice day'] };

describe('Azure AI Content Safety', () => {
  it('has no default endpoint, so it is routable only once its base URL is set', () => {
    expect(azureContentSafetyProvider).toMatchObject({ id: 'azure-content-safety', defaultBaseUrl: '' });
    expect(azureContentSafetyProvider.keyless).toBeFalsy();
  });

  it('turns severities into scores, flags from medium up and bills one record per 1,000 characters', async () => {
    const { result, units } = await azureContentSafetyModeration.moderate({ inputs: ['Have a nice day', 'I will kill you', 'you are stupid', 'I hate them'] }, context());
    expect(units).toEqual({ requests: 4 });
    const [calm, kill, stupid, hate] = result.results;
    expect(calm!.flagged).toBe(false);
    expect(kill!.categories.violence).toBe(true);
    expect(kill!.category_scores.violence).toBe(1);
    // Low severity (2) shows in the score but does not flag.
    expect(stupid!.flagged).toBe(false);
    expect(stupid!.category_scores.hate).toBeCloseTo(1 / 3);
    expect(hate!.categories.hate).toBe(true);
    expect(hate!.category_scores.hate).toBeCloseTo(2 / 3);
    expect(Object.keys(hate!.categories).sort()).toEqual([...MODERATION_CATEGORIES].sort());
    expect(mock.requests).toHaveLength(4);
    const sent = mock.requests.find((r) => (r.json as { text: string }).text === 'I will kill you')!;
    expect(sent.path).toBe('/contentsafety/text:analyze');
    expect(sent.query.get('api-version')).toBe('2024-09-01');
    expect(sent.headers['ocp-apim-subscription-key']).toBe(AZURE_CONTENT_SAFETY_TEST_KEY);
    expect(sent.json).toEqual({ text: 'I will kill you', categories: ['Hate', 'SelfHarm', 'Sexual', 'Violence'], outputType: 'FourSeverityLevels' });
  });

  it('splits an input over 10,000 characters, analyses every piece and keeps the worst severity', async () => {
    const long = `${'calm words here '.repeat(1_560)}and then I will kill you`;
    const { result, units } = await azureContentSafetyModeration.moderate({ inputs: [long] }, context());
    const texts = mock.requests.map((r) => (r.json as { text: string }).text);
    expect(texts.length).toBe(3);
    expect(texts.every((t) => t.length <= 10_000)).toBe(true);
    expect(texts.join('')).toBe(long);
    expect(result.results[0]!.categories.violence).toBe(true);
    expect(units).toEqual({ requests: Math.ceil(long.length / 1_000) });
  });

  it('never splits a surrogate pair', () => {
    const pieces = splitForAnalysis(`${'a'.repeat(9_999)}😀b`);
    expect(pieces).toEqual(['a'.repeat(9_999), '😀b']);
  });

  it('answers an empty input as clean without calling Azure or billing it', async () => {
    const { result, units } = await azureContentSafetyModeration.moderate({ inputs: [''] }, context());
    expect(result.results[0]!.flagged).toBe(false);
    expect(units).toEqual({ requests: 0 });
    expect(mock.requests).toHaveLength(0);
  });
});

describe('Azure AI Content Safety failures', () => {
  it('turns 429 with Retry-After into a retryable error that says when to retry', async () => {
    mock.failNext({ kind: 'status', status: 429, message: 'Rate limit is exceeded. Try again in 1 seconds.', headers: { 'retry-after': '1' } });
    expect(await failure(one)).toMatchObject({ kind: 'http', statusCode: 429, isRetryable: true, retryAfterMs: 1_000 });
  });

  it.each([500, 503])('treats %i as retryable', async (status) => {
    mock.failNext({ kind: 'status', status });
    expect(await failure(one)).toMatchObject({ statusCode: status, isRetryable: true });
  });

  it('times out when Azure hangs past the attempt timeout', async () => {
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

  it('passes on a 400 with Azure’s message, not retryable', async () => {
    mock.failNext({ kind: 'status', status: 400, message: 'The field text must be a non-empty string.' });
    const error = await failure(one);
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain('The field text must be a non-empty string.');
  });

  it('reports a wrong key as 401, not retryable', async () => {
    const error = await failure(one, context({ credentials: { apiKey: 'wrong', baseUrl: mock.url, extra: {} } }));
    expect(error).toMatchObject({ statusCode: 401, isRetryable: false });
  });
});
