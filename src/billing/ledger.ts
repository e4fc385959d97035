// The append-only ledger and the holds of in-flight jobs, in integer micro-USD. An account's balance
// is the sum of its ledger entries, kept in its row and updated in the same transaction as each entry.
// Before a job a hold for its maximum cost is taken with a conditional update (never more than is
// available); after it the hold is released and the real cost charged, exactly once per request id.
import { sql, type Kysely, type Transaction } from 'kysely';
import { formatUsd } from '../catalog/price';
import type { Database, LedgerKind } from '../db/schema';
import { InvalidRequest, NotFound, PaymentRequired } from '../errors';
import type { AuthenticatedKey } from './keys';

/** A hold outlives any job: one left by a crash is released after this long. */
export const HOLD_TTL_MS = 15 * 60_000;

type Db = Kysely<Database> | Transaction<Database>;

export interface Balance {
  balanceMicros: number;
  heldMicros: number;
  availableMicros: number;
}

export async function getBalance(db: Db, accountId: string): Promise<Balance> {
  const row = await db.selectFrom('accounts').select(['balance_micros', 'held_micros']).where('id', '=', accountId).executeTakeFirst();
  if (!row) throw new NotFound(`No account "${accountId}".`);
  return { balanceMicros: row.balance_micros, heldMicros: row.held_micros, availableMicros: row.balance_micros - row.held_micros };
}

/** Appends one entry and moves the balance with it; returns the new balance. */
async function appendEntry(
  trx: Transaction<Database>,
  entry: { accountId: string; kind: LedgerKind; amountMicros: number; reason: string; requestId?: string | null; externalId?: string | null },
): Promise<number> {
  const account = await trx
    .updateTable('accounts')
    .set({ balance_micros: sql`balance_micros + ${entry.amountMicros}` })
    .where('id', '=', entry.accountId)
    .returning('balance_micros')
    .executeTakeFirst();
  if (!account) throw new NotFound(`No account "${entry.accountId}".`, 'not_found', 'account_id');
  await trx
    .insertInto('ledger_entries')
    .values({
      account_id: entry.accountId,
      kind: entry.kind,
      amount_micros: entry.amountMicros,
      balance_after_micros: account.balance_micros,
      reason: entry.reason,
      request_id: entry.requestId ?? null,
      external_id: entry.externalId ?? null,
    })
    .execute();
  return account.balance_micros;
}

/**
 * Adds credit (top-up, grant, refund) or an adjustment. With an `externalId` (a Stripe event or
 * session id) the same credit is applied once however often it is replayed.
 */
export async function credit(
  db: Kysely<Database>,
  input: { accountId: string; amountMicros: number; kind: Exclude<LedgerKind, 'usage'>; reason: string; externalId?: string },
): Promise<{ balanceMicros: number; applied: boolean }> {
  if (!Number.isSafeInteger(input.amountMicros)) throw new InvalidRequest('The amount is not a whole number of micro-USD.', 'amount_usd');
  if (input.kind !== 'adjustment' && input.amountMicros <= 0) throw new InvalidRequest('The amount must be positive.', 'amount_usd');
  try {
    return await db.transaction().execute(async (trx) => {
      if (input.externalId) {
        const seen = await trx.selectFrom('ledger_entries').select('id').where('external_id', '=', input.externalId).executeTakeFirst();
        if (seen) return { balanceMicros: (await getBalance(trx, input.accountId)).balanceMicros, applied: false };
      }
      const balanceMicros = await appendEntry(trx, input);
      return { balanceMicros, applied: true };
    });
  } catch (error) {
    // A concurrent replay committed the same external id first (unique index): this one is a no-op.
    if (input.externalId && (error as { code?: string } | null)?.code === UNIQUE_VIOLATION) {
      return { balanceMicros: (await getBalance(db, input.accountId)).balanceMicros, applied: false };
    }
    throw error;
  }
}

const UNIQUE_VIOLATION = '23505';

/** The start of the budget period `now` falls in (UTC). */
export function periodStart(period: 'day' | 'month', now: Date): Date {
  return period === 'day'
    ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()))
    : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/** Reserves the job's maximum cost, or throws 402 when the account or the key's budget cannot cover it. */
export async function placeHold(
  db: Kysely<Database>,
  input: { requestId: string; key: AuthenticatedKey; amountMicros: number },
  now = new Date(),
): Promise<void> {
  const { key, amountMicros, requestId } = input;
  await db.transaction().execute(async (trx) => {
    const account = await trx
      .updateTable('accounts')
      .set({ held_micros: sql`held_micros + ${amountMicros}` })
      .where('id', '=', key.accountId)
      .where(sql<boolean>`balance_micros - held_micros >= ${amountMicros}`)
      .returning('id')
      .executeTakeFirst();
    if (!account) throw insufficientCredit(amountMicros, (await getBalance(trx, key.accountId)).availableMicros);
    await holdAgainstBudget(trx, key, amountMicros, now);
    await trx
      .insertInto('holds')
      .values({ request_id: requestId, account_id: key.accountId, key_id: key.id, amount_micros: amountMicros, expires_at: new Date(now.getTime() + HOLD_TTL_MS) })
      .execute();
  });
}

async function holdAgainstBudget(trx: Transaction<Database>, key: AuthenticatedKey, amountMicros: number, now: Date): Promise<void> {
  if (key.budgetMicros === null || key.budgetPeriod === null) {
    await trx.updateTable('api_keys').set({ held_micros: sql`held_micros + ${amountMicros}` }).where('id', '=', key.id).execute();
    return;
  }
  const start = periodStart(key.budgetPeriod, now);
  // A new period starts the key's spend at zero.
  const spent = sql<number>`case when period_started_at is null or period_started_at < ${start} then 0 else period_spent_micros end`;
  const row = await trx
    .updateTable('api_keys')
    .set({ period_spent_micros: spent, period_started_at: start, held_micros: sql`held_micros + ${amountMicros}` })
    .where('id', '=', key.id)
    .where(sql<boolean>`${spent} + held_micros + ${amountMicros} <= budget_micros`)
    .returning('id')
    .executeTakeFirst();
  if (!row) throw budgetExceeded(key);
}

/** The 402 for a hold the account's available credit cannot cover. */
export function insufficientCredit(amountMicros: number, availableMicros: number): PaymentRequired {
  return new PaymentRequired(
    `Insufficient credit: this job may cost up to $${formatUsd(amountMicros)} and $${formatUsd(Math.max(0, availableMicros))} is available. Top up to continue.`,
  );
}

/** The 402 for a hold the key's budget for this period cannot cover. */
export function budgetExceeded(key: AuthenticatedKey): PaymentRequired {
  return new PaymentRequired(`This API key's ${key.budgetPeriod}ly budget of $${formatUsd(key.budgetMicros ?? 0)} would be exceeded by this job.`, 'budget_exceeded');
}

export interface Settlement {
  requestId: string;
  key: AuthenticatedKey;
  task: string;
  model: string;
  provider: string;
  providerModelId: string;
  units: Record<string, number>;
  providerCostMicros: number;
  costMicros: number;
  latencyMs: number;
  status: 'succeeded' | 'partial';
  attempts: number;
  /** Report this job to a Stripe billing meter through the outbox. */
  meter: boolean;
  /** When the job ended (ISO 8601, microseconds): the usage event's time when it is written later. */
  settledAt?: string;
}

/**
 * Now as ISO 8601 with microseconds, rising within the process: usage events written together in
 * one batch keep the order their jobs ended in.
 */
export function preciseTimestamp(): string {
  const ms = performance.timeOrigin + performance.now();
  const whole = Math.floor(ms);
  const micros = Math.min(999, Math.floor((ms - whole) * 1000));
  return new Date(whole).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
}

/** The usage event a settlement records. */
export function usageEventRow(s: Settlement) {
  return {
    request_id: s.requestId,
    account_id: s.key.accountId,
    key_id: s.key.id,
    task: s.task,
    model: s.model,
    provider: s.provider,
    provider_model_id: s.providerModelId,
    units: JSON.stringify(s.units),
    provider_cost_micros: s.providerCostMicros,
    cost_micros: s.costMicros,
    latency_ms: s.latencyMs,
    status: s.status,
    attempts: s.attempts,
    ...(s.settledAt ? { created_at: s.settledAt } : {}),
  };
}

/** The ledger entry's reason for a job's charge. */
export function usageReason(s: Settlement): string {
  return `${s.task} ${s.model} via ${s.provider}`;
}

/** Releases the job's hold and charges its real cost, once: a second settle of the same request is a no-op. */
export async function settle(db: Kysely<Database>, s: Settlement): Promise<{ charged: boolean }> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('usage_events')
      .values(usageEventRow(s))
      .onConflict((oc) => oc.column('request_id').doNothing())
      .returning('request_id')
      .executeTakeFirst();
    if (!inserted) return { charged: false };
    await dropHold(trx, s.requestId, s.costMicros);
    if (s.costMicros > 0) {
      await appendEntry(trx, { accountId: s.key.accountId, kind: 'usage', amountMicros: -s.costMicros, reason: usageReason(s), requestId: s.requestId });
    }
    if (s.meter) {
      await trx.insertInto('meter_outbox').values({ request_id: s.requestId, account_id: s.key.accountId, value_micros: s.costMicros, occurred_at: new Date() }).execute();
    }
    return { charged: true };
  });
}

/** A failed job costs nothing: its hold goes back. */
export async function releaseHold(db: Kysely<Database>, requestId: string): Promise<void> {
  await db.transaction().execute((trx) => dropHold(trx, requestId, 0));
}

/** Deletes the hold (if still there) and moves its amount out of the held totals; adds `spentMicros` to the key's period spend. */
async function dropHold(trx: Transaction<Database>, requestId: string, spentMicros: number): Promise<void> {
  const hold = await trx.deleteFrom('holds').where('request_id', '=', requestId).returning(['account_id', 'key_id', 'amount_micros']).executeTakeFirst();
  if (hold) {
    await trx.updateTable('accounts').set({ held_micros: sql`held_micros - ${hold.amount_micros}` }).where('id', '=', hold.account_id).execute();
  }
  if (hold || spentMicros > 0) {
    const keyId = hold?.key_id ?? (await trx.selectFrom('usage_events').select('key_id').where('request_id', '=', requestId).executeTakeFirst())?.key_id;
    if (!keyId) return;
    await trx
      .updateTable('api_keys')
      .set({
        held_micros: sql`held_micros - ${hold?.amount_micros ?? 0}`,
        period_spent_micros: sql`period_spent_micros + ${spentMicros}`,
      })
      .where('id', '=', keyId)
      .execute();
  }
}

/**
 * Takes `amountMicros` out of a hold that stays (a lease whose jobs were charged from it): the hold,
 * the account's and the key's held totals shrink together. A hold already gone changes nothing.
 */
export async function shrinkHold(db: Kysely<Database>, requestId: string, amountMicros: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const hold = await trx.selectFrom('holds').select(['account_id', 'key_id', 'amount_micros']).where('request_id', '=', requestId).forUpdate().executeTakeFirst();
    if (!hold) return;
    const taken = Math.min(amountMicros, hold.amount_micros);
    await trx.updateTable('holds').set({ amount_micros: hold.amount_micros - taken }).where('request_id', '=', requestId).execute();
    await trx.updateTable('accounts').set({ held_micros: sql`held_micros - ${taken}` }).where('id', '=', hold.account_id).execute();
    await trx.updateTable('api_keys').set({ held_micros: sql`held_micros - ${taken}` }).where('id', '=', hold.key_id).execute();
  });
}

/** Releases holds left behind by a crash. Returns how many were released. */
export async function expireHolds(db: Kysely<Database>, now = new Date()): Promise<number> {
  const stale = await db.selectFrom('holds').select('request_id').where('expires_at', '<', now).limit(500).execute();
  for (const hold of stale) await releaseHold(db, hold.request_id);
  return stale.length;
}
