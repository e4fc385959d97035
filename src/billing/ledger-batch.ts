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
import { budgetExceeded, HOLD_TTL_MS, insufficientCredit, periodStart, placeHold, releaseHold, settle, shrinkHold, usageEventRow, usageReason, type Settlement } from './ledger';

export interface HoldRequest {
  requestId: string;
  key: AuthenticatedKey;
  amountMicros: number;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

type Work =
  | { kind: 'hold'; hold: HoldRequest }
  | { kind: 'settle'; settlement: Settlement }
  | { kind: 'release'; requestId: string }
  | { kind: 'shrink'; requestId: string; amountMicros: number };
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

/** A process's jobs share one queue, the one of its CreditLeases (src/billing/leases.ts). */
export class LedgerBatch {
  private queue: Op[] = [];
  private draining = false;
  /** Batches committed whole, and batches that fell back to one transaction per job. */
  readonly counts = { batches: 0, fallbacks: 0 };

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

  /** As ledger.shrinkHold: takes what a lease's jobs were charged out of it. */
  shrinkHold(requestId: string, amountMicros: number): Promise<void> {
    return this.enqueue({ kind: 'shrink', requestId, amountMicros }) as Promise<void>;
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
        this.counts.batches++;
        batch.forEach((op, i) => op.done(outcomes[i]!));
        return;
      }
      this.counts.fallbacks++;
    }
    for (const op of batch) op.done(await single(this.db, op, now));
  }
}

async function single(db: Kysely<Database>, op: Op, now: Date): Promise<Outcome> {
  try {
    if (op.kind === 'hold') return { ok: true, value: await placeHold(db, op.hold, now) };
    if (op.kind === 'settle') return { ok: true, value: await settle(db, op.settlement) };
    if (op.kind === 'shrink') return { ok: true, value: await shrinkHold(db, op.requestId, op.amountMicros) };
    return { ok: true, value: await releaseHold(db, op.requestId) };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * One batch in one transaction of four statements: begin, a read (usage events inserted, holds
 * dropped, rows locked), a write, commit. Settlements and releases are applied before holds, so
 * credit they free is available to the holds of the same batch: the order a serial run of these
 * concurrent jobs could have had. Throws (rolling back everything) on anything a one-by-one run
 * would answer differently, such as a request id already holding.
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
  const releases = batch.flatMap((op, index) => (op.kind === 'release' ? [{ index, requestId: op.requestId }] : []));
  const holds = batch.flatMap((op, index) => (op.kind === 'hold' ? [{ index, hold: op.hold }] : []));
  const shrinks = batch.flatMap((op, index) => (op.kind === 'shrink' ? [{ index, requestId: op.requestId, amountMicros: op.amountMicros }] : []));
  const keysUsed = [...settling.map(({ s }) => s.key), ...holds.map(({ hold }) => hold.key)];

  const read = await readBatch(trx, {
    // Units go in as JSON themselves, not as the string the one-row insert sends.
    usage: settling.map(({ s }) => ({ ...usageEventRow(s), units: s.units })),
    releases: releases.map((r) => r.requestId),
    shrinks: shrinks.map((r) => r.requestId),
    accountIds: [...new Set(keysUsed.map((k) => k.accountId))],
    keyIds: [...new Set(keysUsed.map((k) => k.id))],
  });
  const { accounts, keys } = read;
  const droppedHolds = new Map(read.dropped.map((h) => [h.request_id, h]));
  const charged = settling.filter(({ index, s }) => {
    if (read.inserted.has(s.requestId)) return true;
    outcomes[index] = { ok: true, value: { charged: false } };
    return false;
  });

  const write: BatchWrite = { ledger: [], meter: [], holds: [], shrunk: [] };
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
      write.ledger.push({ account_id: s.key.accountId, amount_micros: -s.costMicros, balance_after_micros: account.balance, reason: usageReason(s), request_id: s.requestId });
    }
    if (s.meter) write.meter.push({ request_id: s.requestId, account_id: s.key.accountId, value_micros: s.costMicros, occurred_at: now.toISOString() });
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
  // Leases (holds that stay) give back what their jobs were charged; a lease already gone gives
  // nothing, and one released in this batch gave back all it held with its release.
  const released = new Set(read.dropped.map((h) => h.request_id));
  for (const { index, requestId, amountMicros } of shrinks) {
    const lease = read.leases.get(requestId);
    if (lease && !released.has(requestId)) {
      const taken = Math.min(amountMicros, lease.amount_micros);
      lease.amount_micros -= taken;
      adjust(accounts, lease.account_id, (a) => (a.held -= taken));
      adjust(keys, lease.key_id, (k) => (k.held -= taken));
    }
    outcomes[index] = { ok: true, value: undefined };
  }
  write.shrunk = [...read.leases.values()].filter((l) => !released.has(l.request_id)).map((l) => ({ request_id: l.request_id, amount_micros: l.amount_micros }));
  for (const { index, hold } of holds) {
    const error = decideHold(accounts, keys, hold, now);
    if (error) {
      outcomes[index] = { ok: false, error };
      continue;
    }
    const expires = new Date(now.getTime() + HOLD_TTL_MS).toISOString();
    write.holds.push({ request_id: hold.requestId, account_id: hold.key.accountId, key_id: hold.key.id, amount_micros: hold.amountMicros, expires_at: expires });
    outcomes[index] = { ok: true, value: undefined };
  }
  await writeBatch(trx, accounts, keys, write);
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

function adjust<T extends { changed: boolean }>(rows: Map<string, T>, id: string, change: (row: T) => void): T {
  const row = rows.get(id)!;
  change(row);
  row.changed = true;
  return row;
}

interface DroppedHold {
  request_id: string;
  account_id: string;
  key_id: string;
  amount_micros: number;
}

/**
 * One statement: inserts the usage events (a request id already settled is skipped), drops the
 * holds of the jobs charged now and of the releases, and locks and reads every account and key the
 * batch may touch. Rows are locked sorted, accounts before keys: the order every ledger
 * transaction takes them in, so batches on several replicas queue instead of deadlocking. Rows go
 * in and out as JSON, so the statement text is the same for every batch and has four parameters.
 */
async function readBatch(trx: Transaction<Database>, input: { usage: UsageInput[]; releases: string[]; shrinks: string[]; accountIds: string[]; keyIds: string[] }) {
  const { rows } = await sql<{ inserted: string[]; dropped: DroppedHold[]; leases: DroppedHold[]; accounts: { id: string; balance_micros: number; held_micros: number }[]; keys: KeyRow[] }>`
    with ins as (
      insert into usage_events (request_id, account_id, key_id, task, model, provider, provider_model_id, units, provider_cost_micros, cost_micros, latency_ms, status, attempts, created_at)
      select request_id, account_id, key_id, task, model, provider, provider_model_id, units, provider_cost_micros, cost_micros, latency_ms, status, attempts, coalesce(created_at, now())
      from jsonb_to_recordset(${JSON.stringify(input.usage)}::jsonb) as u(request_id text, account_id text, key_id text, task text, model text, provider text,
        provider_model_id text, units jsonb, provider_cost_micros int8, cost_micros int8, latency_ms int4, status text, attempts int4, created_at timestamptz)
      on conflict (request_id) do nothing
      returning request_id
    ), dropped as (
      delete from holds
      where request_id in (select request_id from ins union all select jsonb_array_elements_text(${JSON.stringify(input.releases)}::jsonb))
      returning request_id, account_id, key_id, amount_micros
    ), leases as (
      select request_id, account_id, key_id, amount_micros from holds
      where request_id in (select jsonb_array_elements_text(${JSON.stringify(input.shrinks)}::jsonb))
      order by request_id for update
    ), locked_accounts as (
      select id, balance_micros, held_micros from accounts
      where id in (select account_id from dropped union select account_id from leases union select jsonb_array_elements_text(${JSON.stringify(input.accountIds)}::jsonb))
      order by id for no key update
    ), locked_keys as (
      select id, budget_micros, held_micros, period_spent_micros, period_started_at from api_keys
      where id in (select key_id from dropped union select key_id from leases union select jsonb_array_elements_text(${JSON.stringify(input.keyIds)}::jsonb))
      order by id for no key update
    )
    select (select coalesce(jsonb_agg(request_id), '[]') from ins) as inserted,
      (select coalesce(jsonb_agg(dropped), '[]') from dropped) as dropped,
      (select coalesce(jsonb_agg(leases), '[]') from leases) as leases,
      (select coalesce(jsonb_agg(locked_accounts), '[]') from locked_accounts) as accounts,
      (select coalesce(jsonb_agg(locked_keys), '[]') from locked_keys) as keys
  `.execute(trx);
  const row = rows[0]!;
  const wanted = (ids: string[], extra: string[]) => new Set([...ids, ...extra]).size;
  const held = [...row.dropped, ...row.leases];
  if (row.accounts.length !== wanted(input.accountIds, held.map((h) => h.account_id)) || row.keys.length !== wanted(input.keyIds, held.map((h) => h.key_id))) {
    throw new Error('an account or key of the batch is gone');
  }
  return {
    inserted: new Set(row.inserted),
    dropped: row.dropped,
    leases: new Map(row.leases.map((l) => [l.request_id, l])),
    accounts: new Map(row.accounts.map((r): [string, AccountState] => [r.id, { balance: r.balance_micros, held: r.held_micros, changed: false }])),
    keys: new Map(
      row.keys.map((r): [string, KeyState] => [
        r.id,
        { budget: r.budget_micros, held: r.held_micros, spent: r.period_spent_micros, startedAt: r.period_started_at ? new Date(r.period_started_at) : null, changed: false },
      ]),
    ),
  };
}

type UsageInput = Omit<ReturnType<typeof usageEventRow>, 'units'> & { units: Record<string, number> };

interface KeyRow {
  id: string;
  budget_micros: number | null;
  held_micros: number;
  period_spent_micros: number;
  period_started_at: string | null;
}

interface BatchWrite {
  ledger: { account_id: string; amount_micros: number; balance_after_micros: number; reason: string; request_id: string }[];
  meter: { request_id: string; account_id: string; value_micros: number; occurred_at: string }[];
  holds: { request_id: string; account_id: string; key_id: string; amount_micros: number; expires_at: string }[];
  shrunk: { request_id: string; amount_micros: number }[];
}

/**
 * One statement: writes back the rows the batch changed (locked since it read them, so the values
 * are exact) and appends the ledger entries, holds and meter rows. Ledger entries keep the batch's
 * order, so each one's balance_after follows the one before.
 */
async function writeBatch(trx: Transaction<Database>, accounts: Map<string, AccountState>, keys: Map<string, KeyState>, write: BatchWrite): Promise<void> {
  const accountRows = [...accounts].filter(([, a]) => a.changed).map(([id, a]) => ({ id, balance: a.balance, held: a.held }));
  const keyRows = [...keys].filter(([, k]) => k.changed).map(([id, k]) => ({ id, held: k.held, spent: k.spent, started: k.startedAt?.toISOString() ?? null }));
  const ledger = write.ledger.map((entry, ord) => ({ ...entry, ord }));
  await sql`
    with a as (
      update accounts as t set balance_micros = v.balance, held_micros = v.held
      from jsonb_to_recordset(${JSON.stringify(accountRows)}::jsonb) as v(id text, balance int8, held int8) where t.id = v.id
    ), k as (
      update api_keys as t set held_micros = v.held, period_spent_micros = v.spent, period_started_at = v.started
      from jsonb_to_recordset(${JSON.stringify(keyRows)}::jsonb) as v(id text, held int8, spent int8, started timestamptz) where t.id = v.id
    ), l as (
      insert into ledger_entries (account_id, kind, amount_micros, balance_after_micros, reason, request_id)
      select account_id, 'usage', amount_micros, balance_after_micros, reason, request_id
      from jsonb_to_recordset(${JSON.stringify(ledger)}::jsonb) as v(ord int4, account_id text, amount_micros int8, balance_after_micros int8, reason text, request_id text)
      order by ord
    ), s as (
      update holds as t set amount_micros = v.amount_micros
      from jsonb_to_recordset(${JSON.stringify(write.shrunk)}::jsonb) as v(request_id text, amount_micros int8) where t.request_id = v.request_id
    ), h as (
      insert into holds (request_id, account_id, key_id, amount_micros, expires_at)
      select request_id, account_id, key_id, amount_micros, expires_at
      from jsonb_to_recordset(${JSON.stringify(write.holds)}::jsonb) as v(request_id text, account_id text, key_id text, amount_micros int8, expires_at timestamptz)
    )
    insert into meter_outbox (request_id, account_id, value_micros, occurred_at)
    select request_id, account_id, value_micros, occurred_at
    from jsonb_to_recordset(${JSON.stringify(write.meter)}::jsonb) as v(request_id text, account_id text, value_micros int8, occurred_at timestamptz)
  `.execute(trx);
}
