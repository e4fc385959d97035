// Postpaid metering: each usage event becomes one Stripe billing meter event (identifier = request
// id), sent by the outbox worker through the real `stripe` package to the local Stripe mock, retried
// with backoff when Stripe fails, and flushed on stop().
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/billing/keys';
import { MeterOutbox, meterIdentifier, PARKED_UNTIL, retryDelayMs, type MeterOutboxOptions } from '../../src/billing/meter-outbox';
import { createStripeClient } from '../../src/billing/stripe';
import { fundedKey, settledDb, postJson, startTestApp, type TestApp } from '../helpers/app';
import { startOpenAIMock, OPENAI_TEST_KEY } from '../mocks/openai/index';
import { startStripeMock, STRIPE_TEST_KEY, type StripeMock } from '../mocks/stripe';
import type { MockUpstream } from '../helpers/mock-upstream';

const EVENT_NAME = 'switchyard_usage_micros';
const BASE_DELAY = 1_000;

let stripe: StripeMock;
let openai: MockUpstream;
let app: TestApp;

beforeAll(async () => {
  [stripe, openai] = await Promise.all([startStripeMock(), startOpenAIMock()]);
  app = await startTestApp({
    env: {
      STRIPE_SECRET_KEY: STRIPE_TEST_KEY,
      STRIPE_API_BASE: stripe.url,
      STRIPE_METER_EVENT_NAME: EVENT_NAME,
      OPENAI_API_KEY: OPENAI_TEST_KEY,
      OPENAI_BASE_URL: `${openai.url}/v1`,
    },
  });
});

afterAll(async () => {
  await app?.close();
  await Promise.all([stripe?.close(), openai?.close()]);
});

function outbox(options: Partial<MeterOutboxOptions> = {}): MeterOutbox {
  return new MeterOutbox({
    db: app.database.db,
    stripe: createStripeClient(app.config)!,
    eventName: EVENT_NAME,
    logger: app.log.logger,
    baseDelayMs: BASE_DELAY,
    maxDelayMs: 60_000,
    ...options,
  });
}

/** An account linked to a Stripe customer, and `count` outbox rows due at `dueAt`. */
async function queued(count: number, dueAt: Date, customer: string | null = `cus_${Math.random().toString(36).slice(2, 10)}`) {
  const account = await createAccount(app.database.db, 'metered');
  if (customer) await app.database.db.updateTable('accounts').set({ stripe_customer_id: customer }).where('id', '=', account.id).execute();
  const ids = Array.from({ length: count }, (_, i) => `req_meter_${account.id}_${i}`);
  await app.database.db
    .insertInto('meter_outbox')
    .values(ids.map((id, i) => ({ request_id: id, account_id: account.id, value_micros: 1000 + i, occurred_at: new Date(dueAt.getTime() - 60_000), next_attempt_at: dueAt })))
    .execute();
  return { accountId: account.id, ids, customer };
}

async function row(requestId: string) {
  return (await settledDb(app)).selectFrom('meter_outbox').selectAll().where('request_id', '=', requestId).executeTakeFirstOrThrow();
}

function meterEventsFor(identifier: string) {
  return stripe.meterEvents.filter((e) => e.identifier === identifier);
}

function meterRequestsFor(identifier: string) {
  return stripe.forms(/billing\/meter_events$/).filter((f) => f.get('identifier') === identifier);
}

describe('meter outbox', () => {
  it('turns a usage event into one meter event with identifier = request id and the cost in micro-USD', async () => {
    const { key, accountId } = await fundedKey(app, '5');
    await app.database.db.updateTable('accounts').set({ stripe_customer_id: 'cus_chat_buyer' }).where('id', '=', accountId).execute();
    const res = await postJson(app, '/v1/chat/completions', { model: 'openai/gpt-5-nano', messages: [{ role: 'user', content: 'say hello to the meter' }], provider: { only: ['openai'] } }, key);
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id')!;
    const usage = await (await settledDb(app)).selectFrom('usage_events').select('cost_micros').where('request_id', '=', requestId).executeTakeFirstOrThrow();
    expect((await row(requestId)).sent_at).toBeNull();

    const report = await outbox().drainOnce();
    expect(report.sent).toBeGreaterThanOrEqual(1);
    expect(meterEventsFor(requestId)).toEqual([
      expect.objectContaining({ event_name: EVENT_NAME, identifier: requestId, payload: { stripe_customer_id: 'cus_chat_buyer', value: String(usage.cost_micros) } }),
    ]);
    const form = meterRequestsFor(requestId)[0]!;
    expect(form.get('timestamp')).toMatch(/^\d{10}$/);
    expect(stripe.upstream.requests.at(-1)!.headers.authorization).toBe(`Bearer ${STRIPE_TEST_KEY}`);
    const sent = await row(requestId);
    expect(sent.sent_at).toBeInstanceOf(Date);
    expect(sent.last_error).toBeNull();
  });

  it('retries a failing Stripe (500, then 429) with growing backoff, and sends the event once', async () => {
    let now = Date.now() + 5_000;
    const worker = outbox({ now: () => now, random: () => 0.5, batchSize: 1 });
    const { ids } = await queued(1, new Date(now));
    const id = ids[0]!;

    stripe.upstream.failNext({ kind: 'status', status: 500 });
    expect(await worker.drainOnce()).toMatchObject({ claimed: 1, failed: 1 });
    let state = await row(id);
    expect(state).toMatchObject({ attempts: 1, sent_at: null });
    expect(state.last_error).toContain('500');
    expect(state.next_attempt_at.getTime()).toBe(now + BASE_DELAY * 0.75);

    expect((await worker.drainOnce()).claimed).toBe(0); // not due yet: no call to Stripe
    expect(meterRequestsFor(id)).toHaveLength(1);

    now += BASE_DELAY;
    stripe.upstream.failNext({ kind: 'status', status: 429 });
    expect(await worker.drainOnce()).toMatchObject({ claimed: 1, failed: 1 });
    state = await row(id);
    expect(state.attempts).toBe(2);
    expect(state.last_error).toContain('429');
    expect(state.next_attempt_at.getTime()).toBe(now + 2 * BASE_DELAY * 0.75);

    now += 2 * BASE_DELAY;
    expect(await worker.drainOnce()).toMatchObject({ claimed: 1, sent: 1 });
    expect(await worker.drainOnce()).toMatchObject({ claimed: 0 });
    expect(meterRequestsFor(id)).toHaveLength(3);
    expect(meterEventsFor(id)).toHaveLength(1);
    state = await row(id);
    expect(state.sent_at).toBeInstanceOf(Date);
    expect(state.last_error).toBeNull();
  });

  it('caps the backoff and jitters it between half and all of the delay', () => {
    expect(retryDelayMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(retryDelayMs(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(retryDelayMs(30, 1000, 60_000, () => 1)).toBe(60_000);
    expect(retryDelayMs(500, 1000, 60_000, () => 0)).toBe(30_000);
  });

  it('skips an account without a Stripe customer with a clear last_error, and sends once one is linked', async () => {
    let now = Date.now() + 5_000;
    const worker = outbox({ now: () => now, random: () => 1 });
    const { ids, accountId } = await queued(1, new Date(now), null);
    const before = stripe.upstream.requests.length;
    expect(await worker.drainOnce()).toMatchObject({ claimed: 1, failed: 1 });
    expect(stripe.upstream.requests.length).toBe(before);
    const state = await row(ids[0]!);
    expect(state.attempts).toBe(1);
    expect(state.last_error).toMatch(new RegExp(`account ${accountId} has no stripe_customer_id`));

    await app.database.db.updateTable('accounts').set({ stripe_customer_id: 'cus_linked_later' }).where('id', '=', accountId).execute();
    now += BASE_DELAY;
    expect(await worker.drainOnce()).toMatchObject({ sent: 1 });
    expect(meterEventsFor(ids[0]!)[0]).toMatchObject({ payload: { stripe_customer_id: 'cus_linked_later' } });
  });

  it('counts an event Stripe already holds (a repeated identifier) as delivered', async () => {
    const now = Date.now() + 5_000;
    const worker = outbox({ now: () => now });
    const { ids } = await queued(1, new Date(now));
    await worker.drainOnce();
    // As if the worker crashed after Stripe accepted the event but before sent_at was written.
    await app.database.db.updateTable('meter_outbox').set({ sent_at: null, next_attempt_at: new Date(now) }).where('request_id', '=', ids[0]!).execute();
    expect(await worker.drainOnce()).toMatchObject({ sent: 1, failed: 0 });
    expect(meterRequestsFor(ids[0]!)).toHaveLength(2);
    expect(meterEventsFor(ids[0]!)).toHaveLength(1);
    expect((await row(ids[0]!)).sent_at).toBeInstanceOf(Date);
  });

  it('parks a row older than the 35 days Stripe accepts, without calling Stripe', async () => {
    const now = Date.now() + 5_000;
    const { ids } = await queued(1, new Date(now));
    await app.database.db.updateTable('meter_outbox').set({ occurred_at: new Date(now - 40 * 86_400_000) }).where('request_id', '=', ids[0]!).execute();
    expect(await outbox({ now: () => now }).drainOnce()).toMatchObject({ parked: 1 });
    expect(meterRequestsFor(ids[0]!)).toHaveLength(0);
    const state = await row(ids[0]!);
    expect(state.next_attempt_at.getTime()).toBe(PARKED_UNTIL.getTime());
    expect(state.last_error).toMatch(/older than the 35 days/);
  });

  it('two workers draining at once send each event exactly once', async () => {
    const now = Date.now() + 5_000;
    const { ids } = await queued(24, new Date(now));
    const a = outbox({ now: () => now, batchSize: 5 });
    const b = outbox({ now: () => now, batchSize: 5 });
    for (let round = 0; round < 6; round++) await Promise.all([a.drainOnce(), b.drainOnce()]);
    for (const id of ids) {
      expect(meterRequestsFor(id), id).toHaveLength(1);
      expect((await row(id)).sent_at).toBeInstanceOf(Date);
    }
  });

  it('runs in the background once started', async () => {
    const worker = outbox({ intervalMs: 50 }).start();
    try {
      const { ids } = await queued(3, new Date());
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && !(await Promise.all(ids.map(row))).every((r) => r.sent_at)) await new Promise((r) => setTimeout(r, 50));
      for (const id of ids) expect(meterEventsFor(id)).toHaveLength(1);
    } finally {
      await worker.stop();
    }
  });

  it('stop() flushes what is due before it resolves', async () => {
    // The first poll sends a sentinel row; the next poll is an hour away, so only stop() can send the rest.
    const sentinel = await queued(1, new Date(Date.now() - 1000));
    const worker = outbox({ intervalMs: 3_600_000 }).start();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !(await row(sentinel.ids[0]!)).sent_at) await new Promise((r) => setTimeout(r, 25));
    expect(meterEventsFor(sentinel.ids[0]!)).toHaveLength(1);
    const { ids } = await queued(7, new Date(Date.now() - 1000));
    expect(ids.every((id) => meterEventsFor(id).length === 0)).toBe(true);
    await worker.stop();
    for (const id of ids) expect(meterEventsFor(id)).toHaveLength(1);
  });

  it('stop() gives up on a hanging Stripe within its drain timeout, leaving the row for a later retry', async () => {
    const { ids } = await queued(1, new Date(Date.now() - 1000));
    const worker = outbox({ drainTimeoutMs: 400, requestTimeoutMs: 5_000 });
    stripe.upstream.failNext({ kind: 'hang' });
    const started = Date.now();
    await worker.stop();
    expect(Date.now() - started).toBeLessThan(3_000);
    const state = await row(ids[0]!);
    expect(state.sent_at).toBeNull();
    expect(state.attempts).toBe(1);
  });

  it('uses the request id as the identifier, hashed only when longer than Stripe allows', () => {
    expect(meterIdentifier('req_abc')).toBe('req_abc');
    const long = 'x'.repeat(128);
    expect(meterIdentifier(long)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(meterIdentifier(long)).toBe(meterIdentifier(long));
  });
});
