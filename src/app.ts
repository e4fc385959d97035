// Builds the express app from its dependencies. It never listens: main.ts (or a test) does.
import express, { type Express } from 'express';
import type { Kysely } from 'kysely';
import { pinoHttp } from 'pino-http';
import type { Catalog } from './catalog/catalog';
import type { Config } from './config';
import type { Database } from './db/schema';
import { NotFound } from './errors';
import { errorMiddleware } from './http/errors';
import { opsRouter } from './http/ops';
import { requestIdFrom } from './ids';
import type { Logger } from './log';
import type { ProviderRegistry } from './providers/registry';

export interface AppDeps {
  config: Config;
  db: Kysely<Database>;
  logger: Logger;
  catalog: Catalog;
  providers: ProviderRegistry;
  adminTokenHash: string;
  /** True once shutdown began: /readyz turns 503 so load balancers stop sending work. */
  isDraining?: () => boolean;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const id = requestIdFrom(req.headers['x-request-id']);
    req.id = id;
    res.setHeader('x-request-id', id);
    next();
  });
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req) => req.id as string,
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, url: req.url?.split('?')[0] }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
      customSuccessMessage: (req, res, time) => `${req.method} ${req.url?.split('?')[0]} ${res.statusCode} ${Math.round(time)}ms`,
    }),
  );

  app.use(opsRouter(deps.db, deps.isDraining ?? (() => false)));
  app.use('/v1', express.json({ limit: deps.config.JSON_BODY_LIMIT, strict: true, type: ['application/json', 'application/*+json'] }));

  app.use((req, _res, next) => next(new NotFound(`No route for ${req.method} ${req.path}.`)));
  app.use(errorMiddleware(deps.logger));
  return app;
}
