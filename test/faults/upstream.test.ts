// Upstream faults through the real app: acme/open-70b is sold by groq (cheapest), together and
// deepinfra, each a mock; health runs on a fake clock. Every scenario ends with the billing invariant:
// each job that answered 2xx was billed exactly once at the cost it stated, each failed job was not
// billed, no hold is left, and the ledger sums to the balance.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fundedKey } from '../helpers/app';
import { HOSTS, MODEL, PRICE_MICROS, START_TIMEOUT_MS, startMarket, type Host, type Market } from '../dispatch/market';
import { expectBooksBalanced } from './books';
import { isCleanError, sendChat, type ChatResult } from './client';

let market: Market;
let account: { key: string; accountId: string };
const jobs: ChatResult[] = [];

/** The mock reports 5 prompt and 3 completion tokens for this message. */
const MESSAGE = { role: 'user', content: 'hello there' };
const costAt = (host: Host) => 5 * PRICE_MICROS[host].input + 3 * PRICE_MICROS[host].output;

beforeAll(async () => {
  market = await startMarket({ env: { UPSTREAM_TIMEOUT_MS: '400' } });
}, START_TIMEOUT_MS);

afterAll(async () => {
  await market?.close();
});

beforeEach(async () => {
  market.reset();
  jobs.length = 0;
  account = await fundedKey(market.app, '10');
});

async function job(body: Record<string, unknown> = {}): Promise<ChatResult> {
  const result = await sendChat(market.app.url, account.key, { model: MODEL, messages: [MESSAGE], ...body });
  jobs.push(result);
  return result;
}

function served(result: ChatResult): string | undefined {
  return result.headers['x-switchyard-provider'] as string | undefined;
}

function calls(): Record<Host, number> {
  return Object.fromEntries(HOSTS.map((h) => [h, market.hosts[h].calls()])) as Record<Host, number>;
}

function expectFailedCleanly(result: ChatResult, status: number, code: string): void {
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  expect(isCleanError(result)).toBe(true);
  expect(result.body.error.code).toBe(code);
  expect(result.headers['x-switchyard-cost-usd']).toBeUndefined();
}

const balanced = () => expectBooksBalanced(market.app.database.db, account.accountId, jobs);

describe('upstream timeouts', () => {
  it('falls back from a provider that hangs past UPSTREAM_TIMEOUT_MS and bills only the one that answered', async () => {
    market.hosts.groq.mock.failNext({ kind: 'hang' });
    const result = await job();
    expect(result.status).toBe(200);
    expect(served(result)).toBe('together');
    expect(result.costMicros).toBe(costAt('together'));
    expect(result.headers['x-switchyard-attempts']).toBe('2');
    await balanced();
  });

  it('answers 504 when every provider hangs, charges nothing, and serves again afterwards', async () => {
    for (const h of HOSTS) market.hosts[h].mock.failNext({ kind: 'hang' });
    const started = Date.now();
    const failed = await job();
    expectFailedCleanly(failed, 504, 'upstream_timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
    const after = await job();
    expect(after.status).toBe(200);
    await balanced();
  });
});

describe('429 storms', () => {
  it('puts a provider that answers every call with 429 in cooldown: no more calls to it, jobs served elsewhere', async () => {
    market.hosts.groq.mock.failNext({ kind: 'status', status: 429, message: 'rate limited', headers: { 'retry-after': '20' } }, 50);
    const before = calls();
    for (let i = 0; i < 6; i++) {
      const result = await job();
      expect(result.status).toBe(200);
      expect(served(result)).toBe('together');
    }
    // One 429, then the cooldown kept groq out of every later plan.
    expect(calls().groq - before.groq).toBe(1);
    market.clock.advance(20_001);
    market.hosts.groq.mock.clearFaults();
    const back = await job();
    expect(served(back)).toBe('groq');
    await balanced();
  });

  it('fails with 503 in the error shape when every provider is rate limited, and again while they all cool down', async () => {
    for (const h of HOSTS) market.hosts[h].mock.failNext({ kind: 'status', status: 429, message: 'slow down', headers: { 'retry-after': '10' } }, 20);
    const storm = await job();
    expectFailedCleanly(storm, 503, 'upstream_unavailable');
    const before = calls();
    const cooling = await job();
    expect(cooling.status, JSON.stringify(cooling.body)).toBe(503);
    expect(isCleanError(cooling)).toBe(true);
    expect(calls()).toEqual(before);
    market.clock.advance(10_001);
    for (const h of HOSTS) market.hosts[h].mock.clearFaults();
    expect((await job()).status).toBe(200);
    await balanced();
  });
});

describe('5xx bursts and resets', () => {
  it('rides out a burst of 500s and 503s across providers: each job served or failed cleanly', async () => {
    // Bursts hit the two cheapest hosts; the dearest stays up, so every job can still be served.
    market.hosts.groq.mock.failNext({ kind: 'status', status: 500, message: 'internal error' }, 4);
    market.hosts.together.mock.failNext({ kind: 'status', status: 503, message: 'overloaded' }, 3);
    const results = await Promise.all(Array.from({ length: 12 }, () => job()));
    for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(new Set(results.map(served))).toContain('deepinfra');
    await balanced();
  });

  it('answers 502 when every provider fails with 500, and bills nothing', async () => {
    for (const h of HOSTS) market.hosts[h].mock.failNext({ kind: 'status', status: 500, message: 'boom' });
    expectFailedCleanly(await job(), 502, 'upstream_error');
    await balanced();
  });

  it('falls back after connection resets, and answers 502 when every connection resets', async () => {
    market.hosts.groq.mock.failNext({ kind: 'reset' });
    const fellBack = await job();
    expect(fellBack.status).toBe(200);
    expect(served(fellBack)).toBe('together');
    market.reset();
    for (const h of HOSTS) market.hosts[h].mock.failNext({ kind: 'reset' });
    expectFailedCleanly(await job(), 502, 'upstream_error');
    await balanced();
  });
});

describe('truncated streams', () => {
  it('falls back when a stream is cut before its first byte, billing only the provider that delivered', async () => {
    market.hosts.groq.mock.failNext({ kind: 'cut', afterEvents: 0 });
    const result = await job({ stream: true, stream_options: { include_usage: true } });
    expect(result.status).toBe(200);
    expect(served(result)).toBe('together');
    expect(result.events.at(-1)).toBe('[DONE]');
    expect(result.costMicros).toBe(costAt('together'));
    const books = await balanced();
    expect(books.events.get(result.requestId)).toEqual({ cost: costAt('together'), status: 'succeeded' });
  });

  it('bills a stream cut after its first byte once, as partial, for what was delivered', async () => {
    market.hosts.groq.mock.failNext({ kind: 'cut', afterEvents: 2 });
    const result = await job({ stream: true, messages: [{ role: 'user', content: 'one two three four five six seven eight' }] });
    expect(result.status).toBe(200);
    const errors = result.events.filter((e) => e.includes('"error"'));
    expect(errors).toHaveLength(1);
    expect(result.events.at(-1)).toBe('[DONE]');
    expect(result.costMicros).toBeGreaterThan(0);
    const books = await balanced();
    expect(books.events.get(result.requestId)).toEqual({ cost: result.costMicros, status: 'partial' });
  });

  it('falls back from a malformed (truncated) JSON answer', async () => {
    market.hosts.groq.mock.failNext({ kind: 'malformed' });
    const result = await job();
    expect(result.status).toBe(200);
    expect(served(result)).toBe('together');
    await balanced();
  });
});

describe('a provider that goes down and comes back', () => {
  it('opens the breaker, sends no traffic while it is open, probes after the cooldown and serves from it again', async () => {
    market.hosts.groq.mock.failNext({ kind: 'status', status: 503, message: 'down for maintenance' }, 1_000);
    const before = calls();
    for (let i = 0; i < 8; i++) expect((await job()).status).toBe(200);
    // Three failures open the breaker (the market's threshold); the other five jobs never called groq.
    expect(calls().groq - before.groq).toBe(3);
    const providers = (await (await fetch(`${market.app.url}/v1/providers`)).json()) as { data: { id: string; health: { status: string } }[] };
    expect(providers.data.find((p) => p.id === 'groq')!.health.status).toBe('down');

    // Still down at the first probe: the breaker opens again for another cooldown.
    market.clock.advance(30_000);
    expect(served(await job())).toBe('together');
    expect(calls().groq - before.groq).toBe(4);
    expect(served(await job())).toBe('together');
    expect(calls().groq - before.groq).toBe(4);

    // Back up: the next probe succeeds and groq serves again.
    market.hosts.groq.mock.clearFaults();
    market.clock.advance(30_000);
    for (let i = 0; i < 3; i++) expect(served(await job())).toBe('groq');
    await balanced();
  });
});

describe('chaos: every fault at once, concurrently', () => {
  it('keeps the books exact for 60 concurrent jobs, buffered and streamed, over a random mix of faults', async () => {
    // A fixed pattern of faults, spread over the three hosts; fewer faults than calls, so most jobs succeed.
    const faults = [
      { kind: 'status', status: 500, message: 'boom' },
      { kind: 'status', status: 503, message: 'overloaded' },
      { kind: 'status', status: 429, message: 'slow down', headers: { 'retry-after-ms': '1' } },
      { kind: 'reset' },
      { kind: 'malformed' },
      { kind: 'cut', afterEvents: 1 },
      { kind: 'cut', afterEvents: 0 },
    ] as const;
    HOSTS.forEach((h, i) => {
      for (let n = 0; n < 12; n++) market.hosts[h].mock.failNext(faults[(n + i * 3) % faults.length]!);
    });
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => job(i % 2 ? { stream: true } : {})));
    for (const r of results) {
      expect(r.status).not.toBeNull();
      if (r.status! >= 300) expect(isCleanError(r), JSON.stringify(r.body)).toBe(true);
      expect(r.status === 200 || r.status === 502 || r.status === 503 || r.status === 504, `status ${r.status}`).toBe(true);
    }
    // Breakers open and cooldowns start as the faults land, so how many succeed depends on timing;
    // what may not vary is that the books agree, and that the market recovers.
    expect(results.some((r) => r.status === 200)).toBe(true);
    for (const h of HOSTS) market.hosts[h].mock.clearFaults();
    market.clock.advance(60_000);
    expect((await job()).status).toBe(200);
    await balanced();
  });
});
