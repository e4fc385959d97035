// After a gateway stopped gracefully: did every answered job leave exactly one usage event, does the
// ledger still sum to the balance, and were all holds released? A fast gateway that drops usage is
// not a result.
import { sql } from 'kysely';
import { openDatabase } from '../src/db/connect';
import type { DatabaseTarget } from './targets';

export interface BillingState {
  usageEvents: number;
  ledgerMatchesBalance: boolean;
  openHolds: number;
  heldMicros: number;
}

export async function billingState(target: DatabaseTarget, accountId: string): Promise<BillingState> {
  const handle =
    target.engine === 'pglite' ? await openDatabase({ dataDir: target.dataDir }) : await openDatabase({ url: target.url, schema: target.schema, poolSize: 1 });
  try {
    const { db } = handle;
    const events = await db.selectFrom('usage_events').select(sql<number>`count(*)::int`.as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
    const ledger = await db.selectFrom('ledger_entries').select(sql<number>`coalesce(sum(amount_micros), 0)::bigint`.as('sum')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
    const account = await db.selectFrom('accounts').select(['balance_micros', 'held_micros']).where('id', '=', accountId).executeTakeFirstOrThrow();
    const holds = await db.selectFrom('holds').select(sql<number>`count(*)::int`.as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
    return {
      usageEvents: events.n,
      ledgerMatchesBalance: Number(ledger.sum) === account.balance_micros,
      openHolds: holds.n,
      heldMicros: account.held_micros,
    };
  } finally {
    await handle.close();
  }
}
