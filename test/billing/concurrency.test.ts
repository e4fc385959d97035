// 100 concurrent chat jobs against a balance worth about 20 of them. Runs on PGlite, and on
// PostgreSQL when DATABASE_URL is set (the test helpers give this file its own schema).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fundedKey } from '../helpers/app';
import { chat, FLAT_MODEL, startMarket, type Market, START_TIMEOUT_MS } from '../dispatch/market';

let market: Market;

beforeAll(async () => {
  market = await startMarket();
}, START_TIMEOUT_MS);

afterAll(async () => {
  await market?.close();
});

/** A hundred jobs through one PGlite connection take seconds, more on a busy machine. */
const BURST_TIMEOUT_MS = 120_000;

async function books(accountId: string, keyId: string) {
  const db = market.app.database.db;
  const account = await db.selectFrom('accounts').select(['balance_micros', 'held_micros']).where('id', '=', accountId).executeTakeFirstOrThrow();
  const ledger = await db.selectFrom('ledger_entries').select(['kind', 'amount_micros']).where('account_id', '=', accountId).execute();
  const events = await db.selectFrom('usage_events').select(['request_id', 'cost_micros']).where('account_id', '=', accountId).execute();
  const holds = await db.selectFrom('holds').select('request_id').where('account_id', '=', accountId).execute();
  const key = await db.selectFrom('api_keys').select('held_micros').where('id', '=', keyId).executeTakeFirstOrThrow();
  return { account, ledger, events, holds, keyHeld: key.held_micros };
}

async function burst(key: string, body: Record<string, unknown>, n = 100) {
  return Promise.all(Array.from({ length: n }, () => chat(market, key, body)));
}

describe('100 concurrent jobs against a balance worth about 20', () => {
  it('never spends more than the balance; the rest get 402; ledger, usage events and holds agree', async () => {
    // Each job costs 11 micro-USD at groq (5 prompt × 1 + 3 completion × 2) and holds its estimate,
    // 30 (10 estimated prompt tokens × 1 + max_tokens 10 × 2). The balance pays for 20 jobs.
    const jobCost = 11;
    const hold = 30;
    const balance = 20 * jobCost;
    const { key, keyId, accountId } = await fundedKey(market.app, '0.00022');
    const results = await burst(key, { max_tokens: 10, provider: { only: ['groq'] } });

    const statuses = results.map((r) => r.status);
    expect(new Set(statuses)).toEqual(new Set([200, 402]));
    const successes = results.filter((r) => r.status === 200);
    for (const r of results.filter((r) => r.status === 402)) expect(r.body.error.code).toBe('insufficient_credit');
    for (const r of successes) expect(r.headers.get('x-switchyard-cost-usd')).toBe('0.000011');
    // The estimate error is how much a job may cost beyond its hold: none here, since the hold is larger.
    const estimateError = Math.max(0, jobCost - hold);
    expect(successes.length * jobCost).toBeLessThanOrEqual(balance + estimateError);

    const { account, ledger, events, holds, keyHeld } = await books(accountId, keyId);
    expect(account.held_micros).toBe(0);
    expect(keyHeld).toBe(0);
    expect(holds).toHaveLength(0);
    expect(events).toHaveLength(successes.length);
    expect(ledger.reduce((sum, e) => sum + e.amount_micros, 0)).toBe(account.balance_micros);
    expect(account.balance_micros).toBe(balance - successes.length * jobCost);
    expect(ledger.filter((e) => e.kind === 'usage')).toHaveLength(successes.length);
    expect(new Set(events.map((e) => e.request_id))).toEqual(new Set(successes.map((r) => r.headers.get('x-request-id'))));
  }, BURST_TIMEOUT_MS);

  it('serves exactly 20 jobs when each holds exactly what it costs', async () => {
    // acme/flat-8b costs $0.05 per request, so its hold equals its cost and $1 pays for exactly 20.
    const { key, keyId, accountId } = await fundedKey(market.app, '1');
    const results = await burst(key, { model: FLAT_MODEL });
    expect(results.filter((r) => r.status === 200)).toHaveLength(20);
    expect(results.filter((r) => r.status === 402)).toHaveLength(80);
    const { account, ledger, events, holds, keyHeld } = await books(accountId, keyId);
    expect(account).toEqual({ balance_micros: 0, held_micros: 0 });
    expect(keyHeld).toBe(0);
    expect(holds).toHaveLength(0);
    expect(events).toHaveLength(20);
    expect(events.every((e) => e.cost_micros === 50_000)).toBe(true);
    expect(ledger.reduce((sum, e) => sum + e.amount_micros, 0)).toBe(0);
  }, BURST_TIMEOUT_MS);
});
