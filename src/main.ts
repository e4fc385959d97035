// Start-up only: config → db → catalog → providers → app → listen.
import { createApp } from './app';
import { ensureAdminToken } from './billing/admin-token';
import { loadCatalog } from './catalog/load';
import { ConfigError, loadConfig } from './config';
import { openDatabase } from './db/connect';
import { migrateToLatest } from './db/migrate';
import { createLogger } from './log';
import { ALL_PROVIDERS } from './providers/index';
import { createProviderRegistry } from './providers/registry';
import { listen } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR });
  const applied = await migrateToLatest(database.db);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const catalog = await loadCatalog(config.CATALOG_DIR);
  const providers = createProviderRegistry(config, ALL_PROVIDERS);
  const admin = await ensureAdminToken(database.db, config.ADMIN_TOKEN);
  if (admin.generated) {
    // Printed once, on the terminal only: the database keeps just its hash.
    process.stdout.write(`\nAdmin token (shown once, store it now): ${admin.generated}\n\n`);
  }

  let draining = false;
  const app = createApp({ config, db: database.db, logger, catalog, providers, adminTokenHash: admin.hash, isDraining: () => draining });
  const running = await listen(app, {
    port: config.PORT,
    host: config.HOST,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    logger,
    onDraining: () => (draining = true),
    onDrained: async () => {
      await providers.close();
      await database.close();
    },
  });
  logger.info(
    { port: running.port, database: database.engine, models: catalog.models.length, providers: providers.list().filter((p) => p.enabled).map((p) => p.adapter.id) },
    `Switchyard listening on http://${config.HOST}:${running.port}`,
  );

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      running.shutdown().then(
        () => process.exit(0),
        (error) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

main().catch((error) => {
  if (error instanceof ConfigError || (error instanceof Error && error.name === 'CatalogError')) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
