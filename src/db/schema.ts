// The database, typed once: every query is checked against these tables by the compiler.
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** Money and counters are int8 columns read back as JS numbers (safe integers: micro-USD). */
type Int8 = ColumnType<number, number | bigint, number | bigint>;
type Json<T> = ColumnType<T, string, string>;
/** A column with a default (or a null one), which an insert may leave out. */
type Defaulted<T> = ColumnType<T, T | undefined, T>;
type DefaultedInt8 = ColumnType<number, number | bigint | undefined, number | bigint>;

export interface SettingsTable {
  name: string;
  value: string;
  updated_at: Timestamp;
}

export interface AccountsTable {
  id: string;
  name: string;
  /** The sum of the account's ledger entries, updated in the same transaction as each entry. */
  balance_micros: DefaultedInt8;
  /** Sum of the open holds of in-flight jobs. */
  held_micros: DefaultedInt8;
  stripe_customer_id: Defaulted<string | null>;
  created_at: Timestamp;
}

export interface ApiKeysTable {
  id: string;
  account_id: string;
  name: string;
  /** The first characters of the key, shown to people so they can tell keys apart. */
  prefix: string;
  /** SHA-256 of the whole key, hex. The key itself is never stored. */
  hash: string;
  budget_micros: Int8 | null;
  budget_period: 'day' | 'month' | null;
  rate_limit_rpm: number | null;
  rate_limit_tpm: number | null;
  allowed_tasks: Json<string[] | null>;
  allowed_models: Json<string[] | null>;
  allowed_providers: Json<string[] | null>;
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Timestamp;
  last_used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Open holds of this key's in-flight jobs, for its budget. */
  held_micros: DefaultedInt8;
  /** Spend since `period_started_at` (the start of the budget's day or month). */
  period_spent_micros: DefaultedInt8;
  period_started_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export type LedgerKind = 'top_up' | 'grant' | 'usage' | 'refund' | 'adjustment';

export interface LedgerEntriesTable {
  id: Generated<Int8>;
  account_id: string;
  kind: LedgerKind;
  /** Signed micro-USD: credits positive, usage negative. */
  amount_micros: Int8;
  balance_after_micros: Int8;
  reason: string;
  request_id: Defaulted<string | null>;
  external_id: Defaulted<string | null>;
  created_at: Timestamp;
}

export interface UsageEventsTable {
  request_id: string;
  account_id: string;
  key_id: string;
  task: string;
  model: string;
  provider: string;
  provider_model_id: string;
  units: Json<Record<string, number>>;
  provider_cost_micros: Int8;
  cost_micros: Int8;
  latency_ms: number;
  status: 'succeeded' | 'partial';
  attempts: number;
  created_at: Timestamp;
}

export interface HoldsTable {
  request_id: string;
  account_id: string;
  key_id: string;
  amount_micros: Int8;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface StripeEventsTable {
  id: string;
  type: string;
  received_at: Timestamp;
}

export interface MeterOutboxTable {
  request_id: string;
  account_id: string;
  value_micros: Int8;
  occurred_at: Timestamp;
  attempts: Defaulted<number>;
  next_attempt_at: Timestamp;
  sent_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_error: Defaulted<string | null>;
}

export interface Database {
  holds: HoldsTable;
  stripe_events: StripeEventsTable;
  meter_outbox: MeterOutboxTable;
  settings: SettingsTable;
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  ledger_entries: LedgerEntriesTable;
  usage_events: UsageEventsTable;
}

export type Account = Selectable<AccountsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type NewApiKey = Insertable<ApiKeysTable>;
export type LedgerEntry = Selectable<LedgerEntriesTable>;
export type UsageEvent = Selectable<UsageEventsTable>;
