// Starts the real app over HTTP on 127.0.0.1 (ephemeral port) with its own database.
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { createApp, type AppDeps } from '../../src/app';
import { ensureAdminToken } from '../../src/billing/admin-token';
import type { Catalog } from '../../src/catalog/catalog';
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
  close(): Promise<void>;
}

let cachedCatalog: Promise<Catalog> | null = null;

export function testCatalog(): Promise<Catalog> {
  return (cachedCatalog ??= loadCatalog('catalog'));
}

export async function startTestApp(options: { env?: Record<string, string>; catalog?: Catalog; providers?: ProviderAdapter[] } = {}): Promise<TestApp> {
  const config = loadConfig({ ADMIN_TOKEN: TEST_ADMIN_TOKEN, LOG_LEVEL: 'info', ALLOW_LOOPBACK_URLS: 'true', ...options.env });
  const database = await openTestDatabase();
  const log = captureLog(config.LOG_LEVEL);
  const catalog = options.catalog ?? (await testCatalog());
  const providers = createProviderRegistry(config, options.providers ?? ALL_PROVIDERS);
  const admin = await ensureAdminToken(database.db, config.ADMIN_TOKEN);
  const deps: AppDeps = { config, db: database.db, logger: log.logger, catalog, providers, adminTokenHash: admin.hash };
  const app = createApp(deps);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    config,
    database,
    log,
    deps,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await providers.close();
      await database.close();
    },
  };
}
