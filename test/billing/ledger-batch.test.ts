// Group commit of holds, settlements and releases (PGlite, or PostgreSQL with DATABASE_URL): jobs
// arriving together share a transaction and get the answers, and leave the books, that one
// transaction per job would have.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthenticatedKey } from '../../src/billing/keys';
import { getBalance, placeHold, releaseHold, settle, type Settlement } from '../../src/billing/ledger';
import { LedgerBatch } from '../../src/billing/ledger-batch';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema';
import { PaymentRequired } from '../../src/errors';
import { fundedTestKey, testSettlement } from '../helpers/billing';
import { openTestDatabase, type TestDatabase } from '../helpers/db';

let database: TestDatabase;
let batch: LedgerBatch;

beforeAll(async () => {
  database = await openTestDatabase();
  batch = new LedgerBatch(database.db);
});

afterAll(async () => {
  await database?.close();
});

const funded = fundedTestKey;
const settlement = testSettlement;

let serial = 0;
const requestId = () => `req_batchtest${++serial}`;



/** Everything the ledger invariants are about, for one account and key. */
async function books(db: Kysely<Database>, key: AuthenticatedKey) {
  const account = await db.selectFrom('accounts').select(['balance_micros', 'held_micros']).where('id', '=', key.accountId).executeTakeFirstOrThrow();
  const entries = await db.selectFrom('ledger_entries').select(['amount_micros', 'balance_after_micros']).where('account_id', '=', key.accountId).orderBy('id').execute();
  const events = await db.selectFrom('usage_events').select(['request_id', 'cost_micros']).where('account_id', '=', key.accountId).orderBy('request_id').execute();
  const holds = await db.selectFrom('holds').select(['request_id', 'amount_micros']).where('account_id', '=', key.accountId).orderBy('request_id').execute();
  const keyRow = await db.selectFrom('api_keys').select(['held_micros', 'period_spent_micros']).where('id', '=', key.id).executeTakeFirstOrThrow();
  return { account, entries, events, holds, keyRow };
}

function ledgerConsistent(b: Awaited<ReturnType<typeof books>>): void {
  expect(b.entries.reduce((sum, e) => sum + e.amount_micros, 0)).toBe(b.account.balance_micros);
  // Each entry's balance_after is the running sum up to it, as one entry per transaction would leave.
  let running = 0;
  for (const e of b.entries) {
    running += e.amount_micros;
    expect(e.balance_after_micros).toBe(running);
  }
  expect(b.holds.reduce((sum, h) => sum + h.amount_micros, 0)).toBe(b.account.held_micros);
}

describe('holds placed together', () => {
  it('admit in arrival order what the available credit covers and refuse the rest with 402', async () => {
    const key = await funded(database.db, 100);
    const before = { ...batch.counts };
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => batch.placeHold({ requestId: requestId(), key, amountMicros: 30 })));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    const refusal = (results[3] as PromiseRejectedResult).reason;
    expect(refusal).toBeInstanceOf(PaymentRequired);
    expect(refusal.message).toBe('Insufficient credit: this job may cost up to $0.00003 and $0.00001 is available. Top up to continue.');
    const b = await books(database.db, key);
    expect(b.account).toEqual({ balance_micros: 100, held_micros: 90 });
    expect(b.keyRow.held_micros).toBe(90);
    expect(b.holds).toHaveLength(3);
    // Decided together, in one transaction, not one by one after a failed batch.
    expect(batch.counts).toEqual({ batches: before.batches + 1, fallbacks: before.fallbacks });
  });

  it("hold a key's budget per period and answer budget_exceeded beyond it", async () => {
    const key = await funded(database.db, 10_000, { budget_usd: '0.0001', budget_period: 'day' });
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => batch.placeHold({ requestId: requestId(), key, amountMicros: 40 })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) expect(r.reason.code).toBe('budget_exceeded');
    expect((await books(database.db, key)).keyRow.held_micros).toBe(80);
  });
});

describe('settlements and releases together', () => {
  it('charge each job once, free its hold, and keep the ledger summing to the balance', async () => {
    const key = await funded(database.db, 1_000);
    const fallbacks = batch.counts.fallbacks;
    const ids = Array.from({ length: 6 }, requestId);
    await Promise.all(ids.map((id) => batch.placeHold({ requestId: id, key, amountMicros: 100 })));
    const [a, b, c, d, e, f] = ids as [string, string, string, string, string, string];
    const outcomes = await Promise.all([
      batch.settle(settlement(key, a, 40)),
      batch.settle(settlement(key, b, 70, true)),
      batch.settle(settlement(key, b, 70)),
      batch.settle(settlement(key, c, 0)),
      batch.releaseHold(d),
      batch.releaseHold(e),
      batch.settle(settlement(key, f, 130)),
    ]);
    expect(outcomes).toEqual([{ charged: true }, { charged: true }, { charged: false }, { charged: true }, undefined, undefined, { charged: true }]);
    const after = await books(database.db, key);
    ledgerConsistent(after);
    expect(after.account).toEqual({ balance_micros: 1_000 - 40 - 70 - 130, held_micros: 0 });
    expect(after.keyRow).toEqual({ held_micros: 0, period_spent_micros: 240 });
    expect(after.events.map((ev) => ev.request_id)).toEqual([a, b, c, f].sort());
    const meter = await database.db.selectFrom('meter_outbox').select('request_id').where('account_id', '=', key.accountId).execute();
    expect(meter.map((m) => m.request_id)).toEqual([b]);
    // A later settle of an already charged job stays a no-op.
    expect(await batch.settle(settlement(key, a, 40))).toEqual({ charged: false });
    expect(batch.counts.fallbacks).toBe(fallbacks);
  });

  it('answer a request id that is already holding as a lone placeHold would, without failing the others', async () => {
    const key = await funded(database.db, 1_000);
    const taken = requestId();
    await placeHold(database.db, { requestId: taken, key, amountMicros: 10 });
    const fallbacks = batch.counts.fallbacks;
    const results = await Promise.allSettled([
      batch.placeHold({ requestId: requestId(), key, amountMicros: 10 }),
      batch.placeHold({ requestId: taken, key, amountMicros: 10 }),
      batch.placeHold({ requestId: requestId(), key, amountMicros: 10 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const b = await books(database.db, key);
    expect(b.account.held_micros).toBe(30);
    ledgerConsistent(b);
    expect(batch.counts.fallbacks).toBe(fallbacks + 1);
  });
});

describe('a mixed stream of jobs', () => {
  it('leaves the same books as one transaction per job', async () => {
    // The same jobs against two fresh accounts: one through the batch, one through ledger.ts alone.
    const batched = await funded(database.db, 5_000, { budget_usd: '0.004', budget_period: 'month' });
    const alone = await funded(database.db, 5_000, { budget_usd: '0.004', budget_period: 'month' });
    let seed = 7;
    const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    const jobs = Array.from({ length: 60 }, (_, i) => ({ n: i, hold: 50 + Math.floor(random() * 400), cost: Math.floor(random() * 450), fails: random() < 0.2 }));

    async function run(key: AuthenticatedKey, ledger: Pick<LedgerBatch, 'placeHold' | 'settle' | 'releaseHold'>, concurrent: boolean): Promise<string[]> {
      const one = async (job: (typeof jobs)[number]): Promise<string> => {
        const id = `${key.id}_${job.n}`;
        try {
          await ledger.placeHold({ requestId: id, key, amountMicros: job.hold });
        } catch (error) {
          return (error as PaymentRequired).code;
        }
        if (job.fails) await ledger.releaseHold(id);
        else await ledger.settle(settlement(key, id, job.cost));
        return job.fails ? 'released' : 'charged';
      };
      if (concurrent) return Promise.all(jobs.map(one));
      const answers: string[] = [];
      for (const job of jobs) answers.push(await one(job));
      return answers;
    }

    const fallbacks = batch.counts.fallbacks;
    const viaBatch = await run(batched, batch, true);
    expect(batch.counts.fallbacks).toBe(fallbacks);
    const serialLedger = {
      placeHold: (h: Parameters<LedgerBatch['placeHold']>[0]) => placeHold(database.db, h),
      settle: (s: Settlement) => settle(database.db, s),
      releaseHold: (id: string) => releaseHold(database.db, id),
    };
    const viaSingle = await run(alone, serialLedger, false);
    // All holds of the concurrent run land in one batch, before any settles: a different, equally
    // valid order than the serial run's, so compare the invariants, not the answers one by one.
    for (const [key, answers] of [[batched, viaBatch], [alone, viaSingle]] as const) {
      const b = await books(database.db, key);
      ledgerConsistent(b);
      expect(b.account.held_micros).toBe(0);
      expect(b.keyRow.held_micros).toBe(0);
      expect(b.holds).toHaveLength(0);
      expect(b.events).toHaveLength(answers.filter((a) => a === 'charged').length);
      expect(b.keyRow.period_spent_micros).toBe(5_000 - b.account.balance_micros);
    }
    expect(new Set(viaBatch)).toContain('charged');
    expect(new Set(viaSingle)).toContain('budget_exceeded');
    expect((await getBalance(database.db, batched.accountId)).heldMicros).toBe(0);
  });
});
