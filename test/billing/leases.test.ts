// Credit leases (PGlite, or PostgreSQL with DATABASE_URL): jobs are held against credit reserved in
// bulk and settled in memory, and the database ends with exactly the books a hold and a settlement
// per job would have left — with one hold row per lease instead of one per job.
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthenticatedKey } from '../../src/billing/keys';
import { CreditLeases } from '../../src/billing/leases';
import type { Database } from '../../src/db/schema';
import { PaymentRequired } from '../../src/errors';
import { fundedTestKey, testSettlement } from '../helpers/billing';
import { openTestDatabase, type TestDatabase } from '../helpers/db';

let database: TestDatabase;
let db: Kysely<Database>;

beforeAll(async () => {
  database = await openTestDatabase();
  db = database.db;
});

afterAll(async () => {
  await database?.close();
});

const funded = (micros: number, keyOptions: Record<string, unknown> = {}) => fundedTestKey(db, micros, keyOptions);
const settlement = testSettlement;

let serial = 0;
const requestId = () => `req_leasetest${++serial}`;



async function books(key: AuthenticatedKey) {
  const account = await db.selectFrom('accounts').select(['balance_micros', 'held_micros']).where('id', '=', key.accountId).executeTakeFirstOrThrow();
  const keyRow = await db.selectFrom('api_keys').select(['held_micros', 'period_spent_micros']).where('id', '=', key.id).executeTakeFirstOrThrow();
  const holds = await db.selectFrom('holds').select(['request_id', 'amount_micros']).where('account_id', '=', key.accountId).execute();
  const events = await db.selectFrom('usage_events').select(['request_id', 'cost_micros']).where('account_id', '=', key.accountId).execute();
  const entries = await db.selectFrom('ledger_entries').select(['amount_micros', 'balance_after_micros', 'kind']).where('account_id', '=', key.accountId).orderBy('id').execute();
  return { account, keyRow, holds, events, entries };
}

/** One job: hold, then settle at `cost` (or release when cost is null). */
async function job(leases: CreditLeases, key: AuthenticatedKey, holdMicros: number, cost: number | null): Promise<string> {
  const id = requestId();
  await leases.placeHold({ requestId: id, key, amountMicros: holdMicros });
  if (cost === null) await leases.releaseHold(id);
  else expect(await leases.settle(settlement(key, id, cost))).toEqual({ charged: true });
  return id;
}

describe('credit leases', () => {
  it('holds 50 concurrent jobs on one lease row, and leaves the books a hold per job would', async () => {
    const leases = new CreditLeases(db);
    const key = await funded(10_000_000);
    let holdRows = 0;
    const ids = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const id = requestId();
        await leases.placeHold({ requestId: id, key, amountMicros: 2_000 });
        holdRows = Math.max(holdRows, (await db.selectFrom('holds').select('request_id').where('account_id', '=', key.accountId).execute()).length);
        if (i % 5 === 0) await leases.releaseHold(id);
        else await leases.settle(settlement(key, id, 1_000 + i));
        return id;
      }),
    );
    expect(holdRows).toBe(1);
    await leases.reconcile(key.accountId);
    const b = await books(key);
    const charged = ids.filter((_, i) => i % 5 !== 0);
    const total = ids.reduce((sum, _, i) => sum + (i % 5 === 0 ? 0 : 1_000 + i), 0);
    expect(b.events.map((e) => e.request_id).sort()).toEqual([...charged].sort());
    expect(b.account).toEqual({ balance_micros: 10_000_000 - total, held_micros: 0 });
    expect(b.keyRow).toEqual({ held_micros: 0, period_spent_micros: total });
    expect(b.holds).toEqual([]);
    // The ledger's running balance is exact entry by entry.
    let balance = 0;
    for (const e of b.entries) {
      balance += e.amount_micros;
      expect(e.balance_after_micros).toBe(balance);
    }
    expect(balance).toBe(10_000_000 - total);
  });

  it('serves exactly what the credit covers, then 402, however the jobs arrive', async () => {
    const leases = new CreditLeases(db);
    // 10 jobs of 1,000 µUSD each fit; a lease of 32 jobs never could.
    const key = await funded(10_000);
    const results = await Promise.allSettled(Array.from({ length: 14 }, () => job(leases, key, 1_000, 1_000)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    for (const r of results.filter((r) => r.status === 'rejected')) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(PaymentRequired);
    await leases.reconcile(key.accountId);
    const b = await books(key);
    expect(b.account).toEqual({ balance_micros: 0, held_micros: 0 });
    expect(b.events).toHaveLength(10);
    expect(b.holds).toEqual([]);
  });

  it("keeps within a key's budget as a hold per job would", async () => {
    const leases = new CreditLeases(db);
    const key = await funded(10_000_000, { budget_usd: '0.005', budget_period: 'day' });
    let served = 0;
    for (let i = 0; i < 8; i++) {
      try {
        await job(leases, key, 1_000, 900);
        served++;
      } catch (error) {
        expect(error).toBeInstanceOf(PaymentRequired);
      }
    }
    // 5,000 µUSD of budget: holds of 1,000 fit while spent + held + 1,000 <= 5,000 (spent grows by 900 a job).
    expect(served).toBe(5);
    await leases.reconcile(key.accountId);
    expect((await books(key)).keyRow).toEqual({ held_micros: 0, period_spent_micros: 4_500 });
  });

  it('charges a job once however often it is settled, and a job that cost more than it held in full', async () => {
    const leases = new CreditLeases(db);
    const key = await funded(1_000_000);
    const id = requestId();
    await leases.placeHold({ requestId: id, key, amountMicros: 1_000 });
    expect(await leases.settle(settlement(key, id, 1_500))).toEqual({ charged: true });
    expect(await leases.settle(settlement(key, id, 1_500))).toEqual({ charged: false });
    await leases.flush();
    expect(await leases.settle(settlement(key, id, 1_500))).toEqual({ charged: false });
    await leases.reconcile(key.accountId);
    const b = await books(key);
    expect(b.events).toEqual([{ request_id: id, cost_micros: 1_500 }]);
    expect(b.account).toEqual({ balance_micros: 1_000_000 - 1_500, held_micros: 0 });
    expect(b.holds).toEqual([]);
  });

  it('gives an idle lease back on its own, and everything back on close', async () => {
    const leases = new CreditLeases(db, { idleMs: 50 });
    const key = await funded(1_000_000);
    await job(leases, key, 1_000, 700);
    expect((await books(key)).account.held_micros).toBeGreaterThan(0);
    await expect.poll(async () => (await books(key)).holds, { timeout: 5_000 }).toEqual([]);
    expect((await books(key)).account).toEqual({ balance_micros: 1_000_000 - 700, held_micros: 0 });

    const closing = new CreditLeases(db, { idleMs: 60_000 });
    await job(closing, key, 1_000, 300);
    await closing.close();
    expect((await books(key)).account).toEqual({ balance_micros: 1_000_000 - 1_000, held_micros: 0 });
    expect((await books(key)).holds).toEqual([]);
    await expect(closing.placeHold({ requestId: requestId(), key, amountMicros: 1 })).rejects.toBeInstanceOf(PaymentRequired);
  });

  it('takes no new job on a lease older than its maximum age', async () => {
    let now = Date.now();
    const leases = new CreditLeases(db, { now: () => now, maxAgeMs: 60_000 });
    const key = await funded(1_000_000);
    await job(leases, key, 1_000, 100);
    now += 61_000;
    await job(leases, key, 1_000, 100);
    expect(leases.pending.leases).toBe(2);
    await leases.reconcile(key.accountId);
    expect((await books(key)).holds).toEqual([]);
    expect((await books(key)).account).toEqual({ balance_micros: 1_000_000 - 200, held_micros: 0 });
  });
});
