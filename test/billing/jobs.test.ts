// Billing as a client sees it through the chat endpoint: keys that no longer work, budgets, failed
// jobs that cost nothing, and the markup applied exactly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyCache, KEY_PREFIX } from '../../src/billing/keys';
import { sha256Hex } from '../../src/billing/admin-token';
import { fundedKey, settledDb, TEST_ADMIN_TOKEN } from '../helpers/app';
import { chat, FakeClock, HOSTS, startMarket, type Market, START_TIMEOUT_MS } from '../dispatch/market';

let market: Market;

beforeAll(async () => {
  // A 12.5 % markup: every customer price is the provider price × 1.125, rounded half up once.
  market = await startMarket({ env: { PRICE_MARKUP: '0.125' } });
}, START_TIMEOUT_MS);

afterAll(async () => {
  await market?.close();
});

async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${market.app.url}/v1/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function account(accountId: string) {
  return (await settledDb(market.app)).selectFrom('accounts').select(['balance_micros', 'held_micros']).where('id', '=', accountId).executeTakeFirstOrThrow();
}

async function usageEvents(accountId: string) {
  return (await settledDb(market.app)).selectFrom('usage_events').selectAll().where('account_id', '=', accountId).execute();
}

describe('API keys', () => {
  it('stores only the hash and a short prefix of a key that looks like sy_live_ + 32 base62 characters', async () => {
    const { key, keyId } = await fundedKey(market.app, '1');
    expect(key).toMatch(new RegExp(`^${KEY_PREFIX}[0-9A-Za-z]{32,}$`));
    const row = await (await settledDb(market.app)).selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirstOrThrow();
    expect(row.hash).toBe(sha256Hex(key));
    expect(key.startsWith(row.prefix)).toBe(true);
    expect(row.prefix.length).toBeLessThan(16);
    expect(JSON.stringify(row)).not.toContain(key);
  });

  it('rejects a revoked key with 401 at once on the same replica', async () => {
    const { key, keyId } = await fundedKey(market.app, '1');
    expect((await chat(market, key, {})).status).toBe(200);
    expect((await admin('DELETE', `/keys/${keyId}`)).status).toBe(200);
    const res = await chat(market, key, {});
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'invalid_api_key', message: 'This API key has been revoked.' });
    const balance = await fetch(`${market.app.url}/v1/balance`, { headers: { authorization: `Bearer ${key}` } });
    expect(balance.status).toBe(401);
  });

  it('another replica sees a revocation within its cache lifetime', async () => {
    const { key, keyId } = await fundedKey(market.app, '1');
    const clock = new FakeClock();
    const otherReplica = new KeyCache(market.app.database.db, 5_000, clock.now);
    expect((await otherReplica.lookup(key))!.revokedAt).toBeNull();
    expect((await admin('DELETE', `/keys/${keyId}`)).status).toBe(200);
    clock.advance(4_999);
    expect((await otherReplica.lookup(key))!.revokedAt).toBeNull();
    clock.advance(1);
    expect((await otherReplica.lookup(key))!.revokedAt).toBeInstanceOf(Date);
  });

  it('rejects an expired key with 401', async () => {
    const { key } = await fundedKey(market.app, '1', { expires_at: new Date(Date.now() - 1_000).toISOString() });
    const res = await chat(market, key, {});
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe('This API key has expired.');
  });

  it('rejects missing and unknown keys with 401 in the error shape', async () => {
    const missing = await fetch(`${market.app.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(missing.status).toBe(401);
    expect((await chat(market, `${KEY_PREFIX}${'x'.repeat(32)}`, {})).status).toBe(401);
  });

  it('refuses a model, provider or task the key does not allow', async () => {
    const { key: modelKey } = await fundedKey(market.app, '1', { allowed_models: ['acme/flat-8b'] });
    expect((await chat(market, modelKey, {})).status).toBe(403);
    const { key: providerKey } = await fundedKey(market.app, '1', { allowed_providers: ['deepinfra'] });
    expect((await chat(market, providerKey, {})).headers.get('x-switchyard-provider')).toBe('deepinfra');
    const { key: taskKey } = await fundedKey(market.app, '1', { allowed_tasks: ['ocr'] });
    expect((await chat(market, taskKey, {})).status).toBe(403);
  });

  it('answers 402 budget_exceeded once the key has spent its budget, whatever the account holds', async () => {
    // Each job holds 30 micro-USD × 1.125 = 34 (rounded) and costs 11 × 1.125 = 12.375 → 12.
    const { key, accountId } = await fundedKey(market.app, '10', { budget_usd: '0.0001', budget_period: 'month' });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await chat(market, key, { max_tokens: 10, provider: { only: ['groq'] } });
      statuses.push(res.status);
      if (res.status === 402) {
        expect(res.body.error.code).toBe('budget_exceeded');
        break;
      }
    }
    // Served while spent + 34 ≤ 100: the sixth job checks 60 + 34 = 94, the seventh 72 + 34 = 106.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 402]);
    expect((await account(accountId)).balance_micros).toBe(10_000_000 - 6 * 12);
  });
});

describe('charges', () => {
  it('applies PRICE_MARKUP exactly, in micro-USD rounded half up once', async () => {
    const { key, accountId } = await fundedKey(market.app, '1');
    // 997 words: the host counts 1,000 prompt tokens and 998 completion tokens ("echo:" + 997 words).
    // At groq, 1,000 × 1 + 998 × 2 = 2,996 micro-USD; × 1.125 = 3,370.5 → 3,371.
    const res = await chat(market, key, { messages: [{ role: 'user', content: Array.from({ length: 997 }, (_, i) => `w${i}`).join(' ') }] });
    expect(res.status).toBe(200);
    expect(res.body.usage).toMatchObject({ prompt_tokens: 1000, completion_tokens: 998, cost_usd: '0.003371' });
    expect(res.headers.get('x-switchyard-cost-usd')).toBe('0.003371');
    const [event] = await usageEvents(accountId);
    expect(event).toMatchObject({ provider_cost_micros: 2_996, cost_micros: 3_371, units: { input_tokens: 1000, output_tokens: 998 } });
    expect((await account(accountId)).balance_micros).toBe(1_000_000 - 3_371);
  });

  it('charges nothing and releases the hold when every offering fails upstream', async () => {
    const { key, accountId } = await fundedKey(market.app, '1');
    for (const h of HOSTS) market.hosts[h].mock.failNext({ kind: 'status', status: 502, message: 'bad gateway' });
    const res = await chat(market, key, {});
    expect(res.status).toBe(502);
    expect(await account(accountId)).toEqual({ balance_micros: 1_000_000, held_micros: 0 });
    expect(await usageEvents(accountId)).toHaveLength(0);
  });

  it('charges nothing for an upstream 400', async () => {
    const { key, accountId } = await fundedKey(market.app, '1');
    market.hosts.groq.mock.failNext({ kind: 'status', status: 400, message: 'invalid message' });
    expect((await chat(market, key, {})).status).toBe(400);
    expect(await account(accountId)).toEqual({ balance_micros: 1_000_000, held_micros: 0 });
  });

  it('charges nothing, frees the hold, blames no provider and logs no server error when the client leaves a buffered job', async () => {
    market.reset();
    const { key, accountId } = await fundedKey(market.app, '1');
    market.hosts.groq.delayMs = 600;
    const gone = fetch(`${market.app.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'acme/open-70b', messages: [{ role: 'user', content: 'hello there' }] }),
      signal: AbortSignal.timeout(150),
    });
    await expect(gone).rejects.toThrow();
    // Wait for the job to end on the server (its hold goes back), plus the host's delay.
    await new Promise((resolve) => setTimeout(resolve, 700));
    for (let i = 0; i < 100 && (await account(accountId)).held_micros !== 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await account(accountId)).toEqual({ balance_micros: 1_000_000, held_micros: 0 });
    expect(await usageEvents(accountId)).toHaveLength(0);
    expect(market.health.offeringView('groq:acme/open-70b')).toMatchObject({ consecutive_failures: 0, breaker: 'closed' });
    expect(market.health.offeringView('together:acme/open-70b').calls).toBe(0);
    expect(market.app.log.text()).not.toContain('unhandled error');
    market.reset();
  });

  it('answers 402 before calling any provider when the account cannot cover the hold', async () => {
    const { key } = await fundedKey(market.app, '0.000001');
    const before = HOSTS.map((h) => market.hosts[h].calls());
    const res = await chat(market, key, {});
    expect(res.status).toBe(402);
    expect(res.body.error).toMatchObject({ code: 'insufficient_credit', type: 'insufficient_quota' });
    expect(HOSTS.map((h) => market.hosts[h].calls())).toEqual(before);
  });
});
