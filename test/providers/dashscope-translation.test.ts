// Qwen-MT on Alibaba Cloud Model Studio against a mock speaking its OpenAI-compatible format: one
// user message per text with translation_options, language names in English, a glossary as terms,
// the reported prompt and completion tokens as the metered units, and every failure mapped onto
// the same typed errors as the other adapters.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequest } from '../../src/errors';
import { dashscopeProvider } from '../../src/providers/dashscope';
import { toQwenMtLanguage } from '../../src/providers/dashscope/languages';
import { dashscopeTranslation } from '../../src/providers/dashscope/translation';
import type { CallContext } from '../../src/providers/types';
import type { TranslationJob } from '../../src/tasks/translation';
import type { MockUpstream } from '../helpers/mock-upstream';
import { itMapsUpstreamFailures, upstreamFailure } from '../helpers/upstream-failures';
import { DASHSCOPE_TEST_KEY, dashscopeBaseUrl, mockTokens, QWEN_MT_TEMPLATE_TOKENS, startDashscopeMock } from '../mocks/dashscope';

let mock: MockUpstream;

beforeAll(async () => {
  mock = await startDashscopeMock();
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
    provider: 'dashscope',
    providerModelId: 'qwen-mt-turbo',
    credentials: { apiKey: DASHSCOPE_TEST_KEY, baseUrl: dashscopeBaseUrl(mock), extra: {} },
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    requestId: 'req_qwen_mt',
    ...overrides,
  };
}

const hello: TranslationJob = { texts: ['Hello world'], targetLang: 'de' };

describe('Qwen-MT (Alibaba Cloud Model Studio)', () => {
  it('defaults to the Singapore compatible-mode endpoint', () => {
    expect(dashscopeProvider).toMatchObject({ id: 'dashscope', defaultBaseUrl: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1' });
  });

  it('sends each text as the one user message with translation_options, in order', async () => {
    const { result } = await dashscopeTranslation.translate({ texts: ['Hello world', 'Good morning'], targetLang: 'de', sourceLang: 'en' }, context());
    expect(result.translations).toEqual([
      { text: 'Hallo Welt', detected_source_lang: null },
      { text: 'Guten Morgen', detected_source_lang: null },
    ]);
    expect(mock.requests).toHaveLength(2);
    const sent = mock.requests.map((r) => r.json).sort((a, b) => a.messages[0].content.localeCompare(b.messages[0].content));
    expect(sent[1]).toEqual({
      model: 'qwen-mt-turbo',
      messages: [{ role: 'user', content: 'Hello world' }],
      translation_options: { source_lang: 'English', target_lang: 'German' },
    });
    expect(mock.lastRequest!.path).toBe('/compatible-mode/v1/chat/completions');
    expect(mock.lastRequest!.headers.authorization).toBe(`Bearer ${DASHSCOPE_TEST_KEY}`);
  });

  it("meters the prompt and completion tokens Model Studio reports, summed over the job's texts", async () => {
    const { units } = await dashscopeTranslation.translate({ texts: ['Hello world', 'Good morning 😀'], targetLang: 'fr' }, context());
    const prompt = mockTokens('Hello world') + mockTokens('Good morning 😀') + 2 * QWEN_MT_TEMPLATE_TOKENS;
    const completion = mockTokens('Bonjour monde') + mockTokens('Bon matin 😀');
    expect(units).toEqual({ input_tokens: prompt, output_tokens: completion });
  });

  it('asks Qwen-MT to detect the source when none is given', async () => {
    await dashscopeTranslation.translate(hello, context());
    expect(mock.lastRequest!.json.translation_options).toEqual({ source_lang: 'auto', target_lang: 'German' });
  });

  it('sends a glossary as terms, which the translation follows', async () => {
    const { result } = await dashscopeTranslation.translate({ ...hello, glossary: { world: 'Erde' } }, context());
    expect(mock.lastRequest!.json.translation_options.terms).toEqual([{ source: 'world', target: 'Erde' }]);
    expect(result.translations[0]!.text).toBe('Hallo Erde');
  });

  it('maps BCP 47 tags onto Qwen-MT language names', () => {
    expect(toQwenMtLanguage('zh-Hans')).toBe('Chinese');
    expect(toQwenMtLanguage('zh-Hant')).toBe('Traditional Chinese');
    expect(toQwenMtLanguage('zh-TW')).toBe('Traditional Chinese');
    expect(toQwenMtLanguage('pt-BR')).toBe('Portuguese');
    expect(toQwenMtLanguage('yue')).toBe('Cantonese');
    expect(toQwenMtLanguage('tlh')).toBeNull();
  });

  it('refuses a language it has no name for before calling upstream', async () => {
    await expect(dashscopeTranslation.translate({ texts: ['Hello'], targetLang: 'tlh' }, context())).rejects.toBeInstanceOf(InvalidRequest);
    await expect(dashscopeTranslation.translate({ texts: ['Hello'], targetLang: 'de', sourceLang: 'tlh' }, context())).rejects.toBeInstanceOf(InvalidRequest);
    expect(mock.requests).toHaveLength(0);
  });
});

describe('Qwen-MT failures', () => {
  itMapsUpstreamFailures({ mock: () => mock, run: (timeoutMs) => dashscopeTranslation.translate(hello, context({ timeoutMs })) });

  it("passes on a wrong key as 401 with Model Studio's message, not retryable", async () => {
    const error = await upstreamFailure(dashscopeTranslation.translate(hello, context({ credentials: { apiKey: 'sk-wrong', baseUrl: dashscopeBaseUrl(mock), extra: {} } })));
    expect(error).toMatchObject({ statusCode: 401, isRetryable: false });
    expect(error.message).toContain('Incorrect API key provided');
  });

  it('passes on a language the model refuses as a client error', async () => {
    // Thai is mapped here but the mock's model does not offer it, so the refusal comes from upstream.
    const error = await upstreamFailure(dashscopeTranslation.translate({ texts: ['Hello'], targetLang: 'th' }, context()));
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain('target_lang Thai is not supported');
  });

  it('fails the whole job when one of its texts fails', async () => {
    mock.failNext({ kind: 'status', status: 503, message: 'Service is busy' });
    const error = await upstreamFailure(dashscopeTranslation.translate({ texts: ['Hello', 'world'], targetLang: 'de' }, context()));
    expect(error).toMatchObject({ statusCode: 503, isRetryable: true });
  });
});
