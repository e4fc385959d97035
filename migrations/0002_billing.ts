// Prepaid billing: holds for in-flight jobs, per-key budget counters, Stripe's webhook events
// (each credited once) and the outbox that reports usage to a Stripe billing meter.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('holds')
    .addColumn('request_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('key_id', 'text', (c) => c.notNull().references('api_keys.id'))
    .addColumn('amount_micros', 'bigint', (c) => c.notNull().check(sql`amount_micros >= 0`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('holds_expiry_idx').on('holds').column('expires_at').execute();

  await db.schema
    .alterTable('api_keys')
    .addColumn('held_micros', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('period_spent_micros', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('period_started_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('stripe_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('meter_outbox')
    .addColumn('request_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('value_micros', 'bigint', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .execute();
  await sql`create index meter_outbox_due_idx on meter_outbox (next_attempt_at) where sent_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('meter_outbox').execute();
  await db.schema.dropTable('stripe_events').execute();
  await db.schema.alterTable('api_keys').dropColumn('held_micros').dropColumn('period_spent_micros').dropColumn('period_started_at').execute();
  await db.schema.dropTable('holds').execute();
}
