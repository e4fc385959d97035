// The database going away and coming back, under the real app. On PostgreSQL (DATABASE_URL) the app
// connects through a TCP proxy on 127.0.0.1 that is stopped (every connection dropped, new ones
// refused) and restarted on the same port. PGlite runs inside the process and cannot go away, so
// there a driver wrapper gives the same failures: while "down" every connection attempt is refused
// and every connection that was open is dead for good (its open transaction rolled back, as a server
// does for a lost session); a query in flight when it goes down loses its answer even if it ran.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  CompiledQuery,
  Kysely,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type { PGlite } from '@electric-sql/pglite';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { buildParts, createApp, type AppDeps } from '../../src/app';
import { ensureAdminToken } from '../../src/billing/admin-token';
import type { Catalog } from '../../src/catalog/catalog';
import { loadConfig } from '../../src/config';
import { openDatabase } from '../../src/db/connect';
import type { Database } from '../../src/db/schema';
import { ALL_PROVIDERS } from '../../src/providers/index';
import { createProviderRegistry } from '../../src/providers/registry';
import { TEST_ADMIN_TOKEN } from '../helpers/app';
import { openTestDatabase } from '../helpers/db';
import { captureLog, type CapturedLog } from '../helpers/log';

export interface Outage {
  /** Takes the database away: open connections die, new ones are refused. */
  down(): Promise<void>;
  up(): Promise<void>;
}

export interface OutageApp {
  url: string;
  db: Kysely<Database>;
  log: CapturedLog;
  outage: Outage;
  engine: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export async function startOutageApp(options: { catalog: Catalog; env: Record<string, string> }): Promise<OutageApp> {
  const url = process.env.DATABASE_URL;
  const database = url ? await proxiedPostgres(url) : await switchablePglite();
  const config = loadConfig({ ADMIN_TOKEN: TEST_ADMIN_TOKEN, LOG_LEVEL: 'info', ...options.env });
  const log = captureLog(config.LOG_LEVEL);
  const providers = createProviderRegistry(config, ALL_PROVIDERS);
  const admin = await ensureAdminToken(database.db, config.ADMIN_TOKEN);
  const deps: AppDeps = { config, db: database.db, logger: log.logger, catalog: options.catalog, providers, adminTokenHash: admin.hash };
  const app = createApp(deps, buildParts(deps));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    db: database.db,
    log,
    outage: database.outage,
    engine: url ? 'postgres' : 'pglite',
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await providers.close();
      await database.close();
    },
  };
}

interface SwitchableDatabase {
  db: Kysely<Database>;
  outage: Outage;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL behind a TCP proxy

/** A TCP proxy on 127.0.0.1 that can be stopped (dropping every connection) and started again. */
export class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function proxiedPostgres(url: string): Promise<SwitchableDatabase> {
  const target = new URL(url);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  await proxy.start();
  const viaProxy = new URL(url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  const schema = `t_outage_${Math.random().toString(36).slice(2, 10)}`;
  const handle = await openDatabase({ url: viaProxy.toString(), schema, poolSize: 10 });
  const { migrateToLatest } = await import('../../src/db/migrate');
  await migrateToLatest(handle.db);
  return {
    db: handle.db,
    outage: { down: () => proxy.stop(), up: () => proxy.start() },
    close: async () => {
      await proxy.start().catch(() => {});
      await handle.close();
      await proxy.stop();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// PGlite behind a switchable driver

class Switch {
  down = false;
  /** Bumped at every outage: connections from an earlier epoch are dead. */
  epoch = 0;
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const terminated = () => new Error('Connection terminated unexpectedly');

class SwitchedConnection implements DatabaseConnection {
  dead = false;
  inTransaction = false;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly sw: Switch,
    private readonly epoch: number,
  ) {}

  private alive(): boolean {
    if (this.sw.down || this.epoch !== this.sw.epoch) this.dead = true;
    return !this.dead;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (!this.alive()) throw terminated();
    const result = await this.inner.executeQuery<R>(query);
    const statement = query.sql.trim().toLowerCase();
    if (statement.startsWith('begin') || statement.startsWith('start transaction')) this.inTransaction = true;
    if (statement === 'commit' || statement === 'rollback') this.inTransaction = false;
    // It ran, but the answer was lost with the connection.
    if (!this.alive()) throw terminated();
    return result;
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    if (!this.alive()) throw terminated();
    yield* this.inner.streamQuery<R>(query, chunkSize);
  }
}

class SwitchedDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly sw: Switch,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.sw.down) throw refused();
    return new SwitchedConnection(await this.inner.acquireConnection(), this.sw, this.sw.epoch);
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const switched = connection as SwitchedConnection;
    // The server rolls back whatever a lost session left open.
    if (switched.dead && switched.inTransaction) await switched.inner.executeQuery(CompiledQuery.raw('rollback'));
    await this.inner.releaseConnection(switched.inner);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

class SwitchedDialect implements Dialect {
  constructor(
    private readonly inner: Dialect,
    private readonly sw: Switch,
  ) {}
  createAdapter() {
    return this.inner.createAdapter();
  }
  createDriver(): Driver {
    return new SwitchedDriver(this.inner.createDriver(), this.sw);
  }
  createQueryCompiler() {
    return this.inner.createQueryCompiler();
  }
  createIntrospector(db: Kysely<any>) {
    return this.inner.createIntrospector(db);
  }
}

async function switchablePglite(): Promise<SwitchableDatabase> {
  const handle = await openTestDatabase();
  // Only this Kysely is used: two drivers on one PGlite would interleave their transactions.
  const pglite = handle.pglite!;
  const sw = new Switch();
  const db = new Kysely<Database>({ dialect: new SwitchedDialect(new PGliteDialect(pglite as unknown as PGlite), sw) });
  return {
    db,
    outage: {
      down: async () => {
        sw.down = true;
        sw.epoch++;
      },
      up: async () => {
        sw.down = false;
      },
    },
    close: async () => {
      // Destroying the driver closes the PGlite under it.
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}
