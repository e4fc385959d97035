// Two Switchyard databases side by side in one PostgreSQL database (two deployments, or test files
// running at once on one server), each in its own schema: migrating one must not take the other's
// migration tables for its own. Runs on PGlite too, with the other schema in the same database.
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrateToLatest, pendingMigrations } from '../../src/db/migrate';
import { openTestDatabase, type TestDatabase } from '../helpers/db';

let database: TestDatabase;
const decoy = `decoy_${Math.random().toString(36).slice(2, 10)}`;

beforeAll(async () => {
  database = await openTestDatabase({ migrate: false });
}, 60_000);

afterAll(async () => {
  await sql`drop schema if exists ${sql.id(decoy)} cascade`.execute(database.db).catch(() => {});
  await database?.close();
});

it("migrates into its own schema while another schema already holds kysely's migration tables", async () => {
  await sql`create schema ${sql.id(decoy)}`.execute(database.db);
  await sql`create table ${sql.id(decoy, 'kysely_migration')} (name varchar(255) primary key, timestamp varchar(255) not null)`.execute(database.db);
  await sql`create table ${sql.id(decoy, 'kysely_migration_lock')} (id varchar(255) primary key, is_locked integer not null default 0)`.execute(database.db);

  await migrateToLatest(database.db);
  expect(await pendingMigrations(database.db)).toEqual([]);
  // Its own tables are there and usable.
  const own = await sql<{ n: number }>`select count(*)::int as n from kysely_migration`.execute(database.db);
  expect(own.rows[0]!.n).toBeGreaterThan(0);
  await sql`select count(*) from accounts`.execute(database.db);
  // The other schema's tables were left as they were.
  const theirs = await sql<{ n: number }>`select count(*)::int as n from ${sql.id(decoy, 'kysely_migration')}`.execute(database.db);
  expect(theirs.rows[0]!.n).toBe(0);
});
