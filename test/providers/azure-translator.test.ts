import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequest, type UpstreamError } from '../../src/errors';
import { itMapsUpstreamFailures, upstreamFailure } from '../helpers/upstream-failures';
import { azureTranslatorTranslation, toAzureLang } from '../../src/providers/azure-translator/translation';
import type { CallContext } from '../../src/providers/types';
import type { TranslationJob } from '../../src/tasks/translation';
import { MockUpstream } from '../helpers/mock-upstream';
import { AZURE_TRANSLATOR_TEST_KEY, AZURE_TRANSLATOR_TEST_REGION, startAzureTranslatorMock } from '../mocks/azure-translator';

let mock: MockUpstream;

beforeAll(async () => {
  mock = await startAzureTranslatorMock();
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
    provider: 'azure-translator',
    providerModelId: 'general',
    credentials: { apiKey: AZURE_TRANSLATOR_TEST_KEY, baseUrl: mock.url, extra: { region: AZURE_TRANSLATOR_TEST_REGION } },
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    requestId: 'req_azure_translate',
    ...overrides,
  };
}

function failure(job: TranslationJob, ctx = context()): Promise<UpstreamError> {
  return upstreamFailure(azureTranslatorTranslation.translate(job, ctx));
}

const hello: TranslationJob = { texts: ['Hello world'], targetLang: 'de' };

describe('Azure Translator', () => {
  it('translates a batch and bills what X-metered-usage reports', async () => {
    const { result, units } = await azureTranslatorTranslation.translate({ texts: ['Hello world', 'Good morning'], targetLang: 'fr' }, context());
    expect(result.translations).toEqual([
      { text: 'Bonjour monde', detected_source_lang: 'en' },
      { text: 'Bon matin', detected_source_lang: 'en' },
    ]);
    expect(units).toEqual({ characters: 23 });
    const sent = mock.lastRequest!;
    expect(sent.path).toBe('/translate');
    expect(Object.fromEntries(sent.query)).toEqual({ 'api-version': '3.0', to: 'fr', textType: 'plain' });
    expect(sent.headers['ocp-apim-subscription-key']).toBe(AZURE_TRANSLATOR_TEST_KEY);
    expect(sent.headers['ocp-apim-subscription-region']).toBe(AZURE_TRANSLATOR_TEST_REGION);
    expect(sent.json).toEqual([{ Text: 'Hello world' }, { Text: 'Good morning' }]);
  });

  it("maps BCP 47 tags onto Azure's codes and reads detected languages back as BCP 47", async () => {
    const cases: Record<string, string> = {
      zh: 'zh-Hans',
      'zh-Hant': 'zh-Hant',
      'zh-TW': 'zh-Hant',
      'pt-BR': 'pt',
      'pt-PT': 'pt-pt',
      'fr-CA': 'fr-ca',
      'sr-Latn': 'sr-Latn',
      sr: 'sr-Cyrl',
      'en-GB': 'en',
    };
    for (const [tag, code] of Object.entries(cases)) expect(toAzureLang(tag), tag).toBe(code);

    const { result } = await azureTranslatorTranslation.translate({ texts: ['Hello world'], targetLang: 'pt-PT', sourceLang: 'en-US' }, context());
    expect(mock.lastRequest!.query.get('to')).toBe('pt-pt');
    expect(mock.lastRequest!.query.get('from')).toBe('en');
    // With `from` given Azure detects nothing.
    expect(result.translations[0]).toEqual({ text: 'Olá mundo', detected_source_lang: null });
  });

  it('leaves the region header out for a global resource', async () => {
    const global = await startAzureTranslatorMock(AZURE_TRANSLATOR_TEST_KEY, null);
    try {
      const { result } = await azureTranslatorTranslation.translate(hello, context({ credentials: { apiKey: AZURE_TRANSLATOR_TEST_KEY, baseUrl: global.url, extra: {} } }));
      expect(result.translations[0]!.text).toBe('Hallo Welt');
      expect(global.lastRequest!.headers).not.toHaveProperty('ocp-apim-subscription-region');
    } finally {
      await global.close();
    }
  });

  it('falls back to counting code points when Azure sends no X-metered-usage', async () => {
    const bare = await MockUpstream.start({
      routes: [{ method: 'POST', path: /\/translate$/, handle: (_req, res, { mock: m }) => m.sendJson(res, 200, [{ translations: [{ text: 'Hallo', to: 'de' }] }]) }],
      errorBody: () => ({}),
    });
    try {
      const { units } = await azureTranslatorTranslation.translate({ texts: ['Hello 😀'], targetLang: 'de' }, context({ credentials: { apiKey: 'k', baseUrl: bare.url, extra: {} } }));
      expect(units).toEqual({ characters: 7 });
    } finally {
      await bare.close();
    }
  });

  it('refuses a glossary', async () => {
    await expect(azureTranslatorTranslation.translate({ ...hello, glossary: { world: 'Erde' } }, context())).rejects.toBeInstanceOf(InvalidRequest);
    expect(mock.requests).toHaveLength(0);
  });
});

describe('Azure Translator failures', () => {
  itMapsUpstreamFailures({
    mock: () => mock,
    run: (timeoutMs) => azureTranslatorTranslation.translate(hello, context({ timeoutMs })),
    retryAfter: { header: '1', ms: 1_000 },
  });

  it('passes on an invalid target language as a client error with Azure’s message', async () => {
    const error = await failure({ texts: ['Hello'], targetLang: 'tlh' });
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain('The target language is not valid.');
  });

  it('reports a missing region as 401, not retryable', async () => {
    const error = await failure(hello, context({ credentials: { apiKey: AZURE_TRANSLATOR_TEST_KEY, baseUrl: mock.url, extra: {} } }));
    expect(error).toMatchObject({ statusCode: 401, isRetryable: false });
  });

  it('reports an exhausted free tier (403) as not retryable', async () => {
    mock.failNext({ kind: 'status', status: 403, message: 'Out of call volume quota for F0 pricing tier.' });
    const error = await failure(hello);
    expect(error).toMatchObject({ statusCode: 403, isRetryable: false });
    expect(error.message).toContain('Out of call volume quota');
  });
});
