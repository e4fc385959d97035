import * as deepl from 'deepl-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequest, type UpstreamError } from '../../src/errors';
import { itMapsUpstreamFailures, upstreamFailure } from '../helpers/upstream-failures';
import { DEEPL_FREE_BASE_URL, deeplBaseUrl } from '../../src/providers/deepl/api';
import { deeplSourceLang, deeplTargetLang } from '../../src/providers/deepl/languages';
import { deeplTranslation } from '../../src/providers/deepl/translation';
import type { CallContext } from '../../src/providers/types';
import type { TranslationJob } from '../../src/tasks/translation';
import { DEEPL_TEST_KEY, startDeeplMock, type DeeplMock } from '../mocks/deepl';

let mock: DeeplMock;

beforeAll(async () => {
  mock = await startDeeplMock();
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
    provider: 'deepl',
    providerModelId: 'default',
    credentials: { apiKey: DEEPL_TEST_KEY, baseUrl: mock.url, extra: {} },
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    requestId: 'req_deepl_test',
    ...overrides,
  };
}

function failure(job: TranslationJob, ctx = context()): Promise<UpstreamError> {
  return upstreamFailure(deeplTranslation.translate(job, ctx));
}

const hello: TranslationJob = { texts: ['Hello world'], targetLang: 'de' };

describe('DeepL translation', () => {
  it('translates a batch and bills the characters DeepL reports', async () => {
    const { result, units } = await deeplTranslation.translate({ texts: ['Hello world', 'Good morning 😀'], targetLang: 'de' }, context());
    expect(result.translations).toEqual([
      { text: 'Hallo Welt', detected_source_lang: 'en' },
      { text: 'Guten Morgen 😀', detected_source_lang: 'en' },
    ]);
    // 11 + 14 code points: the emoji is one character, as DeepL counts it.
    expect(units).toEqual({ characters: 25 });
    const sent = mock.lastRequest!;
    expect(sent.path).toBe('/v2/translate');
    expect(sent.headers.authorization).toBe(`DeepL-Auth-Key ${DEEPL_TEST_KEY}`);
    expect(sent.json).toMatchObject({ text: ['Hello world', 'Good morning 😀'], target_lang: 'DE', show_billed_characters: true });
    expect(sent.json).not.toHaveProperty('source_lang');
  });

  it("maps BCP 47 tags onto DeepL's target and source codes", async () => {
    const targets: Record<string, string> = {
      en: 'EN-US',
      'en-GB': 'EN-GB',
      'en-AU': 'EN-GB',
      pt: 'PT-PT',
      'pt-BR': 'PT-BR',
      zh: 'ZH-HANS',
      'zh-Hans': 'ZH-HANS',
      'zh-Hant': 'ZH-HANT',
      'zh-TW': 'ZH-HANT',
      'es-419': 'ES-419',
      'de-AT': 'DE',
      ja: 'JA',
    };
    for (const [tag, code] of Object.entries(targets)) expect(deeplTargetLang(tag), tag).toBe(code);
    expect(deeplSourceLang('pt-BR')).toBe('PT');
    expect(deeplSourceLang('zh-Hant')).toBe('ZH');

    const { result } = await deeplTranslation.translate({ texts: ['Hello world'], targetLang: 'pt-BR', sourceLang: 'en-GB' }, context());
    expect(mock.lastRequest!.json).toMatchObject({ target_lang: 'PT-BR', source_lang: 'EN' });
    expect(result.translations[0]).toEqual({ text: 'Olá mundo', detected_source_lang: 'en' });
  });

  it('asks for formality as a preference, so targets without formality still translate', async () => {
    await deeplTranslation.translate({ ...hello, formality: 'more' }, context());
    expect(mock.lastRequest!.json).toMatchObject({ formality: 'prefer_more' });
    const { result } = await deeplTranslation.translate({ texts: ['Hello world'], targetLang: 'en-GB', sourceLang: 'de', formality: 'less' }, context());
    expect(mock.lastRequest!.json).toMatchObject({ formality: 'prefer_less', target_lang: 'EN-GB' });
    expect(result.translations).toHaveLength(1);
    await deeplTranslation.translate({ ...hello, formality: 'default' }, context());
    expect(mock.lastRequest!.json).not.toHaveProperty('formality');
  });

  it('sends the model type an offering names', async () => {
    await deeplTranslation.translate(hello, context({ providerModelId: 'quality_optimized' }));
    expect(mock.lastRequest!.json).toMatchObject({ model_type: 'quality_optimized' });
  });

  it('applies a glossary through a one-off v3 glossary that is deleted afterwards', async () => {
    const { result } = await deeplTranslation.translate(
      { texts: ['Hello report'], targetLang: 'de', sourceLang: 'en', glossary: { report: 'Lagebericht' } },
      context(),
    );
    expect(result.translations[0]!.text).toBe('Hallo Lagebericht');
    const [create, translate, remove] = mock.requests;
    expect(create!.path).toBe('/v3/glossaries');
    expect(create!.json).toEqual({
      name: 'switchyard req_deepl_test',
      dictionaries: [{ source_lang: 'en', target_lang: 'de', entries: 'report\tLagebericht', entries_format: 'tsv' }],
    });
    expect(translate!.json).toMatchObject({ glossary_id: expect.any(String), source_lang: 'EN' });
    expect(remove!.method).toBe('DELETE');
    expect(remove!.path).toBe(`/v3/glossaries/${(translate!.json as { glossary_id: string }).glossary_id}`);
    expect(mock.state.glossaries.size).toBe(0);
  });

  it('deletes the one-off glossary even when the translation fails', async () => {
    const error = await failure({ texts: ['Hello'], targetLang: 'xx', sourceLang: 'en', glossary: { hello: 'servus' } });
    expect(error.statusCode).toBe(400);
    expect(mock.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'DELETE']);
    expect(mock.state.glossaries.size).toBe(0);
  });

  it('refuses a glossary without source_lang before calling DeepL', async () => {
    const error = await deeplTranslation.translate({ ...hello, glossary: { world: 'Erde' } }, context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequest);
    expect((error as InvalidRequest).param).toBe('source_lang');
    expect(mock.requests).toHaveLength(0);
  });

  it('splits more than 50 texts into several requests and keeps their order', async () => {
    const texts = Array.from({ length: 120 }, (_, i) => `Hello ${i}`);
    const { result, units } = await deeplTranslation.translate({ texts, targetLang: 'fr' }, context());
    expect(mock.requests.map((r) => (r.json as { text: string[] }).text.length)).toEqual([50, 50, 20]);
    expect(result.translations.map((t) => t.text)).toEqual(texts.map((_, i) => `Bonjour ${i}`));
    expect(units.characters).toBe(texts.reduce((n, t) => n + t.length, 0));
  });

  it('sends free keys to the free host only when the base URL is the default', () => {
    const credentials = { apiKey: 'abc:fx', baseUrl: 'https://api.deepl.com', extra: {} };
    expect(deeplBaseUrl(credentials)).toBe(DEEPL_FREE_BASE_URL);
    expect(deeplBaseUrl({ ...credentials, apiKey: 'abc' })).toBe('https://api.deepl.com');
    expect(deeplBaseUrl({ ...credentials, baseUrl: 'http://127.0.0.1:9' })).toBe('http://127.0.0.1:9');
  });
});

describe('DeepL failures', () => {
  itMapsUpstreamFailures({
    mock: () => mock,
    run: (timeoutMs) => deeplTranslation.translate(hello, context({ timeoutMs })),
    retryAfter: { header: '2', ms: 2_000 },
  });

  it('treats 529 as retryable', async () => {
    mock.failNext({ kind: 'status', status: 529 });
    expect(await failure(hello)).toMatchObject({ kind: 'http', statusCode: 529, isRetryable: true });
  });

  it('passes on an unsupported language as a client error with DeepL’s message', async () => {
    const error = await failure({ texts: ['Hello'], targetLang: 'xx' });
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain("Value for 'target_lang' not supported.");
  });

  it('reports a wrong key as 403, not retryable', async () => {
    const error = await failure(hello, context({ credentials: { apiKey: 'wrong', baseUrl: mock.url, extra: {} } }));
    expect(error).toMatchObject({ statusCode: 403, isRetryable: false });
    expect(error.message).toContain('Authorization failure');
  });

  it('reports an exhausted quota (456) as not retryable', async () => {
    mock.failNext({ kind: 'status', status: 456, message: 'Quota exceeded' });
    const error = await failure(hello);
    expect(error).toMatchObject({ statusCode: 456, isRetryable: false });
    expect(error.message).toContain('Quota exceeded');
  });
});

describe('the official deepl-node client against the mock', () => {
  function client() {
    return new deepl.Translator(DEEPL_TEST_KEY, { serverUrl: mock.url, maxRetries: 0, sendPlatformInfo: false });
  }

  it('translates, reads billed characters and usage', async () => {
    const before = mock.state.characterCount;
    const results = await client().translateText(['Hello world', 'Good morning'], null, 'de', { formality: 'prefer_more' });
    expect(results.map((r) => [r.text, r.detectedSourceLang, r.billedCharacters])).toEqual([
      ['Hallo Welt', 'en', 11],
      ['Guten Morgen', 'en', 12],
    ]);
    const usage = await client().getUsage();
    expect(usage.character?.count).toBe(before + 23);
  });

  it('uses a multilingual glossary created through the v3 API', async () => {
    const sdk = new deepl.DeepLClient(DEEPL_TEST_KEY, { serverUrl: mock.url, maxRetries: 0, sendPlatformInfo: false });
    const glossary = await sdk.createMultilingualGlossary('terms', [
      { sourceLangCode: 'en', targetLangCode: 'de', entries: new deepl.GlossaryEntries({ entries: { report: 'Lagebericht' } }) },
    ]);
    expect(glossary.dictionaries[0]).toMatchObject({ sourceLangCode: 'en', targetLangCode: 'de', entryCount: 1 });
    const result = await sdk.translateText('Hello report', 'en', 'de', { glossary: glossary.glossaryId });
    expect(result.text).toBe('Hallo Lagebericht');
  });

  it("raises the SDK's quota error on 456", async () => {
    mock.failNext({ kind: 'status', status: 456, message: 'Quota exceeded' });
    await expect(client().translateText('Hello', null, 'de')).rejects.toBeInstanceOf(deepl.QuotaExceededError);
  });
});
