// /v1/admin: accounts, credits and API keys behind the admin token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/billing/admin-token';
import { fundedKey, startTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../helpers/app';
import { dispatchCatalog, START_TIMEOUT_MS } from '../dispatch/market';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ catalog: await dispatchCatalog() });
}, START_TIMEOUT_MS);

afterAll(async () => {
  await app?.close();
});

async function call(method: string, path: string, body?: unknown, token: string | null = TEST_ADMIN_TOKEN): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, text };
}

async function newAccount(name = 'Acme Corp'): Promise<string> {
  const res = await call('POST', '/v1/admin/accounts', { name });
  expect(res.status).toBe(201);
  return res.body.id;
}

describe('admin authentication', () => {
  it('rejects a missing, wrong or malformed token with 401', async () => {
    for (const token of [null, 'not-the-admin-token-at-all', `${TEST_ADMIN_TOKEN}x`]) {
      const res = await call('GET', '/v1/admin/keys', undefined, token);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('invalid_api_key');
    }
    const basic = await fetch(`${app.url}/v1/admin/keys`, { headers: { authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}` } });
    expect(basic.status).toBe(401);
  });

  it('rejects an API key with 403 on every admin route, even for its own account', async () => {
    const { key, keyId, accountId } = await fundedKey(app, '1');
    const routes: [string, string, unknown?][] = [
      ['GET', '/v1/admin/keys'],
      ['GET', `/v1/admin/keys/${keyId}`],
      ['PATCH', `/v1/admin/keys/${keyId}`, { rate_limit_rpm: 100000 }],
      ['DELETE', `/v1/admin/keys/${keyId}`],
      ['POST', '/v1/admin/keys', { account_id: accountId, name: 'escalate' }],
      ['POST', '/v1/admin/accounts', { name: 'mine' }],
      ['GET', `/v1/admin/accounts/${accountId}`],
      ['POST', `/v1/admin/accounts/${accountId}/credits`, { amount_usd: '1000' }],
    ];
    for (const [method, path, body] of routes) {
      const res = await call(method, path, body, key);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    const balance = await call('GET', '/v1/balance', undefined, key);
    expect(balance.body.balance_usd).toBe('1.00');
    expect((await call('GET', `/v1/admin/keys/${keyId}`)).body.revoked).toBe(false);
  });
});

describe('accounts and credits', () => {
  it('creates an account with a prefixed id and an empty balance', async () => {
    const res = await call('POST', '/v1/admin/accounts', { name: 'Acme Corp' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ object: 'account', name: 'Acme Corp', balance_usd: '0.00', held_usd: '0.00', available_usd: '0.00' });
    expect(res.body.id).toMatch(/^acct_/);
    expect((await call('GET', `/v1/admin/accounts/${res.body.id}`)).body.id).toBe(res.body.id);
    expect((await call('GET', '/v1/admin/accounts/acct_nope')).status).toBe(404);
  });

  it('credits exact decimal amounts and shows the balance as a decimal string', async () => {
    const id = await newAccount();
    expect((await call('POST', `/v1/admin/accounts/${id}/credits`, { amount_usd: '12.50', reason: 'welcome' })).body).toMatchObject({ applied: true, balance_usd: '12.50' });
    expect((await call('POST', `/v1/admin/accounts/${id}/credits`, { amount_usd: 0.000001 })).body.balance_usd).toBe('12.500001');
    expect((await call('POST', `/v1/admin/accounts/${id}/credits`, { amount_usd: '0.1' })).body.balance_usd).toBe('12.600001');
    expect((await call('GET', `/v1/admin/accounts/${id}`)).body.available_usd).toBe('12.600001');
  });

  it('applies a credit with the same idempotency_key once', async () => {
    const id = await newAccount();
    const first = await call('POST', `/v1/admin/accounts/${id}/credits`, { amount_usd: '5', idempotency_key: 'invoice-42' });
    const replay = await call('POST', `/v1/admin/accounts/${id}/credits`, { amount_usd: '5', idempotency_key: 'invoice-42' });
    expect([first.status, replay.status]).toEqual([201, 200]);
    expect(replay.body).toMatchObject({ applied: false, balance_usd: '5.00' });
  });

  it('refuses amounts with more than 6 decimals, negative, zero, NaN or not a number with 400, crediting nothing', async () => {
    const id = await newAccount();
    const bad: unknown[] = ['1.0000001', '-1', -5, '0', 0, 'NaN', 'Infinity', '1e3', 1e-7, 0.1 + 0.2, 'abc', '', null, true, '12,50', '1.5 USD'];
    for (const amount of bad) {
      const res = await call('POST', `/v1/admin/accounts/${id}/credits`, { amount_usd: amount });
      expect(res.status, JSON.stringify(amount)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.param).toBe('amount_usd');
    }
    const raw = await fetch(`${app.url}/v1/admin/accounts/${id}/credits`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: '{"amount_usd": NaN}',
    });
    expect(raw.status).toBe(400);
    expect((await call('GET', `/v1/admin/accounts/${id}`)).body.balance_usd).toBe('0.00');
  });

  it('refuses a credit to an unknown account with 404 and unknown fields with 400', async () => {
    expect((await call('POST', '/v1/admin/accounts/acct_nope/credits', { amount_usd: '1' })).status).toBe(404);
    const id = await newAccount();
    expect((await call('POST', `/v1/admin/accounts/${id}/credits`, { amount_usd: '1', bonus: true })).status).toBe(400);
    expect((await call('POST', '/v1/admin/accounts', { name: '' })).status).toBe(400);
  });
});

describe('API keys', () => {
  it('shows a new key once; listing and reading it never show the key or its hash', async () => {
    const accountId = await newAccount();
    const created = await call('POST', '/v1/admin/keys', {
      account_id: accountId,
      name: 'ci',
      budget_usd: '25',
      budget_period: 'month',
      rate_limit_rpm: 60,
      allowed_tasks: ['chat', 'ocr'],
      expires_at: '2030-01-01T00:00:00Z',
    });
    expect(created.status).toBe(201);
    const { key, id } = created.body;
    expect(key).toMatch(/^sy_live_[0-9A-Za-z]{32,}$/);
    expect(id).toMatch(/^key_/);
    expect(created.body).toMatchObject({ object: 'api_key', account_id: accountId, name: 'ci', budget_usd: '25.00', budget_period: 'month', rate_limit_rpm: 60, allowed_tasks: ['chat', 'ocr'], revoked: false, expires_at: '2030-01-01T00:00:00.000Z' });
    expect(key.startsWith(created.body.prefix)).toBe(true);
    expect(created.body).not.toHaveProperty('hash');

    const list = await call('GET', `/v1/admin/keys?account_id=${accountId}`);
    expect(list.body.data.map((k: { id: string }) => k.id)).toEqual([id]);
    const one = await call('GET', `/v1/admin/keys/${id}`);
    for (const res of [list, one]) {
      expect(res.text).not.toContain(key);
      expect(res.text).not.toContain(sha256Hex(key));
      expect(res.text).not.toContain('"key"');
      expect(res.text).not.toContain('"hash"');
    }
    expect(one.body.prefix).toBe(created.body.prefix);
  });

  it('lists every key, newest first, filtered by account', async () => {
    const a = await newAccount('a');
    const b = await newAccount('b');
    const k1 = (await call('POST', '/v1/admin/keys', { account_id: a, name: 'one' })).body.id;
    const k2 = (await call('POST', '/v1/admin/keys', { account_id: a, name: 'two' })).body.id;
    const k3 = (await call('POST', '/v1/admin/keys', { account_id: b, name: 'three' })).body.id;
    expect((await call('GET', `/v1/admin/keys?account_id=${a}`)).body.data.map((k: { id: string }) => k.id).sort()).toEqual([k1, k2].sort());
    const all = (await call('GET', '/v1/admin/keys')).body.data.map((k: { id: string }) => k.id);
    expect(all).toEqual(expect.arrayContaining([k1, k2, k3]));
  });

  it('patches a key and refuses a budget without its period', async () => {
    const accountId = await newAccount();
    const { id } = (await call('POST', '/v1/admin/keys', { account_id: accountId, name: 'before' })).body;
    const patched = await call('PATCH', `/v1/admin/keys/${id}`, { name: 'after', rate_limit_rpm: 5, allowed_models: ['acme/open-70b'], budget_usd: '3.25', budget_period: 'day' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'after', rate_limit_rpm: 5, allowed_models: ['acme/open-70b'], budget_usd: '3.25', budget_period: 'day' });
    expect((await call('PATCH', `/v1/admin/keys/${id}`, { budget_period: null })).status).toBe(400);
    expect((await call('PATCH', `/v1/admin/keys/${id}`, { budget_usd: '1.0000001' })).status).toBe(400);
    expect((await call('PATCH', `/v1/admin/keys/${id}`, { budget_usd: '-1' })).status).toBe(400);
    expect((await call('GET', `/v1/admin/keys/${id}`)).body).toMatchObject({ budget_usd: '3.25', budget_period: 'day' });
    expect((await call('PATCH', '/v1/admin/keys/key_nope', { name: 'x' })).status).toBe(404);
  });

  it('a patch applies at once to a key already in use', async () => {
    const { key, keyId } = await fundedKey(app, '1');
    expect((await call('GET', '/v1/balance', undefined, key)).status).toBe(200);
    await call('PATCH', `/v1/admin/keys/${keyId}`, { expires_at: '2001-01-01T00:00:00Z' });
    const res = await call('GET', '/v1/balance', undefined, key);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe('This API key has expired.');
  });

  it('revokes a key: it stops working at once and stays listed as revoked', async () => {
    const { key, keyId } = await fundedKey(app, '1');
    expect((await call('GET', '/v1/balance', undefined, key)).status).toBe(200);
    const revoked = await call('DELETE', `/v1/admin/keys/${keyId}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: keyId, revoked: true });
    expect(revoked.body.revoked_at).toEqual(expect.any(String));
    expect((await call('GET', '/v1/balance', undefined, key)).status).toBe(401);
    // Revoking again keeps the first revocation time.
    expect((await call('DELETE', `/v1/admin/keys/${keyId}`)).body.revoked_at).toBe(revoked.body.revoked_at);
    expect((await call('DELETE', '/v1/admin/keys/key_nope')).status).toBe(404);
  });

  it('refuses a key for an unknown account (404) and malformed key fields (400)', async () => {
    expect((await call('POST', '/v1/admin/keys', { account_id: 'acct_nope', name: 'x' })).status).toBe(404);
    const accountId = await newAccount();
    const bad = [
      { account_id: accountId },
      { account_id: accountId, name: 'x', budget_usd: '5' },
      { account_id: accountId, name: 'x', budget_usd: '0.0000001', budget_period: 'day' },
      { account_id: accountId, name: 'x', rate_limit_rpm: -1 },
      { account_id: accountId, name: 'x', allowed_tasks: ['painting'] },
      { account_id: accountId, name: 'x', expires_at: 'tomorrow' },
      { account_id: accountId, name: 'x', owner: 'me' },
    ];
    for (const body of bad) expect((await call('POST', '/v1/admin/keys', body)).status, JSON.stringify(body)).toBe(400);
    expect((await call('GET', `/v1/admin/keys?account_id=${accountId}`)).body.data).toEqual([]);
  });
});
