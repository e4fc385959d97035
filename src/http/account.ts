// What a key may read about its own account: balance and usage. Never another account's.
import { Router, type NextFunction, type Response } from 'express';
import type { Kysely } from 'kysely';
import { CreditLeases } from '../billing/leases';
import { getBalance } from '../billing/ledger';
import { eventJson, eventsCsv, UsageEventsQuery, usageEvents, usageTotals } from '../billing/usage';
import type { Database } from '../db/schema';
import { balanceJson } from './admin';
import { keyOf } from './auth';

export function accountRouter(db: Kysely<Database>): Router {
  const router = Router();
  // Jobs settle in memory first (src/billing/leases.ts): what is read here is written first.
  const settled = async (_req: unknown, res: Response, next: NextFunction) => {
    await CreditLeases.for(db).reconcile(keyOf(res).accountId);
    next();
  };

  router.get('/balance', settled, async (_req, res) => {
    const key = keyOf(res);
    res.json({ object: 'balance', account_id: key.accountId, ...balanceJson(await getBalance(db, key.accountId)) });
  });

  router.get('/usage', settled, async (req, res) => {
    res.json(await usageTotals(db, keyOf(res).accountId, req.query));
  });

  router.get('/usage/events', settled, async (req, res) => {
    const query = UsageEventsQuery.parse(req.query);
    const page = await usageEvents(db, keyOf(res).accountId, query);
    if (query.format === 'csv') {
      res.type('text/csv').setHeader('content-disposition', 'attachment; filename="usage.csv"');
      if (page.nextCursor) res.setHeader('x-next-cursor', page.nextCursor);
      res.send(eventsCsv(page.events, !query.cursor));
      return;
    }
    res.json({ object: 'list', data: page.events.map(eventJson), has_more: page.hasMore, next_cursor: page.nextCursor });
  });

  return router;
}
