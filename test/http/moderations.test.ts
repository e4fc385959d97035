// POST /v1/moderations through the real app over HTTP: the official `openai` SDK as the client,
// OpenAI, Azure AI Content Safety and Llama Guard (DeepInfra) as providers (mocks on 127.0.0.1),
// every answer in OpenAI's moderation shape with OpenAI's category names, the account charged
// exactly the cost in the headers; and bad requests refused cleanly with nothing charged.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MODERATION_CATEGORIES } from '../../src/tasks/moderation';
import { fundedKey, postJson, startTestApp, type TestApp } from '../helpers/app';
import { balanceOf, expectApiError, expectCharged, expectStillServing, jobHeaders, type Balance } from '../helpers/job-checks';
import type { MockUpstream } from '../helpers/mock-upstream';
import { AZURE_CONTENT_SAFETY_TEST_KEY, startAzureContentSafetyMock } from '../mocks/azure-content-safety';
import { LLAMA_GUARD_TEST_KEY, startLlamaGuardMock } from '../mocks/llama-guard';
import { OPENAI_TEST_KEY, startOpenAIMock } from '../mocks/openai/index';

const OPENAI = { provider: 'openai', model: 'openai/omni-moderation-latest' };
const AZURE = { provider: 'azure-content-safety', model: 'microsoft/content-safety-text' };
const GUARD = { provider: 'deepinfra', model: 'meta-llama/llama-guard-3-8b' };

let openai: MockUpstream;
let azure: MockUpstream;
let guard: MockUpstream;
let app: TestApp;
let key: string;
let client: OpenAI;

beforeAll(async () => {
  [openai, azure, guard] = await Promise.all([startOpenAIMock(), startAzureContentSafetyMock(), startLlamaGuardMock()]);
  app = await startTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_TEST_KEY,
      OPENAI_BASE_URL: `${openai.url}/v1`,
      AZURE_CONTENT_SAFETY_API_KEY: AZURE_CONTENT_SAFETY_TEST_KEY,
      AZURE_CONTENT_SAFETY_BASE_URL: azure.url,
      DEEPINFRA_API_KEY: LLAMA_GUARD_TEST_KEY,
      DEEPINFRA_BASE_URL: `${guard.url}/v1/openai`,
    },
  });
}, 120_000);

afterAll(async () => {
  await app.close();
  await Promise.all([openai.close(), azure.close(), guard.close()]);
});

beforeEach(async () => {
  ({ key } = await fundedKey(app, '10'));
  client = new OpenAI({ apiKey: key, baseURL: `${app.url}/v1`, maxRetries: 0 });
  for (const mock of [openai, azure, guard]) mock.requests.length = 0;
});

function expectModerationShape(result: OpenAI.Moderation): void {
  expect(Object.keys(result).sort()).toEqual(['categories', 'category_applied_input_types', 'category_scores', 'flagged']);
  expect(Object.keys(result.categories).sort()).toEqual([...MODERATION_CATEGORIES].sort());
  expect(Object.keys(result.category_scores).sort()).toEqual([...MODERATION_CATEGORIES].sort());
  expect(Object.keys(result.category_applied_input_types).sort()).toEqual([...MODERATION_CATEGORIES].sort());
  for (const name of MODERATION_CATEGORIES) {
    expect(typeof result.categories[name as keyof OpenAI.Moderation.Categories]).toBe('boolean');
    const score = result.category_scores[name as keyof OpenAI.Moderation.CategoryScores];
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(1);
  }
}

describe('POST /v1/moderations', () => {
  it.each([OPENAI, AZURE, GUARD])('classifies a list through $provider with the official openai SDK and charges the header cost', async (served) => {
    const before = await balanceOf(app, key);
    const { data, response } = await client.moderations.create({ model: served.model, input: ['I will kill you, this is an attack', 'What a lovely day'] }).withResponse();
    const cost = jobHeaders(response as unknown as Response, served);
    expect(data.id).toMatch(/^modr-[A-Za-z0-9]{24}$/);
    expect(data.model).toBe(served.model);
    expect(data.results).toHaveLength(2);
    for (const result of data.results) expectModerationShape(result);
    expect(data.results[0]!.flagged).toBe(true);
    expect(data.results[0]!.categories.violence).toBe(true);
    expect(data.results[1]!.flagged).toBe(false);
    expect(data.results[0]!.category_applied_input_types.violence).toEqual(['text']);
    await expectCharged(app, key, before, cost);
    if (served === AZURE) expect(cost).toBe(760); // two 1,000-character records at USD 0.38 per 1,000
    if (served === GUARD) expect(cost).toBeGreaterThan(0);
  });

  it("maps OpenAI's bare model names to the catalog's ids", async () => {
    const { data, response } = await client.moderations.create({ model: 'text-moderation-latest', input: 'hello' }).withResponse();
    expect(data.model).toBe('openai/text-moderation-latest');
    expect(response.headers.get('x-switchyard-provider')).toBe('openai');
    expect(openai.lastRequest!.json.model).toBe('text-moderation-latest');
  });

  it('sends a single string as one input and "auto" to the cheapest offering', async () => {
    const res = await postJson(app, '/v1/moderations', { input: 'I hate this' }, key);
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as OpenAI.ModerationCreateResponse & { usage: { inputs: number; characters: number; cost_usd: string } };
    expect(res.headers.get('x-switchyard-provider')).toBe('openai');
    expect(body.results).toHaveLength(1);
    expect(body.results[0]!.categories.hate).toBe(true);
    expect(body.usage).toEqual({ inputs: 1, characters: 11, cost_usd: res.headers.get('x-switchyard-cost-usd') });
  });

  it('reads a list of text parts as one input, as OpenAI does', async () => {
    const { data } = await client.moderations
      .create({ model: AZURE.model, input: [{ type: 'text', text: 'I will' }, { type: 'text', text: 'kill you' }] })
      .withResponse();
    expect(data.results).toHaveLength(1);
    expect(data.results[0]!.flagged).toBe(true);
    expect(azure.requests).toHaveLength(1);
    expect(azure.lastRequest!.json.text).toBe('I will\nkill you');
  });

  it('marks categories a provider does not score as applying to no input', async () => {
    const { data } = await client.moderations.create({ model: AZURE.model, input: 'hello' }).withResponse();
    expect(data.results[0]!.category_applied_input_types.hate).toEqual(['text']);
    expect(data.results[0]!.category_applied_input_types.illicit).toEqual([]);
  });
});

describe('POST /v1/moderations refuses bad input cleanly, charges nothing and keeps serving', () => {
  let before: Balance;
  beforeEach(async () => {
    before = await balanceOf(app, key);
  });

  async function refused(res: Response, expected: Parameters<typeof expectApiError>[1]): Promise<void> {
    await expectApiError(res, expected);
    await expectCharged(app, key, before, 0);
    expect(openai.requests.length + azure.requests.length + guard.requests.length).toBe(0);
    await expectStillServing(app);
  }

  it('malformed JSON', async () => {
    const res = await fetch(`${app.url}/v1/moderations`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"input": [' });
    await refused(res, { status: 400, code: 'invalid_request' });
  });

  it.each([
    [{ input: 5 }, 'input'],
    [{}, 'input'],
    [{ input: [] }, 'input'],
    [{ input: Array.from({ length: 65 }, () => 'x') }, 'input'],
    [{ input: 'hi', model: 3 }, 'model'],
    [{ input: 'hi', provider: 'not json' }, 'provider'],
  ])('a wrong or missing field (%j) names it', async (body, param) => {
    await refused(await postJson(app, '/v1/moderations', body, key), { status: 400, param });
  });

  it('an image input, which no offering here can classify', async () => {
    const input = [
      { type: 'text', text: 'look' },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
    ];
    await refused(await postJson(app, '/v1/moderations', { model: 'omni-moderation-latest', input }, key), { status: 422, code: 'no_offering', param: 'input', message: /image/i });
  });

  it('an image input for a text-only model', async () => {
    const input = [{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }];
    await refused(await postJson(app, '/v1/moderations', { model: AZURE.model, input }, key), { status: 422, param: 'input', message: /reads text only/ });
  });

  it('an unknown model, as the SDK sees it', async () => {
    const error = await client.moderations.create({ model: 'nobody/no-such-moderator', input: 'hi' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    await expectCharged(app, key, before, 0);
    await expectStillServing(app);
  });

  it('a model of another task', async () => {
    await refused(await postJson(app, '/v1/moderations', { model: 'deepl/translate', input: 'hi' }, key), { status: 404, code: 'model_not_found' });
  });

  it('no API key', async () => {
    await expectApiError(await postJson(app, '/v1/moderations', { input: 'hi' }), { status: 401, code: 'invalid_api_key' });
    const error = await new OpenAI({ apiKey: 'sk-not-a-switchyard-key', baseURL: `${app.url}/v1`, maxRetries: 0 }).moderations.create({ input: 'hi', model: 'auto' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    await expectStillServing(app);
  });
});
