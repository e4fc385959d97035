// Liveness and readiness: /healthz answers while the process runs; /readyz only when the database
// answers and every migration has run.
import { Router } from 'express';
import type { Kysely } from 'kysely';
import { databaseReachable } from '../db/connect';
import { pendingMigrations } from '../db/migrate';
import type { Database } from '../db/schema';

export function opsRouter(db: Kysely<Database>, isDraining: () => boolean): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (isDraining()) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    if (!(await databaseReachable(db))) {
      res.status(503).json({ status: 'unavailable', database: 'unreachable' });
      return;
    }
    const pending = await pendingMigrations(db).catch(() => ['(unknown)']);
    if (pending.length) {
      res.status(503).json({ status: 'unavailable', pending_migrations: pending });
      return;
    }
    res.json({ status: 'ready', database: 'ok' });
  });
  return router;
}
