// Per-key rate limits: requests per minute, and tokens per minute for chat. Fixed one-minute windows,
// counted in memory on a single instance, or in Redis (REDIS_URL) so every replica shares one limit.
import type { Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimited } from '../errors';
import type { AuthenticatedKey } from './keys';

const WINDOW_MS = 60_000;

export interface Counter {
  /** Adds `amount` to the window's counter and returns the new total. */
  add(name: string, amount: number, windowStart: number): Promise<number>;
  close(): Promise<void>;
}

export class MemoryCounter implements Counter {
  private readonly counts = new Map<string, { window: number; value: number }>();

  async add(name: string, amount: number, windowStart: number): Promise<number> {
    const entry = this.counts.get(name);
    if (!entry || entry.window !== windowStart) {
      if (this.counts.size > 100_000) this.counts.clear();
      this.counts.set(name, { window: windowStart, value: amount });
      return amount;
    }
    entry.value += amount;
    return entry.value;
  }

  async close(): Promise<void> {}
}

export class RedisCounter implements Counter {
  constructor(private readonly redis: Redis) {}

  async add(name: string, amount: number, windowStart: number): Promise<number> {
    const key = `switchyard:rl:${name}:${windowStart}`;
    const results = await this.redis.multi().incrby(key, amount).pexpire(key, WINDOW_MS * 2).exec();
    const [error, value] = results?.[0] ?? [new Error('no reply'), null];
    if (error) throw error;
    return Number(value);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => {});
  }
}

export class RateLimiter {
  constructor(
    private readonly counter: Counter,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts this request (and its estimated tokens) against the key's limits; throws 429 with
   * Retry-After when over, and sets the x-ratelimit-* headers either way.
   */
  async check(key: AuthenticatedKey, tokens: number, res: Response): Promise<void> {
    if (!key.rateLimitRpm && !key.rateLimitTpm) return;
    const now = this.now();
    const windowStart = now - (now % WINDOW_MS);
    const resetSeconds = Math.max(1, Math.ceil((windowStart + WINDOW_MS - now) / 1000));
    const headers: Record<string, string> = {};
    let over: string | null = null;
    if (key.rateLimitRpm) {
      const used = await this.counter.add(`${key.id}:rpm`, 1, windowStart);
      headers['x-ratelimit-limit-requests'] = String(key.rateLimitRpm);
      headers['x-ratelimit-remaining-requests'] = String(Math.max(0, key.rateLimitRpm - used));
      headers['x-ratelimit-reset-requests'] = `${resetSeconds}s`;
      if (used > key.rateLimitRpm) over = `${key.rateLimitRpm} requests per minute`;
    }
    if (key.rateLimitTpm && tokens > 0) {
      const used = await this.counter.add(`${key.id}:tpm`, tokens, windowStart);
      headers['x-ratelimit-limit-tokens'] = String(key.rateLimitTpm);
      headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, key.rateLimitTpm - used));
      headers['x-ratelimit-reset-tokens'] = `${resetSeconds}s`;
      if (used > key.rateLimitTpm) over ??= `${key.rateLimitTpm} tokens per minute`;
    }
    res.set(headers);
    if (over) throw new RateLimited(`Rate limit reached for this API key: ${over}. Try again in ${resetSeconds} s.`, resetSeconds, headers);
  }

  close(): Promise<void> {
    return this.counter.close();
  }
}

export async function createRateLimiter(redisUrl: string | undefined): Promise<RateLimiter> {
  if (!redisUrl) return new RateLimiter(new MemoryCounter());
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
  redis.on('error', () => {});
  return new RateLimiter(new RedisCounter(redis));
}
