// Each test file gets its own database: an in-memory PGlite by default, or its own schema on the
// PostgreSQL server named by DATABASE_URL. Either way the migrations run first.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect';
import { migrateToLatest } from '../../src/db/migrate';
import { TEMPLATE_PATH } from './global-setup';

export interface TestDatabase extends DatabaseHandle {
  schema: string | null;
}

export async function openTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const url = process.env.DATABASE_URL;
  const schema = url ? `t_${randomBytes(6).toString('hex')}` : null;
  const template = !url && existsSync(TEMPLATE_PATH) ? new Blob([readFileSync(TEMPLATE_PATH)]) : undefined;
  const handle = await openDatabase({ url, schema: schema ?? undefined, poolSize: 20, template });
  if (options.migrate !== false) await migrateToLatest(handle.db);
  return {
    ...handle,
    schema,
    close: async () => {
      await handle.close();
      if (url && schema) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`);
        await client.end();
      }
    },
  };
}
