import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequest, type UpstreamError } from '../../src/errors';
import { itMapsUpstreamFailures, upstreamFailure } from '../helpers/upstream-failures';
import { fromGoogleLang, googleCloudTranslation, toGoogleLang } from '../../src/providers/google-cloud/translation';
import type { CallContext } from '../../src/providers/types';
import type { TranslationJob } from '../../src/tasks/translation';
import type { MockUpstream } from '../helpers/mock-upstream';
import { GOOGLE_TRANSLATION_TEST_KEY, startGoogleTranslationMock } from '../mocks/google-cloud/translation';

let mock: MockUpstream;

beforeAll(async () => {
  mock = await startGoogleTranslationMock();
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
    provider: 'google-cloud',
    providerModelId: 'nmt',
    credentials: { apiKey: GOOGLE_TRANSLATION_TEST_KEY, baseUrl: mock.url, extra: {} },
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    requestId: 'req_google_translate',
    ...overrides,
  };
}

function failure(job: TranslationJob, ctx = context()): Promise<UpstreamError> {
  return upstreamFailure(googleCloudTranslation.translate(job, ctx));
}

const hello: TranslationJob = { texts: ['Hello world'], targetLang: 'de' };

describe('Google Cloud Translation (v2)', () => {
  it('translates a batch, reports detected languages and meters source code points', async () => {
    const { result, units } = await googleCloudTranslation.translate({ texts: ['Hello world', 'Bonjour 😀'], targetLang: 'es' }, context());
    expect(result.translations).toEqual([
      { text: 'Hola mundo', detected_source_lang: 'en' },
      { text: '[es] Bonjour 😀', detected_source_lang: 'fr' },
    ]);
    expect(units).toEqual({ characters: 11 + 9 });
    const sent = mock.lastRequest!;
    expect(sent.path).toBe('/language/translate/v2');
    expect(sent.headers['x-goog-api-key']).toBe(GOOGLE_TRANSLATION_TEST_KEY);
    expect(sent.json).toEqual({ q: ['Hello world', 'Bonjour 😀'], target: 'es', format: 'text', model: 'nmt' });
  });

  it("maps BCP 47 tags onto Google's codes and back", async () => {
    expect(toGoogleLang('zh-Hant')).toBe('zh-TW');
    expect(toGoogleLang('zh-HK')).toBe('zh-TW');
    expect(toGoogleLang('zh')).toBe('zh-CN');
    expect(toGoogleLang('zh-Hans')).toBe('zh-CN');
    expect(toGoogleLang('pt-BR')).toBe('pt');
    expect(toGoogleLang('pt-PT')).toBe('pt-PT');
    expect(toGoogleLang('en-GB')).toBe('en');
    expect(fromGoogleLang('zh-CN')).toBe('zh-Hans');
    expect(fromGoogleLang('iw')).toBe('he');
    expect(fromGoogleLang('pt-PT')).toBe('pt-PT');

    const { result } = await googleCloudTranslation.translate({ texts: ['Hello world'], targetLang: 'zh-Hans', sourceLang: 'en-US' }, context());
    expect(mock.lastRequest!.json).toMatchObject({ target: 'zh-CN', source: 'en' });
    // With a source given, Google detects nothing.
    expect(result.translations[0]).toEqual({ text: '你好 世界', detected_source_lang: null });
  });

  it('leaves the model to Google when the offering names none of its models', async () => {
    await googleCloudTranslation.translate(hello, context({ providerModelId: 'translate' }));
    expect(mock.lastRequest!.json).not.toHaveProperty('model');
  });

  it('refuses a glossary, which Basic translation cannot apply', async () => {
    const error = await googleCloudTranslation.translate({ ...hello, glossary: { world: 'Erde' } }, context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequest);
    expect(mock.requests).toHaveLength(0);
  });
});

describe('Google Cloud Translation failures', () => {
  itMapsUpstreamFailures({
    mock: () => mock,
    run: (timeoutMs) => googleCloudTranslation.translate(hello, context({ timeoutMs })),
    retryAfter: { header: '3', ms: 3_000 },
  });

  it('passes on an invalid language as a client error with Google’s message', async () => {
    const error = await failure({ texts: ['Hello'], targetLang: 'tlh' });
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain('Invalid Value');
  });

  it.each([401, 403])('treats %i as not retryable', async (status) => {
    mock.failNext({ kind: 'status', status, message: 'API key not valid. Please pass a valid API key.' });
    const error = await failure(hello);
    expect(error).toMatchObject({ statusCode: status, isRetryable: false });
    expect(error.message).toContain('API key not valid');
  });

  it('is refused without the right key', async () => {
    const error = await failure(hello, context({ credentials: { apiKey: 'wrong', baseUrl: mock.url, extra: {} } }));
    expect(error).toMatchObject({ statusCode: 401, isRetryable: false });
  });
});
