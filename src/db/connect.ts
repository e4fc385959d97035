// One SQL dialect, two engines: a real PostgreSQL when DATABASE_URL is set, otherwise PGlite
// (PostgreSQL compiled to WebAssembly) in a folder under DATA_DIR, so `npm start` needs nothing else.
import path from 'node:path';
import { existsSync, mkdirSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import type { PGlite } from '@electric-sql/pglite';
import { PgliteWorker } from './pglite-worker';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema';

const INT8_OID = 20;

/**
 * PGlite starts with a server's 128 MB of shared buffers; an embedded gateway's tables fit in a
 * fraction, and the rest is resident memory for nothing (about 130 MB less RSS with 16 MB).
 */
const PGLITE_CONFIG = ['shared_buffers = 16MB'];

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: 'postgres' | 'pglite';
  /** The embedded engine (in its worker thread), when that is what runs. */
  pglite?: PgliteWorker;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A postgres:// URL; PGlite when absent. */
  url?: string;
  /** PGlite's folder; in memory when absent. */
  dataDir?: string;
  /** PostgreSQL only: use (and create) this schema, so test files can share one server. */
  schema?: string;
  poolSize?: number;
  /** PGlite only: start from this dump (a migrated template) instead of running initdb. */
  template?: Blob;
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) return openPostgres(options.url, options.schema, options.poolSize ?? 10);
  return openPglite(options.dataDir, options.template);
}

async function openPostgres(url: string, schema: string | undefined, poolSize: number): Promise<DatabaseHandle> {
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  if (schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`create schema if not exists ${schema}`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    options: schema ? `-c search_path=${schema}` : undefined,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  // Nor may a checked-out one between two statements of a transaction: pg-pool listens for errors on
  // idle clients only, and an 'error' event with no listener is an uncaught exception. The failure
  // still reaches the next query on that client, and the pool drops the client when it is released.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, engine: 'postgres', close: () => db.destroy() };
}

async function openPglite(dataDir: string | undefined, template: Blob | undefined): Promise<DatabaseHandle> {
  // Loaded only here: a gateway on PostgreSQL never holds the WebAssembly engine (about 50 MB).
  const { PGliteDialect } = await import('kysely-pglite-dialect');
  let location: string | undefined;
  if (dataDir) {
    location = path.resolve(dataDir, 'pgdata');
    mkdirSync(location, { recursive: true });
    if (!template && !existsSync(path.join(location, 'PG_VERSION'))) await initdb(location);
  }
  const pglite = await PgliteWorker.open({ location, template, config: PGLITE_CONFIG });
  // The dialect calls query() and close(), which the worker's proxy answers as PGlite would.
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite as unknown as PGlite) });
  return { db, engine: 'pglite', pglite, close: () => db.destroy() };
}

/**
 * V8 flags for the initdb child: its WebAssembly compiled by the baseline compiler (Liftoff) only,
 * without recompiling hot functions with the optimizing one (TurboFan). initdb's peak 755 → 672 MB,
 * 2.8 → 2.5 s. The gateway's own process keeps V8's defaults: the flags are per process, and there
 * they also slowed the local OCR engine's WebAssembly by 43% (3.1–3.3 → 1.8 pages/s), though they
 * took 65–80 MB off PGlite's resident memory.
 */
const BASELINE_WASM_ONLY = ['--no-wasm-dynamic-tiering', '--no-wasm-tier-up'];

/**
 * A new data folder's initdb takes 500+ MB that a process never hands back to the system (the
 * gateway sat at 950 MB RSS after a first start, 300 MB after a restart). It runs in a short-lived
 * child process instead: in a worker thread, the allocator still kept about 120 MB of it.
 */
async function initdb(location: string): Promise<void> {
  const engine = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const script = `require(${JSON.stringify(engine)}).PGlite.create(${JSON.stringify(location)}, { postgresqlconf: ${JSON.stringify(PGLITE_CONFIG)} }).then((db) => db.close());`;
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [...BASELINE_WASM_ONLY, '--eval', script], (error, _stdout, stderr) => {
      if (error) reject(new Error(`PGlite initdb failed: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}

/** True when the database answers a trivial query. */
export async function databaseReachable(db: Kysely<Database>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
