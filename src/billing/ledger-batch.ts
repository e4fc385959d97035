// Group commit for the ledger's per-job writes. Every job takes a hold before it runs and settles
// (or releases it) after; alone, each of those is a transaction of five to eight statements, and
// most of a statement's cost is fixed (parse, plan, round trip), not per row. Jobs that arrive
// together here share one transaction: the same decisions in the same order as ledger.ts makes
// them one by one, against rows locked for the batch, written with a fixed number of set-based
// statements. Every caller still waits for its own commit, so what a client is told (200 with a
// cost, or 402) is already in the database, on every replica.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema';
import type { AuthenticatedKey } from './keys';
import { budgetExceeded, HOLD_TTL_MS, insufficientCredit, periodStart, placeHold, releaseHold, settle, usageEventRow, usageReason, type Settlement } from './ledger';

export interface HoldRequest {
  requestId: string;
  key: AuthenticatedKey;
  amountMicros: number;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

type Work = { kind: 'hold'; hold: HoldRequest } | { kind: 'settle'; settlement: Settlement } | { kind: 'release'; requestId: string };
type Op = Work & { done: (outcome: Outcome) => void };

interface AccountState {
  balance: number;
  held: number;
  changed: boolean;
}

interface KeyState {
  budget: number | null;
  held: number;
  spent: number;
  startedAt: Date | null;
  changed: boolean;
}

/** Most jobs in one transaction; 256 usage rows stay far below PostgreSQL's parameter limit. */
const MAX_BATCH = 256;

/** One batch queue per database: group commit needs every job of a process in the same queue. */
const batches = new WeakMap<Kysely<Database>, LedgerBatch>();

export class LedgerBatch {
  private queue: Op[] = [];
  private draining = false;

  static for(db: Kysely<Database>): LedgerBatch {
    let batch = batches.get(db);
    if (!batch) {
      batch = new LedgerBatch(db);
      batches.set(db, batch);
    }
    return batch;
  }

  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** As ledger.placeHold: reserves the job's maximum cost or throws 402. */
  placeHold(hold: HoldRequest): Promise<void> {
    return this.enqueue({ kind: 'hold', hold }) as Promise<void>;
  }

  /** As ledger.settle: charges the job once, releasing its hold. */
  settle(settlement: Settlement): Promise<{ charged: boolean }> {
    return this.enqueue({ kind: 'settle', settlement }) as Promise<{ charged: boolean }>;
  }

  /** As ledger.releaseHold: a failed job costs nothing. */
  releaseHold(requestId: string): Promise<void> {
    return this.enqueue({ kind: 'release', requestId }) as Promise<void>;
  }

  private enqueue(work: Work): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...work, done: (o: Outcome) => (o.ok ? resolve(o.value) : reject(o.error)) });
      if (this.draining) return;
      this.draining = true;
      // After this turn's I/O callbacks, so the jobs that arrived together commit together.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) await this.commit(this.queue.splice(0, MAX_BATCH));
    this.draining = false;
  }

  private async commit(batch: Op[]): Promise<void> {
    const now = this.now();
    if (batch.length > 1) {
      let outcomes: Outcome[] | null = null;
      try {
        outcomes = await this.db.transaction().execute((trx) => applyBatch(trx, batch, now));
      } catch {
        // Rolled back whole (a duplicate request id, a vanished account …): each job then runs
        // alone below, so each gets exactly the answer it would have had without batching.
      }
      if (outcomes) {
        batch.forEach((op, i) => op.done(outcomes[i]!));
        return;
      }
    }
    for (const op of batch) op.done(await single(this.db, op, now));
  }
}

async function single(db: Kysely<Database>, op: Op, now: Date): Promise<Outcome> {
  try {
    if (op.kind === 'hold') return { ok: true, value: await placeHold(db, op.hold, now) };
    if (op.kind === 'settle') return { ok: true, value: await settle(db, op.settlement) };
    return { ok: true, value: await releaseHold(db, op.requestId) };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * One batch in one transaction. Settlements and releases are applied before holds, so credit they
 * free is available to the holds of the same batch: the order a serial run of these concurrent
 * jobs could have had. Throws (rolling back everything) on anything a one-by-one run would answer
 * differently, such as a request id already holding.
 */
async function applyBatch(trx: Transaction<Database>, batch: Op[], now: Date): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(batch.length);
  const settling: { index: number; s: Settlement }[] = [];
  const seen = new Set<string>();
  batch.forEach((op, index) => {
    if (op.kind !== 'settle') return;
    // A request id settles once; a repeat in the same batch is the no-op a second settle() is.
    if (seen.has(op.settlement.requestId)) outcomes[index] = { ok: true, value: { charged: false } };
    else {
      seen.add(op.settlement.requestId);
      settling.push({ index, s: op.settlement });
    }
  });

  const inserted = settling.length
    ? await trx
        .insertInto('usage_events')
        .values(settling.map(({ s }) => usageEventRow(s)))
        .onConflict((oc) => oc.column('request_id').doNothing())
        .returning('request_id')
        .execute()
    : [];
  const fresh = new Set(inserted.map((r) => r.request_id));
  const charged = settling.filter(({ index, s }) => {
    if (fresh.has(s.requestId)) return true;
    outcomes[index] = { ok: true, value: { charged: false } };
    return false;
  });
  const releases = batch.flatMap((op, index) => (op.kind === 'release' ? [{ index, requestId: op.requestId }] : []));
  const holds = batch.flatMap((op, index) => (op.kind === 'hold' ? [{ index, hold: op.hold }] : []));

  const dropIds = [...charged.map(({ s }) => s.requestId), ...releases.map((r) => r.requestId)];
  const dropped = dropIds.length
    ? await trx.deleteFrom('holds').where('request_id', 'in', dropIds).returning(['request_id', 'account_id', 'key_id', 'amount_micros']).execute()
    : [];
  const droppedHolds = new Map(dropped.map((h) => [h.request_id, h]));

  const accountIds = new Set<string>([...dropped.map((h) => h.account_id), ...charged.map(({ s }) => s.key.accountId), ...holds.map(({ hold }) => hold.key.accountId)]);
  const keyIds = new Set<string>([...dropped.map((h) => h.key_id), ...charged.map(({ s }) => s.key.id), ...holds.map(({ hold }) => hold.key.id)]);
  const { accounts, keys } = await lockRows(trx, [...accountIds].sort(), [...keyIds].sort());

  const ledgerRows: ReturnType<typeof usageEntry>[] = [];
  const meterRows: { request_id: string; account_id: string; value_micros: number; occurred_at: Date }[] = [];
  for (const { index, s } of charged) {
    const hold = droppedHolds.get(s.requestId);
    droppedHolds.delete(s.requestId);
    if (hold) adjust(accounts, hold.account_id, (a) => (a.held -= hold.amount_micros));
    if (hold || s.costMicros > 0) {
      adjust(keys, hold?.key_id ?? s.key.id, (k) => {
        k.held -= hold?.amount_micros ?? 0;
        k.spent += s.costMicros;
      });
    }
    if (s.costMicros > 0) {
      const account = adjust(accounts, s.key.accountId, (a) => (a.balance -= s.costMicros));
      ledgerRows.push(usageEntry(s, account.balance));
    }
    if (s.meter) meterRows.push({ request_id: s.requestId, account_id: s.key.accountId, value_micros: s.costMicros, occurred_at: new Date() });
    outcomes[index] = { ok: true, value: { charged: true } };
  }
  for (const { index, requestId } of releases) {
    const hold = droppedHolds.get(requestId);
    droppedHolds.delete(requestId);
    if (hold) {
      adjust(accounts, hold.account_id, (a) => (a.held -= hold.amount_micros));
      adjust(keys, hold.key_id, (k) => (k.held -= hold.amount_micros));
    }
    outcomes[index] = { ok: true, value: undefined };
  }

  const holdRows: { request_id: string; account_id: string; key_id: string; amount_micros: number; expires_at: Date }[] = [];
  for (const { index, hold } of holds) {
    const error = decideHold(accounts, keys, hold, now);
    if (error) {
      outcomes[index] = { ok: false, error };
      continue;
    }
    holdRows.push({ request_id: hold.requestId, account_id: hold.key.accountId, key_id: hold.key.id, amount_micros: hold.amountMicros, expires_at: new Date(now.getTime() + HOLD_TTL_MS) });
    outcomes[index] = { ok: true, value: undefined };
  }

  await writeRows(trx, accounts, keys);
  if (ledgerRows.length) await trx.insertInto('ledger_entries').values(ledgerRows).execute();
  if (meterRows.length) await trx.insertInto('meter_outbox').values(meterRows).execute();
  if (holdRows.length) await trx.insertInto('holds').values(holdRows).execute();
  return outcomes;
}

/** ledger.placeHold's two checks against the batch's running state; applies the hold when both pass. */
function decideHold(accounts: Map<string, AccountState>, keys: Map<string, KeyState>, hold: HoldRequest, now: Date): Error | null {
  const { key, amountMicros } = hold;
  const account = accounts.get(key.accountId)!;
  if (account.balance - account.held < amountMicros) return insufficientCredit(amountMicros, account.balance - account.held);
  const row = keys.get(key.id)!;
  if (key.budgetMicros !== null && key.budgetPeriod !== null) {
    const start = periodStart(key.budgetPeriod, now);
    // A new period starts the key's spend at zero; the budget is the row's, as in the SQL check.
    const spent = row.startedAt === null || row.startedAt < start ? 0 : row.spent;
    if (row.budget === null || spent + row.held + amountMicros > row.budget) return budgetExceeded(key);
    row.spent = spent;
    row.startedAt = start;
  }
  row.held += amountMicros;
  row.changed = true;
  account.held += amountMicros;
  account.changed = true;
  return null;
}

async function lockRows(trx: Transaction<Database>, accountIds: string[], keyIds: string[]) {
  // Sorted, accounts before keys: the order every ledger transaction takes its row locks in, so
  // batches on several replicas queue behind each other instead of deadlocking.
  const accountRows = accountIds.length
    ? await trx.selectFrom('accounts').select(['id', 'balance_micros', 'held_micros']).where('id', 'in', accountIds).orderBy('id').forNoKeyUpdate().execute()
    : [];
  const keyRows = keyIds.length
    ? await trx
        .selectFrom('api_keys')
        .select(['id', 'budget_micros', 'held_micros', 'period_spent_micros', 'period_started_at'])
        .where('id', 'in', keyIds)
        .orderBy('id')
        .forNoKeyUpdate()
        .execute()
    : [];
  if (accountRows.length !== accountIds.length || keyRows.length !== keyIds.length) throw new Error('an account or key of the batch is gone');
  const accounts = new Map(accountRows.map((r): [string, AccountState] => [r.id, { balance: r.balance_micros, held: r.held_micros, changed: false }]));
  const keys = new Map(
    keyRows.map((r): [string, KeyState] => [
      r.id,
      { budget: r.budget_micros, held: r.held_micros, spent: r.period_spent_micros, startedAt: r.period_started_at ? new Date(r.period_started_at) : null, changed: false },
    ]),
  );
  return { accounts, keys };
}

function adjust<T extends { changed: boolean }>(rows: Map<string, T>, id: string, change: (row: T) => void): T {
  const row = rows.get(id)!;
  change(row);
  row.changed = true;
  return row;
}

/** Writes back the rows the batch changed, locked since it read them, so the values are exact. */
async function writeRows(trx: Transaction<Database>, accounts: Map<string, AccountState>, keys: Map<string, KeyState>): Promise<void> {
  const changedAccounts = [...accounts].filter(([, a]) => a.changed);
  if (changedAccounts.length) {
    const values = sql.join(changedAccounts.map(([id, a]) => sql`(${id}, ${a.balance}::int8, ${a.held}::int8)`));
    await sql`update accounts as a set balance_micros = v.balance, held_micros = v.held from (values ${values}) as v(id, balance, held) where a.id = v.id`.execute(trx);
  }
  const changedKeys = [...keys].filter(([, k]) => k.changed);
  if (changedKeys.length) {
    const values = sql.join(changedKeys.map(([id, k]) => sql`(${id}, ${k.held}::int8, ${k.spent}::int8, ${k.startedAt}::timestamptz)`));
    await sql`update api_keys as k set held_micros = v.held, period_spent_micros = v.spent, period_started_at = v.started from (values ${values}) as v(id, held, spent, started) where k.id = v.id`.execute(
      trx,
    );
  }
}

function usageEntry(s: Settlement, balanceAfter: number) {
  return { account_id: s.key.accountId, kind: 'usage' as const, amount_micros: -s.costMicros, balance_after_micros: balanceAfter, reason: usageReason(s), request_id: s.requestId };
}
