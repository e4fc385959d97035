// Runs once before the suite. Without DATABASE_URL each test file gets its own PGlite; starting one
// from scratch runs initdb (seconds), so a migrated template is made once here and each file loads it.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../../src/db/connect';
import { migrateToLatest } from '../../src/db/migrate';

export const TEMPLATE_PATH = path.resolve('test-output/pglite-template.tar.gz');

export default async function setup(): Promise<void> {
  if (process.env.DATABASE_URL) return;
  const handle = await openDatabase({});
  await migrateToLatest(handle.db);
  const dump = await handle.pglite!.dumpDataDir('gzip');
  mkdirSync(path.dirname(TEMPLATE_PATH), { recursive: true });
  writeFileSync(TEMPLATE_PATH, Buffer.from(await dump.arrayBuffer()));
  await handle.close();
}
