// Accounts, keys and settlements for the billing tests that drive the ledger directly (no HTTP).
import type { Kysely } from 'kysely';
import { createAccount, createKey, toAuthenticatedKey, type AuthenticatedKey } from '../../src/billing/keys';
import { credit, type Settlement } from '../../src/billing/ledger';
import type { Database } from '../../src/db/schema';

/** A new account granted `micros` of credit, and a key of it (with `keyOptions` as the admin API takes them). */
export async function fundedTestKey(db: Kysely<Database>, micros: number, keyOptions: Record<string, unknown> = {}): Promise<AuthenticatedKey> {
  const account = await createAccount(db, 'billing test');
  if (micros > 0) await credit(db, { accountId: account.id, amountMicros: micros, kind: 'grant', reason: 'test' });
  const { row } = await createKey(db, { account_id: account.id, name: 'k', ...keyOptions });
  return toAuthenticatedKey(row);
}

/** A finished chat job of `costMicros` (provider cost = customer cost). */
export function testSettlement(key: AuthenticatedKey, requestId: string, costMicros: number, meter = false): Settlement {
  return {
    requestId,
    key,
    task: 'chat',
    model: 'acme/open-70b',
    provider: 'groq',
    providerModelId: 'acme-open-70b-versatile',
    units: { input_tokens: 10, output_tokens: 5 },
    providerCostMicros: costMicros,
    costMicros,
    latencyMs: 12,
    status: 'succeeded',
    attempts: 1,
    meter,
  };
}
