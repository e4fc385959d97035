// The catalog and compare views in a real Chromium against the real gateway: what a reader sees must be
// what the API says — the same models in the same order, prices converted exactly, the same costs.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseUsd } from '../../src/catalog/price';
import { fundedKey, postJson, startTestApp, type TestApp } from '../helpers/app';
import type { MockUpstream } from '../helpers/mock-upstream';
import { hostBaseUrl, hostTestKey, startOpenAICompatibleMock } from '../mocks/openai-compatible';
import { eventually, launchChromium, openPage, screenshot, type OpenedPage } from './browser';
import { documentScrollWidth, focusedElement, lowestTextContrast, unlabelledControls } from './in-page';

let mock: MockUpstream;
let app: TestApp;
let browser: Browser;
const opened: OpenedPage[] = [];

interface ApiModel {
  id: string;
  task: string;
  offerings: { provider: string; pricing: Record<string, string> }[];
}
interface ApiComparison {
  data: { id: string; sample_job: string; cheapest_offering: { estimated_cost_usd: string } | null }[];
}

beforeAll(async () => {
  browser = await launchChromium();
  mock = await startOpenAICompatibleMock('groq');
  app = await startTestApp({ env: { GROQ_API_KEY: hostTestKey('groq'), GROQ_BASE_URL: hostBaseUrl(mock, 'groq') } });
  // Real jobs through Groq, so its health turns "healthy" and it has a latency to sort by.
  const { key } = await fundedKey(app, '5');
  for (let i = 0; i < 2; i++) {
    const response = await postJson(app, '/v1/chat/completions', { model: 'openai/gpt-oss-120b', messages: [{ role: 'user', content: 'hello there' }] }, key);
    expect(response.status).toBe(200);
  }
}, 180_000);

afterEach(async () => {
  const problems = opened.flatMap((o) => [...o.problems.errors, ...o.problems.foreignRequests.map((url) => `left the origin: ${url}`)]);
  await Promise.all(opened.splice(0).map((o) => o.context.close()));
  expect(problems).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await mock?.close();
});

async function open(viewport?: { width: number; height: number }): Promise<Page> {
  const o = await openPage(browser, app.url, viewport);
  opened.push(o);
  return o.page;
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${app.url}${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

const cardIds = (page: Page) => page.$$eval('.model-card', (cards) => cards.map((c) => c.getAttribute('data-model-id')));

async function costsOf(ids: string[]): Promise<Map<string, ApiComparison['data'][number]>> {
  const rows = new Map<string, ApiComparison['data'][number]>();
  for (let i = 0; i < ids.length; i += 6) {
    const batch = ids.slice(i, i + 6);
    if (batch.length === 1) batch.push(ids[0] === batch[0] ? ids[1]! : ids[0]!);
    const comparison = await getJson<ApiComparison>(`/v1/models/compare?ids=${batch.join(',')}`);
    for (const row of comparison.data) rows.set(row.id, row);
  }
  return rows;
}

// A browser, a gateway and real jobs: slower than a unit test, most of all on a busy machine.
describe('the catalog page', { timeout: 90_000 }, () => {
  it('lists models with each offering priced per 1M tokens and live provider health', async () => {
    const page = await open();
    await page.goto('/');
    await eventually(() => cardIds(page)).toHaveLength(24);
    const firstPage = await getJson<{ data: ApiModel[] }>('/v1/models?sort=name&limit=48');
    expect(await cardIds(page)).toEqual(firstPage.data.slice(0, 24).map((m) => m.id));
    await page.getByRole('button', { name: 'Show more models' }).click();
    await eventually(() => cardIds(page)).toEqual(firstPage.data.map((m) => m.id));

    await page.getByLabel('Search models').fill('gpt-oss-120b');
    await eventually(() => cardIds(page)).toEqual(['openai/gpt-oss-120b']);
    const groq = page.locator('.model-card .offering[data-provider="groq"]');
    // API: input 0.00000015, cached 0.000000075, output 0.0000006 USD per token.
    expect(await groq.locator('.price-lines li').allInnerTexts()).toEqual([
      'Input $0.15 / 1M tokens',
      'Cached input $0.075 / 1M tokens',
      'Output $0.60 / 1M tokens',
    ]);
    await eventually(() => groq.locator('.badge').getAttribute('data-status')).toBe('Healthy');
    expect(await groq.locator('.latency').innerText()).toMatch(/^\d+ ms median$/);
    expect(await page.locator('.model-card .offering[data-provider="together"] .badge').getAttribute('data-status')).toBe('Not configured');
    await eventually(() => page.locator('.provider-list li[data-provider="groq"] .badge').getAttribute('data-status')).toBe('Healthy');
    await page.getByLabel('Search models').fill('');
    await eventually(() => cardIds(page)).toHaveLength(24);
    await screenshot(page, 'catalog', false);
  });

  it('filters to OCR models and sorts them by price in the API order, cheapest typical job first', async () => {
    const page = await open();
    await page.goto('/');
    await eventually(() => cardIds(page)).toHaveLength(24);
    await page.getByRole('radio', { name: 'OCR' }).check();
    const ocr = await getJson<{ data: ApiModel[] }>('/v1/models?task=ocr&sort=name');
    await eventually(() => cardIds(page)).toEqual(ocr.data.map((m) => m.id));
    expect(new Set(await page.$$eval('.model-card', (cards) => cards.map((c) => c.getAttribute('data-task'))))).toEqual(new Set(['ocr']));
    expect(page.url()).toContain('task=ocr');

    await page.getByLabel('Sort by').selectOption('price');
    const byPrice = await getJson<{ data: ApiModel[] }>('/v1/models?task=ocr&sort=price');
    const ids = byPrice.data.map((m) => m.id);
    await eventually(() => cardIds(page)).toEqual(ids);
    expect(ids.length).toBeGreaterThan(5);

    const costs = await costsOf(ids);
    const micros = ids.map((id) => parseUsd(costs.get(id)!.cheapest_offering!.estimated_cost_usd));
    expect(micros).toEqual([...micros].sort((a, b) => a - b));
    // Each card shows that same typical-job cost.
    for (const id of ids) {
      const row = costs.get(id)!;
      const expected = parseUsd(row.cheapest_offering!.estimated_cost_usd) === 0 ? 'Free' : `$${row.cheapest_offering!.estimated_cost_usd}`;
      await eventually(() => page.locator(`.model-card[data-model-id="${id}"] .typical-cost`).innerText()).toBe(`${expected} for ${row.sample_job}`);
    }
    // Page prices in the unit people quote: Vision's 0.0015 USD per page is 1.50 per 1,000 pages.
    expect(await page.locator('.model-card[data-model-id="google/cloud-vision-text"] .price-lines li').allInnerTexts()).toEqual(['$1.50 / 1,000 pages']);
    await screenshot(page, 'catalog-ocr-by-price');
  });

  it('combines provider, language, context, open-weights and latency sort exactly as the API does', async () => {
    const page = await open();
    await page.goto('/#/?task=chat');
    await eventually(() => page.locator('#filter-provider option[value="groq"]').count()).toBe(1);
    await page.getByLabel('Provider', { exact: true }).selectOption('groq');
    await page.getByLabel('Open weights only').check();
    await page.getByLabel('Context').selectOption('128000');
    await page.getByLabel('Language').fill('en');
    await page.getByLabel('Language').press('Tab');
    await page.getByLabel('Sort by').selectOption('latency');
    const expected = await getJson<{ data: ApiModel[] }>('/v1/models?task=chat&provider=groq&open_weights=true&min_context=128000&language=en&sort=latency');
    expect(expected.data[0]!.id).toBe('openai/gpt-oss-120b');
    await eventually(() => cardIds(page)).toEqual(expected.data.map((m) => m.id));

    await page.getByLabel('Max price (USD)').fill('0.0.1');
    await page.getByLabel('Max price (USD)').press('Tab');
    await eventually(() => page.locator('#price-error').innerText()).toContain('Enter a USD amount');
    await page.getByLabel('Max price (USD)').fill('0.0002');
    await page.getByLabel('Max price (USD)').press('Tab');
    const cheap = await getJson<{ data: ApiModel[] }>('/v1/models?task=chat&provider=groq&open_weights=true&min_context=128000&language=en&sort=latency&max_price=0.0002');
    await eventually(() => cardIds(page)).toEqual(cheap.data.map((m) => m.id));
  });

  it('compares two models side by side with the sample-job costs the API computes', async () => {
    const page = await open();
    await page.goto('/#/?task=ocr&sort=price');
    await eventually(() => cardIds(page)).toHaveLength(10);
    const picked = ['deepseek-ai/deepseek-ocr', 'google/cloud-vision-text'];
    for (const id of picked) await page.locator(`[data-compare="${id}"]`).check();
    const tray = page.getByRole('region', { name: 'Models to compare' });
    await eventually(() => tray.innerText()).toContain('2 of 4 picked');
    await tray.getByRole('link', { name: 'Compare' }).click();

    await eventually(() => page.locator('.compare-table').count()).toBe(1);
    const api = await getJson<ApiComparison>(`/v1/models/compare?ids=${picked.join(',')}`);
    for (const row of api.data) {
      expect(await page.locator(`[data-cost-for="${row.id}"]`).innerText()).toBe(`$${row.cheapest_offering!.estimated_cost_usd}`);
    }
    const cheaper = [...api.data].sort((a, b) => parseUsd(a.cheapest_offering!.estimated_cost_usd) - parseUsd(b.cheapest_offering!.estimated_cost_usd))[0]!;
    expect(await page.locator('.cost-row td:has(.lowest) [data-cost-for]').getAttribute('data-cost-for')).toBe(cheaper.id);
    expect(await page.locator('.compare-table thead th').allInnerTexts()).toEqual(
      expect.arrayContaining([expect.stringContaining('DeepSeek-OCR'), expect.stringContaining('Cloud Vision TEXT_DETECTION')]),
    );
    await screenshot(page, 'compare');

    // No more than four: the fifth pick is refused with a message.
    await page.goto('/#/?task=ocr&sort=price');
    await eventually(() => cardIds(page)).toHaveLength(10);
    const others = (await cardIds(page)).filter((id) => !picked.includes(id!));
    for (const id of others.slice(0, 2)) await page.locator(`[data-compare="${id}"]`).check();
    await eventually(() => tray.innerText()).toContain('4 of 4 picked');
    const spare = others[2]!;
    await page.locator(`[data-compare="${spare}"]`).click();
    expect(await page.locator(`[data-compare="${spare}"]`).isChecked()).toBe(false);
    expect(await page.locator(`.model-card[data-model-id="${spare}"] .compare-toggle`).innerText()).toContain('up to 4 models');
  });

  it('fits a 375 px phone screen without sideways scrolling', async () => {
    const page = await open({ width: 375, height: 812 });
    await page.goto('/#/?task=ocr');
    await eventually(() => cardIds(page)).toHaveLength(10);
    expect(await page.evaluate(documentScrollWidth)).toBeLessThanOrEqual(375);
    const card = await page.locator('.model-card').first().boundingBox();
    expect(card!.x).toBeGreaterThanOrEqual(0);
    expect(card!.x + card!.width).toBeLessThanOrEqual(375);
    expect(await page.getByLabel('Search models').isVisible()).toBe(true);
    // The secondary filters fold away on a phone so the models come first, and open on request.
    expect(await page.getByLabel('Sort by').isVisible()).toBe(false);
    await page.getByText('Filters and sorting').click();
    expect(await page.getByLabel('Sort by').isVisible()).toBe(true);
    expect(await page.evaluate(documentScrollWidth)).toBeLessThanOrEqual(375);
    await screenshot(page, 'phone-catalog');

    await page.goto('/#/compare?ids=openai/gpt-oss-120b,google/cloud-vision-text');
    await eventually(() => page.locator('.compare-table').count()).toBe(1);
    // The table scrolls inside its own region; the page itself does not.
    expect(await page.evaluate(documentScrollWidth)).toBeLessThanOrEqual(375);
    await screenshot(page, 'phone-compare', false);
  });

  it('offers no Top up on the usage page when Stripe is not configured', async () => {
    expect(await (await fetch(`${app.url}/web/config.json`)).json()).toEqual({ object: 'web.config', stripe_enabled: false });
    const { key } = await fundedKey(app, '1');
    const page = await open();
    await page.goto('/#/usage');
    await page.getByLabel('Paste an API key').fill(key);
    await page.getByRole('button', { name: 'Show usage' }).click();
    await eventually(() => page.locator('[data-stat="available"] .stat-value').innerText()).toBe('$1.00');
    expect(await page.getByRole('button', { name: 'Top up' }).count()).toBe(0);
  });

  it('works from the keyboard with labelled controls, visible focus and readable contrast', async () => {
    const page = await open();
    await page.goto('/');
    await eventually(() => cardIds(page)).toHaveLength(24);
    await page.keyboard.press('Tab');
    expect((await page.evaluate(focusedElement)).text).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect((await page.evaluate(focusedElement)).id).toBe('main');
    expect(await page.evaluate(unlabelledControls)).toEqual([]);

    await page.getByLabel('Search models').focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const focus = await page.evaluate(focusedElement);
    expect(focus).toMatchObject({ id: 'filter-q', outlineStyle: 'solid' });
    expect(focus.outlineWidth).toBeGreaterThanOrEqual(2);
    await page.keyboard.type('mistral ocr');
    await eventually(() => cardIds(page)).toEqual(expect.arrayContaining(['mistralai/mistral-ocr-2512']));

    const worst = await page.evaluate(lowestTextContrast);
    expect(worst.ratio, `lowest contrast: ${JSON.stringify(worst)}`).toBeGreaterThanOrEqual(4.5);
  });
});
