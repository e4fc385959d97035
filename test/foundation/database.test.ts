import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index';
import { pendingMigrations } from '../../src/db/migrate';
import { openTestDatabase, type TestDatabase } from '../helpers/db';

describe(`database (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database.close());

  it('runs every migration', async () => {
    expect(await pendingMigrations(database.db)).toEqual([]);
    const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(database.db);
    expect(rows.rows.map((r) => r.name)).toEqual(Object.keys(migrations).sort());
  });

  it('reads int8 money back as exact integers', async () => {
    const big = 9_007_199_254_740_991; // Number.MAX_SAFE_INTEGER micro-USD
    await database.db.insertInto('accounts').values({ id: 'acct_int8', name: 'int8', balance_micros: big }).execute();
    const row = await database.db.selectFrom('accounts').select('balance_micros').where('id', '=', 'acct_int8').executeTakeFirstOrThrow();
    expect(row.balance_micros).toBe(big);
  });

  it('refuses a negative hold', async () => {
    await expect(
      database.db.insertInto('accounts').values({ id: 'acct_neg', name: 'neg', held_micros: -1 }).execute(),
    ).rejects.toThrow();
  });
});
