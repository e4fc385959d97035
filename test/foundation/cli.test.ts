// The admin CLI as people run it: `npx switchyard …` against its own database.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect';
import { TEMPLATE_PATH } from '../helpers/global-setup';

const exec = promisify(execFile);

describe('switchyard CLI', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'switchyard-cli-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  // On PostgreSQL the CLI shares the server's database: use a schema of its own through search_path.
  const env = { PATH: process.env.PATH, DATA_DIR: dataDir, ...(process.env.DATABASE_URL ? { DATABASE_URL: `${process.env.DATABASE_URL}?options=-c%20search_path%3Dcli_${process.pid}` } : {}) };
  // Seed the embedded database from the suite's migrated template so the CLI does not wait for initdb.
  beforeAll(async () => {
    if (process.env.DATABASE_URL || !existsSync(TEMPLATE_PATH)) return;
    const seeded = await openDatabase({ dataDir, template: new Blob([readFileSync(TEMPLATE_PATH)]) });
    await seeded.close();
  }, 120_000);
  const cli = async (...args: string[]) => JSON.parse((await exec(process.execPath, ['bin/switchyard.mjs', ...args], { env })).stdout);

  it('creates an account, credits it, issues, lists and revokes a key, and reports usage', async () => {
    if (process.env.DATABASE_URL) {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await client.connect();
      await client.query(`create schema if not exists cli_${process.pid}`);
      await client.end();
    }
    const account = await cli('accounts', 'create', '--name', 'Acme');
    expect(account.id).toMatch(/^acct_/);
    const credited = await cli('accounts', 'credit', account.id, '--amount', '12.50', '--reason', 'welcome');
    expect(credited.balance_usd).toBe('12.50');
    const key = await cli('keys', 'create', '--account', account.id, '--name', 'ci', '--budget', '5', '--period', 'month', '--tasks', 'chat,ocr');
    expect(key.key).toMatch(/^sy_live_[0-9A-Za-z]{32}$/);
    expect(key.allowed_tasks).toEqual(['chat', 'ocr']);
    const keys = await cli('keys', 'list', '--account', account.id);
    expect(keys).toHaveLength(1);
    expect(JSON.stringify(keys)).not.toContain(key.key);
    const revoked = await cli('keys', 'revoke', key.id);
    expect(revoked.revoked).toBe(true);
    const usage = await cli('usage', '--account', account.id, '--group-by', 'model');
    expect(usage.total_cost_usd).toBe('0.00');
  }, 180_000);

  it('refuses a negative amount with a clear message and exit code 1', async () => {
    const account = await cli('accounts', 'create', '--name', 'Neg');
    const failed = await exec(process.execPath, ['bin/switchyard.mjs', 'accounts', 'credit', account.id, '--amount=-5'], { env }).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/switchyard: .*decimal/);
  }, 300_000);
});
