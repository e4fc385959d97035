// Who can get in and what they can see: keys stored only as hashes and compared in constant time,
// admin routes closed to API keys (403) and to everyone without the admin token (401), one account
// never reading or spending through another's ids, and the web page's security headers.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fundedKey, TEST_ADMIN_TOKEN } from '../helpers/app';
import { MODEL, START_TIMEOUT_MS, startMarket, type Market } from '../dispatch/market';
import { expectBooksBalanced } from '../faults/books';
import { sendChat, type ChatResult } from '../faults/client';

// Spied, not replaced: the real comparison runs, and the test sees that it is the one used.
const spy = vi.hoisted(() => ({ calls: [] as [Buffer, Buffer][] }));
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return {
    ...actual,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      spy.calls.push([Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)]);
      return actual.timingSafeEqual(a, b);
    },
  };
});

let market: Market;
let a: { key: string; keyId: string; accountId: string };
let b: { key: string; keyId: string; accountId: string };
const jobsA: ChatResult[] = [];
const jobsB: ChatResult[] = [];

beforeAll(async () => {
  market = await startMarket();
  a = await fundedKey(market.app, '2');
  b = await fundedKey(market.app, '3');
  for (let i = 0; i < 2; i++) jobsA.push(await sendChat(market.app.url, a.key, { model: MODEL, messages: [{ role: 'user', content: 'from a' }] }));
  for (let i = 0; i < 3; i++) jobsB.push(await sendChat(market.app.url, b.key, { model: MODEL, messages: [{ role: 'user', content: 'from b' }] }));
  for (const job of [...jobsA, ...jobsB]) expect(job.status).toBe(200);
}, START_TIMEOUT_MS);

afterAll(async () => {
  await market?.close();
});

async function get(path: string, token?: string): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const res = await fetch(`${market.app.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // CSV or HTML
  }
  return { status: res.status, body, text, headers: res.headers };
}

describe('API keys at rest', () => {
  it('keeps only a SHA-256 of each key: no table holds the key or its secret part, nor the admin token', async () => {
    const db = market.app.database.db;
    const row = await db.selectFrom('api_keys').select(['hash', 'prefix']).where('id', '=', a.keyId).executeTakeFirstOrThrow();
    expect(row.hash).toBe(createHash('sha256').update(a.key).digest('hex'));
    expect(a.key.startsWith(row.prefix)).toBe(true);
    expect(row.prefix.length).toBeLessThan(a.key.length / 2);

    const tables = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
    expect(tables.rows.map((t) => t.name)).toContain('api_keys');
    let dump = '';
    for (const { name } of tables.rows) {
      const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(name)} t`.execute(db);
      dump += rows.rows.map((r) => r.row).join('\n');
    }
    for (const secret of [a.key, b.key, a.key.slice(row.prefix.length), b.key.slice(row.prefix.length), TEST_ADMIN_TOKEN]) {
      expect(dump.includes(secret), `found ${secret.slice(0, 12)}… in the database`).toBe(false);
    }
  });
});

describe('comparing keys and tokens', () => {
  it('accepts the exact key only, and compares digests with timingSafeEqual', async () => {
    spy.calls.length = 0;
    expect((await get('/v1/balance', a.key)).status).toBe(200);
    const last = a.key.at(-1) === 'A' ? 'B' : 'A';
    const nearMisses = [
      a.key.slice(0, -1) + last,
      a.key.slice(0, -1),
      `${a.key}A`,
      a.key.toUpperCase(),
      a.key.slice(0, 14),
      createHash('sha256').update(a.key).digest('hex'),
      `${a.key.slice(0, 8)}${'0'.repeat(a.key.length - 8)}`,
    ];
    for (const candidate of nearMisses) {
      const res = await get('/v1/balance', candidate);
      expect(res.status, candidate).toBe(401);
      expect(res.body.error.code).toBe('invalid_api_key');
    }
    // The admin token: right length but wrong, and wrong length, both refused after a constant-time compare.
    spy.calls.length = 0;
    const wrongSameLength = TEST_ADMIN_TOKEN.slice(0, -1) + (TEST_ADMIN_TOKEN.endsWith('f') ? 'e' : 'f');
    for (const token of [wrongSameLength, `${TEST_ADMIN_TOKEN}x`, TEST_ADMIN_TOKEN.slice(0, 5)]) {
      expect((await get('/v1/admin/keys', token)).status).toBe(401);
    }
    expect(spy.calls.length).toBeGreaterThanOrEqual(3);
    // Digests, always 32 bytes whatever was sent: the comparison's length never depends on the input.
    for (const [left, right] of spy.calls) {
      expect(left.length).toBe(32);
      expect(right.length).toBe(32);
    }
    spy.calls.length = 0;
    expect((await get('/v1/admin/keys', TEST_ADMIN_TOKEN)).status).toBe(200);
    expect(spy.calls.length).toBeGreaterThanOrEqual(1);
  });
});

const ADMIN_ROUTES: { method: string; path: () => string; body?: () => unknown }[] = [
  { method: 'POST', path: () => '/v1/admin/accounts', body: () => ({ name: 'intruder' }) },
  { method: 'GET', path: () => `/v1/admin/accounts/${a.accountId}` },
  { method: 'POST', path: () => `/v1/admin/accounts/${a.accountId}/credits`, body: () => ({ amount_usd: '1000' }) },
  { method: 'POST', path: () => '/v1/admin/keys', body: () => ({ account_id: a.accountId, name: 'stolen' }) },
  { method: 'GET', path: () => '/v1/admin/keys' },
  { method: 'GET', path: () => `/v1/admin/keys/${b.keyId}` },
  { method: 'PATCH', path: () => `/v1/admin/keys/${b.keyId}`, body: () => ({ rate_limit_rpm: 1 }) },
  { method: 'DELETE', path: () => `/v1/admin/keys/${b.keyId}` },
];

async function adminCall(route: (typeof ADMIN_ROUTES)[number], authorization?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${market.app.url}${route.path()}`, {
    method: route.method,
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: route.body ? JSON.stringify(route.body()) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

describe('admin routes', () => {
  it('answers 403 to an API key and 401 to anything but the admin token, on every admin route, and changes nothing', async () => {
    const before = await market.app.database.db.selectFrom('accounts').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    for (const route of ADMIN_ROUTES) {
      const name = `${route.method} ${route.path()}`;
      const withKey = await adminCall(route, `Bearer ${a.key}`);
      expect(withKey.status, name).toBe(403);
      expect(withKey.body.error.code).toBe('forbidden');
      for (const authorization of [undefined, 'Bearer not-the-token-at-all-0000', `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}`, TEST_ADMIN_TOKEN]) {
        const res = await adminCall(route, authorization);
        expect(res.status, `${name} with ${authorization?.slice(0, 12)}`).toBe(401);
        expect(res.body.error.code).toBe('invalid_api_key');
      }
    }
    const after = await market.app.database.db.selectFrom('accounts').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    // B's key was neither revoked nor changed.
    expect((await get('/v1/balance', b.key)).status).toBe(200);
    const row = await market.app.database.db.selectFrom('api_keys').select(['rate_limit_rpm', 'revoked_at']).where('id', '=', b.keyId).executeTakeFirstOrThrow();
    expect(row).toEqual({ rate_limit_rpm: null, revoked_at: null });
  });
});

describe('one account, never another', () => {
  it("never shows B's balance, usage, events or keys to A, whatever ids, cursors or headers A sends", async () => {
    const mine = new Set(jobsA.map((j) => j.requestId));
    const theirs = jobsB.map((j) => j.requestId);
    const balance = await get(`/v1/balance?account_id=${b.accountId}`, a.key);
    expect(balance.body.account_id).toBe(a.accountId);

    const bEvents = await get('/v1/usage/events?limit=1', b.key);
    const bCursor = bEvents.body.next_cursor as string;
    expect(bCursor).toBeTruthy();
    const probes = [
      `/v1/usage/events?account_id=${b.accountId}`,
      `/v1/usage/events?key_id=${b.keyId}`,
      `/v1/usage/events?cursor=${bCursor}`,
      `/v1/usage/events?format=csv&account_id=${b.accountId}`,
      `/v1/usage?group_by=key&account_id=${b.accountId}`,
      `/v1/usage?group_by=model&key_id=${b.keyId}`,
    ];
    for (const path of probes) {
      const res = await get(path, a.key);
      expect(res.status, path).toBe(200);
      for (const id of theirs) expect(res.text.includes(id), `${path} shows B's job ${id}`).toBe(false);
      expect(res.text.includes(b.keyId), `${path} shows B's key`).toBe(false);
      expect(res.text.includes(b.accountId), `${path} shows B's account`).toBe(false);
      if (path.includes('/events') && !path.includes('csv')) for (const e of res.body.data) expect(mine.has(e.request_id)).toBe(true);
    }
    const spoofed = await fetch(`${market.app.url}/v1/balance`, { headers: { authorization: `Bearer ${a.key}`, 'x-account-id': b.accountId, 'openai-organization': b.accountId } });
    expect(((await spoofed.json()) as { account_id: string }).account_id).toBe(a.accountId);
  });

  it("cannot reuse another job's request id (x-request-id) to run a job for free or to touch B's books", async () => {
    const reused = jobsB[0]!.requestId;
    const bBefore = await expectBooksBalanced(market.app.database.db, b.accountId, jobsB);
    const replay = await sendChat(market.app.url, a.key, { model: MODEL, messages: [{ role: 'user', content: 'replayed id' }] }, { requestId: reused });
    const ownReplay = await sendChat(market.app.url, a.key, { model: MODEL, messages: [{ role: 'user', content: 'own id again' }] }, { requestId: jobsA[0]!.requestId });
    for (const job of [replay, ownReplay]) {
      // Served and billed under an id of its own, or refused with nothing charged: never free.
      if (job.status === 200) {
        expect(job.requestId).not.toBe(reused);
        expect(job.costMicros).toBeGreaterThan(0);
      } else {
        expect(job.status).toBe(400);
      }
    }
    await expectBooksBalanced(market.app.database.db, a.accountId, [...jobsA, replay, ownReplay]);
    const bAfter = await expectBooksBalanced(market.app.database.db, b.accountId, jobsB);
    expect(bAfter.balanceMicros).toBe(bBefore.balanceMicros);
  });
});

describe('the web page', () => {
  it('is served with a strict content security policy and the usual hardening headers', async () => {
    for (const path of ['/', '/web/config.json']) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
    // The page itself has no inline script for the policy to have to allow.
    const page = await get('/');
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(page.text).not.toMatch(/\son[a-z]+=/i);
  });
});
