// The admin token guards /v1/admin. Only its SHA-256 is stored; when none is configured on first
// start, one is generated and shown once.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { randomBase62 } from '../ids';

const SETTING = 'admin_token_sha256';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Constant-time comparison of two hex digests of equal length. */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface AdminToken {
  /** SHA-256 of the token that opens /v1/admin. */
  hash: string;
  /** Set only when this start generated the token: the caller prints it once. */
  generated: string | null;
}

export async function ensureAdminToken(db: Kysely<Database>, configured: string | undefined): Promise<AdminToken> {
  if (configured) return { hash: sha256Hex(configured), generated: null };
  const stored = await db.selectFrom('settings').select('value').where('name', '=', SETTING).executeTakeFirst();
  if (stored) return { hash: stored.value, generated: null };
  const token = `sy_admin_${randomBase62(40)}`;
  const hash = sha256Hex(token);
  const inserted = await db
    .insertInto('settings')
    .values({ name: SETTING, value: hash })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('value')
    .executeTakeFirst();
  // Another replica won the race: use its token, which it printed.
  if (!inserted) return ensureAdminToken(db, configured);
  return { hash, generated: token };
}
