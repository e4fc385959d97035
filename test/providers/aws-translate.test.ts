import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequest, type UpstreamError } from '../../src/errors';
import { awsTranslateUrl } from '../../src/providers/aws-translate/api';
import { awsTranslateTranslation, fromAwsLang, toAwsLang } from '../../src/providers/aws-translate/translation';
import type { CallContext, ProviderCredentials } from '../../src/providers/types';
import type { TranslationJob } from '../../src/tasks/translation';
import type { MockUpstream } from '../helpers/mock-upstream';
import { itMapsUpstreamFailures, upstreamFailure } from '../helpers/upstream-failures';
import { AWS_TEST_ACCESS_KEY_ID, AWS_TEST_REGION, AWS_TEST_SECRET_ACCESS_KEY, startAwsTranslateMock } from '../mocks/aws-translate';

let mock: MockUpstream;

beforeAll(async () => {
  mock = await startAwsTranslateMock();
});
afterAll(async () => {
  await mock.close();
});
beforeEach(() => {
  mock.clearFaults();
  mock.requests.length = 0;
});

function credentials(overrides: Partial<ProviderCredentials> = {}): ProviderCredentials {
  return {
    apiKey: AWS_TEST_ACCESS_KEY_ID,
    baseUrl: mock.url,
    extra: { secret_access_key: AWS_TEST_SECRET_ACCESS_KEY, region: AWS_TEST_REGION },
    ...overrides,
  };
}

function context(overrides: Partial<CallContext> = {}): CallContext {
  return {
    provider: 'aws-translate',
    providerModelId: 'translate-text',
    credentials: credentials(),
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    requestId: 'req_aws_translate',
    ...overrides,
  };
}

function failure(job: TranslationJob, ctx = context()): Promise<UpstreamError> {
  return upstreamFailure(awsTranslateTranslation.translate(job, ctx));
}

const hello: TranslationJob = { texts: ['Hello world'], targetLang: 'de' };

describe('Amazon Translate', () => {
  it('translates each text in its own signed TranslateText call, in order, with the detected source', async () => {
    const { result } = await awsTranslateTranslation.translate({ texts: ['Hello world', 'Good morning', 'Thank you'], targetLang: 'fr' }, context());
    expect(result.translations).toEqual([
      { text: 'Bonjour monde', detected_source_lang: 'en' },
      { text: 'Bon matin', detected_source_lang: 'en' },
      { text: 'Merci vous', detected_source_lang: 'en' },
    ]);
    expect(mock.requests).toHaveLength(3);
    const sent = mock.requests.find((r) => r.json.Text === 'Hello world')!;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/');
    expect(sent.headers['x-amz-target']).toBe('AWSShineFrontendService_20170701.TranslateText');
    expect(sent.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(sent.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${AWS_TEST_ACCESS_KEY_ID}/\\d{8}/${AWS_TEST_REGION}/translate/aws4_request, `));
    expect(sent.json).toEqual({ Text: 'Hello world', SourceLanguageCode: 'auto', TargetLanguageCode: 'fr' });
  });

  it('meters the source characters as code points, since Amazon reports no usage', async () => {
    const { units } = await awsTranslateTranslation.translate({ texts: ['Hello 😀', 'world'], targetLang: 'de' }, context());
    expect(units).toEqual({ characters: 12 });
  });

  it("maps BCP 47 tags onto Amazon's codes and reads detected languages back as BCP 47", async () => {
    const cases: Record<string, string> = {
      zh: 'zh',
      'zh-Hans': 'zh',
      'zh-Hant': 'zh-TW',
      'zh-HK': 'zh-TW',
      'pt-BR': 'pt',
      'pt-PT': 'pt-PT',
      'fr-CA': 'fr-CA',
      'es-MX': 'es-MX',
      'es-419': 'es',
      'fa-AF': 'fa-AF',
      fil: 'tl',
      'en-GB': 'en',
    };
    for (const [tag, code] of Object.entries(cases)) expect(toAwsLang(tag), tag).toBe(code);
    expect(fromAwsLang('zh-TW')).toBe('zh-Hant');
    expect(fromAwsLang('zh')).toBe('zh-Hans');
    expect(fromAwsLang('fr-CA')).toBe('fr-CA');

    const { result } = await awsTranslateTranslation.translate({ texts: ['Hello world'], targetLang: 'pt-PT', sourceLang: 'en-US' }, context());
    expect(mock.lastRequest!.json).toMatchObject({ SourceLanguageCode: 'en', TargetLanguageCode: 'pt-PT' });
    // A given source is not a detected one.
    expect(result.translations[0]).toEqual({ text: 'Olá mundo', detected_source_lang: null });
  });

  it('asks for a formal or informal register and leaves Settings out by default', async () => {
    await awsTranslateTranslation.translate({ ...hello, formality: 'more' }, context());
    expect(mock.lastRequest!.json.Settings).toEqual({ Formality: 'FORMAL' });
    await awsTranslateTranslation.translate({ ...hello, formality: 'less' }, context());
    expect(mock.lastRequest!.json.Settings).toEqual({ Formality: 'INFORMAL' });
    await awsTranslateTranslation.translate({ ...hello, formality: 'default' }, context());
    expect(mock.lastRequest!.json).not.toHaveProperty('Settings');
  });

  it('fills the region into the default host and uses a configured base URL as it is', () => {
    const base = { apiKey: 'k', extra: {} };
    expect(awsTranslateUrl({ ...base, baseUrl: 'https://translate.{region}.amazonaws.com' }).toString()).toBe('https://translate.us-east-1.amazonaws.com/');
    expect(awsTranslateUrl({ ...base, baseUrl: 'https://translate.{region}.amazonaws.com', extra: { region: 'eu-central-1' } }).host).toBe('translate.eu-central-1.amazonaws.com');
    expect(awsTranslateUrl({ ...base, baseUrl: 'http://127.0.0.1:9000' }).toString()).toBe('http://127.0.0.1:9000/');
  });

  it('refuses a glossary without calling Amazon', async () => {
    await expect(awsTranslateTranslation.translate({ ...hello, glossary: { world: 'Erde' } }, context())).rejects.toBeInstanceOf(InvalidRequest);
    expect(mock.requests).toHaveLength(0);
  });
});

describe('Amazon Translate failures', () => {
  itMapsUpstreamFailures({
    mock: () => mock,
    run: (timeoutMs) => awsTranslateTranslation.translate(hello, context({ timeoutMs })),
    retryAfter: { header: '2', ms: 2_000 },
  });

  it('passes on an unsupported language pair as a client error with Amazon’s message', async () => {
    const error = await failure({ texts: ['Hello'], targetLang: 'tlh' });
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain('Unsupported language pair: en to tlh.');
  });

  it('passes on a text over the size limit as a client error', async () => {
    const error = await failure({ texts: ['word '.repeat(2_500)], targetLang: 'de' });
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain('Input text size exceeds limit');
  });

  it('reports a wrong secret key as a rejected signature, not retryable', async () => {
    const error = await failure(hello, context({ credentials: credentials({ extra: { secret_access_key: 'wrong', region: AWS_TEST_REGION } }) }));
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain('signature we calculated does not match');
  });

  it('reports a request signed for another region as a rejected signature', async () => {
    const error = await failure(hello, context({ credentials: credentials({ extra: { secret_access_key: AWS_TEST_SECRET_ACCESS_KEY, region: 'us-west-2' } }) }));
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
  });

  it('reports an unknown access key as invalid credentials', async () => {
    const error = await failure(hello, context({ credentials: credentials({ apiKey: 'AKIAUNKNOWN000000000' }) }));
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain('security token included in the request is invalid');
  });

  it('fails without a call when the secret access key is not configured', async () => {
    const error = await failure(hello, context({ credentials: credentials({ extra: { region: AWS_TEST_REGION } }) }));
    expect(error).toMatchObject({ statusCode: 403, isRetryable: false });
    expect(error.message).toContain('AWS_TRANSLATE_SECRET_ACCESS_KEY');
    expect(mock.requests).toHaveLength(0);
  });
});
