// Redis, which holds the shared rate-limit counters, going away: hung (accepts, never answers), down
// (port refusing), never there at start-up, and back again. Rate-limited keys keep being served with
// 200 or 429 — never 500 — and no request waits longer than the bounded Redis timeout; meanwhile each
// replica counts in memory, says so once in its log and in /metrics, and goes back to Redis when it
// answers. The real Redis on 127.0.0.1:6379 (REDIS_TEST_URL in CI) sits behind a TCP proxy.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildParts, createApp } from '../../src/app';
import { createRateLimiter, type RateLimiter } from '../../src/billing/rate-limit';
import { fundedKey } from '../helpers/app';
import { captureLog, type CapturedLog } from '../helpers/log';
import { closedPort, startSilentServer, startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { chat, FakeClock, startMarket, type Market, START_TIMEOUT_MS } from '../dispatch/market';

const REDIS_URL = process.env.REDIS_TEST_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TIMEOUT_MS = 300;
/** The bounded wait plus what a loaded 2-core machine may add to a plain request. */
const SLOWEST_MS = TIMEOUT_MS + 1_500;
const FALLBACK_LOG = 'rate limits are counted in memory';
const RECOVERY_LOG = 'rate limits are counted in Redis again';

// Fixed one-minute windows: a clock parked at the start of a minute keeps each phase in one window.
const clock = new FakeClock(Date.UTC(2026, 10, 2, 9, 0, 0));

let market: Market;
let redis: Redis;
let proxy: TcpProxy;
let limiter: RateLimiter;
let limiterLog: CapturedLog;
/** Every API key and key id used, to search the logs for. */
const secrets: string[] = [];

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch (error) {
    throw new Error(`Redis at ${REDIS_URL} is not reachable (${String(error)}): start it, as CI does; these tests never skip.`);
  }
  const target = new URL(REDIS_URL);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  limiterLog = captureLog('info');
  limiter = await createRateLimiter(`redis://127.0.0.1:${proxy.port}`, { logger: limiterLog.logger, timeoutMs: TIMEOUT_MS, retryMs: 100, now: clock.now });
  market = await startMarket({ parts: { rateLimiter: limiter } });
}, START_TIMEOUT_MS);

afterAll(async () => {
  await market?.close();
  await limiter?.close();
  await proxy?.close();
  redis?.disconnect();
});

/** Sends a chat job and measures how long its answer took. */
async function timedChat(url: string, key: string): Promise<{ status: number; ms: number; remaining: string | null; error?: { code: string } }> {
  const started = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'acme/open-70b', messages: [{ role: 'user', content: 'hello there' }] }),
  });
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, ms: performance.now() - started, remaining: res.headers.get('x-ratelimit-remaining-requests'), error: body.error };
}

async function limitedKey(rpm: number): Promise<{ key: string; keyId: string }> {
  const { key, keyId } = await fundedKey(market.app, '1', { rate_limit_rpm: rpm });
  secrets.push(key, keyId);
  return { key, keyId };
}

async function redisCount(keyId: string): Promise<number> {
  const keys = await redis.keys(`switchyard:rl:${keyId}:rpm:*`);
  const values = await Promise.all(keys.map((k) => redis.get(k)));
  return values.reduce((sum, v) => sum + Number(v ?? 0), 0);
}

function logLines(log: CapturedLog, text: string): { level: number; msg: string }[] {
  return log.lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.msg.includes(text));
}

async function metricsValue(name: string): Promise<number | null> {
  const text = await (await fetch(`${market.app.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : null;
}

async function waitFor(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('Redis behind a proxy that hangs, drops and comes back', () => {
  it('counts in Redis while it answers', async () => {
    const { key, keyId } = await limitedKey(3);
    const first = await timedChat(market.app.url, key);
    expect(first).toMatchObject({ status: 200, remaining: '2' });
    expect(await redisCount(keyId)).toBe(1);
    expect(limiter.shared()).toEqual({ redisAvailable: true, fallbacks: 0 });
    expect(await metricsValue('switchyard_rate_limit_redis_up')).toBe(1);
  });

  it('a hung Redis: requests wait at most the bounded timeout, are limited in memory with 200/429, and Redis is used again once it answers', async () => {
    clock.advance(60_000);
    const { key, keyId } = await limitedKey(3);
    expect(await timedChat(market.app.url, key)).toMatchObject({ status: 200, remaining: '2' });

    proxy.hang();
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await timedChat(market.app.url, key));
    // Counting goes on from what this replica had counted before Redis stopped answering.
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429, 429, 429]);
    expect(answers.map((a) => a.remaining)).toEqual(['1', '0', '0', '0', '0']);
    expect(answers[2]!.error?.code).toBe('rate_limited');
    for (const a of answers) expect(a.ms).toBeLessThan(SLOWEST_MS);
    // Only the request that found Redis hung waited for it; the others did not ask it at all.
    expect(answers.slice(1).every((a) => a.ms < TIMEOUT_MS + 1_000)).toBe(true);
    expect(limiter.shared()).toEqual({ redisAvailable: false, fallbacks: 1 });
    expect(await metricsValue('switchyard_rate_limit_redis_up')).toBe(0);
    expect(await metricsValue('switchyard_rate_limit_redis_fallbacks')).toBe(1);
    expect(logLines(limiterLog, FALLBACK_LOG)).toHaveLength(1);
    expect(logLines(limiterLog, FALLBACK_LOG)[0]!.level).toBe(40);

    proxy.resume();
    await waitFor(() => limiter.shared()!.redisAvailable);
    expect(logLines(limiterLog, RECOVERY_LOG)).toHaveLength(1);
    expect(await metricsValue('switchyard_rate_limit_redis_up')).toBe(1);

    // A new window is counted in Redis again.
    clock.advance(60_000);
    const before = await redisCount(keyId);
    expect(await timedChat(market.app.url, key)).toMatchObject({ status: 200, remaining: '2' });
    expect(await redisCount(keyId)).toBe(before + 1);
  });

  it('a Redis that drops every connection and refuses new ones: never a 500, never a wait, and back when it listens again', async () => {
    clock.advance(60_000);
    const { key, keyId } = await limitedKey(2);
    await proxy.down();
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await timedChat(market.app.url, key));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429, 429]);
    for (const a of answers) expect(a.ms).toBeLessThan(SLOWEST_MS);
    expect(limiter.shared()).toEqual({ redisAvailable: false, fallbacks: 2 });
    expect(logLines(limiterLog, FALLBACK_LOG)).toHaveLength(2);

    await proxy.up();
    // ioredis reconnects on its own backoff (up to 2 s); the probe notices once it is ready.
    await waitFor(() => limiter.shared()!.redisAvailable);
    expect(logLines(limiterLog, RECOVERY_LOG)).toHaveLength(2);
    // Still the same window: what this replica counted while Redis was away still limits the key.
    expect((await timedChat(market.app.url, key)).status).toBe(429);
    clock.advance(60_000);
    const before = await redisCount(keyId);
    expect((await timedChat(market.app.url, key)).status).toBe(200);
    expect(await redisCount(keyId)).toBe(before + 1);
  });

  it('logs no key, key id, counter name or Redis address', async () => {
    const text = limiterLog.text();
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of [...secrets, 'switchyard:rl', `:${proxy.port}`, 'redis://']) expect(text).not.toContain(secret);
  });
});

/** Another app instance (replica) on the market's database and providers, with its own rate limiter. */
async function listenReplica(rateLimiter: RateLimiter) {
  const deps = { ...market.app.deps, rateLimiter };
  const server = http.createServer(createApp(deps, buildParts(deps)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rateLimiter.close();
    },
  };
}

describe('Redis unreachable from start-up', () => {
  for (const [name, address] of [
    ['a closed port', async () => ({ port: await closedPort(), close: async () => {} })],
    ['a server that accepts and never answers', startSilentServer],
  ] as const) {
    it(`${name}: start-up waits a bounded time, then keys are limited in memory with 200/429`, async () => {
      const server = await address();
      const log = captureLog('info');
      const started = performance.now();
      const fallback = await createRateLimiter(`redis://127.0.0.1:${server.port}`, { logger: log.logger, timeoutMs: TIMEOUT_MS, startupWaitMs: 500, now: clock.now });
      expect(performance.now() - started).toBeLessThan(500 + 1_000);
      const replica = await listenReplica(fallback);
      try {
        expect(fallback.shared()).toMatchObject({ redisAvailable: false, fallbacks: 1 });
        const { key } = await limitedKey(2);
        const answers = [];
        for (let i = 0; i < 4; i++) answers.push(await timedChat(replica.url, key));
        expect(answers.map((a) => a.status)).toEqual([200, 200, 429, 429]);
        for (const a of answers) expect(a.ms).toBeLessThan(SLOWEST_MS);
        expect(logLines(log, FALLBACK_LOG)).toHaveLength(1);
      } finally {
        await replica.close();
        await server.close();
      }
    });
  }
});
