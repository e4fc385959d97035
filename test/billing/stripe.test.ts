// Card top-ups through the real app: POST /v1/billing/checkout drives the real `stripe` package
// against the local Stripe mock, and POST /v1/billing/webhook gets events signed with the package's
// own test-header helper. A top-up is credited exactly once, whatever Stripe retries.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingRouter, type BillingDeps } from '../../src/http/billing';
import { errorMiddleware } from '../../src/http/errors';
import { fundedKey, postJson, startTestApp, type TestApp } from '../helpers/app';
import { signWebhook, startStripeMock, STRIPE_TEST_KEY, STRIPE_TEST_WEBHOOK_SECRET, stripeEvent, type StripeMock } from '../mocks/stripe';

let stripe: StripeMock;
let app: TestApp;

beforeAll(async () => {
  stripe = await startStripeMock();
  app = await startTestApp({
    env: { STRIPE_SECRET_KEY: STRIPE_TEST_KEY, STRIPE_WEBHOOK_SECRET: STRIPE_TEST_WEBHOOK_SECRET, STRIPE_API_BASE: stripe.url },
  });
});

afterAll(async () => {
  await app?.close();
  await stripe?.close();
});

const urls = { success_url: 'https://app.example.com/billing/done?session={CHECKOUT_SESSION_ID}', cancel_url: 'https://app.example.com/billing' };

async function balanceUsd(target: TestApp, key: string): Promise<string> {
  const res = await fetch(`${target.url}/v1/balance`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { balance_usd: string }).balance_usd;
}

async function checkout(key: string, amount: unknown = '25.50'): Promise<{ id: string; url: string }> {
  const res = await postJson(app, '/v1/billing/checkout', { amount_usd: amount, ...urls }, key);
  expect(res.status).toBe(200);
  return (await res.json()) as { id: string; url: string };
}

function postWebhook(target: TestApp, payload: string, headers: Record<string, string> = { 'stripe-signature': signWebhook(payload) }): Promise<Response> {
  return fetch(`${target.url}/v1/billing/webhook`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: payload });
}

async function deliver(event: Record<string, unknown>): Promise<{ status: number; outcome: string }> {
  const res = await postWebhook(app, JSON.stringify(event));
  const body = (await res.json()) as { outcome: string };
  return { status: res.status, outcome: body.outcome };
}

/**
 * The billing router alone, with other configuration, over this app's keys and database: a second
 * full app (its own embedded database) would only add start-up time.
 */
async function serveBillingRouter(overrides: Partial<BillingDeps>): Promise<{ url: string; close(): Promise<void> }> {
  const router = billingRouter({ config: app.config, db: app.database.db, logger: app.log.logger, keys: app.parts.keys, ...overrides });
  const server = http.createServer(express().use('/v1/billing', router).use(errorMiddleware(app.log.logger)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('POST /v1/billing/checkout', () => {
  it("creates a Checkout Session in payment mode for the key's account and answers its id and url", async () => {
    const { key, accountId } = await fundedKey(app, '0');
    const session = await checkout(key, '25.50');
    expect(session.id).toMatch(/^cs_test_/);
    expect(session.url).toBe(`https://checkout.stripe.com/c/pay/${session.id}`);

    const sent = stripe.upstream.lastRequest!;
    expect(sent.headers.authorization).toBe(`Bearer ${STRIPE_TEST_KEY}`);
    expect(sent.headers['content-type']).toContain('application/x-www-form-urlencoded');
    const form = stripe.forms(/checkout\/sessions$/).at(-1)!;
    expect(form.get('mode')).toBe('payment');
    expect(form.get('client_reference_id')).toBe(accountId);
    expect(form.get('line_items[0][quantity]')).toBe('1');
    expect(form.get('line_items[0][price_data][currency]')).toBe('usd');
    expect(form.get('line_items[0][price_data][unit_amount]')).toBe('2550');
    expect(form.get('metadata[switchyard_account_id]')).toBe(accountId);
    expect(form.get('metadata[switchyard_amount_micros]')).toBe('25500000');
    expect(form.get('customer_creation')).toBe('always');
    expect(form.get('success_url')).toBe(urls.success_url);
    expect(stripe.sessions.get(session.id)).toMatchObject({ amount_total: 2550, client_reference_id: accountId });
  });

  it('refuses a negative, NaN, fractional-cent, too small or too large amount with 400, without calling Stripe', async () => {
    const { key } = await fundedKey(app, '0');
    const before = stripe.upstream.requests.length;
    for (const amount of [-5, '-5', 'NaN', 'abc', '', null, 0, '0.50', '0.999', '12.345', '10000.01', 1e21, '1e3']) {
      const res = await postJson(app, '/v1/billing/checkout', { amount_usd: amount, ...urls }, key);
      const body = (await res.json()) as { error: { code: string; param: string } };
      expect(res.status, `amount ${JSON.stringify(amount)}`).toBe(400);
      expect(body.error).toMatchObject({ code: 'invalid_request', param: 'amount_usd' });
    }
    expect(stripe.upstream.requests.length).toBe(before);
  });

  it('accepts the smallest and largest top-up', async () => {
    const { key } = await fundedKey(app, '0');
    await checkout(key, '1');
    expect(stripe.forms(/checkout\/sessions$/).at(-1)!.get('line_items[0][price_data][unit_amount]')).toBe('100');
    await checkout(key, 10_000);
    expect(stripe.forms(/checkout\/sessions$/).at(-1)!.get('line_items[0][price_data][unit_amount]')).toBe('1000000');
  });

  it('refuses a redirect URL that is not http(s), unknown fields, a missing key and a non-JSON body', async () => {
    const { key } = await fundedKey(app, '0');
    const before = stripe.upstream.requests.length;
    const badUrl = await postJson(app, '/v1/billing/checkout', { amount_usd: '5', success_url: 'javascript:alert(1)', cancel_url: urls.cancel_url }, key);
    expect(badUrl.status).toBe(400);
    const unknown = await postJson(app, '/v1/billing/checkout', { amount_usd: '5', ...urls, customer: 'cus_x' }, key);
    expect(unknown.status).toBe(400);
    const noKey = await postJson(app, '/v1/billing/checkout', { amount_usd: '5', ...urls });
    expect(noKey.status).toBe(401);
    const form = await fetch(`${app.url}/v1/billing/checkout`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/plain' }, body: 'amount_usd=5' });
    expect(form.status).toBe(415);
    expect(stripe.upstream.requests.length).toBe(before);
  });

  it('needs success_url and cancel_url when the server has no PUBLIC_URL, and uses PUBLIC_URL when it has one', async () => {
    const { key } = await fundedKey(app, '0');
    const missing = await postJson(app, '/v1/billing/checkout', { amount_usd: '5' }, key);
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { param: string } }).error.param).toBe('success_url');

    const withPublicUrl = await serveBillingRouter({ config: { ...app.config, PUBLIC_URL: 'https://switchyard.example.com/' } });
    try {
      const res = await fetch(`${withPublicUrl.url}/v1/billing/checkout`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"amount_usd":"5"}' });
      expect(res.status).toBe(200);
      const form = stripe.forms(/checkout\/sessions$/).at(-1)!;
      expect(form.get('success_url')).toBe('https://switchyard.example.com/?checkout=success&session_id={CHECKOUT_SESSION_ID}');
      expect(form.get('cancel_url')).toBe('https://switchyard.example.com/?checkout=cancelled');
    } finally {
      await withPublicUrl.close();
    }
  });

  it('answers 503 on both routes when Stripe is not configured', async () => {
    const bare = await serveBillingRouter({ config: { ...app.config, STRIPE_SECRET_KEY: undefined, STRIPE_WEBHOOK_SECRET: undefined }, stripe: null });
    try {
      const { key } = await fundedKey(app, '0');
      const res = await fetch(`${bare.url}/v1/billing/checkout`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ amount_usd: '5', ...urls }) });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('service_unavailable');
      const payload = JSON.stringify({ id: 'evt_y', object: 'event' });
      const webhook = await fetch(`${bare.url}/v1/billing/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signWebhook(payload) }, body: payload });
      expect(webhook.status).toBe(503);
      expect(((await webhook.json()) as { error: { code: string } }).error.code).toBe('service_unavailable');
    } finally {
      await bare.close();
    }
  });

  it('answers 503 when Stripe fails, and passes on a redirect URL Stripe refused as 400', async () => {
    const { key } = await fundedKey(app, '0');
    stripe.upstream.failNext({ kind: 'status', status: 500 }, 2); // the first try and the client's one retry
    const down = await postJson(app, '/v1/billing/checkout', { amount_usd: '5', ...urls }, key);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { error: { code: string } }).error.code).toBe('service_unavailable');

    const refused = await postJson(app, '/v1/billing/checkout', { amount_usd: '5', success_url: 'https://[::1', cancel_url: urls.cancel_url }, key);
    expect(refused.status).toBe(400);
  });
});

describe('POST /v1/billing/webhook', () => {
  it('credits a paid checkout.session.completed once, and links the Stripe customer to the account', async () => {
    const { key, accountId } = await fundedKey(app, '0');
    const { id } = await checkout(key, '25.50');
    const paid = stripe.paidSession(id);
    const result = await deliver(stripeEvent('checkout.session.completed', paid));
    expect(result).toEqual({ status: 200, outcome: 'credited' });
    expect(await balanceUsd(app, key)).toBe('25.50');

    const entries = await app.database.db.selectFrom('ledger_entries').selectAll().where('account_id', '=', accountId).execute();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ kind: 'top_up', amount_micros: 25_500_000, external_id: id });
    const account = await app.database.db.selectFrom('accounts').select('stripe_customer_id').where('id', '=', accountId).executeTakeFirstOrThrow();
    expect(account.stripe_customer_id).toBe(paid.customer);
  });

  it('a replayed event credits nothing more', async () => {
    const { key } = await fundedKey(app, '0');
    const { id } = await checkout(key, '10');
    const event = stripeEvent('checkout.session.completed', stripe.paidSession(id));
    expect((await deliver(event)).outcome).toBe('credited');
    for (let i = 0; i < 3; i++) expect(await deliver(event)).toEqual({ status: 200, outcome: 'duplicate' });
    expect(await balanceUsd(app, key)).toBe('10.00');
  });

  it('a second event for the same session (another delivery id, or async_payment_succeeded) credits nothing more', async () => {
    const { key } = await fundedKey(app, '0');
    const { id } = await checkout(key, '10');
    const paid = stripe.paidSession(id);
    expect((await deliver(stripeEvent('checkout.session.completed', paid))).outcome).toBe('credited');
    expect(await deliver(stripeEvent('checkout.session.completed', paid))).toEqual({ status: 200, outcome: 'already_credited' });
    expect(await deliver(stripeEvent('checkout.session.async_payment_succeeded', paid))).toEqual({ status: 200, outcome: 'already_credited' });
    expect(await balanceUsd(app, key)).toBe('10.00');
  });

  it('concurrent deliveries of the same event credit once', async () => {
    const { key } = await fundedKey(app, '0');
    const { id } = await checkout(key, '7');
    const payload = JSON.stringify(stripeEvent('checkout.session.completed', stripe.paidSession(id)));
    const results = await Promise.all(Array.from({ length: 8 }, () => postWebhook(app, payload)));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    const outcomes = await Promise.all(results.map(async (r) => ((await r.json()) as { outcome: string }).outcome));
    expect(outcomes.filter((o) => o === 'credited')).toHaveLength(1);
    expect(await balanceUsd(app, key)).toBe('7.00');
  });

  it('a bad, missing, stale or foreign signature, or a changed body, is 400 and credits nothing', async () => {
    const { key } = await fundedKey(app, '0');
    const { id } = await checkout(key, '50');
    const event = stripeEvent('checkout.session.completed', stripe.paidSession(id));
    const payload = JSON.stringify(event);
    const tampered = payload.replace('"amount_total":5000', '"amount_total":500000');
    expect(tampered).not.toBe(payload);
    const attempts: [string, Record<string, string>][] = [
      [payload, { 'stripe-signature': 't=1700000000,v1=0123456789abcdef' }],
      [payload, {}],
      [payload, { 'stripe-signature': signWebhook(payload, 'whsec_someone_else') }],
      [payload, { 'stripe-signature': signWebhook(payload, STRIPE_TEST_WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 600) }],
      [tampered, { 'stripe-signature': signWebhook(payload) }],
    ];
    for (const [body, headers] of attempts) {
      const res = await postWebhook(app, body, headers);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
    expect(await balanceUsd(app, key)).toBe('0.00');
    expect(await app.database.db.selectFrom('stripe_events').select('id').where('id', '=', event.id as string).execute()).toHaveLength(0);
  });

  it('answers 200 to event types it does not handle, and to sessions that are unpaid or not ours, crediting nothing', async () => {
    const { key } = await fundedKey(app, '0');
    const { id } = await checkout(key, '20');
    expect(await deliver(stripeEvent('customer.created', { id: 'cus_123', object: 'customer' }))).toEqual({ status: 200, outcome: 'ignored' });
    expect((await deliver(stripeEvent('checkout.session.completed', stripe.paidSession(id, { payment_status: 'unpaid' })))).outcome).toBe('ignored');
    expect((await deliver(stripeEvent('checkout.session.completed', stripe.paidSession(id, { metadata: {} })))).outcome).toBe('ignored');
    expect((await deliver(stripeEvent('checkout.session.completed', stripe.paidSession(id, { client_reference_id: 'acct_other' })))).outcome).toBe('ignored');
    expect((await deliver(stripeEvent('checkout.session.completed', stripe.paidSession(id, { currency: 'eur' })))).outcome).toBe('ignored');
    expect(await balanceUsd(app, key)).toBe('0.00');

    // A delayed payment method: completed while unpaid, then paid.
    expect((await deliver(stripeEvent('checkout.session.async_payment_succeeded', stripe.paidSession(id)))).outcome).toBe('credited');
    expect(await balanceUsd(app, key)).toBe('20.00');
  });

  it('credits no more than was paid and no more than was ordered', async () => {
    const discounted = await fundedKey(app, '0');
    const a = await checkout(discounted.key, '40');
    await deliver(stripeEvent('checkout.session.completed', stripe.paidSession(a.id, { amount_total: 3000 })));
    expect(await balanceUsd(app, discounted.key)).toBe('30.00');

    const taxed = await fundedKey(app, '0');
    const b = await checkout(taxed.key, '40');
    await deliver(stripeEvent('checkout.session.completed', stripe.paidSession(b.id, { amount_total: 4800 })));
    expect(await balanceUsd(app, taxed.key)).toBe('40.00');
  });

  it('refuses a wrong content type with 415 and a huge body with 413', async () => {
    const payload = JSON.stringify({ id: 'evt_x', object: 'event' });
    const text = await postWebhook(app, payload, { 'content-type': 'text/plain', 'stripe-signature': signWebhook(payload) });
    expect(text.status).toBe(415);
    const huge = JSON.stringify({ id: 'evt_huge', object: 'event', padding: 'x'.repeat(2_000_000) });
    const big = await postWebhook(app, huge, { 'stripe-signature': signWebhook(huge) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });
});
