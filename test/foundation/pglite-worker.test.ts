// The embedded engine behind its worker thread: rows and types come back as PGlite gives them, errors
// keep PostgreSQL's fields, and a closed engine fails the way an unavailable database does.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, isDataException } from '../../src/db/availability';
import { PgliteWorker } from '../../src/db/pglite-worker';
import { TEMPLATE_PATH } from '../helpers/global-setup';

describe('PGlite in a worker thread', () => {
  let db: PgliteWorker;
  beforeAll(async () => {
    const template = existsSync(TEMPLATE_PATH) ? new Blob([readFileSync(TEMPLATE_PATH)]) : undefined;
    db = await PgliteWorker.open({ template, config: ['shared_buffers = 16MB'] });
    await db.query('create table t (id int8 primary key, at timestamptz, doc jsonb, raw bytea)');
  }, 120_000);
  afterAll(() => db.close());

  it('runs statements with parameters and returns typed rows', async () => {
    const at = new Date('2026-11-28T04:00:00.000Z');
    const insert = await db.query('insert into t values ($1, $2, $3, $4), ($5, $2, $3, $4)', [1, at, JSON.stringify({ a: [1, 2] }), Buffer.from([0, 255]), 9_007_199_254_740_991]);
    expect(insert.affectedRows).toBe(2);
    const { rows } = await db.query<{ id: number; at: Date; doc: unknown; raw: Uint8Array }>('select * from t order by id');
    expect(rows.map((r) => r.id)).toEqual([1, 9_007_199_254_740_991]);
    expect(rows[0]!.at.toISOString()).toBe(at.toISOString());
    expect(rows[0]!.doc).toEqual({ a: [1, 2] });
    expect([...rows[0]!.raw]).toEqual([0, 255]);
  });

  it('keeps PostgreSQL error fields', async () => {
    const duplicate = await db.query('insert into t (id) values (1)').catch((error: unknown) => error);
    expect(duplicate).toBeInstanceOf(Error);
    expect(duplicate).toMatchObject({ code: '23505', constraint: 't_pkey' });
    const badValue = await db.query('select $1::int4', ['not a number']).catch((error: unknown) => error);
    expect(isDataException(badValue)).toBe(true);
  });

  it('runs a transaction across calls in order', async () => {
    await db.query('begin');
    await db.query('insert into t (id) values (2)');
    await db.query('rollback');
    expect((await db.query('select count(*)::int4 as n from t where id = 2')).rows).toEqual([{ n: 0 }]);
  });

  it('once closed, fails as an unavailable database', async () => {
    const other = await PgliteWorker.open({ template: existsSync(TEMPLATE_PATH) ? new Blob([readFileSync(TEMPLATE_PATH)]) : undefined, config: [] });
    await other.close();
    expect(other.closed).toBe(true);
    const error = await other.query('select 1').catch((e: unknown) => e);
    expect(isDatabaseUnavailable(error)).toBe(true);
  }, 120_000);
});
