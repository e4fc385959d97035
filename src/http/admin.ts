// /v1/admin: accounts, credits and API keys, behind the admin token. The CLI calls the same functions.
import { Router } from 'express';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { createAccount, createKey, KeyCache, keyJson, revokeKey, UpdateKeyInput, UsdAmount, updateKey } from '../billing/keys';
import { CreditLeases } from '../billing/leases';
import { credit, getBalance } from '../billing/ledger';
import { formatUsd } from '../catalog/price';
import type { Database } from '../db/schema';
import { NotFound } from '../errors';

const CreateAccount = z.strictObject({ name: z.string().min(1).max(200) });
const Credit = z.strictObject({
  amount_usd: UsdAmount.refine((micros) => micros > 0, 'expected a positive amount'),
  reason: z.string().min(1).max(500).default('admin credit'),
  kind: z.enum(['grant', 'top_up', 'refund']).default('grant'),
  idempotency_key: z.string().min(1).max(200).optional(),
});

export function accountJson(account: { id: string; name: string; created_at: Date | string }, balance?: Awaited<ReturnType<typeof getBalance>>) {
  return {
    id: account.id,
    object: 'account',
    name: account.name,
    created_at: new Date(account.created_at).toISOString(),
    ...(balance ? balanceJson(balance) : {}),
  };
}

export function balanceJson(balance: Awaited<ReturnType<typeof getBalance>>) {
  return {
    balance_usd: formatUsd(balance.balanceMicros),
    held_usd: formatUsd(balance.heldMicros),
    available_usd: formatUsd(balance.availableMicros),
  };
}

export function adminRouter(db: Kysely<Database>, keys: KeyCache): Router {
  const router = Router();

  router.post('/accounts', async (req, res) => {
    const { name } = CreateAccount.parse(req.body);
    const account = await createAccount(db, name);
    res.status(201).json(accountJson(account, await getBalance(db, account.id)));
  });

  router.get('/accounts/:id', async (req, res) => {
    const account = await db.selectFrom('accounts').selectAll().where('id', '=', req.params.id).executeTakeFirst();
    if (!account) throw new NotFound(`No account "${req.params.id}".`);
    await CreditLeases.for(db).reconcile(account.id);
    res.json(accountJson(account, await getBalance(db, account.id)));
  });

  router.post('/accounts/:id/credits', async (req, res) => {
    const input = Credit.parse(req.body);
    const result = await credit(db, {
      accountId: req.params.id,
      amountMicros: input.amount_usd,
      kind: input.kind,
      reason: input.reason,
      externalId: input.idempotency_key ? `admin:${input.idempotency_key}` : undefined,
    });
    await CreditLeases.for(db).reconcile(req.params.id);
    res.status(result.applied ? 201 : 200).json({ object: 'credit', account_id: req.params.id, applied: result.applied, ...balanceJson(await getBalance(db, req.params.id)) });
  });

  router.post('/keys', async (req, res) => {
    const { key, row } = await createKey(db, req.body);
    res.status(201).json({ ...keyJson(row), key });
  });

  router.get('/keys', async (req, res) => {
    const account = typeof req.query.account_id === 'string' ? req.query.account_id : null;
    let query = db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc').limit(1000);
    if (account) query = query.where('account_id', '=', account);
    await CreditLeases.for(db).reconcile(account ?? undefined);
    res.json({ object: 'list', data: (await query.execute()).map(keyJson) });
  });

  router.get('/keys/:id', async (req, res) => {
    const row = await db.selectFrom('api_keys').selectAll().where('id', '=', req.params.id).executeTakeFirst();
    if (!row) throw new NotFound(`No API key "${req.params.id}".`);
    await CreditLeases.for(db).reconcile(row.account_id);
    res.json(keyJson(await db.selectFrom('api_keys').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow()));
  });

  router.patch('/keys/:id', async (req, res) => {
    UpdateKeyInput.parse(req.body);
    const row = await updateKey(db, req.params.id, req.body);
    keys.forget(row.id);
    res.json(keyJson(row));
  });

  router.delete('/keys/:id', async (req, res) => {
    const row = await revokeKey(db, req.params.id);
    keys.forget(row.id);
    res.json(keyJson(row));
  });

  return router;
}
