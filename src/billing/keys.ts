// Accounts and API keys. A key is `sy_live_` + 32 random base62 characters; only its SHA-256 and
// its first characters are stored. Lookups go by hash and are cached briefly.
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { formatUsd, parseUsd } from '../catalog/price';
import { Task } from '../catalog/schema';
import type { KeyPolicy } from '../dispatch/job';
import type { ApiKeyRow, Database } from '../db/schema';
import { InvalidRequest, NotFound } from '../errors';
import { newId, randomBase62 } from '../ids';
import { digestsEqual, sha256Hex } from './admin-token';

export const KEY_PREFIX = 'sy_live_';
const SHOWN_PREFIX_LENGTH = KEY_PREFIX.length + 6;

/** A USD amount from a person: a decimal string or a JSON number, at most 6 decimals, never negative or NaN. */
export const UsdAmount = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : 'NaN') : value.trim();
    try {
      return parseUsd(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected a non-negative USD amount with at most 6 decimals, like "12.50"' });
      return z.NEVER;
    }
  });

const Names = z.array(z.string().min(1).max(200)).max(500);

export const CreateKeyInput = z.strictObject({
  account_id: z.string().min(1),
  name: z.string().min(1).max(200),
  budget_usd: UsdAmount.nullish(),
  budget_period: z.enum(['day', 'month']).nullish(),
  rate_limit_rpm: z.number().int().positive().max(1_000_000).nullish(),
  rate_limit_tpm: z.number().int().positive().max(1_000_000_000).nullish(),
  allowed_tasks: z.array(Task).nullish(),
  allowed_models: Names.nullish(),
  allowed_providers: Names.nullish(),
  expires_at: z.iso.datetime({ offset: true }).nullish(),
});
export type CreateKeyInput = z.input<typeof CreateKeyInput>;

export const UpdateKeyInput = CreateKeyInput.omit({ account_id: true }).partial();

export interface AuthenticatedKey {
  id: string;
  accountId: string;
  name: string;
  policy: KeyPolicy;
  budgetMicros: number | null;
  budgetPeriod: 'day' | 'month' | null;
  rateLimitRpm: number | null;
  rateLimitTpm: number | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export async function createAccount(db: Kysely<Database>, name: string) {
  return db.insertInto('accounts').values({ id: newId('acct'), name }).returningAll().executeTakeFirstOrThrow();
}

export async function createKey(db: Kysely<Database>, raw: unknown): Promise<{ key: string; row: ApiKeyRow }> {
  const input = CreateKeyInput.parse(raw);
  const account = await db.selectFrom('accounts').select('id').where('id', '=', input.account_id).executeTakeFirst();
  if (!account) throw new NotFound(`No account "${input.account_id}".`, 'not_found', 'account_id');
  if ((input.budget_usd == null) !== (input.budget_period == null)) {
    throw new InvalidRequest('budget_usd and budget_period go together.', input.budget_usd == null ? 'budget_usd' : 'budget_period');
  }
  const key = `${KEY_PREFIX}${randomBase62(32)}`;
  const row = await db
    .insertInto('api_keys')
    .values({
      id: newId('key'),
      account_id: input.account_id,
      name: input.name,
      prefix: key.slice(0, SHOWN_PREFIX_LENGTH),
      hash: sha256Hex(key),
      budget_micros: input.budget_usd ?? null,
      budget_period: input.budget_period ?? null,
      rate_limit_rpm: input.rate_limit_rpm ?? null,
      rate_limit_tpm: input.rate_limit_tpm ?? null,
      allowed_tasks: JSON.stringify(input.allowed_tasks ?? null),
      allowed_models: JSON.stringify(input.allowed_models ?? null),
      allowed_providers: JSON.stringify(input.allowed_providers ?? null),
      expires_at: input.expires_at ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { key, row };
}

export async function updateKey(db: Kysely<Database>, id: string, raw: unknown): Promise<ApiKeyRow> {
  const patch = UpdateKeyInput.parse(raw);
  const values: Record<string, unknown> = {};
  if (patch.name !== undefined) values.name = patch.name;
  if (patch.budget_usd !== undefined) values.budget_micros = patch.budget_usd;
  if (patch.budget_period !== undefined) values.budget_period = patch.budget_period;
  if (patch.rate_limit_rpm !== undefined) values.rate_limit_rpm = patch.rate_limit_rpm;
  if (patch.rate_limit_tpm !== undefined) values.rate_limit_tpm = patch.rate_limit_tpm;
  for (const field of ['allowed_tasks', 'allowed_models', 'allowed_providers'] as const) {
    if (patch[field] !== undefined) values[field] = JSON.stringify(patch[field]);
  }
  if (patch.expires_at !== undefined) values.expires_at = patch.expires_at;
  // In a transaction: a patch that leaves a budget without its period is refused and rolled back.
  return db.transaction().execute(async (trx) => {
    const row = Object.keys(values).length
      ? await trx.updateTable('api_keys').where('id', '=', id).set(values).returningAll().executeTakeFirst()
      : await trx.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFound(`No API key "${id}".`);
    if ((row.budget_micros == null) !== (row.budget_period == null)) {
      throw new InvalidRequest('budget_usd and budget_period go together.', 'budget_period');
    }
    return row;
  });
}

export async function revokeKey(db: Kysely<Database>, id: string): Promise<ApiKeyRow> {
  const row = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql`coalesce(revoked_at, now())` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFound(`No API key "${id}".`);
  return row;
}

export function toAuthenticatedKey(row: ApiKeyRow): AuthenticatedKey {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    policy: {
      allowedTasks: row.allowed_tasks ?? null,
      allowedModels: row.allowed_models ?? null,
      allowedProviders: row.allowed_providers ?? null,
    },
    budgetMicros: row.budget_micros,
    budgetPeriod: row.budget_period,
    rateLimitRpm: row.rate_limit_rpm,
    rateLimitTpm: row.rate_limit_tpm,
    expiresAt: row.expires_at ? new Date(row.expires_at) : null,
    revokedAt: row.revoked_at ? new Date(row.revoked_at) : null,
  };
}

/** A key as admins see it: never the key itself, never its hash. */
export function keyJson(row: ApiKeyRow) {
  return {
    id: row.id,
    object: 'api_key',
    account_id: row.account_id,
    name: row.name,
    prefix: row.prefix,
    budget_usd: row.budget_micros === null ? null : formatUsd(row.budget_micros),
    budget_period: row.budget_period,
    rate_limit_rpm: row.rate_limit_rpm,
    rate_limit_tpm: row.rate_limit_tpm,
    allowed_tasks: row.allowed_tasks,
    allowed_models: row.allowed_models,
    allowed_providers: row.allowed_providers,
    expires_at: row.expires_at ? new Date(row.expires_at).toISOString() : null,
    revoked: row.revoked_at !== null,
    revoked_at: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
    created_at: new Date(row.created_at).toISOString(),
  };
}

/**
 * Key lookup by hash with a short cache: a revoke on this replica drops the entry at once; other
 * replicas see it within `ttlMs`.
 */
export class KeyCache {
  private readonly entries = new Map<string, { key: AuthenticatedKey | null; at: number }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly ttlMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  async lookup(presented: string): Promise<AuthenticatedKey | null> {
    const hash = sha256Hex(presented);
    const cached = this.entries.get(hash);
    if (cached && this.now() - cached.at < this.ttlMs) return cached.key;
    const row = await this.db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
    // The index found the row; the constant-time check keeps the final comparison free of timing signal.
    const key = row && digestsEqual(row.hash, hash) ? toAuthenticatedKey(row) : null;
    if (this.entries.size > 50_000) this.entries.clear();
    this.entries.set(hash, { key, at: this.now() });
    return key;
  }

  /** Drops a key from the cache after it changed (revoked, edited). */
  forget(keyId: string): void {
    for (const [hash, entry] of this.entries) if (entry.key?.id === keyId) this.entries.delete(hash);
  }
}
