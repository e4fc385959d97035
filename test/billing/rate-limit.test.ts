// Per-key rate limits: a burst over the limit gets 429 with Retry-After and x-ratelimit-* headers,
// before any upstream call. In memory on one instance; in Redis (REDIS_URL, default the machine's
// 127.0.0.1:6379) two app instances share one limit. Redis being down fails these tests: CI starts it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildParts, createApp } from '../../src/app';
import { createAccount, createKey, toAuthenticatedKey } from '../../src/billing/keys';
import { createRateLimiter, MemoryCounter, RateLimiter, RedisCounter } from '../../src/billing/rate-limit';
import { RateLimited } from '../../src/errors';
import { fundedKey, settledDb } from '../helpers/app';
import { chat, FakeClock, HOSTS, startMarket, type Market, START_TIMEOUT_MS } from '../dispatch/market';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

// Fixed-window counters: a clock parked at the start of a minute keeps a burst inside one window.
const limiterClock = new FakeClock(Date.UTC(2026, 10, 1, 12, 0, 0));

let market: Market;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
  } catch (error) {
    throw new Error(`Redis at ${REDIS_URL} is not reachable (${String(error)}): start it, as CI does; these tests never skip.`);
  }
  market = await startMarket({ parts: { rateLimiter: new RateLimiter(new MemoryCounter(), limiterClock.now) } });
}, START_TIMEOUT_MS);

afterAll(async () => {
  await market?.close();
  redis?.disconnect();
});

function upstreamCalls(): number {
  return HOSTS.reduce((sum, h) => sum + market.hosts[h].calls(), 0);
}

async function balanceOf(accountId: string): Promise<number> {
  const row = await (await settledDb(market.app)).selectFrom('accounts').select('balance_micros').where('id', '=', accountId).executeTakeFirstOrThrow();
  return row.balance_micros;
}

describe('in memory', () => {
  it('answers a burst over the requests-per-minute limit with 429, Retry-After and x-ratelimit-* headers', async () => {
    const { key, accountId } = await fundedKey(market.app, '1', { rate_limit_rpm: 3 });
    const served = [];
    for (let i = 0; i < 3; i++) served.push(await chat(market, key, {}));
    expect(served.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(served.map((r) => r.headers.get('x-ratelimit-remaining-requests'))).toEqual(['2', '1', '0']);
    expect(served[0]!.headers.get('x-ratelimit-limit-requests')).toBe('3');
    const balanceBefore = await balanceOf(accountId);
    const callsBefore = upstreamCalls();

    limiterClock.advance(45_500);
    const limited = await chat(market, key, {});
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'rate_limited', type: 'rate_limit_error' });
    expect(limited.headers.get('retry-after')).toBe('15');
    expect(limited.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset-requests')).toBe('15s');
    expect(upstreamCalls()).toBe(callsBefore);
    expect(await balanceOf(accountId)).toBe(balanceBefore);

    limiterClock.advance(14_500);
    expect((await chat(market, key, {})).status).toBe(200);
  });

  it('limits estimated tokens per minute for chat', async () => {
    // Each job counts its estimated prompt (10 tokens) plus max_tokens (20): 30 of a 50-token minute.
    const { key } = await fundedKey(market.app, '1', { rate_limit_tpm: 50 });
    const first = await chat(market, key, { max_tokens: 20 });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-remaining-tokens')).toBe('20');
    const second = await chat(market, key, { max_tokens: 20 });
    expect(second.status).toBe(429);
    expect(second.headers.get('x-ratelimit-limit-tokens')).toBe('50');
    expect(second.body.error.message).toContain('50 tokens per minute');
  });

  it('leaves keys without limits alone and counts each key apart', async () => {
    const { key: limited } = await fundedKey(market.app, '1', { rate_limit_rpm: 1 });
    const { key: other } = await fundedKey(market.app, '1', { rate_limit_rpm: 1 });
    const { key: unlimited } = await fundedKey(market.app, '1');
    expect((await chat(market, limited, {})).status).toBe(200);
    expect((await chat(market, limited, {})).status).toBe(429);
    expect((await chat(market, other, {})).status).toBe(200);
    const free = await chat(market, unlimited, {});
    expect(free.status).toBe(200);
    expect(free.headers.get('x-ratelimit-limit-requests')).toBeNull();
  });
});

/** Another app instance (replica) on the market's database and providers, with its own parts. */
async function listenReplica(rateLimiter: RateLimiter) {
  const deps = market.app.deps;
  const server = http.createServer(createApp(deps, { ...buildParts(deps), rateLimiter }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    chat: async (key: string) => {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: 'acme/open-70b', messages: [{ role: 'user', content: 'hello there' }] }),
      });
      await res.arrayBuffer();
      return res;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('in Redis, shared by replicas', () => {
  it('two app instances on one database share one limit', async () => {
    const sharedA = new RateLimiter(new RedisCounter(new Redis(REDIS_URL)), limiterClock.now);
    const sharedB = new RateLimiter(new RedisCounter(new Redis(REDIS_URL)), limiterClock.now);
    const replicaA = await listenReplica(sharedA);
    const replicaB = await listenReplica(sharedB);
    try {
      const { key } = await fundedKey(market.app, '1', { rate_limit_rpm: 4 });
      const remaining: (string | null)[] = [];
      for (let i = 0; i < 2; i++) {
        for (const replica of [replicaA, replicaB]) {
          const res = await replica.chat(key);
          expect(res.status).toBe(200);
          remaining.push(res.headers.get('x-ratelimit-remaining-requests'));
        }
      }
      expect(remaining).toEqual(['3', '2', '1', '0']);
      const limitedA = await replicaA.chat(key);
      expect(limitedA.status).toBe(429);
      expect(limitedA.headers.get('retry-after')).toBeTruthy();
      const limitedB = await replicaB.chat(key);
      expect(limitedB.status).toBe(429);
      expect(limitedB.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    } finally {
      await replicaA.close();
      await replicaB.close();
      await sharedA.close();
      await sharedB.close();
    }
  });

  it('createRateLimiter with REDIS_URL counts in Redis, so separate instances see one count', async () => {
    const account = await createAccount(market.app.database.db, 'redis');
    const { row } = await createKey(market.app.database.db, { account_id: account.id, name: 'r', rate_limit_rpm: 2 });
    const key = toAuthenticatedKey(row);
    const res = { setHeader: () => res } as unknown as ServerResponse;
    const first = await createRateLimiter(REDIS_URL);
    const second = await createRateLimiter(REDIS_URL);
    try {
      await first.check(key, 0, res);
      await second.check(key, 0, res);
      await expect(first.check(key, 0, res)).rejects.toBeInstanceOf(RateLimited);
      const keys = await redis.keys(`switchyard:rl:${key.id}:*`);
      expect(keys).toHaveLength(1);
      expect(await redis.get(keys[0]!)).toBe('3');
      expect(await redis.pttl(keys[0]!)).toBeGreaterThan(0);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
