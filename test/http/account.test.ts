// What a key reads about its own account: balance, usage totals and usage events, never another
// account's, whatever ids or cursors it sends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/billing/keys';
import { fundedKey, TEST_ADMIN_TOKEN } from '../helpers/app';
import { chat, FLAT_MODEL, startMarket, START_TIMEOUT_MS, type Market } from '../dispatch/market';

let market: Market;
/** Account A: key one ran 2 jobs at groq and 1 at together, key two 1 flat-priced job at deepinfra. */
const a = { accountId: '', keyOne: '', keyOneId: '', keyTwo: '', keyTwoId: '', requestIds: [] as string[] };
/** Account B: 2 jobs at groq. */
const b = { accountId: '', key: '', keyId: '', requestIds: [] as string[] };

async function job(key: string, body: Record<string, unknown>): Promise<string> {
  const res = await chat(market, key, body);
  expect(res.status).toBe(200);
  return res.headers.get('x-request-id')!;
}

beforeAll(async () => {
  market = await startMarket();
  const one = await fundedKey(market.app, '1');
  Object.assign(a, { accountId: one.accountId, keyOne: one.key, keyOneId: one.keyId });
  const two = await createKey(market.app.database.db, { account_id: a.accountId, name: 'second key' });
  Object.assign(a, { keyTwo: two.key, keyTwoId: two.row.id });
  const other = await fundedKey(market.app, '3');
  Object.assign(b, { accountId: other.accountId, key: other.key, keyId: other.keyId });

  a.requestIds.push(await job(a.keyOne, {}), await job(a.keyOne, {}), await job(a.keyOne, { provider: { only: ['together'] } }));
  a.requestIds.push(await job(a.keyTwo, { model: FLAT_MODEL }));
  b.requestIds.push(await job(b.key, {}), await job(b.key, {}));
}, START_TIMEOUT_MS);

afterAll(async () => {
  await market?.close();
});

async function get(path: string, key: string): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const res = await fetch(`${market.app.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // CSV
  }
  return { status: res.status, headers: res.headers, body, text };
}

// Costs: groq 5 × 1 + 3 × 2 = 11, together 5 × 2 + 3 × 3 = 19, flat-8b 50,000 micro-USD.
describe('GET /v1/balance', () => {
  it('shows balance, held and available credit as decimal strings', async () => {
    const res = await get('/v1/balance', a.keyOne);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ object: 'balance', account_id: a.accountId, balance_usd: '0.949959', held_usd: '0.00', available_usd: '0.949959' });
  });
});

describe('GET /v1/usage', () => {
  it('groups by provider', async () => {
    const res = await get('/v1/usage?group_by=provider', a.keyOne);
    expect(res.body).toMatchObject({ object: 'usage', group_by: 'provider', total_jobs: 4, total_cost_usd: '0.050041' });
    expect(res.body.data).toEqual([
      { provider: 'deepinfra', jobs: 1, cost_usd: '0.05' },
      { provider: 'groq', jobs: 2, cost_usd: '0.000022' },
      { provider: 'together', jobs: 1, cost_usd: '0.000019' },
    ]);
  });

  it('groups by model', async () => {
    const res = await get('/v1/usage?group_by=model', a.keyOne);
    expect(res.body.data).toEqual([
      { model: 'acme/flat-8b', jobs: 1, cost_usd: '0.05' },
      { model: 'acme/open-70b', jobs: 3, cost_usd: '0.000041' },
    ]);
  });

  it('groups by task', async () => {
    expect((await get('/v1/usage?group_by=task', a.keyOne)).body.data).toEqual([{ task: 'chat', jobs: 4, cost_usd: '0.050041' }]);
  });

  it('groups by key', async () => {
    const data = (await get('/v1/usage?group_by=key', a.keyTwo)).body.data;
    expect(data).toHaveLength(2);
    expect(data).toEqual(expect.arrayContaining([
      { key: a.keyOneId, jobs: 3, cost_usd: '0.000041' },
      { key: a.keyTwoId, jobs: 1, cost_usd: '0.05' },
    ]));
  });

  it('groups by UTC day, by default', async () => {
    const res = await get('/v1/usage', a.keyOne);
    expect(res.body.group_by).toBe('day');
    expect(res.body.total_jobs).toBe(4);
    for (const row of res.body.data) expect(row.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(res.body.data.map((r: { day: string }) => r.day)).toContain(new Date().toISOString().slice(0, 10));
  });

  it('counts only the asked range', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const later = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const res = await get(`/v1/usage?start=${tomorrow}&end=${later}&group_by=model`, a.keyOne);
    expect(res.body).toMatchObject({ total_jobs: 0, total_cost_usd: '0.00', data: [] });
  });

  it('refuses a bad group_by, a bad date, or a start after the end with 400', async () => {
    expect((await get('/v1/usage?group_by=week', a.keyOne)).status).toBe(400);
    expect((await get('/v1/usage?start=yesterday', a.keyOne)).status).toBe(400);
    expect((await get('/v1/usage?start=2026-02-01&end=2026-01-01', a.keyOne)).status).toBe(400);
  });
});

describe('GET /v1/usage/events', () => {
  it('pages through every event, newest first, with a cursor', async () => {
    const first = await get('/v1/usage/events?limit=3', a.keyOne);
    expect(first.body).toMatchObject({ object: 'list', has_more: true });
    expect(first.body.data).toHaveLength(3);
    const second = await get(`/v1/usage/events?limit=3&cursor=${first.body.next_cursor}`, a.keyOne);
    expect(second.body).toMatchObject({ has_more: false, next_cursor: null });
    const all = [...first.body.data, ...second.body.data];
    expect(all.map((e: { request_id: string }) => e.request_id)).toEqual([...a.requestIds].reverse());
    expect(all[0]).toMatchObject({ model: FLAT_MODEL, provider: 'deepinfra', key_id: a.keyTwoId, task: 'chat', cost_usd: '0.05', status: 'succeeded', attempts: 1 });
    expect(all[3]).toMatchObject({ provider: 'groq', cost_usd: '0.000011', units: { input_tokens: 5, output_tokens: 3 } });
  });

  it('exports events as CSV, the header on the first page only, the next cursor in a header', async () => {
    const first = await get('/v1/usage/events?format=csv&limit=3', a.keyOne);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('text/csv');
    const lines = first.text.trim().split('\n');
    expect(lines[0]).toBe('request_id,created_at,key_id,task,model,provider,provider_model_id,units,cost_usd,latency_ms,status,attempts');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain(`"${a.requestIds[3]}"`);
    expect(lines[1]).toContain('"0.05"');
    const cursor = first.headers.get('x-next-cursor');
    expect(cursor).toBeTruthy();
    const second = await get(`/v1/usage/events?format=csv&limit=3&cursor=${cursor}`, a.keyOne);
    const rest = second.text.trim().split('\n');
    expect(rest).toHaveLength(1);
    expect(rest[0]).toContain(`"${a.requestIds[0]}"`);
    expect(second.headers.get('x-next-cursor')).toBeNull();
  });

  it('never skips events recorded within the same millisecond', async () => {
    const { accountId, key } = await fundedKey(market.app, '1');
    const keyId = (await market.app.database.db.selectFrom('api_keys').select('id').where('account_id', '=', accountId).executeTakeFirstOrThrow()).id;
    const stamps = ['2026-01-05T10:00:00.123100Z', '2026-01-05T10:00:00.123400Z', '2026-01-05T10:00:00.123700Z', '2026-01-05T10:00:00.122900Z'];
    await market.app.database.db
      .insertInto('usage_events')
      .values(
        stamps.map((created_at, i) => ({
          request_id: `req_samems${i}${accountId}`,
          account_id: accountId,
          key_id: keyId,
          task: 'chat',
          model: 'acme/open-70b',
          provider: 'groq',
          provider_model_id: 'x',
          units: '{}',
          provider_cost_micros: 1,
          cost_micros: 1,
          latency_ms: 1,
          status: 'succeeded' as const,
          attempts: 1,
          created_at,
        })),
      )
      .execute();
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 10; page++) {
      const res = await get(`/v1/usage/events?limit=1${cursor ? `&cursor=${cursor}` : ''}`, key);
      seen.push(...res.body.data.map((e: { request_id: string }) => e.request_id));
      if (!res.body.has_more) break;
      cursor = res.body.next_cursor;
    }
    expect(seen).toEqual([2, 1, 0, 3].map((i) => `req_samems${i}${accountId}`));
  });

  it('refuses a malformed cursor, limit or format with 400', async () => {
    expect((await get('/v1/usage/events?cursor=not-a-cursor', a.keyOne)).status).toBe(400);
    expect((await get('/v1/usage/events?limit=0', a.keyOne)).status).toBe(400);
    expect((await get('/v1/usage/events?limit=5000', a.keyOne)).status).toBe(400);
    expect((await get('/v1/usage/events?format=xml', a.keyOne)).status).toBe(400);
  });
});

describe("another account's data", () => {
  it('is never shown, whatever account id the query names', async () => {
    const balance = await get(`/v1/balance?account_id=${b.accountId}`, a.keyOne);
    expect(balance.body.account_id).toBe(a.accountId);
    const usage = await get(`/v1/usage?group_by=provider&account_id=${b.accountId}`, a.keyOne);
    expect(usage.body.total_jobs).toBe(4);
    const events = await get(`/v1/usage/events?account_id=${b.accountId}&key_id=${b.keyId}`, a.keyOne);
    expect(events.body.data.map((e: { request_id: string }) => e.request_id).sort()).toEqual([...a.requestIds].sort());
    const keyUsage = await get('/v1/usage?group_by=key', b.key);
    expect(keyUsage.body.data).toEqual([{ key: b.keyId, jobs: 2, cost_usd: '0.000022' }]);
  });

  it("is never reached through another account's cursor", async () => {
    const theirs = await get('/v1/usage/events?limit=1', b.key);
    expect(theirs.body.has_more).toBe(true);
    const mine = await get(`/v1/usage/events?limit=100&cursor=${theirs.body.next_cursor}`, a.keyOne);
    for (const e of mine.body.data) expect(a.requestIds).toContain(e.request_id);
    const csv = await get(`/v1/usage/events?format=csv&cursor=${theirs.body.next_cursor}`, a.keyOne);
    for (const id of b.requestIds) expect(csv.text).not.toContain(id);
  });

  it("cannot be read or changed through the admin routes with an API key", async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', `/v1/admin/accounts/${b.accountId}`],
      ['POST', `/v1/admin/accounts/${b.accountId}/credits`, { amount_usd: '1' }],
      ['GET', `/v1/admin/keys?account_id=${b.accountId}`],
      ['GET', `/v1/admin/keys/${b.keyId}`],
      ['PATCH', `/v1/admin/keys/${b.keyId}`, { name: 'mine now' }],
      ['DELETE', `/v1/admin/keys/${b.keyId}`],
    ];
    for (const [method, path, body] of routes) {
      const res = await fetch(`${market.app.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${a.keyOne}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    const theirKey = await fetch(`${market.app.url}/v1/admin/keys/${b.keyId}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(await theirKey.json()).toMatchObject({ name: 'test key', revoked: false });
    expect((await get('/v1/balance', b.key)).body.balance_usd).toBe('2.999978');
  });
});
