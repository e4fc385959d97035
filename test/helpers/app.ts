// Starts the real app over HTTP on 127.0.0.1 (ephemeral port) with its own database.
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { buildParts, createApp, type AppDeps, type AppParts } from '../../src/app';
import { ensureAdminToken } from '../../src/billing/admin-token';
import { CreditLeases } from '../../src/billing/leases';
import { createAccount, createKey } from '../../src/billing/keys';
import { credit } from '../../src/billing/ledger';
import type { Catalog } from '../../src/catalog/catalog';
import { parseUsd } from '../../src/catalog/price';
import { loadCatalog } from '../../src/catalog/load';
import { loadConfig, type Config } from '../../src/config';
import { ALL_PROVIDERS } from '../../src/providers/index';
import { createProviderRegistry } from '../../src/providers/registry';
import type { ProviderAdapter } from '../../src/providers/types';
import { openTestDatabase, type TestDatabase } from './db';
import { captureLog, type CapturedLog } from './log';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestApp {
  url: string;
  config: Config;
  database: TestDatabase;
  log: CapturedLog;
  deps: AppDeps;
  parts: AppParts;
  close(): Promise<void>;
}

let cachedCatalog: Promise<Catalog> | null = null;

export function testCatalog(): Promise<Catalog> {
  return (cachedCatalog ??= loadCatalog('catalog'));
}

export interface TestAppOptions {
  env?: Record<string, string>;
  catalog?: Catalog;
  providers?: ProviderAdapter[];
  parts?: Partial<AppParts>;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({ ADMIN_TOKEN: TEST_ADMIN_TOKEN, LOG_LEVEL: 'info', ALLOW_LOOPBACK_URLS: 'true', ...options.env });
  const database = await openTestDatabase();
  const log = captureLog(config.LOG_LEVEL);
  const catalog = options.catalog ?? (await testCatalog());
  const providers = createProviderRegistry(config, options.providers ?? ALL_PROVIDERS);
  const admin = await ensureAdminToken(database.db, config.ADMIN_TOKEN);
  // An injected health tracker or rate limiter must reach the dispatcher and routes, which buildParts wires.
  const deps: AppDeps = {
    config,
    db: database.db,
    logger: log.logger,
    catalog,
    providers,
    adminTokenHash: admin.hash,
    health: options.parts?.health,
    rateLimiter: options.parts?.rateLimiter,
  };
  const parts = { ...buildParts(deps), ...options.parts };
  const app = createApp(deps, parts);
  // Like the real server (src/server.ts): a long keep-alive, so a busy machine's pooled client never
  // races the server's idle timer on a reused connection.
  const server = http.createServer({ keepAliveTimeout: 65_000 }, app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    config,
    database,
    log,
    deps,
    parts,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await CreditLeases.for(database.db).close().catch(() => {});
      await providers.close();
      await database.close();
    },
  };
}

/** An account with `usd` of credit and an API key for it, made through the same functions the admin API uses. */
export async function fundedKey(app: TestApp, usd = '10', keyOptions: Record<string, unknown> = {}): Promise<{ key: string; keyId: string; accountId: string }> {
  const account = await createAccount(app.database.db, 'test account');
  if (Number(usd) > 0) await credit(app.database.db, { accountId: account.id, amountMicros: parseUsd(usd), kind: 'grant', reason: 'test credit' });
  const { key, row } = await createKey(app.database.db, { account_id: account.id, name: 'test key', ...keyOptions });
  return { key, keyId: row.id, accountId: account.id };
}

/** fetch with a bearer key and a JSON body. */
export function postJson(app: TestApp, path: string, body: unknown, key?: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: JSON.stringify(body),
  });
}

/**
 * The app's database once every job settled so far is written and leased credit not held by a
 * running job is given back (src/billing/leases.ts): for tests that read the books directly.
 */
export async function settledDb(app: TestApp): Promise<TestApp['database']['db']> {
  await CreditLeases.for(app.database.db).reconcile();
  return app.database.db;
}
