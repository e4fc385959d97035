// The usage view in a real Chromium against the real gateway, after real chat jobs through the Groq
// mock: the balance, the spend chart, the breakdown and the CSV must show what the API says.
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fundedKey, postJson, settledDb, startTestApp, type TestApp } from '../helpers/app';
import type { MockUpstream } from '../helpers/mock-upstream';
import { hostBaseUrl, hostTestKey, startOpenAICompatibleMock } from '../mocks/openai-compatible';
import { eventually, launchChromium, openPage, screenshot, type OpenedPage } from './browser';
import { documentScrollWidth, storageNames } from './in-page';

const DAY_MS = 86_400_000;
const isoDay = (time: number) => new Date(time).toISOString().slice(0, 10);

let mock: MockUpstream;
let app: TestApp;
let browser: Browser;
let key: string;
const requestIds: string[] = [];
const opened: OpenedPage[] = [];

interface UsageTotals {
  total_cost_usd: string;
  total_jobs: number;
  data: Record<string, string | number>[];
}

beforeAll(async () => {
  browser = await launchChromium();
  mock = await startOpenAICompatibleMock('groq');
  // Stripe "configured" (the key is never used here: the checkout call is answered in the browser).
  app = await startTestApp({ env: { GROQ_API_KEY: hostTestKey('groq'), GROQ_BASE_URL: hostBaseUrl(mock, 'groq'), STRIPE_SECRET_KEY: 'sk_test_not_used' } });
  ({ key } = await fundedKey(app, '10'));
  // Three jobs of different sizes (the mock counts words as tokens and echoes the prompt).
  for (const words of [300, 900, 1500]) {
    const response = await postJson(app, '/v1/chat/completions', { model: 'openai/gpt-oss-120b', messages: [{ role: 'user', content: 'word '.repeat(words) }] }, key);
    expect(response.status).toBe(200);
    requestIds.push(response.headers.get('x-request-id')!);
  }
  // Spread them over three days, as if they had run on Monday, Wednesday and today (once written).
  await settledDb(app);
  for (const [index, days] of [[0, 4], [1, 2]] as const) {
    await app.database.db
      .updateTable('usage_events')
      .set({ created_at: sql`created_at - make_interval(days => ${days})` })
      .where('request_id', '=', requestIds[index]!)
      .execute();
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

async function open(viewport?: { width: number; height: number }, expectedStatuses: number[] = []): Promise<Page> {
  const o = await openPage(browser, app.url, viewport, expectedStatuses);
  opened.push(o);
  return o.page;
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

async function showUsage(page: Page, apiKey = key): Promise<void> {
  await page.goto('/#/usage');
  await page.getByLabel('Paste an API key').fill(apiKey);
  await page.getByRole('button', { name: 'Show usage' }).click();
}

/** A breakdown table's rows as cell texts (a row's innerText separates its cells with tabs). */
const cellTexts = async (page: Page, group: string) =>
  (await page.locator(`.breakdown[data-group="${group}"] tbody tr`).allInnerTexts()).map((row) => row.split('\t').map((cell) => cell.trim()));

describe('the usage page', { timeout: 90_000 }, () => {
  it('shows the balance, spend per day as a chart and the breakdown of a key after real jobs', async () => {
    const page = await open();
    await showUsage(page);
    await eventually(() => page.locator('svg.chart').count()).toBe(1);

    const today = isoDay(Date.now());
    const range = `start=${isoDay(Date.now() - 29 * DAY_MS)}&end=${isoDay(Date.now() + DAY_MS)}`;
    const balance = await getJson<{ available_usd: string; balance_usd: string }>('/v1/balance');
    const byDay = await getJson<UsageTotals>(`/v1/usage?${range}&group_by=day`);
    expect(byDay.total_jobs).toBe(3);
    expect(await page.locator('[data-stat="available"] .stat-value').innerText()).toBe(`$${balance.available_usd}`);
    expect(await page.locator('[data-stat="balance"] .stat-value').innerText()).toBe(`$${balance.balance_usd}`);
    expect(await page.locator('[data-stat="spent"] .stat-value').innerText()).toBe(`$${byDay.total_cost_usd}`);
    expect(await page.locator('[data-stat="jobs"] .stat-value').innerText()).toBe('3');

    // One bar per day with spend, each titled with that day's exact cost, taller for the costlier day.
    expect(byDay.data.map((d) => d.day)).toEqual([isoDay(Date.now() - 4 * DAY_MS), isoDay(Date.now() - 2 * DAY_MS), today]);
    expect(await page.locator('svg.chart rect.bar').count()).toBe(3);
    const heights: number[] = [];
    for (const row of byDay.data) {
      const bar = page.locator(`svg.chart g.day[data-day="${row.day}"] rect.bar`);
      expect(await bar.locator('title').textContent()).toContain(`$${row.cost_usd}, 1 job`);
      heights.push(Number(await bar.getAttribute('height')));
    }
    expect(heights[0]).toBeLessThan(heights[1]!);
    expect(heights[1]).toBeLessThan(heights[2]!);
    expect(await page.locator('svg.chart g.day').count()).toBe(30);

    const byModel = await getJson<UsageTotals>(`/v1/usage?${range}&group_by=model`);
    expect(await cellTexts(page, 'model')).toEqual([['openai/gpt-oss-120b', '3', `$${byModel.total_cost_usd}`]]);
    expect(await cellTexts(page, 'provider')).toEqual([['Groq', '3', `$${byModel.total_cost_usd}`]]);
    expect(await cellTexts(page, 'task')).toEqual([['Chat', '3', `$${byModel.total_cost_usd}`]]);

    // The key sits in this tab's sessionStorage and nowhere else.
    expect(await page.evaluate(storageNames)).toEqual({ session: ['switchyard.api_key'], local: [] });
    await screenshot(page, 'usage');

    // A narrower range: only the last two days.
    await page.getByLabel('From').fill(isoDay(Date.now() - DAY_MS));
    await page.getByRole('button', { name: 'Apply' }).click();
    await eventually(() => page.locator('[data-stat="jobs"] .stat-value').innerText()).toBe('1');
    expect(await page.locator('svg.chart g.day').count()).toBe(2);
    expect(page.url()).toContain(`start=${isoDay(Date.now() - DAY_MS)}`);

    await page.getByRole('button', { name: 'Forget this key' }).click();
    expect(await page.evaluate(storageNames)).toEqual({ session: [], local: [] });
    expect(await page.getByLabel('Paste an API key').isVisible()).toBe(true);
  });

  it('downloads the usage events of the range as the API\u2019s CSV', async () => {
    const page = await open();
    await showUsage(page);
    await eventually(() => page.locator('svg.chart').count()).toBe(1);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^switchyard-usage-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.trim().split('\n');
    expect(lines[0]).toMatch(/^request_id,created_at,/);
    expect(lines).toHaveLength(4);
    for (const id of requestIds) expect(csv).toContain(id);
    const direct = await fetch(`${app.url}/v1/usage/events?format=csv&limit=1000&start=${isoDay(Date.now() - 29 * DAY_MS)}&end=${isoDay(Date.now() + DAY_MS)}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(csv).toBe(await direct.text());
  });

  it('says when a key is refused and shows no numbers', async () => {
    const page = await open(undefined, [401]);
    await showUsage(page, 'sy_live_not_a_real_key_0000000000');
    await eventually(() => page.getByRole('alert').innerText()).toContain('This key was not accepted');
    expect(await page.locator('.stat').count()).toBe(0);
  });

  it('tops up through the checkout address the API returns, with the key and the amount', async () => {
    expect(await (await fetch(`${app.url}/web/config.json`)).json()).toMatchObject({ stripe_enabled: true });
    const page = await open();
    // The checkout endpoint (and Stripe behind it) is not under test here: the browser gets its answer.
    const sent: { body: unknown; authorization: string | undefined }[] = [];
    await page.route(`${app.url}/v1/billing/checkout`, async (route) => {
      sent.push({ body: route.request().postDataJSON(), authorization: route.request().headers().authorization });
      const url = sent.length === 1 ? 'javascript:alert(1)' : `${app.url}/#/usage?checkout=success`;
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ id: 'cs_test_1', url }) });
    });
    await showUsage(page);
    const amount = page.getByLabel('Add credit (USD)');
    await eventually(() => amount.count()).toBe(1);
    await amount.fill('12.345');
    await page.getByRole('button', { name: 'Top up' }).click();
    expect(await page.locator('#top-up-hint').innerText()).toContain('Enter an amount in USD');
    expect(sent).toHaveLength(0);

    await amount.fill('25');
    await page.getByRole('button', { name: 'Top up' }).click();
    await eventually(() => page.locator('#top-up-hint').innerText()).toContain('not an https page');
    await page.getByRole('button', { name: 'Top up' }).click();
    await eventually(() => page.locator('.notice').count()).toBe(1);
    expect(await page.locator('.notice').innerText()).toContain('payment went through');
    expect(sent).toEqual([
      { body: { amount_usd: '25' }, authorization: `Bearer ${key}` },
      { body: { amount_usd: '25' }, authorization: `Bearer ${key}` },
    ]);
  });

  it('fits a 375 px phone screen', async () => {
    const page = await open({ width: 375, height: 812 });
    await showUsage(page);
    await eventually(() => page.locator('svg.chart').count()).toBe(1);
    expect(await page.evaluate(documentScrollWidth)).toBeLessThanOrEqual(375);
    const chart = await page.locator('svg.chart').boundingBox();
    expect(chart!.x + chart!.width).toBeLessThanOrEqual(375);
    await screenshot(page, 'phone-usage');
  });
});
