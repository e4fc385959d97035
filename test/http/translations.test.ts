// POST /v1/translations through the real app over HTTP: the same texts translated by DeepL and by
// Google Cloud Translation (mocks on 127.0.0.1) in one answer shape, routed by what the job needs
// (formality, glossary, the language pair), the account charged exactly the cost in the headers;
// and bad requests refused cleanly with nothing charged.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fundedKey, postJson, startTestApp, type TestApp } from '../helpers/app';
import { balanceOf, expectApiError, expectCharged, expectStillServing, jobHeaders, type Balance } from '../helpers/job-checks';
import type { MockUpstream } from '../helpers/mock-upstream';
import { DEEPL_TEST_KEY, startDeeplMock, type DeeplMock } from '../mocks/deepl';
import { GOOGLE_CLOUD_TEST_KEY, startGoogleCloudMock } from '../mocks/google-cloud/index';

const DEEPL = { provider: 'deepl', model: 'deepl/translate' };
const GOOGLE = { provider: 'google-cloud', model: 'google/cloud-translation-nmt' };

let deepl: DeeplMock;
let google: MockUpstream;
let app: TestApp;
let key: string;

beforeAll(async () => {
  [deepl, google] = await Promise.all([startDeeplMock(), startGoogleCloudMock()]);
  app = await startTestApp({
    env: { DEEPL_API_KEY: DEEPL_TEST_KEY, DEEPL_BASE_URL: deepl.url, GOOGLE_CLOUD_API_KEY: GOOGLE_CLOUD_TEST_KEY, GOOGLE_CLOUD_BASE_URL: google.url },
  });
}, 120_000);

afterAll(async () => {
  await app.close();
  await Promise.all([deepl.close(), google.close()]);
});

beforeEach(async () => {
  ({ key } = await fundedKey(app, '10'));
  deepl.requests.length = 0;
  google.requests.length = 0;
});

interface TranslationAnswer {
  translations: { text: string; detected_source_lang: string | null }[];
  model: string;
  usage: { characters: number; cost_usd: string };
}

function shapeOf(body: TranslationAnswer) {
  return {
    top: Object.keys(body).sort(),
    usage: Object.keys(body.usage).sort(),
    items: body.translations.map((t) => Object.keys(t).sort()),
  };
}

describe('POST /v1/translations', () => {
  it('translates a list through DeepL and through Google in the same shape, each charged its header cost', async () => {
    const shapes = [];
    for (const served of [DEEPL, GOOGLE]) {
      const before = await balanceOf(app, key);
      const res = await postJson(app, '/v1/translations', { model: served.model, text: ['Hello world', 'Good morning'], target_lang: 'de' }, key);
      expect(res.status, await res.clone().text()).toBe(200);
      const cost = jobHeaders(res, served);
      const body = (await res.json()) as TranslationAnswer;
      expect(body.model).toBe(served.model);
      expect(body.translations.map((t) => t.text)).toEqual(['Hallo Welt', 'Guten Morgen']);
      expect(body.translations.every((t) => t.detected_source_lang?.toLowerCase() === 'en')).toBe(true);
      expect(body.usage.characters).toBe(23);
      expect(body.usage.cost_usd).toBe(res.headers.get('x-switchyard-cost-usd'));
      // 23 characters at USD 25 (DeepL) or 20 (Google) per million.
      expect(cost).toBe(served === DEEPL ? 575 : 460);
      await expectCharged(app, key, before, cost);
      shapes.push(shapeOf(body));
    }
    expect(shapes[0]).toEqual(shapes[1]);
    expect(shapes[0]!.top).toEqual(['model', 'translations', 'usage']);
    expect(shapes[0]!.usage).toEqual(['characters', 'cost_usd']);
  });

  it('takes one string and counts characters as code points', async () => {
    const res = await postJson(app, '/v1/translations', { model: GOOGLE.model, text: 'Hello 😀', target_lang: 'fr' }, key);
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as TranslationAnswer;
    expect(body.translations).toHaveLength(1);
    expect(body.translations[0]!.text).toBe('Bonjour 😀');
    expect(body.usage.characters).toBe(7);
  });

  it('sends "auto" to the cheapest offering with the pair, and to one with formality when it is asked for', async () => {
    const plain = await postJson(app, '/v1/translations', { text: 'Hello', target_lang: 'de' }, key);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('x-switchyard-provider')).toBe('google-cloud');

    const formal = await postJson(app, '/v1/translations', { text: 'Thank you', target_lang: 'de', formality: 'more' }, key);
    expect(formal.status, await formal.clone().text()).toBe(200);
    expect(formal.headers.get('x-switchyard-provider')).toBe('deepl');
    expect(deepl.lastRequest!.json.formality).toBe('prefer_more');
  });

  it('applies a glossary through an offering that has glossaries', async () => {
    const res = await postJson(app, '/v1/translations', { text: 'Hello world', source_lang: 'en', target_lang: 'de', glossary: { world: 'Erde' } }, key);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('x-switchyard-provider')).toBe('deepl');
    const body = (await res.json()) as TranslationAnswer;
    expect(body.translations[0]!.text).toBe('Hallo Erde');
  });

  it('accepts language tags in any case and routing preferences', async () => {
    const res = await postJson(app, '/v1/translations', { text: 'Good morning', target_lang: 'PT-br', source_lang: 'EN', provider: { only: ['deepl'] } }, key);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('x-switchyard-provider')).toBe('deepl');
    expect(deepl.lastRequest!.json.target_lang).toBe('PT-BR');
  });
});

describe('POST /v1/translations refuses bad input cleanly, charges nothing and keeps serving', () => {
  let before: Balance;
  beforeEach(async () => {
    before = await balanceOf(app, key);
  });

  async function refused(res: Response, expected: Parameters<typeof expectApiError>[1]): Promise<void> {
    await expectApiError(res, expected);
    await expectCharged(app, key, before, 0);
    expect(deepl.requests.length + google.requests.length).toBe(0);
    await expectStillServing(app);
  }

  it('malformed JSON', async () => {
    const res = await fetch(`${app.url}/v1/translations`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"text": "Hello", ' });
    await refused(res, { status: 400, code: 'invalid_request' });
  });

  it('a body that is not JSON', async () => {
    const res = await fetch(`${app.url}/v1/translations`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/plain' }, body: 'Hello' });
    await refused(res, { status: 415 });
  });

  it('a JSON array instead of an object', async () => {
    await refused(await postJson(app, '/v1/translations', [{ text: 'Hello', target_lang: 'de' }], key), { status: 400 });
  });

  it.each([
    [{ text: 5, target_lang: 'de' }, 'text'],
    [{ text: [], target_lang: 'de' }, 'text'],
    [{ text: '', target_lang: 'de' }, 'text'],
    [{ text: 'Hello' }, 'target_lang'],
    [{ text: 'Hello', target_lang: 7 }, 'target_lang'],
    [{ text: 'Hello', target_lang: 'de', formality: 'very' }, 'formality'],
    [{ text: 'Hello', target_lang: 'de', glossary: 'world=Erde' }, 'glossary'],
    [{ text: 'Hello', target_lang: 'de', model: false }, 'model'],
    [{ text: 'Hello', target_lang: 'de', provider: { sort: 'random' } }, 'provider.sort'],
  ])('a wrong or missing field (%j) names it', async (body, param) => {
    await refused(await postJson(app, '/v1/translations', body, key), { status: 400, param });
  });

  it.each([
    ['target_lang', 'german'],
    ['target_lang', 'de_DE'],
    ['target_lang', '*'],
    ['source_lang', 'en-US-x-twain-extra-long'],
  ])('a bad language tag in %s (%s)', async (field, tag) => {
    await refused(await postJson(app, '/v1/translations', { text: 'Hello', target_lang: 'de', [field]: tag }, key), { status: 400, param: field });
  });

  it('an unknown model', async () => {
    await refused(await postJson(app, '/v1/translations', { model: 'nobody/translator', text: 'Hello', target_lang: 'de' }, key), { status: 404, code: 'model_not_found' });
  });

  it('a language pair the model does not have', async () => {
    await refused(await postJson(app, '/v1/translations', { model: DEEPL.model, text: 'Hello', target_lang: 'sw' }, key), { status: 422, code: 'no_offering', message: /sw/ });
  });

  it('no API key', async () => {
    await expectApiError(await postJson(app, '/v1/translations', { text: 'Hello', target_lang: 'de' }), { status: 401, code: 'invalid_api_key' });
    await expectStillServing(app);
  });
});
