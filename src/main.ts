// Start-up only: config → listen (liveness first) → db → catalog → providers → app.
// /healthz answers as soon as the process listens; /readyz and the API once the database is ready.
import type http from 'node:http';
import v8 from 'node:v8';
import { ConfigError, loadConfig } from './config';
import type { DatabaseHandle } from './db/connect';
import { createLogger } from './log';
import type { ProviderRegistry } from './providers/registry';
import { listen } from './server';

/** Answers while the database starts (PGlite's first start runs initdb, which takes seconds). */
const starting: http.RequestListener = (req, res) => {
  const live = req.url === '/healthz';
  res.writeHead(live ? 200 : 503, { 'content-type': 'application/json', 'retry-after': '1' });
  res.end(
    JSON.stringify(
      live
        ? { status: 'starting' }
        : { error: { message: 'Switchyard is starting; try again in a moment.', type: 'server_error', code: 'service_unavailable', param: null } },
    ),
  );
};

async function main(): Promise<void> {
  const config = loadConfig();
  // Under load most of the heap's growth is garbage of finished requests that V8 collects late; a
  // tighter growth bound keeps resident memory near the live size for a few percent of throughput.
  // The young generation's size can only be set as Node starts: `npm start` and the Dockerfile pass
  // --max-semi-space-size=8, half V8's default (measured together with the default of 40 here).
  if (config.HEAP_GROWTH_PERCENT) v8.setFlagsFromString(`--heap-growing-percent=${config.HEAP_GROWTH_PERCENT}`);
  const logger = createLogger(config.LOG_LEVEL);

  let handler: http.RequestListener = starting;
  let draining = false;
  let database: DatabaseHandle | null = null;
  let providers: ProviderRegistry | null = null;
  const cleanups: (() => Promise<void> | void)[] = [];
  const running = await listen((req, res) => handler(req, res), {
    port: config.PORT,
    host: config.HOST,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    logger,
    onDraining: () => (draining = true),
    onDrained: async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
      await providers?.close();
      await database?.close();
    },
  });
  logger.info({ port: running.port }, 'listening; starting up');
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

  // The rest loads after the port is open, so liveness answers while modules, catalog and database load.
  const [{ createApp }, { ensureAdminToken }, { expireHolds }, { createRateLimiter }, { loadCatalog }, { openDatabase }, { migrateToLatest }, { ALL_PROVIDERS }, { createProviderRegistry }] =
    await Promise.all([
      import('./app'),
      import('./billing/admin-token'),
      import('./billing/ledger'),
      import('./billing/rate-limit'),
      import('./catalog/load'),
      import('./db/connect'),
      import('./db/migrate'),
      import('./providers/index'),
      import('./providers/registry'),
    ]);
  // The tokenizer's vocabulary is read (by a short-lived child process) while the rest starts, so no job waits for it.
  const tokenizer = import('./tokenizer/o200k').then(({ o200k }) => o200k());
  providers = createProviderRegistry(config, ALL_PROVIDERS);
  const catalog = await loadCatalog(config.CATALOG_DIR);
  database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR });
  const db = database.db;
  const applied = await migrateToLatest(db);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const admin = await ensureAdminToken(db, config.ADMIN_TOKEN);
  if (admin.generated) {
    // Printed once, on the terminal only: the database keeps just its hash.
    process.stdout.write(`\nAdmin token (shown once, store it now): ${admin.generated}\n\n`);
  }

  const rateLimiter = await createRateLimiter(config.REDIS_URL, { logger });
  cleanups.push(() => rateLimiter.close());
  // Holds left by a crashed replica expire; every replica sweeps, the deletes make it idempotent.
  const sweep = () => expireHolds(db).catch((error) => logger.warn({ err: error }, 'hold sweep failed'));
  void sweep();
  const sweeper = setInterval(sweep, 60_000);
  sweeper.unref();
  cleanups.push(() => clearInterval(sweeper));

  if (config.STRIPE_SECRET_KEY && config.STRIPE_METER_EVENT_NAME) {
    const [{ createStripeClient }, { startMeterOutbox }] = await Promise.all([import('./billing/stripe'), import('./billing/meter-outbox')]);
    const outbox = startMeterOutbox({ db, stripe: createStripeClient(config)!, eventName: config.STRIPE_METER_EVENT_NAME, logger });
    cleanups.push(() => outbox.stop());
  }

  // Runs first on shutdown (cleanups run in reverse), once the last request has finished: settled
  // jobs written, leased credit given back.
  const { CreditLeases } = await import('./billing/leases');
  cleanups.push(() => CreditLeases.for(db).close());

  await tokenizer;
  handler = createApp({ config, db, logger, catalog, providers, adminTokenHash: admin.hash, isDraining: () => draining, rateLimiter });
  logger.info(
    { port: running.port, database: database.engine, models: catalog.models.length, providers: providers.list().filter((p) => p.enabled).map((p) => p.adapter.id) },
    `Switchyard listening on http://${config.HOST}:${running.port}`,
  );
}

main().catch((error) => {
  if (error instanceof ConfigError || (error instanceof Error && error.name === 'CatalogError')) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
