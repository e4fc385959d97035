// The ledger and holds on a real database (PGlite, or PostgreSQL with DATABASE_URL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credit, expireHolds, getBalance, HOLD_TTL_MS, placeHold, releaseHold, settle } from '../../src/billing/ledger';
import { InvalidRequest, PaymentRequired } from '../../src/errors';
import { fundedTestKey, testSettlement } from '../helpers/billing';
import { openTestDatabase, type TestDatabase } from '../helpers/db';

let database: TestDatabase;

beforeAll(async () => {
  database = await openTestDatabase();
});

afterAll(async () => {
  await database?.close();
});

const funded = (micros: number, keyOptions: Record<string, unknown> = {}) => fundedTestKey(database.db, micros, keyOptions);
const settlement = testSettlement;

let serial = 0;
const requestId = () => `req_ledgertest${++serial}`;



async function ledgerSum(accountId: string): Promise<number> {
  const rows = await database.db.selectFrom('ledger_entries').select('amount_micros').where('account_id', '=', accountId).execute();
  return rows.reduce((sum, r) => sum + r.amount_micros, 0);
}

async function keyRow(keyId: string) {
  return database.db.selectFrom('api_keys').select(['held_micros', 'period_spent_micros']).where('id', '=', keyId).executeTakeFirstOrThrow();
}

describe('holds and settlement', () => {
  it('a hold reserves credit; settling charges the real cost and frees the hold', async () => {
    const key = await funded(1_000);
    const id = requestId();
    await placeHold(database.db, { requestId: id, key, amountMicros: 400 });
    expect(await getBalance(database.db, key.accountId)).toEqual({ balanceMicros: 1_000, heldMicros: 400, availableMicros: 600 });
    expect(await settle(database.db, settlement(key, id, 321))).toEqual({ charged: true });
    expect(await getBalance(database.db, key.accountId)).toEqual({ balanceMicros: 679, heldMicros: 0, availableMicros: 679 });
    expect(await ledgerSum(key.accountId)).toBe(679);
    expect(await keyRow(key.id)).toEqual({ held_micros: 0, period_spent_micros: 321 });
  });

  it('refuses a hold larger than the available credit with 402, leaving nothing held', async () => {
    const key = await funded(1_000);
    await placeHold(database.db, { requestId: requestId(), key, amountMicros: 700 });
    await expect(placeHold(database.db, { requestId: requestId(), key, amountMicros: 301 })).rejects.toThrow(PaymentRequired);
    expect(await getBalance(database.db, key.accountId)).toMatchObject({ heldMicros: 700, availableMicros: 300 });
    await placeHold(database.db, { requestId: requestId(), key, amountMicros: 300 });
    expect((await getBalance(database.db, key.accountId)).availableMicros).toBe(0);
  });

  it('settling the same request twice charges it once', async () => {
    const key = await funded(1_000);
    const id = requestId();
    await placeHold(database.db, { requestId: id, key, amountMicros: 500 });
    expect(await settle(database.db, settlement(key, id, 200))).toEqual({ charged: true });
    expect(await settle(database.db, settlement(key, id, 200))).toEqual({ charged: false });
    expect(await getBalance(database.db, key.accountId)).toEqual({ balanceMicros: 800, heldMicros: 0, availableMicros: 800 });
    const events = await database.db.selectFrom('usage_events').select('request_id').where('request_id', '=', id).execute();
    expect(events).toHaveLength(1);
    const usage = await database.db.selectFrom('ledger_entries').select('amount_micros').where('request_id', '=', id).execute();
    expect(usage).toEqual([{ amount_micros: -200 }]);
    expect((await keyRow(key.id)).period_spent_micros).toBe(200);
  });

  it('settling twice at once still charges once', async () => {
    const key = await funded(1_000);
    const id = requestId();
    await placeHold(database.db, { requestId: id, key, amountMicros: 500 });
    const results = await Promise.allSettled([settle(database.db, settlement(key, id, 200)), settle(database.db, settlement(key, id, 200))]);
    expect(results.filter((r) => r.status === 'fulfilled' && r.value.charged)).toHaveLength(1);
    expect(await getBalance(database.db, key.accountId)).toEqual({ balanceMicros: 800, heldMicros: 0, availableMicros: 800 });
  });

  it('releasing the hold of a failed job costs nothing', async () => {
    const key = await funded(1_000);
    const id = requestId();
    await placeHold(database.db, { requestId: id, key, amountMicros: 900 });
    await releaseHold(database.db, id);
    await releaseHold(database.db, id);
    expect(await getBalance(database.db, key.accountId)).toEqual({ balanceMicros: 1_000, heldMicros: 0, availableMicros: 1_000 });
    expect(await keyRow(key.id)).toEqual({ held_micros: 0, period_spent_micros: 0 });
  });

  it('expireHolds releases holds older than their time to live and leaves fresh ones', async () => {
    const key = await funded(1_000);
    const stale = requestId();
    const fresh = requestId();
    const crashTime = new Date(Date.now() - HOLD_TTL_MS - 60_000);
    await placeHold(database.db, { requestId: stale, key, amountMicros: 300 }, crashTime);
    await placeHold(database.db, { requestId: fresh, key, amountMicros: 200 });
    expect(await expireHolds(database.db)).toBeGreaterThanOrEqual(1);
    expect(await getBalance(database.db, key.accountId)).toEqual({ balanceMicros: 1_000, heldMicros: 200, availableMicros: 800 });
    expect((await keyRow(key.id)).held_micros).toBe(200);
    const left = await database.db.selectFrom('holds').select('request_id').where('account_id', '=', key.accountId).execute();
    expect(left).toEqual([{ request_id: fresh }]);
  });
});

describe('key budgets', () => {
  it('refuses a hold that would take the key past its budget with budget_exceeded, whatever the account holds', async () => {
    const key = await funded(1_000_000, { budget_usd: '0.0001', budget_period: 'day' });
    const first = requestId();
    await placeHold(database.db, { requestId: first, key, amountMicros: 60 });
    await settle(database.db, settlement(key, first, 60));
    const refused = placeHold(database.db, { requestId: requestId(), key, amountMicros: 41 });
    await expect(refused).rejects.toMatchObject({ code: 'budget_exceeded' });
    expect((await getBalance(database.db, key.accountId)).heldMicros).toBe(0);
    await placeHold(database.db, { requestId: requestId(), key, amountMicros: 40 });
  });

  it('starts a new period with nothing spent', async () => {
    const key = await funded(1_000_000, { budget_usd: '0.0001', budget_period: 'day' });
    const yesterday = new Date(Date.now() - 86_400_000);
    const id = requestId();
    await placeHold(database.db, { requestId: id, key, amountMicros: 100 }, yesterday);
    await settle(database.db, settlement(key, id, 100));
    await placeHold(database.db, { requestId: requestId(), key, amountMicros: 100 });
  });
});

describe('credits', () => {
  it('applies a credit with an external id once however often it is replayed', async () => {
    const key = await funded(0);
    const input = { accountId: key.accountId, amountMicros: 5_000_000, kind: 'top_up' as const, reason: 'stripe', externalId: `evt_${requestId()}` };
    expect(await credit(database.db, input)).toEqual({ balanceMicros: 5_000_000, applied: true });
    expect(await credit(database.db, input)).toEqual({ balanceMicros: 5_000_000, applied: false });
    expect(await ledgerSum(key.accountId)).toBe(5_000_000);
  });

  it('applies concurrent replays of one credit once, answering each without an error', async () => {
    const key = await funded(0);
    const input = { accountId: key.accountId, amountMicros: 1_000_000, kind: 'top_up' as const, reason: 'stripe', externalId: `evt_${requestId()}` };
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => credit(database.db, input)));
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(results.filter((r) => r.status === 'fulfilled' && r.value.applied)).toHaveLength(1);
    expect(await getBalance(database.db, key.accountId)).toMatchObject({ balanceMicros: 1_000_000 });
    expect(await ledgerSum(key.accountId)).toBe(1_000_000);
  });

  it('refuses amounts that are not whole positive micro-USD', async () => {
    const key = await funded(0);
    for (const amountMicros of [0, -5, 1.5, Number.NaN]) {
      await expect(credit(database.db, { accountId: key.accountId, amountMicros, kind: 'grant', reason: 'x' })).rejects.toThrow(InvalidRequest);
    }
    expect(await ledgerSum(key.accountId)).toBe(0);
  });

  it('keeps every balance equal to the sum of its ledger after a mix of credits and charges', async () => {
    const key = await funded(10_000);
    for (let i = 0; i < 5; i++) {
      const id = requestId();
      await placeHold(database.db, { requestId: id, key, amountMicros: 1_000 });
      await settle(database.db, settlement(key, id, 137 * (i + 1)));
    }
    await credit(database.db, { accountId: key.accountId, amountMicros: -1_000, kind: 'adjustment', reason: 'correction' });
    const balance = await getBalance(database.db, key.accountId);
    expect(balance.balanceMicros).toBe(10_000 - 137 * 15 - 1_000);
    expect(await ledgerSum(key.accountId)).toBe(balance.balanceMicros);
    const last = await database.db
      .selectFrom('ledger_entries')
      .select('balance_after_micros')
      .where('account_id', '=', key.accountId)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(last.balance_after_micros).toBe(balance.balanceMicros);
  });
});
