// Builds the API (express, with the JSON job routes in front of it) from its dependencies. It never
// listens: main.ts (or a test) does.
import type http from 'node:http';
import express from 'express';
import type { Kysely } from 'kysely';
import type { Catalog } from './catalog/catalog';
import type { Config } from './config';
import type { Database } from './db/schema';
import { NotFound } from './errors';
import { errorMiddleware } from './http/errors';
import { opsRouter } from './http/ops';
import type { Logger } from './log';
import type { ProviderRegistry } from './providers/registry';
import { KeyCache } from './billing/keys';
import { MemoryCounter, RateLimiter } from './billing/rate-limit';
import { Dispatcher } from './dispatch/dispatcher';
import { HealthTracker } from './dispatch/health';
import { accountRouter } from './http/account';
import { adminRouter } from './http/admin';
import { billingRouter } from './http/billing';
import { requireAdmin, requireKey } from './http/auth';
import { chatCompletions } from './http/chat';
import { ConcurrencyLimiter } from './http/concurrency';
import { moderations } from './http/moderations';
import { ocrRouter } from './http/ocr';
import { translations } from './http/translations';
import { speechRouter } from './http/speech';
import { transcriptionRouter } from './http/transcription';
import { JSON_TYPES } from './http/body';
import type { JobHandler, JobServices } from './http/jobs';
import { bodyLimitBytes, fastJobRoutes } from './http/fast-routes';
import { Metrics } from './http/metrics';
import { openapiRouter } from './http/openapi';
import { accessLogger, requestLog } from './http/request-log';
import { modelsRouter, type CatalogStatus } from './http/models';
import { webRouter } from './web/router';

export interface AppDeps {
  config: Config;
  db: Kysely<Database>;
  logger: Logger;
  catalog: Catalog;
  providers: ProviderRegistry;
  adminTokenHash: string;
  /** True once shutdown began: /readyz turns 503 so load balancers stop sending work. */
  isDraining?: () => boolean;
  /** Shared counters (Redis) when several replicas run; in memory otherwise. */
  rateLimiter?: RateLimiter;
  health?: HealthTracker;
}

export interface AppParts {
  dispatcher: Dispatcher;
  health: HealthTracker;
  keys: KeyCache;
  rateLimiter: RateLimiter;
  metrics: Metrics;
  concurrency: ConcurrencyLimiter;
}

/** The long-lived parts the routes share, built once from the dependencies. */
export function buildParts(deps: AppDeps): AppParts {
  const health = deps.health ?? new HealthTracker();
  const dispatcher = new Dispatcher({
    catalog: deps.catalog,
    providers: deps.providers,
    health,
    markupPpm: deps.config.priceMarkupPpm,
    upstreamTimeoutMs: deps.config.UPSTREAM_TIMEOUT_MS,
    jobDeadlineMs: deps.config.JOB_DEADLINE_MS,
  });
  const rateLimiter = deps.rateLimiter ?? new RateLimiter(new MemoryCounter());
  return {
    dispatcher,
    health,
    keys: new KeyCache(deps.db),
    rateLimiter,
    metrics: new Metrics(health, rateLimiter),
    concurrency: new ConcurrencyLimiter({ perKey: deps.config.MAX_CONCURRENT_JOBS_PER_KEY, total: deps.config.MAX_CONCURRENT_JOBS }),
  };
}

function catalogStatus(deps: AppDeps, parts: AppParts): CatalogStatus {
  return {
    offering: (o) => ({
      enabled: parts.dispatcher.routable(o, o.model.task),
      health: parts.health.offeringView(o.key),
      p50_latency_ms: parts.health.p50(o.key),
    }),
    provider: (id) => {
      const entry = deps.providers.get(id);
      return { enabled: entry?.enabled ?? false, health: { ...parts.health.providerView(id), disabled_reason: entry?.disabledReason ?? 'no adapter' } };
    },
  };
}

/** The job endpoints, whose concurrent jobs are limited per key and per replica. */
const JOB_PATHS = ['/v1/chat', '/v1/ocr', '/v1/audio', '/v1/translations', '/v1/moderations'];

/** Routes that need an API key; the catalog and operations are open, /v1/admin has its own token. */
const KEYED_PATHS = ['/v1/balance', '/v1/usage', '/v1/chat', '/v1/ocr', '/v1/audio', '/v1/translations', '/v1/moderations', '/v1/billing/checkout'];

/** The whole API as one request listener: the JSON job routes served directly, the rest by express. */
export function createApp(deps: AppDeps, parts: AppParts = buildParts(deps)): http.RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  const access = accessLogger(deps.logger);
  app.use(requestLog(access));
  app.use(parts.metrics.middleware());

  const services: JobServices = {
    db: deps.db,
    dispatcher: parts.dispatcher,
    rateLimiter: parts.rateLimiter,
    logger: deps.logger,
    markupPpm: deps.config.priceMarkupPpm,
    meterUsage: Boolean(deps.config.STRIPE_SECRET_KEY && deps.config.STRIPE_METER_EVENT_NAME),
    logPrompts: deps.config.LOG_PROMPTS,
  };
  const jsonLimitBytes = bodyLimitBytes(deps.config.JSON_BODY_LIMIT);
  const jsonBody = express.json({ limit: jsonLimitBytes, strict: true, type: JSON_TYPES });
  // The JSON job routes: served by fastJobRoutes below, and here for the requests it hands on (a
  // query string, a compressed or non-UTF-8 body), first, with the same steps: body, key, concurrency.
  const jobRoutes = new Map<string, JobHandler>([
    ['/v1/chat/completions', chatCompletions(services)],
    ['/v1/moderations', moderations(services)],
    ['/v1/translations', translations(services)],
  ]);
  for (const [path, handler] of jobRoutes) app.post(path, jsonBody, requireKey(parts.keys), parts.concurrency.middleware(), handler);
  app.use(opsRouter(deps.db, deps.isDraining ?? (() => false)));
  app.use(parts.metrics.router());
  app.use(openapiRouter(deps.config.PUBLIC_URL));
  app.use('/v1/billing', billingRouter({ config: deps.config, db: deps.db, logger: deps.logger, keys: parts.keys }));
  app.use('/v1', jsonBody);

  app.use('/v1', modelsRouter({ catalog: deps.catalog, status: catalogStatus(deps, parts) }));
  app.use('/v1/admin', requireAdmin(deps.adminTokenHash, parts.keys), adminRouter(deps.db, parts.keys));
  app.use(KEYED_PATHS, requireKey(parts.keys));
  app.use(JOB_PATHS, parts.concurrency.middleware());
  app.use('/v1', accountRouter(deps.db));
  app.use('/v1', ocrRouter(services, deps.config));
  app.use('/v1', transcriptionRouter(services, { allowLoopbackUrls: deps.config.ALLOW_LOOPBACK_URLS }));
  app.use('/v1', speechRouter(services));

  app.use(webRouter({ stripeEnabled: Boolean(deps.config.STRIPE_SECRET_KEY) }));
  app.use((req, _res, next) => next(new NotFound(`No route for ${req.method} ${req.path}.`)));
  app.use(errorMiddleware(deps.logger));
  const steps = { logger: deps.logger, access, metrics: parts.metrics, keys: parts.keys, concurrency: parts.concurrency, jsonLimitBytes };
  return fastJobRoutes(jobRoutes, steps, app);
}
