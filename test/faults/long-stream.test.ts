// A chat stream that runs longer than its hold's time to live (HOLD_TTL_MS, 15 min), which the
// sweeper would otherwise release while the job still runs: its credit would be free for other jobs
// while the stream still spends it. The replica keeps the hold of a running stream (HoldKeeper), so
// the sweeper leaves it, other jobs cannot take its credit, and the job is charged exactly once when
// it ends. Time runs on a fake clock driven by the test (the keeper's `now`, the sweeper's `now`);
// the stream itself is held open by a gate in the mock provider.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HoldKeeper } from '../../src/billing/hold-keeper';
import { CreditLeases } from '../../src/billing/leases';
import { credit, expireHolds, getBalance, HOLD_TTL_MS, placeHold } from '../../src/billing/ledger';
import { toAuthenticatedKey } from '../../src/billing/keys';
import { parseUsd } from '../../src/catalog/price';
import { fundedKey, startTestApp, type TestApp } from '../helpers/app';
import { MockUpstream, type Route } from '../helpers/mock-upstream';
import { dispatchCatalog, MODEL, START_TIMEOUT_MS } from '../dispatch/market';
import { chatCompletionsRoute } from '../mocks/openai/chat';
import { HOST_DIALECTS, hostBaseUrl, hostTestKey } from '../mocks/openai-compatible';
import { expectBooksBalanced } from './books';
import { sseData } from './client';

const MINUTE = 60_000;

let app: TestApp;
let groq: MockUpstream;
let keeper: HoldKeeper;
/** While set, the mock sends a stream's first event and holds the rest until it is opened (buffered answers pass). */
let gate: { opened: Promise<void>; open: () => void } | null = null;

function newGate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Lets the first event through (the client has its first byte, the stream is running) and holds the rest. */
function holdAfterFirstEvent(res: import('node:http').ServerResponse, until: Promise<void>): void {
  const write = res.write.bind(res) as (chunk: unknown) => boolean;
  const end = res.end.bind(res) as (chunk?: unknown) => void;
  let sent = 0;
  let chain = Promise.resolve();
  const later = (fn: () => void) => {
    chain = chain.then(() => until).then(() => {
      if (!res.destroyed) fn();
    });
  };
  res.write = ((chunk: unknown) => {
    if (sent++ === 0) return write(chunk);
    later(() => write(chunk));
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: unknown) => {
    later(() => end(chunk));
    return res;
  }) as typeof res.end;
}

beforeAll(async () => {
  const chat = chatCompletionsRoute(HOST_DIALECTS.groq);
  const route: Route = {
    ...chat,
    handle(req, res, ctx) {
      if (gate && req.json?.stream === true) holdAfterFirstEvent(res, gate.opened);
      return chat.handle(req, res, ctx);
    },
  };
  groq = await MockUpstream.start({ routes: [route], errorBody: HOST_DIALECTS.groq.error });
  app = await startTestApp({
    catalog: await dispatchCatalog(),
    env: { GROQ_API_KEY: hostTestKey('groq'), GROQ_BASE_URL: hostBaseUrl(groq, 'groq'), UPSTREAM_TIMEOUT_MS: '30000' },
  });
  keeper = HoldKeeper.for(app.database.db);
}, START_TIMEOUT_MS);

afterAll(async () => {
  gate?.open();
  await app?.close();
  await groq?.close();
});

const chatBody = (stream: boolean) => ({ model: MODEL, stream, max_tokens: 2_000, messages: [{ role: 'user', content: 'tell me a long story' }] });

/** Starts a stream and returns once its first event has arrived, with the rest to read later. */
async function startStream(key: string) {
  const res = await fetch(`${app.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(chatBody(true)),
  });
  expect(res.status).toBe(200);
  const requestId = res.headers.get('x-request-id')!;
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = decoder.decode((await reader.read()).value, { stream: true });
  expect(text).toContain('data: ');
  return {
    requestId,
    /** Reads the rest and returns the job as the billing check wants it. */
    finish: async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value, { stream: true });
      const events = sseData(text);
      expect(events.at(-1)).toBe('[DONE]');
      const usage = JSON.parse(events.at(-2)!).usage;
      return { requestId, status: 200, costMicros: parseUsd(usage.cost_usd) };
    },
  };
}

/** The hold a running job's credit is in: the lease it was admitted on (src/billing/leases.ts). */
function holdIdOf(requestId: string): string {
  return CreditLeases.for(app.database.db).holdIdOf(requestId);
}

async function holdOf(holdId: string) {
  return app.database.db.selectFrom('holds').select(['amount_micros', 'expires_at']).where('request_id', '=', holdId).executeTakeFirst();
}

async function buffered(key: string) {
  const res = await fetch(`${app.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(chatBody(false)),
  });
  const body = (await res.json()) as { usage?: { cost_usd: string }; error?: { code: string } };
  return { requestId: res.headers.get('x-request-id')!, status: res.status, costMicros: body.usage ? parseUsd(body.usage.cost_usd) : null, body };
}

/** Leaves the account `usd`-ish available after the stream's hold: less than one more such hold. */
async function leaveAvailable(accountId: string, micros: number) {
  const { availableMicros } = await getBalance(app.database.db, accountId);
  await credit(app.database.db, { accountId, amountMicros: micros - availableMicros, kind: 'adjustment', reason: 'test: leave little available' });
}

describe('a stream that outlives its hold TTL', () => {
  it('keeps its hold through sweeps long after the TTL: other jobs cannot take its credit, and it is charged once at the end', async () => {
    const { key, keyId, accountId } = await fundedKey(app, '5');
    const start = Date.now();
    let clock = start;
    keeper.now = () => new Date(clock);
    gate = newGate();
    const stream = await startStream(key);
    const holdId = holdIdOf(stream.requestId);
    expect(holdId).toMatch(/^lease_/);
    expect(keeper.keeping()).toContain(holdId);
    // The lease keeps only what the running stream holds; the rest of it goes back.
    await CreditLeases.for(app.database.db).reconcile(accountId);
    const hold = (await holdOf(holdId))!;
    expect(hold.amount_micros).toBeGreaterThan(0);
    await leaveAvailable(accountId, Math.floor(hold.amount_micros / 2));

    // A job whose replica died at the same moment: its hold is not kept, and must still expire.
    const crashed = { requestId: `req_crashed_${start}`, key: toAuthenticatedKey((await app.database.db.selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirstOrThrow())) };
    await credit(app.database.db, { accountId, amountMicros: 100, kind: 'grant', reason: 'test: the crashed job' });
    await placeHold(app.database.db, { ...crashed, amountMicros: 100 }, new Date(start));

    // 40 minutes of a running stream: the keeper refreshes every 5, the sweeper runs every minute.
    for (let minute = 1; minute <= 40; minute++) {
      clock = start + minute * MINUTE;
      if (minute % (keeper.everyMs / MINUTE) === 0) await keeper.refresh();
      await expireHolds(app.database.db, new Date(clock));
      expect(await holdOf(holdId), `the stream's hold at minute ${minute}`).toBeDefined();
      expect(await holdOf(crashed.requestId), `the crashed job's hold at minute ${minute}`).toEqual(minute <= HOLD_TTL_MS / MINUTE ? expect.anything() : undefined);
    }
    expect((await holdOf(holdId))!.expires_at.getTime()).toBeGreaterThan(clock + HOLD_TTL_MS / 2);
    // The stream's credit is still held: a second job of the same size does not fit.
    const refused = await buffered(key);
    expect(refused.status).toBe(402);

    gate.open();
    gate = null;
    const job = await stream.finish();
    expect(job.costMicros).toBeGreaterThan(0);
    await expect.poll(() => keeper.keeping().includes(holdId)).toBe(false);
    const books = await expectBooksBalanced(app.database.db, accountId, [job, { ...refused, costMicros: null }]);
    expect(books.events.size).toBe(1);
    expect(books.balanceMicros).toBeGreaterThanOrEqual(0);
  });

  it('extends the hold on its own timer while the stream runs, and stops when it ends', async () => {
    const { key, accountId } = await fundedKey(app, '5');
    keeper.now = () => new Date();
    keeper.everyMs = 50;
    try {
      gate = newGate();
      const stream = await startStream(key);
      const holdId = holdIdOf(stream.requestId);
      const placed = (await holdOf(holdId))!.expires_at.getTime();
      await expect.poll(async () => (await holdOf(holdId))!.expires_at.getTime(), { timeout: 10_000 }).toBeGreaterThan(placed);
      gate.open();
      gate = null;
      const job = await stream.finish();
      await expect.poll(() => keeper.keeping()).toEqual([]);
      await expectBooksBalanced(app.database.db, accountId, [job]);
    } finally {
      keeper.everyMs = HOLD_TTL_MS / 3;
    }
  });

  it('a stream whose client leaves stops being kept, and is charged once for what it delivered', async () => {
    const { key, accountId } = await fundedKey(app, '5');
    gate = newGate();
    const controller = new AbortController();
    const res = await fetch(`${app.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(chatBody(true)),
      signal: controller.signal,
    });
    const requestId = res.headers.get('x-request-id')!;
    await res.body!.getReader().read();
    const holdId = holdIdOf(requestId);
    expect(keeper.keeping()).toContain(holdId);
    controller.abort();
    await expect.poll(() => keeper.keeping().includes(holdId)).toBe(false);
    gate.open();
    gate = null;
    // Settled: the job no longer runs on its lease.
    await expect.poll(() => holdIdOf(requestId), { timeout: 10_000 }).toBe(requestId);
    const books = await expectBooksBalanced(app.database.db, accountId, [{ requestId, status: 200 }]);
    expect(books.events.get(requestId)?.status).toBe('partial');
  });

  it('a hold swept anyway (its replica could not reach the database for a whole TTL) is still charged exactly once', async () => {
    const { key, accountId } = await fundedKey(app, '5');
    gate = newGate();
    const stream = await startStream(key);
    const holdId = holdIdOf(stream.requestId);
    // The sweeper of another replica, 16 minutes on, with no refresh in between.
    expect(await expireHolds(app.database.db, new Date(Date.now() + HOLD_TTL_MS + MINUTE))).toBeGreaterThanOrEqual(1);
    expect(await holdOf(holdId)).toBeUndefined();
    await keeper.refresh();
    expect(keeper.keeping()).not.toContain(holdId);
    gate.open();
    gate = null;
    const job = await stream.finish();
    const books = await expectBooksBalanced(app.database.db, accountId, [job]);
    expect(books.events.size).toBe(1);
    expect(books.usageEntries.get(job.requestId)).toBe(job.costMicros);
  });
});
