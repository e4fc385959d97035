// The billing invariant every fault scenario ends with, checked in the database itself: each job that
// answered 2xx has exactly one usage event and one usage ledger entry of the same cost; each job that
// failed has neither; no hold is left; the ledger sums to the balance; the usage costs sum to the debits.
import type { Kysely } from 'kysely';
import { CreditLeases } from '../../src/billing/leases';
import { expect } from 'vitest';
import type { Database } from '../../src/db/schema';

/** One job as the client saw it: its request id and status (null when no answer came back at all). */
export interface JobRecord {
  requestId: string;
  status: number | null;
  /** x-switchyard-cost-usd or usage.cost_usd as micro-USD, when the answer stated one. */
  costMicros?: number | null;
}

export interface Books {
  balanceMicros: number;
  heldMicros: number;
  keyHeldMicros: number;
  ledgerSumMicros: number;
  usageDebitsMicros: number;
  usageEventCostMicros: number;
  events: Map<string, { cost: number; status: string }>;
  usageEntries: Map<string, number>;
  holds: number;
}

export async function readBooks(db: Kysely<Database>, accountId: string): Promise<Books> {
  // Jobs settle in memory first: the books are read once everything settled is written.
  await CreditLeases.for(db).reconcile(accountId);
  const account = await db.selectFrom('accounts').select(['balance_micros', 'held_micros']).where('id', '=', accountId).executeTakeFirstOrThrow();
  const keys = await db.selectFrom('api_keys').select('held_micros').where('account_id', '=', accountId).execute();
  const ledger = await db.selectFrom('ledger_entries').select(['kind', 'amount_micros', 'request_id']).where('account_id', '=', accountId).execute();
  const events = await db.selectFrom('usage_events').select(['request_id', 'cost_micros', 'status']).where('account_id', '=', accountId).execute();
  const holds = await db.selectFrom('holds').select('request_id').where('account_id', '=', accountId).execute();
  const usage = ledger.filter((e) => e.kind === 'usage');
  const usageEntries = new Map<string, number>();
  for (const e of usage) {
    // A second entry for one request would be a double charge: keep the evidence visible.
    expect(usageEntries.has(e.request_id!), `two usage entries for ${e.request_id}`).toBe(false);
    usageEntries.set(e.request_id!, -e.amount_micros);
  }
  return {
    balanceMicros: account.balance_micros,
    heldMicros: account.held_micros,
    keyHeldMicros: keys.reduce((sum, k) => sum + k.held_micros, 0),
    ledgerSumMicros: ledger.reduce((sum, e) => sum + e.amount_micros, 0),
    usageDebitsMicros: 0 - usage.reduce((sum, e) => sum + e.amount_micros, 0),
    usageEventCostMicros: events.reduce((sum, e) => sum + e.cost_micros, 0),
    events: new Map(events.map((e) => [e.request_id, { cost: e.cost_micros, status: e.status }])),
    usageEntries,
    holds: holds.length,
  };
}

/**
 * Checks the invariant for `jobs` (all of one account) and returns the books. A job with no answer
 * (status null) may have been billed or not, but never half: an event without its entry, or the reverse.
 */
export async function expectBooksBalanced(db: Kysely<Database>, accountId: string, jobs: JobRecord[]): Promise<Books> {
  const books = await readBooks(db, accountId);
  if (books.holds) console.log('HOLDS', await db.selectFrom('holds').selectAll().execute(), CreditLeases.for(db).pending);
  expect(books.holds, 'holds left behind').toBe(0);
  expect(books.heldMicros, 'account held_micros').toBe(0);
  expect(books.keyHeldMicros, 'key held_micros').toBe(0);
  expect(books.ledgerSumMicros, 'ledger sum == balance').toBe(books.balanceMicros);
  expect(books.usageEventCostMicros, 'usage event costs == usage debits').toBe(books.usageDebitsMicros);
  for (const job of jobs) {
    const event = books.events.get(job.requestId);
    const entry = books.usageEntries.get(job.requestId);
    const billed = event !== undefined;
    if (job.status !== null && job.status >= 200 && job.status < 300) {
      expect(billed, `job ${job.requestId} answered ${job.status} but has no usage event`).toBe(true);
      if (job.costMicros != null) expect(event!.cost, `job ${job.requestId} cost`).toBe(job.costMicros);
    } else if (job.status !== null) {
      expect(billed, `job ${job.requestId} failed with ${job.status} but was billed`).toBe(false);
    }
    // Never half-billed: a usage event and its ledger entry go together (a zero-cost job has no entry).
    if (billed && event!.cost > 0) expect(entry, `job ${job.requestId} has an event but no ledger entry`).toBe(event!.cost);
    if (!billed) expect(entry, `job ${job.requestId} has a ledger entry but no event`).toBeUndefined();
  }
  // Nothing billed that no job here accounts for.
  const known = new Set(jobs.map((j) => j.requestId));
  for (const id of books.events.keys()) expect(known.has(id), `usage event ${id} belongs to no job of this test`).toBe(true);
  return books;
}
