// The database goes away for a moment and comes back, with no restart: requests in the meantime fail
// with 503 in the error shape (once the replica has found its ledger cannot be written; until then a
// job its leased credit covers is served and billed when the database is back), a job that was
// already running is settled once the database is back
// (or, if it failed upstream, its hold released), and afterwards everything serves again. On
// PostgreSQL the outage is real (a TCP proxy dropped and restarted); on PGlite, a driver that
// refuses and kills connections the way a lost server does (see outage.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, createKey } from '../../src/billing/keys';
import { credit } from '../../src/billing/ledger';
import { parseUsd } from '../../src/catalog/price';
import { TEST_ADMIN_TOKEN } from '../helpers/app';
import { MockUpstream, type Route } from '../helpers/mock-upstream';
import { dispatchCatalog, MODEL, START_TIMEOUT_MS } from '../dispatch/market';
import { chatCompletionsRoute } from '../mocks/openai/chat';
import { HOST_DIALECTS, hostBaseUrl, hostTestKey } from '../mocks/openai-compatible';
import { expectBooksBalanced } from './books';
import { isCleanError, sendChat, type ChatResult } from './client';
import { startOutageApp, type OutageApp } from './outage';

let app: OutageApp;
let groq: MockUpstream;
/** When set, the mock holds each chat request until the promise resolves. */
let gate: Promise<void> | null = null;
/** When set, the next gated request is answered with a provider error. */
let failGated = false;
let accountId: string;
let key: string;
let freshKey: string;
const jobs: ChatResult[] = [];

beforeAll(async () => {
  const chat = chatCompletionsRoute(HOST_DIALECTS.groq);
  const route: Route = {
    ...chat,
    async handle(req, res, ctx) {
      if (gate) await gate;
      if (failGated) {
        failGated = false;
        return ctx.mock.sendJson(res, 400, HOST_DIALECTS.groq.error(400, 'bad request from upstream'));
      }
      return chat.handle(req, res, ctx);
    },
  };
  groq = await MockUpstream.start({ routes: [route], errorBody: HOST_DIALECTS.groq.error });
  app = await startOutageApp({
    catalog: await dispatchCatalog(),
    env: { GROQ_API_KEY: hostTestKey('groq'), GROQ_BASE_URL: hostBaseUrl(groq, 'groq'), UPSTREAM_TIMEOUT_MS: '5000' },
  });
  const account = await createAccount(app.db, 'outage');
  accountId = account.id;
  await credit(app.db, { accountId, amountMicros: parseUsd('5'), kind: 'grant', reason: 'test' });
  key = (await createKey(app.db, { account_id: accountId, name: 'used' })).key;
  freshKey = (await createKey(app.db, { account_id: accountId, name: 'not yet seen' })).key;
}, START_TIMEOUT_MS);

afterAll(async () => {
  await app?.outage.up();
  await app?.close();
  await groq?.close();
});

async function job(withKey = key): Promise<ChatResult> {
  const result = await sendChat(app.url, withKey, { model: MODEL, messages: [{ role: 'user', content: 'hello there' }] });
  jobs.push(result);
  return result;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(10);
  }
}

/**
 * Runs a job whose provider answers only once the database has gone away: the hold is placed before
 * the provider is called, the outage starts while it works, and the database is back 800 ms after
 * the provider answered.
 */
async function jobAcrossOutage(): Promise<ChatResult> {
  let open!: () => void;
  gate = new Promise<void>((resolve) => (open = resolve));
  const before = groq.requests.length;
  const running = job();
  await until(() => groq.requests.length > before);
  await app.outage.down();
  gate = null;
  open();
  await sleep(800);
  await app.outage.up();
  return running;
}

function expectUnavailable(result: { status: number | null; body: any; headers: Record<string, unknown> }): void {
  expect(result.status, JSON.stringify(result.body)).toBe(503);
  expect(isCleanError(result as ChatResult)).toBe(true);
  expect(result.body.error.code).toBe('service_unavailable');
  expect(result.headers['retry-after']).toBeTruthy();
}

describe(`the database going away and coming back (${process.env.DATABASE_URL ? 'PostgreSQL behind a TCP proxy' : 'PGlite behind a switchable driver'})`, () => {
  it('answers 503 in the error shape while it is away, and serves again without a restart once it is back', async () => {
    expect((await job()).status).toBe(200);

    await app.outage.down();
    try {
      // Credit this replica leased before the outage may cover a job or two: each is served and its
      // settlement waits in memory; once writing it has failed, new jobs get 503.
      let during = await job();
      for (let i = 0; i < 40 && during.status === 200; i++) {
        await sleep(50);
        during = await job();
      }
      expectUnavailable(during);
      // A key not in the cache needs the database to be recognised at all.
      expectUnavailable(await job(freshKey));
      const admin = await fetch(`${app.url}/v1/admin/accounts/${accountId}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
      expectUnavailable({ status: admin.status, body: await admin.json(), headers: Object.fromEntries(admin.headers) });
      const balance = await fetch(`${app.url}/v1/balance`, { headers: { authorization: `Bearer ${key}` } });
      expect(balance.status).toBe(503);
      expect((await fetch(`${app.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
      await sleep(300);
    } finally {
      await app.outage.up();
    }

    // The pool reconnects by itself.
    let back: ChatResult | null = null;
    for (let i = 0; i < 50 && back?.status !== 200; i++) {
      back = await job();
      if (back.status !== 200) await sleep(100);
    }
    expect(back!.status).toBe(200);
    expect((await job(freshKey)).status).toBe(200);
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    await expectBooksBalanced(app.db, accountId, jobs);
    // No request in the outage was answered with a 500.
    expect(jobs.filter((j) => j.status === 500)).toEqual([]);
  });

  it('settles a job whose provider answered while the database was away, once it is back: billed exactly once', async () => {
    const result = await jobAcrossOutage();
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.costMicros).toBeGreaterThan(0);
    const books = await expectBooksBalanced(app.db, accountId, jobs);
    expect(books.events.get(result.requestId)?.cost).toBe(result.costMicros);
  });

  it('releases the hold of a job that failed upstream while the database was away', async () => {
    // The provider fails this job; its hold must go back once the database answers again.
    failGated = true;
    const result = await jobAcrossOutage();
    expect(result.status).toBeGreaterThanOrEqual(400);
    expect(result.status).toBeLessThan(500);
    expect(isCleanError(result)).toBe(true);
    await expectBooksBalanced(app.db, accountId, jobs);
  });
});
