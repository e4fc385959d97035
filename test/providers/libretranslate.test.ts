import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequest, UpstreamError } from '../../src/errors';
import { libretranslateProvider } from '../../src/providers/libretranslate';
import { fromLibreLang, libretranslateTranslation, toLibreLang } from '../../src/providers/libretranslate/translation';
import type { CallContext } from '../../src/providers/types';
import type { TranslationJob } from '../../src/tasks/translation';
import type { MockUpstream } from '../helpers/mock-upstream';
import { startLibretranslateMock } from '../mocks/libretranslate';

let open: MockUpstream;
let keyed: MockUpstream;
const KEY = 'lt-test-key';

beforeAll(async () => {
  open = await startLibretranslateMock();
  keyed = await startLibretranslateMock(KEY);
});
afterAll(async () => {
  await Promise.all([open.close(), keyed.close()]);
});
beforeEach(() => {
  for (const mock of [open, keyed]) {
    mock.clearFaults();
    mock.requests.length = 0;
  }
});

function context(mock: MockUpstream, overrides: Partial<CallContext> = {}): CallContext {
  return {
    provider: 'libretranslate',
    providerModelId: 'argos',
    credentials: { apiKey: null, baseUrl: mock.url, extra: {} },
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    requestId: 'req_libre',
    ...overrides,
  };
}

async function failure(job: TranslationJob, ctx: CallContext): Promise<UpstreamError> {
  const error = await libretranslateTranslation.translate(job, ctx).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

const hello: TranslationJob = { texts: ['Hello world'], targetLang: 'de' };

describe('LibreTranslate', () => {
  it('is keyless and has no default host, so only LIBRETRANSLATE_BASE_URL makes it routable', () => {
    expect(libretranslateProvider).toMatchObject({ id: 'libretranslate', keyless: true, defaultBaseUrl: '' });
  });

  it('translates a batch with auto-detection and meters source code points', async () => {
    const { result, units } = await libretranslateTranslation.translate({ texts: ['Hello world', 'Good morning 😀'], targetLang: 'es' }, context(open));
    expect(result.translations).toEqual([
      { text: 'Hola mundo', detected_source_lang: 'en' },
      { text: 'Buenos días 😀', detected_source_lang: 'en' },
    ]);
    expect(units).toEqual({ characters: 11 + 14 });
    expect(open.lastRequest!.path).toBe('/translate');
    expect(open.lastRequest!.json).toEqual({ q: ['Hello world', 'Good morning 😀'], source: 'auto', target: 'es', format: 'text' });
  });

  it("maps BCP 47 tags onto LibreTranslate's own codes and back", async () => {
    expect(toLibreLang('pt-BR')).toBe('pb');
    expect(toLibreLang('pt-PT')).toBe('pt');
    expect(toLibreLang('zh-Hant')).toBe('zt');
    expect(toLibreLang('zh-TW')).toBe('zt');
    expect(toLibreLang('zh-Hans')).toBe('zh');
    expect(toLibreLang('en-GB')).toBe('en');
    expect(fromLibreLang('pb')).toBe('pt-BR');
    expect(fromLibreLang('zt')).toBe('zh-Hant');
    expect(fromLibreLang('zh-Hans')).toBe('zh-Hans');

    const { result } = await libretranslateTranslation.translate({ texts: ['Hello world'], targetLang: 'pt-BR', sourceLang: 'en-US' }, context(open));
    expect(open.lastRequest!.json).toMatchObject({ source: 'en', target: 'pb' });
    // With an explicit source the server reports no detection.
    expect(result.translations[0]).toEqual({ text: 'Olá mundo', detected_source_lang: null });
  });

  it('sends the API key when one is configured', async () => {
    const { result } = await libretranslateTranslation.translate(hello, context(keyed, { credentials: { apiKey: KEY, baseUrl: keyed.url, extra: {} } }));
    expect(result.translations[0]!.text).toBe('Hallo Welt');
    expect(keyed.lastRequest!.json).toMatchObject({ api_key: KEY });
  });

  it('refuses a glossary', async () => {
    await expect(libretranslateTranslation.translate({ ...hello, glossary: { world: 'Erde' } }, context(open))).rejects.toBeInstanceOf(InvalidRequest);
  });
});

describe('LibreTranslate failures', () => {
  it('turns 429 with Retry-After into a retryable error that says when to retry', async () => {
    open.failNext({ kind: 'status', status: 429, message: '30 per 1 minute', headers: { 'retry-after': '60' } });
    const error = await failure(hello, context(open));
    expect(error).toMatchObject({ kind: 'http', statusCode: 429, isRetryable: true, retryAfterMs: 60_000 });
    expect(error.message).toContain('Slowdown: 30 per 1 minute');
  });

  it.each([500, 503])('treats %i as retryable', async (status) => {
    open.failNext({ kind: 'status', status });
    expect(await failure(hello, context(open))).toMatchObject({ statusCode: status, isRetryable: true });
  });

  it('times out when the server hangs past the attempt timeout', async () => {
    open.failNext({ kind: 'hang' });
    expect(await failure(hello, context(open, { timeoutMs: 200 }))).toMatchObject({ kind: 'timeout' });
  });

  it('reports a reset connection as a connect failure', async () => {
    open.failNext({ kind: 'reset' });
    expect(await failure(hello, context(open))).toMatchObject({ kind: 'connect', isRetryable: true });
  });

  it('reports malformed JSON as a protocol failure', async () => {
    open.failNext({ kind: 'malformed' });
    expect(await failure(hello, context(open))).toMatchObject({ kind: 'protocol' });
  });

  it('passes on an unsupported language as a client error with the server’s message', async () => {
    const error = await failure({ texts: ['Hello'], targetLang: 'tlh' }, context(open));
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toContain('tlh is not supported');
  });

  it('reports a wrong API key as 403 and a missing one as 400, neither retryable', async () => {
    const wrong = await failure(hello, context(keyed, { credentials: { apiKey: 'nope', baseUrl: keyed.url, extra: {} } }));
    expect(wrong).toMatchObject({ statusCode: 403, isRetryable: false });
    expect(wrong.message).toContain('Invalid API key');
    const missing = await failure(hello, context(keyed));
    expect(missing).toMatchObject({ statusCode: 400, isRetryable: false });
  });
});
