// POST /v1/translations served by a token-priced translation model (Qwen-MT on Alibaba Cloud Model
// Studio, mocked on 127.0.0.1): the account is charged from the prompt and completion tokens the
// provider reported, at the catalog's per-token price, and the usage event records those tokens.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { costMicros, parsePrice } from '../../src/catalog/price';
import { fundedKey, postJson, startTestApp, type TestApp } from '../helpers/app';
import { balanceOf, expectCharged, jobHeaders } from '../helpers/job-checks';
import type { MockUpstream } from '../helpers/mock-upstream';
import { DASHSCOPE_TEST_KEY, dashscopeBaseUrl, mockTokens, QWEN_MT_TEMPLATE_TOKENS, startDashscopeMock } from '../mocks/dashscope';

const QWEN_MT = { provider: 'dashscope', model: 'qwen/qwen-mt-turbo' };

let mock: MockUpstream;
let app: TestApp;
let key: string;

beforeAll(async () => {
  mock = await startDashscopeMock();
  app = await startTestApp({ env: { DASHSCOPE_API_KEY: DASHSCOPE_TEST_KEY, DASHSCOPE_BASE_URL: dashscopeBaseUrl(mock) } });
}, 120_000);

afterAll(async () => {
  await app.close();
  await mock.close();
});

beforeEach(async () => {
  ({ key } = await fundedKey(app, '10'));
  mock.requests.length = 0;
});

/** The tokens the mock reports for these texts and their translations. */
function reportedTokens(texts: string[], translations: string[]) {
  return {
    input_tokens: texts.reduce((sum, text) => sum + mockTokens(text) + QWEN_MT_TEMPLATE_TOKENS, 0),
    output_tokens: translations.reduce((sum, text) => sum + mockTokens(text), 0),
  };
}

describe('POST /v1/translations with a token-priced model', () => {
  it('charges the tokens Model Studio reported at the per-token list price', async () => {
    const texts = ['Hello world, this is the report for the morning.', 'Good morning and thank you'];
    const before = await balanceOf(app, key);
    const res = await postJson(app, '/v1/translations', { model: QWEN_MT.model, text: texts, target_lang: 'de', source_lang: 'en' }, key);
    expect(res.status, await res.clone().text()).toBe(200);
    const cost = jobHeaders(res, QWEN_MT);
    const body = (await res.json()) as { translations: { text: string }[]; usage: { cost_usd: string } };
    const translated = ['Hallo Welt, this is der Bericht for der Morgen.', 'Guten Morgen and danke dir'];
    expect(body.translations.map((t) => t.text)).toEqual(translated);
    expect(body.usage.cost_usd).toBe(res.headers.get('x-switchyard-cost-usd'));

    const events = await fetch(`${app.url}/v1/usage/events?limit=1`, { headers: { authorization: `Bearer ${key}` } });
    const event = ((await events.json()) as { data: { units: Record<string, number>; cost_usd: string }[] }).data[0]!;
    // The provider's own token counts are billed, not the dispatcher's estimate, and no characters.
    expect(event.units).toEqual(reportedTokens(texts, translated));
    const pricing = { input_tokens: parsePrice('0.16', 1_000_000), output_tokens: parsePrice('0.49', 1_000_000) };
    expect(cost).toBe(costMicros(event.units, pricing));
    expect(event.cost_usd).toBe(body.usage.cost_usd);
    await expectCharged(app, key, before, cost);
  });
});
